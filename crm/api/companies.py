"""API views of companies: list/query/create/get/update/delete, and the people of a company."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.pagination import paginate, parse_sort
from accounts.api.serializers import (
    AddressSerializer,
    LabelledValueSerializer,
    StrictInputSerializer,
    check_fields,
    sparse,
)
from crm.api.base import LIST_PARAMETERS, RecordViewSet
from crm.api.filters import CompanyFilter
from crm.api.merges import CHECK_DUPLICATES, RecordMergeMixin, duplicates_conflict
from crm.api.serializers import CONTACT_FIELDS, ContactSerializer, _iso, labelled
from crm.api.views import ContactViewSet, contact_queryset
from crm.models import Company, CompanyMembership, CompanyPhone, Contact, Lifecycle, Relationship
from crm.services.companies import company_create, company_delete, company_update

COMPANY_FILTER_PARAMETERS = [
    OpenApiParameter("relationship", str, enum=Relationship.values),
    OpenApiParameter("lifecycle", str, enum=Lifecycle.values),
    OpenApiParameter("owner", str, description="A user id, 'me' or 'unassigned'"),
    OpenApiParameter("q", str, description="Full-text search over name, domain and industry"),
    OpenApiParameter("domain", str, description="Exact domain (case-insensitive)"),
    OpenApiParameter("tags", str, description="Comma-separated tag names; all must match"),
]

MEMBER_LIST_PARAMETERS = [p for p in LIST_PARAMETERS if p.name != "query"]


class CompanySerializer(serializers.Serializer):
    """A company as the API shows it. Needs ``company_queryset()``'s prefetches."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    domain = serializers.CharField(read_only=True, help_text="Normalised: example.com")
    industry = serializers.CharField(read_only=True)
    relationship = serializers.ChoiceField(choices=Relationship.choices, read_only=True)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, read_only=True)
    owner = serializers.UUIDField(read_only=True, allow_null=True)
    size = serializers.IntegerField(read_only=True, allow_null=True, help_text="Employees")
    annual_revenue = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True, coerce_to_string=True
    )
    phones = LabelledValueSerializer(many=True, read_only=True)
    address = AddressSerializer(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    custom_fields = serializers.DictField(read_only=True)
    last_activity_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, company: Company) -> dict[str, Any]:
        # Plain attribute reads over prefetched rows: no per-row query.
        return {
            "id": str(company.pk),
            "name": company.name,
            "domain": company.domain,
            "industry": company.industry,
            "relationship": company.relationship,
            "lifecycle": company.lifecycle,
            "owner": str(company.owner_id) if company.owner_id else None,
            "size": company.size,
            "annual_revenue": (
                None if company.annual_revenue is None else f"{company.annual_revenue:.2f}"
            ),
            "phones": labelled(company.phones.all()),
            "address": company.address or {},
            "tags": sorted(tag.name for tag in company.tags.all()),
            "custom_fields": company.custom_fields or {},
            "last_activity_at": _iso(company.last_activity_at),
            "created_at": _iso(company.created_at),
            "updated_at": _iso(company.updated_at),
        }


COMPANY_FIELDS = set(CompanySerializer().fields)
COMPANY_READ_ONLY = ("id", "last_activity_at", "created_at", "updated_at")


class CompanyWriteSerializer(StrictInputSerializer):
    """What a client may send to create or change a company."""

    ignored_fields = COMPANY_READ_ONLY
    name = serializers.CharField(max_length=200, required=False)
    domain = serializers.CharField(
        max_length=253, required=False, allow_blank=True, allow_null=True
    )
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True)
    relationship = serializers.ChoiceField(choices=Relationship.choices, required=False)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, required=False)
    owner = serializers.UUIDField(required=False, allow_null=True)
    size = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    annual_revenue = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    phones = LabelledValueSerializer(many=True, required=False)
    address = AddressSerializer(required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100
    )
    custom_fields = serializers.DictField(required=False)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "domain" in data and data["domain"] is None:
            data["domain"] = ""
        if "phones" in data:
            data["phones"] = [dict(p) for p in data["phones"]]
        if "address" in data and data["address"] is not None:
            data["address"] = dict(data["address"])
        return data


def company_queryset(queryset: QuerySet) -> QuerySet:
    """What serializing a company reads, fetched in a fixed number of queries."""
    return queryset.prefetch_related(
        Prefetch("phones", queryset=CompanyPhone.objects.order_by("-is_primary", "created_at")),
        "tags",
    )


