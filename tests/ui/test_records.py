"""In the browser: create a company and a linked contact from the forms, find them in the
lists, then add a note (with its preview) and a task on the contact's timeline."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.ui.conftest import screenshot


def _nav(page, name):
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def test_create_company_and_contact_then_note_and_task(signed_in):
    page = signed_in

    # given: a new company, from the sidebar and the form
    _nav(page, "Companies")
    expect(page.get_by_role("heading", name="No companies yet")).to_be_visible()
    page.get_by_role("link", name="New company").click()
    page.get_by_label("Name").fill("Globex")
    page.get_by_label("Domain").fill("globex.example")
    page.get_by_label("Industry").fill("Energy")
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("heading", name="Globex", level=1)).to_be_visible()

    # and: a contact linked to it
    _nav(page, "Contacts")
    page.get_by_role("link", name="New contact").click()
    page.get_by_label("First name").fill("Hank")
    page.get_by_label("Last name").fill("Scorpio")
    page.get_by_label("Email").fill("hank@globex.example")
    page.get_by_label("Job title").fill("Founder")
    page.get_by_label("Company").select_option(label="Globex")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", name="Hank Scorpio", level=1)).to_be_visible()

    # then: both are in the lists
    _nav(page, "Companies")
    expect(page.get_by_role("link", name="Globex")).to_be_visible()
    _nav(page, "Contacts")
    row = page.get_by_role("row").filter(has_text="Hank Scorpio")
    expect(row).to_contain_text("Globex")
    expect(row).to_contain_text("hank@globex.example")
    screenshot(page, "contacts")

    # when: a note is previewed and added on the contact's page
    page.get_by_role("link", name="Hank Scorpio").click()
    page.get_by_label("Note").fill("Wants a **doomsday device** demo")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#note-preview strong")).to_have_text("doomsday device")
    page.get_by_role("button", name="Add note").click()
    timeline = page.locator("#timeline")
    expect(timeline.locator("strong", has_text="doomsday device")).to_be_visible()
    expect(page.get_by_text("Note added.")).to_be_visible()

    # and: a task
    page.locator("summary", has_text="Add a task").click()
    page.get_by_label("Task", exact=True).fill("Send the proposal")
    page.get_by_role("button", name="Add task").click()
    expect(timeline).to_contain_text("added a task")
    expect(timeline).to_contain_text("Send the proposal")

    # and: the status is edited in place
    page.locator("#record-summary").get_by_role("link", name="Edit").click()
    page.get_by_label("Status").select_option(label="Customer")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#record-summary .record-badge")).to_have_text("Customer")
    expect(page).to_have_url(re.compile(r"/contacts/[0-9a-f-]+/$"))

    page.reload()
    expect(page.locator("#timeline")).to_contain_text("Send the proposal")
    expect(page.locator("#record-summary .record-badge")).to_have_text("Customer")
    screenshot(page, "contact")


def test_create_deal_and_log_a_call(signed_in, ui_user):
    from accounts.services.common import Actor
    from crm.services.companies import company_create

    user, workspace = ui_user
    company_create(workspace=workspace, actor=Actor(user=user), name="Initech")
    page = signed_in

    # given: a deal made from the form, with a mistake first
    _nav(page, "Deals")
    page.get_by_role("link", name="New deal").click()
    page.get_by_label("Amount").fill("2500")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    expect(page.get_by_label("Amount")).to_have_value("2500")
    page.get_by_label("Title").fill("Initech TPS rollout")
    page.get_by_label("Company").select_option(label="Initech")
    page.get_by_role("button", name="Create deal").click()
    expect(page.get_by_role("heading", name="Initech TPS rollout", level=1)).to_be_visible()

    # when: a call is logged
    page.locator("summary", has_text="Log call").click()
    page.get_by_label("Type").select_option(label="Call")
    page.get_by_label("Subject").fill("Kick-off call")
    page.get_by_role("button", name="Log activity").click()

    # then: it is on the timeline, and the deal is in the list
    expect(page.locator("#timeline")).to_contain_text("Kick-off call")
    screenshot(page, "deal")
    _nav(page, "Deals")
    expect(page.get_by_role("row").filter(has_text="Initech TPS rollout")).to_contain_text(
        "2,500 USD"
    )
