"""In the browser: choose a custom-field column, tag and delete selected rows, and export
the filtered list to CSV."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import SCREENSHOTS


@pytest.fixture
def contacts(ui_user):
    """Three contacts of the signed-in user's workspace; a number field on contacts."""
    from accounts.services.common import Actor
    from crm.services.contacts import contact_create
    from crm.services.custom_fields import custom_field_create

    user, workspace = ui_user
    actor = Actor(user=user)
    custom_field_create(
        workspace=workspace, object_type="contact", key="score", label="Score", type="number"
    )
    people = [("Ada", "Lovelace", 1200), ("Bob", "Byte", 7), ("=Cid", "Formula", None)]
    return [
        contact_create(
            workspace=workspace,
            actor=actor,
            first_name=first,
            last_name=last,
            email=f"{first.strip('=').lower()}@example.org",
            custom_fields={"score": score} if score is not None else {},
        )
        for first, last, score in people
    ]


def screenshot(page, name: str) -> None:
    """Like conftest's, but leaves the text caret alone: hiding it leaves ``style=""`` on
    inputs, which htmx then copies onto the swapped-in inputs (a CSP violation)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def _row(page, name):
    return page.get_by_role("row").filter(has_text=name)


def test_choose_a_custom_field_column(signed_in, contacts):
    page = signed_in
    page.goto("/contacts/")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Score")).to_have_count(0)

    # when: the Score field is ticked in the Columns menu, and Email unticked
    page.locator("summary", has_text="Columns").click()
    page.get_by_label("Score").check()
    page.get_by_label("Email", exact=True).uncheck()
    screenshot(page, "list-columns-menu")
    page.locator("#record-list").get_by_role("button", name="Apply").click()

    # then: the column shows, formatted, and Email is gone
    expect(table.get_by_role("columnheader", name="Score")).to_be_visible()
    expect(_row(page, "Ada Lovelace")).to_contain_text("1,200")
    expect(table.get_by_role("columnheader", name="Email")).to_have_count(0)

    # and: it is remembered, whatever the URL
    page.goto("/contacts/?sort=name")
    expect(page.get_by_role("columnheader", name="Score")).to_be_visible()
    screenshot(page, "list-columns")


def test_select_two_rows_and_add_a_tag(signed_in, contacts):
    page = signed_in
    page.goto("/contacts/")
    bar = page.locator("[data-bulk-bar]")
    expect(bar).to_be_hidden()

    # when: two rows are ticked
    page.get_by_label("Select Ada Lovelace").check()
    page.get_by_label("Select Bob Byte").check()

    # then: the bar shows how many
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("2 selected")
    screenshot(page, "list-bulk-bar")

    # when: a tag is added
    page.get_by_label("Tag to add").fill("vip")
    page.get_by_label("Tag to add").press("Enter")

    # then: the list says so and shows the tags; the third row has none
    expect(page.get_by_text("Tag “vip” added to 2 contacts.")).to_be_visible()
    expect(_row(page, "Ada Lovelace")).to_contain_text("vip")
    expect(_row(page, "Bob Byte")).to_contain_text("vip")
    expect(_row(page, "Formula")).not_to_contain_text("vip")
    expect(bar).to_be_hidden()

    # and: "select all" ticks the whole page
    page.get_by_label("Select all on this page").check()
    expect(bar).to_contain_text("3 selected")
    page.get_by_label("Select Bob Byte").uncheck()
    expect(bar).to_contain_text("2 selected")


def test_bulk_delete_asks_first(signed_in, contacts):
    page = signed_in
    page.goto("/contacts/")
    page.get_by_label("Select Ada Lovelace").check()
    page.get_by_label("Select Bob Byte").check()

    # when: Delete is clicked, then Cancel
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete 2 contacts?")).to_be_visible()
    screenshot(page, "list-bulk-delete")
    page.get_by_role("link", name="Cancel").click()
    expect(_row(page, "Ada Lovelace")).to_be_visible()

    # when: asked again and confirmed
    page.get_by_label("Select Ada Lovelace").check()
    page.get_by_label("Select Bob Byte").check()
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Delete 2 contacts").click()

    # then
    expect(page.get_by_text("2 contacts deleted.")).to_be_visible()
    expect(_row(page, "Ada Lovelace")).to_have_count(0)
    expect(_row(page, "Formula")).to_be_visible()


def test_export_the_filtered_list(signed_in, contacts):
    page = signed_in
    page.goto("/contacts/")
    filters = page.get_by_role("search", name="Filter contacts")
    filters.get_by_label("Search").fill("lovelace")
    filters.get_by_role("button", name="Apply").click()
    expect(_row(page, "Bob Byte")).to_have_count(0)

    with page.expect_download() as info:
        page.locator("summary", has_text="Export").click()
        page.get_by_role("link", name="CSV, download now").click()
    download = info.value

    assert download.suggested_filename.startswith("contacts-")
    with open(download.path(), encoding="utf-8") as file:
        content = file.read()
    assert content.startswith("\ufeffName,Email,Company,Status,Owner,Tags,Created\n") or (
        content.startswith("\ufeffName,Email,Company,Status,Owner,Tags,Created\r\n")
    )
    assert "Ada Lovelace,ada@example.org" in content
    assert "Bob" not in content


def test_export_neutralises_formulas(signed_in, contacts):
    page = signed_in
    page.goto("/contacts/?q=formula")
    with page.expect_download() as info:
        page.locator("summary", has_text="Export").click()
        page.get_by_role("link", name="CSV, download now").click()
    with open(info.value.path(), encoding="utf-8-sig") as file:
        content = file.read()
    assert "\n'=Cid Formula," in content
