"""/api/v1/custom-fields: the schema of custom attributes, and values validated by type."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact, CustomField
from crm.services.custom_fields import custom_field_create
from tests.api.conftest import assert_error
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _field(workspace, **kwargs) -> CustomField:
    defaults = {"object_type": "contact", "key": "plan", "label": "Plan", "type": "text"}
    return custom_field_create(workspace=workspace, **{**defaults, **kwargs})


def test_create_custom_field_answers_201(api):
    response = api.post(
        "/api/v1/custom-fields",
        {
            "object_type": "contact",
            "key": "plan",
            "label": "Plan",
            "type": "select",
            "options": ["free", "pro"],
            "required": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"] == "plan" and body["type"] == "select"
    assert body["options"] == ["free", "pro"]
    assert body["required"] is False and body["unique"] is False
    assert body["position"] == 0
    assert response["Location"] == f"/api/v1/custom-fields/{body['id']}"
    assert response["ETag"].startswith('"')


def test_create_validation_names_the_field(api):
    base = {"object_type": "contact", "key": "plan", "label": "Plan", "type": "text"}
    for field in ("object_type", "key", "label", "type"):
        data = {k: v for k, v in base.items() if k != field}
        assert_error(api.post("/api/v1/custom-fields", data, format="json"), 400, field=field)
    cases = [
        ({"type": "colour"}, "type"),
        ({"object_type": "note"}, "object_type"),
        ({"key": "Not Snake"}, "key"),
        ({"type": "select"}, "options"),
        ({"type": "select", "options": ["a", "a"]}, "options"),
        ({"secret": 1}, "secret"),
    ]
    for change, field in cases:
        assert_error(
            api.post("/api/v1/custom-fields", {**base, **change}, format="json"), 400, field=field
        )
    assert not CustomField.objects.exists()


def test_taken_key_is_409_with_conflict_id(api, workspace):
    existing = _field(workspace)
    body = assert_error(
        api.post(
            "/api/v1/custom-fields",
            {"object_type": "contact", "key": "plan", "label": "Again", "type": "text"},
            format="json",
        ),
        409,
    )
    assert body["conflict_id"] == str(existing.pk)
    # the same key on another object type is fine
    response = api.post(
        "/api/v1/custom-fields",
        {"object_type": "deal", "key": "plan", "label": "Plan", "type": "text"},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_list_filters_by_object_type_and_sorts_by_position(api, workspace):
    _field(workspace, key="b_field", label="B", position=2)
    _field(workspace, key="a_field", label="A", position=1)
    _field(workspace, object_type="company", key="seats", label="Seats", type="number")
    body = api.get("/api/v1/custom-fields?object_type=contact").json()
    assert [r["key"] for r in body["data"]] == ["a_field", "b_field"]
    assert body["meta"]["total"] == 2
    assert len(api.get("/api/v1/custom-fields").json()["data"]) == 3
    keys = [r["key"] for r in api.get("/api/v1/custom-fields?sort=-key").json()["data"]]
    assert keys == ["seats", "b_field", "a_field"]
    row = api.get("/api/v1/custom-fields?fields=key").json()["data"][0]
    assert set(row) == {"id", "key"}
    assert_error(api.get("/api/v1/custom-fields?object_type=note"), 400, field="object_type")
    assert_error(api.get("/api/v1/custom-fields?sort=type"), 400, field="sort")


def test_list_query_count_does_not_grow_with_rows(api, workspace):
    api.get("/api/v1/me")

    def queries(n: int) -> int:
        start = CustomField.objects.count()
        for i in range(n):
            _field(workspace, key=f"f{start + i}", label=f"F{start + i}")
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/custom-fields?limit=100").status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_retrieve_patch_put(api, workspace):
    field = _field(workspace, type="select", options=["free", "pro"])
    url = f"/api/v1/custom-fields/{field.pk}"
    etag = api.get(url)["ETag"]
    assert api.get(url).json()["key"] == "plan"
    assert_error(api.patch(url, {"label": "X"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    response = api.patch(
        url,
        {"label": "Pricing plan", "options": ["free", "pro", "enterprise"], "required": True},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["label"] == "Pricing plan" and body["required"] is True
    assert body["options"] == ["free", "pro", "enterprise"]
    assert api.put(url, {"position": 5}, format="json").json()["position"] == 5
    # object_type, key and type are fixed once created (echoing them unchanged is fine)
    for change in ({"key": "other"}, {"type": "text"}, {"object_type": "deal"}):
        field_name = next(iter(change))
        assert_error(api.patch(url, change, format="json"), 400, field=field_name)
    assert api.patch(url, {"key": "plan", "type": "select"}, format="json").status_code == 200
    assert_error(api.patch(url, {"options": []}, format="json"), 400, field="options")


def test_delete_unused_field_is_204(api, workspace):
    field = _field(workspace)
    assert api.delete(f"/api/v1/custom-fields/{field.pk}").status_code == 204
    assert not CustomField.objects.filter(pk=field.pk).exists()


def test_delete_field_in_use_is_409_unless_forced(api, workspace):
    field = _field(workspace)
    contact = ContactFactory(workspace=workspace, custom_fields={"plan": "pro", "other": 1})
    url = f"/api/v1/custom-fields/{field.pk}"
    body = assert_error(api.delete(url), 409)
    assert "force" in body["message"] and "plan" in body["message"]
    assert CustomField.objects.filter(pk=field.pk).exists()
    contact.refresh_from_db()
    assert contact.custom_fields == {"plan": "pro", "other": 1}
    assert api.delete(f"{url}?force=true").status_code == 204
    assert not CustomField.objects.filter(pk=field.pk).exists()
    contact.refresh_from_db()
    assert contact.custom_fields == {"other": 1}


def test_scopes(make_client, workspace):
    field = _field(workspace)
    reader = make_client("schema:read")
    assert reader.get("/api/v1/custom-fields").status_code == 200
    assert reader.get(f"/api/v1/custom-fields/{field.pk}").status_code == 200
    body = assert_error(
        reader.post(
            "/api/v1/custom-fields",
            {"object_type": "contact", "key": "x", "label": "X", "type": "text"},
            format="json",
        ),
        403,
    )
    assert "schema:write" in body["message"]
    body = assert_error(reader.delete(f"/api/v1/custom-fields/{field.pk}"), 403)
    assert "schema:write" in body["message"]
    body = assert_error(make_client("contacts:read").get("/api/v1/custom-fields"), 403)
    assert "schema:read" in body["message"]
    assert CustomField.objects.filter(pk=field.pk).exists()


def test_no_credential_is_401(anonymous, workspace):
    assert_error(anonymous.get("/api/v1/custom-fields"), 401)
    assert_error(anonymous.get(f"/api/v1/custom-fields/{_field(workspace).pk}"), 401)


def test_another_workspaces_field_is_404(api, other_workspace):
    theirs = _field(other_workspace, label="Theirs")
    url = f"/api/v1/custom-fields/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"label": "Mine"}, format="json"), 404)
    assert_error(api.delete(f"{url}?force=true"), 404)
    theirs.refresh_from_db()
    assert theirs.label == "Theirs"
    assert api.get("/api/v1/custom-fields").json()["data"] == []


def test_typed_custom_field_rejects_a_bad_value_on_contacts(api, workspace):
    response = api.post(
        "/api/v1/custom-fields",
        {"object_type": "contact", "key": "score", "label": "Score", "type": "number"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_error(
        api.post(
            "/api/v1/contacts",
            {"first_name": "Bad", "custom_fields": {"score": "high"}},
            format="json",
        ),
        400,
        field="custom_fields.score",
    )
    assert not Contact.objects.filter(first_name="Bad").exists()
    assert_error(
        api.post(
            "/api/v1/contacts",
            {"first_name": "Bad", "custom_fields": {"nope": 1}},
            format="json",
        ),
        400,
        field="custom_fields.nope",
    )
    created = api.post(
        "/api/v1/contacts", {"first_name": "Good", "custom_fields": {"score": 7.5}}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["custom_fields"] == {"score": 7.5}


def test_typed_custom_field_rejects_a_bad_value_on_companies(api):
    api.post(
        "/api/v1/custom-fields",
        {"object_type": "company", "key": "founded", "label": "Founded", "type": "date"},
        format="json",
    )
    assert_error(
        api.post(
            "/api/v1/companies",
            {"name": "Bad", "custom_fields": {"founded": "last year"}},
            format="json",
        ),
        400,
        field="custom_fields.founded",
    )


def test_required_custom_field_is_enforced_on_create(api):
    api.post(
        "/api/v1/custom-fields",
        {
            "object_type": "contact",
            "key": "region",
            "label": "Region",
            "type": "select",
            "options": ["emea", "apac"],
            "required": True,
        },
        format="json",
    )
    assert_error(
        api.post("/api/v1/contacts", {"first_name": "No region"}, format="json"),
        400,
        field="custom_fields.region",
    )
    assert_error(
        api.post(
            "/api/v1/contacts",
            {"first_name": "Bad", "custom_fields": {"region": "mars"}},
            format="json",
        ),
        400,
        field="custom_fields.region",
    )
