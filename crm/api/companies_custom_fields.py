"""API views of custom field definitions (the workspace's schema of custom attributes)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import StrictInputSerializer
from accounts.services.common import ConflictError, ServiceError
from crm.api.companies_tags import (
    PLAIN_LIST_PARAMETERS,
    PlainListViewSet,
    described_choice,
)
from crm.api.serializers import _iso
from crm.models import CustomField, FieldType, SubjectType
from crm.services.custom_fields import (
    custom_field_create,
    custom_field_delete,
    custom_field_update,
)


class FieldInUse(APIException):
    """Deleting a definition that records still use, without ``?force=true``."""

    status_code = 409
    default_detail = "Records use this field; delete with ?force=true to drop their values."


class CustomFieldSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    object_type = described_choice(SubjectType.values, read_only=True)
    key = serializers.CharField(read_only=True, help_text="lower_snake_case; custom.<key>")
    label = serializers.CharField(read_only=True)
    type = described_choice(FieldType.values, read_only=True)
    required = serializers.BooleanField(read_only=True)
    unique = serializers.BooleanField(read_only=True)
    options = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Choices of a select field"
    )
    position = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, field: CustomField) -> dict[str, Any]:
        return {
            "id": str(field.pk),
            "object_type": field.object_type,
            "key": field.key,
            "label": field.label,
            "type": field.type,
            "required": field.required,
            "unique": field.unique,
            "options": list(field.options or []),
            "position": field.position,
            "created_at": _iso(field.created_at),
            "updated_at": _iso(field.updated_at),
        }


CUSTOM_FIELD_FIELDS = set(CustomFieldSerializer().fields)
_FIXED = ("object_type", "key", "type")
# Labelled apart from SubjectType (which ``subject_type`` fields use elsewhere) so the schema's
# enum for this field gets its own unambiguous name.
OBJECT_TYPE_CHOICES = [(value, f"Custom field of a {value}") for value in SubjectType.values]


class CustomFieldWriteSerializer(StrictInputSerializer):
    """``object_type``, ``key`` and ``type`` are set on create and fixed after."""

    ignored_fields = ("id", "created_at", "updated_at")
    object_type = serializers.ChoiceField(choices=OBJECT_TYPE_CHOICES, required=False)
    key = serializers.CharField(max_length=63, required=False)
    label = serializers.CharField(max_length=100, required=False)
    type = serializers.ChoiceField(choices=FieldType.choices, required=False)
    required = serializers.BooleanField(required=False)
    unique = serializers.BooleanField(required=False)
    options = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=500
    )
    position = serializers.IntegerField(required=False, min_value=0)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            *PLAIN_LIST_PARAMETERS,
            OpenApiParameter("object_type", str, enum=SubjectType.values),
        ],
        responses=CustomFieldSerializer(many=True),
        summary="List custom field definitions",
    ),
    retrieve=extend_schema(responses=CustomFieldSerializer, summary="Get a custom field"),
    destroy=extend_schema(
        parameters=[
            OpenApiParameter(
                "force", bool, description="Also drop the values records hold (else 409)"
            )
        ],
        summary="Delete a custom field (409 while records use it, unless ?force=true)",
    ),
)
class CustomFieldViewSet(PlainListViewSet):
    model = CustomField
    scope_resource = "schema"
    serializer_class = CustomFieldSerializer
    output_fields = CUSTOM_FIELD_FIELDS
    sortable = {
        "object_type": "object_type",
        "position": "position",
        "key": "key",
        "label": "label",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "object_type,position"

    def filter_list(self, queryset: QuerySet) -> QuerySet:
        object_type = self.request.query_params.get("object_type")
        if object_type is None:
            return queryset
        if object_type not in SubjectType.values:
            raise serializers.ValidationError(
                {"object_type": [f"Must be one of: {', '.join(SubjectType.values)}."]}
            )
        return queryset.filter(object_type=object_type)

    def list(self, request: Request) -> Response:
        return self.plain_list()

    def retrieve(self, request: Request, pk: str) -> Response:
        field = self.get_object()
        return self.object_response(field, self.serialize_one(field))

    @extend_schema(
        request=CustomFieldWriteSerializer,
        responses={201: CustomFieldSerializer},
        summary="Define a custom field (a taken key is 409)",
    )
    def create(self, request: Request) -> Response:
        serializer = CustomFieldWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {
            name: ["This field is required."]
            for name in ("object_type", "key", "label", "type")
            if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        field = custom_field_create(workspace=self.workspace, **data)
        return self.object_response(
            field,
            self.serialize_one(field),
            status=201,
            headers={"Location": f"/api/v1/custom-fields/{field.pk}"},
        )

    @extend_schema(request=CustomFieldWriteSerializer, responses=CustomFieldSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        field = self.get_object()
        self.check_if_match(field)
        serializer = CustomFieldWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        errors = {
            name: ["Cannot be changed; create another field."]
            for name in _FIXED
            if name in data and data.pop(name) != getattr(field, name)
        }
        if errors:
            raise serializers.ValidationError(errors)
        field = custom_field_update(field=field, data=data)
        return self.object_response(field, self.serialize_one(field))

    @extend_schema(
        request=CustomFieldWriteSerializer, responses=CustomFieldSerializer, summary="As PATCH"
    )
    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        field = self.get_object()
        self.check_if_match(field)
        force = request.query_params.get("force", "").lower() in {"true", "1", "yes"}
        try:
            custom_field_delete(field=field, force=force)
        except ConflictError:
            raise
        except ServiceError as error:
            raise FieldInUse(f"{error.message} (or use ?force=true)") from None
        return Response(status=status.HTTP_204_NO_CONTENT)
