"""API views of tags (with usage counts) and of static lists with their members."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.pagination import paginate, parse_sort
from accounts.api.serializers import StrictInputSerializer, check_fields, sparse
from crm.api.base import LIST_PARAMETERS, RecordViewSet
from crm.api.companies import COMPANY_FIELDS, CompanySerializer, CompanyViewSet, company_queryset
from crm.api.serializers import CONTACT_FIELDS, ContactSerializer, _iso
from crm.api.views import ContactViewSet, contact_queryset
from crm.models import Company, Contact, List, ListMember, ListObjectType, Tag
from crm.models.tags import DEFAULT_TAG_COLOR
from crm.services.lists import (
    list_create,
    list_delete,
    list_members_add,
    list_members_remove,
    list_update,
)
from crm.services.tags import tag_create, tag_delete, tag_update

PLAIN_LIST_PARAMETERS = [p for p in LIST_PARAMETERS if p.name != "query"]


def described_choice(values: list[str], **kwargs: Any) -> serializers.ChoiceField:
    """An output ChoiceField over plain values, its choices listed in the description.

    Fields named ``object_type`` take several choice sets in this API; one enum component per
    serializer keeps drf-spectacular's generated enum names unambiguous (no naming warning).
    """
    return serializers.ChoiceField(
        choices=values, help_text=f"One of: {', '.join(values)}", **kwargs
    )


class PlainListViewSet(RecordViewSet):
    """A workspace resource listed with sort, fields and cursor (no ``query=`` language)."""

    def filter_list(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def plain_list(self) -> Response:
        check_fields(self.requested_fields(), self.output_fields)
        return self.list_response(self.filter_list(self.get_queryset()), self.serialize_many)


def _usage(through: Any, column: str) -> Coalesce:
    """How many rows of an M2M ``through`` table name the outer tag: a correlated count, so
    a page of tags costs one query whatever its size."""
    counted = (
        through.objects.filter(tag_id=OuterRef("pk"))
        .order_by()
        .values("tag_id")
        .annotate(n=Count(column))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- tags ------------------------------------------------------------------------------------


class TagSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    color = serializers.CharField(read_only=True, help_text="#rrggbb")
    contact_count = serializers.IntegerField(read_only=True, help_text="Contacts tagged")
    company_count = serializers.IntegerField(read_only=True, help_text="Companies tagged")
    deal_count = serializers.IntegerField(read_only=True, help_text="Deals tagged")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, tag: Tag) -> dict[str, Any]:
        return {
            "id": str(tag.pk),
            "name": tag.name,
            "color": tag.color,
            "contact_count": tag.contact_count,
            "company_count": tag.company_count,
            "deal_count": tag.deal_count,
            "created_at": _iso(tag.created_at),
            "updated_at": _iso(tag.updated_at),
        }


TAG_FIELDS = set(TagSerializer().fields)


class TagWriteSerializer(StrictInputSerializer):
    ignored_fields = (
        "id",
        "contact_count",
        "company_count",
        "deal_count",
        "created_at",
        "updated_at",
    )
    name = serializers.CharField(max_length=64, required=False)
    color = serializers.CharField(max_length=7, required=False)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            *PLAIN_LIST_PARAMETERS,
            OpenApiParameter("name", str, description="Names containing this text"),
        ],
        responses=TagSerializer(many=True),
        summary="List tags with their usage counts",
        description="Reading tags needs `contacts:read`; changing them needs `contacts:write`.",
    ),
    retrieve=extend_schema(responses=TagSerializer, summary="Get a tag"),
    destroy=extend_schema(summary="Delete a tag (removes it from every record)"),
)
class TagViewSet(PlainListViewSet):
    """Tags are shared by contacts, companies and deals: reads need ``contacts:read``,
    writes ``contacts:write``."""

    model = Tag
    scope_resource = "contacts"
    serializer_class = TagSerializer
    output_fields = TAG_FIELDS
    sortable = {
        "name": "name",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "name"

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.annotate(
            contact_count=_usage(Tag.contacts.through, "contact_id"),
            company_count=_usage(Tag.companies.through, "company_id"),
            deal_count=_usage(Tag.deals.through, "deal_id"),
        )

    def filter_list(self, queryset: QuerySet) -> QuerySet:
        name = self.request.query_params.get("name")
        return queryset.filter(name__icontains=name) if name else queryset

    def list(self, request: Request) -> Response:
        return self.plain_list()

    def retrieve(self, request: Request, pk: str) -> Response:
        tag = self.get_object()
        return self.object_response(tag, self.serialize_one(tag))

    @extend_schema(
        request=TagWriteSerializer,
        responses={201: TagSerializer},
        summary="Create a tag (a taken name is 409)",
        description="Needs `contacts:write`.",
    )
    def create(self, request: Request) -> Response:
        serializer = TagWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "name" not in data:
            raise serializers.ValidationError({"name": ["This field is required."]})
        tag = tag_create(
            workspace=self.workspace,
            name=data["name"],
            color=data.get("color", DEFAULT_TAG_COLOR),
        )
        tag = self.get_queryset().get(pk=tag.pk)
        return self.object_response(
            tag, self.serialize_one(tag), status=201, headers={"Location": f"/api/v1/tags/{tag.pk}"}
        )

    @extend_schema(request=TagWriteSerializer, responses=TagSerializer, summary="Rename/recolour")
    def partial_update(self, request: Request, pk: str) -> Response:
        tag = self.get_object()
        self.check_if_match(tag)
        serializer = TagWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tag_update(tag=tag, data=dict(serializer.validated_data))
        tag = self.get_queryset().get(pk=tag.pk)
        return self.object_response(tag, self.serialize_one(tag))

    @extend_schema(request=TagWriteSerializer, responses=TagSerializer, summary="As PATCH")
    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        tag = self.get_object()
        self.check_if_match(tag)
        tag_delete(tag=tag)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- lists -----------------------------------------------------------------------------------


class ListSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    object_type = described_choice(ListObjectType.values, read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, list_: List) -> dict[str, Any]:
        return {
            "id": str(list_.pk),
            "name": list_.name,
            "object_type": list_.object_type,
            "member_count": list_.member_count,
            "created_at": _iso(list_.created_at),
            "updated_at": _iso(list_.updated_at),
        }


LIST_FIELDS = set(ListSerializer().fields)


class ListWriteSerializer(StrictInputSerializer):
    ignored_fields = ("id", "member_count", "created_at", "updated_at")
    name = serializers.CharField(max_length=120, required=False)
    object_type = serializers.ChoiceField(
        choices=ListObjectType.choices, required=False, help_text="Set on create; fixed after"
    )


class ListMembersSerializer(StrictInputSerializer):
    ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=1000, help_text="Record ids"
    )


_MEMBERS_CHANGED = inline_serializer(
    "ListMembersChanged",
    {
        "added": serializers.IntegerField(required=False),
        "removed": serializers.IntegerField(required=False),
        "member_count": serializers.IntegerField(),
    },
)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            *PLAIN_LIST_PARAMETERS,
            OpenApiParameter("object_type", str, enum=ListObjectType.values),
        ],
        responses=ListSerializer(many=True),
        summary="List static lists",
    ),
    retrieve=extend_schema(responses=ListSerializer, summary="Get a list"),
    destroy=extend_schema(summary="Delete a list (its records stay)"),
)
class ListViewSet(PlainListViewSet):
    model = List
    scope_resource = "lists"
    serializer_class = ListSerializer
    output_fields = LIST_FIELDS
    sortable = {
        "name": "name",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "name"

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        counted = (
            ListMember.objects.filter(list_id=OuterRef("pk"))
            .order_by()
            .values("list_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return queryset.annotate(
            member_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0)
        )

    def filter_list(self, queryset: QuerySet) -> QuerySet:
        object_type = self.request.query_params.get("object_type")
        if object_type is None:
            return queryset
        if object_type not in ListObjectType.values:
            raise serializers.ValidationError({"object_type": ["Must be contact or company."]})
        return queryset.filter(object_type=object_type)

    def list(self, request: Request) -> Response:
        return self.plain_list()

    def retrieve(self, request: Request, pk: str) -> Response:
        list_ = self.get_object()
        return self.object_response(list_, self.serialize_one(list_))

    @extend_schema(request=ListWriteSerializer, responses={201: ListSerializer})
    def create(self, request: Request) -> Response:
        serializer = ListWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        missing = {
            name: ["This field is required."]
            for name in ("name", "object_type")
            if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        list_ = list_create(
            workspace=self.workspace, name=data["name"], object_type=data["object_type"]
        )
        list_ = self.get_queryset().get(pk=list_.pk)
        return self.object_response(
            list_,
            self.serialize_one(list_),
            status=201,
            headers={"Location": f"/api/v1/lists/{list_.pk}"},
        )

    @extend_schema(request=ListWriteSerializer, responses=ListSerializer, summary="Rename a list")
    def partial_update(self, request: Request, pk: str) -> Response:
        list_ = self.get_object()
        self.check_if_match(list_)
        serializer = ListWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.pop("object_type", list_.object_type) != list_.object_type:
            raise serializers.ValidationError(
                {"object_type": ["A list's object type cannot change."]}
            )
        list_update(list_=list_, data=data)
        list_ = self.get_queryset().get(pk=list_.pk)
        return self.object_response(list_, self.serialize_one(list_))

    @extend_schema(request=ListWriteSerializer, responses=ListSerializer, summary="As PATCH")
    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        list_ = self.get_object()
        self.check_if_match(list_)
        list_delete(list_=list_)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- members -------------------------------------------------------------------------
    def _member_count(self, list_: List) -> int:
        return ListMember.objects.for_workspace(self.workspace).filter(list=list_).count()

    def _member_ids(self) -> list[Any]:
        serializer = ListMembersSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return list(serializer.validated_data["ids"])

    @extend_schema(
        parameters=PLAIN_LIST_PARAMETERS,
        responses=PolymorphicProxySerializer(
            component_name="ListMemberRecord",
            serializers=[ContactSerializer, CompanySerializer],
            resource_type_field_name=None,
            many=True,
        ),
        summary="The list's members: contacts or companies as their own endpoints show them",
        description="A contact list answers contacts; a company list answers companies.",
    )
    @action(detail=True, methods=["get"], url_path="members")
    def members(self, request: Request, pk: str) -> Response:
        list_ = self.get_object()
        fields = self.requested_fields()
        member_rows = ListMember.objects.for_workspace(self.workspace).filter(list=list_)
        if list_.object_type == ListObjectType.CONTACT:
            available, output = CONTACT_FIELDS, ContactSerializer()
            sortable, default = ContactViewSet.sortable, ContactViewSet.default_sort
            records = contact_queryset(
                Contact.objects.for_workspace(self.workspace).filter(
                    pk__in=member_rows.values("contact_id")
                )
            )
        else:
            available, output = COMPANY_FIELDS, CompanySerializer()
            sortable, default = CompanyViewSet.sortable, CompanyViewSet.default_sort
            records = company_queryset(
                Company.objects.for_workspace(self.workspace).filter(
                    pk__in=member_rows.values("company_id")
                )
            )
        check_fields(fields, available)
        keys = parse_sort(request.query_params.get("sort"), allowed=sortable, default=default)
        page = paginate(records, request, keys)
        data = [sparse(output.to_representation(row), fields) for row in page.rows]
        return Response({"data": data, "meta": page.meta})

    @extend_schema(
        request=ListMembersSerializer,
        responses=_MEMBERS_CHANGED,
        summary="Add records to the list (unknown ids are a 400)",
    )
    def add_members(self, request: Request, pk: str) -> Response:
        list_ = self.get_object()
        added = list_members_add(list_=list_, ids=self._member_ids())
        return Response({"added": added, "member_count": self._member_count(list_)})

    @extend_schema(
        request=ListMembersSerializer,
        responses=_MEMBERS_CHANGED,
        summary="Remove records from the list (unknown ids are a 400)",
    )
    def remove_members(self, request: Request, pk: str) -> Response:
        list_ = self.get_object()
        removed = list_members_remove(list_=list_, ids=self._member_ids())
        return Response({"removed": removed, "member_count": self._member_count(list_)})
