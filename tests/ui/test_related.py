"""In the browser: link a company to a contact through the type-ahead picker, put a person on
a deal with a role, change it, and remove them after confirming — all without leaving the
record's page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.ui.conftest import screenshot


def _records(ui_user):
    from accounts.services.common import Actor
    from crm.services.companies import company_create
    from crm.services.contacts import contact_create
    from pipelines.services.deals import deal_create

    user, workspace = ui_user
    actor = Actor(user=user)
    company_create(workspace=workspace, actor=actor, name="Globex", domain="globex.example")
    company_create(workspace=workspace, actor=actor, name="Globo Gym", domain="globo.example")
    hank = contact_create(
        workspace=workspace, actor=actor, first_name="Hank", last_name="Scorpio", job_title="CEO"
    )
    contact_create(workspace=workspace, actor=actor, first_name="Homer", last_name="Simpson")
    deal = deal_create(workspace=workspace, actor=actor, title="Doomsday device", amount=9000)
    return hank, deal


def test_link_a_company_to_a_contact_with_the_picker(signed_in, ui_user):
    hank, _ = _records(ui_user)
    page = signed_in
    page.goto(f"/contacts/{hank.pk}/")
    card = page.locator("#related-companies")
    expect(card).to_contain_text("Not linked to a company.")

    # when: a company is found by typing and picked from the list
    card.locator("summary", has_text="Add company").click()
    card.get_by_role("combobox", name="Company").fill("glob")
    options = card.get_by_role("option")
    expect(options.filter(has_text="Globo Gym")).to_be_visible()
    options.filter(has_text="Globex").click()
    expect(card.get_by_role("combobox", name="Company")).to_have_value("Globex")
    card.get_by_label("Title").fill("Founder")
    card.get_by_role("button", name="Add company").click()

    # then: the card shows it, and the timeline says so, without leaving the page
    expect(card.get_by_role("status")).to_have_text("Linked Globex.")
    expect(card.get_by_role("link", name="Globex", exact=True)).to_be_visible()
    expect(card).to_contain_text("Founder")
    expect(card).to_contain_text("Primary")
    expect(page.locator("#timeline")).to_contain_text("linked a company")
    expect(page).to_have_url(re.compile(rf"/contacts/{hank.pk}/$"))
    screenshot(page, "related-contact-companies")

    # when: the title is edited in place
    card.get_by_role("link", name="Edit Globex").click()
    card.get_by_label("Title").fill("Founder & CEO")
    screenshot(page, "related-edit")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status")).to_have_text("Saved.")
    expect(card).to_contain_text("Founder & CEO")

    # and: the same company again is refused, clearly
    card.locator("summary", has_text="Add company").click()
    card.get_by_role("combobox", name="Company").fill("Globex")
    card.get_by_role("option").filter(has_text="Globex").click()
    card.get_by_role("button", name="Add company").click()
    expect(card.locator(".errorlist")).to_contain_text("already linked to the company")

    page.reload()
    expect(page.locator("#related-companies")).to_contain_text("Founder & CEO")


def test_put_a_person_on_a_deal_with_a_role_then_remove_them(signed_in, ui_user):
    hank, deal = _records(ui_user)
    page = signed_in
    page.goto(f"/deals/{deal.pk}/")
    card = page.locator("#related-deal-people")
    expect(card).to_contain_text("Nobody on this deal yet.")

    # when: a person is picked with the keyboard and given a role
    card.locator("summary", has_text="Add person").click()
    picker = card.get_by_role("combobox", name="Person")
    picker.fill("hank")
    expect(card.get_by_role("option").filter(has_text="Hank Scorpio")).to_be_visible()
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(picker).to_have_value("Hank Scorpio")
    card.get_by_label("Role").fill("Decision maker")
    card.get_by_role("button", name="Add person").click()

    # then
    expect(card.get_by_role("status")).to_have_text("Added Hank Scorpio to the deal.")
    row = card.get_by_role("listitem").filter(has_text="Hank Scorpio")
    expect(row).to_contain_text("Decision maker")
    expect(page.locator("#timeline")).to_contain_text("Hank Scorpio")
    screenshot(page, "related-deal-people")

    # and: the contact's page lists the deal with its stage and amount
    page.goto(f"/contacts/{hank.pk}/")
    deals = page.locator("#related-deals")
    expect(deals.get_by_role("link", name="Doomsday device", exact=True)).to_be_visible()
    expect(deals).to_contain_text("9,000 USD")
    expect(deals).to_contain_text("Decision maker")

    # when: removed from the deal — asked first, and cancelling keeps them
    page.goto(f"/deals/{deal.pk}/")
    card.get_by_role("link", name="Remove Hank Scorpio").click()
    expect(card).to_contain_text("Remove Hank Scorpio from this deal?")
    screenshot(page, "related-confirm")
    card.get_by_role("link", name="Cancel").click()
    expect(card.get_by_role("link", name="Hank Scorpio", exact=True)).to_be_visible()
    card.get_by_role("link", name="Remove Hank Scorpio").click()
    card.get_by_role("button", name="Remove").click()

    # then
    expect(card.get_by_role("status")).to_have_text("Removed Hank Scorpio from the deal.")
    expect(card).to_contain_text("Nobody on this deal yet.")
    expect(page.locator("#timeline")).to_contain_text("unlinked a contact")
