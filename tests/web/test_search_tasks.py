"""Global search (/search/, full page and type-ahead fragment) and the tasks page (/tasks/)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from crm.models import Task
from crm.services.contacts import contact_create
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealFactory,
    MembershipFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(client, workspace):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client.force_login(viewer)
    return client


# --- Search ---------------------------------------------------------------------------------


def test_search_box_in_top_bar(signed_in):
    html = signed_in.get("/").content.decode()
    assert 'id="global-search"' in html
    assert 'role="combobox"' in html
    assert "js/search.js" in html


def test_search_page_empty(signed_in):
    response = signed_in.get("/search/")
    assert response.status_code == 200
    assert "Find anything" in response.content.decode()


def test_search_finds_misspelt_name(signed_in, workspace, actor):
    contact = contact_create(workspace=workspace, actor=actor, first_name="John", last_name="Smith")
    response = signed_in.get("/search/", {"q": "Jonh Smiht"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "John Smith" in html
    assert f'href="/contacts/{contact.pk}/"' in html


def test_search_fragment_groups_and_links(signed_in, workspace, actor):
    contact = contact_create(workspace=workspace, actor=actor, first_name="Acme", last_name="Buyer")
    company = CompanyFactory(workspace=workspace, name="Acme Corp")
    deal = DealFactory(workspace=workspace, title="Acme renewal")
    response = signed_in.get("/search/", {"q": "acme"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # only the dropdown
    assert f'href="/contacts/{contact.pk}/"' in html
    assert f'href="/companies/{company.pk}/"' in html
    assert f'href="/deals/{deal.pk}/"' in html
    assert 'role="option"' in html
    assert "See all results" in html


def test_search_never_shows_another_workspace(signed_in, workspace, other_workspace):
    ContactFactory(workspace=other_workspace, first_name="Secret", last_name="Person")
    CompanyFactory(workspace=other_workspace, name="Secret Company")
    for params in ({"q": "Secret"}, {"q": "Secrte Person"}):
        assert "Secret" not in signed_in.get("/search/", params, **HTMX).content.decode().replace(
            "“Secret", ""
        ).replace("“Secrte", "")
        page = signed_in.get("/search/", params).content.decode()
        assert "Secret Person" not in page and "Secret Company" not in page


def test_search_no_match_says_so(signed_in):
    html = signed_in.get("/search/", {"q": "zzqqxx"}, **HTMX).content.decode()
    assert "No contacts, companies or deals match" in html


def test_search_requires_sign_in(client):
    assert client.get("/search/", {"q": "x"}).status_code == 302


def test_search_query_count_does_not_grow(signed_in, workspace):
    def count() -> int:
        signed_in.get("/search/", {"q": "Smith"})
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get("/search/", {"q": "Smith"}).status_code == 200
        return len(queries)

    ContactFactory.create_batch(10, workspace=workspace, last_name="Smith")
    small = count()
    ContactFactory.create_batch(190, workspace=workspace, last_name="Smith")
    assert count() == small


# --- Tasks ----------------------------------------------------------------------------------


def test_tasks_page_groups_by_due_date(signed_in, user, workspace, member):
    now = timezone.now()
    TaskFactory(
        workspace=workspace,
        assignee=user,
        title="Late one",
        due_at=now - datetime.timedelta(days=1),
    )
    TaskFactory(
        workspace=workspace,
        assignee=user,
        title="Later one",
        due_at=now + datetime.timedelta(days=3),
    )
    TaskFactory(workspace=workspace, assignee=user, title="Someday")
    TaskFactory(workspace=workspace, assignee_id=member.pk, title="Member's task")
    response = signed_in.get("/tasks/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "task--overdue" in html
    assert html.index("Late one") < html.index("Later one") < html.index("Someday")
    assert "Member's task" not in html.replace("&#x27;", "'")
    assert "Member's task" in signed_in.get("/tasks/?show=all").content.decode().replace(
        "&#x27;", "'"
    )


def test_tasks_completed_filter(signed_in, user, workspace):
    TaskFactory(workspace=workspace, assignee=user, title="Finished", completed_at=timezone.now())
    TaskFactory(workspace=workspace, assignee=user, title="Still open")
    html = signed_in.get("/tasks/?show=completed").content.decode()
    assert "Finished" in html and "Still open" not in html
    assert "Finished" not in signed_in.get("/tasks/").content.decode()


def test_tasks_empty_state(signed_in):
    assert "all caught up" in signed_in.get("/tasks/").content.decode()


def test_complete_task_plain_post(signed_in, user, workspace):
    task = TaskFactory(workspace=workspace, assignee=user, title="Send quote")
    response = signed_in.post(f"/tasks/{task.pk}/complete/", {"next": "/dashboard/"})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    task.refresh_from_db()
    assert task.completed_at is not None


def test_complete_task_htmx_returns_row(signed_in, user, workspace):
    task = TaskFactory(workspace=workspace, assignee=user, title="Send quote")
    response = signed_in.post(f"/tasks/{task.pk}/complete/", {"next": "/tasks/"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith("<li") and "task--done" in html
    assert f"/tasks/{task.pk}/reopen/" in html
    response = signed_in.post(f"/tasks/{task.pk}/reopen/", **HTMX)
    task.refresh_from_db()
    assert task.completed_at is None


def test_complete_ignores_offsite_next(signed_in, user, workspace):
    task = TaskFactory(workspace=workspace, assignee=user)
    response = signed_in.post(f"/tasks/{task.pk}/complete/", {"next": "https://evil.example/"})
    assert response["Location"] == "/tasks/"


def test_viewer_cannot_complete_or_add(viewer_client, workspace):
    task = TaskFactory(workspace=workspace, title="Not yours to tick")
    assert viewer_client.post(f"/tasks/{task.pk}/complete/").status_code == 403
    task.refresh_from_db()
    assert task.completed_at is None
    assert viewer_client.post("/tasks/", {"title": "Nope", "priority": "low"}).status_code == 403
    html = viewer_client.get("/tasks/?show=all").content.decode()
    assert "Not yours to tick" in html
    assert "/complete/" not in html and "Add a task" not in html


def test_other_workspace_task_is_404(signed_in, other_workspace):
    theirs = TaskFactory(workspace=other_workspace)
    assert signed_in.post(f"/tasks/{theirs.pk}/complete/").status_code == 404
    assert signed_in.post(f"/tasks/{theirs.pk}/reopen/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.completed_at is None


def test_complete_needs_post(signed_in, user, workspace):
    task = TaskFactory(workspace=workspace, assignee=user)
    assert signed_in.get(f"/tasks/{task.pk}/complete/").status_code == 405


def test_add_task(signed_in, user, workspace):
    response = signed_in.post(
        "/tasks/", {"title": "Call Ada", "due_at": "2030-01-02T09:30", "priority": "high"}
    )
    assert response.status_code == 302
    task = Task.objects.get(workspace=workspace, title="Call Ada")
    assert task.assignee == user
    assert task.priority == "high"
    assert task.due_at == datetime.datetime(2030, 1, 2, 9, 30, tzinfo=datetime.UTC)
    follow = signed_in.get(response["Location"]).content.decode()
    assert "Call Ada" in follow and "added" in follow


def test_add_task_errors_keep_values(signed_in, workspace):
    response = signed_in.post(
        "/tasks/", {"title": "", "due_at": "tomorrow-ish", "priority": "high"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in html
    assert "Enter a valid date/time." in html
    assert 'value="tomorrow-ish"' in html
    assert not Task.objects.filter(workspace=workspace).exists()


def test_tasks_query_count_does_not_grow(signed_in, user, workspace):
    def fill(n: int) -> None:
        now = timezone.now()
        for i in range(n):
            contact = ContactFactory(workspace=workspace)
            TaskFactory(
                workspace=workspace,
                assignee=user,
                due_at=now + datetime.timedelta(hours=i - n // 2) if i % 3 else None,
                subject_type="contact",
                subject_id=contact.pk,
            )

    def count(show: str) -> int:
        signed_in.get("/tasks/", {"show": show})
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get("/tasks/", {"show": show}).status_code == 200
        return len(queries)

    fill(10)
    small = {show: count(show) for show in ("mine", "all", "completed")}
    fill(190)
    assert {show: count(show) for show in ("mine", "all", "completed")} == small
