"""API views of notes, tasks, activities, timelines, and a contact's related records.

Every write goes through ``crm.services.activity``. A subject named in a request (or in the
path) is resolved through ``crm.registry`` inside the credential's workspace: an unknown or
foreign record is a 404. Deals are reached only through the registry (``crm`` never imports
``pipelines``).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import django_filters
from django.db import transaction
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.activity_serializers import (
    ACTIVITY_FIELDS,
    CONTACT_COMPANY_FIELDS,
    CONTACT_DEAL_FIELDS,
    NOTE_FIELDS,
    TASK_FIELDS,
    TIMELINE_FIELDS,
    ActivitySerializer,
    ActivityWriteSerializer,
    ContactCompanySerializer,
    ContactDealSerializer,
    ContactNoteWriteSerializer,
    NoteSerializer,
    NoteWriteSerializer,
    TaskSerializer,
    TaskWriteSerializer,
    TimelineEventSerializer,
)
from crm.api.base import LIST_PARAMETERS, RecordViewSet
from crm.api.filters import WorkspaceFilterSet, apply_filters, owner_q
from crm.models import (
    Activity,
    ActivityType,
    CompanyMembership,
    Contact,
    Note,
    SubjectType,
    Task,
    TimelineEvent,
)
from crm.registry import subject_kind
from crm.services.activity import (
    activity_create,
    activity_delete,
    activity_update,
    note_archive,
    note_create,
    note_update,
    task_archive,
    task_create,
    task_update,
)

# Lists here take no ``query=`` expression (the query language covers contacts, companies and
# deals); the rest of the shared list parameters apply.
PAGE_PARAMETERS = [p for p in LIST_PARAMETERS if p.name != "query"]
SUBJECT_PARAMETERS = [
    OpenApiParameter("subject_type", str, enum=SubjectType.values, description="With subject_id"),
    OpenApiParameter("subject_id", str, description="Id of the contact, company or deal"),
]
INCLUDE_ARCHIVED = OpenApiParameter(
    "include_archived", bool, description="Also list archived (deleted) ones"
)
CONTACT_PATH = OpenApiParameter(
    "contact_pk", str, OpenApiParameter.PATH, description="The contact's id"
)


def resolve_subject(workspace: Any, subject_type: str, subject_id: Any) -> Model:
    """The contact, company or deal in this workspace; a 404 for an unknown or foreign id."""
    try:
        kind = subject_kind(subject_type)
    except LookupError:
        raise ValidationError({"subject_type": ["Must be contact, company or deal."]}) from None
    try:
        pk = uuid.UUID(str(subject_id))
    except ValueError:
        raise Http404(f"No such {subject_type}.") from None
    record = kind.model.objects.for_workspace(workspace).filter(pk=pk).first()
    if record is None:
        raise Http404(f"No such {subject_type}.")
    return record


def query_flag(params: Any, name: str) -> bool | None:
    """``?name=true|false`` (also 1/0, yes/no); absent is None; anything else is a 400."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValidationError({name: ["Use true or false."]})


def reject_move(data: dict[str, Any], obj: Any, what: str) -> None:
    """Notes and activities stay on their record: an echoed subject is fine, another is a 400."""
    subject_type = data.pop("subject_type", obj.subject_type)
    subject_id = data.pop("subject_id", obj.subject_id)
    if subject_type != obj.subject_type or str(subject_id) != str(obj.subject_id):
        raise ValidationError(
            {"subject_id": [f"A {what} cannot move to another record; create a new one."]}
        )


# --- Filters ------------------------------------------------------------------------------------


class SubjectFilterSet(WorkspaceFilterSet):
    subject_type = django_filters.ChoiceFilter(choices=SubjectType.choices)
    subject_id = django_filters.UUIDFilter()


class NoteFilter(SubjectFilterSet):
    pinned = django_filters.BooleanFilter()

    class Meta:
        model = Note
        fields: list[str] = []


class TaskFilter(SubjectFilterSet):
    assignee = django_filters.CharFilter(method="filter_assignee")
    completed = django_filters.BooleanFilter(
        field_name="completed_at", lookup_expr="isnull", exclude=True
    )
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(owner_q(value, self.user, field="assignee"))

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = Q(completed_at__isnull=True, due_at__lt=timezone.now())
        return queryset.filter(overdue if value else ~overdue)


class ActivityFilter(SubjectFilterSet):
    type = django_filters.ChoiceFilter(choices=ActivityType.choices)
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields: list[str] = []


# --- Base ---------------------------------------------------------------------------------------


