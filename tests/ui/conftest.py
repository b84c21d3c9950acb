"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Screenshots go to tests/ui/screenshots/ (not committed) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the test body's ORM calls are
# still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in items:
        if "tests/ui/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh browser page; console errors (CSP violations, JS errors) fail the test."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    real = [e for e in errors if "favicon" not in e]
    assert not real, f"browser console errors: {real}"


@pytest.fixture
def ui_user(transactional_db):
    """A user who owns a workspace (with its default pipeline), password PASSWORD."""
    from accounts.services.workspaces import user_create, workspace_create

    user = user_create(email="pat@example.com", password=PASSWORD, name="Pat Seller")
    workspace = workspace_create(name="Pat's Shop", owner=user)
    return user, workspace


@pytest.fixture
def signed_in(page, ui_user):
    """``page`` after signing in through the login form, as a person would."""
    user, _ = ui_user
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return page


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # caret="initial": hiding the caret leaves a style="" on inputs, which htmx copies into
    # swapped-in elements (a CSP violation under our policy).
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path
