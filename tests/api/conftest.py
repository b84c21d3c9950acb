"""API fixtures: clients holding an API key of the test workspace with chosen scopes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.services.api_keys import api_key_create


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_client(workspace) -> Callable[..., APIClient]:
    """``make_client("contacts:read")``: a client with a fresh key of those scopes."""

    def build(*scopes: str, ws=None) -> APIClient:
        _, raw = api_key_create(
            workspace=ws or workspace, name="test key", scopes=list(scopes) or ["crm:write"]
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return build


@pytest.fixture
def api(make_client) -> APIClient:
    """A client with every scope (crm:write) in ``workspace``."""
    return make_client("crm:write")


@pytest.fixture
def reader(make_client) -> APIClient:
    """A client with read scopes only (crm:read)."""
    return make_client("crm:read")


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def assert_error(response, code: int, *, field: str | None = None) -> dict:
    """The body is the API's error format with this code (and an error on ``field``)."""
    assert response.status_code == code, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    if field is not None:
        assert field in body["errors"], body
    return body
