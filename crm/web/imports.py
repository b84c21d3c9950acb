"""The import wizard: upload → map the columns and choose the options → dry run → import, with
a live progress bar, cancel, the error file and revert."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from accounts.services.common import ServiceError
from crm.imports.headers import normal
from crm.models import CustomField, ImportJob, ImportStatus, OnDuplicate
from crm.services.imports import (
    MATCH_ON,
    import_cancel,
    import_configure,
    import_error_rows,
    import_revert,
    import_samples,
    import_start,
    import_targets,
    import_upload,
)
from crm.web.records_common import (
    apply_service_errors,
    can_write,
    is_htmx,
    require_writer,
    workspace_page,
)

OBJECT_TYPES = [("contact", "Contacts"), ("company", "Companies")]
MATCH_LABELS = {"email": "Email address", "domain": "Domain", "name": "Company name"}
LIST_SIZE = 50


class UploadForm(forms.Form):
    object_type = forms.ChoiceField(
        label="What does the file hold?", choices=OBJECT_TYPES, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="CSV (any delimiter or encoding) or Excel .xlsx, up to 512 MB. The first row "
        "names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )


class MappingForm(forms.Form):
    on_duplicate = forms.ChoiceField(
        label="When a row matches an existing record",
        choices=OnDuplicate.choices,
        widget=forms.RadioSelect,
    )
    match_on = forms.ChoiceField(
        label="Match rows to existing records by",
        help_text="A row matches a record with the same value (emails ignore case).",
    )
    create_companies = forms.BooleanField(
        label="Link each contact to its company (by domain, then name), creating missing ones",
        required=False,
    )
    tags = forms.CharField(
        label="Tags to add to every imported record",
        required=False,
        help_text="Comma-separated, e.g. “Trade show 2026, Europe”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        targets = import_targets(workspace=job.workspace, object_type=job.object_type)
        choices = [("", "Don't import"), *targets]
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or f"Column {index + 1}",
                choices=choices,
                required=False,
                initial=job.mapping.get(header, ""),
                widget=forms.Select(attrs={"class": "input"}),
            )
            self.columns.append((index, header, name))
        unique = CustomField.objects.for_workspace(job.workspace).filter(
            object_type=job.object_type, unique=True
        )
        self.fields["match_on"].choices = [
            *((m, MATCH_LABELS[m]) for m in MATCH_ON[job.object_type]),
            *((f"custom.{f.key}", f.label) for f in unique),
        ]
        if job.object_type != "contact":
            del self.fields["create_companies"]
        self.initial.setdefault("on_duplicate", job.on_duplicate)
        self.initial.setdefault("match_on", job.match_on)
        self.initial.setdefault("create_companies", job.options.get("create_companies", True))
        self.initial.setdefault("tags", ", ".join(job.options.get("tags", [])))

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data[name]
            for _, header, name in self.columns
            if self.cleaned_data.get(name)
        }

    def rows(self, samples: list[list[str]]) -> list[dict[str, Any]]:
        """One row per column of the file: its name, sample values and its field chooser."""
        return [
            {
                "header": header,
                "field": self[name],
                "samples": [row[index] for row in samples if index < len(row) and row[index]][:3],
                "guessed": bool(self.job.mapping.get(header)) and not self.is_bound,
            }
            for index, header, name in self.columns
        ]


def _job(request: HttpRequest, pk: Any) -> ImportJob:
    job = (
        ImportJob.objects.for_workspace(request.workspace)
        .select_related("created_by", "workspace")
        .filter(pk=pk)
        .first()
    )
    if job is None:
        raise Http404("No such import.")
    return job


@workspace_page
def import_list(request: HttpRequest) -> HttpResponse:
    jobs = list(
        ImportJob.objects.for_workspace(request.workspace)
        .select_related("created_by")
        .order_by("-created_at")[:LIST_SIZE]
    )
    return render(request, "crm/imports/list.html", {"jobs": jobs, "can_write": can_write(request)})


@workspace_page
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    actor = require_writer(request)
    form = UploadForm(
        request.POST or None, request.FILES or None, initial={"object_type": "contact"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = import_upload(
                workspace=request.workspace,
                actor=actor,
                object_type=form.cleaned_data["object_type"],
                file=form.cleaned_data["file"],
            )
        except (ValidationError, ServiceError) as error:
            apply_service_errors(form, error)
        else:
            return redirect("imports:mapping", pk=job.pk)
    return render(request, "crm/imports/upload.html", {"form": form})


@workspace_page
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, pk: Any) -> HttpResponse:
    require_writer(request)
    job = _job(request, pk)
    editable = job.status == ImportStatus.DRAFT or (job.dry_run and job.is_finished)
    if not editable:
        return redirect("imports:detail", pk=job.pk)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        try:
            import_configure(
                job=job,
                mapping=form.mapping(),
                on_duplicate=form.cleaned_data["on_duplicate"],
                match_on=form.cleaned_data["match_on"],
                tags=form.cleaned_data["tags"],
                create_companies=form.cleaned_data.get("create_companies", False),
            )
            import_start(job=job, dry_run=request.POST.get("action") != "run")
        except (ValidationError, ServiceError) as error:
            apply_service_errors(form, error)
        else:
            return redirect("imports:detail", pk=job.pk)
    samples = import_samples(job=job)
    return render(
        request,
        "crm/imports/mapping.html",
        {
            "job": job,
            "form": form,
            "rows": form.rows(samples),
            "unmapped_hint": _unmapped(job),
        },
    )


def _unmapped(job: ImportJob) -> list[str]:
    """Columns nothing was guessed for (shown so the user checks them)."""
    return [h for h in job.headers if h and not job.mapping.get(h) and normal(h)]


@workspace_page
def import_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _job(request, pk)
    context = {
        "job": job,
        "can_write": can_write(request),
        "first_errors": list(job.rejected_rows.order_by("row_number")[:10]),
        "running": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
        or job.revert_status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
    }
    template = "crm/imports/detail.html"
    if is_htmx(request):
        template += "#progress"
    return render(request, template, context)


@workspace_page
@require_http_methods(["POST"])
def import_run(request: HttpRequest, pk: Any) -> HttpResponse:
    """From a finished dry run: import for real, with the same settings."""
    require_writer(request)
    job = _job(request, pk)
    try:
        import_start(job=job, dry_run=False)
    except (ValidationError, ServiceError) as error:
        messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
    return redirect("imports:detail", pk=job.pk)


def _confirm(
    request: HttpRequest, job: ImportJob, *, action: str, question: str, text: str
) -> HttpResponse:
    return render(
        request,
        "crm/imports/confirm.html",
        {"job": job, "action": action, "question": question, "text": text},
    )


@workspace_page
@require_http_methods(["GET", "POST"])
def import_cancel_view(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = require_writer(request)
    job = _job(request, pk)
    if request.method == "GET":
        return _confirm(
            request,
            job,
            action="Cancel the import",
            question=f"Cancel the import of “{job.filename}”?",
            text="Rows already written stay; you can revert them afterwards.",
        )
    try:
        import_cancel(job=job, actor=actor)
        messages.success(request, "The import is being cancelled.")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("imports:detail", pk=job.pk)


@workspace_page
@require_http_methods(["GET", "POST"])
def import_revert_view(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = require_writer(request)
    job = _job(request, pk)
    if request.method == "GET":
        return _confirm(
            request,
            job,
            action="Revert the import",
            question=f"Revert the import of “{job.filename}”?",
            text=f"The {job.created:,} records it created will be deleted (with their notes and "
            f"timeline), and the {job.updated:,} it updated get their earlier values back.",
        )
    try:
        import_revert(job=job, actor=actor)
        messages.success(request, "The import is being reverted.")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("imports:detail", pk=job.pk)


@workspace_page
def import_errors(request: HttpRequest, pk: Any) -> StreamingHttpResponse:
    job = _job(request, pk)
    response = StreamingHttpResponse(
        import_error_rows(job=job), content_type="text/csv; charset=utf-8"
    )
    stem = job.filename.rsplit(".", 1)[0]
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}-errors.csv")
    return response
