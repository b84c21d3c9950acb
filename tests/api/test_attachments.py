"""/api/v1/attachments: multipart upload, sniffed type, size limit, authorised download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Attachment
from tests.api.conftest import assert_error
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 40


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, subject, data: bytes = PNG, name: str = "photo.txt", kind: str = "contact"):
    return client.post(
        "/api/v1/attachments",
        {
            "file": SimpleUploadedFile(name, data, content_type="text/plain"),
            "subject_type": kind,
            "subject_id": str(subject.pk),
        },
        format="multipart",
    )


def test_upload_sniffs_the_type_and_downloads_through_the_api(api, workspace):
    contact = ContactFactory(workspace=workspace)
    response = upload(api, contact)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png"  # not the client's text/plain
    assert body["size"] == len(PNG) and len(body["sha256"]) == 64
    download = api.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert "attachment" in download["Content-Disposition"]


def test_text_is_text_plain(api, workspace):
    contact = ContactFactory(workspace=workspace)
    body = upload(api, contact, data="héllo, wörld".encode(), name="a.txt").json()
    assert body["content_type"] == "text/plain"


def test_over_the_limit_is_413(api, workspace, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    contact = ContactFactory(workspace=workspace)
    assert_error(upload(api, contact), 413)
    assert not Attachment.objects.exists()


def test_missing_file_is_400(api, workspace):
    contact = ContactFactory(workspace=workspace)
    response = api.post(
        "/api/v1/attachments",
        {"subject_type": "contact", "subject_id": str(contact.pk)},
        format="multipart",
    )
    assert_error(response, 400, field="file")


def test_subject_of_another_workspace_is_refused(api, other_workspace):
    theirs = ContactFactory(workspace=other_workspace)
    assert_error(upload(api, theirs), 400, field="subject_id")


def test_scope_of_the_subject_is_needed(make_client, workspace):
    contact = ContactFactory(workspace=workspace)
    body = assert_error(upload(make_client("contacts:read"), contact), 403)
    assert "contacts:write" in body["message"]


def test_another_workspaces_attachment_is_404(api, make_client, workspace, other_workspace):
    theirs = ContactFactory(workspace=other_workspace)
    attachment_id = upload(make_client("crm:write", ws=other_workspace), theirs).json()["id"]
    assert_error(api.get(f"/api/v1/attachments/{attachment_id}"), 404)
    assert_error(api.get(f"/api/v1/attachments/{attachment_id}/download"), 404)
    assert_error(api.delete(f"/api/v1/attachments/{attachment_id}"), 404)
    assert Attachment.objects.filter(pk=attachment_id).exists()


def test_no_credential_is_401(anonymous):
    assert_error(anonymous.get("/api/v1/attachments"), 401)


def test_list_and_delete(api, workspace):
    contact = ContactFactory(workspace=workspace)
    first = upload(api, contact).json()
    rows = api.get(f"/api/v1/attachments?subject_type=contact&subject_id={contact.pk}").json()
    assert [r["id"] for r in rows["data"]] == [first["id"]]
    assert api.delete(f"/api/v1/attachments/{first['id']}").status_code == 204
    assert api.get("/api/v1/attachments").json()["data"] == []


def test_list_with_a_query_expression_is_400_not_500(api):
    # Found by tests/api/test_fuzz.py: only contacts, companies and deals have a query language.
    assert_error(api.get("/api/v1/attachments", {"query": "0"}), 400, field="query")


def test_list_query_count_does_not_grow(api, workspace):
    contact = ContactFactory(workspace=workspace)
    api.get("/api/v1/me")

    def queries(n: int) -> int:
        for _ in range(n):
            upload(api, contact)
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/attachments?limit=100").status_code == 200
        return len(captured)

    assert queries(2) == queries(12)
