"""/api/v1/tags (with usage counts) and /api/v1/lists with their members."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import List, ListMember, Tag
from crm.services.lists import list_create, list_members_add
from tests.api.conftest import assert_error
from tests.factories import CompanyFactory, ContactFactory, DealFactory, TagFactory

pytestmark = pytest.mark.django_db


# --- tags ------------------------------------------------------------------------------------


def test_create_tag_answers_201(api):
    response = api.post("/api/v1/tags", {"name": "VIP", "color": "#ff0000"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "VIP" and body["color"] == "#ff0000"
    assert body["contact_count"] == body["company_count"] == body["deal_count"] == 0
    assert response["ETag"].startswith('"')
    assert response["Location"] == f"/api/v1/tags/{body['id']}"


def test_create_tag_defaults_its_colour(api):
    response = api.post("/api/v1/tags", {"name": "plain"}, format="json")
    assert response.status_code == 201
    assert response.json()["color"].startswith("#")


def test_create_tag_validation(api):
    assert_error(api.post("/api/v1/tags", {}, format="json"), 400, field="name")
    assert_error(api.post("/api/v1/tags", {"name": " "}, format="json"), 400, field="name")
    assert_error(
        api.post("/api/v1/tags", {"name": "x", "color": "red"}, format="json"), 400, field="color"
    )
    assert_error(
        api.post("/api/v1/tags", {"name": "x", "usage": 1}, format="json"), 400, field="usage"
    )
    assert not Tag.objects.filter(name="x").exists()


def test_taken_tag_name_is_409_with_conflict_id(api, workspace):
    existing = TagFactory(workspace=workspace, name="vip")
    body = assert_error(api.post("/api/v1/tags", {"name": "VIP"}, format="json"), 409)
    assert body["conflict_id"] == str(existing.pk)


def test_tag_usage_counts(api, workspace):
    vip = TagFactory(workspace=workspace, name="vip")
    TagFactory(workspace=workspace, name="unused")
    for contact in ContactFactory.create_batch(3, workspace=workspace):
        contact.tags.add(vip)
    CompanyFactory(workspace=workspace).tags.add(vip)
    for deal in DealFactory.create_batch(2, workspace=workspace):
        deal.tags.add(vip)
    rows = {r["name"]: r for r in api.get("/api/v1/tags").json()["data"]}
    assert (rows["vip"]["contact_count"], rows["vip"]["company_count"]) == (3, 1)
    assert rows["vip"]["deal_count"] == 2
    assert rows["unused"]["contact_count"] == 0
    one = api.get(f"/api/v1/tags/{vip.pk}").json()
    assert one["contact_count"] == 3 and one["deal_count"] == 2
    names = [r["name"] for r in api.get("/api/v1/tags?name=VI").json()["data"]]
    assert names == ["vip"]


def test_tags_list_sorted_by_name_pages_and_sparse(api, workspace):
    for name in ("b", "a", "c"):
        TagFactory(workspace=workspace, name=name)
    body = api.get("/api/v1/tags?limit=2").json()
    assert [r["name"] for r in body["data"]] == ["a", "b"]
    assert body["meta"]["total"] == 3 and body["meta"]["has_more"] is True
    rest = api.get(f"/api/v1/tags?limit=2&cursor={body['meta']['next_cursor']}").json()
    assert [r["name"] for r in rest["data"]] == ["c"]
    row = api.get("/api/v1/tags?fields=name").json()["data"][0]
    assert set(row) == {"id", "name"}
    assert_error(api.get("/api/v1/tags?fields=secret"), 400, field="fields")
    assert_error(api.get("/api/v1/tags?sort=color"), 400, field="sort")


def test_tags_list_query_count_does_not_grow_with_rows(api, workspace):
    api.get("/api/v1/me")

    def queries(n: int) -> int:
        for tag in TagFactory.create_batch(n, workspace=workspace):
            ContactFactory(workspace=workspace).tags.add(tag)
            CompanyFactory(workspace=workspace).tags.add(tag)
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/tags?limit=100").status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_patch_and_delete_tag(api, workspace):
    tag = TagFactory(workspace=workspace, name="old")
    contact = ContactFactory(workspace=workspace)
    contact.tags.add(tag)
    url = f"/api/v1/tags/{tag.pk}"
    etag = api.get(url)["ETag"]
    assert_error(api.patch(url, {"name": "new"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    response = api.patch(url, {"name": "new", "color": "#00ff00"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "new" and response.json()["contact_count"] == 1
    assert response["ETag"] != etag
    assert api.put(url, {"color": "#0000ff"}, format="json").json()["name"] == "new"
    assert_error(api.patch(url, {"color": "blue"}, format="json"), 400, field="color")
    assert api.delete(url).status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert list(contact.tags.all()) == []


def test_tag_rename_to_a_taken_name_is_409(api, workspace):
    TagFactory(workspace=workspace, name="taken")
    tag = TagFactory(workspace=workspace, name="mine")
    assert_error(api.patch(f"/api/v1/tags/{tag.pk}", {"name": "Taken"}, format="json"), 409)


def test_tag_scopes(make_client, workspace):
    tag = TagFactory(workspace=workspace)
    reader = make_client("contacts:read")
    assert reader.get("/api/v1/tags").status_code == 200
    assert reader.get(f"/api/v1/tags/{tag.pk}").status_code == 200
    body = assert_error(reader.post("/api/v1/tags", {"name": "x"}, format="json"), 403)
    assert "contacts:write" in body["message"]
    body = assert_error(reader.delete(f"/api/v1/tags/{tag.pk}"), 403)
    assert "contacts:write" in body["message"]
    body = assert_error(make_client("deals:read").get("/api/v1/tags"), 403)
    assert "contacts:read" in body["message"]
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_tag_no_credential_is_401(anonymous, workspace):
    assert_error(anonymous.get("/api/v1/tags"), 401)
    assert_error(anonymous.get(f"/api/v1/tags/{TagFactory(workspace=workspace).pk}"), 401)


def test_another_workspaces_tag_is_404(api, other_workspace):
    theirs = TagFactory(workspace=other_workspace, name="theirs")
    url = f"/api/v1/tags/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"name": "mine"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    theirs.refresh_from_db()
    assert theirs.name == "theirs"
    assert api.get("/api/v1/tags").json()["data"] == []


# --- lists -----------------------------------------------------------------------------------


def test_create_list_answers_201(api):
    response = api.post("/api/v1/lists", {"name": "Q1", "object_type": "contact"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Q1" and body["object_type"] == "contact"
    assert body["member_count"] == 0
    assert response["Location"] == f"/api/v1/lists/{body['id']}"
    assert response["ETag"].startswith('"')


def test_create_list_validation(api, workspace):
    assert_error(api.post("/api/v1/lists", {"name": "x"}, format="json"), 400, field="object_type")
    assert_error(
        api.post("/api/v1/lists", {"object_type": "contact"}, format="json"), 400, field="name"
    )
    assert_error(
        api.post("/api/v1/lists", {"name": "x", "object_type": "deal"}, format="json"),
        400,
        field="object_type",
    )
    list_create(workspace=workspace, name="taken", object_type="contact")
    assert_error(
        api.post("/api/v1/lists", {"name": "taken", "object_type": "company"}, format="json"), 409
    )
    assert not List.objects.filter(name="x").exists()


def test_lists_list_filters_counts_and_queries(api, workspace):
    api.get("/api/v1/me")
    people = list_create(workspace=workspace, name="People", object_type="contact")
    list_create(workspace=workspace, name="Orgs", object_type="company")
    list_members_add(
        list_=people, ids=[c.pk for c in ContactFactory.create_batch(2, workspace=workspace)]
    )
    rows = {r["name"]: r for r in api.get("/api/v1/lists").json()["data"]}
    assert rows["People"]["member_count"] == 2 and rows["Orgs"]["member_count"] == 0
    names = [r["name"] for r in api.get("/api/v1/lists?object_type=company").json()["data"]]
    assert names == ["Orgs"]
    assert_error(api.get("/api/v1/lists?object_type=deal"), 400, field="object_type")

    def queries(n: int) -> int:
        for i in range(n):
            list_ = list_create(workspace=workspace, name=f"L{n}-{i}", object_type="contact")
            list_members_add(list_=list_, ids=[ContactFactory(workspace=workspace).pk])
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/lists?limit=100").status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_patch_put_and_delete_list(api, workspace):
    list_ = list_create(workspace=workspace, name="Old", object_type="contact")
    url = f"/api/v1/lists/{list_.pk}"
    etag = api.get(url)["ETag"]
    assert_error(api.patch(url, {"name": "New"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    response = api.patch(url, {"name": "New"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["name"] == "New"
    assert api.put(url, {"name": "Newer"}, format="json").json()["name"] == "Newer"
    assert_error(
        api.patch(url, {"object_type": "company"}, format="json"), 400, field="object_type"
    )
    # echoing the same object type back is fine
    assert api.patch(url, {"object_type": "contact"}, format="json").status_code == 200
    assert api.delete(url).status_code == 204
    assert not List.objects.filter(pk=list_.pk).exists()


def test_list_scopes_and_no_credential(make_client, anonymous, workspace):
    list_ = list_create(workspace=workspace, name="L", object_type="contact")
    reader = make_client("lists:read")
    assert reader.get("/api/v1/lists").status_code == 200
    assert reader.get(f"/api/v1/lists/{list_.pk}/members").status_code == 200
    body = assert_error(
        reader.post("/api/v1/lists", {"name": "x", "object_type": "contact"}, format="json"), 403
    )
    assert "lists:write" in body["message"]
    contact = ContactFactory(workspace=workspace)
    body = assert_error(
        reader.post(f"/api/v1/lists/{list_.pk}/members", {"ids": [str(contact.pk)]}, format="json"),
        403,
    )
    assert "lists:write" in body["message"]
    body = assert_error(make_client("contacts:read").get("/api/v1/lists"), 403)
    assert "lists:read" in body["message"]
    assert not ListMember.objects.filter(list=list_).exists()
    assert_error(anonymous.get("/api/v1/lists"), 401)
    assert_error(anonymous.get(f"/api/v1/lists/{list_.pk}/members"), 401)


def test_another_workspaces_list_is_404(api, other_workspace):
    theirs = list_create(workspace=other_workspace, name="Theirs", object_type="contact")
    their_contact = ContactFactory(workspace=other_workspace)
    url = f"/api/v1/lists/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"name": "Mine"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    assert_error(api.get(f"{url}/members"), 404)
    assert_error(api.post(f"{url}/members", {"ids": [str(their_contact.pk)]}, format="json"), 404)
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert not ListMember.objects.filter(list=theirs).exists()


def test_contact_list_members_add_list_remove(api, workspace):
    list_ = list_create(workspace=workspace, name="People", object_type="contact")
    people = ContactFactory.create_batch(3, workspace=workspace)
    url = f"/api/v1/lists/{list_.pk}/members"
    response = api.post(url, {"ids": [str(p.pk) for p in people[:2]]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"added": 2, "member_count": 2}
    # adding again adds nothing new
    response = api.post(url, {"ids": [str(p.pk) for p in people]}, format="json")
    assert response.json() == {"added": 1, "member_count": 3}
    body = api.get(f"{url}?limit=2&sort=last_name").json()
    assert body["meta"]["total"] == 3 and body["meta"]["has_more"] is True
    assert {"email", "full_name", "company"} <= set(body["data"][0])
    rest = api.get(f"{url}?limit=2&sort=last_name&cursor={body['meta']['next_cursor']}").json()
    assert sorted(r["id"] for r in body["data"] + rest["data"]) == sorted(str(p.pk) for p in people)
    row = api.get(f"{url}?fields=email").json()["data"][0]
    assert set(row) == {"id", "email"}
    response = api.delete(url, {"ids": [str(people[0].pk)]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"removed": 1, "member_count": 2}
    assert api.get(f"/api/v1/lists/{list_.pk}").json()["member_count"] == 2


def test_company_list_members_answer_companies(api, workspace):
    list_ = list_create(workspace=workspace, name="Orgs", object_type="company")
    company = CompanyFactory(workspace=workspace, name="Acme")
    url = f"/api/v1/lists/{list_.pk}/members"
    assert api.post(url, {"ids": [str(company.pk)]}, format="json").status_code == 200
    rows = api.get(f"{url}?sort=name").json()["data"]
    assert [(r["id"], r["name"], r["domain"]) for r in rows] == [
        (str(company.pk), "Acme", company.domain)
    ]
    assert_error(api.get(f"{url}?fields=email"), 400, field="fields")


def test_members_with_unknown_or_foreign_ids_are_400_and_nothing_changes(
    api, workspace, other_workspace
):
    list_ = list_create(workspace=workspace, name="People", object_type="contact")
    mine = ContactFactory(workspace=workspace)
    theirs = ContactFactory(workspace=other_workspace)
    company = CompanyFactory(workspace=workspace)
    url = f"/api/v1/lists/{list_.pk}/members"
    for ids in ([str(mine.pk), str(theirs.pk)], [str(company.pk)]):
        assert_error(api.post(url, {"ids": ids}, format="json"), 400, field="ids")
    assert_error(api.post(url, {"ids": []}, format="json"), 400, field="ids")
    assert_error(api.post(url, {"ids": ["nope"]}, format="json"), 400, field="ids.0")
    assert_error(api.post(url, {}, format="json"), 400, field="ids")
    assert_error(api.delete(url, {"ids": [str(theirs.pk)]}, format="json"), 400, field="ids")
    assert not ListMember.objects.filter(list=list_).exists()


def test_members_list_query_count_does_not_grow(api, workspace):
    list_ = list_create(workspace=workspace, name="People", object_type="contact")
    orgs = list_create(workspace=workspace, name="Orgs", object_type="company")
    api.get("/api/v1/me")

    def queries(n: int) -> tuple[int, int]:
        contacts = ContactFactory.create_batch(n, workspace=workspace)
        for contact in contacts:
            contact.tags.add(TagFactory(workspace=workspace))
        list_members_add(list_=list_, ids=[c.pk for c in contacts])
        list_members_add(
            list_=orgs, ids=[c.pk for c in CompanyFactory.create_batch(n, workspace=workspace)]
        )
        counts = []
        for target in (list_, orgs):
            with CaptureQueriesContext(connection) as captured:
                response = api.get(f"/api/v1/lists/{target.pk}/members?limit=100")
                assert response.status_code == 200
            counts.append(len(captured))
        return tuple(counts)

    assert queries(3) == queries(30)
