"""Duplicates in a real browser: review a group side by side, merge with a chosen value, undo."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.services.common import Actor
from crm.models import Contact
from crm.services.companies import company_create
from crm.services.contacts import contact_create
from tests.ui.conftest import screenshot


def test_review_merge_and_undo(signed_in, ui_user):
    user, workspace = ui_user
    actor = Actor(user=user, role="owner")
    acme = company_create(workspace=workspace, actor=actor, name="Acme")
    kept = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Jonathan",
        last_name="Smith",
        company=acme,
        job_title="CTO",
        email="jon@acme.example",
    )
    gone = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Jonathon",
        last_name="Smith",
        company=acme,
        job_title="Chief Technology Officer",
        email="jonathon@home.example",
    )
    page = signed_in

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Duplicates").click()
    group = page.locator(".dup-group")
    expect(group).to_contain_text("similar name, same company")
    screenshot(page, "duplicates")
    group.get_by_role("link", name="Review and merge…").click()

    expect(page.get_by_role("heading", name="Merge 2 records")).to_be_visible()
    page.get_by_label("Job title: Chief Technology Officer").check()
    page.get_by_role("button", name="Merge into the record kept").click()
    expect(page.get_by_text("Merged 1 record into Jonathan Smith")).to_be_visible()
    expect(page.locator("#record-summary")).to_contain_text("Chief Technology Officer")
    assert not Contact.objects.filter(pk=gone.pk).exists()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Duplicates").click()
    recent = page.get_by_role("region", name="Recent merges")
    recent.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Merge undone: Jonathon Smith is back.")).to_be_visible()
    assert Contact.objects.filter(pk=gone.pk).exists()
    kept.refresh_from_db()
    assert kept.job_title == "CTO"
