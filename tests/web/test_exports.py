"""List exports as a background job: Excel, and CSV of big lists; progress and download."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from accounts.models import Role
from crm.models import ExportJob
from crm.services.contacts import contact_create
from crm.web import exports
from tests.factories import CustomFieldFactory, MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


@pytest.fixture
def people(workspace, actor):
    CustomFieldFactory(
        workspace=workspace, object_type="contact", key="tier", label="Tier", type="text"
    )
    contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        last_name="Lovelace",
        status="customer",
        custom_fields={"tier": "Gold"},
    )
    contact_create(
        workspace=workspace,
        actor=actor,
        first_name="=HYPERLINK(1)",
        last_name="Evil",
        status="customer",
    )
    contact_create(
        workspace=workspace, actor=actor, first_name="Bob", last_name="Lead", status="lead"
    )


def test_excel_export_of_the_filtered_list_runs_as_a_job(signed_in, people, worker):
    signed_in.post("/contacts/columns/", {"columns": ["name", "email", "status", "cf:tier"]})
    with worker():
        response = signed_in.post(
            "/contacts/export/", {"format": "xlsx", "list_params": "status=customer&sort=name"}
        )
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert (job.status, job.total, job.processed) == ("succeeded", 2, 2)
    page = signed_in.get(response["Location"]).content.decode()
    assert "Download contacts-" in page
    download = signed_in.get(f"/exports/{job.pk}/download/")
    assert download["Content-Disposition"].startswith('attachment; filename="contacts-')
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("Name", "Email", "Status", "Tier")
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1) Evil", "Ada Lovelace"]
    assert rows[2][3] == "Gold"


def test_small_csv_streams_at_once_and_big_csv_becomes_a_job(
    signed_in, people, monkeypatch, worker
):
    response = signed_in.post("/contacts/export/", {"format": "csv", "list_params": "status=lead"})
    assert response["Location"] == "/contacts/export.csv?status=lead"
    assert not ExportJob.objects.exists()
    monkeypatch.setattr(exports, "STREAM_LIMIT", 1)
    with worker():
        signed_in.post("/contacts/export/", {"format": "csv", "list_params": ""})
    job = ExportJob.objects.get()
    text = b"".join(signed_in.get(f"/exports/{job.pk}/download/").streaming_content).decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 4
    assert "'=HYPERLINK(1) Evil" in [r[0] for r in rows]


def test_progress_fragment_polls_until_ready(signed_in, workspace, user):
    job = ExportJob.objects.create(
        workspace=workspace,
        object_type="contact",
        format="xlsx",
        total=1000,
        processed=250,
        status="running",
        created_by=user,
    )
    html = signed_in.get(f"/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in html and 'aria-valuenow="25"' in html
    response = signed_in.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 302  # not ready yet


def test_viewers_may_export(client, workspace, people, worker):
    client.force_login(MembershipFactory(workspace=workspace, role=Role.VIEWER).user)
    with worker():
        response = client.post("/contacts/export/", {"format": "xlsx", "list_params": ""})
    assert response.status_code == 302
    assert ExportJob.objects.get().status == "succeeded"


def test_bad_format_and_another_workspaces_export(signed_in, other_workspace):
    assert signed_in.post("/contacts/export/", {"format": "pdf"}).status_code == 404
    theirs = ExportJob.objects.create(
        workspace=other_workspace, object_type="contact", format="csv"
    )
    assert signed_in.get(f"/exports/{theirs.pk}/").status_code == 404
    assert signed_in.get(f"/exports/{theirs.pk}/download/").status_code == 404


def test_deals_and_companies_export_too(signed_in, workspace, actor, worker):
    from crm.services.companies import company_create
    from pipelines.services.deals import deal_create

    company_create(workspace=workspace, actor=actor, name="Acme")
    deal_create(workspace=workspace, actor=actor, title="Big one", amount=100)
    with worker():
        signed_in.post("/companies/export/", {"format": "xlsx", "list_params": ""})
        signed_in.post("/deals/export/", {"format": "xlsx", "list_params": ""})
    assert sorted(ExportJob.objects.values_list("object_type", "total", "status")) == [
        ("company", 1, "succeeded"),
        ("deal", 1, "succeeded"),
    ]
