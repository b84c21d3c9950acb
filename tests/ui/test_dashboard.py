"""The dashboard, the top bar's type-ahead search and one-click task completion in a browser."""

from __future__ import annotations

import datetime
import re

from django.urls import Resolver404, resolve
from django.utils import timezone

from accounts.models import Membership
from accounts.services.common import Actor
from crm.services.activity import task_create
from crm.services.companies import company_create
from crm.services.contacts import contact_create
from pipelines.models import Pipeline
from pipelines.services.deals import deal_create, deal_move
from tests.ui.conftest import screenshot


def _seed(ui_user):
    user, workspace = ui_user
    actor = Actor.for_membership(Membership.objects.get(user=user, workspace=workspace))
    acme = company_create(workspace=workspace, actor=actor, name="Acme Robotics")
    john = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="John",
        last_name="Smith",
        job_title="Head of Operations",
        company=acme.pk,
    )
    for first, last in [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")]:
        contact_create(workspace=workspace, actor=actor, first_name=first, last_name=last)
    stages = {
        s.name: s for s in Pipeline.objects.get(workspace=workspace, is_default=True).stages.all()
    }
    plan = [
        ("Acme robots fleet", 12000, ["Qualified"]),
        ("Globex renewal", 8000, ["Qualified", "Proposal"]),
        ("Initech pilot", 4500, []),
        ("Umbrella expansion", 15000, ["Qualified", "Proposal", "Negotiation"]),
        ("Hooli seats", 6000, ["Won"]),
        ("Vandelay import", 2500, ["Lost"]),
    ]
    for title, amount, path in plan:
        deal = deal_create(
            workspace=workspace, actor=actor, title=title, stage=stages["Lead in"], amount=amount
        )
        for name in path:
            deal = deal_move(deal=deal, actor=actor, stage=stages[name])
    now = timezone.now()
    task_create(
        workspace=workspace,
        actor=actor,
        title="Send John the proposal",
        due_at=now - datetime.timedelta(days=1),
        priority="high",
        assignee=user,
        subject_type="contact",
        subject_id=john.pk,
    )
    task_create(
        workspace=workspace,
        actor=actor,
        title="Call Acme about the fleet",
        due_at=now + datetime.timedelta(minutes=30),
        assignee=user,
    )
    return john


def _stub_record_pages(page):
    """Contact pages are another section's; if their route is not there yet, answer the
    navigation in the browser so the click can still be checked (no 404 console error)."""
    try:
        resolve("/contacts/00000000-0000-0000-0000-000000000000/")
    except Resolver404:
        page.route(
            re.compile(r".*/contacts/[0-9a-f-]+/$"),
            lambda route: route.fulfill(
                status=200, content_type="text/html", body="<!doctype html><title>Contact</title>"
            ),
        )


def test_dashboard_draws_charts_and_search_finds_misspelt_name(signed_in, ui_user):
    page = signed_in
    john = _seed(ui_user)
    _stub_record_pages(page)

    # given the dashboard, reached from the sidebar
    page.get_by_role("link", name="Dashboard").first.click()
    page.wait_for_url("**/dashboard/")
    page.get_by_role("heading", name="Pipeline value by stage").wait_for()
    # then both charts are drawn on their canvases by Chart.js
    page.wait_for_function(
        "window.Chart && Chart.getChart('chart-stages') && Chart.getChart('chart-contacts')"
    )
    assert page.locator("canvas#chart-stages").count() == 1
    assert page.locator("canvas#chart-contacts").count() == 1
    assert page.get_by_text("Send John the proposal").is_visible()
    page.wait_for_timeout(700)  # let the chart animation finish before the screenshot
    screenshot(page, "dashboard")

    # when a misspelt name is typed in the top bar
    search = page.get_by_role("combobox", name="Search contacts, companies and deals")
    search.click()
    search.press_sequentially("Jonh Smiht", delay=40)
    option = page.get_by_role("option").filter(has_text="John Smith")
    option.wait_for()
    screenshot(page, "search-dropdown")

    # then the result is there, and the arrow keys highlight it
    search.press("ArrowDown")
    assert page.locator("[data-search-option].is-active").count() == 1
    # and clicking it opens the contact
    option.get_by_role("link").click()
    page.wait_for_url(f"**/contacts/{john.pk}/")


def test_search_enter_without_selection_opens_results_page(signed_in, ui_user):
    page = signed_in
    _seed(ui_user)
    search = page.get_by_role("combobox", name="Search contacts, companies and deals")
    search.fill("acme")
    search.press("Enter")
    page.wait_for_url(re.compile(r".*/search/\?q=acme$"))
    page.get_by_role("heading", name="Results for “acme”").wait_for()
    assert page.get_by_role("link", name=re.compile("Acme Robotics")).count() >= 1
    screenshot(page, "search-results")


def test_tasks_complete_with_one_click(signed_in, ui_user):
    page = signed_in
    _seed(ui_user)
    page.get_by_role("link", name="Tasks").first.click()
    page.wait_for_url("**/tasks/")
    row = page.locator("li.task", has_text="Send John the proposal")
    assert "task--overdue" in (row.get_attribute("class") or "")
    screenshot(page, "tasks")
    row.get_by_role("button", name=re.compile("^Complete")).click()
    page.locator("li.task.task--done", has_text="Send John the proposal").wait_for()
    # the list was not reloaded: the row was swapped in place
    assert page.url.endswith("/tasks/")


def test_dashboard_on_a_phone(signed_in, ui_user):
    page = signed_in
    _seed(ui_user)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/dashboard/")
    page.wait_for_function("window.Chart && Chart.getChart('chart-stages')")
    # nothing wider than the screen
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 15)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    page.wait_for_timeout(700)
    screenshot(page, "dashboard-phone")
