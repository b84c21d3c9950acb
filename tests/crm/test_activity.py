"""Notes, tasks and logged activities, and the subject/timeline helpers they use."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Membership
from accounts.services.common import Actor
from crm.models import Activity, Contact, Note, Task, TimelineEvent, Verb
from crm.services.activity import (
    activity_create,
    activity_delete,
    activity_update,
    note_archive,
    note_create,
    note_update,
    task_archive,
    task_complete,
    task_create,
    task_reopen,
    task_update,
)
from crm.services.subjects import subject_delete_attachments, subject_resolve, subject_touch
from crm.services.timeline import timeline_delete_for, timeline_record
from tests.factories import CompanyFactory, ContactFactory, DealFactory

pytestmark = pytest.mark.django_db


def events(record, verb: str | None = None) -> list[TimelineEvent]:
    queryset = TimelineEvent.objects.filter(subject_id=record.pk)
    if verb is not None:
        queryset = queryset.filter(verb=verb)
    return list(queryset.order_by("created_at"))


@pytest.fixture
def contact(workspace):
    return ContactFactory(workspace=workspace, first_name="Ada", last_name="Lovelace")


@pytest.fixture
def foreign_contact(other_workspace):
    return ContactFactory(workspace=other_workspace)


# --- Subjects ------------------------------------------------------------------------------------


def test_subject_resolve_finds_contacts_companies_and_deals(workspace):
    # given
    contact = ContactFactory(workspace=workspace)
    company = CompanyFactory(workspace=workspace)
    deal = DealFactory(workspace=workspace)

    # then
    assert (
        subject_resolve(workspace=workspace, subject_type="contact", subject_id=contact.pk)
        == contact
    )
    assert (
        subject_resolve(workspace=workspace, subject_type="company", subject_id=str(company.pk))
        == company
    )
    assert subject_resolve(workspace=workspace, subject_type="deal", subject_id=deal.pk) == deal


@pytest.mark.parametrize(
    ("subject_type", "subject_id", "field"),
    [
        ("invoice", None, "subject_type"),
        ("contact", "not-a-uuid", "subject_id"),
        ("contact", uuid.uuid4(), "subject_id"),
        ("company", None, "subject_id"),  # a contact's id given as a company
    ],
)
def test_subject_resolve_refuses_unknown_subjects(
    workspace, contact, subject_type, subject_id, field
):
    with pytest.raises(ValidationError) as excinfo:
        subject_resolve(
            workspace=workspace, subject_type=subject_type, subject_id=subject_id or contact.pk
        )
    assert field in excinfo.value.message_dict


def test_subject_resolve_refuses_another_workspaces_record(workspace, foreign_contact):
    with pytest.raises(ValidationError) as excinfo:
        subject_resolve(workspace=workspace, subject_type="contact", subject_id=foreign_contact.pk)
    assert "subject_id" in excinfo.value.message_dict


def test_subject_touch_only_moves_forward(workspace, contact):
    # given
    now = timezone.now()

    # when
    subject_touch(workspace=workspace, subject_type="contact", subject_id=contact.pk, when=now)
    subject_touch(
        workspace=workspace,
        subject_type="contact",
        subject_id=contact.pk,
        when=now - datetime.timedelta(days=1),
    )

    # then
    assert Contact.objects.get(pk=contact.pk).last_activity_at == now


def test_subject_delete_attachments_removes_only_that_records(workspace, actor, contact):
    # given
    other = ContactFactory(workspace=workspace)
    for record in (contact, other):
        note_create(
            workspace=workspace, actor=actor, subject_type="contact", subject_id=record.pk, body="x"
        )
        task_create(
            workspace=workspace,
            actor=actor,
            title="t",
            subject_type="contact",
            subject_id=record.pk,
        )
        activity_create(
            workspace=workspace,
            actor=actor,
            type="call",
            subject_type="contact",
            subject_id=record.pk,
        )

    # when
    subject_delete_attachments(workspace=workspace, subject_type="contact", subject_id=contact.pk)

    # then
    for model in (Note, Task, Activity, TimelineEvent):
        assert not model.objects.filter(subject_id=contact.pk).exists()
        assert model.objects.filter(subject_id=other.pk).exists()


def test_timeline_record_and_delete(workspace, user, contact):
    # when
    event = timeline_record(
        workspace=workspace,
        subject_type="contact",
        subject_id=contact.pk,
        verb=Verb.UPDATED,
        actor=Actor(user=user),
        changes=[{"field": "amount", "from": None, "to": datetime.date(2026, 1, 2)}],
        data={"id": contact.pk},
    )

    # then values are stored JSON-safe
    event.refresh_from_db()
    assert event.changes == [{"field": "amount", "from": None, "to": "2026-01-02"}]
    assert event.data == {"id": str(contact.pk)}
    assert event.actor_name == "Olive Owner"

    # when
    timeline_delete_for(workspace=workspace, subject_type="contact", subject_id=contact.pk)

    # then
    assert not TimelineEvent.objects.filter(subject_id=contact.pk).exists()


# --- Notes ---------------------------------------------------------------------------------------


def test_note_create_stores_sanitised_html_and_records_it(workspace, actor, user, contact):
    # when
    note = note_create(
        workspace=workspace,
        actor=actor,
        subject_type="contact",
        subject_id=str(contact.pk),
        body=(
            "  **Met** at the fair.\n\n<script>alert('x')</script>\n\n"
            '<img src=x onerror="alert(1)">\n\n[evil](javascript:alert(1)) [ok](https://ok.example)  '
        ),
        pinned=True,
    )

    # then
    note.refresh_from_db()
    assert note.body.startswith("**Met**")
    assert note.author == user
    assert note.pinned
    assert "<strong>Met</strong>" in note.body_html
    assert "<script" not in note.body_html
    assert "alert" not in note.body_html
    assert "onerror" not in note.body_html
    assert "javascript:" not in note.body_html
    assert 'href="https://ok.example"' in note.body_html
    [added] = events(contact, Verb.NOTE_ADDED)
    assert added.data["note_id"] == str(note.pk)
    assert added.data["excerpt"].startswith("**Met** at the fair.")
    assert Contact.objects.get(pk=contact.pk).last_activity_at == note.created_at


def test_note_excerpt_is_shortened(workspace, actor, contact):
    note_create(
        workspace=workspace,
        actor=actor,
        subject_type="contact",
        subject_id=contact.pk,
        body="w " * 200,
    )
    [added] = events(contact, Verb.NOTE_ADDED)
    assert len(added.data["excerpt"]) == 140
    assert added.data["excerpt"].endswith("…")


def test_notes_attach_to_companies_and_deals(workspace, actor):
    # given
    company = CompanyFactory(workspace=workspace)
    deal = DealFactory(workspace=workspace)

    # when
    note_create(
        workspace=workspace, actor=actor, subject_type="company", subject_id=company.pk, body="c"
    )
    note_create(workspace=workspace, actor=actor, subject_type="deal", subject_id=deal.pk, body="d")

    # then
    assert events(company, Verb.NOTE_ADDED)
    assert events(deal, Verb.NOTE_ADDED)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"body": "   "}, "body"),
        ({"body": "x" * 100_001}, "body"),
        ({"subject_type": "invoice"}, "subject_type"),
        ({"subject_id": "nope"}, "subject_id"),
    ],
)
def test_note_create_validation(workspace, actor, contact, kwargs, field):
    # given
    arguments = {"subject_type": "contact", "subject_id": contact.pk, "body": "Hello"}

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        note_create(workspace=workspace, actor=actor, **{**arguments, **kwargs})
    assert field in excinfo.value.message_dict
    assert not Note.objects.exists()
    assert not TimelineEvent.objects.filter(verb=Verb.NOTE_ADDED).exists()


def test_note_create_refuses_another_workspaces_subject(workspace, actor, foreign_contact):
    with pytest.raises(ValidationError) as excinfo:
        note_create(
            workspace=workspace,
            actor=actor,
            subject_type="contact",
            subject_id=foreign_contact.pk,
            body="sneaky",
        )
    assert "subject_id" in excinfo.value.message_dict
    assert not Note.objects.exists()
    assert not TimelineEvent.objects.filter(
        subject_id=foreign_contact.pk, verb=Verb.NOTE_ADDED
    ).exists()


def test_note_update_rerenders_and_records_a_body_change(workspace, actor, contact):
    # given
    note = note_create(
        workspace=workspace, actor=actor, subject_type="contact", subject_id=contact.pk, body="old"
    )

    # when
    note_update(note=note, actor=actor, data={"body": "*new* <script>x()</script>"})

    # then
    note.refresh_from_db()
    assert note.body_html == "<p><em>new</em> </p>"
    [updated] = events(contact, Verb.NOTE_UPDATED)
    assert updated.data["note_id"] == str(note.pk)


def test_note_update_of_pinned_only_records_nothing(workspace, actor, contact):
    # given
    note = note_create(
        workspace=workspace, actor=actor, subject_type="contact", subject_id=contact.pk, body="b"
    )

    # when
    note_update(note=note, actor=actor, data={"pinned": True})

    # then
    assert Note.objects.get(pk=note.pk).pinned
    assert events(contact, Verb.NOTE_UPDATED) == []


def test_note_update_refuses_an_empty_body(workspace, actor, contact):
    note = note_create(
        workspace=workspace, actor=actor, subject_type="contact", subject_id=contact.pk, body="b"
    )
    with pytest.raises(ValidationError) as excinfo:
        note_update(note=note, actor=actor, data={"body": ""})
    assert "body" in excinfo.value.message_dict
    assert Note.objects.get(pk=note.pk).body == "b"


def test_note_archive_is_soft_and_idempotent(workspace, actor, contact):
    # given
    note = note_create(
        workspace=workspace, actor=actor, subject_type="contact", subject_id=contact.pk, body="b"
    )

    # when
    note_archive(note=note, actor=actor)
    archived_at = Note.objects.get(pk=note.pk).archived_at
    note_archive(note=note, actor=actor)

    # then the row is kept, with its time of archiving
    assert archived_at is not None
    assert Note.objects.get(pk=note.pk).archived_at == archived_at
    assert len(events(contact, Verb.NOTE_ARCHIVED)) == 1


# --- Tasks ---------------------------------------------------------------------------------------


def test_task_create_on_a_record(workspace, actor, user, member, contact):
    # given
    due = timezone.now() + datetime.timedelta(days=2)

    # when
    task = task_create(
        workspace=workspace,
        actor=actor,
        title="  Call back ",
        description="About pricing",
        due_at=due,
        priority="high",
        assignee=member.pk,
        subject_type="contact",
        subject_id=contact.pk,
    )

    # then
    task.refresh_from_db()
    assert (task.title, task.priority, task.assignee, task.created_by) == (
        "Call back",
        "high",
        member,
        user,
    )
    assert not task.completed
    [added] = events(contact, Verb.TASK_ADDED)
    assert added.data == {"task_id": str(task.pk), "title": "Call back", "due_at": due.isoformat()}


def test_a_standalone_task_has_no_subject_and_no_timeline(workspace, actor):
    # when
    task = task_create(workspace=workspace, actor=actor, title="Call the bank")

    # then
    assert (task.subject_type, task.subject_id) == ("", None)
    assert task.priority == "medium"
    assert not TimelineEvent.objects.exists()

    # and completing it records nothing either
    task_complete(task=task, actor=actor)
    assert task.completed
    assert not TimelineEvent.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "  "}, "title"),
        ({"priority": "whenever"}, "priority"),
        ({"subject_type": "contact"}, "subject_type"),  # without an id
        ({"subject_type": "deal", "subject_id": uuid.uuid4()}, "subject_id"),
        ({"subject_type": "planet", "subject_id": uuid.uuid4()}, "subject_type"),
    ],
)
def test_task_create_validation(workspace, actor, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        task_create(workspace=workspace, actor=actor, **{"title": "T", **kwargs})
    assert field in excinfo.value.message_dict
    assert not Task.objects.exists()


def test_task_create_refuses_another_workspaces_subject_and_assignee(
    workspace, actor, foreign_contact, other_workspace
):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        task_create(
            workspace=workspace,
            actor=actor,
            title="T",
            subject_type="contact",
            subject_id=foreign_contact.pk,
        )
    assert "subject_id" in excinfo.value.message_dict

    outsider = Membership.objects.get(workspace=other_workspace).user
    with pytest.raises(ValidationError) as excinfo:
        task_create(workspace=workspace, actor=actor, title="T", assignee=outsider)
    assert "assignee" in excinfo.value.message_dict
    assert not Task.objects.exists()


def test_task_complete_and_reopen(workspace, actor, contact):
    # given
    task = task_create(
        workspace=workspace, actor=actor, title="T", subject_type="contact", subject_id=contact.pk
    )

    # when
    task_complete(task=task, actor=actor)
    completed_at = Task.objects.get(pk=task.pk).completed_at
    task_complete(task=task, actor=actor)

    # then
    assert completed_at is not None
    assert Task.objects.get(pk=task.pk).completed_at == completed_at
    assert len(events(contact, Verb.TASK_COMPLETED)) == 1
    assert Contact.objects.get(pk=contact.pk).last_activity_at == completed_at

    # when
    task_reopen(task=task, actor=actor)

    # then
    assert Task.objects.get(pk=task.pk).completed_at is None
    assert not task.completed


def test_task_update_changes_fields_and_completion(workspace, actor, member, contact):
    # given
    task = task_create(workspace=workspace, actor=actor, title="T")

    # when
    task = task_update(
        task=task,
        actor=actor,
        data={
            "title": " New ",
            "assignee": member,
            "subject_type": "contact",
            "subject_id": contact.pk,
            "completed": True,
        },
    )

    # then
    task.refresh_from_db()
    assert (task.title, task.assignee, task.subject_type, task.subject_id) == (
        "New",
        member,
        "contact",
        contact.pk,
    )
    assert task.completed
    assert events(contact, Verb.TASK_COMPLETED)

    # when
    task_update(
        task=task, actor=actor, data={"completed": False, "subject_type": "", "subject_id": None}
    )

    # then
    task.refresh_from_db()
    assert not task.completed
    assert (task.subject_type, task.subject_id) == ("", None)


def test_task_update_refuses_another_workspaces_subject(workspace, actor, foreign_contact):
    task = task_create(workspace=workspace, actor=actor, title="T")
    with pytest.raises(ValidationError) as excinfo:
        task_update(
            task=task,
            actor=actor,
            data={"subject_type": "contact", "subject_id": foreign_contact.pk, "title": "X"},
        )
    assert "subject_id" in excinfo.value.message_dict
    task.refresh_from_db()
    assert (task.title, task.subject_id) == ("T", None)


def test_task_update_refuses_an_empty_title(workspace, actor):
    task = task_create(workspace=workspace, actor=actor, title="T")
    with pytest.raises(ValidationError) as excinfo:
        task_update(task=task, actor=actor, data={"title": " "})
    assert "title" in excinfo.value.message_dict


def test_task_archive_is_soft(workspace, actor):
    # given
    task = task_create(workspace=workspace, actor=actor, title="T")

    # when
    task_archive(task=task, actor=actor)
    archived_at = Task.objects.get(pk=task.pk).archived_at
    task_archive(task=task, actor=actor)

    # then
    assert archived_at is not None
    assert Task.objects.get(pk=task.pk).archived_at == archived_at


# --- Activities ----------------------------------------------------------------------------------


def test_activity_create_logs_it_with_participants(workspace, actor, user, contact):
    # given
    colleague = ContactFactory(workspace=workspace)
    when = timezone.now() - datetime.timedelta(hours=1)

    # when
    activity = activity_create(
        workspace=workspace,
        actor=actor,
        type="meeting",
        subject_type="contact",
        subject_id=contact.pk,
        subject=" Kick-off ",
        body="Agenda: everything",
        occurred_at=when,
        duration_minutes=45,
        direction="outbound",
        outcome=" Positive ",
        participants=[contact.pk, str(colleague.pk), contact.pk],
    )

    # then
    activity.refresh_from_db()
    assert (activity.type, activity.subject, activity.outcome, activity.created_by) == (
        "meeting",
        "Kick-off",
        "Positive",
        user,
    )
    assert set(activity.participants.all()) == {contact, colleague}
    [logged] = events(contact, Verb.ACTIVITY_LOGGED)
    assert logged.data == {
        "activity_id": str(activity.pk),
        "type": "meeting",
        "subject": "Kick-off",
        "excerpt": "Agenda: everything",
    }
    assert Contact.objects.get(pk=contact.pk).last_activity_at == when


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"type": "telegram"}, "type"),
        ({"direction": "sideways"}, "direction"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"duration_minutes": -1}, "duration_minutes"),
        ({"participants": ["not-a-uuid"]}, "participants"),
        ({"participants": [uuid.uuid4()]}, "participants"),
        ({"subject_type": "deal"}, "subject_id"),
    ],
)
def test_activity_create_validation(workspace, actor, contact, kwargs, field):
    # given
    arguments = {"type": "call", "subject_type": "contact", "subject_id": contact.pk}

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        activity_create(workspace=workspace, actor=actor, **{**arguments, **kwargs})
    assert field in excinfo.value.message_dict
    assert not Activity.objects.exists()
    assert not TimelineEvent.objects.filter(verb=Verb.ACTIVITY_LOGGED).exists()


def test_activity_create_refuses_participants_and_subjects_of_another_workspace(
    workspace, actor, contact, foreign_contact
):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        activity_create(
            workspace=workspace,
            actor=actor,
            type="call",
            subject_type="contact",
            subject_id=contact.pk,
            participants=[contact.pk, foreign_contact.pk],
        )
    assert "participants" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        activity_create(
            workspace=workspace,
            actor=actor,
            type="call",
            subject_type="contact",
            subject_id=foreign_contact.pk,
        )
    assert "subject_id" in excinfo.value.message_dict
    assert not Activity.objects.exists()


def test_activity_update_changes_fields_and_participants(workspace, actor, contact):
    # given
    activity = activity_create(
        workspace=workspace,
        actor=actor,
        type="call",
        subject_type="contact",
        subject_id=contact.pk,
        participants=[contact.pk],
    )
    other = ContactFactory(workspace=workspace)

    # when
    activity_update(
        activity=activity,
        actor=actor,
        data={"type": "email", "duration_minutes": 5, "participants": [other.pk]},
    )

    # then
    activity.refresh_from_db()
    assert (activity.type, activity.duration_minutes) == ("email", 5)
    assert list(activity.participants.all()) == [other]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "fax"}, "type"),
        ({"duration_minutes": 2000}, "duration_minutes"),
        ({"participants": [uuid.uuid4()]}, "participants"),
    ],
)
def test_activity_update_validation(workspace, actor, contact, data, field):
    # given
    activity = activity_create(
        workspace=workspace, actor=actor, type="call", subject_type="contact", subject_id=contact.pk
    )

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        activity_update(activity=activity, actor=actor, data={"subject": "changed", **data})
    assert field in excinfo.value.message_dict
    fresh = Activity.objects.get(pk=activity.pk)
    assert (fresh.type, fresh.subject, fresh.duration_minutes) == ("call", "", None)


def test_activity_update_refuses_another_workspaces_participants(
    workspace, actor, contact, foreign_contact
):
    activity = activity_create(
        workspace=workspace, actor=actor, type="call", subject_type="contact", subject_id=contact.pk
    )
    with pytest.raises(ValidationError) as excinfo:
        activity_update(activity=activity, actor=actor, data={"participants": [foreign_contact.pk]})
    assert "participants" in excinfo.value.message_dict
    assert activity.participants.count() == 0


def test_activity_delete(workspace, actor, contact):
    activity = activity_create(
        workspace=workspace, actor=actor, type="call", subject_type="contact", subject_id=contact.pk
    )
    activity_delete(activity=activity, actor=actor)
    assert not Activity.objects.exists()
