"""Signing in and out in a real browser."""

from __future__ import annotations

from tests.ui.conftest import PASSWORD, screenshot


def test_sign_in_shows_the_workspace_home(signed_in):
    # then the home page greets the workspace
    signed_in.get_by_role("heading", name="Pat's Shop").wait_for()
    screenshot(signed_in, "home")


def test_wrong_password_keeps_the_email_and_says_why(page, ui_user):
    user, _ = ui_user
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_label("Email").input_value() == user.email
    assert page.get_by_role("alert").count() >= 1
