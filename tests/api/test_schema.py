"""The OpenAPI document describes every route of API.md (the contract test)."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.django_db

# (method, path) of API.md in scope of the REST API issue. OAuth2, webhooks, imports, merges
# and exports arrive with their own issues and are checked there.
CONTRACT = [
    ("get", "/api/v1/me"),
    ("get", "/api/v1/contacts"),
    ("post", "/api/v1/contacts"),
    ("get", "/api/v1/contacts/{id}"),
    ("patch", "/api/v1/contacts/{id}"),
    ("put", "/api/v1/contacts/{id}"),
    ("delete", "/api/v1/contacts/{id}"),
    ("post", "/api/v1/contacts/query"),
    ("post", "/api/v1/contacts/bulk"),
    ("get", "/api/v1/contacts/{id}/timeline"),
    ("get", "/api/v1/contacts/{id}/notes"),
    ("post", "/api/v1/contacts/{id}/notes"),
    ("get", "/api/v1/contacts/{id}/tasks"),
    ("get", "/api/v1/contacts/{id}/activities"),
    ("get", "/api/v1/contacts/{id}/deals"),
    ("get", "/api/v1/contacts/{id}/companies"),
    ("get", "/api/v1/contacts/{contact_id}/company-memberships"),
    ("post", "/api/v1/contacts/{contact_id}/company-memberships"),
    ("get", "/api/v1/companies"),
    ("post", "/api/v1/companies"),
    ("get", "/api/v1/companies/{id}"),
    ("patch", "/api/v1/companies/{id}"),
    ("delete", "/api/v1/companies/{id}"),
    ("get", "/api/v1/companies/{id}/contacts"),
    ("get", "/api/v1/companies/{id}/timeline"),
    ("get", "/api/v1/pipelines"),
    ("post", "/api/v1/pipelines"),
    ("get", "/api/v1/pipelines/{id}"),
    ("get", "/api/v1/pipelines/{id}/stages"),
    ("post", "/api/v1/pipelines/{id}/stages"),
    ("post", "/api/v1/pipelines/{id}/stages/reorder"),
    ("get", "/api/v1/pipelines/{id}/board"),
    ("get", "/api/v1/pipelines/{id}/lost-reasons"),
    ("patch", "/api/v1/stages/{id}"),
    ("delete", "/api/v1/stages/{id}"),
    ("get", "/api/v1/deals"),
    ("post", "/api/v1/deals"),
    ("get", "/api/v1/deals/{id}"),
    ("patch", "/api/v1/deals/{id}"),
    ("delete", "/api/v1/deals/{id}"),
    ("post", "/api/v1/deals/{id}/move"),
    ("get", "/api/v1/deals/{id}/stage-history"),
    ("get", "/api/v1/deals/{id}/timeline"),
    ("get", "/api/v1/notes"),
    ("post", "/api/v1/notes"),
    ("patch", "/api/v1/notes/{id}"),
    ("delete", "/api/v1/notes/{id}"),
    ("get", "/api/v1/tasks"),
    ("post", "/api/v1/tasks"),
    ("patch", "/api/v1/tasks/{id}"),
    ("delete", "/api/v1/tasks/{id}"),
    ("get", "/api/v1/activities"),
    ("post", "/api/v1/activities"),
    ("get", "/api/v1/attachments"),
    ("post", "/api/v1/attachments"),
    ("get", "/api/v1/attachments/{id}"),
    ("get", "/api/v1/tags"),
    ("post", "/api/v1/tags"),
    ("get", "/api/v1/lists"),
    ("post", "/api/v1/lists"),
    ("get", "/api/v1/lists/{id}/members"),
    ("post", "/api/v1/lists/{id}/members"),
    ("delete", "/api/v1/lists/{id}/members"),
    ("get", "/api/v1/custom-fields"),
    ("post", "/api/v1/custom-fields"),
    ("delete", "/api/v1/custom-fields/{id}"),
    ("get", "/api/v1/search"),
    ("get", "/api/v1/dashboard"),
]


def _normalise(path: str) -> str:
    """``/contacts/{pk}`` and ``/contacts/{id}`` are the same route."""
    import re

    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/"))


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3_1_with_the_api_key_scheme(schema):
    assert schema["openapi"].startswith("3.1")
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


@pytest.mark.parametrize(("method", "path"), CONTRACT)
def test_every_contract_route_is_in_the_schema(schema, method, path):
    paths = {_normalise(p): ops for p, ops in schema["paths"].items()}
    assert _normalise(path) in paths, f"{path} missing from /api/schema/"
    assert method in paths[_normalise(path)], f"{method.upper()} {path} missing"


def test_docs_page_renders(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200


def test_operations_name_their_scope_and_error_responses(schema):
    operation = schema["paths"]["/api/v1/contacts/{id}"]["patch"]
    assert {"apiKey": ["contacts:write"]} in operation["security"]
    for code in ("400", "401", "403", "404", "409", "412"):
        assert operation["responses"][code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    listing = schema["paths"]["/api/v1/contacts"]["get"]["responses"]["200"]
    ref = listing["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(body["properties"]) == {"data", "meta"}
