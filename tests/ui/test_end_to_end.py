"""The whole day of a new user, in one browser session: sign up, create a company and a contact
and find them, put two deals on the board, drag one and reload, move the other with the
keyboard, note and task on the contact, reorder stages in settings and see the board follow,
then the dashboard. Screenshots of the dashboard, the board and the contact page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from pipelines.models import Deal, Pipeline
from tests.ui.conftest import screenshot
from tests.ui.test_board import _drag


def _nav(page, name):
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def _new_deal(page, title, amount, stage):
    _nav(page, "Deals")
    page.get_by_role("link", name="New deal").first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Stage").select_option(label=stage)
    page.get_by_label("Amount").fill(str(amount))
    page.get_by_label("Company").select_option(label="Vandelay Industries")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


def test_a_new_users_first_day(page, transactional_db):
    # sign up: a workspace of one's own, with the default pipeline
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Create a workspace").click()
    page.get_by_label("Your name").fill("Elaine Benes")
    page.get_by_label("Work email").fill("elaine@pendant.example")
    page.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    page.get_by_label("Workspace name").fill("Pendant Publishing")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", name="Pendant Publishing", level=1)).to_be_visible()

    # a company and a contact, from the forms
    _nav(page, "Companies")
    page.get_by_role("link", name="New company").first.click()
    page.get_by_label("Name").fill("Vandelay Industries")
    page.get_by_label("Domain").fill("vandelay.example")
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("heading", name="Vandelay Industries", level=1)).to_be_visible()
    _nav(page, "Contacts")
    page.get_by_role("link", name="New contact").first.click()
    page.get_by_label("First name").fill("Art")
    page.get_by_label("Last name").fill("Vandelay")
    page.get_by_label("Email").fill("art@vandelay.example")
    page.get_by_label("Company").select_option(label="Vandelay Industries")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", name="Art Vandelay", level=1)).to_be_visible()

    # … in the lists and in search (misspelt)
    _nav(page, "Contacts")
    expect(page.get_by_role("row").filter(has_text="Art Vandelay")).to_contain_text(
        "Vandelay Industries"
    )
    _nav(page, "Companies")
    expect(page.get_by_role("link", name="Vandelay Industries")).to_be_visible()
    search = page.get_by_role("combobox", name="Search contacts, companies and deals")
    search.click()
    search.press_sequentially("Vandeley", delay=30)
    expect(page.get_by_role("option").filter(has_text="Art Vandelay")).to_be_visible()
    expect(page.get_by_role("option", name=re.compile(r"^Vandelay Industries"))).to_be_visible()
    search.press("Escape")

    # two deals, then the board: drag one and reload; move the other by keyboard
    _new_deal(page, "Latex order", 12000, "Lead in")
    _new_deal(page, "Chip import", 4500, "Lead in")
    _nav(page, "Deals board")
    pipeline = Pipeline.objects.get(workspace__name="Pendant Publishing", is_default=True)
    stages = {s.name: s for s in pipeline.stages.all()}
    column = lambda name: page.locator(f'[data-column][data-stage="{stages[name].pk}"]')  # noqa: E731
    expect(column("Lead in").locator("[data-column-count]")).to_have_text("2")
    latex = Deal.objects.get(title="Latex order")
    with page.expect_response(lambda r: "/move" in r.url) as moved:
        _drag(
            page,
            page.locator(f'[data-deal="{latex.pk}"]'),
            column("Qualified").locator("[data-column-list]"),
        )
    assert moved.value.ok
    expect(column("Qualified").locator("[data-column-total]")).to_have_text("$12,000")
    page.reload()
    expect(column("Qualified").get_by_role("heading", name="Latex order")).to_be_visible()
    chip = page.locator(f'[data-deal="{Deal.objects.get(title="Chip import").pk}"]')
    chip.get_by_text("Move to…").focus()
    page.keyboard.press("Enter")
    chip.get_by_label("Stage").select_option(label="Proposal")
    chip.get_by_role("button", name="Move").press("Enter")
    expect(page.get_by_text("Moved “Chip import” to Proposal.")).to_be_visible()
    expect(column("Proposal").get_by_role("heading", name="Chip import")).to_be_visible()
    screenshot(page, "e2e-board")

    # a note and a task on the contact: both on its timeline
    _nav(page, "Contacts")
    page.get_by_role("link", name="Art Vandelay").click()
    page.get_by_label("Note").fill("Imports **latex**, exports chips")
    page.get_by_role("button", name="Add note").click()
    timeline = page.locator("#timeline")
    expect(timeline.locator("strong", has_text="latex")).to_be_visible()
    page.locator("summary", has_text="Add a task").click()
    page.get_by_label("Task", exact=True).fill("Call Art about the latex")
    page.get_by_role("button", name="Add task").click()
    expect(timeline).to_contain_text("Call Art about the latex")
    screenshot(page, "e2e-contact")

    # reorder stages in settings; the board follows
    _nav(page, "Settings")
    page.goto("/settings/pipelines/")
    page.get_by_role("button", name="Move Lead in down").click()
    page.wait_for_url(re.compile(r".*/settings/pipelines/.*"))
    _nav(page, "Deals board")
    headings = page.locator("[data-column] .board-column__name")
    expect(headings.first).to_have_text("Qualified")
    expect(headings.nth(1)).to_have_text("Lead in")

    # and the dashboard
    _nav(page, "Dashboard")
    expect(page.locator("canvas#chart-stages")).to_be_visible()
    page.wait_for_timeout(700)  # the charts' animation
    screenshot(page, "e2e-dashboard")
