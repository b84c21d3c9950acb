"""Imports in the admin: cancel and revert as actions, and the import log scoped to the staff
user's workspaces."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import Role
from accounts.services.common import Actor
from crm.imports.engine import import_run
from crm.models import ImportJob, ImportRejectedRow
from crm.services.imports import import_create
from tests.factories import MembershipFactory, UserFactory
from tests.imports.conftest import upload


def _finished(workspace, actor, name="contacts_messy.csv"):
    job = import_create(workspace=workspace, actor=actor, object_type="contact", file=upload(name))
    return import_run(job.pk)


def test_revert_action_queues_the_revert(
    client, workspace, actor, user, django_capture_on_commit_callbacks
):
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    job = _finished(workspace, actor)
    with django_capture_on_commit_callbacks():
        response = client.post(
            reverse("admin:crm_importjob_changelist"),
            {"action": "revert_imports", "_selected_action": [str(job.pk)]},
            follow=True,
        )
    assert "1 import queued for revert" in response.content.decode()
    job.refresh_from_db()
    assert job.revert_status == "queued"
    response = client.post(
        reverse("admin:crm_importjob_changelist"),
        {"action": "cancel_imports", "_selected_action": [str(job.pk)]},
        follow=True,
    )
    assert "already succeeded" in response.content.decode()


def test_staff_sees_only_their_workspaces_import_rows(client, workspace, actor, other_workspace):
    _finished(workspace, actor)
    theirs_owner = other_workspace.memberships.get(role=Role.OWNER).user
    _finished(other_workspace, Actor(user=theirs_owner, role=Role.OWNER))
    staff = UserFactory(is_staff=True)
    MembershipFactory(user=staff, workspace=workspace, role=Role.ADMIN)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_importjob", "view_importrejectedrow"])
    )
    client.force_login(staff)
    html = client.get(reverse("admin:crm_importrejectedrow_changelist")).content.decode()
    mine = ImportRejectedRow.objects.filter(job__workspace=workspace).count()
    assert mine == 5
    assert f"{mine} import rejected rows" in html
    jobs = client.get(reverse("admin:crm_importjob_changelist")).content.decode()
    assert ImportJob.objects.count() == 2
    assert "1 import job" in jobs
