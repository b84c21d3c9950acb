"""POST /contacts/bulk-update and /contacts/bulk-delete: inline for ids, a job otherwise."""

from __future__ import annotations

import json

import pytest

from crm.models import BulkJob, Contact, TimelineEvent
from tests.api.conftest import assert_error
from tests.factories import ContactFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_bulk_update_inline_sets_owner_status_and_tags(api, workspace, user):
    # given
    old = TagFactory(workspace=workspace, name="old")
    contacts = ContactFactory.create_batch(3, workspace=workspace, status="lead")
    for contact in contacts:
        contact.tags.add(old)
    # when
    response = api.post(
        "/api/v1/contacts/bulk-update",
        {
            "ids": [str(c.pk) for c in contacts],
            "set": {
                "owner": str(user.pk),
                "status": "customer",
                "add_tags": ["vip"],
                "remove_tags": ["OLD"],
            },
        },
        format="json",
    )
    # then
    assert response.status_code == 200, response.content
    assert response.json() == {"updated": 3, "failed": 0, "errors": []}
    for contact in Contact.objects.filter(pk__in=[c.pk for c in contacts]):
        assert contact.owner_id == user.pk and contact.status == "customer"
        assert [t.name for t in contact.tags.all()] == ["vip"]
    assert (
        TimelineEvent.objects.filter(
            verb="updated", subject_id__in=[c.pk for c in contacts]
        ).count()
        == 3
    )


def test_bulk_update_reports_each_bad_record_and_keeps_the_rest(api, workspace, other_workspace):
    mine = ContactFactory(workspace=workspace)
    theirs = ContactFactory(workspace=other_workspace)
    body = api.post(
        "/api/v1/contacts/bulk-update",
        {"ids": [str(mine.pk), str(theirs.pk)], "set": {"status": "active"}},
        format="json",
    ).json()
    assert body["updated"] == 1 and body["failed"] == 1
    assert body["errors"][0]["id"] == str(theirs.pk)
    theirs.refresh_from_db()
    assert theirs.status != "active"


def test_bulk_update_validation(api):
    assert_error(
        api.post("/api/v1/contacts/bulk-update", {"set": {"status": "x"}}, format="json"),
        400,
        field="non_field_errors",
    )
    assert_error(
        api.post(
            "/api/v1/contacts/bulk-update", {"ids": [], "set": {"password": 1}}, format="json"
        ),
        400,
        field="set",
    )


def test_bulk_update_needs_the_write_scope(make_client, workspace):
    contact = ContactFactory(workspace=workspace)
    body = assert_error(
        make_client("contacts:read").post(
            "/api/v1/contacts/bulk-update",
            {"ids": [str(contact.pk)], "set": {"status": "active"}},
            format="json",
        ),
        403,
    )
    assert "contacts:write" in body["message"]


def test_bulk_delete_by_query_runs_as_a_job(api, workspace, django_capture_on_commit_callbacks):
    from crm.celery import app

    doomed = ContactFactory.create_batch(3, workspace=workspace, status="churned")
    kept = ContactFactory(workspace=workspace, status="customer")
    # the worker's part runs in-process once the request's transaction commits
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/api/v1/contacts/bulk-delete",
                {"query": {"status": {"is": "churned"}}},
                format="json",
            )
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 202, response.content
    job = api.get(response.json()["url"]).json()
    assert job["status"] == "succeeded"
    assert job["progress"] == {"total": 3, "processed": 3, "failed": 0}
    assert not Contact.objects.filter(pk__in=[c.pk for c in doomed]).exists()
    assert Contact.objects.filter(pk=kept.pk).exists()


def test_a_bad_query_is_400_before_any_job(api):
    body = assert_error(
        api.post("/api/v1/contacts/bulk-delete", {"query": {"nope": {"is": 1}}}, format="json"), 400
    )
    assert "nope" in json.dumps(body)
    assert not BulkJob.objects.exists()


def test_a_session_member_may_not_bulk_delete(client, workspace, member):
    contact = ContactFactory(workspace=workspace)
    client.force_login(member)
    response = client.post(
        "/api/v1/contacts/bulk-delete", {"ids": [str(contact.pk)]}, content_type="application/json"
    )
    assert_error(response, 403)
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_another_workspaces_job_is_404(api, make_client, other_workspace):
    theirs = make_client("crm:write", ws=other_workspace)
    ContactFactory(workspace=other_workspace, status="churned")
    job = theirs.post(
        "/api/v1/contacts/bulk-delete", {"query": {"status": {"is": "churned"}}}, format="json"
    ).json()
    assert_error(api.get(job["url"]), 404)


def test_companies_and_deals_have_the_same_bulk_endpoints(api, workspace, user):
    from pipelines.models import Deal
    from tests.factories import CompanyFactory, DealFactory

    companies = CompanyFactory.create_batch(2, workspace=workspace)
    response = api.post(
        "/api/v1/companies/bulk-update",
        {"ids": [str(c.pk) for c in companies], "set": {"lifecycle": "inactive"}},
        format="json",
    )
    assert response.json() == {"updated": 2, "failed": 0, "errors": []}
    deals = DealFactory.create_batch(2, workspace=workspace)
    response = api.post(
        "/api/v1/deals/bulk-update",
        {"ids": [str(d.pk) for d in deals], "set": {"owner": str(user.pk)}},
        format="json",
    )
    assert response.json()["updated"] == 2
    assert set(
        Deal.objects.filter(pk__in=[d.pk for d in deals]).values_list("owner_id", flat=True)
    ) == {user.pk}
    response = api.post("/api/v1/deals/bulk-delete", {"ids": [str(deals[0].pk)]}, format="json")
    assert response.json() == {"deleted": 1, "failed": 0, "errors": []}
    assert_error(
        api.post(
            "/api/v1/deals/bulk-update",
            {"ids": [str(deals[1].pk)], "set": {"status": "won"}},
            format="json",
        ),
        400,
        field="set",
    )
