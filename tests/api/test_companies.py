"""/api/v1/companies: CRUD, filters, query, sort, paging, the people of a company."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Company, Contact, TimelineEvent
from crm.services.companies import company_create
from tests.api.conftest import assert_error
from tests.factories import (
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_create_company_answers_201_with_etag_and_location(api, workspace, user):
    # when
    response = api.post(
        "/api/v1/companies",
        {
            "name": "Globex",
            "domain": "https://www.Globex.com/about",
            "industry": "Manufacturing",
            "relationship": "customer",
            "owner": str(user.pk),
            "size": 250,
            "annual_revenue": "1250000.50",
            "phones": [{"value": "+44 20 7946 0000", "label": "work"}],
            "address": {"city": "Springfield", "country": "US"},
            "tags": ["vip"],
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Globex"
    assert body["domain"] == "globex.com"
    assert body["annual_revenue"] == "1250000.50"
    assert body["size"] == 250
    assert body["owner"] == str(user.pk)
    assert body["relationship"] == "customer" and body["lifecycle"] == "active"
    assert body["phones"] == [{"value": "+442079460000", "label": "work", "is_primary": True}]
    assert body["address"] == {"city": "Springfield", "country": "US"}
    assert body["tags"] == ["vip"]
    assert body["custom_fields"] == {} and body["last_activity_at"] is None
    assert body["created_at"].endswith("Z")
    assert response["ETag"].startswith('"')
    assert response["Location"] == f"/api/v1/companies/{body['id']}"
    assert TimelineEvent.objects.filter(subject_id=body["id"], verb="created").exists()


def test_create_without_name_is_400(api):
    assert_error(
        api.post("/api/v1/companies", {"domain": "x.com"}, format="json"), 400, field="name"
    )


def test_create_with_bad_values_is_400_naming_the_field(api):
    assert_error(
        api.post("/api/v1/companies", {"name": "A", "relationship": "enemy"}, format="json"),
        400,
        field="relationship",
    )
    assert_error(
        api.post("/api/v1/companies", {"name": "A", "annual_revenue": "-1"}, format="json"),
        400,
        field="annual_revenue",
    )
    assert_error(
        api.post("/api/v1/companies", {"name": "A", "workspace": "x"}, format="json"),
        400,
        field="workspace",
    )
    # an owner who is not a member of this workspace
    stranger = UserFactory()
    assert_error(
        api.post("/api/v1/companies", {"name": "A", "owner": str(stranger.pk)}, format="json"),
        400,
        field="owner",
    )
    assert not Company.objects.filter(name="A").exists()


def test_taken_domain_is_409_with_conflict_id(api, workspace, actor):
    existing = company_create(
        workspace=workspace, actor=actor, name="Initech", domain="initech.com"
    )
    body = assert_error(
        api.post(
            "/api/v1/companies", {"name": "Other", "domain": "WWW.INITECH.COM"}, format="json"
        ),
        409,
    )
    assert body["conflict_id"] == str(existing.pk)
    # the same through PATCH of another company
    other = CompanyFactory(workspace=workspace)
    body = assert_error(
        api.patch(f"/api/v1/companies/{other.pk}", {"domain": "initech.com"}, format="json"), 409
    )
    assert body["conflict_id"] == str(existing.pk)


def test_same_domain_in_another_workspace_is_fine(api, other_workspace):
    CompanyFactory(workspace=other_workspace, domain="shared.com")
    response = api.post("/api/v1/companies", {"name": "S", "domain": "shared.com"}, format="json")
    assert response.status_code == 201, response.content


def test_missing_scope_is_403_naming_it(make_client, workspace):
    client = make_client("companies:read")
    body = assert_error(client.post("/api/v1/companies", {"name": "A"}, format="json"), 403)
    assert "companies:write" in body["message"]
    company = CompanyFactory(workspace=workspace)
    body = assert_error(make_client("contacts:read").get(f"/api/v1/companies/{company.pk}"), 403)
    assert "companies:read" in body["message"]
    body = assert_error(client.delete(f"/api/v1/companies/{company.pk}"), 403)
    assert "companies:write" in body["message"]
    assert Company.objects.filter(pk=company.pk).exists()


def test_no_credential_is_401(anonymous, workspace):
    assert_error(anonymous.get("/api/v1/companies"), 401)
    assert_error(anonymous.post("/api/v1/companies", {"name": "A"}, format="json"), 401)
    company = CompanyFactory(workspace=workspace)
    assert_error(anonymous.get(f"/api/v1/companies/{company.pk}"), 401)
    assert_error(anonymous.get(f"/api/v1/companies/{company.pk}/contacts"), 401)


def test_another_workspaces_company_is_404_for_every_method(api, other_workspace):
    theirs = CompanyFactory(workspace=other_workspace, industry="Mining")
    url = f"/api/v1/companies/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"industry": "x"}, format="json"), 404)
    assert_error(api.put(url, {"industry": "x"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    assert_error(api.get(f"{url}/contacts"), 404)
    theirs.refresh_from_db()
    assert theirs.industry == "Mining"


def test_not_a_uuid_is_404(api):
    assert_error(api.get("/api/v1/companies/not-a-uuid"), 404)


def test_retrieve(api, workspace):
    company = CompanyFactory(workspace=workspace, name="Hooli", annual_revenue=None)
    response = api.get(f"/api/v1/companies/{company.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "Hooli"
    assert response.json()["annual_revenue"] is None
    assert response["ETag"].startswith('"')


def test_patch_records_changes_and_honours_if_match(api, workspace):
    company = CompanyFactory(workspace=workspace, industry="Software")
    url = f"/api/v1/companies/{company.pk}"
    etag = api.get(url)["ETag"]
    assert_error(api.patch(url, {"industry": "AI"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    response = api.patch(
        url, {"industry": "AI", "tags": ["hot"]}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content
    assert response.json()["industry"] == "AI" and response.json()["tags"] == ["hot"]
    assert response["ETag"] != etag
    event = TimelineEvent.objects.get(subject_id=company.pk, verb="updated")
    assert {"field": "industry", "from": "Software", "to": "AI"} in event.changes


def test_patch_with_blank_name_is_400(api, workspace):
    company = CompanyFactory(workspace=workspace, name="Kept")
    assert_error(
        api.patch(f"/api/v1/companies/{company.pk}", {"name": " "}, format="json"),
        400,
        field="name",
    )
    company.refresh_from_db()
    assert company.name == "Kept"


def test_put_is_a_partial_update(api, workspace):
    company = CompanyFactory(workspace=workspace, name="Keep", industry="x")
    response = api.put(f"/api/v1/companies/{company.pk}", {"industry": "y"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Keep" and response.json()["industry"] == "y"


def test_delete_is_204_and_people_stay(api, workspace):
    membership = CompanyMembershipFactory(contact=ContactFactory(workspace=workspace))
    company = membership.company
    assert api.delete(f"/api/v1/companies/{company.pk}").status_code == 204
    assert not Company.objects.filter(pk=company.pk).exists()
    assert Contact.objects.filter(pk=membership.contact_id).exists()


def test_list_pages_with_cursors_through_every_company(api, workspace):
    CompanyFactory.create_batch(7, workspace=workspace)
    seen, cursor = [], None
    while True:
        url = "/api/v1/companies?limit=3&sort=name" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(url).json()
        seen += [row["id"] for row in body["data"]]
        assert body["meta"]["total"] == 7 and body["meta"]["limit"] == 3
        cursor = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            assert cursor is None
            break
    assert len(seen) == len(set(seen)) == 7


def test_sort_by_name_descending(api, workspace):
    for name in ("Beta", "Alpha", "Gamma"):
        CompanyFactory(workspace=workspace, name=name)
    names = [r["name"] for r in api.get("/api/v1/companies?sort=-name").json()["data"]]
    assert names == ["Gamma", "Beta", "Alpha"]
    for sort in ("created_at", "updated_at", "-last_activity_at"):
        assert api.get(f"/api/v1/companies?sort={sort}").status_code == 200


def test_list_bad_sort_and_fields_are_400(api):
    assert_error(api.get("/api/v1/companies?sort=domain"), 400, field="sort")
    assert_error(api.get("/api/v1/companies?fields=id,secret"), 400, field="fields")


def test_sparse_fieldset(api, workspace):
    CompanyFactory(workspace=workspace)
    row = api.get("/api/v1/companies?fields=name,domain").json()["data"][0]
    assert set(row) == {"id", "name", "domain"}


def test_simple_filters(api, workspace, user):
    vip = TagFactory(workspace=workspace, name="vip")
    acme = CompanyFactory(
        workspace=workspace,
        name="Acme Rockets",
        domain="acme.com",
        relationship="customer",
        owner=user,
    )
    acme.tags.add(vip)
    other = CompanyFactory(
        workspace=workspace, name="Zenith", relationship="vendor", lifecycle="inactive"
    )

    def ids(params: str) -> set[str]:
        response = api.get(f"/api/v1/companies?{params}")
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["data"]}

    assert ids("relationship=customer") == {str(acme.pk)}
    assert ids("lifecycle=inactive") == {str(other.pk)}
    assert ids(f"owner={user.pk}") == {str(acme.pk)}
    assert ids("owner=unassigned") == {str(other.pk)}
    assert ids("domain=ACME.com") == {str(acme.pk)}
    assert ids("tags=vip") == {str(acme.pk)}
    assert ids("q=rock") == {str(acme.pk)}
    assert_error(api.get("/api/v1/companies?relationship=enemy"), 400, field="relationship")
    assert_error(api.get("/api/v1/companies?owner=me"), 400, field="owner")


def test_query_parameter_and_post_query(api, workspace):
    acme = CompanyFactory(workspace=workspace, name="Ácme", industry="Rockets")
    CompanyFactory(workspace=workspace, name="Zenith", industry="Rockets")
    expression = {"and": [{"name": {"contains": "acme"}}, {"industry": {"is": "Rockets"}}]}
    response = api.get("/api/v1/companies", {"query": json.dumps(expression)})
    assert [r["id"] for r in response.json()["data"]] == [str(acme.pk)]
    response = api.post("/api/v1/companies/query", expression, format="json")
    assert response.status_code == 200, response.content
    assert [r["id"] for r in response.json()["data"]] == [str(acme.pk)]
    body = assert_error(
        api.get("/api/v1/companies", {"query": '{"nope": {"is": 1}}'}), 400, field="query"
    )
    assert "nope" in body["errors"]["query"][0]


def test_post_query_needs_only_read_scope(make_client, workspace):
    CompanyFactory(workspace=workspace)
    client = make_client("companies:read")
    response = client.post("/api/v1/companies/query", {"name": {"contains": "a"}}, format="json")
    assert response.status_code == 200, response.content
    body = assert_error(
        make_client("contacts:read").post("/api/v1/companies/query", {}, format="json"), 403
    )
    assert "companies:read" in body["message"]


def test_list_never_shows_another_workspace(api, other_workspace):
    CompanyFactory(workspace=other_workspace)
    assert api.get("/api/v1/companies").json()["data"] == []


def test_list_query_count_does_not_grow_with_rows(api, workspace):
    api.get("/api/v1/me")  # the key's last_used_at is written once, on first use

    def queries(n: int) -> int:
        for company in CompanyFactory.create_batch(n, workspace=workspace):
            company.tags.add(TagFactory(workspace=workspace))
            company.phones.create(workspace=workspace, value=f"+4420794600{n:02d}")
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/companies?limit=100").status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_company_contacts_lists_linked_people(api, workspace):
    company = CompanyFactory(workspace=workspace)
    linked = [
        CompanyMembershipFactory(contact=ContactFactory(workspace=workspace), company=company)
        for _ in range(3)
    ]
    ContactFactory(workspace=workspace)  # not linked
    response = api.get(f"/api/v1/companies/{company.pk}/contacts?limit=2&sort=last_name")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["meta"]["total"] == 3 and body["meta"]["has_more"] is True
    assert {"email", "full_name", "phones"} <= set(body["data"][0])
    rest = api.get(
        f"/api/v1/companies/{company.pk}/contacts?limit=2&sort=last_name"
        f"&cursor={body['meta']['next_cursor']}"
    ).json()
    ids = [r["id"] for r in body["data"] + rest["data"]]
    assert sorted(ids) == sorted(str(m.contact_id) for m in linked)
    row = api.get(f"/api/v1/companies/{company.pk}/contacts?fields=email").json()["data"][0]
    assert set(row) == {"id", "email"}
    assert_error(api.get(f"/api/v1/companies/{company.pk}/contacts?sort=nope"), 400, field="sort")


def test_company_contacts_needs_contacts_read(make_client, workspace):
    company = CompanyFactory(workspace=workspace)
    body = assert_error(
        make_client("companies:read").get(f"/api/v1/companies/{company.pk}/contacts"), 403
    )
    assert "contacts:read" in body["message"]
    body = assert_error(
        make_client("contacts:read").get(f"/api/v1/companies/{company.pk}/contacts"), 403
    )
    assert "companies:read" in body["message"]
    ok = make_client("contacts:read", "companies:read")
    assert ok.get(f"/api/v1/companies/{company.pk}/contacts").status_code == 200


def test_company_contacts_query_count_does_not_grow(api, workspace):
    company = CompanyFactory(workspace=workspace)
    api.get("/api/v1/me")

    def queries(n: int) -> int:
        for _ in range(n):
            contact = ContactFactory(workspace=workspace)
            contact.tags.add(TagFactory(workspace=workspace))
            CompanyMembershipFactory(contact=contact, company=company)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(f"/api/v1/companies/{company.pk}/contacts?limit=100")
            assert response.status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_typed_custom_field_rejects_a_bad_value_on_companies(api, workspace):
    api.post(
        "/api/v1/custom-fields",
        {"object_type": "company", "key": "seats", "label": "Seats", "type": "number"},
        format="json",
    )
    assert_error(
        api.post(
            "/api/v1/companies",
            {"name": "Seats Inc", "custom_fields": {"seats": "many"}},
            format="json",
        ),
        400,
        field="custom_fields.seats",
    )
    assert not Company.objects.filter(name="Seats Inc").exists()
    response = api.post(
        "/api/v1/companies", {"name": "Seats Inc", "custom_fields": {"seats": "12"}}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["custom_fields"] == {"seats": 12}
    company_id = response.json()["id"]
    assert_error(
        api.patch(
            f"/api/v1/companies/{company_id}", {"custom_fields": {"seats": "x"}}, format="json"
        ),
        400,
        field="custom_fields.seats",
    )


def test_idempotency_key_replays_the_first_response(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "co-1"}
    first = api.post("/api/v1/companies", {"name": "Once"}, format="json", **headers)
    again = api.post("/api/v1/companies", {"name": "Once"}, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert Company.objects.filter(name="Once").count() == 1
