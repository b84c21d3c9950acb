"""The import wizard's pages: upload, mapping with options, dry run, import, progress, error
file, cancel and revert; roles, tenancy and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from crm.models import Contact, CustomField, ImportJob
from crm.services.imports import import_upload
from tests.factories import MembershipFactory
from tests.imports.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


def _mapping_post(job, **extra):
    data = {"on_duplicate": "skip", "match_on": "email", "create_companies": "on", "tags": ""}
    for index, header in enumerate(job.headers):
        data[f"col_{index}"] = job.mapping.get(header, "")
    data.update(extra)
    return data


def test_empty_list_says_what_to_do(signed_in):
    html = signed_in.get("/imports/").content.decode()
    assert "No imports yet" in html
    assert 'href="/imports/new/"' in html


def test_upload_then_mapping_shows_guesses_and_samples(signed_in, workspace):
    response = signed_in.post(
        "/imports/new/", {"object_type": "contact", "file": upload("contacts_hubspot.csv")}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/mapping/"
    assert job.status == "draft"
    html = signed_in.get(response["Location"]).content.decode()
    assert "grace.hopper@navy.example" in html  # a sample value
    assert '<option value="email" selected>' in html  # the guess for "Email"
    assert "Record ID" in html  # an unmapped column is listed, set to "Don't import"


def test_upload_errors_are_shown_by_the_field(signed_in):
    response = signed_in.post("/imports/new/", {"object_type": "contact"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    response = signed_in.post(
        "/imports/new/", {"object_type": "contact", "file": upload("x.csv", b"\x00\x01" * 200)}
    )
    assert "binary file" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_dry_run_then_import_then_revert(signed_in, workspace, user, worker):
    signed_in.post(
        "/imports/new/", {"object_type": "contact", "file": upload("contacts_messy.csv")}
    )
    job = ImportJob.objects.get()
    with worker():
        response = signed_in.post(
            f"/imports/{job.pk}/mapping/", _mapping_post(job, tags="Messy, 2026", action="dry_run")
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.dry_run, job.status, job.created, job.failed) == (True, "succeeded", 6, 5)
    assert not Contact.objects.exists()
    html = signed_in.get(f"/imports/{job.pk}/").content.decode()
    assert "Would be created" in html
    assert "Row 4" in html and "Enter a valid email address" in html
    assert "Import 6 rows" in html

    with worker():
        signed_in.post(f"/imports/{job.pk}/run/")
    job.refresh_from_db()
    assert (job.dry_run, job.status, job.created) == (False, "succeeded", 6)
    assert Contact.objects.for_workspace(workspace).count() == 6
    assert {t.name for t in Contact.objects.get(email="jane@acme.example").tags.all()} == {
        "vip",
        "newsletter",
        "Messy",
        "2026",
    }

    errors = signed_in.get(f"/imports/{job.pk}/errors.csv")
    assert errors["Content-Disposition"] == 'attachment; filename="contacts_messy-errors.csv"'
    text = b"".join(errors.streaming_content).decode()
    assert "'=cmd" not in text  # that row imported fine; only rejected rows are listed
    assert text.count("\n") == 6  # header + 5 rejected rows

    confirm = signed_in.get(f"/imports/{job.pk}/revert/").content.decode()
    assert "will be deleted" in confirm
    with worker():
        signed_in.post(f"/imports/{job.pk}/revert/")
    assert not Contact.objects.exists()
    assert "Reverted" in signed_in.get(f"/imports/{job.pk}/").content.decode()


def test_mapping_errors_keep_the_choices(signed_in, workspace):
    job = import_upload(
        workspace=workspace,
        actor=_actor(workspace),
        object_type="contact",
        file=upload("contacts_hubspot.csv"),
    )
    data = _mapping_post(job, col_2="email", col_3="email", tags="x" * 70)
    html = signed_in.post(f"/imports/{job.pk}/mapping/", data).content.decode()
    assert "both go to" in html
    job.refresh_from_db()
    assert job.status == "draft"


def _actor(workspace):
    from accounts.services.common import Actor

    return Actor(user=workspace.memberships.get(role="owner").user, role="owner")


def test_progress_fragment_polls_while_running(signed_in, workspace):
    job = import_upload(
        workspace=workspace,
        actor=_actor(workspace),
        object_type="contact",
        file=upload("contacts_nimble.csv"),
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", phase="processing", total_rows=10, processed_rows=4
    )
    html = signed_in.get(f"/imports/{job.pk}/", **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="import-progress"')
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="40"' in html
    assert "Cancel…" in html
    ImportJob.objects.filter(pk=job.pk).update(status="succeeded", processed_rows=10)
    html = signed_in.get(f"/imports/{job.pk}/", **HTMX).content.decode()
    assert "hx-trigger" not in html  # done: polling stops


def test_cancel_asks_first(signed_in, workspace):
    job = import_upload(
        workspace=workspace,
        actor=_actor(workspace),
        object_type="contact",
        file=upload("contacts_nimble.csv"),
    )
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    assert "Cancel the import of" in signed_in.get(f"/imports/{job.pk}/cancel/").content.decode()
    job.refresh_from_db()
    assert job.status == "queued"
    signed_in.post(f"/imports/{job.pk}/cancel/")
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_viewer_cannot_import(client, workspace):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    client.force_login(viewer)
    assert "Import a file" not in client.get("/imports/").content.decode()
    assert client.get("/imports/new/").status_code == 403
    job = import_upload(
        workspace=workspace,
        actor=_actor(workspace),
        object_type="contact",
        file=upload("contacts_nimble.csv"),
    )
    assert client.post(f"/imports/{job.pk}/mapping/", _mapping_post(job)).status_code == 403
    assert client.post(f"/imports/{job.pk}/revert/").status_code == 403
    assert client.get(f"/imports/{job.pk}/").status_code == 200


def test_another_workspaces_import_is_404(signed_in, other_workspace):
    job = import_upload(
        workspace=other_workspace,
        actor=_actor(other_workspace),
        object_type="contact",
        file=upload("contacts_nimble.csv"),
    )
    for path in ("", "mapping/", "cancel/", "revert/", "errors.csv"):
        assert signed_in.get(f"/imports/{job.pk}/{path}").status_code == 404
    assert signed_in.post(f"/imports/{job.pk}/run/").status_code == 404


def test_custom_fields_are_offered_and_unique_ones_can_be_matched(signed_in, workspace):
    CustomField.objects.create(
        workspace=workspace,
        object_type="contact",
        key="erp_id",
        label="ERP id",
        type="text",
        unique=True,
    )
    job = import_upload(
        workspace=workspace,
        actor=_actor(workspace),
        object_type="contact",
        file=upload("contacts_nimble.csv"),
    )
    html = signed_in.get(f"/imports/{job.pk}/mapping/").content.decode()
    assert '<option value="custom.erp_id">ERP id</option>' in html
    assert html.count('value="custom.erp_id"') == 1 + len(job.headers)  # match_on + each column


def test_list_query_count_does_not_grow(signed_in, workspace):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get("/imports/").status_code == 200
        return len(queries)

    actor = _actor(workspace)
    import_upload(
        workspace=workspace, actor=actor, object_type="contact", file=upload("contacts_nimble.csv")
    )
    count()  # the first request of a session also loads what later ones find cached
    one = count()
    for _ in range(10):
        import_upload(
            workspace=workspace,
            actor=actor,
            object_type="contact",
            file=upload("contacts_nimble.csv"),
        )
    assert count() == one


def test_import_without_a_dry_run(signed_in, workspace, worker):
    signed_in.post("/imports/new/", {"object_type": "company", "file": upload("companies.csv")})
    job = ImportJob.objects.get()
    with worker():
        signed_in.post(
            f"/imports/{job.pk}/mapping/",
            {**_mapping_post(job, match_on="domain"), "action": "run"},
        )
    job.refresh_from_db()
    assert (job.dry_run, job.status, job.created, job.failed) == (False, "succeeded", 3, 1)
    html = signed_in.get(f"/imports/{job.pk}/").content.decode()
    assert "See companies" in html and "Revert…" in html
