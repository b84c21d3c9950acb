"""The duplicates review queue: groups, merge with per-field choice, not duplicates, undo."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from crm.models import Contact, Merge, NotDuplicate
from crm.services.contacts import contact_create
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


@pytest.fixture
def twins(workspace, actor):
    a = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Grace",
        last_name="Hopper",
        email="grace@navy.example",
        phones=["+12025550143"],
        job_title="Admiral",
    )
    b = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Grace",
        last_name="Hopper",
        email="ghopper@home.example",
        phones=["+12025550143"],
        job_title="Rear Admiral",
    )
    return a, b


def test_empty_queue_explains(signed_in):
    html = signed_in.get("/duplicates/").content.decode()
    assert "No likely duplicates" in html


def test_queue_lists_groups_with_reasons(signed_in, twins):
    html = signed_in.get("/duplicates/?type=contact").content.decode()
    assert "same phone" in html
    assert "grace@navy.example" in html and "ghopper@home.example" in html
    assert "Review and merge" in html


def test_merge_page_compares_and_merges_with_the_picked_values(signed_in, twins):
    a, b = twins
    page = signed_in.get("/duplicates/merge/", {"type": "contact", "ids": [str(a.pk), str(b.pk)]})
    html = page.content.decode()
    assert "Rear Admiral" in html and "Admiral" in html
    assert 'name="field-job_title"' in html
    assert 'name="field-first_name"' not in html  # the same on both: nothing to pick

    response = signed_in.post(
        "/duplicates/merge/",
        {
            "type": "contact",
            "ids": [str(a.pk), str(b.pk)],
            "primary": str(a.pk),
            "confirm": "1",
            "field-job_title": str(b.pk),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{a.pk}/"
    a.refresh_from_db()
    assert a.job_title == "Rear Admiral"
    assert not Contact.objects.filter(pk=b.pk).exists()
    assert (
        "Merged 1 record into Grace Hopper" in signed_in.get(response["Location"]).content.decode()
    )

    merge = Merge.objects.get()
    html = signed_in.get("/duplicates/?type=contact").content.decode()
    assert "Recent merges" in html and f"/duplicates/merges/{merge.pk}/undo/" in html
    response = signed_in.post(f"/duplicates/merges/{merge.pk}/undo/")
    assert response["Location"] == f"/contacts/{b.pk}/"
    assert Contact.objects.filter(pk=b.pk).exists()
    a.refresh_from_db()
    assert a.job_title == "Admiral"


def test_the_kept_record_can_be_the_newer_one(signed_in, twins):
    a, b = twins
    signed_in.post(
        "/duplicates/merge/",
        {"type": "contact", "ids": [str(a.pk), str(b.pk)], "primary": str(b.pk), "confirm": "1"},
    )
    assert Contact.objects.filter(pk=b.pk).exists()
    assert not Contact.objects.filter(pk=a.pk).exists()


def test_not_duplicates_is_remembered(signed_in, twins):
    a, b = twins
    signed_in.post(
        "/duplicates/not-duplicates/", {"type": "contact", "ids": [str(a.pk), str(b.pk)]}
    )
    assert NotDuplicate.objects.count() == 1
    assert "No likely duplicates" in signed_in.get("/duplicates/").content.decode()


def test_viewer_sees_but_cannot_merge(client, workspace, twins):
    a, b = twins
    client.force_login(MembershipFactory(workspace=workspace, role=Role.VIEWER).user)
    html = client.get("/duplicates/").content.decode()
    assert "same phone" in html and "Review and merge" not in html
    ids = {"type": "contact", "ids": [str(a.pk), str(b.pk)]}
    assert client.post("/duplicates/merge/", {**ids, "confirm": "1"}).status_code == 403
    assert client.post("/duplicates/not-duplicates/", ids).status_code == 403
    assert Contact.objects.filter(pk=b.pk).exists()


def test_another_workspaces_records_are_404(signed_in, twins, other_workspace):
    a, _ = twins
    theirs = ContactFactory(workspace=other_workspace)
    response = signed_in.post(
        "/duplicates/merge/",
        {"type": "contact", "ids": [str(a.pk), str(theirs.pk)], "confirm": "1"},
    )
    assert response.status_code == 404
    assert Contact.objects.filter(pk=theirs.pk).exists()
    merge = Merge.objects.create(
        workspace=other_workspace, object_type="contact", primary_id=theirs.pk, secondary_id=a.pk
    )
    assert signed_in.post(f"/duplicates/merges/{merge.pk}/undo/").status_code == 404
    assert signed_in.get("/duplicates/?type=deal").status_code == 404


def test_queue_query_count_is_bounded(signed_in, workspace):
    acme = CompanyFactory(workspace=workspace, name="Acme")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get("/duplicates/").status_code == 200
        return len(queries)

    ContactFactory(workspace=workspace, first_name="Sam", last_name="Stone", company=acme)
    ContactFactory(workspace=workspace, first_name="Samm", last_name="Stone", company=acme)
    count()
    small = count()
    for n in range(10):
        ContactFactory(workspace=workspace, first_name=f"Pat{n}", last_name="Quinn", company=acme)
        ContactFactory(workspace=workspace, first_name=f"Pat{n}", last_name="Quinn", company=acme)
    assert count() == small


def test_new_contact_form_warns_of_a_likely_duplicate(signed_in, twins, workspace, actor):
    a = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Amazing",
        email="amazing@navy.example",
        emails=[{"value": "grace.h@personal.example"}],
    )
    data = {
        "first_name": "Ada",
        "last_name": "",
        "email": "GRACE.H@personal.example",
        "job_title": "",
        "company": "",
        "status": "lead",
        "owner": "",
        "tags": "",
    }
    html = signed_in.post("/contacts/new/", data).content.decode()
    assert "This looks like a record you already have" in html
    assert f"/contacts/{a.pk}/" in html and "same email" in html
    assert 'value="GRACE.H@personal.example"' in html  # what was typed is kept
    assert Contact.objects.count() == 3


def test_new_company_form_warns_then_creates_anyway(signed_in, workspace):
    acme = CompanyFactory(workspace=workspace, name="Acme Corporation")
    data = {
        "name": "ACME Corporation",
        "domain": "",
        "industry": "",
        "relationship": "prospect",
        "size": "",
        "owner": "",
        "tags": "",
    }
    html = signed_in.post("/companies/new/", data).content.decode()
    assert "similar name" in html and f"/companies/{acme.pk}/" in html
    response = signed_in.post("/companies/new/", {**data, "create_anyway": "1"})
    assert response.status_code == 302
    assert workspace.pk and response["Location"].startswith("/companies/")


def test_merge_all_groups_as_a_job_with_progress_and_undo(signed_in, twins, worker):
    a, b = twins
    confirm = signed_in.get("/duplicates/merge-all/", {"type": "contact"}).content.decode()
    assert "Merge 1 group of duplicates?" in confirm
    assert Contact.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
    with worker():
        response = signed_in.post("/duplicates/merge-all/", {"type": "contact"})
    job_url = response["Location"]
    assert job_url.startswith("/duplicates/jobs/")
    html = signed_in.get(job_url).content.decode()
    assert "1 of 1 merged" in html and "Undo all these merges" in html
    assert Contact.objects.filter(pk__in=[a.pk, b.pk]).count() == 1
    with worker():
        signed_in.post(f"{job_url}undo/")
    assert Contact.objects.filter(pk__in=[a.pk, b.pk]).count() == 2
    assert "Undone" in signed_in.get(job_url).content.decode()


def test_merge_jobs_of_another_workspace_are_404(signed_in, other_workspace):
    from crm.models import MergeJob

    job = MergeJob.objects.create(workspace=other_workspace, object_type="contact", total=1)
    assert signed_in.get(f"/duplicates/jobs/{job.pk}/").status_code == 404
    assert signed_in.post(f"/duplicates/jobs/{job.pk}/undo/").status_code == 404
