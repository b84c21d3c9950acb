"""Imports: upload a file, check the mapping and options, queue the job; cancel, revert, and
the error file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from accounts.services.common import Actor, ServiceError
from crm.imports.headers import TARGETS, guess_mapping
from crm.imports.reader import Table, UnreadableFile, local_path
from crm.models import CustomField, ImportJob, ImportPhase, ImportStatus, JobStatus, OnDuplicate
from crm.normalize import spreadsheet_safe
from crm.services.attachments import FileTooLarge

MATCH_ON = {"contact": ("email",), "company": ("domain", "name")}


class JobStateError(ServiceError):
    """The job is not in a state that allows this (already finished, already reverted…)."""

    code = 409


def import_max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 512 * 1024 * 1024)


def _custom_fields(workspace: Workspace, object_type: str) -> dict[str, CustomField]:
    return {
        f.key: f
        for f in CustomField.objects.for_workspace(workspace).filter(object_type=object_type)
    }


def _check_object_type(object_type: Any) -> str:
    if object_type not in TARGETS:
        raise ValidationError(
            {"object_type": [f"Must be one of: {', '.join(TARGETS)}."]}, code="invalid"
        )
    return object_type


def import_targets(*, workspace: Workspace, object_type: str) -> list[tuple[str, str]]:
    """Every field a column can go to: the built-in ones, then the custom fields."""
    custom = _custom_fields(workspace, _check_object_type(object_type))
    return [*TARGETS[object_type], *((f"custom.{k}", f.label) for k, f in custom.items())]


def _clean_mapping(
    workspace: Workspace, object_type: str, headers: list[str], mapping: Any
) -> dict[str, str]:
    if mapping in (None, "", {}):
        custom = {k: f.label for k, f in _custom_fields(workspace, object_type).items()}
        guessed = guess_mapping(headers, object_type, custom)
        if not guessed:
            raise ValidationError({"mapping": ["No column name was recognised; give the mapping."]})
        return guessed
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": ["Must be an object of column → field."]})
    allowed = {target for target, _ in import_targets(workspace=workspace, object_type=object_type)}
    errors = []
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    for header, target in mapping.items():
        if target in (None, ""):
            continue
        if header not in headers:
            errors.append(f"The file has no column {header!r}.")
        elif target not in allowed:
            errors.append(f"Column {header!r}: unknown field {target!r}.")
        elif target in used:
            errors.append(f"Columns {used[target]!r} and {header!r} both go to {target!r}.")
        else:
            cleaned[header] = target
            used[target] = header
    if errors:
        raise ValidationError({"mapping": errors})
    if not cleaned:
        raise ValidationError({"mapping": ["Map at least one column to a field."]})
    return cleaned


def _clean_match_on(workspace: Workspace, object_type: str, match_on: Any) -> str:
    choices = MATCH_ON[object_type]
    if match_on in (None, ""):
        return choices[0]
    if match_on in choices:
        return match_on
    if isinstance(match_on, str) and match_on.startswith("custom."):
        field = _custom_fields(workspace, object_type).get(match_on.removeprefix("custom."))
        if field is not None and field.unique:
            return match_on
        raise ValidationError({"match_on": ["Match on a custom field that is unique."]})
    raise ValidationError(
        {"match_on": [f"Must be one of: {', '.join(choices)}, or custom.<unique field>."]}
    )


def _clean_tags(tags: Any) -> list[str]:
    if tags in (None, ""):
        return []
    if isinstance(tags, str):
        tags = [t for t in tags.split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValidationError({"tags": ["Must be a list of tag names."]})
    cleaned = [t.strip() for t in tags if t.strip()]
    if any(len(t) > 64 for t in cleaned):
        raise ValidationError({"tags": ["A tag has at most 64 characters."]})
    return list(dict.fromkeys(cleaned))


def import_upload(
    *, workspace: Workspace, actor: Actor, object_type: str, file: UploadedFile | None
) -> ImportJob:
    """Store the upload as a draft import, with its columns read and the mapping guessed
    (possibly empty: the wizard's mapping step fills it in). Nothing runs yet."""
    _check_object_type(object_type)
    if file is None:
        raise ValidationError({"file": ["Attach a CSV or XLSX file."]})
    if file.size > import_max_bytes():
        raise FileTooLarge(f"The file is larger than {import_max_bytes() // (1024 * 1024)} MB.")
    job = ImportJob(
        workspace=workspace,
        object_type=object_type,
        status=ImportStatus.DRAFT,
        filename=(file.name or "upload").rsplit("/", 1)[-1][-255:],
        size=file.size,
        created_by=actor.user,
        api_key=actor.api_key,
    )
    job.file.save(job.filename, file, save=False)
    try:
        with local_path(job.file) as path:
            table = Table(path)
    except UnreadableFile as error:
        job.file.delete(save=False)
        raise ValidationError({"file": [str(error)]}) from None
    custom = {k: f.label for k, f in _custom_fields(workspace, object_type).items()}
    job.headers = table.info.headers
    job.mapping = guess_mapping(table.info.headers, object_type, custom)
    job.match_on = MATCH_ON[object_type][0]
    job.format, job.encoding, job.delimiter = (
        table.info.format,
        table.info.encoding,
        table.info.delimiter,
    )
    job.save()
    return job


def import_samples(*, job: ImportJob, count: int = 3) -> list[list[str]]:
    """The first rows of the file, for the mapping step."""
    try:
        with local_path(job.file) as path:
            return Table(path, delimiter=job.delimiter or None).samples(count)
    except (UnreadableFile, OSError):
        return []


def import_configure(
    *,
    job: ImportJob,
    mapping: Any = None,
    on_duplicate: str = OnDuplicate.SKIP,
    match_on: str | None = None,
    tags: Any = None,
    create_companies: bool = True,
) -> ImportJob:
    """Check the mapping and options against the file and the workspace, and keep them."""
    if job.status != ImportStatus.DRAFT and not (job.dry_run and job.is_finished):
        raise JobStateError("This import has started: its settings can no longer change.")
    if on_duplicate not in OnDuplicate.values:
        raise ValidationError(
            {"on_duplicate": [f"Must be one of: {', '.join(OnDuplicate.values)}."]}
        )
    workspace = job.workspace
    job.mapping = _clean_mapping(workspace, job.object_type, job.headers, mapping)
    job.match_on = _clean_match_on(workspace, job.object_type, match_on)
    job.on_duplicate = on_duplicate
    job.options = {"tags": _clean_tags(tags), "create_companies": bool(create_companies)}
    job.save(update_fields=["mapping", "match_on", "on_duplicate", "options", "updated_at"])
    return job


def import_start(*, job: ImportJob, dry_run: bool = False) -> ImportJob:
    """Queue the job (a dry run, or the import itself); it starts once this transaction
    commits. A finished dry run can be started again for real."""
    from crm.tasks import run_import

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.DRAFT and not (job.dry_run and job.is_finished):
            raise JobStateError("This import has already been started.")
        if not job.mapping:
            raise ValidationError({"mapping": ["Map at least one column to a field."]})
        for name in (
            "total_rows",
            "processed_rows",
            "created",
            "updated",
            "skipped",
            "failed",
            "companies_created",
            "last_row",
        ):
            setattr(job, name, 0)
        job.options = {k: v for k, v in job.options.items() if k not in ("chunks", "done")}
        job.status = ImportStatus.QUEUED
        job.phase = ImportPhase.STAGING
        job.dry_run = bool(dry_run)
        job.cancel_requested = False
        job.message = ""
        job.started_at = job.finished_at = None
        job.save()
        run_import.delay_on_commit(str(job.pk))
    return job


@transaction.atomic
def import_create(
    *,
    workspace: Workspace,
    actor: Actor,
    object_type: str,
    file: UploadedFile | None,
    mapping: Any = None,
    on_duplicate: str = OnDuplicate.SKIP,
    match_on: str | None = None,
    tags: Any = None,
    create_companies: bool = True,
    dry_run: bool = False,
) -> ImportJob:
    """Upload, configure and start in one call (the API's ``POST /imports``)."""
    job = import_upload(workspace=workspace, actor=actor, object_type=object_type, file=file)
    try:
        import_configure(
            job=job,
            mapping=mapping,
            on_duplicate=on_duplicate,
            match_on=match_on,
            tags=tags,
            create_companies=create_companies,
        )
    except ValidationError:
        job.file.delete(save=False)
        raise
    return import_start(job=job, dry_run=dry_run)


def import_cancel(*, job: ImportJob, actor: Actor) -> ImportJob:
    """Stop a queued or running import after its current chunk; what it wrote stays (revert
    undoes it)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.is_finished:
            raise JobStateError(f"The import has already {job.get_status_display().lower()}.")
        job.cancel_requested = True
        fields = ["cancel_requested", "updated_at"]
        if job.status in (ImportStatus.QUEUED, ImportStatus.DRAFT):
            job.status = JobStatus.CANCELLED
            job.finished_at = timezone.now()
            fields += ["status", "finished_at"]
        job.save(update_fields=fields)
    return job


def import_revert(*, job: ImportJob, actor: Actor) -> ImportJob:
    """Queue the undo of a finished import: what it created is deleted, what it updated gets
    its prior values back."""
    from crm.tasks import run_import_revert

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.dry_run:
            raise JobStateError("A dry run wrote nothing to revert.")
        if not job.is_finished:
            raise JobStateError("The import is still running: cancel it first.")
        if job.revert_status:
            raise JobStateError("The import has already been reverted.")
        if not (job.created or job.updated or job.companies_created):
            raise JobStateError("The import wrote nothing to revert.")
        job.revert_status = JobStatus.QUEUED
        job.save(update_fields=["revert_status", "updated_at"])
        run_import_revert.delay_on_commit(str(job.pk))
    return job


def import_error_rows(*, job: ImportJob) -> Iterator[str]:
    """The rejected rows as CSV text, streamed: the file's own columns with their cells, the
    row number and the reason. Cells come from the uploaded file, read again."""
    reasons = dict(job.rejected_rows.values_list("row_number", "reason"))
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(["Row", "Error", *job.headers])
    yield "\ufeff" + flush()
    if not reasons:
        return
    try:
        with local_path(job.file) as path:
            rows = Table(path, delimiter=job.delimiter or None).rows()
            for number, values in rows:
                reason = reasons.get(number)
                if reason is None:
                    continue
                writer.writerow([number, reason, *(spreadsheet_safe(v) for v in values)])
                if buffer.tell() > 64 * 1024:
                    yield flush()
    except (UnreadableFile, OSError):
        for number in sorted(reasons):
            writer.writerow([number, reasons[number]])
    yield flush()
