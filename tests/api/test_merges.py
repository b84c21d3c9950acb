"""/contacts/merge, /companies/merge, /merges (jobs, undo) and /duplicates."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Company, Contact, Merge, Note
from crm.services.activity import note_create
from crm.services.contacts import contact_create
from tests.api.conftest import assert_error
from tests.factories import CompanyFactory, ContactFactory


@pytest.fixture
def people(workspace, actor):
    a = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        email="ada@x.example",
        phones=["+14155550100"],
    )
    b = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@home.example",
        phones=["+14155550100"],
    )
    note_create(
        workspace=workspace, actor=actor, subject_type="contact", subject_id=b.pk, body="hello"
    )
    return a, b


def test_contact_merge_answers_with_the_survivor(api, people):
    a, b = people
    response = api.post(
        "/api/v1/contacts/merge",
        {"primary_id": str(a.pk), "secondary_id": str(b.pk), "fields": {"email": "secondary"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(a.pk)
    assert body["last_name"] == "Lovelace"
    assert body["email"] == "ada@home.example"
    assert {e["value"] for e in body["emails"]} == {"ada@x.example", "ada@home.example"}
    assert Merge.objects.get().pk.hex == response["X-Merge-Id"].replace("-", "")
    assert not Contact.objects.filter(pk=b.pk).exists()
    assert Note.objects.get().subject_id == a.pk
    assert response["ETag"]


def test_company_merge(api, workspace):
    one = CompanyFactory(workspace=workspace, name="Initech")
    two = CompanyFactory(workspace=workspace, name="Initech Inc", industry="Software")
    response = api.post(
        "/api/v1/companies/merge",
        {"primary_id": str(one.pk), "secondary_id": str(two.pk)},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["industry"] == "Software"
    assert not Company.objects.filter(pk=two.pk).exists()


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"secondary_id": "x"}, 400, "secondary_id"),
        ({"merge_strategy": "newest"}, 400, "merge_strategy"),
        ({"fields": {"email": "both"}}, 400, "fields.email"),
        ({"fields": {"password": "primary"}}, 400, "fields"),
        ({"surprise": 1}, 400, "surprise"),
    ],
)
def test_merge_validation(api, people, body, code, field):
    a, b = people
    payload = {"primary_id": str(a.pk), "secondary_id": str(b.pk), **body}
    assert_error(api.post("/api/v1/contacts/merge", payload, format="json"), code, field=field)
    assert Contact.objects.filter(pk=b.pk).exists()


def test_merge_into_itself_is_refused(api, people):
    a, _ = people
    assert_error(
        api.post(
            "/api/v1/contacts/merge",
            {"primary_id": str(a.pk), "secondary_id": str(a.pk)},
            format="json",
        ),
        422,
    )
    same = [{"primary_id": str(a.pk), "secondary_id": str(a.pk)}]
    assert_error(
        api.post("/api/v1/merges", {"object_type": "contact", "pairs": same}, format="json"), 422
    )


def test_merge_needs_the_write_scope(make_client, people):
    a, b = people
    reader = make_client("contacts:read")
    body = assert_error(
        reader.post(
            "/api/v1/contacts/merge",
            {"primary_id": str(a.pk), "secondary_id": str(b.pk)},
            format="json",
        ),
        403,
    )
    assert "contacts:write" in body["message"]


def test_another_workspaces_record_is_404_and_untouched(api, people, other_workspace):
    a, _ = people
    theirs = ContactFactory(workspace=other_workspace)
    for payload in (
        {"primary_id": str(a.pk), "secondary_id": str(theirs.pk)},
        {"primary_id": str(theirs.pk), "secondary_id": str(a.pk)},
    ):
        assert_error(api.post("/api/v1/contacts/merge", payload, format="json"), 404)
    assert Contact.objects.filter(pk=theirs.pk).exists()
    assert Contact.objects.filter(pk=a.pk).exists()


def test_merge_job_with_progress_errors_and_undo(api, workspace, people, worker):
    a, b = people
    c = ContactFactory(workspace=workspace)
    d = ContactFactory(workspace=workspace)
    pairs = [
        {"primary_id": str(a.pk), "secondary_id": str(b.pk)},
        {"primary_id": str(c.pk), "secondary_id": str(d.pk)},
        {"primary_id": str(c.pk), "secondary_id": str(b.pk)},  # b is gone by then
    ]
    with worker():
        response = api.post(
            "/api/v1/merges", {"object_type": "contact", "pairs": pairs}, format="json"
        )
    assert response.status_code == 202, response.content
    job = api.get(response["Location"]).json()
    assert job["status"] == "succeeded"
    assert job["progress"] == {"total": 3, "processed": 3, "failed": 1}
    assert job["errors"][0]["index"] == 2
    assert not Contact.objects.filter(pk__in=[b.pk, d.pk]).exists()

    with worker():
        undo = api.post(f"{response['Location']}/undo")
    assert undo.status_code == 202
    assert api.get(response["Location"]).json()["undo_status"] == "succeeded"
    assert Contact.objects.filter(pk__in=[b.pk, d.pk]).count() == 2
    assert Note.objects.get().subject_id == b.pk
    assert_error(api.post(f"{response['Location']}/undo"), 409)


def test_merge_job_dry_run_changes_nothing(api, people, worker):
    a, b = people
    with worker():
        response = api.post(
            "/api/v1/merges",
            {
                "object_type": "contact",
                "pairs": [{"primary_id": str(a.pk), "secondary_id": str(b.pk)}],
                "dry_run": True,
            },
            format="json",
        )
    job = api.get(response["Location"]).json()
    assert (job["status"], job["dry_run"], job["progress"]["failed"]) == ("succeeded", True, 0)
    assert Contact.objects.filter(pk=b.pk).exists()
    assert_error(api.post(f"{response['Location']}/undo"), 409)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"object_type": "deal", "pairs": []}, "object_type"),
        ({"object_type": "contact", "pairs": []}, "pairs.non_field_errors"),
        ({"object_type": "contact", "pairs": [{"primary_id": "nope"}]}, "pairs.0.primary_id"),
    ],
)
def test_merge_job_validation(api, body, field):
    assert_error(api.post("/api/v1/merges", body, format="json"), 400, field=field)


def test_merge_job_scope_and_tenancy(make_client, api, people, other_workspace, worker):
    a, b = people
    pairs = [{"primary_id": str(a.pk), "secondary_id": str(b.pk)}]
    assert_error(
        make_client("contacts:read").post(
            "/api/v1/merges", {"object_type": "contact", "pairs": pairs}, format="json"
        ),
        403,
    )
    theirs = make_client("crm:write", ws=other_workspace)
    with worker():
        job = theirs.post(
            "/api/v1/merges", {"object_type": "contact", "pairs": pairs}, format="json"
        ).json()
    # their job names our ids: it can't see them, so it fails those pairs and touches nothing
    assert theirs.get(job["url"]).json()["progress"]["failed"] == 1
    assert Contact.objects.filter(pk=b.pk).exists()
    assert_error(api.get(job["url"]), 404)
    assert_error(api.post(f"{job['url']}/undo"), 404)


def test_duplicates_lists_groups_with_reasons_and_remembers_dismissals(api, workspace, actor):
    acme = CompanyFactory(workspace=workspace, name="Acme")
    jon = contact_create(
        workspace=workspace, actor=actor, first_name="Jonathan", last_name="Smith", company=acme
    )
    john = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Jonathon",
        last_name="Smith",
        company=acme,
        phones=["+14155550177"],
    )
    other = contact_create(
        workspace=workspace, actor=actor, first_name="Zed", phones=["+14155550177"]
    )
    contact_create(workspace=workspace, actor=actor, first_name="Unique", last_name="Person")

    body = api.get("/api/v1/duplicates", {"object_type": "contact"}).json()
    assert body["meta"]["count"] == 1
    group = body["data"][0]
    assert {r["id"] for r in group["records"]} == {str(jon.pk), str(john.pk), str(other.pk)}
    assert group["reasons"] == ["same phone", "similar name, same company"]
    assert 0.8 <= group["score"] < 0.95

    response = api.post(
        "/api/v1/duplicates/not-duplicates",
        {"object_type": "contact", "ids": [str(john.pk), str(other.pk)]},
        format="json",
    )
    assert response.json() == {"pairs": 1}
    group = api.get("/api/v1/duplicates", {"object_type": "contact"}).json()["data"][0]
    assert {r["id"] for r in group["records"]} == {str(jon.pk), str(john.pk)}


def test_duplicates_validation_scope_and_tenancy(api, make_client, workspace, other_workspace):
    assert_error(api.get("/api/v1/duplicates"), 400, field="object_type")
    assert_error(
        api.get("/api/v1/duplicates", {"object_type": "contact", "limit": "x"}), 400, field="limit"
    )
    assert_error(
        make_client("companies:read").get("/api/v1/duplicates", {"object_type": "contact"}), 403
    )
    theirs = ContactFactory(workspace=other_workspace)
    mine = ContactFactory(workspace=workspace)
    assert_error(
        api.post(
            "/api/v1/duplicates/not-duplicates",
            {"object_type": "contact", "ids": [str(mine.pk), str(theirs.pk)]},
            format="json",
        ),
        400,
        field="ids",
    )


def test_duplicates_query_count_does_not_grow(api, workspace):
    acme = CompanyFactory(workspace=workspace, name="Acme")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/duplicates", {"object_type": "contact"}).status_code == 200
        return len(queries)

    ContactFactory(workspace=workspace, first_name="Sam", last_name="Stone", company=acme)
    ContactFactory(workspace=workspace, first_name="Samm", last_name="Stone", company=acme)
    count()  # warm: the key's first use is recorded once
    small = count()
    for n in range(10):
        ContactFactory(workspace=workspace, first_name=f"Pat{n}", last_name="Quinn", company=acme)
        ContactFactory(workspace=workspace, first_name=f"Pat{n}", last_name="Quinn", company=acme)
    assert count() == small


def test_create_with_check_duplicates_warns_instead_of_creating(api, workspace, actor):
    acme = CompanyFactory(workspace=workspace, name="Acme Corporation")
    existing = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Jonathan",
        last_name="Smith",
        company=acme,
        phones=["+14155550177"],
        emails=[{"value": "js@home.example"}],
        email="jon@acme.example",
    )
    for body, reason in [
        ({"first_name": "Jon", "email": "JS@home.example"}, "same email"),
        ({"first_name": "Jon", "phones": [{"value": "(415) 555-0177"}]}, "same phone"),
        (
            {"first_name": "Jonathon", "last_name": "Smith", "company_id": str(acme.pk)},
            "similar name, same company",
        ),
    ]:
        response = api.post("/api/v1/contacts?check_duplicates=true", body, format="json")
        assert response.status_code == 409, (body, response.content)
        payload = response.json()
        assert payload["conflict_id"] == str(existing.pk)
        assert reason in payload["duplicates"][0]["reasons"]
    assert Contact.objects.count() == 1
    # without the flag (or with nothing alike) it is created as usual
    assert (
        api.post(
            "/api/v1/contacts?check_duplicates=true", {"first_name": "Unrelated"}, format="json"
        ).status_code
        == 201
    )
    assert (
        api.post(
            "/api/v1/contacts",
            {"first_name": "Jon", "phones": [{"value": "+14155550177"}]},
            format="json",
        ).status_code
        == 201
    )

    company = api.post(
        "/api/v1/companies?check_duplicates=true", {"name": "ACME Corporation"}, format="json"
    )
    assert company.status_code == 409
    assert company.json()["duplicates"][0]["id"] == str(acme.pk)
