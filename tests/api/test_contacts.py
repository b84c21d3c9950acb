"""/api/v1/contacts: the pattern every resource's tests follow (success, validation failure,
missing scope, another workspace's id, no credential, bounded queries)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact, TimelineEvent
from crm.services.contacts import contact_create
from tests.api.conftest import assert_error
from tests.factories import CompanyFactory, ContactFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_create_contact_links_company_and_answers_201_with_etag(api, workspace):
    # given
    company = CompanyFactory(workspace=workspace, name="Globex")
    # when
    response = api.post(
        "/api/v1/contacts",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "Ada@Example.com",
            "phones": [{"value": "+44 20 7946 0000", "label": "work"}],
            "company_id": str(company.pk),
            "tags": ["vip"],
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["full_name"] == "Ada Lovelace"
    assert body["email"] == "Ada@example.com"
    assert body["phones"] == [{"value": "+442079460000", "label": "work", "is_primary": True}]
    assert body["company"] == "Globex" and body["company_id"] == str(company.pk)
    assert body["tags"] == ["vip"]
    assert response["ETag"].startswith('"')
    assert TimelineEvent.objects.filter(subject_id=body["id"], verb="created").exists()


def test_create_without_name_or_email_is_400(api):
    body = assert_error(api.post("/api/v1/contacts", {"job_title": "CEO"}, format="json"), 400)
    assert "non_field_errors" in body["errors"]


def test_create_with_unknown_field_is_400_naming_it(api):
    assert_error(
        api.post("/api/v1/contacts", {"first_name": "A", "workspace": "x"}, format="json"),
        400,
        field="workspace",
    )


def test_duplicate_email_is_409_with_conflict_id(api, workspace, actor):
    existing = contact_create(workspace=workspace, actor=actor, email="taken@example.com")
    body = assert_error(
        api.post("/api/v1/contacts", {"email": "TAKEN@example.com"}, format="json"), 409
    )
    assert body["conflict_id"] == str(existing.pk)


def test_company_of_another_workspace_is_404(api, other_workspace):
    company = CompanyFactory(workspace=other_workspace)
    assert_error(
        api.post(
            "/api/v1/contacts", {"first_name": "A", "company_id": str(company.pk)}, format="json"
        ),
        404,
    )


def test_missing_scope_is_403_naming_it(make_client):
    client = make_client("contacts:read")
    body = assert_error(client.post("/api/v1/contacts", {"first_name": "A"}, format="json"), 403)
    assert "contacts:write" in body["message"]


def test_no_credential_is_401(anonymous):
    assert_error(anonymous.get("/api/v1/contacts"), 401)


def test_invalid_key_is_401(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer ak_abcdefgh_nope")
    assert_error(anonymous.get("/api/v1/contacts"), 401)


def test_another_workspaces_contact_is_404_for_every_method(api, other_workspace):
    theirs = ContactFactory(workspace=other_workspace)
    url = f"/api/v1/contacts/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"job_title": "x"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    theirs.refresh_from_db()
    assert theirs.job_title != "x"


def test_not_a_uuid_is_404(api):
    assert_error(api.get("/api/v1/contacts/not-a-uuid"), 404)


def test_patch_records_changes_and_if_match(api, workspace):
    contact = ContactFactory(workspace=workspace, job_title="Buyer")
    url = f"/api/v1/contacts/{contact.pk}"
    etag = api.get(url)["ETag"]
    # a stale ETag is refused
    assert_error(api.patch(url, {"job_title": "CEO"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    # the current one is accepted
    response = api.patch(url, {"job_title": "CEO"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["job_title"] == "CEO"
    assert response["ETag"] != etag
    event = TimelineEvent.objects.get(subject_id=contact.pk, verb="updated")
    assert event.changes == [{"field": "job_title", "from": "Buyer", "to": "CEO"}]


def test_put_is_a_partial_update(api, workspace):
    contact = ContactFactory(workspace=workspace, first_name="Ada", job_title="Buyer")
    response = api.put(f"/api/v1/contacts/{contact.pk}", {"job_title": "CEO"}, format="json")
    assert response.status_code == 200
    assert response.json()["first_name"] == "Ada"


def test_delete_is_204(api, workspace):
    contact = ContactFactory(workspace=workspace)
    assert api.delete(f"/api/v1/contacts/{contact.pk}").status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_list_pages_with_cursors_through_every_contact(api, workspace):
    ContactFactory.create_batch(7, workspace=workspace)
    seen, cursor = [], None
    while True:
        url = "/api/v1/contacts?limit=3&sort=last_name" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(url).json()
        seen += [row["id"] for row in body["data"]]
        assert body["meta"]["total"] == 7 and body["meta"]["limit"] == 3
        cursor = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            assert cursor is None
            break
    assert len(seen) == len(set(seen)) == 7


def test_list_limit_is_clamped_to_100(api):
    assert api.get("/api/v1/contacts?limit=1000").json()["meta"]["limit"] == 100


def test_list_bad_sort_and_fields_are_400(api):
    assert_error(api.get("/api/v1/contacts?sort=password"), 400, field="sort")
    assert_error(api.get("/api/v1/contacts?fields=id,secret"), 400, field="fields")


def test_sparse_fieldset(api, workspace):
    ContactFactory(workspace=workspace)
    row = api.get("/api/v1/contacts?fields=email,first_name").json()["data"][0]
    assert set(row) == {"id", "email", "first_name"}


def test_simple_filters(api, workspace, user):
    vip = TagFactory(workspace=workspace, name="vip")
    hot = TagFactory(workspace=workspace, name="hot")
    both = ContactFactory(workspace=workspace, status="customer", owner=user)
    both.tags.add(vip, hot)
    one = ContactFactory(workspace=workspace, status="lead")
    one.tags.add(vip)
    ids = {r["id"] for r in api.get("/api/v1/contacts?tags=vip,hot").json()["data"]}
    assert ids == {str(both.pk)}
    ids = {r["id"] for r in api.get("/api/v1/contacts?status=lead").json()["data"]}
    assert ids == {str(one.pk)}
    ids = {r["id"] for r in api.get("/api/v1/contacts?owner=unassigned").json()["data"]}
    assert ids == {str(one.pk)}
    ids = {r["id"] for r in api.get(f"/api/v1/contacts?owner={user.pk}").json()["data"]}
    assert ids == {str(both.pk)}
    assert_error(api.get("/api/v1/contacts?status=nope"), 400, field="status")
    assert_error(api.get("/api/v1/contacts?owner=me"), 400, field="owner")


def test_query_parameter_and_post_query(api, workspace):
    jon = ContactFactory(workspace=workspace, first_name="Jonás", status="customer")
    ContactFactory(workspace=workspace, first_name="Mary", status="customer")
    expression = {
        "and": [{"first_name": {"contains": "jonas"}}, {"status": {"in": ["customer", "lead"]}}]
    }
    ids = [
        r["id"]
        for r in api.get("/api/v1/contacts", {"query": json.dumps(expression)}).json()["data"]
    ]
    assert ids == [str(jon.pk)]
    ids = [
        r["id"]
        for r in api.post("/api/v1/contacts/query", expression, format="json").json()["data"]
    ]
    assert ids == [str(jon.pk)]
    body = assert_error(
        api.get("/api/v1/contacts", {"query": '{"nope": {"is": 1}}'}), 400, field="query"
    )
    assert "nope" in body["errors"]["query"][0]


def test_list_never_shows_another_workspace(api, other_workspace):
    ContactFactory(workspace=other_workspace)
    assert api.get("/api/v1/contacts").json()["data"] == []


def test_list_query_count_does_not_grow_with_rows(api, workspace):
    api.get("/api/v1/me")  # the key's last_used_at is written once, on first use

    def queries(n: int) -> int:
        for contact in ContactFactory.create_batch(n, workspace=workspace):
            contact.tags.add(TagFactory(workspace=workspace))
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/contacts?limit=100").status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_bulk_keeps_valid_rows_and_reports_each_failure(api, workspace, actor):
    contact_create(workspace=workspace, actor=actor, email="taken@example.com")
    response = api.post(
        "/api/v1/contacts/bulk",
        {
            "contacts": [
                {"first_name": "Ok"},
                {"job_title": "no name"},
                {"email": "taken@example.com"},
                {"first_name": "Also ok", "email": "new@example.com"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 2 and body["failed"] == 2
    assert [e["index"] for e in body["errors"]] == [1, 2]
    assert len(body["ids"]) == 2


def test_bulk_over_100_is_400(api):
    assert_error(
        api.post("/api/v1/contacts/bulk", {"contacts": [{"first_name": "x"}] * 101}, format="json"),
        400,
        field="contacts",
    )


def test_idempotency_key_replays_the_first_response(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "abc-123"}
    first = api.post("/api/v1/contacts", {"first_name": "Once"}, format="json", **headers)
    again = api.post("/api/v1/contacts", {"first_name": "Once"}, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert Contact.objects.filter(first_name="Once").count() == 1
    other = api.post("/api/v1/contacts", {"first_name": "Twice"}, format="json", **headers)
    assert_error(other, 422)


def test_me(api, workspace):
    body = api.get("/api/v1/me").json()
    assert body == {
        "user": None,
        "workspace": {"id": str(workspace.pk), "name": workspace.name},
        "scopes": ["crm:write"],
        "auth": "api_key",
    }


def test_session_auth_works_for_the_browser(client, user, workspace):
    client.force_login(user)
    body = client.get("/api/v1/me").json()
    assert body["auth"] == "session" and body["user"]["email"] == user.email


def test_company_memberships(api, workspace, other_workspace):
    contact = ContactFactory(workspace=workspace)
    company = CompanyFactory(workspace=workspace, name="Initech")
    url = f"/api/v1/contacts/{contact.pk}/company-memberships"
    created = api.post(url, {"company_id": str(company.pk), "role": "CTO"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["is_primary"] is True
    assert api.get(url).json()["data"][0]["company"] == "Initech"
    theirs = CompanyFactory(workspace=other_workspace)
    assert_error(api.post(url, {"company_id": str(theirs.pk)}, format="json"), 404)
    membership_id = created.json()["id"]
    assert (
        api.patch(f"{url}/{membership_id}", {"role": "CEO"}, format="json").json()["role"] == "CEO"
    )
    assert api.delete(f"{url}/{membership_id}").status_code == 204
