"""The duplicates review queue: groups of likely duplicates side by side, merge (choosing the
surviving value of each field) or "not duplicates"; recent merges with undo."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services.common import ServiceError
from crm.models import Company, Contact, Merge, MergeJob
from crm.services.duplicates import duplicate_groups, not_duplicate_mark
from crm.services.merges import (
    MERGE_FIELDS,
    merge_job_create,
    merge_job_undo,
    merge_undo,
    record_merge,
)
from crm.web.records_common import can_write, require_writer, workspace_page

KINDS = {
    "contact": ("Contacts", Contact, "crm:contact_detail"),
    "company": ("Companies", Company, "crm:company_detail"),
}
LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Primary email",
    "job_title": "Job title",
    "status": "Status",
    "source": "Source",
    "owner_id": "Owner",
    "company_id": "Company",
    "address": "Address",
    "social_profiles": "Social profiles",
    "name": "Name",
    "domain": "Domain",
    "industry": "Industry",
    "relationship": "Relationship",
    "lifecycle": "Lifecycle",
    "size": "Employees",
    "annual_revenue": "Annual revenue",
}


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("type") or request.POST.get("type") or "contact"
    if kind not in KINDS:
        raise Http404
    return kind


@workspace_page
def duplicates(request: HttpRequest) -> HttpResponse:
    kind = _kind(request)
    groups = duplicate_groups(workspace=request.workspace, object_type=kind, limit=50)
    recent = list(
        Merge.objects.for_workspace(request.workspace)
        .filter(object_type=kind)
        .select_related("created_by")
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "crm/duplicates/list.html",
        {
            "kind": kind,
            "kinds": [(k, v[0]) for k, v in KINDS.items()],
            "groups": groups,
            "recent": recent,
            "detail_url": KINDS[kind][2],
            "can_write": can_write(request),
        },
    )


def _show(record: Any, attname: str) -> str:
    if attname == "owner_id":
        owner = record.owner
        return (owner.name or owner.email) if owner else ""
    if attname == "company_id":
        return record.company.name if record.company else ""
    value = getattr(record, attname)
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v)
    if isinstance(value, list):
        return ", ".join(str(v.get("url", v)) if isinstance(v, dict) else str(v) for v in value)
    if hasattr(record, f"get_{attname}_display"):
        return getattr(record, f"get_{attname}_display")() if value else ""
    return "" if value is None else str(value)


@workspace_page
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest) -> HttpResponse:
    """Compare the records of a group field by field and merge them into the chosen one."""
    actor = require_writer(request)
    kind = _kind(request)
    model = KINDS[kind][1]
    ids = request.POST.getlist("ids") or request.GET.getlist("ids")
    related = ("owner", "company") if kind == "contact" else ("owner",)
    records = list(
        model.objects.for_workspace(request.workspace).filter(pk__in=ids).select_related(*related)
    )
    if len(records) < 2 or len(records) != len(set(ids)):
        raise Http404("These records are not all in this workspace.")
    records.sort(key=lambda r: r.created_at)
    primary_id = request.POST.get("primary") or str(records[0].pk)
    primary = next((r for r in records if str(r.pk) == primary_id), records[0])
    rows = []
    for attname in MERGE_FIELDS[kind]:
        values = [_show(r, attname) for r in records]
        if not any(values):
            continue
        rows.append(
            {
                "name": attname.removesuffix("_id"),
                "label": LABELS.get(attname, attname),
                "values": list(zip(records, values, strict=True)),
                "differs": len(set(values)) > 1,
            }
        )
    if request.method == "POST" and request.POST.get("confirm"):
        survivor = primary
        undo_ids = []
        try:
            for record in records:
                if record.pk == primary.pk:
                    continue
                fields = {}
                for row in rows:
                    choice = request.POST.get(f"field-{row['name']}")
                    if choice == str(record.pk):
                        fields[row["name"]] = "secondary"
                    elif choice:
                        fields[row["name"]] = "primary"
                survivor, done = record_merge(
                    workspace=request.workspace,
                    actor=actor,
                    object_type=kind,
                    primary_id=primary.pk,
                    secondary_id=record.pk,
                    fields=fields,
                )
                undo_ids.append(done.pk)
        except (ServiceError, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
            return redirect(f"{reverse('duplicates:list')}?type={kind}")
        count = len(undo_ids)
        messages.success(
            request,
            f"Merged {count} record{'s' if count != 1 else ''} into {survivor}. "
            "You can undo it from Duplicates → Recent merges.",
        )
        return redirect(KINDS[kind][2], pk=survivor.pk)
    return render(
        request,
        "crm/duplicates/merge.html",
        {"kind": kind, "records": records, "primary": primary, "rows": rows},
    )


@workspace_page
@require_http_methods(["GET", "POST"])
def merge_all(request: HttpRequest) -> HttpResponse:
    """Every group on the page merged into its oldest record, as one background job (asked
    first; undone in one click afterwards)."""
    actor = require_writer(request)
    kind = _kind(request)
    groups = duplicate_groups(workspace=request.workspace, object_type=kind, limit=50)
    if request.method == "GET":
        return render(
            request,
            "crm/duplicates/merge_all.html",
            {"kind": kind, "groups": groups, "records": sum(len(g["records"]) for g in groups)},
        )
    pairs = [
        {"primary_id": group["records"][0]["id"], "secondary_id": record["id"]}
        for group in groups
        for record in group["records"][1:]
    ]
    if not pairs:
        messages.info(request, "Nothing to merge.")
        return redirect(f"{reverse('duplicates:list')}?type={kind}")
    job = merge_job_create(workspace=request.workspace, actor=actor, object_type=kind, pairs=pairs)
    return redirect("duplicates:job", pk=job.pk)


@workspace_page
def merge_job(request: HttpRequest, pk: Any) -> HttpResponse:
    job = MergeJob.objects.for_workspace(request.workspace).filter(pk=pk).first()
    if job is None:
        raise Http404
    active = ("queued", "running")
    context = {
        "job": job,
        "kind": job.object_type,
        "running": job.status in active or job.undo_status in active,
        "percent": job.processed * 100 // job.total if job.total else 100,
        "can_write": can_write(request),
    }
    template = "crm/duplicates/job.html"
    if request.headers.get("HX-Request") == "true":
        template += "#progress"
    return render(request, template, context)


@workspace_page
@require_POST
def merge_job_undo_view(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = require_writer(request)
    job = MergeJob.objects.for_workspace(request.workspace).filter(pk=pk).first()
    if job is None:
        raise Http404
    try:
        merge_job_undo(job=job, actor=actor)
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("duplicates:job", pk=job.pk)


@workspace_page
@require_POST
def not_duplicates(request: HttpRequest) -> HttpResponse:
    actor = require_writer(request)
    kind = _kind(request)
    try:
        not_duplicate_mark(
            workspace=request.workspace,
            actor=actor,
            object_type=kind,
            ids=request.POST.getlist("ids"),
        )
        messages.success(request, "Noted: these won't be suggested as duplicates again.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"{reverse('duplicates:list')}?type={kind}")


@workspace_page
@require_POST
def undo(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = require_writer(request)
    done = Merge.objects.for_workspace(request.workspace).filter(pk=pk).first()
    if done is None:
        raise Http404
    try:
        restored = merge_undo(merge=done, actor=actor)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('duplicates:list')}?type={done.object_type}")
    messages.success(request, f"Merge undone: {restored} is back.")
    return redirect(KINDS[done.object_type][2], pk=restored.pk)
