"""/imports: upload → 202 and a job; progress, the error file, cancel, revert; scopes and
tenancy."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact, ImportJob
from tests.api.conftest import assert_error
from tests.imports.conftest import upload

pytestmark = pytest.mark.usefixtures("media")


def _post(client, name="contacts_messy.csv", content=None, **fields):
    data = {"file": upload(name, content), "object_type": "contact", **fields}
    return client.post("/api/v1/imports", data, format="multipart")


def test_import_runs_as_a_job_with_counts_and_error_file(api, workspace, worker):
    with worker():
        response = _post(api, tags="From API, Spring")
    assert response.status_code == 202, response.content
    assert response["Location"] == response.json()["url"]
    job = api.get(response.json()["url"]).json()
    assert job["status"] == "succeeded"
    assert job["progress"] == 100
    assert (job["total_rows"], job["processed_rows"]) == (12, 12)
    assert (job["created"], job["updated"], job["skipped"], job["failed"]) == (6, 0, 1, 5)
    assert job["mapping"]["email"] == "email"
    assert Contact.objects.for_workspace(workspace).count() == 6

    errors = api.get(job["errors_url"])
    assert errors.status_code == 200
    assert errors["Content-Type"].startswith("text/csv")
    rows = list(
        csv.reader(io.StringIO(b"".join(errors.streaming_content).decode().lstrip("\ufeff")))
    )
    assert rows[0][:3] == ["Row", "Error", "first_name"]
    assert [r[0] for r in rows[1:]] == ["4", "7", "9", "13", "14"]


def test_dry_run_reports_without_writing(api, workspace, worker):
    with worker():
        response = _post(api, dry_run="true")
    job = api.get(response.json()["url"]).json()
    assert job["dry_run"] is True
    assert (job["created"], job["failed"]) == (6, 5)
    assert not Contact.objects.for_workspace(workspace).exists()


def test_explicit_mapping_and_xlsx(api, workspace, worker):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Nom complet", "Courriel"])
    book.active.append(["Ada Lovelace", "ada@example.com"])
    buffer = io.BytesIO()
    book.save(buffer)
    mapping = json.dumps({"Nom complet": "full_name", "Courriel": "email"})
    with worker():
        response = _post(api, "people.xlsx", buffer.getvalue(), mapping=mapping)
    assert response.status_code == 202, response.content
    ada = Contact.objects.for_workspace(workspace).get()
    assert (ada.first_name, ada.last_name, ada.email) == ("Ada", "Lovelace", "ada@example.com")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"object_type": "lead"}, "object_type"),
        ({"mapping": "{not json"}, "mapping"),
        ({"mapping": json.dumps({"email": "shoe_size"})}, "mapping"),
        ({"on_duplicate": "merge"}, "on_duplicate"),
        ({"surprise": "1"}, "surprise"),
    ],
)
def test_validation_errors_name_the_field(api, fields, field):
    response = _post(api, **fields)
    assert_error(
        response,
        400 if field != "mapping" or "{" in fields.get("mapping", "") else 422,
        field=field,
    )
    assert not ImportJob.objects.exists()


def test_unreadable_file_is_refused(api):
    assert_error(_post(api, "x.csv", b"\x00\x01\x02\x03" * 100), 400, field="file")


def test_missing_scopes(make_client):
    body = assert_error(_post(make_client("contacts:write")), 403)
    assert "imports:write" in body["message"]
    body = assert_error(_post(make_client("imports:write")), 403)
    assert "contacts:write" in body["message"]


def test_another_workspaces_import_is_404(api, make_client, other_workspace, worker):
    theirs = make_client("crm:write", ws=other_workspace)
    with worker():
        job_id = _post(theirs).json()["id"]
    for method, path in [
        ("get", ""),
        ("get", "/errors"),
        ("post", "/cancel"),
        ("post", "/revert"),
    ]:
        assert_error(getattr(api, method)(f"/api/v1/imports/{job_id}{path}"), 404)
    assert_error(api.get("/api/v1/imports/not-a-uuid"), 404)
    assert ImportJob.objects.get(pk=job_id).revert_status == ""


def test_cancel_and_revert(api, workspace, worker):
    job_id = _post(api, "contacts_hubspot.csv").json()["id"]  # queued: no worker ran
    cancelled = api.post(f"/api/v1/imports/{job_id}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert_error(api.post(f"/api/v1/imports/{job_id}/cancel"), 409)

    with worker():
        done = _post(api, "contacts_hubspot.csv").json()
    assert Contact.objects.for_workspace(workspace).count() == 5
    with worker():
        reverted = api.post(f"/api/v1/imports/{done['id']}/revert")
    assert reverted.status_code == 202
    assert api.get(done["url"]).json()["revert_status"] == "succeeded"
    assert not Contact.objects.for_workspace(workspace).exists()
    assert_error(api.post(f"/api/v1/imports/{done['id']}/revert"), 409)


def test_list_query_count_does_not_grow(api, workspace):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/imports")
        assert response.status_code == 200
        return len(queries)

    _post(api, "contacts_nimble.csv")
    one = count()
    for _ in range(5):
        _post(api, "contacts_nimble.csv")
    assert count() == one
    assert len(api.get("/api/v1/imports").json()["data"]) == 6
