"""/attachments: upload (multipart), list, get, download through an authorised view, delete."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import StrictInputSerializer
from crm.api.base import LIST_PARAMETERS, RecordViewSet
from crm.models import Attachment, AttachmentSubject
from crm.services.attachments import attachment_create, attachment_delete

SUBJECT_SCOPES = {"contact": "contacts", "company": "companies", "deal": "deals", "note": "notes"}


class AttachmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    filename = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    subject_type = serializers.ChoiceField(choices=AttachmentSubject.choices, read_only=True)
    subject_id = serializers.UUIDField(read_only=True)
    uploaded_by = serializers.UUIDField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.CharField(read_only=True)

    def to_representation(self, item: Attachment) -> dict[str, Any]:
        return {
            "id": str(item.pk),
            "filename": item.filename,
            "content_type": item.content_type,
            "size": item.size,
            "sha256": item.sha256,
            "subject_type": item.subject_type,
            "subject_id": str(item.subject_id),
            "uploaded_by": str(item.uploaded_by_id) if item.uploaded_by_id else None,
            "created_at": item.created_at.isoformat().replace("+00:00", "Z"),
            "download_url": f"/api/v1/attachments/{item.pk}/download",
        }


class AttachmentUploadSerializer(StrictInputSerializer):
    file = serializers.FileField()
    subject_type = serializers.ChoiceField(choices=AttachmentSubject.choices)
    subject_id = serializers.UUIDField()


class AttachmentViewSet(RecordViewSet):
    model = Attachment
    serializer_class = AttachmentSerializer
    output_fields = set(AttachmentSerializer().fields)
    sortable = {"created_at": "created_at", "filename": "filename", "size": "size"}
    parser_classes = [MultiPartParser]

    def required_scope(self, request: Request) -> None:
        return None  # depends on the subject: checked in each action with need()

    def need(self, subject_type: str, write: bool) -> None:
        scope = f"{SUBJECT_SCOPES[subject_type]}:{'write' if write else 'read'}"
        if not self.credential.has_scope(scope):
            raise PermissionDenied(f"Missing scope: {scope}.")

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        params = self.request.query_params
        if self.action == "list":
            subject_type = params.get("subject_type")
            if subject_type:
                if subject_type not in SUBJECT_SCOPES:
                    raise ValidationError({"subject_type": ["Unknown subject type."]})
                queryset = queryset.filter(subject_type=subject_type)
            if params.get("subject_id"):
                queryset = queryset.filter(subject_id=params["subject_id"])
            allowed = [
                t for t, r in SUBJECT_SCOPES.items() if self.credential.has_scope(f"{r}:read")
            ]
            queryset = queryset.filter(subject_type__in=allowed)
        return queryset

    @extend_schema(
        parameters=[
            *LIST_PARAMETERS,
            OpenApiParameter("subject_type", str),
            OpenApiParameter("subject_id", str),
        ],
        responses=AttachmentSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        if request.query_params.get("subject_id"):
            try:
                import uuid

                uuid.UUID(request.query_params["subject_id"])
            except ValueError:
                raise ValidationError({"subject_id": ["Must be a UUID."]}) from None
        return self.records_list()

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    def create(self, request: Request) -> Response:
        form = AttachmentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        self.need(data["subject_type"], write=True)
        attachment = attachment_create(
            workspace=self.workspace,
            actor=self.actor,
            subject_type=data["subject_type"],
            subject_id=data["subject_id"],
            upload=data["file"],
        )
        return self.object_response(attachment, self.serialize_one(attachment), status=201)

    @extend_schema(responses=AttachmentSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        attachment = self.get_object()
        self.need(attachment.subject_type, write=False)
        return self.object_response(attachment, self.serialize_one(attachment))

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def download(self, request: Request, pk: str) -> FileResponse:
        attachment = self.get_object()
        self.need(attachment.subject_type, write=False)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    def destroy(self, request: Request, pk: str) -> Response:
        attachment = self.get_object()
        self.need(attachment.subject_type, write=True)
        self.check_if_match(attachment)
        attachment_delete(attachment=attachment, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)
