"""API views of pipelines, stages, lost reasons, the board and deals."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Prefetch, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.pagination import clamp_limit, encode_cursor, paginate, parse_sort
from accounts.api.serializers import check_fields
from accounts.models import User
from accounts.services.common import ConflictError, ServiceError
from crm.api.base import LIST_PARAMETERS, RecordViewSet
from crm.api.filters import apply_filters
from crm.models import Company, Contact
from pipelines.api.filters import BoardFilter, DealFilter
from pipelines.api.serializers import (
    DEAL_FIELDS,
    LOST_REASON_FIELDS,
    PIPELINE_FIELDS,
    STAGE_FIELDS,
    BoardSerializer,
    DealCardSerializer,
    DealMoveSerializer,
    DealSerializer,
    DealWriteSerializer,
    LostReasonSerializer,
    LostReasonWriteSerializer,
    PipelineSerializer,
    PipelineSummarySerializer,
    PipelineWriteSerializer,
    StageDeleteSerializer,
    StageHistorySerializer,
    StageReorderSerializer,
    StageSerializer,
    StageWriteSerializer,
    _money,
)
from pipelines.models import (
    Deal,
    DealContact,
    DealStatus,
    LostReason,
    Pipeline,
    Stage,
    StageHistory,
)
from pipelines.services.deals import deal_create, deal_delete, deal_move, deal_update
from pipelines.services.pipelines import (
    lost_reason_create,
    lost_reason_delete,
    lost_reason_update,
    pipeline_create,
    pipeline_delete,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)

UUID_PATH = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
PIPELINE_PATH = OpenApiParameter("pipeline_pk", OpenApiTypes.UUID, OpenApiParameter.PATH)

# Board columns page by (position, id) within a stage, or by (stage position, position, id)
# within an owner's column: the cursors are the ones ``paginate`` reads.
STAGE_KEYS = parse_sort("position", allowed={"position": "position"}, default="position")
OWNER_KEYS = parse_sort(
    "stage_position,position",
    allowed={"stage_position": "stage__position", "position": "position"},
    default="stage_position,position",
)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "Conflict"


def conflict_from(error: ServiceError) -> Exception:
    """A service's refusal that is about the records' state (not the request) is a 409."""
    if isinstance(error, ConflictError):
        return error
    return Conflict(error.message)


def _path_uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


def attach_stage_stats(
    stages: list[Stage], deals: QuerySet | None = None, *, currency: str
) -> None:
    """Set ``deal_count``, ``deal_values`` (a sum per currency) and ``deal_value`` (the sum in
    the workspace's currency: amounts in other currencies are not converted, so not added) on
    every stage, with ONE aggregate query."""
    if not stages:
        return
    base = deals if deals is not None else Deal.objects.all()
    rows = (
        base.filter(stage_id__in=[s.pk for s in stages])
        .order_by()
        .values("stage_id", "currency")
        .annotate(n=Count("id"), v=Sum("amount"))
    )
    stats = money_by_currency(rows, "stage_id")
    for stage in stages:
        count, values = stats.get(stage.pk, (0, {}))
        stage.deal_count = count
        stage.deal_values = values
        stage.deal_value = values.get(currency, 0)


def money_by_currency(rows: Any, key: str) -> dict[Any, tuple[int, dict[str, Any]]]:
    """``{key: (count, {currency: sum})}`` from rows of (key, currency, n, v)."""
    stats: dict[Any, tuple[int, dict[str, Any]]] = {}
    for row in rows:
        count, values = stats.get(row[key], (0, {}))
        if row["v"] is not None:
            values[row["currency"]] = values.get(row["currency"], 0) + row["v"]
        stats[row[key]] = (count + row["n"], values)
    return stats


def ordered_stages() -> Prefetch:
    return Prefetch("stages", queryset=Stage.objects.order_by("position"))


# --- Pipelines ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[p for p in LIST_PARAMETERS if p.name != "query"], summary="List pipelines"
    ),
    retrieve=extend_schema(parameters=[UUID_PATH], summary="Get a pipeline with its stages"),
    partial_update=extend_schema(
        parameters=[UUID_PATH], request=PipelineWriteSerializer, responses=PipelineSerializer
    ),
    update=extend_schema(
        parameters=[UUID_PATH],
        request=PipelineWriteSerializer,
        responses=PipelineSerializer,
        summary="Update a pipeline (PUT is a partial update, as PATCH)",
    ),
    destroy=extend_schema(
        parameters=[UUID_PATH],
        summary="Delete a pipeline (409 for the default one or one holding deals)",
    ),
)
class PipelineViewSet(RecordViewSet):
    model = Pipeline
    scope_resource = "pipelines"
    serializer_class = PipelineSerializer
    output_fields = PIPELINE_FIELDS
    sortable = {
        "position": "position",
        "name": "name",
        "created_at": "created_at",
        "updated_at": "updated_at",
    }
    default_sort = "position"
    # The board shows deals: reading it takes deals:read.
    required_scopes = {"board": "deals:read"}

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.prefetch_related(ordered_stages())

    def serialize_many(self, rows: list[Any]) -> list[dict[str, Any]]:
        attach_stage_stats(
            [stage for row in rows for stage in row.stages.all()],
            currency=self.workspace.default_currency,
        )
        return super().serialize_many(rows)

    def serialize_one(self, obj: Any) -> dict[str, Any]:
        attach_stage_stats(list(obj.stages.all()), currency=self.workspace.default_currency)
        return super().serialize_one(obj)

    def list(self, request: Request) -> Response:
        check_fields(self.requested_fields(), self.output_fields)
        return self.list_response(self.get_queryset(), self.serialize_many)

    def retrieve(self, request: Request, pk: str) -> Response:
        pipeline = self.get_object()
        return self.object_response(pipeline, self.serialize_one(pipeline))

    @extend_schema(request=PipelineWriteSerializer, responses={201: PipelineSerializer})
    def create(self, request: Request) -> Response:
        serializer = PipelineWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not data.get("name"):
            raise ValidationError({"name": ["This field is required."]})
        position = data.pop("position", None)
        if "stages" in data:
            data["stages"] = [dict(spec) for spec in data["stages"]]
        pipeline = pipeline_create(workspace=self.workspace, **data)
        if position is not None:
            pipeline = pipeline_update(pipeline=pipeline, data={"position": position})
        pipeline = self.get_queryset().get(pk=pipeline.pk)
        return self.object_response(
            pipeline,
            self.serialize_one(pipeline),
            status=201,
            headers={"Location": f"/api/v1/pipelines/{pipeline.pk}"},
        )

    def partial_update(self, request: Request, pk: str) -> Response:
        pipeline = self.get_object()
        self.check_if_match(pipeline)
        serializer = PipelineWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for name in ("stages", "lost_reasons"):
            if name in data:
                raise ValidationError(
                    {name: [f"Change {name.replace('_', ' ')} through their own endpoints."]}
                )
        pipeline_update(pipeline=pipeline, data=data)
        pipeline = self.get_queryset().get(pk=pipeline.pk)
        return self.object_response(pipeline, self.serialize_one(pipeline))

    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        pipeline = self.get_object()
        self.check_if_match(pipeline)
        try:
            pipeline_delete(pipeline=pipeline)
        except ServiceError as error:
            raise conflict_from(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- the board ---------------------------------------------------------------------------
    @extend_schema(
        summary="The Kanban board: stages with their deals, paged per stage",
        parameters=[
            UUID_PATH,
            OpenApiParameter("limit", int, description="Deals per column, 1-100 (default 25)"),
            OpenApiParameter(
                "stage", OpenApiTypes.UUID, description="Only this stage (with `cursor`)"
            ),
            OpenApiParameter(
                "cursor", str, description="next_cursor of one column (with `stage` or `owner`)"
            ),
            OpenApiParameter("owner", str, description="User id, 'me' or 'unassigned'"),
            OpenApiParameter("tags", str, description="Comma-separated; all must match"),
            OpenApiParameter("q", str, description="Full-text search of the deals"),
            OpenApiParameter(
                "group_by",
                str,
                enum=["stage", "owner"],
                description="'owner': a column per owner of the open deals",
            ),
        ],
        responses=BoardSerializer,
    )
    @action(detail=True, methods=["get"])
    def board(self, request: Request, pk: str) -> Response:
        pipeline = self.get_object()
        stages = list(pipeline.stages.all())
        group_by = request.query_params.get("group_by") or "stage"
        if group_by not in ("stage", "owner"):
            raise ValidationError({"group_by": ["Use 'stage' or 'owner'."]})
        limit = clamp_limit(request)
        deals = apply_filters(
            BoardFilter,
            Deal.objects.for_workspace(self.workspace).filter(pipeline=pipeline),
            request.query_params,
            self.credential.user,
        )
        body: dict[str, Any] = {
            "pipeline": PipelineSummarySerializer().to_representation(pipeline),
            "group_by": group_by,
        }
        if group_by == "owner":
            body["columns"] = self._owner_columns(stages, deals, limit)
        else:
            body["stages"] = self._stage_columns(stages, deals, limit)
        return Response(body)

    def _stage_columns(
        self, stages: list[Stage], deals: QuerySet, limit: int
    ) -> list[dict[str, Any]]:
        wanted = self.request.query_params.get("stage")
        cursor = self.request.query_params.get("cursor")
        if cursor and not wanted:
            raise ValidationError({"stage": ["Name the stage the cursor belongs to."]})
        if wanted:
            stages = [s for s in stages if str(s.pk) == wanted]
            if not stages:
                raise Http404("No such stage in this pipeline.")
        attach_stage_stats(stages, deals, currency=self.workspace.default_currency)
        cards = deals.select_related("company").prefetch_related("tags")
        pages: dict[Any, tuple[list[Deal], str | None, bool]] = {}
        if wanted:
            page = paginate(cards.filter(stage=stages[0]), self.request, STAGE_KEYS)
            pages[stages[0].pk] = (page.rows, page.meta["next_cursor"], page.meta["has_more"])
        else:
            # The first ``limit`` (+1, to know if there are more) deals of every stage, in
            # one query.
            ranked = (
                cards.annotate(
                    _rank=Window(
                        RowNumber(),
                        partition_by=[F("stage_id")],
                        order_by=[F("position").asc(), F("id").asc()],
                    )
                )
                .filter(_rank__lte=limit + 1)
                .order_by("stage_id", "position", "id")
            )
            grouped: dict[Any, list[Deal]] = defaultdict(list)
            for deal in ranked:
                grouped[deal.stage_id].append(deal)
            for stage in stages:
                rows = grouped.get(stage.pk, [])
                has_more = len(rows) > limit
                rows = rows[:limit]
                next_cursor = encode_cursor([rows[-1].position, rows[-1].pk]) if has_more else None
                pages[stage.pk] = (rows, next_cursor, has_more)
        now = timezone.now()
        card = DealCardSerializer()
        stage_serializer = StageSerializer()
        columns = []
        for stage in stages:
            rows, next_cursor, has_more = pages[stage.pk]
            columns.append(
                {
                    **stage_serializer.to_representation(stage),
                    "deals": [card.card(deal, stage, now) for deal in rows],
                    "next_cursor": next_cursor,
                    "has_more": has_more,
                }
            )
        return columns

    def _owner_columns(
        self, stages: list[Stage], deals: QuerySet, limit: int
    ) -> list[dict[str, Any]]:
        deals = deals.filter(status=DealStatus.OPEN)
        cursor = self.request.query_params.get("cursor")
        if cursor and not self.request.query_params.get("owner"):
            raise ValidationError({"owner": ["Name the owner whose column the cursor is for."]})
        stats = money_by_currency(
            deals.order_by()
            .values("owner_id", "currency")
            .annotate(n=Count("id"), v=Sum("amount")),
            "owner_id",
        )
        currency = self.workspace.default_currency
        users = {u.pk: u for u in User.objects.filter(pk__in=[k for k in stats if k])}
        cards = deals.select_related("company").prefetch_related("tags")
        pages: dict[Any, tuple[list[Deal], str | None, bool]] = {}
        if cursor:
            page = paginate(cards, self.request, OWNER_KEYS)
            for owner_id in stats:
                pages[owner_id] = (page.rows, page.meta["next_cursor"], page.meta["has_more"])
        else:
            ranked = (
                cards.annotate(
                    _rank=Window(
                        RowNumber(),
                        partition_by=[F("owner_id")],
                        order_by=[F("stage__position").asc(), F("position").asc(), F("id").asc()],
                    ),
                    _stage_position=F("stage__position"),
                )
                .filter(_rank__lte=limit + 1)
                .order_by("owner_id", "stage__position", "position", "id")
            )
            grouped: dict[Any, list[Deal]] = defaultdict(list)
            for deal in ranked:
                grouped[deal.owner_id].append(deal)
            for owner_id in stats:
                rows = grouped.get(owner_id, [])
                has_more = len(rows) > limit
                rows = rows[:limit]
                next_cursor = (
                    encode_cursor([rows[-1]._stage_position, rows[-1].position, rows[-1].pk])
                    if has_more
                    else None
                )
                pages[owner_id] = (rows, next_cursor, has_more)
        stage_by_id = {s.pk: s for s in stages}
        now = timezone.now()
        card = DealCardSerializer()

        def order(owner_id: Any) -> tuple[int, str]:
            user = users.get(owner_id)
            return (1, "") if user is None else (0, (user.name or user.email).lower())

        columns = []
        for owner_id in sorted(stats, key=order):
            rows, next_cursor, has_more = pages[owner_id]
            user = users.get(owner_id)
            columns.append(
                {
                    "owner": (
                        {"id": str(user.pk), "name": user.name or user.email} if user else None
                    ),
                    "deal_count": stats[owner_id][0],
                    "deal_value": _money(stats[owner_id][1].get(currency, 0)),
                    "deal_values": {c: _money(v) for c, v in stats[owner_id][1].items()},
                    "deals": [card.card(d, stage_by_id[d.stage_id], now) for d in rows],
                    "next_cursor": next_cursor,
                    "has_more": has_more,
                }
            )
        return columns


# --- Stages -------------------------------------------------------------------------------------


class _InPipeline:
    """Views nested under ``/pipelines/{pipeline_pk}/``."""

    kwargs: dict[str, Any]
    workspace: Any

    def pipeline(self) -> Pipeline:
        if not hasattr(self, "_pipeline"):
            found = (
                Pipeline.objects.for_workspace(self.workspace)
                .filter(pk=_path_uuid(self.kwargs["pipeline_pk"]))
                .first()
            )
            if found is None:
                raise Http404("No such pipeline.")
            self._pipeline = found
        return self._pipeline


@extend_schema_view(
    list=extend_schema(
        parameters=[PIPELINE_PATH, *[p for p in LIST_PARAMETERS if p.name != "query"]],
        summary="List a pipeline's stages",
    ),
    create=extend_schema(
        parameters=[PIPELINE_PATH],
        request=StageWriteSerializer,
        responses={201: StageSerializer},
        summary="Add a stage to a pipeline",
    ),
    reorder=extend_schema(
        parameters=[PIPELINE_PATH],
        request=StageReorderSerializer,
        responses=StageSerializer(many=True),
        summary="Put a pipeline's stages in this order",
    ),
    retrieve=extend_schema(parameters=[UUID_PATH], summary="Get a stage"),
    partial_update=extend_schema(
        parameters=[UUID_PATH], request=StageWriteSerializer, responses=StageSerializer
    ),
    update=extend_schema(
        parameters=[UUID_PATH],
        request=StageWriteSerializer,
        responses=StageSerializer,
        summary="Update a stage (PUT is a partial update, as PATCH)",
    ),
    destroy=extend_schema(
        parameters=[
            UUID_PATH,
            OpenApiParameter(
                "move_deals_to", OpenApiTypes.UUID, description="As the body's move_deals_to"
            ),
        ],
        request=StageDeleteSerializer,
        summary="Delete a stage; one holding deals needs move_deals_to (else 409)",
    ),
)
class StageViewSet(_InPipeline, RecordViewSet):
    model = Stage
    scope_resource = "pipelines"
    serializer_class = StageSerializer
    output_fields = STAGE_FIELDS
    sortable = {"position": "position"}
    default_sort = "position"

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        if "pipeline_pk" in self.kwargs:
            queryset = queryset.filter(pipeline=self.pipeline())
        return queryset

    def serialize_many(self, rows: list[Any]) -> list[dict[str, Any]]:
        attach_stage_stats(rows, currency=self.workspace.default_currency)
        return super().serialize_many(rows)

    def serialize_one(self, obj: Any) -> dict[str, Any]:
        attach_stage_stats([obj], currency=self.workspace.default_currency)
        return super().serialize_one(obj)

    def list(self, request: Request, pipeline_pk: str) -> Response:
        check_fields(self.requested_fields(), self.output_fields)
        return self.list_response(self.get_queryset(), self.serialize_many)

    def create(self, request: Request, pipeline_pk: str) -> Response:
        pipeline = self.pipeline()
        serializer = StageWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not data.get("name"):
            raise ValidationError({"name": ["This field is required."]})
        stage = stage_create(pipeline=pipeline, **data)
        stage = self.get_queryset().get(pk=stage.pk)
        return self.object_response(
            stage,
            self.serialize_one(stage),
            status=201,
            headers={"Location": f"/api/v1/stages/{stage.pk}"},
        )

    @action(detail=False, methods=["post"])
    def reorder(self, request: Request, pipeline_pk: str) -> Response:
        pipeline = self.pipeline()
        serializer = StageReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stages = stage_reorder(pipeline=pipeline, stage_ids=serializer.validated_data["stage_ids"])
        return Response({"data": self.serialize_many(stages)})

    def retrieve(self, request: Request, pk: str) -> Response:
        stage = self.get_object()
        return self.object_response(stage, self.serialize_one(stage))

    def partial_update(self, request: Request, pk: str) -> Response:
        stage = self.get_object()
        self.check_if_match(stage)
        serializer = StageWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "position" in data:
            raise ValidationError(
                {"position": ["Move stages with POST /pipelines/{id}/stages/reorder."]}
            )
        stage = stage_update(stage=stage, data=data)
        stage = self.get_queryset().get(pk=stage.pk)
        return self.object_response(stage, self.serialize_one(stage))

    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        stage = self.get_object()
        self.check_if_match(stage)
        body = request.data if isinstance(request.data, dict) and request.data else {}
        if not body and request.query_params.get("move_deals_to"):
            body = {"move_deals_to": request.query_params["move_deals_to"]}
        serializer = StageDeleteSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        target_id = serializer.validated_data.get("move_deals_to")
        target = self.get_related(Stage, target_id, "move_deals_to") if target_id else None
        try:
            stage_delete(stage=stage, actor=self.actor, move_deals_to=target)
        except ServiceError as error:
            raise conflict_from(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Lost reasons -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[PIPELINE_PATH, *[p for p in LIST_PARAMETERS if p.name != "query"]],
        summary="List a pipeline's lost reasons",
    ),
    create=extend_schema(
        parameters=[PIPELINE_PATH],
        request=LostReasonWriteSerializer,
        responses={201: LostReasonSerializer},
    ),
    retrieve=extend_schema(parameters=[PIPELINE_PATH, UUID_PATH]),
    partial_update=extend_schema(
        parameters=[PIPELINE_PATH, UUID_PATH],
        request=LostReasonWriteSerializer,
        responses=LostReasonSerializer,
    ),
    destroy=extend_schema(parameters=[PIPELINE_PATH, UUID_PATH]),
)
class LostReasonViewSet(_InPipeline, RecordViewSet):
    model = LostReason
    scope_resource = "pipelines"
    serializer_class = LostReasonSerializer
    output_fields = LOST_REASON_FIELDS
    sortable = {"position": "position", "name": "name", "created_at": "created_at"}
    default_sort = "position"

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(pipeline=self.pipeline())

    def list(self, request: Request, pipeline_pk: str) -> Response:
        check_fields(self.requested_fields(), self.output_fields)
        return self.list_response(self.get_queryset(), self.serialize_many)

    def create(self, request: Request, pipeline_pk: str) -> Response:
        pipeline = self.pipeline()
        serializer = LostReasonWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not data.get("name"):
            raise ValidationError({"name": ["This field is required."]})
        reason = lost_reason_create(pipeline=pipeline, name=data["name"])
        if "position" in data:
            reason = lost_reason_update(lost_reason=reason, data={"position": data["position"]})
        return self.object_response(reason, self.serialize_one(reason), status=201)

    def retrieve(self, request: Request, pipeline_pk: str, pk: str) -> Response:
        reason = self.get_object()
        return self.object_response(reason, self.serialize_one(reason))

    def partial_update(self, request: Request, pipeline_pk: str, pk: str) -> Response:
        reason = self.get_object()
        self.check_if_match(reason)
        serializer = LostReasonWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        reason = lost_reason_update(lost_reason=reason, data=dict(serializer.validated_data))
        return self.object_response(reason, self.serialize_one(reason))

    def destroy(self, request: Request, pipeline_pk: str, pk: str) -> Response:
        reason = self.get_object()
        self.check_if_match(reason)
        lost_reason_delete(lost_reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Deals --------------------------------------------------------------------------------------


def deal_queryset(queryset: QuerySet) -> QuerySet:
    """What serializing a deal reads, fetched in a fixed number of queries."""
    return queryset.select_related("stage").prefetch_related(
        Prefetch("deal_contacts", queryset=DealContact.objects.order_by("created_at")),
        "tags",
    )


DEAL_FILTER_PARAMETERS = [
    OpenApiParameter("pipeline", OpenApiTypes.UUID),
    OpenApiParameter("stage", OpenApiTypes.UUID),
    OpenApiParameter("status", str, enum=DealStatus.values),
    OpenApiParameter("owner", str, description="User id, 'me' or 'unassigned'"),
    OpenApiParameter("contact", OpenApiTypes.UUID, description="Deals this person is on"),
    OpenApiParameter("company", str, description="Company id or part of its name"),
    OpenApiParameter("amount_min", OpenApiTypes.DECIMAL),
    OpenApiParameter("amount_max", OpenApiTypes.DECIMAL),
    OpenApiParameter("close_after", OpenApiTypes.DATE, description="Expected close on/after"),
    OpenApiParameter("close_before", OpenApiTypes.DATE, description="Expected close on/before"),
    OpenApiParameter("tags", str, description="Comma-separated; all must match"),
    OpenApiParameter("q", str, description="Full-text search"),
]


@extend_schema_view(
    list=extend_schema(
        parameters=[*LIST_PARAMETERS, *DEAL_FILTER_PARAMETERS], summary="List deals"
    ),
    retrieve=extend_schema(parameters=[UUID_PATH], summary="Get a deal"),
    partial_update=extend_schema(
        parameters=[UUID_PATH], request=DealWriteSerializer, responses=DealSerializer
    ),
    update=extend_schema(
        parameters=[UUID_PATH],
        request=DealWriteSerializer,
        responses=DealSerializer,
        summary="Update a deal (PUT is a partial update, as PATCH)",
    ),
    destroy=extend_schema(parameters=[UUID_PATH], summary="Delete a deal"),
)
class DealViewSet(RecordViewSet):
    model = Deal
    object_type = "deal"
    scope_resource = "deals"
    serializer_class = DealSerializer
    filterset_class = DealFilter
    output_fields = DEAL_FIELDS
    sortable = {
        "created_at": "created_at",
        "updated_at": "updated_at",
        "amount": "amount",
        "expected_close_date": "expected_close_date",
        "title": "title",
        "stage_entered_at": "stage_entered_at",
    }
    required_scopes = {"query": "deals:read"}

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return deal_queryset(queryset)

    def list(self, request: Request) -> Response:
        return self.records_list()

    @extend_schema(
        request=dict,
        responses=DealSerializer(many=True),
        parameters=[p for p in LIST_PARAMETERS if p.name != "query"],
        summary="List deals matching a long query expression",
    )
    @action(detail=False, methods=["post"])
    def query(self, request: Request) -> Response:
        return self.records_list(self.query_body())

    def retrieve(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        return self.object_response(deal, self.serialize_one(deal))

    def _service_data(self, validated: dict[str, Any]) -> dict[str, Any]:
        """Body ids resolved inside the workspace (another workspace's id is a 404)."""
        data = dict(validated)
        for name, model in (("pipeline", Pipeline), ("stage", Stage), ("company", Company)):
            if data.get(name):
                data[name] = self.get_related(model, data[name], name)
        if data.get("contacts"):
            ids = {item["id"] for item in data["contacts"]}
            found = set(
                Contact.objects.for_workspace(self.workspace)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
            if ids - found:
                raise Http404("No such contact.")
            data["contacts"] = [
                {"id": item["id"], "role": item.get("role", "")} for item in data["contacts"]
            ]
        return data

    @extend_schema(request=DealWriteSerializer, responses={201: DealSerializer})
    def create(self, request: Request) -> Response:
        serializer = DealWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = self._service_data(serializer.validated_data)
        if not data.get("title"):
            raise ValidationError({"title": ["This field is required."]})
        deal = deal_create(workspace=self.workspace, actor=self.actor, **data)
        deal = self.get_queryset().get(pk=deal.pk)
        return self.object_response(
            deal,
            self.serialize_one(deal),
            status=201,
            headers={"Location": f"/api/v1/deals/{deal.pk}"},
        )

    def partial_update(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        self.check_if_match(deal)
        serializer = DealWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = self._service_data(serializer.validated_data)
        if data.get("contacts") is None and "contacts" in data:
            data["contacts"] = []
        deal_update(deal=deal, actor=self.actor, data=data)
        deal = self.get_queryset().get(pk=deal.pk)
        return self.object_response(deal, self.serialize_one(deal))

    def update(self, request: Request, pk: str) -> Response:
        return self.partial_update(request, pk)

    def destroy(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        self.check_if_match(deal)
        deal_delete(deal=deal, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[UUID_PATH],
        request=DealMoveSerializer,
        responses=DealSerializer,
        summary="Move a deal on the board (a stage of another pipeline moves it there)",
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        self.check_if_match(deal)
        serializer = DealMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        stage = self.get_related(Stage, data["stage_id"], "stage_id")
        deal_move(
            deal=deal,
            actor=self.actor,
            stage=stage,
            position=data.get("position"),
            lost_reason=data.get("lost_reason"),
        )
        deal = self.get_queryset().get(pk=deal.pk)
        return self.object_response(deal, self.serialize_one(deal))

    @extend_schema(
        parameters=[
            UUID_PATH,
            OpenApiParameter("limit", int, description="Page size, 1-100 (default 25)"),
            OpenApiParameter("cursor", str, description="From meta.next_cursor"),
            OpenApiParameter("sort", str, enum=["entered_at", "-entered_at"]),
        ],
        responses=StageHistorySerializer(many=True),
        summary="Each stage the deal entered: when, from where, by whom",
    )
    @action(detail=True, methods=["get"], url_path="stage-history")
    def stage_history(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        keys = parse_sort(
            request.query_params.get("sort"),
            allowed={"entered_at": "entered_at"},
            default="entered_at",
        )
        entries = StageHistory.objects.filter(deal=deal).select_related("actor")
        page = paginate(entries, request, keys)
        serializer = StageHistorySerializer()
        return Response(
            {"data": [serializer.to_representation(e) for e in page.rows], "meta": page.meta}
        )
