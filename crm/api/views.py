"""API views of contacts and their company memberships."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.errors import django_validation_errors
from accounts.services.common import ConflictError
from crm.api.base import LIST_PARAMETERS, RecordViewSet
from crm.api.filters import ContactFilter
from crm.api.merges import CHECK_DUPLICATES, RecordMergeMixin, duplicates_conflict
from crm.api.serializers import (
    CONTACT_FIELDS,
    CompanyMembershipSerializer,
    CompanyMembershipWriteSerializer,
    ContactBulkSerializer,
    ContactSerializer,
    ContactWriteSerializer,
)
from crm.models import Company, CompanyMembership, Contact, ContactEmail, ContactPhone
from crm.services.contacts import (
    company_membership_create,
    company_membership_delete,
    company_membership_update,
    contact_create,
    contact_delete,
    contact_update,
)


def contact_queryset(queryset: QuerySet) -> QuerySet:
    """What serializing a contact reads, fetched in a fixed number of queries."""
    return queryset.select_related("company").prefetch_related(
        Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "created_at")),
        Prefetch("phones", queryset=ContactPhone.objects.order_by("-is_primary", "created_at")),
        "tags",
    )


@extend_schema_view(
    list=extend_schema(parameters=LIST_PARAMETERS, summary="List contacts"),
    retrieve=extend_schema(summary="Get a contact"),
)
class ContactViewSet(RecordMergeMixin, RecordViewSet):
    model = Contact
    object_type = "contact"
    scope_resource = "contacts"
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    output_fields = CONTACT_FIELDS
    sortable = {
        "created_at": "created_at",
        "updated_at": "updated_at",
        "first_name": "first_name",
        "last_name": "last_name",
        "company": "company__name",
        "last_activity_at": "last_activity_at",
        "email": "email",
        "engagement_score": "engagement_score",
    }
    required_scopes = {"query": "contacts:read"}

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return contact_queryset(queryset)

    def list(self, request: Request) -> Response:
        return self.records_list()

    @extend_schema(request=dict, summary="List contacts matching a long query expression")
    @action(detail=False, methods=["post"])
    def query(self, request: Request) -> Response:
        return self.records_list(self.query_body())

    def retrieve(self, request: Request, pk: str) -> Response:
        contact = self.get_object()
        return self.object_response(contact, self.serialize_one(contact))

    @extend_schema(
        request=ContactWriteSerializer,
        responses={201: ContactSerializer},
        parameters=[CHECK_DUPLICATES],
    )
    def create(self, request: Request) -> Response:
        serializer = ContactWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {"source": "api", **serializer.service_data()}
        if data.get("company"):
            data["company"] = self.get_related(Company, data["company"], "company_id")
        if (conflict := duplicates_conflict(self, data)) is not None:
            return conflict
        contact = contact_create(workspace=self.workspace, actor=self.actor, **data)
        contact = self.get_queryset().get(pk=contact.pk)
        return self.object_response(
            contact,
            self.serialize_one(contact),
            status=201,
            headers={"Location": f"/api/v1/contacts/{contact.pk}"},
        )

    @extend_schema(request=ContactWriteSerializer, responses=ContactSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        contact = self.get_object()
        self.check_if_match(contact)
        serializer = ContactWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.service_data()
        if data.get("company"):
            data["company"] = self.get_related(Company, data["company"], "company_id")
        contact_update(contact=contact, actor=self.actor, data=data)
        contact = self.get_queryset().get(pk=contact.pk)
        return self.object_response(contact, self.serialize_one(contact))

    @extend_schema(
        request=ContactWriteSerializer,
        responses=ContactSerializer,
        summary="Update a contact (PUT is a partial update, as PATCH)",
    )
    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        contact = self.get_object()
        self.check_if_match(contact)
        contact_delete(contact=contact, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ContactBulkSerializer, summary="Create up to 100 contacts")
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        envelope = ContactBulkSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        created: list[str] = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(envelope.validated_data["contacts"]):
            errors_for_item = self._bulk_one(item, created)
            if errors_for_item:
                errors.append({"index": index, "errors": errors_for_item})
        return Response(
            {"created": len(created), "failed": len(errors), "errors": errors, "ids": created},
            status=200,
        )

    def _bulk_one(self, item: dict[str, Any], created: list[str]) -> dict[str, Any] | None:
        """Create one item of a bulk request in its own savepoint; its errors, if any."""
        serializer = ContactWriteSerializer(data=item)
        if not serializer.is_valid():
            return serializer.errors
        data = {"source": "api", **serializer.service_data()}
        try:
            with transaction.atomic():
                if data.get("company"):
                    found = (
                        Company.objects.for_workspace(self.workspace)
                        .filter(pk=data["company"])
                        .first()
                    )
                    if found is None:
                        return {"company_id": ["No such company."]}
                    data["company"] = found
                contact = contact_create(workspace=self.workspace, actor=self.actor, **data)
        except ConflictError as error:
            return {error.field: [error.message], "conflict_id": [str(error.conflict_id)]}
        except DjangoValidationError as error:
            return django_validation_errors(error)
        created.append(str(contact.pk))
        return None


class CompanyMembershipViewSet(RecordViewSet):
    """``/contacts/{contact_id}/company-memberships``: a person's links to companies."""

    model = CompanyMembership
    scope_resource = "contacts"
    serializer_class = CompanyMembershipSerializer
    output_fields = {
        "id",
        "contact_id",
        "company_id",
        "company",
        "role",
        "is_primary",
        "started_at",
        "ended_at",
        "created_at",
    }
    sortable = {"created_at": "created_at"}
    default_sort = "created_at"

    def contact(self) -> Contact:
        return self.get_related(Contact, self.kwargs["contact_pk"], "contact_id")

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(contact_id=self.contact().pk).select_related("company")

    def list(self, request: Request, contact_pk: str) -> Response:
        return self.records_list()

    def retrieve(self, request: Request, contact_pk: str, pk: str) -> Response:
        membership = self.get_object()
        return self.object_response(membership, self.serialize_one(membership))

    @extend_schema(
        request=CompanyMembershipWriteSerializer, responses={201: CompanyMembershipSerializer}
    )
    def create(self, request: Request, contact_pk: str) -> Response:
        contact = self.contact()
        serializer = CompanyMembershipWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "company_id" not in data:
            raise ValidationError({"company_id": ["This field is required."]})
        company = self.get_related(Company, data.pop("company_id"), "company_id")
        membership = company_membership_create(
            contact=contact, company=company, actor=self.actor, **data
        )
        membership = self.get_queryset().get(pk=membership.pk)
        return self.object_response(membership, self.serialize_one(membership), status=201)

    @extend_schema(request=CompanyMembershipWriteSerializer, responses=CompanyMembershipSerializer)
    def partial_update(self, request: Request, contact_pk: str, pk: str) -> Response:
        membership = self.get_object()
        self.check_if_match(membership)
        serializer = CompanyMembershipWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "company_id" in data and str(data.pop("company_id")) != str(membership.company_id):
            raise ValidationError({"company_id": ["Link another company with a new membership."]})
        company_membership_update(membership=membership, actor=self.actor, data=data)
        membership = self.get_queryset().get(pk=membership.pk)
        return self.object_response(membership, self.serialize_one(membership))

    def update(self, request: Request, contact_pk: str, pk: str) -> Response:
        return self.partial_update(request, contact_pk, pk)

    def destroy(self, request: Request, contact_pk: str, pk: str) -> Response:
        membership = self.get_object()
        self.check_if_match(membership)
        company_membership_delete(membership=membership, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)
