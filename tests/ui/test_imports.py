"""The import wizard in a real browser: upload a messy CSV, check the mapping, dry run, import,
download the rejected rows, revert."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from crm.celery import app
from crm.models import Contact
from tests.imports.conftest import DATA
from tests.ui.conftest import screenshot


@pytest.fixture
def eager_worker(settings, tmp_path):
    """Jobs run in the web request once it commits (no separate worker in this test)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_import_wizard_dry_run_import_errors_and_revert(signed_in, ui_user, eager_worker):
    page = signed_in
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", name="No imports yet")).to_be_visible()
    page.get_by_role("link", name="Import a file").first.click()

    page.get_by_role("radio", name="Contacts").check()
    page.get_by_label("CSV or Excel file").set_input_files(str(DATA / "contacts_messy.csv"))
    page.get_by_role("button", name="Upload and map columns").click()

    expect(page.get_by_role("heading", name="contacts_messy.csv")).to_be_visible()
    expect(page.get_by_label("email", exact=True)).to_have_value("email")
    expect(page.get_by_label("notes", exact=True)).to_have_value("")
    page.get_by_label("Tags to add to every imported record").fill("Spring fair")
    screenshot(page, "import-mapping")
    page.get_by_role("button", name="Dry run: check the file").click()

    expect(page.get_by_text("Dry run done")).to_be_visible()
    stats = page.locator(".import-stats")
    expect(stats.locator(".stat", has_text="Would be created")).to_contain_text("6")
    expect(stats.locator(".stat", has_text="Rejected")).to_contain_text("5")
    expect(page.get_by_text("Row 4")).to_be_visible()
    assert not Contact.objects.exists()
    screenshot(page, "import-dry-run")

    page.get_by_role("button", name="Import 6 rows").click()
    expect(page.get_by_text("Imported", exact=True)).to_be_visible()
    expect(
        stats.locator(".stat").filter(has=page.get_by_text("Created", exact=True))
    ).to_contain_text("6")
    assert Contact.objects.count() == 6

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download rejected rows (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "contacts_messy-errors.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[0] for row in rows] == ["Row", "4", "7", "9", "13", "14"]

    page.get_by_role("link", name="Revert…").click()
    expect(
        page.get_by_role("heading", name="Revert the import of “contacts_messy.csv”?")
    ).to_be_visible()
    page.get_by_role("button", name="Revert the import").click()
    expect(page.get_by_text("Reverted", exact=True).first).to_be_visible()
    assert not Contact.objects.exists()

    page.get_by_role("link", name="Imports", exact=True).first.click()
    expect(page.get_by_role("row").filter(has_text="contacts_messy.csv")).to_contain_text(
        "Reverted"
    )
    screenshot(page, "imports")
