"""Contact, company and deal pages: lists, create forms, record pages, the timeline and
what is added to it, inline edits and deletes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from crm.models import Company, Contact, Note, Task, TimelineEvent
from crm.services.activity import activity_create, note_create, task_create
from crm.services.companies import company_create
from crm.services.contacts import contact_create, contact_update
from pipelines.models import Deal
from pipelines.services.deals import deal_create, deal_move
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CustomFieldFactory,
    DealFactory,
    MembershipFactory,
    TagFactory,
    default_stage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(client, workspace):
    membership = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    client.force_login(membership.user)
    return client


def _records(workspace, actor):
    company = company_create(workspace=workspace, actor=actor, name="Acme", domain="acme.test")
    contact = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.test",
        company=company.pk,
    )
    deal = deal_create(
        workspace=workspace,
        actor=actor,
        title="Acme renewal",
        company=company.pk,
        contacts=[{"id": contact.pk, "role": "Champion"}],
        amount=5000,
    )
    return contact, company, deal


# --- Lists ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "empty_text"),
    [
        ("crm:contact_list", "No contacts yet"),
        ("crm:company_list", "No companies yet"),
        ("pipelines:deal_list", "No deals yet"),
    ],
)
def test_empty_lists_say_what_to_do(signed_in, url_name, empty_text):
    response = signed_in.get(reverse(url_name))
    assert response.status_code == 200
    assert empty_text in response.content.decode()


def test_lists_show_records_with_related_columns(signed_in, workspace, actor):
    contact, company, _deal = _records(workspace, actor)
    html = signed_in.get(reverse("crm:contact_list")).content.decode()
    assert "Ada Lovelace" in html and "ada@acme.test" in html and "Acme" in html
    assert reverse("crm:contact_detail", args=[contact.pk]) in html
    html = signed_in.get(reverse("crm:company_list")).content.decode()
    assert reverse("crm:company_detail", args=[company.pk]) in html
    html = signed_in.get(reverse("pipelines:deal_list")).content.decode()
    assert "Acme renewal" in html and "5,000 USD" in html


def test_contact_list_search_filters_and_sort(signed_in, workspace, user, actor):
    vip = TagFactory(workspace=workspace, name="vip")
    ada = ContactFactory(workspace=workspace, first_name="Ada", last_name="Zed", status="customer")
    ada.tags.add(vip)
    bob = ContactFactory(workspace=workspace, first_name="Bob", last_name="Young", owner=user)
    url = reverse("crm:contact_list")
    assert "Ada Zed" in signed_in.get(url, {"q": "ada"}).content.decode()
    assert "Bob Young" not in signed_in.get(url, {"q": "ada"}).content.decode()
    html = signed_in.get(url, {"status": "customer"}).content.decode()
    assert "Ada Zed" in html and "Bob Young" not in html
    html = signed_in.get(url, {"owner": "me"}).content.decode()
    assert "Bob Young" in html and "Ada Zed" not in html
    html = signed_in.get(url, {"owner": "unassigned"}).content.decode()
    assert "Ada Zed" in html and "Bob Young" not in html
    html = signed_in.get(url, {"tags": "vip"}).content.decode()
    assert "Ada Zed" in html and "Bob Young" not in html
    html = signed_in.get(url, {"sort": "name"}).content.decode()
    assert html.index("Ada Zed") < html.index("Bob Young")
    assert 'aria-sort="ascending"' in html
    html = signed_in.get(url, {"sort": "-name"}).content.decode()
    assert html.index("Bob Young") < html.index("Ada Zed")
    assert bob.pk and "No contacts match" in signed_in.get(url, {"q": "nobody"}).content.decode()


def test_bad_sort_or_owner_is_explained_not_a_crash(signed_in):
    response = signed_in.get(reverse("crm:contact_list"), {"sort": "shoe_size"})
    assert response.status_code == 200
    assert "Cannot sort by" in response.content.decode()
    response = signed_in.get(reverse("crm:contact_list"), {"owner": "nobody"})
    assert "Use a user id" in response.content.decode()


def test_list_pages_by_cursor(signed_in, workspace):
    ContactFactory.create_batch(30, workspace=workspace)
    response = signed_in.get(reverse("crm:contact_list"))
    next_url = response.context["next_url"]
    assert next_url and "cursor=" in next_url
    assert len(response.context["rows"]) == 25
    second = signed_in.get(reverse("crm:contact_list") + next_url)
    assert len(second.context["rows"]) == 5
    assert not {c.pk for c in second.context["rows"]} & {c.pk for c in response.context["rows"]}
    assert second.context["next_url"] is None


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("crm:contact_list", "contacts"),
        ("crm:company_list", "companies"),
        ("pipelines:deal_list", "deals"),
    ],
)
def test_list_query_count_does_not_grow_with_rows(signed_in, workspace, user, url_name, make):
    tag = TagFactory(workspace=workspace, name="hot")

    def add(n):
        for _ in range(n):
            company = CompanyFactory(workspace=workspace, owner=user)
            company.tags.add(tag)
            if make == "contacts":
                contact = ContactFactory(workspace=workspace, company=company, owner=user)
                contact.tags.add(tag)
            elif make == "deals":
                DealFactory(workspace=workspace, company=company, owner=user)

    add(10)
    signed_in.get(reverse(url_name))  # the first request stores the workspace in the session
    with CaptureQueriesContext(connection) as few:
        assert signed_in.get(reverse(url_name)).status_code == 200
    add(190)
    with CaptureQueriesContext(connection) as many:
        assert signed_in.get(reverse(url_name)).status_code == 200
    assert len(many) == len(few)


# --- Create forms -----------------------------------------------------------------------------


def test_create_company_then_contact_linked(signed_in, workspace):
    response = signed_in.post(
        reverse("crm:company_create"),
        {"name": "Globex", "domain": "globex.test", "relationship": "customer"},
    )
    company = Company.objects.for_workspace(workspace).get(name="Globex")
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:company_detail", args=[company.pk])
    response = signed_in.post(
        reverse("crm:contact_create"),
        {
            "first_name": "Hank",
            "last_name": "Scorpio",
            "email": "hank@globex.test",
            "company": str(company.pk),
            "status": "lead",
            "tags": "vip, boss",
        },
    )
    contact = Contact.objects.for_workspace(workspace).get(email="hank@globex.test")
    assert response["Location"] == reverse("crm:contact_detail", args=[contact.pk])
    assert contact.company_id == company.pk
    assert sorted(t.name for t in contact.tags.all()) == ["boss", "vip"]


def test_create_deal(signed_in, workspace, actor):
    contact, company, _ = _records(workspace, actor)
    stage = default_stage(workspace)
    response = signed_in.post(
        reverse("pipelines:deal_create"),
        {
            "title": "Big one",
            "stage": str(stage.pk),
            "amount": "1200",
            "company": str(company.pk),
            "contact": str(contact.pk),
            "contact_role": "Buyer",
        },
    )
    deal = Deal.objects.for_workspace(workspace).get(title="Big one")
    assert response["Location"] == reverse("pipelines:deal_detail", args=[deal.pk])
    assert deal.deal_contacts.get().role == "Buyer"


def test_create_form_errors_keep_typed_values(signed_in, workspace, actor):
    contact_create(workspace=workspace, actor=actor, first_name="Taken", email="taken@x.test")
    response = signed_in.post(
        reverse("crm:contact_create"),
        {"first_name": "Typed Name", "email": "taken@x.test", "status": "lead"},
    )
    assert response.status_code == 200  # 200: a 4xx page is a console error in browsers
    html = response.content.decode()
    assert 'value="Typed Name"' in html
    assert "taken@x.test exists" in html
    response = signed_in.post(reverse("crm:contact_create"), {"status": "lead"})
    assert "Give a first or last name, or an email." in response.content.decode()
    response = signed_in.post(reverse("crm:company_create"), {"domain": "kept.test"})
    assert response.status_code == 200  # 200: a 4xx page is a console error in browsers
    assert 'value="kept.test"' in response.content.decode()
    assert "This field is required." in response.content.decode()
    response = signed_in.post(reverse("pipelines:deal_create"), {"title": "", "amount": "-3"})
    assert response.status_code == 200  # 200: a 4xx page is a console error in browsers
    assert 'value="-3"' in response.content.decode()


# --- Record pages -----------------------------------------------------------------------------


def test_record_pages_show_related_records(signed_in, workspace, actor):
    contact, company, deal = _records(workspace, actor)
    CustomFieldFactory(workspace=workspace, object_type="contact", key="tier", label="Tier")
    contact_update(contact=contact, actor=actor, data={"custom_fields": {"tier": "gold"}})
    html = signed_in.get(reverse("crm:contact_detail", args=[contact.pk])).content.decode()
    assert "Ada Lovelace" in html and "Acme renewal" in html and "Champion" in html
    assert "Tier" in html and "gold" in html
    html = signed_in.get(reverse("crm:company_detail", args=[company.pk])).content.decode()
    assert "Ada Lovelace" in html and "Acme renewal" in html
    html = signed_in.get(reverse("pipelines:deal_detail", args=[deal.pk])).content.decode()
    assert "Ada Lovelace" in html and "Champion" in html and "Acme" in html


def test_timeline_shows_notes_tasks_activities_changes_and_stage_moves(signed_in, workspace, actor):
    contact, _, deal = _records(workspace, actor)
    note_create(
        workspace=workspace,
        actor=actor,
        subject_type="contact",
        subject_id=contact.pk,
        body="Met at **the fair**",
    )
    task_create(
        workspace=workspace,
        actor=actor,
        title="Send the proposal",
        subject_type="contact",
        subject_id=contact.pk,
    )
    activity_create(
        workspace=workspace,
        actor=actor,
        type="call",
        subject_type="contact",
        subject_id=contact.pk,
        subject="Discovery call",
    )
    contact_update(contact=contact, actor=actor, data={"job_title": "Countess"})
    html = signed_in.get(reverse("crm:contact_detail", args=[contact.pk])).content.decode()
    assert "<strong>the fair</strong>" in html
    assert "added a task" in html and "Send the proposal" in html
    assert "logged an activity" in html and "Discovery call" in html
    assert "Job title" in html and "Countess" in html
    target = default_stage(workspace).pipeline.stages.exclude(pk=deal.stage_id).first()
    deal_move(deal=deal, actor=actor, stage=target)
    html = signed_in.get(reverse("pipelines:deal_detail", args=[deal.pk])).content.decode()
    assert "moved" in html and target.name in html


def _events(workspace, contact, n):
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            workspace=workspace,
            subject_type="contact",
            subject_id=contact.pk,
            verb="updated",
            actor_name="Importer",
            changes=[{"field": "job_title", "from": "a", "to": f"b{i}"}],
        )
        for i in range(n)
    )


def test_timeline_load_more_pages_by_cursor(signed_in, workspace, actor):
    contact = ContactFactory(workspace=workspace)
    _events(workspace, contact, 45)
    response = signed_in.get(reverse("crm:contact_detail", args=[contact.pk]))
    assert len(response.context["events"]) == 20
    cursor = response.context["next_cursor"]
    assert "Load more" in response.content.decode()
    url = reverse("crm:record_timeline", args=["contact", contact.pk])
    page2 = signed_in.get(url, {"cursor": cursor}, headers={"HX-Request": "true"})
    assert len(page2.context["events"]) == 20
    page3 = signed_in.get(url, {"cursor": page2.context["next_cursor"]})
    assert len(page3.context["events"]) == 5 and page3.context["next_cursor"] is None
    seen = {e.pk for p in (response, page2, page3) for e in p.context["events"]}
    assert len(seen) == 45
    assert signed_in.get(url, {"cursor": "garbage"}).status_code == 400


@pytest.mark.parametrize("kind", ["contact", "company", "deal"])
def test_record_page_query_count_does_not_grow_with_timeline(signed_in, workspace, actor, kind):
    contact, company, deal = _records(workspace, actor)
    record = {"contact": contact, "company": company, "deal": deal}[kind]
    url = reverse(
        {
            "contact": "crm:contact_detail",
            "company": "crm:company_detail",
            "deal": "pipelines:deal_detail",
        }[kind],
        args=[record.pk],
    )

    def add(n):
        for i in range(n):
            note_create(
                workspace=workspace,
                actor=actor,
                subject_type=kind,
                subject_id=record.pk,
                body=f"note {i}",
            )

    add(10)
    signed_in.get(url)  # the first request stores the workspace in the session
    with CaptureQueriesContext(connection) as few:
        assert signed_in.get(url).status_code == 200
    add(190)
    with CaptureQueriesContext(connection) as many:
        assert signed_in.get(url).status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "url_name",
    [
        "crm:contact_detail",
        "crm:contact_summary",
        "crm:contact_delete",
        "crm:company_detail",
        "crm:company_summary",
        "crm:company_delete",
        "pipelines:deal_detail",
        "pipelines:deal_summary",
        "pipelines:deal_delete",
    ],
)
def test_other_workspaces_records_are_404(signed_in, other_workspace, url_name):
    from accounts.services.common import Actor

    theirs, their_company, their_deal = _records(other_workspace, Actor.system())
    pk = {"contact": theirs, "company": their_company, "deal": their_deal}[
        "contact" if "contact" in url_name else "company" if "company" in url_name else "deal"
    ].pk
    assert signed_in.get(reverse(url_name, args=[pk])).status_code == 404
    assert signed_in.post(reverse(url_name, args=[pk])).status_code == 404


def test_other_workspaces_timeline_and_notes_are_404(signed_in, other_workspace):
    from accounts.services.common import Actor

    theirs, _, _ = _records(other_workspace, Actor.system())
    for name in ("crm:record_note", "crm:record_task", "crm:record_activity"):
        url = reverse(name, args=["contact", theirs.pk])
        assert signed_in.post(url, {"note-body": "x"}).status_code == 404
    url = reverse("crm:record_timeline", args=["contact", theirs.pk])
    assert signed_in.get(url).status_code == 404
    url = reverse("crm:record_timeline", args=["planet", theirs.pk])
    assert signed_in.get(url).status_code == 404
    assert not Note.objects.filter(subject_id=theirs.pk).exists()


# --- Adding to the timeline -------------------------------------------------------------------


def test_add_note_task_activity_plain_posts(signed_in, workspace, actor):
    contact, _, _ = _records(workspace, actor)
    detail = reverse("crm:contact_detail", args=[contact.pk])
    response = signed_in.post(
        reverse("crm:record_note", args=["contact", contact.pk]), {"note-body": "Hello *there*"}
    )
    assert response.status_code == 302 and response["Location"] == detail
    response = signed_in.post(
        reverse("crm:record_task", args=["contact", contact.pk]),
        {"task-title": "Call back", "task-priority": "high", "task-due_date": "2030-01-02"},
    )
    assert response.status_code == 302
    task = Task.objects.for_workspace(workspace).get(title="Call back")
    assert task.subject_id == contact.pk and task.due_at.year == 2030
    response = signed_in.post(
        reverse("crm:record_activity", args=["contact", contact.pk]),
        {
            "activity-type": "meeting",
            "activity-subject": "Lunch",
            "activity-duration_minutes": "45",
        },
    )
    assert response.status_code == 302
    html = signed_in.get(detail).content.decode()
    assert "<em>there</em>" in html and "Call back" in html and "Lunch" in html


def test_add_note_with_htmx_returns_fresh_form_and_timeline(signed_in, workspace, actor):
    _, _, deal = _records(workspace, actor)
    response = signed_in.post(
        reverse("crm:record_note", args=["deal", deal.pk]),
        {"note-body": "Deal note"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="composer-note"' in html and "Note added." in html
    assert 'hx-swap-oob="outerHTML"' in html and "Deal note" in html


def test_composer_errors_keep_values(signed_in, workspace, actor):
    contact, _, _ = _records(workspace, actor)
    url = reverse("crm:record_task", args=["contact", contact.pk])
    response = signed_in.post(url, {"task-title": "", "task-priority": "high"})
    assert response.status_code == 200  # 200: a 4xx page is a console error in browsers
    assert "This field is required." in response.content.decode()
    response = signed_in.post(
        reverse("crm:record_note", args=["contact", contact.pk]),
        {"note-body": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert "hx-swap-oob" not in response.content.decode()
    response = signed_in.post(
        reverse("crm:record_activity", args=["contact", contact.pk]),
        {"activity-type": "call", "activity-subject": "Kept", "activity-duration_minutes": "-1"},
    )
    assert response.status_code == 200  # 200: a 4xx page is a console error in browsers
    assert 'value="Kept"' in response.content.decode()


def test_markdown_preview_is_sanitised(signed_in):
    response = signed_in.post(
        reverse("crm:markdown_preview"), {"note-body": "**bold** <script>alert(1)</script>"}
    )
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html


# --- Inline edits and deletes -----------------------------------------------------------------


def test_inline_edit_contact_with_htmx_and_plain(signed_in, workspace, actor, user):
    contact, _, _ = _records(workspace, actor)
    url = reverse("crm:contact_summary", args=[contact.pk])
    response = signed_in.get(url, headers={"HX-Request": "true"})
    assert '<form method="post"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert signed_in.get(url).status_code == 200  # a page of its own without htmx
    response = signed_in.post(
        url,
        {"job_title": "CTO", "status": "customer", "owner": str(user.pk)},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "CTO" in html and "Customer" in html and "<form" not in html
    contact.refresh_from_db()
    assert contact.status == "customer" and contact.owner_id == user.pk
    response = signed_in.post(url, {"job_title": "CEO", "status": "lead", "owner": ""})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.job_title == "CEO" and contact.owner_id is None
    response = signed_in.post(url, {"job_title": "x", "status": "wizard"})
    assert response.status_code == 200  # 200: a 4xx page is a console error in browsers
    assert 'value="x"' in response.content.decode()


def test_inline_edit_company_and_deal(signed_in, workspace, actor):
    _, company, deal = _records(workspace, actor)
    signed_in.post(
        reverse("crm:company_summary", args=[company.pk]),
        {"industry": "Rockets", "relationship": "partner"},
    )
    company.refresh_from_db()
    assert company.industry == "Rockets" and company.relationship == "partner"
    signed_in.post(
        reverse("pipelines:deal_summary", args=[deal.pk]),
        {"amount": "777", "expected_close_date": "2031-05-06"},
    )
    deal.refresh_from_db()
    assert deal.amount == 777 and str(deal.expected_close_date) == "2031-05-06"


@pytest.mark.parametrize(
    ("kind", "url_name", "list_name", "model"),
    [
        ("contact", "crm:contact_delete", "crm:contact_list", Contact),
        ("company", "crm:company_delete", "crm:company_list", Company),
        ("deal", "pipelines:deal_delete", "pipelines:deal_list", Deal),
    ],
)
def test_delete_asks_first(signed_in, workspace, actor, kind, url_name, list_name, model):
    records = dict(zip(("contact", "company", "deal"), _records(workspace, actor), strict=True))
    record = records[kind]
    url = reverse(url_name, args=[record.pk])
    response = signed_in.get(url)
    assert response.status_code == 200 and "cannot be undone" in response.content.decode()
    assert model.objects.filter(pk=record.pk).exists()
    response = signed_in.post(url)
    assert response["Location"] == reverse(list_name)
    assert not model.objects.filter(pk=record.pk).exists()


# --- Viewers ----------------------------------------------------------------------------------


def test_viewer_reads_but_cannot_write(viewer_client, workspace, actor):
    contact, company, deal = _records(workspace, actor)
    html = viewer_client.get(reverse("crm:contact_detail", args=[contact.pk])).content.decode()
    assert "Ada Lovelace" in html
    assert "Add note" not in html and reverse("crm:contact_delete", args=[contact.pk]) not in html
    assert "New contact" not in viewer_client.get(reverse("crm:contact_list")).content.decode()
    posts = [
        (reverse("crm:contact_create"), {"first_name": "X"}),
        (reverse("crm:company_create"), {"name": "X"}),
        (reverse("pipelines:deal_create"), {"title": "X"}),
        (reverse("crm:contact_summary", args=[contact.pk]), {"status": "lead"}),
        (reverse("crm:company_summary", args=[company.pk]), {"relationship": "partner"}),
        (reverse("pipelines:deal_summary", args=[deal.pk]), {"amount": "1"}),
        (reverse("crm:contact_delete", args=[contact.pk]), {}),
        (reverse("crm:company_delete", args=[company.pk]), {}),
        (reverse("pipelines:deal_delete", args=[deal.pk]), {}),
        (reverse("crm:record_note", args=["contact", contact.pk]), {"note-body": "x"}),
        (reverse("crm:record_task", args=["contact", contact.pk]), {"task-title": "x"}),
        (reverse("crm:record_activity", args=["contact", contact.pk]), {"activity-type": "call"}),
    ]
    for url, data in posts:
        assert viewer_client.post(url, data).status_code == 403, url
    assert Contact.objects.for_workspace(workspace).count() == 1
    assert not Note.objects.for_workspace(workspace).exists()


def test_pages_need_sign_in(client):
    response = client.get(reverse("crm:contact_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
