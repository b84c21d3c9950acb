"""Every error, from every layer, speaks {"code", "message", "errors"?} and never leaks a
traceback."""

from __future__ import annotations

import pytest
from django.urls import path
from rest_framework.decorators import api_view, authentication_classes, permission_classes

from crm import urls as crm_urls
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def _boom(request):
    raise RuntimeError("secret internals")


urlpatterns = [path("api/v1/boom", _boom), *crm_urls.urlpatterns]
handler404 = crm_urls.handler404
handler500 = crm_urls.handler500


def test_unknown_url_under_api_is_a_json_404(api):
    body = assert_error(api.get("/api/v1/no-such-thing"), 404)
    assert body == {"code": 404, "message": "Not found"}


def test_unknown_url_outside_api_is_the_html_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_is_405(api):
    assert_error(api.delete("/api/v1/contacts"), 405)


def test_wrong_content_type_is_415(api):
    response = api.post(
        "/api/v1/contacts", "first_name=A", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415)


def test_malformed_json_is_400(api):
    response = api.post("/api/v1/contacts", '{"first_name": ', content_type="application/json")
    body = assert_error(response, 400)
    assert "JSON" in body["message"]


def test_workspace_header_must_match_the_credential(api, other_workspace, workspace):
    assert_error(api.get("/api/v1/me", HTTP_X_WORKSPACE_ID=str(other_workspace.pk)), 403)
    assert api.get("/api/v1/me", HTTP_X_WORKSPACE_ID=str(workspace.pk)).status_code == 200


@pytest.mark.urls("tests.api.test_errors")
def test_a_crash_is_a_json_500_without_traceback(api):
    api.raise_request_exception = False
    response = api.get("/api/v1/boom")
    body = assert_error(response, 500)
    assert body == {"code": 500, "message": "Internal server error"}
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_revoked_and_expired_keys_are_401(workspace, anonymous):
    import datetime

    from django.utils import timezone

    from accounts.services.api_keys import api_key_create, api_key_revoke

    key, raw = api_key_create(workspace=workspace, name="k", scopes=["crm:read"])
    api_key_revoke(api_key=key)
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(anonymous.get("/api/v1/me"), 401)
    key, raw = api_key_create(workspace=workspace, name="k2", scopes=["crm:read"])
    key.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    key.save(update_fields=["expires_at"])
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = anonymous.get("/api/v1/me")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
