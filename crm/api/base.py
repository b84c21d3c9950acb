"""List behaviour shared by the record resources (contacts, companies, deals)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import StrictInputSerializer, check_fields, sparse
from accounts.api.viewsets import WorkspaceViewSet
from crm.api.filters import apply_filters
from crm.models import BulkJob, BulkOperation, JobStatus
from crm.query import compile_query
from crm.services import bulk

LIST_PARAMETERS = [
    OpenApiParameter("limit", int, description="Page size, 1-100 (default 25)"),
    OpenApiParameter("cursor", str, description="From meta.next_cursor of the previous page"),
    OpenApiParameter("sort", str, description="Field, '-' for descending, comma-separated"),
    OpenApiParameter("fields", str, description="Sparse fieldset, comma-separated"),
    OpenApiParameter("query", str, description="JSON query expression (URL-encoded)"),
]


class BulkSerializer(StrictInputSerializer):
    ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=100_000)
    query = serializers.JSONField(required=False)
    set = serializers.DictField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("ids" in attrs) == ("query" in attrs):
            raise serializers.ValidationError({"non_field_errors": ["Give either ids or query."]})
        return attrs


class BulkJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    object_type = serializers.CharField()
    operation = serializers.ChoiceField(choices=BulkOperation.choices)
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = serializers.DictField(child=serializers.IntegerField())
    errors = serializers.ListField(child=serializers.DictField())
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()


def job_body(job: BulkJob) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "object_type": job.object_type,
        "operation": job.operation,
        "status": job.status,
        "progress": {"total": job.total, "processed": job.processed, "failed": job.failed},
        "errors": job.errors,
        "created_at": job.created_at.isoformat().replace("+00:00", "Z"),
        "finished_at": job.finished_at.isoformat().replace("+00:00", "Z")
        if job.finished_at
        else None,
        "url": f"/api/v1/bulk-jobs/{job.pk}",
    }


class RecordViewSet(WorkspaceViewSet):
    """Lists with simple filters, ``query=`` (or a POST body), ``sort``, ``fields`` and cursor
    paging; single objects with ETags."""

    object_type: ClassVar[str] = ""
    filterset_class: ClassVar[Any] = None
    serializer_class: ClassVar[Any] = None
    output_fields: ClassVar[set[str]] = set()

    def list_queryset(self, expression: Any = None) -> QuerySet:
        queryset = self.get_queryset()
        if self.filterset_class is not None:
            queryset = apply_filters(
                self.filterset_class, queryset, self.request.query_params, self.credential.user
            )
        if expression is None:
            raw = self.request.query_params.get("query")
            if raw:
                expression = raw
        if expression is not None:
            if not self.object_type:
                # Only contacts, companies and deals have a query language.
                raise ValidationError({"query": ["This collection does not take a query."]})
            queryset = queryset.filter(
                compile_query(
                    expression,
                    object_type=self.object_type,
                    workspace=self.workspace,
                    user=self.credential.user,
                )
            )
        return queryset

    def serialize_many(self, rows: list[Any]) -> list[dict[str, Any]]:
        fields = self.requested_fields()
        serializer = self.serializer_class()
        return [sparse(serializer.to_representation(row), fields) for row in rows]

    def serialize_one(self, obj: Any) -> dict[str, Any]:
        return sparse(self.serializer_class().to_representation(obj), self.requested_fields())

    def records_list(self, expression: Any = None) -> Response:
        check_fields(self.requested_fields(), self.output_fields)
        return self.list_response(self.list_queryset(expression), self.serialize_many)

    # --- bulk-update / bulk-delete ---------------------------------------------------------
    @extend_schema(
        request=BulkSerializer,
        responses={200: dict, 202: BulkJobSerializer},
        summary="Update many records (ids inline, or a job)",
    )
    @action(detail=False, methods=["post"], url_path="bulk-update")
    def bulk_update(self, request: Request) -> Response:
        return self._bulk(BulkOperation.UPDATE)

    @extend_schema(
        request=BulkSerializer,
        responses={200: dict, 202: BulkJobSerializer},
        summary="Delete many records (ids inline, or a job)",
    )
    @action(detail=False, methods=["post"], url_path="bulk-delete")
    def bulk_delete(self, request: Request) -> Response:
        return self._bulk(BulkOperation.DELETE)

    def _bulk(self, operation: str) -> Response:
        form = BulkSerializer(data=self.request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        credential = self.credential
        if (
            operation == BulkOperation.DELETE
            and credential.kind == "session"
            and credential.role not in ("owner", "admin")
        ):
            raise PermissionDenied("Deleting in bulk needs the admin role.")
        changes = (
            bulk.clean_changes(self.object_type, data.get("set"))
            if operation == BulkOperation.UPDATE
            else {}
        )
        ids = data.get("ids")
        if ids is not None and len(ids) <= bulk.INLINE_LIMIT:
            records = list(
                bulk.targets(
                    workspace=self.workspace, object_type=self.object_type, ids=ids, query=None
                ).prefetch_related("tags")
            )
            found = {record.pk for record in records}
            done, errors = bulk.apply(
                object_type=self.object_type,
                operation=operation,
                records=records,
                actor=self.actor,
                changes=changes,
            )
            errors += [
                {"id": str(i), "errors": {"id": ["Not found."]}}
                for i in dict.fromkeys(ids)
                if i not in found
            ]
            verb = "updated" if operation == BulkOperation.UPDATE else "deleted"
            return Response({verb: done, "failed": len(errors), "errors": errors})
        query = data.get("query")
        if query is not None:
            # Compile now: a bad query is a 400 here, not a failed job later.
            bulk.targets(
                workspace=self.workspace,
                object_type=self.object_type,
                ids=None,
                query=query,
                user=credential.user,
            )
        job = bulk.bulk_job_create(
            workspace=self.workspace,
            actor=self.actor,
            object_type=self.object_type,
            operation=operation,
            ids=ids,
            query=query,
            changes=changes,
        )
        return Response(job_body(job), status=202, headers={"Location": job_body(job)["url"]})

    def query_body(self) -> Any:
        """The expression POSTed to ``…/query``: the body itself, or ``{"query": …}``."""
        body = self.request.data
        if isinstance(body, dict) and set(body) == {"query"}:
            body = body["query"]
        if not isinstance(body, dict | str):
            raise ValidationError({"query": ["Send the query expression as a JSON object."]})
        return json.dumps(body) if isinstance(body, dict) else body


class BulkJobViewSet(WorkspaceViewSet):
    """``GET /bulk-jobs/{id}``: progress of a bulk update or delete."""

    model = BulkJob
    serializer_class = BulkJobSerializer

    def required_scope(self, request: Request) -> None:
        return None  # the job's own object type decides, below

    def retrieve(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        scope = {"contact": "contacts", "company": "companies", "deal": "deals"}[job.object_type]
        if not self.credential.has_scope(f"{scope}:read"):
            raise PermissionDenied(f"Missing scope: {scope}:read.")
        return Response(job_body(job))
