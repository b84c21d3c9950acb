"""The other admins' writes: users, workspaces, API keys, notes, tasks, activities, lists."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import ApiKey, Membership, User, Workspace
from crm.models import Activity, CustomField, List, ListMember, Note, Task, TimelineEvent, Verb
from pipelines.models import Pipeline
from tests.admin.conftest import admin_url, form_data
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def post_add(client, model, **values):
    data = {**form_data(client.get(admin_url(model, "add"))), **values}
    return client.post(admin_url(model, "add"), data)


def post_change(client, obj, **values):
    url = admin_url(type(obj), "change", obj.pk)
    return client.post(url, {**form_data(client.get(url)), **values})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Users --------------------------------------------------------------------------------------


def test_add_user_with_email_and_password(admin_client):
    response = post_add(
        admin_client,
        User,
        email="New.Person@Example.COM",
        name="New Person",
        usable_password="true",
        password1="a-long-Passphrase-42",
        password2="a-long-Passphrase-42",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email__iexact="new.person@example.com")
    assert user.email == "New.Person@example.com"  # the domain normalised
    assert user.check_password("a-long-Passphrase-42")
    assert not user.is_staff


def test_add_user_with_taken_email_in_other_case(admin_client, user):
    response = post_add(
        admin_client,
        User,
        email="OWNER@example.com",
        usable_password="false",
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A user with this email address already exists."
    ]


def test_change_user_and_log_it(admin_client, user):
    response = post_change(admin_client, user, name="Olive O.")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Olive O."
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert "Name" in entry.get_change_message()


def test_password_change_page(admin_client, user):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {"usable_password": "true", "password1": "Another-Pass-77", "password2": "Another-Pass-77"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-Pass-77")


def test_membership_inline_under_user(admin_client, user, workspace, other_workspace):
    # given the user, owner of ``workspace`` / when a row for another workspace is added
    url = admin_url(User, "change", user.pk)
    data = form_data(admin_client.get(url))
    row = int(data["memberships-TOTAL_FORMS"])
    data.update(
        {
            "memberships-TOTAL_FORMS": str(row + 1),
            f"memberships-{row}-workspace": str(other_workspace.pk),
            f"memberships-{row}-role": "viewer",
        }
    )
    response = admin_client.post(url, data)
    # then membership_add made it
    assert response.status_code == 302
    assert Membership.objects.get(user=user, workspace=other_workspace).role == "viewer"


# --- Workspaces and memberships -----------------------------------------------------------------


def test_add_workspace_through_workspace_create(admin_client, superuser):
    response = post_add(
        admin_client, Workspace, name="Blue Sky", default_currency="eur", timezone="Europe/Paris"
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    workspace = Workspace.objects.get(name="Blue Sky")
    assert (workspace.slug, workspace.default_currency) == ("blue-sky", "EUR")
    # The owner (the admin, none chosen) and the default pipeline, as every new workspace.
    assert workspace.memberships.get().user == superuser
    assert Pipeline.objects.filter(workspace=workspace, is_default=True).exists()


def test_bad_timezone_is_a_form_error(admin_client, workspace):
    response = post_change(admin_client, workspace, timezone="Mars/Olympus")
    assert response.status_code == 200
    assert "timezone" in response.context["adminform"].form.errors


def test_add_member_in_workspace_inline(admin_client, workspace):
    newcomer = UserFactory()
    response = post_change(
        admin_client,
        workspace,
        **{
            "memberships-TOTAL_FORMS": "2",
            "memberships-1-user": str(newcomer.pk),
            "memberships-1-role": "member",
        },
    )
    assert response.status_code == 302
    assert workspace.memberships.filter(user=newcomer, role="member").exists()


def test_hand_over_ownership_in_one_save(admin_client, workspace, user, member):
    # given the owner and a member / when the member is made owner and the owner demoted
    data = form_data(admin_client.get(admin_url(Workspace, "change", workspace.pk)))
    rows = {data[f"memberships-{i}-id"]: i for i in range(int(data["memberships-TOTAL_FORMS"]))}
    owner_row = rows[str(Membership.objects.get(workspace=workspace, user=user).pk)]
    member_row = rows[str(Membership.objects.get(workspace=workspace, user=member).pk)]
    data[f"memberships-{owner_row}-role"] = "admin"
    data[f"memberships-{member_row}-role"] = "owner"
    response = admin_client.post(admin_url(Workspace, "change", workspace.pk), data)
    # then both changes land (the promotion first, so there is always an owner)
    assert response.status_code == 302
    roles = dict(workspace.memberships.values_list("user_id", "role"))
    assert roles == {user.pk: "admin", member.pk: "owner"}


def test_non_superuser_cannot_delete_workspaces(client, staff_member, workspace):
    from tests.admin.conftest import grant

    grant(staff_member, "accounts.view_workspace", "accounts.delete_workspace")
    client.force_login(staff_member)
    response = client.post(admin_url(Workspace, "delete", workspace.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Workspace.objects.filter(pk=workspace.pk).exists()


# --- API keys -----------------------------------------------------------------------------------


def test_add_api_key_shows_it_once(admin_client, workspace):
    response = post_add(
        admin_client,
        ApiKey,
        workspace=str(workspace.pk),
        name="Zapier",
        scopes=["contacts:read", "deals:write"],
        expires_in_days="30",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    key = ApiKey.objects.get(name="Zapier")
    assert key.scopes == ["contacts:read", "deals:write"]
    assert key.expires_at is not None
    assert any(f"ak_{key.prefix}_" in message for message in messages_of(response))


def test_revoke_action(admin_client, workspace):
    from tests.factories import ApiKeyFactory

    key = ApiKeyFactory(workspace=workspace)
    response = admin_client.post(
        admin_url(ApiKey, "changelist"), {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


# --- Notes, tasks, activities -------------------------------------------------------------------


def test_add_note_records_note_added(admin_client, workspace, records):
    contact = records[Note.objects.model].subject_id  # the records' note is on the contact
    response = post_add(
        admin_client,
        Note,
        workspace=str(workspace.pk),
        subject_type="contact",
        subject_id=str(contact),
        body="**Met** at the fair",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    note = Note.objects.get(body="**Met** at the fair")
    assert "<strong>Met</strong>" in note.body_html
    assert TimelineEvent.objects.filter(subject_id=contact, verb=Verb.NOTE_ADDED).count() == 2


def test_note_on_unknown_subject_is_a_form_error(admin_client, workspace, other_workspace):
    foreign = ContactFactory(workspace=other_workspace)
    response = post_add(
        admin_client,
        Note,
        workspace=str(workspace.pk),
        subject_type="contact",
        subject_id=str(foreign.pk),
        body="Hello",
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["subject_id"] == ["No such contact."]


def test_complete_task_in_the_form(admin_client, records):
    task = records[Task]
    response = post_change(admin_client, task, completed="on")
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.completed_at is not None
    assert TimelineEvent.objects.filter(subject_id=task.subject_id, verb="task_completed").exists()


def test_log_activity(admin_client, workspace, records):
    company = records[Activity].subject_id
    response = post_add(
        admin_client,
        Activity,
        workspace=str(workspace.pk),
        type="meeting",
        subject_type="company",
        subject_id=str(company),
        subject="Kick-off",
        duration_minutes="45",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Activity.objects.get(subject="Kick-off").duration_minutes == 45
    assert TimelineEvent.objects.filter(subject_id=company, verb="activity_logged").count() == 2


def test_archive_notes_action(admin_client, records):
    note = records[Note]
    admin_client.post(
        admin_url(Note, "changelist"), {"action": "archive", "_selected_action": [note.pk]}
    )
    note.refresh_from_db()
    assert note.archived_at is not None


# --- Custom fields, lists -----------------------------------------------------------------------


def test_custom_field_in_use_is_not_deleted_without_force(admin_client, workspace, records):
    field = records[CustomField]
    contact = records[ContactFactory._meta.model]
    contact.custom_fields = {field.key: "x"}
    contact.save(update_fields=["custom_fields"])
    response = admin_client.post(admin_url(CustomField, "delete", field.pk), {"post": "yes"})
    assert response.status_code == 302
    assert CustomField.objects.filter(pk=field.pk).exists()
    assert any("delete with force" in m for m in messages_of(response))
    # The action deletes it and its values.
    admin_client.post(
        admin_url(CustomField, "changelist"),
        {"action": "delete_with_values", "_selected_action": [field.pk]},
    )
    assert not CustomField.objects.filter(pk=field.pk).exists()
    contact.refresh_from_db()
    assert contact.custom_fields == {}


def test_custom_field_required_value_error_on_contact(admin_client, workspace, records):
    from crm.models import Contact

    CustomField.objects.create(
        workspace=workspace,
        object_type="contact",
        key="tier",
        label="Tier",
        type="select",
        options=["gold", "silver"],
    )
    contact = records[Contact]
    response = post_change(admin_client, contact, custom_fields='{"tier": "bronze"}')
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["custom_fields"] == [
        "tier: Must be one of: gold, silver."
    ]


def test_add_list_member(admin_client, workspace, records):
    list_ = records[List]
    person = ContactFactory(workspace=workspace)
    response = post_add(admin_client, ListMember, list=str(list_.pk), contact=str(person.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ListMember.objects.filter(list=list_, contact=person).exists()


def test_list_member_needs_exactly_one_record(admin_client, records):
    response = post_add(admin_client, ListMember, list=str(records[List].pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Choose a contact or a company (one of them)."
    ]