class _ListViewSet(RecordViewSet):
    """Simple filters, sort, fields and cursor paging (no ``query=``)."""

    archivable: ClassVar[bool] = False

    def list_queryset(self, expression: Any = None) -> QuerySet:
        queryset = self.get_queryset()
        if self.filterset_class is not None:
            queryset = apply_filters(
                self.filterset_class, queryset, self.request.query_params, self.credential.user
            )
        if self.archivable and not query_flag(self.request.query_params, "include_archived"):
            queryset = queryset.filter(archived_at__isnull=True)
        return queryset

    def created(self, obj: Model, path: str) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)
        return self.object_response(
            obj, self.serialize_one(obj), status=201, headers={"Location": f"/api/v1/{path}"}
        )

    def refreshed(self, obj: Model) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)
        return self.object_response(obj, self.serialize_one(obj))


# --- Notes --------------------------------------------------------------------------------------

NOTE_LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    *SUBJECT_PARAMETERS,
    OpenApiParameter("pinned", bool),
    INCLUDE_ARCHIVED,
]


@extend_schema_view(
    list=extend_schema(parameters=NOTE_LIST_PARAMETERS, summary="List notes"),
    retrieve=extend_schema(summary="Get a note (archived ones too)"),
    destroy=extend_schema(summary="Archive a note"),
)
class NoteViewSet(_ListViewSet):
    model = Note
    scope_resource = "notes"
    serializer_class = NoteSerializer
    filterset_class = NoteFilter
    output_fields = NOTE_FIELDS
    archivable = True
    sortable = {"created_at": "created_at", "updated_at": "updated_at"}

    def list(self, request: Request, **kwargs: Any) -> Response:
        return self.records_list()

    @extend_schema(request=NoteWriteSerializer, responses={201: NoteSerializer})
    def create(self, request: Request) -> Response:
        serializer = NoteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        subject = resolve_subject(self.workspace, data["subject_type"], data["subject_id"])
        return self.create_note(subject, data)

    def create_note(self, subject: Model, data: dict[str, Any]) -> Response:
        note = note_create(
            workspace=self.workspace,
            actor=self.actor,
            subject_type=data["subject_type"],
            subject_id=subject.pk,
            body=data["body"],
            pinned=data.get("pinned", False),
        )
        return self.created(note, f"notes/{note.pk}")

    def retrieve(self, request: Request, pk: str) -> Response:
        note = self.get_object()
        return self.object_response(note, self.serialize_one(note))

    @extend_schema(request=NoteWriteSerializer, responses=NoteSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        note = self.get_object()
        self.check_if_match(note)
        serializer = NoteWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reject_move(data, note, "note")
        note_update(note=note, actor=self.actor, data=data)
        return self.refreshed(note)

    @extend_schema(
        request=NoteWriteSerializer,
        responses=NoteSerializer,
        summary="Update a note (PUT is a partial update, as PATCH)",
    )
    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        note = self.get_object()
        self.check_if_match(note)
        note_archive(note=note, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _ContactScoped:
    """Mixin for ``/contacts/{contact_pk}/…``: the contact, resolved once (404 if foreign)."""

    _contact: Contact | None = None

    def contact(self) -> Contact:
        if self._contact is None:
            self._contact = resolve_subject(self.workspace, "contact", self.kwargs["contact_pk"])
        return self._contact


@extend_schema_view(
    list=extend_schema(
        parameters=[CONTACT_PATH, *NOTE_LIST_PARAMETERS], summary="List a contact's notes"
    ),
    create=extend_schema(
        parameters=[CONTACT_PATH],
        request=ContactNoteWriteSerializer,
        responses={201: NoteSerializer},
        summary="Add a note to a contact",
    ),
)
class ContactNoteViewSet(_ContactScoped, NoteViewSet):
    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(subject_type="contact", subject_id=self.contact().pk)

    def list(self, request: Request, contact_pk: str) -> Response:
        return self.records_list()

    def create(self, request: Request, contact_pk: str) -> Response:
        contact = self.contact()
        serializer = ContactNoteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("subject_type", "contact") != "contact" or str(
            data.get("subject_id", contact.pk)
        ) != str(contact.pk):
            raise ValidationError({"subject_id": ["The note's subject is the contact of the URL."]})
        data["subject_type"] = "contact"
        return self.create_note(contact, data)


# --- Tasks --------------------------------------------------------------------------------------

TASK_LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    *SUBJECT_PARAMETERS,
    OpenApiParameter("assignee", str, description="A user id, 'me' or 'unassigned'"),
    OpenApiParameter("completed", bool),
    OpenApiParameter("due_before", str, description="ISO 8601 date-time"),
    OpenApiParameter("due_after", str, description="ISO 8601 date-time"),
    OpenApiParameter("overdue", bool, description="Open tasks whose due_at has passed"),
    INCLUDE_ARCHIVED,
]


@extend_schema_view(
    list=extend_schema(parameters=TASK_LIST_PARAMETERS, summary="List tasks"),
    retrieve=extend_schema(summary="Get a task (archived ones too)"),
    destroy=extend_schema(summary="Archive a task"),
)
class TaskViewSet(_ListViewSet):
    model = Task
    scope_resource = "tasks"
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    output_fields = TASK_FIELDS
    archivable = True
    sortable = {
        "due_at": "due_at",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "due_at"

    def list(self, request: Request, **kwargs: Any) -> Response:
        return self.records_list()

    def check_subject(self, subject_type: str | None, subject_id: Any) -> None:
        if subject_type and subject_id:
            resolve_subject(self.workspace, subject_type, subject_id)

    @extend_schema(request=TaskWriteSerializer, responses={201: TaskSerializer})
    def create(self, request: Request) -> Response:
        serializer = TaskWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        completed = data.pop("completed", False)
        self.check_subject(data.get("subject_type"), data.get("subject_id"))
        with transaction.atomic():
            task = task_create(workspace=self.workspace, actor=self.actor, **data)
            if completed:
                task = task_update(task=task, actor=self.actor, data={"completed": True})
        return self.created(task, f"tasks/{task.pk}")

    def retrieve(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        return self.object_response(task, self.serialize_one(task))

    @extend_schema(request=TaskWriteSerializer, responses=TaskSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        self.check_if_match(task)
        serializer = TaskWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "subject_type" in data or "subject_id" in data:
            self.check_subject(
                data.get("subject_type", task.subject_type), data.get("subject_id", task.subject_id)
            )
        task_update(task=task, actor=self.actor, data=data)
        return self.refreshed(task)

    @extend_schema(
        request=TaskWriteSerializer,
        responses=TaskSerializer,
        summary="Update a task (PUT is a partial update, as PATCH)",
    )
    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        self.check_if_match(task)
        task_archive(task=task, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        parameters=[CONTACT_PATH, *TASK_LIST_PARAMETERS], summary="List a contact's tasks"
    ),
)
class ContactTaskViewSet(_ContactScoped, TaskViewSet):
    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(subject_type="contact", subject_id=self.contact().pk)

    def list(self, request: Request, contact_pk: str) -> Response:
        return self.records_list()


# --- Activities ---------------------------------------------------------------------------------

ACTIVITY_LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    *SUBJECT_PARAMETERS,
    OpenApiParameter("type", str, enum=ActivityType.values),
    OpenApiParameter("occurred_after", str, description="ISO 8601 date-time"),
    OpenApiParameter("occurred_before", str, description="ISO 8601 date-time"),
]


@extend_schema_view(
    list=extend_schema(parameters=ACTIVITY_LIST_PARAMETERS, summary="List logged activities"),
    retrieve=extend_schema(summary="Get an activity"),
    destroy=extend_schema(summary="Delete an activity"),
)
class ActivityViewSet(_ListViewSet):
    model = Activity
    scope_resource = "activities"
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    output_fields = ACTIVITY_FIELDS
    sortable = {
        "occurred_at": "occurred_at",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "-occurred_at"

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.prefetch_related("participants")

    def list(self, request: Request, **kwargs: Any) -> Response:
        return self.records_list()

    @extend_schema(request=ActivityWriteSerializer, responses={201: ActivitySerializer})
    def create(self, request: Request) -> Response:
        serializer = ActivityWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        subject = resolve_subject(self.workspace, data["subject_type"], data["subject_id"])
        data["subject_id"] = subject.pk
        activity = activity_create(workspace=self.workspace, actor=self.actor, **data)
        return self.created(activity, f"activities/{activity.pk}")

    def retrieve(self, request: Request, pk: str) -> Response:
        activity = self.get_object()
        return self.object_response(activity, self.serialize_one(activity))

    @extend_schema(request=ActivityWriteSerializer, responses=ActivitySerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        activity = self.get_object()
        self.check_if_match(activity)
        serializer = ActivityWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reject_move(data, activity, "activity")
        activity_update(activity=activity, actor=self.actor, data=data)
        return self.refreshed(activity)

    @extend_schema(
        request=ActivityWriteSerializer,
        responses=ActivitySerializer,
        summary="Update an activity (PUT is a partial update, as PATCH)",
    )
    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        activity = self.get_object()
        self.check_if_match(activity)
        activity_delete(activity=activity, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        parameters=[CONTACT_PATH, *ACTIVITY_LIST_PARAMETERS],
        summary="List a contact's activities (about the contact, or with them taking part)",
    ),
)
class ContactActivityViewSet(_ContactScoped, ActivityViewSet):
    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        contact = self.contact()
        taking_part = Activity.participants.through.objects.filter(contact_id=contact.pk)
        queryset = super().scope_queryset(queryset)
        return queryset.filter(
            Q(subject_type="contact", subject_id=contact.pk)
            | Q(pk__in=taking_part.values("activity_id"))
        )

    def list(self, request: Request, contact_pk: str) -> Response:
        return self.records_list()


# --- Timelines ----------------------------------------------------------------------------------

SUBJECT_PATH = OpenApiParameter(
    "id", str, OpenApiParameter.PATH, description="The record's id (a UUID)"
)


class _TimelineViewSet(_ListViewSet):
    """``GET /{subject_type}s/{id}/timeline``: newest first, cursor-paged. Reading it needs the
    record's own read scope."""

    model = TimelineEvent
    subject_type: ClassVar[str] = ""
    serializer_class = TimelineEventSerializer
    output_fields = TIMELINE_FIELDS
    sortable = {"created_at": "created_at"}
    default_sort = "-created_at"

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        subject = resolve_subject(self.workspace, self.subject_type, self.kwargs["pk"])
        return queryset.filter(subject_type=self.subject_type, subject_id=subject.pk)

    def list(self, request: Request, pk: str) -> Response:
        return self.records_list()


@extend_schema_view(
    list=extend_schema(
        parameters=[SUBJECT_PATH, *PAGE_PARAMETERS],
        responses=TimelineEventSerializer(many=True),
        summary="A contact's timeline, newest first",
    )
)
class ContactTimelineViewSet(_TimelineViewSet):
    subject_type = "contact"
    scope_resource = "contacts"


@extend_schema_view(
    list=extend_schema(
        parameters=[SUBJECT_PATH, *PAGE_PARAMETERS],
        responses=TimelineEventSerializer(many=True),
        summary="A company's timeline, newest first",
    )
)
class CompanyTimelineViewSet(_TimelineViewSet):
    subject_type = "company"
    scope_resource = "companies"


@extend_schema_view(
    list=extend_schema(
        parameters=[SUBJECT_PATH, *PAGE_PARAMETERS],
        responses=TimelineEventSerializer(many=True),
        summary="A deal's timeline, newest first",
    )
)
class DealTimelineViewSet(_TimelineViewSet):
    subject_type = "deal"
    scope_resource = "deals"


# --- A contact's deals and companies ------------------------------------------------------------


class _DealModel:
    """The deal model, from the registry that ``pipelines`` fills in at start-up."""

    def __get__(self, instance: Any, owner: Any) -> type[Model]:
        return subject_kind("deal").model


@extend_schema_view(
    list=extend_schema(
        parameters=[CONTACT_PATH, *PAGE_PARAMETERS],
        responses=ContactDealSerializer(many=True),
        summary="The deals a contact is linked to, with their role",
    )
)
class ContactDealViewSet(_ContactScoped, _ListViewSet):
    model = _DealModel()  # type: ignore[assignment]
    scope_resource = "deals"
    serializer_class = ContactDealSerializer
    output_fields = CONTACT_DEAL_FIELDS
    sortable = {"created_at": "created_at", "updated_at": "updated_at", "title": "title"}

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        contact = self.contact()
        links = queryset.model._meta.get_field("deal_contacts").related_model.objects.filter(
            deal_id=OuterRef("pk"), contact_id=contact.pk
        )
        # One DealContact per (deal, contact): the join cannot repeat a deal.
        return (
            queryset.filter(deal_contacts__contact_id=contact.pk)
            .select_related("stage")
            .annotate(contact_role=Subquery(links.values("role")[:1]))
        )

    def list(self, request: Request, contact_pk: str) -> Response:
        return self.records_list()


@extend_schema_view(
    list=extend_schema(
        parameters=[CONTACT_PATH, *PAGE_PARAMETERS],
        responses=ContactCompanySerializer(many=True),
        summary="The companies a contact belongs to (primary first)",
    )
)
class ContactCompanyViewSet(_ContactScoped, _ListViewSet):
    """Read through the contact's memberships (the sort keys are the membership's own columns);
    each row shows the company."""

    model = CompanyMembership
    scope_resource = "companies"
    serializer_class = ContactCompanySerializer
    output_fields = CONTACT_COMPANY_FIELDS
    sortable = {
        "is_primary": "is_primary",
        "name": "company__name",
        "created_at": "created_at",
    }
    default_sort = "-is_primary,name"

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(contact_id=self.contact().pk).select_related("company")

    def list(self, request: Request, contact_pk: str) -> Response:
        return self.records_list()
