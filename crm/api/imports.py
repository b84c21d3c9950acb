"""/imports: upload a CSV/XLSX (multipart) → 202 and a job to poll; its rejected rows as CSV;
cancel; revert."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import StrictInputSerializer
from accounts.api.viewsets import WorkspaceViewSet
from crm.api.base import LIST_PARAMETERS
from crm.models import ImportJob, ListObjectType, OnDuplicate, SubjectType
from crm.services.imports import (
    import_cancel,
    import_create,
    import_error_rows,
    import_revert,
)

OBJECT_SCOPES = {"contact": "contacts", "company": "companies", "deal": "deals"}


def _time(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def import_body(job: ImportJob) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "object_type": job.object_type,
        "filename": job.filename,
        "status": job.status,
        "phase": job.phase,
        "dry_run": job.dry_run,
        "on_duplicate": job.on_duplicate,
        "match_on": job.match_on,
        "mapping": job.mapping,
        "progress": job.percent,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "created": job.created,
        "updated": job.updated,
        "skipped": job.skipped,
        "failed": job.failed,
        "companies_created": job.companies_created,
        "message": job.message,
        "cancel_requested": job.cancel_requested,
        "revert_status": job.revert_status or None,
        "reverted_rows": job.reverted_rows,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "finished_at": _time(job.finished_at),
        "errors_url": f"/api/v1/imports/{job.pk}/errors",
        "url": f"/api/v1/imports/{job.pk}",
    }


class ImportSerializer(serializers.Serializer):
    """The job as ``GET /imports/{id}`` returns it."""

    id = serializers.UUIDField()
    object_type = serializers.ChoiceField(choices=SubjectType.choices)
    filename = serializers.CharField()
    status = serializers.CharField()
    phase = serializers.CharField()
    dry_run = serializers.BooleanField()
    on_duplicate = serializers.ChoiceField(choices=OnDuplicate.choices)
    match_on = serializers.CharField()
    mapping = serializers.DictField(child=serializers.CharField())
    progress = serializers.IntegerField(help_text="Percent done, 0 to 100")
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    companies_created = serializers.IntegerField()
    message = serializers.CharField()
    cancel_requested = serializers.BooleanField()
    revert_status = serializers.CharField(allow_null=True)
    reverted_rows = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    errors_url = serializers.CharField()
    url = serializers.CharField()


class ImportUploadSerializer(StrictInputSerializer):
    file = serializers.FileField()
    object_type = serializers.ChoiceField(choices=ListObjectType.choices)
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='JSON object of column → field or "custom.<key>"; omitted → guessed',
    )
    on_duplicate = serializers.ChoiceField(choices=OnDuplicate.choices, default="skip")
    match_on = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.CharField(
        required=False, allow_blank=True, help_text="Comma-separated tags added to every row"
    )
    create_companies = serializers.BooleanField(default=True)
    dry_run = serializers.BooleanField(default=False)

    def validate_mapping(self, value: str) -> Any:
        if not value:
            return None
        try:
            mapping = json.loads(value)
        except ValueError:
            raise serializers.ValidationError("Must be a JSON object.") from None
        if not isinstance(mapping, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return mapping


class ImportViewSet(WorkspaceViewSet):
    model = ImportJob
    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser]
    required_scopes = {
        "list": "imports:write",
        "retrieve": "imports:write",
        "create": "imports:write",
        "errors": "imports:write",
        "cancel": "imports:write",
        "revert": "imports:write",
    }
    sortable = {"created_at": "created_at"}

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related(None)

    def _need_object_scope(self, object_type: str) -> None:
        scope = f"{OBJECT_SCOPES[object_type]}:write"
        if not self.credential.has_scope(scope):
            raise PermissionDenied(f"Missing scope: {scope}.")

    @extend_schema(parameters=LIST_PARAMETERS, responses=ImportSerializer(many=True))
    def list(self, request: Request) -> Response:
        return self.list_response(
            self.get_queryset(), lambda rows: [import_body(job) for job in rows]
        )

    @extend_schema(responses=ImportSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        return Response(import_body(job))

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportSerializer},
    )
    def create(self, request: Request) -> Response:
        form = ImportUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        self._need_object_scope(data["object_type"])
        job = import_create(
            workspace=self.workspace,
            actor=self.actor,
            object_type=data["object_type"],
            file=data["file"],
            mapping=data.get("mapping"),
            on_duplicate=data["on_duplicate"],
            match_on=data.get("match_on") or None,
            tags=data.get("tags") or None,
            create_companies=data["create_companies"],
            dry_run=data["dry_run"],
        )
        return Response(
            import_body(job), status=202, headers={"Location": f"/api/v1/imports/{job.pk}"}
        )

    @extend_schema(responses={(200, "text/csv"): bytes})
    def errors(self, request: Request, pk: str) -> StreamingHttpResponse:
        job = self.get_object()
        response = StreamingHttpResponse(
            import_error_rows(job=job), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response

    @extend_schema(request=None, responses=ImportSerializer)
    def cancel(self, request: Request, pk: str) -> Response:
        job = import_cancel(job=self.get_object(), actor=self.actor)
        return Response(import_body(job))

    @extend_schema(request=None, responses={202: ImportSerializer})
    def revert(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        self._need_object_scope(job.object_type)
        job = import_revert(job=job, actor=self.actor)
        return Response(import_body(job), status=202)
