"""Signing up, inviting a colleague who joins from the emailed link, switching workspace."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.models import Membership, Role, User
from tests.ui.conftest import PASSWORD, screenshot

NEW_PASSWORD = "plum-harbour-lantern-42"


def _fresh_page(browser, live_server, errors: list[str]):
    """A page in a new browser context (no cookies shared with other pages)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page


def test_sign_up_lands_in_the_new_workspace(page, transactional_db):
    # given the sign-in page, and its link to sign up
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Create a workspace").click()
    expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()
    # when someone fills in the form
    page.get_by_label("Your name").fill("Robin Maker")
    page.get_by_label("Work email").fill("robin@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_label("Workspace name").fill("Robin Works")
    screenshot(page, "accounts-signup")
    page.get_by_role("button", name="Create workspace").click()
    # then they are at home in their new workspace
    expect(page.get_by_role("heading", name="Robin Works", level=1)).to_be_visible()
    expect(page.get_by_text("Robin Works is ready for you.")).to_be_visible()
    user = User.objects.get(email="robin@example.com")
    assert Membership.objects.get(user=user).role == Role.OWNER


def test_invited_colleague_sets_a_password_and_sees_the_workspace(
    signed_in, browser, live_server, mailoutbox
):
    page = signed_in
    # given the owner on Settings → Members
    page.goto("/settings/members/")
    # when they invite a colleague as member
    page.get_by_label("Email", exact=True).fill("casey@example.com")
    page.get_by_label("Role", exact=True).select_option("member")
    page.get_by_role("button", name="Send invitation", exact=True).click()
    # then the invitation is pending
    expect(page.get_by_text("Invitation sent to casey@example.com.")).to_be_visible()
    row = page.locator("tr", has_text="casey@example.com")
    expect(row).to_be_visible()
    screenshot(page, "accounts-members-invited")
    # and the colleague, in a browser of their own, opens the emailed link
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/accounts/invitations/[A-Za-z0-9_-]+/", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    errors: list[str] = []
    context, invitee = _fresh_page(browser, live_server, errors)
    try:
        invitee.goto(link.group(0))
        expect(invitee.get_by_role("heading", name="Join Pat's Shop")).to_be_visible()
        invitee.get_by_label("Your name").fill("Casey Colleague")
        invitee.get_by_label("Password").fill(NEW_PASSWORD)
        screenshot(invitee, "accounts-invitation-signup")
        invitee.get_by_role("button", name="Create account and join").click()
        # then they see the workspace
        expect(invitee.get_by_role("heading", name="Pat's Shop", level=1)).to_be_visible()
        expect(invitee.get_by_text("You joined Pat's Shop.")).to_be_visible()
    finally:
        context.close()
    assert not errors, errors
    # and the owner sees them among the members, no longer pending
    page.reload()
    expect(page.locator("#members-heading")).to_be_visible()
    expect(page.locator("tr", has_text="casey@example.com")).to_have_count(1)
    expect(page.get_by_role("button", name="Resend invitation to casey@example.com")).to_have_count(
        0
    )


def test_revoking_an_invitation_asks_first(signed_in):
    page = signed_in
    page.goto("/settings/members/")
    page.get_by_label("Email", exact=True).fill("oops@example.com")
    page.get_by_role("button", name="Send invitation", exact=True).click()
    expect(page.locator("tr", has_text="oops@example.com")).to_be_visible()
    # when the owner clicks Revoke…, they are asked first
    page.get_by_role("link", name="Revoke… invitation to oops@example.com").click()
    expect(
        page.get_by_role("heading", name="Revoke the invitation for oops@example.com?")
    ).to_be_visible()
    page.get_by_role("button", name="Revoke invitation").click()
    # then the invitation is gone from the list
    expect(page.get_by_text("Invitation for oops@example.com revoked.")).to_be_visible()
    expect(page.locator("tr", has_text="oops@example.com")).to_have_count(0)


def test_switching_between_two_workspaces_from_the_account_menu(page, ui_user):
    from accounts.services.workspaces import workspace_create

    # given a user who belongs to two workspaces
    user, _ = ui_user
    workspace_create(name="Second Shop", owner=user)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Pat's Shop", level=1)).to_be_visible()
    # when they pick the other one from the account menu
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Second Shop").click()
    # then they are in it, and can go back
    expect(page.get_by_role("heading", name="Second Shop", level=1)).to_be_visible()
    expect(page.get_by_text("Switched to Second Shop.")).to_be_visible()
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Pat's Shop").click()
    expect(page.get_by_role("heading", name="Pat's Shop", level=1)).to_be_visible()
