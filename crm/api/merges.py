"""Merges: ``POST /contacts/merge`` and ``/companies/merge`` (one pair, answered with the
survivor), ``/merges`` (many pairs as a job, and its undo), and ``/duplicates`` (candidate
groups, and "not a duplicate")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import StrictInputSerializer
from accounts.api.viewsets import WorkspaceViewSet
from crm.models import Company, Contact, ListObjectType, MergeJob
from crm.services.duplicates import duplicate_groups, likely_duplicates, not_duplicate_mark
from crm.services.merges import STRATEGIES, merge_job_create, merge_job_undo, record_merge

SCOPES = {"contact": "contacts", "company": "companies"}
MODELS = {"contact": Contact, "company": Company}


def _time(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class MergeSerializer(StrictInputSerializer):
    primary_id = serializers.UUIDField()
    secondary_id = serializers.UUIDField()
    merge_strategy = serializers.ChoiceField(choices=STRATEGIES, default="prefer_primary")
    fields = serializers.DictField(
        child=serializers.ChoiceField(choices=["primary", "secondary"]),
        required=False,
        help_text='Per field, whose value survives: {"email": "secondary"}',
    )


CHECK_DUPLICATES = OpenApiParameter(
    "check_duplicates",
    bool,
    description="true: answer 409 with the likely duplicates (and create nothing) when the new "
    "record probably repeats an existing one",
)


def duplicates_conflict(view: Any, data: dict[str, Any]) -> Response | None:
    """For ``POST …?check_duplicates=true``: a 409 naming the likely duplicates, or None."""
    if view.request.query_params.get("check_duplicates") not in ("true", "1"):
        return None
    found = likely_duplicates(workspace=view.workspace, object_type=view.object_type, data=data)
    if not found:
        return None
    message = f"Likely duplicate of {found[0]['title']!r} ({', '.join(found[0]['reasons'])})."
    return Response(
        {
            "code": 409,
            "message": message,
            "errors": {"non_field_errors": [message]},
            "conflict_id": found[0]["id"],
            "duplicates": found,
        },
        status=409,
    )


class RecordMergeMixin:
    """``POST /{records}/merge``: merge one pair; the answer is the surviving record."""

    @extend_schema(request=MergeSerializer, summary="Merge two records into one")
    @action(detail=False, methods=["post"])
    def merge(self, request: Request) -> Response:
        form = MergeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        model = MODELS[self.object_type]
        primary = self.get_related(model, data["primary_id"], "primary_id")
        secondary = self.get_related(model, data["secondary_id"], "secondary_id")
        survivor, merge = record_merge(
            workspace=self.workspace,
            actor=self.actor,
            object_type=self.object_type,
            primary_id=primary.pk,
            secondary_id=secondary.pk,
            strategy=data["merge_strategy"],
            fields=data.get("fields"),
        )
        survivor = self.get_queryset().get(pk=survivor.pk)
        return self.object_response(
            survivor, self.serialize_one(survivor), headers={"X-Merge-Id": str(merge.pk)}
        )


def merge_job_body(job: MergeJob) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "object_type": job.object_type,
        "status": job.status,
        "dry_run": job.dry_run,
        "progress": {"total": job.total, "processed": job.processed, "failed": job.failed},
        "errors": job.errors,
        "undo_status": job.undo_status or None,
        "created_at": _time(job.created_at),
        "finished_at": _time(job.finished_at),
        "url": f"/api/v1/merges/{job.pk}",
    }


class PairSerializer(serializers.Serializer):
    primary_id = serializers.UUIDField()
    secondary_id = serializers.UUIDField()


class MergeJobCreateSerializer(StrictInputSerializer):
    object_type = serializers.ChoiceField(choices=ListObjectType.choices)
    pairs = PairSerializer(many=True, allow_empty=False)
    dry_run = serializers.BooleanField(default=False)


class MergeJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    object_type = serializers.CharField()
    status = serializers.CharField()
    dry_run = serializers.BooleanField()
    progress = serializers.DictField(child=serializers.IntegerField())
    errors = serializers.ListField(child=serializers.DictField())
    undo_status = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()


class MergeJobViewSet(WorkspaceViewSet):
    """``POST /merges`` → 202 and a job; ``GET /merges/{id}``; ``POST /merges/{id}/undo``."""

    model = MergeJob
    serializer_class = MergeJobSerializer
    parser_classes = [JSONParser]

    def required_scope(self, request: Request) -> None:
        return None  # the object type's scope, checked in each action

    def _need(self, object_type: str, write: bool) -> None:
        scope = f"{SCOPES[object_type]}:{'write' if write else 'read'}"
        if not self.credential.has_scope(scope):
            raise PermissionDenied(f"Missing scope: {scope}.")

    @extend_schema(request=MergeJobCreateSerializer, responses={202: MergeJobSerializer})
    def create(self, request: Request) -> Response:
        form = MergeJobCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        self._need(data["object_type"], write=True)
        job = merge_job_create(
            workspace=self.workspace,
            actor=self.actor,
            object_type=data["object_type"],
            pairs=[{k: str(v) for k, v in pair.items()} for pair in data["pairs"]],
            dry_run=data["dry_run"],
        )
        return Response(
            merge_job_body(job), status=202, headers={"Location": f"/api/v1/merges/{job.pk}"}
        )

    @extend_schema(responses=MergeJobSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        self._need(job.object_type, write=False)
        return Response(merge_job_body(job))

    @extend_schema(request=None, responses={202: MergeJobSerializer})
    def undo(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        self._need(job.object_type, write=True)
        job = merge_job_undo(job=job, actor=self.actor)
        return Response(merge_job_body(job), status=202)


class DuplicateGroupSerializer(serializers.Serializer):
    score = serializers.FloatField()
    size = serializers.IntegerField(help_text="Records in the group (at most 25 are listed)")
    reasons = serializers.ListField(child=serializers.CharField())
    records = serializers.ListField(child=serializers.DictField())


class NotDuplicateSerializer(StrictInputSerializer):
    object_type = serializers.ChoiceField(choices=ListObjectType.choices)
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=2, max_length=50)


class DuplicateViewSet(WorkspaceViewSet):
    """``GET /duplicates?object_type=`` and ``POST /duplicates/not-duplicates``."""

    model = Contact
    serializer_class = DuplicateGroupSerializer
    parser_classes = [JSONParser]

    def required_scope(self, request: Request) -> None:
        return None

    def _object_type(self, value: Any, write: bool) -> str:
        if value not in SCOPES:
            raise ApiValidationError({"object_type": ["Must be contact or company."]})
        scope = f"{SCOPES[value]}:{'write' if write else 'read'}"
        if not self.credential.has_scope(scope):
            raise PermissionDenied(f"Missing scope: {scope}.")
        return value

    @extend_schema(
        parameters=[
            OpenApiParameter("object_type", str, enum=list(SCOPES), required=True),
            OpenApiParameter("limit", int, description="Groups to return (1-200, default 50)"),
        ],
        responses=DuplicateGroupSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        object_type = self._object_type(request.query_params.get("object_type"), write=False)
        try:
            limit = min(max(int(request.query_params.get("limit", 50)), 1), 200)
        except ValueError:
            raise ApiValidationError({"limit": ["Must be a whole number."]}) from None
        groups = duplicate_groups(workspace=self.workspace, object_type=object_type, limit=limit)
        return Response({"data": groups, "meta": {"count": len(groups)}})

    @extend_schema(request=NotDuplicateSerializer, responses={200: dict})
    def not_duplicates(self, request: Request) -> Response:
        form = NotDuplicateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        object_type = self._object_type(data["object_type"], write=True)
        pairs = not_duplicate_mark(
            workspace=self.workspace, actor=self.actor, object_type=object_type, ids=data["ids"]
        )
        return Response({"pairs": pairs})
