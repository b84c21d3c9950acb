"""Exports of a filtered list as a background job: CSV or Excel (.xlsx), written a chunk of
rows at a time into a file the user downloads when it is done.

The job stores the list's query string and the chosen column keys; the worker rebuilds the
list exactly as the page shows it (same filters, sort and columns, through the list's
``ListSpec``) and writes it with the same cell rules as the streamed CSV (formulas
neutralised). Small CSV exports are streamed at once by ``lists.list_export`` instead.
"""

from __future__ import annotations

import csv
import io
import tempfile
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.services.common import Actor
from crm.models import ExportFormat, ExportJob, JobStatus
from crm.services.exports import export_job_create, export_job_finish, export_job_progress
from crm.web.lists import (
    EXPORT_CHUNK,
    SPECS,
    Column,
    ListSpec,
    available_for,
    csv_cell,
    filter_and_sort,
    list_url,
    sorted_by,
    visible_columns,
    with_prefetches,
)
from crm.web.records_common import is_htmx, workspace_page

STREAM_LIMIT = 10_000  # CSV lists up to this size download at once, bigger ones as a job


def _rows(spec: ListSpec, workspace: Any, user: Any, params: QueryDict, columns: list[Column]):
    queryset = with_prefetches(spec.queryset(workspace), columns)
    filtered, keys = filter_and_sort(
        params,
        queryset=queryset,
        filterset_class=spec.filterset_class,
        sorts=spec.sorts,
        default_sort=spec.default_sort,
        user=user,
    )
    return sorted_by(filtered, keys)


@workspace_page
@require_POST
def export_start(request: HttpRequest, spec: ListSpec) -> HttpResponse:
    """From a list page: Excel always, or CSV of a big list, becomes a job; a small CSV is
    streamed right away. Anyone who can see the list may export it."""
    params = QueryDict(request.POST.get("list_params", ""), mutable=True)
    file_format = request.POST.get("format", ExportFormat.CSV)
    if file_format not in ExportFormat.values:
        raise Http404
    columns = visible_columns(request, spec)
    try:
        rows = _rows(spec, request.workspace, request.user, params, columns)
    except ApiValidationError:
        return redirect(list_url(spec, params))
    total = rows.count()
    if file_format == ExportFormat.CSV and total <= STREAM_LIMIT:
        return redirect(f"{spec.url('export')}?{params.urlencode()}")
    job = export_job_create(
        workspace=request.workspace,
        actor=Actor.for_membership(request.membership),
        object_type=spec.object_type,
        file_format=file_format,
        params=params.urlencode(),
        columns=[c.key for c in columns],
        total=total,
    )
    return redirect("exports:detail", pk=job.pk)


def export_run(job_id: Any) -> ExportJob:
    """Write the job's file (the worker's part). Progress is saved after every chunk."""
    job = ExportJob.objects.select_related("workspace", "created_by").get(pk=job_id)
    if job.status in (JobStatus.SUCCEEDED, JobStatus.CANCELLED):
        return job
    spec = SPECS[job.object_type]
    by_key = {c.key: c for c in available_for(job.workspace, spec)}
    columns = [by_key[key] for key in job.columns if key in by_key]
    rows = _rows(spec, job.workspace, job.created_by, QueryDict(job.params), columns)
    export_job_progress(job=job, done=0)
    stamp = timezone.localdate().isoformat()
    filename = f"{spec.plural}-{stamp}.{job.format}"
    with tempfile.TemporaryFile() as handle:
        writer = _xlsx_writer if job.format == ExportFormat.XLSX else _csv_writer
        writer(handle, job, rows.iterator(chunk_size=EXPORT_CHUNK), columns)
        handle.seek(0)
        return export_job_finish(job=job, content=handle, filename=filename)


def _csv_writer(handle: Any, job: ExportJob, records: Any, columns: list[Column]) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([csv_cell(c.label) for c in columns])
    for done, record in enumerate(records, 1):
        writer.writerow([csv_cell(c.value(record) if c.value else "") for c in columns])
        if done % EXPORT_CHUNK == 0:
            export_job_progress(job=job, done=done)
    text.flush()
    text.detach()


def _xlsx_writer(handle: Any, job: ExportJob, records: Any, columns: list[Column]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=job.get_object_type_display()[:31] or "Export")
    sheet.append([c.label for c in columns])
    for done, record in enumerate(records, 1):
        sheet.append([_xlsx_cell(c.value(record) if c.value else None) for c in columns])
        if done % EXPORT_CHUNK == 0:
            export_job_progress(job=job, done=done)
    book.save(handle)


def _xlsx_cell(value: Any) -> Any:
    """Excel keeps numbers and dates as such; text goes through the same formula guard."""
    value = csv_cell(value)
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _job(request: HttpRequest, pk: Any) -> ExportJob:
    job = ExportJob.objects.for_workspace(request.workspace).filter(pk=pk).first()
    if job is None:
        raise Http404("No such export.")
    return job


@workspace_page
def export_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _job(request, pk)
    spec = SPECS[job.object_type]
    context = {
        "job": job,
        "spec": spec,
        "running": job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
        "back_url": list_url(spec, QueryDict(job.params)),
    }
    template = "crm/exports/detail.html"
    if is_htmx(request):
        template += "#progress"
    return render(request, template, context)


@workspace_page
def export_download(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _job(request, pk)
    if job.status != JobStatus.SUCCEEDED or not job.file:
        messages.info(request, "The export is not ready yet.")
        return redirect("exports:detail", pk=job.pk)
    response = FileResponse(job.file.open("rb"), as_attachment=True)
    response["Content-Disposition"] = content_disposition_header(True, job.filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