@extend_schema_view(
    list=extend_schema(
        parameters=LIST_PARAMETERS + COMPANY_FILTER_PARAMETERS,
        responses=CompanySerializer(many=True),
        summary="List companies",
    ),
    retrieve=extend_schema(responses=CompanySerializer, summary="Get a company"),
    destroy=extend_schema(summary="Delete a company (its people stay)"),
)
class CompanyViewSet(RecordMergeMixin, RecordViewSet):
    model = Company
    object_type = "company"
    scope_resource = "companies"
    serializer_class = CompanySerializer
    filterset_class = CompanyFilter
    output_fields = COMPANY_FIELDS
    sortable = {
        "created_at": "created_at",
        "updated_at": "updated_at",
        "name": "name",
        "last_activity_at": "last_activity_at",
    }
    # The people of a company are contacts: reading them needs ``contacts:read``.
    required_scopes = {"query": "companies:read", "contacts": "contacts:read"}

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return company_queryset(queryset)

    def list(self, request: Request) -> Response:
        return self.records_list()

    @extend_schema(
        request=dict,
        responses=CompanySerializer(many=True),
        parameters=MEMBER_LIST_PARAMETERS,
        summary="List companies matching a long query expression",
    )
    @action(detail=False, methods=["post"])
    def query(self, request: Request) -> Response:
        return self.records_list(self.query_body())

    def retrieve(self, request: Request, pk: str) -> Response:
        company = self.get_object()
        return self.object_response(company, self.serialize_one(company))

    def _reload(self, company: Company) -> Company:
        return self.get_queryset().get(pk=company.pk)

    @extend_schema(
        request=CompanyWriteSerializer,
        responses={201: CompanySerializer},
        summary="Create a company (a taken domain is 409 with conflict_id)",
        parameters=[CHECK_DUPLICATES],
    )
    def create(self, request: Request) -> Response:
        serializer = CompanyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.service_data()
        if not (data.get("name") or "").strip():
            raise serializers.ValidationError({"name": ["This field is required."]})
        if (conflict := duplicates_conflict(self, data)) is not None:
            return conflict
        company = company_create(workspace=self.workspace, actor=self.actor, **data)
        company = self._reload(company)
        return self.object_response(
            company,
            self.serialize_one(company),
            status=201,
            headers={"Location": f"/api/v1/companies/{company.pk}"},
        )

    @extend_schema(request=CompanyWriteSerializer, responses=CompanySerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        company = self.get_object()
        self.check_if_match(company)
        serializer = CompanyWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.service_data()
        if "name" in data and not (data["name"] or "").strip():
            raise serializers.ValidationError({"name": ["This field may not be blank."]})
        company_update(company=company, actor=self.actor, data=data)
        company = self._reload(company)
        return self.object_response(company, self.serialize_one(company))

    @extend_schema(
        request=CompanyWriteSerializer,
        responses=CompanySerializer,
        summary="Update a company (PUT is a partial update, as PATCH)",
    )
    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        company = self.get_object()
        self.check_if_match(company)
        company_delete(company=company, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=MEMBER_LIST_PARAMETERS,
        responses=ContactSerializer(many=True),
        summary="People linked to the company (company memberships)",
        description="Needs both `companies:read` and `contacts:read`. Sort as /contacts.",
    )
    @action(detail=True, methods=["get"])
    def contacts(self, request: Request, pk: str) -> Response:
        if not self.credential.has_scope("companies:read"):
            raise PermissionDenied("Missing scope: companies:read.")
        company = self.get_object()
        fields = self.requested_fields()
        check_fields(fields, CONTACT_FIELDS)
        people = contact_queryset(
            Contact.objects.for_workspace(self.workspace).filter(
                pk__in=CompanyMembership.objects.for_workspace(self.workspace)
                .filter(company_id=company.pk)
                .values("contact_id")
            )
        )
        keys = parse_sort(
            request.query_params.get("sort"),
            allowed=ContactViewSet.sortable,
            default=ContactViewSet.default_sort,
        )
        page = paginate(people, request, keys)
        serializer = ContactSerializer()
        data = [sparse(serializer.to_representation(row), fields) for row in page.rows]
        return Response({"data": data, "meta": page.meta})
