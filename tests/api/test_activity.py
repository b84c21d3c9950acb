"""/api/v1/notes, /tasks, /activities and a contact's notes, tasks, activities, deals and
companies: success, validation failure, missing scope, another workspace's id, no credential,
bounded queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Activity, Note, Task, TimelineEvent
from pipelines.models import DealContact
from tests.api.conftest import assert_error
from tests.factories import (
    ActivityFactory,
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    DealFactory,
    NoteFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def query_count(client, url: str) -> int:
    """Queries of one GET, after a warm-up request (the key's last_used_at write)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["data"]]


# --- Notes --------------------------------------------------------------------------------------


def test_create_note_renders_sanitised_html_and_records_timeline(api, workspace):
    # given
    contact = ContactFactory(workspace=workspace)
    # when
    response = api.post(
        "/api/v1/notes",
        {
            "subject_type": "contact",
            "subject_id": str(contact.pk),
            "body": "**Met** at the fair <script>alert(1)</script>",
            "pinned": True,
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/notes/{body['id']}"
    assert response["ETag"].startswith('"')
    assert "<strong>Met</strong>" in body["body_html"]
    assert "<script>" not in body["body_html"]
    assert body["subject_type"] == "contact" and body["subject_id"] == str(contact.pk)
    assert body["pinned"] is True and body["archived_at"] is None
    assert body["author"] is None  # an API key has no user
    assert body["created_at"].endswith("Z")
    assert TimelineEvent.objects.filter(subject_id=contact.pk, verb="note_added").exists()


def test_create_note_validation_failures_are_400_naming_the_field(api, workspace):
    contact = ContactFactory(workspace=workspace)
    subject = {"subject_type": "contact", "subject_id": str(contact.pk)}
    assert_error(api.post("/api/v1/notes", subject, format="json"), 400, field="body")
    assert_error(
        api.post("/api/v1/notes", {**subject, "body": "  "}, format="json"), 400, field="body"
    )
    assert_error(
        api.post("/api/v1/notes", {**subject, "subject_type": "x", "body": "b"}, format="json"),
        400,
        field="subject_type",
    )
    assert_error(
        api.post("/api/v1/notes", {**subject, "body": "b", "workspace": "x"}, format="json"),
        400,
        field="workspace",
    )
    assert not Note.objects.exists()


def test_note_on_unknown_or_foreign_subject_is_404(api, workspace, other_workspace):
    theirs = ContactFactory(workspace=other_workspace)
    company = CompanyFactory(workspace=workspace)
    assert_error(
        api.post(
            "/api/v1/notes",
            {"subject_type": "contact", "subject_id": str(theirs.pk), "body": "b"},
            format="json",
        ),
        404,
    )
    # a company id given as a contact is unknown too
    assert_error(
        api.post(
            "/api/v1/notes",
            {"subject_type": "contact", "subject_id": str(company.pk), "body": "b"},
            format="json",
        ),
        404,
    )
    assert not Note.objects.exists()


def test_notes_need_their_scopes(make_client, workspace):
    note = NoteFactory(contact=ContactFactory(workspace=workspace))
    reader = make_client("notes:read")
    assert reader.get("/api/v1/notes").status_code == 200
    body = assert_error(
        reader.patch(f"/api/v1/notes/{note.pk}", {"pinned": True}, format="json"), 403
    )
    assert "notes:write" in body["message"]
    body = assert_error(make_client("contacts:read").get("/api/v1/notes"), 403)
    assert "notes:read" in body["message"]


def test_notes_without_credential_are_401(anonymous):
    assert_error(anonymous.get("/api/v1/notes"), 401)
    assert_error(anonymous.post("/api/v1/notes", {"body": "x"}, format="json"), 401)


def test_another_workspaces_note_is_404_for_every_method(api, other_workspace):
    theirs = NoteFactory(contact=ContactFactory(workspace=other_workspace), body="theirs")
    url = f"/api/v1/notes/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"body": "mine"}, format="json"), 404)
    assert_error(api.put(url, {"body": "mine"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    assert_error(api.get("/api/v1/notes/not-a-uuid"), 404)
    theirs.refresh_from_db()
    assert theirs.body == "theirs" and theirs.archived_at is None


def test_patch_note_rerenders_and_honours_if_match(api, workspace):
    note = NoteFactory(contact=ContactFactory(workspace=workspace))
    url = f"/api/v1/notes/{note.pk}"
    etag = api.get(url)["ETag"]
    assert_error(api.patch(url, {"body": "x"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    response = api.patch(
        url, {"body": "# Title", "pinned": True}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content
    assert response.json()["body_html"].startswith("<h1>")
    assert response.json()["pinned"] is True
    assert response["ETag"] != etag
    # PUT is a partial update
    response = api.put(url, {"pinned": False}, format="json")
    assert response.status_code == 200 and response.json()["body"] == "# Title"


def test_note_cannot_move_to_another_record(api, workspace):
    note = NoteFactory(contact=ContactFactory(workspace=workspace))
    other = ContactFactory(workspace=workspace)
    url = f"/api/v1/notes/{note.pk}"
    assert_error(
        api.patch(url, {"subject_id": str(other.pk)}, format="json"), 400, field="subject_id"
    )
    # echoing the current subject back is fine
    response = api.patch(
        url,
        {"subject_type": "contact", "subject_id": str(note.subject_id), "body": "same"},
        format="json",
    )
    assert response.status_code == 200, response.content


def test_deleting_a_note_archives_it(api, workspace):
    # given
    note = NoteFactory(contact=ContactFactory(workspace=workspace))
    kept = NoteFactory(contact=ContactFactory(workspace=workspace))
    # when
    assert api.delete(f"/api/v1/notes/{note.pk}").status_code == 204
    # then
    note.refresh_from_db()
    assert note.archived_at is not None
    assert ids(api.get("/api/v1/notes")) == [str(kept.pk)]
    assert set(ids(api.get("/api/v1/notes?include_archived=true"))) == {str(note.pk), str(kept.pk)}
    assert api.get(f"/api/v1/notes/{note.pk}").json()["archived_at"] is not None
    assert_error(api.get("/api/v1/notes?include_archived=maybe"), 400, field="include_archived")


def test_note_filters(api, workspace):
    contact = ContactFactory(workspace=workspace)
    company = CompanyFactory(workspace=workspace)
    on_contact = NoteFactory(contact=contact, pinned=True)
    on_company = Note.objects.create(
        workspace=workspace, subject_type="company", subject_id=company.pk, body="b"
    )
    url = f"/api/v1/notes?subject_type=contact&subject_id={contact.pk}"
    assert ids(api.get(url)) == [str(on_contact.pk)]
    assert ids(api.get("/api/v1/notes?subject_type=company")) == [str(on_company.pk)]
    assert ids(api.get("/api/v1/notes?pinned=true")) == [str(on_contact.pk)]
    assert_error(api.get("/api/v1/notes?subject_id=nope"), 400, field="subject_id")
    assert_error(api.get("/api/v1/notes?sort=body"), 400, field="sort")


def test_note_list_queries_do_not_grow_with_rows(api, workspace):
    contact = ContactFactory(workspace=workspace)
    NoteFactory.create_batch(3, contact=contact)
    few = query_count(api, "/api/v1/notes")
    NoteFactory.create_batch(27, contact=contact)
    assert query_count(api, "/api/v1/notes") == few


# --- Tasks --------------------------------------------------------------------------------------


def test_create_task_on_a_record_with_assignee(api, workspace, member):
    contact = ContactFactory(workspace=workspace)
    due = timezone.now() + datetime.timedelta(days=2)
    response = api.post(
        "/api/v1/tasks",
        {
            "title": "Call back",
            "due_at": due.isoformat(),
            "priority": "high",
            "assignee": str(member.pk),
            "subject_type": "contact",
            "subject_id": str(contact.pk),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/tasks/{body['id']}"
    assert body["assignee"] == str(member.pk) and body["priority"] == "high"
    assert body["completed"] is False and body["completed_at"] is None
    assert body["due_at"].endswith("Z")
    assert TimelineEvent.objects.filter(subject_id=contact.pk, verb="task_added").exists()


def test_create_standalone_completed_task(api):
    response = api.post("/api/v1/tasks", {"title": "File taxes", "completed": True}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["completed"] is True and body["completed_at"] is not None
    assert body["subject_type"] is None and body["subject_id"] is None


def test_create_task_validation_failures_are_400(api):
    stranger = UserFactory()
    assert_error(api.post("/api/v1/tasks", {"description": "x"}, format="json"), 400, field="title")
    assert_error(
        api.post("/api/v1/tasks", {"title": "t", "priority": "asap"}, format="json"),
        400,
        field="priority",
    )
    assert_error(
        api.post("/api/v1/tasks", {"title": "t", "assignee": str(stranger.pk)}, format="json"),
        400,
        field="assignee",
    )
    assert_error(
        api.post("/api/v1/tasks", {"title": "t", "subject_type": "contact"}, format="json"),
        400,
        field="subject_type",
    )
    assert not Task.objects.exists()


def test_task_on_foreign_subject_is_404(api, other_workspace):
    theirs = ContactFactory(workspace=other_workspace)
    assert_error(
        api.post(
            "/api/v1/tasks",
            {"title": "t", "subject_type": "contact", "subject_id": str(theirs.pk)},
            format="json",
        ),
        404,
    )
    assert not Task.objects.exists()


def test_complete_and_reopen_a_task(api, workspace):
    contact = ContactFactory(workspace=workspace)
    task = TaskFactory(workspace=workspace, subject_type="contact", subject_id=contact.pk)
    url = f"/api/v1/tasks/{task.pk}"
    response = api.patch(url, {"completed": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["completed"] is True and response.json()["completed_at"]
    assert TimelineEvent.objects.filter(subject_id=contact.pk, verb="task_completed").exists()
    response = api.put(url, {"completed": False, "title": "Again"}, format="json")
    assert response.status_code == 200
    assert response.json()["completed"] is False and response.json()["completed_at"] is None
    assert response.json()["title"] == "Again"
    assert_error(api.patch(url, {"completed": "perhaps"}, format="json"), 400, field="completed")


def test_patch_task_to_a_foreign_subject_is_404(api, workspace, other_workspace):
    task = TaskFactory(workspace=workspace)
    theirs = ContactFactory(workspace=other_workspace)
    assert_error(
        api.patch(
            f"/api/v1/tasks/{task.pk}",
            {"subject_type": "contact", "subject_id": str(theirs.pk)},
            format="json",
        ),
        404,
    )
    task.refresh_from_db()
    assert task.subject_id is None


def test_tasks_need_their_scopes(make_client, workspace):
    reader = make_client("tasks:read")
    assert reader.get("/api/v1/tasks").status_code == 200
    body = assert_error(reader.post("/api/v1/tasks", {"title": "t"}, format="json"), 403)
    assert "tasks:write" in body["message"]
    body = assert_error(make_client("notes:read").get("/api/v1/tasks"), 403)
    assert "tasks:read" in body["message"]


def test_tasks_without_credential_are_401(anonymous):
    assert_error(anonymous.get("/api/v1/tasks"), 401)


def test_another_workspaces_task_is_404_for_every_method(api, other_workspace):
    theirs = TaskFactory(workspace=other_workspace, title="Theirs")
    url = f"/api/v1/tasks/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"title": "Mine"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    theirs.refresh_from_db()
    assert theirs.title == "Theirs" and theirs.archived_at is None


def test_deleting_a_task_archives_it(api, workspace):
    task = TaskFactory(workspace=workspace)
    assert api.delete(f"/api/v1/tasks/{task.pk}").status_code == 204
    task.refresh_from_db()
    assert task.archived_at is not None
    assert ids(api.get("/api/v1/tasks")) == []
    assert ids(api.get("/api/v1/tasks?include_archived=true")) == [str(task.pk)]


def test_task_filters_including_overdue(api, workspace, member):
    now = timezone.now()
    overdue = TaskFactory(workspace=workspace, due_at=now - datetime.timedelta(days=1))
    done_late = TaskFactory(
        workspace=workspace, due_at=now - datetime.timedelta(days=2), completed_at=now
    )
    upcoming = TaskFactory(
        workspace=workspace, due_at=now + datetime.timedelta(days=3), assignee=member
    )
    undated = TaskFactory(workspace=workspace)

    assert ids(api.get("/api/v1/tasks?overdue=true")) == [str(overdue.pk)]
    assert set(ids(api.get("/api/v1/tasks?completed=false"))) == {
        str(overdue.pk),
        str(upcoming.pk),
        str(undated.pk),
    }
    assert ids(api.get("/api/v1/tasks?completed=true")) == [str(done_late.pk)]
    assert ids(api.get(f"/api/v1/tasks?assignee={member.pk}")) == [str(upcoming.pk)]
    assert str(upcoming.pk) not in ids(api.get("/api/v1/tasks?assignee=unassigned"))
    before = (now - datetime.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert set(ids(api.get("/api/v1/tasks", {"due_before": before}))) == {
        str(overdue.pk),
        str(done_late.pk),
    }
    assert ids(api.get("/api/v1/tasks", {"due_after": now.isoformat()})) == [str(upcoming.pk)]
    # an API key is nobody: "me" cannot be resolved
    assert_error(api.get("/api/v1/tasks?assignee=me"), 400, field="assignee")
    assert_error(api.get("/api/v1/tasks?due_before=soon"), 400, field="due_before")


def test_tasks_sort_by_due_date_soonest_first_undated_last(api, workspace):
    now = timezone.now()
    undated = TaskFactory(workspace=workspace)
    late = TaskFactory(workspace=workspace, due_at=now + datetime.timedelta(days=5))
    soon = TaskFactory(workspace=workspace, due_at=now + datetime.timedelta(days=1))
    middle = TaskFactory(workspace=workspace, due_at=now + datetime.timedelta(days=3))
    expected = [str(soon.pk), str(middle.pk), str(late.pk), str(undated.pk)]
    assert ids(api.get("/api/v1/tasks")) == expected
    first = api.get("/api/v1/tasks?sort=due_at&limit=2").json()
    assert [row["id"] for row in first["data"]] == expected[:2]
    cursor = first["meta"]["next_cursor"]
    assert ids(api.get(f"/api/v1/tasks?sort=due_at&limit=2&cursor={cursor}")) == expected[2:]
    newest = ids(api.get("/api/v1/tasks?sort=-created_at"))
    assert newest == [str(middle.pk), str(soon.pk), str(late.pk), str(undated.pk)]


def test_task_list_queries_do_not_grow_with_rows(api, workspace, member):
    TaskFactory.create_batch(3, workspace=workspace, assignee=member)
    few = query_count(api, "/api/v1/tasks")
    TaskFactory.create_batch(27, workspace=workspace, assignee=member)
    assert query_count(api, "/api/v1/tasks") == few


# --- Activities ---------------------------------------------------------------------------------


def test_log_an_activity_with_participants(api, workspace):
    contact = ContactFactory(workspace=workspace)
    colleague = ContactFactory(workspace=workspace)
    response = api.post(
        "/api/v1/activities",
        {
            "type": "call",
            "subject": "Discovery call",
            "body": "Talked pricing",
            "occurred_at": "2026-01-15T09:30:00Z",
            "duration_minutes": 30,
            "direction": "outbound",
            "outcome": "Interested",
            "subject_type": "contact",
            "subject_id": str(contact.pk),
            "participants": [str(contact.pk), str(colleague.pk)],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/activities/{body['id']}"
    assert body["occurred_at"] == "2026-01-15T09:30:00Z"
    assert body["duration_minutes"] == 30 and body["direction"] == "outbound"
    assert body["participants"] == sorted([str(contact.pk), str(colleague.pk)])
    assert TimelineEvent.objects.filter(subject_id=contact.pk, verb="activity_logged").exists()


def test_activity_validation_failures_are_400(api, workspace, other_workspace):
    contact = ContactFactory(workspace=workspace)
    theirs = ContactFactory(workspace=other_workspace)
    base = {"type": "call", "subject_type": "contact", "subject_id": str(contact.pk)}
    post = lambda data: api.post("/api/v1/activities", data, format="json")  # noqa: E731
    assert_error(post({**base, "type": "fax"}), 400, field="type")
    assert_error(post({**base, "duration_minutes": 5000}), 400, field="duration_minutes")
    assert_error(post({**base, "direction": "sideways"}), 400, field="direction")
    # a participant of another workspace is unknown here
    assert_error(post({**base, "participants": [str(theirs.pk)]}), 400, field="participants")
    assert not Activity.objects.exists()


def test_activity_on_foreign_subject_is_404(api, other_workspace):
    theirs = ContactFactory(workspace=other_workspace)
    assert_error(
        api.post(
            "/api/v1/activities",
            {"type": "call", "subject_type": "contact", "subject_id": str(theirs.pk)},
            format="json",
        ),
        404,
    )
    assert not Activity.objects.exists()


def test_patch_and_delete_an_activity(api, workspace):
    contact = ContactFactory(workspace=workspace)
    other = ContactFactory(workspace=workspace)
    activity = ActivityFactory(contact=contact)
    url = f"/api/v1/activities/{activity.pk}"
    response = api.patch(
        url, {"outcome": "Booked demo", "participants": [str(other.pk)]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "Booked demo"
    assert response.json()["participants"] == [str(other.pk)]
    assert_error(
        api.patch(url, {"subject_id": str(other.pk)}, format="json"), 400, field="subject_id"
    )
    assert api.delete(url).status_code == 204
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_activities_need_their_scopes(make_client, workspace):
    reader = make_client("activities:read")
    assert reader.get("/api/v1/activities").status_code == 200
    body = assert_error(reader.post("/api/v1/activities", {"type": "call"}, format="json"), 403)
    assert "activities:write" in body["message"]
    body = assert_error(make_client("tasks:read").get("/api/v1/activities"), 403)
    assert "activities:read" in body["message"]


def test_activities_without_credential_are_401(anonymous):
    assert_error(anonymous.get("/api/v1/activities"), 401)


def test_another_workspaces_activity_is_404_for_every_method(api, other_workspace):
    theirs = ActivityFactory(contact=ContactFactory(workspace=other_workspace), outcome="")
    url = f"/api/v1/activities/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"outcome": "x"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    theirs.refresh_from_db()
    assert theirs.outcome == ""


def test_activity_filters(api, workspace):
    contact = ContactFactory(workspace=workspace)
    old_call = ActivityFactory(
        contact=contact, type="call", occurred_at=timezone.now() - datetime.timedelta(days=10)
    )
    meeting = ActivityFactory(contact=contact, type="meeting")
    assert ids(api.get("/api/v1/activities")) == [str(meeting.pk), str(old_call.pk)]
    assert ids(api.get("/api/v1/activities?type=call")) == [str(old_call.pk)]
    after = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(api.get("/api/v1/activities", {"occurred_after": after})) == [str(meeting.pk)]
    assert ids(api.get("/api/v1/activities", {"occurred_before": after})) == [str(old_call.pk)]
    url = f"/api/v1/activities?subject_type=contact&subject_id={contact.pk}&sort=occurred_at"
    assert ids(api.get(url)) == [str(old_call.pk), str(meeting.pk)]
    assert_error(api.get("/api/v1/activities?type=fax"), 400, field="type")


def test_activity_list_queries_do_not_grow_with_rows(api, workspace):
    contact = ContactFactory(workspace=workspace)
    people = ContactFactory.create_batch(2, workspace=workspace)

    def make(n: int) -> None:
        for activity in ActivityFactory.create_batch(n, contact=contact):
            activity.participants.set(people)

    make(3)
    few = query_count(api, "/api/v1/activities")
    make(27)
    assert query_count(api, "/api/v1/activities") == few


# --- A contact's notes, tasks, activities, deals and companies ----------------------------------


def test_contact_notes_list_and_create(api, workspace):
    contact = ContactFactory(workspace=workspace)
    NoteFactory(contact=ContactFactory(workspace=workspace))  # someone else's
    mine = NoteFactory(contact=contact)
    url = f"/api/v1/contacts/{contact.pk}/notes"
    assert ids(api.get(url)) == [str(mine.pk)]
    response = api.post(url, {"body": "Follow-up"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["subject_type"] == "contact"
    assert response.json()["subject_id"] == str(contact.pk)
    assert len(ids(api.get(url))) == 2
    assert_error(api.post(url, {"body": ""}, format="json"), 400, field="body")
    other = ContactFactory(workspace=workspace)
    assert_error(api.post(url, {"body": "b", "subject_id": str(other.pk)}, format="json"), 400)


def test_contact_tasks_and_activities(api, workspace):
    contact = ContactFactory(workspace=workspace)
    company = CompanyFactory(workspace=workspace)
    task = TaskFactory(workspace=workspace, subject_type="contact", subject_id=contact.pk)
    TaskFactory(workspace=workspace)
    about = ActivityFactory(contact=contact)
    with_them = Activity.objects.create(
        workspace=workspace,
        type="meeting",
        subject_type="company",
        subject_id=company.pk,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
    )
    with_them.participants.add(contact)
    ActivityFactory(contact=ContactFactory(workspace=workspace))
    assert ids(api.get(f"/api/v1/contacts/{contact.pk}/tasks")) == [str(task.pk)]
    assert ids(api.get(f"/api/v1/contacts/{contact.pk}/activities")) == [
        str(about.pk),
        str(with_them.pk),
    ]


def test_contact_deals_with_roles(api, workspace):
    contact = ContactFactory(workspace=workspace)
    deal = DealFactory(workspace=workspace, title="Big one", amount=5000)
    DealFactory(workspace=workspace)  # not linked
    DealContact.objects.create(workspace=workspace, deal=deal, contact=contact, role="Champion")
    response = api.get(f"/api/v1/contacts/{contact.pk}/deals")
    assert response.status_code == 200, response.content
    assert response.json()["data"] == [
        {
            "id": str(deal.pk),
            "title": "Big one",
            "stage": str(deal.stage_id),
            "stage_name": deal.stage.name,
            "status": "open",
            "amount": "5000.00",
            "currency": "USD",
            "role": "Champion",
        }
    ]


def test_contact_companies_primary_first(api, workspace):
    contact = ContactFactory(workspace=workspace)
    side = CompanyMembershipFactory(contact=contact, role="Advisor")
    main = CompanyMembershipFactory(contact=contact, role="CTO", is_primary=True)
    CompanyMembershipFactory(contact=ContactFactory(workspace=workspace))
    rows = api.get(f"/api/v1/contacts/{contact.pk}/companies").json()["data"]
    assert rows == [
        {
            "id": str(main.company_id),
            "name": main.company.name,
            "domain": main.company.domain,
            "role": "CTO",
            "is_primary": True,
        },
        {
            "id": str(side.company_id),
            "name": side.company.name,
            "domain": side.company.domain,
            "role": "Advisor",
            "is_primary": False,
        },
    ]


SUB_RESOURCES = {
    "notes": "notes:read",
    "tasks": "tasks:read",
    "activities": "activities:read",
    "deals": "deals:read",
    "companies": "companies:read",
}


@pytest.mark.parametrize(("resource", "scope"), SUB_RESOURCES.items())
def test_contact_sub_resources_need_scope_credential_and_own_contact(
    resource, scope, make_client, anonymous, workspace, other_workspace
):
    contact = ContactFactory(workspace=workspace)
    theirs = ContactFactory(workspace=other_workspace)
    client = make_client(scope)
    assert client.get(f"/api/v1/contacts/{contact.pk}/{resource}").status_code == 200
    assert_error(client.get(f"/api/v1/contacts/{theirs.pk}/{resource}"), 404)
    assert_error(client.get(f"/api/v1/contacts/not-a-uuid/{resource}"), 404)
    # reading the contact itself is not enough
    body = assert_error(
        make_client("contacts:read").get(f"/api/v1/contacts/{contact.pk}/{resource}"), 403
    )
    assert scope in body["message"]
    assert_error(anonymous.get(f"/api/v1/contacts/{contact.pk}/{resource}"), 401)
    assert_error(
        client.get(f"/api/v1/contacts/{contact.pk}/{resource}?limit=x"), 400, field="limit"
    )


def test_contact_notes_post_on_foreign_contact_is_404(api, anonymous, other_workspace):
    theirs = ContactFactory(workspace=other_workspace)
    assert_error(api.post(f"/api/v1/contacts/{theirs.pk}/notes", {"body": "b"}, format="json"), 404)
    assert_error(
        anonymous.post(f"/api/v1/contacts/{theirs.pk}/notes", {"body": "b"}, format="json"), 401
    )
    assert not Note.objects.exists()


def test_contact_notes_post_missing_scope_is_403(make_client, workspace):
    contact = ContactFactory(workspace=workspace)
    body = assert_error(
        make_client("notes:read").post(
            f"/api/v1/contacts/{contact.pk}/notes", {"body": "b"}, format="json"
        ),
        403,
    )
    assert "notes:write" in body["message"]


@pytest.mark.parametrize("resource", SUB_RESOURCES)
def test_contact_sub_resource_queries_do_not_grow_with_rows(resource, api, workspace):
    contact = ContactFactory(workspace=workspace)

    def make(n: int) -> None:
        for _ in range(n):
            if resource == "notes":
                NoteFactory(contact=contact)
            elif resource == "tasks":
                TaskFactory(workspace=workspace, subject_type="contact", subject_id=contact.pk)
            elif resource == "activities":
                ActivityFactory(contact=contact).participants.add(contact)
            elif resource == "deals":
                DealContact.objects.create(
                    workspace=workspace, deal=DealFactory(workspace=workspace), contact=contact
                )
            else:
                CompanyMembershipFactory(contact=contact)

    url = f"/api/v1/contacts/{contact.pk}/{resource}"
    make(3)
    few = query_count(api, url)
    make(27)
    assert query_count(api, url) == few
    assert api.get(url).json()["meta"]["total"] == 30
