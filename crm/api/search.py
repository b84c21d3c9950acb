"""``GET /api/v1/search`` (workspace-wide, ranked, grouped) and ``GET /api/v1/dashboard``."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasScope
from crm.dashboard import PERIODS, DashboardInvalid, DashboardNotFound, dashboard_get
from crm.search import DEFAULT_LIMIT, MAX_LIMIT, MIN_QUERY_LENGTH, search_groups, workspace_search

# --- Search ---------------------------------------------------------------------------------


class SearchParameters(serializers.Serializer):
    q = serializers.CharField(trim_whitespace=True, allow_blank=True, required=False, default="")
    limit = serializers.IntegerField(required=False, default=DEFAULT_LIMIT, min_value=1)
    types = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_q(self, value: str) -> str:
        if len(" ".join(value.split())) < MIN_QUERY_LENGTH:
            raise serializers.ValidationError(
                f"Give at least {MIN_QUERY_LENGTH} characters to search for."
            )
        return value

    def validate_limit(self, value: int) -> int:
        return min(value, MAX_LIMIT)  # more is clamped, as for list pages

    def validate_types(self, value: str) -> list[str]:
        known = search_groups()
        types = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in types if item not in known]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown type {unknown[0]!r}; use {', '.join(known)}."
            )
        return types or list(known)


class SearchHitSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    score = serializers.FloatField(help_text="0..1: exact 1.0, word prefix 0.6-0.9, fuzzy < 0.5")


class SearchResultSerializer(serializers.Serializer):
    contacts = SearchHitSerializer(many=True, required=False)
    companies = SearchHitSerializer(many=True, required=False)
    deals = SearchHitSerializer(many=True, required=False)


SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, required=True, description="At least 2 characters."),
    OpenApiParameter(
        "limit", OpenApiTypes.INT, description=f"Hits per group: default 5, max {MAX_LIMIT}."
    ),
    OpenApiParameter(
        "types",
        OpenApiTypes.STR,
        description="Comma-separated subset of contact,company,deal (default: all).",
    ),
]


class SearchView(APIView):
    """Workspace-wide search. Each group needs its read scope (``contacts:read``,
    ``companies:read``, ``deals:read``): groups the credential may not read are left out of
    the answer; a credential that may read none of the requested groups gets a 403 naming the
    scopes."""

    permission_classes = [HasScope]

    def required_scope(self, request: Request) -> None:
        return None  # checked per group in get()

    @extend_schema(
        summary="Search contacts, companies and deals",
        description=(
            "Ranked: exact name/email/domain first, then word-prefix full-text matches, then "
            "similar spellings. Groups the credential lacks the read scope for are omitted; "
            "403 when it may read none of the requested groups."
        ),
        parameters=SEARCH_PARAMETERS,
        responses=SearchResultSerializer,
    )
    def get(self, request: Request) -> Response:
        credential = request.auth
        params = SearchParameters(data=request.query_params)
        params.is_valid(raise_exception=True)
        groups = search_groups()
        wanted = params.validated_data["types"]
        allowed = [t for t in wanted if credential.has_scope(groups[t].scope)]
        if not allowed:
            missing = " or ".join(groups[t].scope for t in wanted)
            raise exceptions.PermissionDenied(f"Missing scope: {missing}.")
        return Response(
            workspace_search(
                workspace=credential.workspace,
                text=params.validated_data["q"],
                types=allowed,
                limit=params.validated_data["limit"],
            )
        )


# --- Dashboard ------------------------------------------------------------------------------


def _timestamp(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


class DashboardParameters(serializers.Serializer):
    pipeline = serializers.CharField(required=False, allow_blank=True, default="")
    period = serializers.ChoiceField(choices=PERIODS, required=False, default="month")


class MoneyTotalSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()


class StageValueSerializer(serializers.Serializer):
    pipeline_id = serializers.UUIDField()
    stage_id = serializers.UUIDField()
    stage = serializers.CharField()
    kind = serializers.CharField(help_text="open, won or lost")
    deal_count = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=20, decimal_places=2)
    weighted_value = serializers.DecimalField(max_digits=20, decimal_places=2)


class StageConversionSerializer(serializers.Serializer):
    stage_id = serializers.UUIDField()
    stage = serializers.CharField()
    entered = serializers.IntegerField()
    advanced = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class TaskCountsSerializer(serializers.Serializer):
    due_today = serializers.IntegerField()
    overdue = serializers.IntegerField()
    assignee = serializers.UUIDField(allow_null=True)


class WeekCountSerializer(serializers.Serializer):
    week = serializers.DateField()
    count = serializers.IntegerField()


class PipelineRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class PeriodSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="month, quarter or year")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive")
    timezone = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    pipeline = PipelineRefSerializer()
    currency = serializers.CharField(help_text="Values sum deals in this currency only")
    pipeline_value_by_stage = StageValueSerializer(many=True)
    won_this_period = MoneyTotalSerializer()
    lost_this_period = MoneyTotalSerializer()
    conversion_by_stage = StageConversionSerializer(many=True)
    tasks = TaskCountsSerializer()
    new_contacts_per_week = WeekCountSerializer(many=True)
    period = PeriodSerializer()


class DashboardView(APIView):
    permission_classes = [HasScope]

    def required_scope(self, request: Request) -> str:
        return "deals:read"

    @extend_schema(
        summary="Dashboard figures",
        description=(
            "Pipeline value by stage, deals won and lost this period, conversion by stage, "
            "the caller's tasks due today and overdue (the workspace's for an API key) and "
            "new contacts per week (last 12 weeks). Money values sum the deals in the "
            "workspace's default currency (`currency`)."
        ),
        parameters=[
            OpenApiParameter(
                "pipeline", OpenApiTypes.UUID, description="Default: the default pipeline."
            ),
            OpenApiParameter(
                "period",
                OpenApiTypes.STR,
                enum=list(PERIODS),
                description="The current month (default), quarter or year, in the "
                "workspace's time zone.",
            ),
        ],
        responses=DashboardSerializer,
    )
    def get(self, request: Request) -> Response:
        credential = request.auth
        params = DashboardParameters(data=request.query_params)
        params.is_valid(raise_exception=True)
        options: dict[str, Any] = {}
        if params.validated_data["pipeline"]:
            options["pipeline"] = params.validated_data["pipeline"]
        try:
            figures = dashboard_get(
                workspace=credential.workspace,
                user=credential.user,
                period=params.validated_data["period"],
                options=options,
            )
        except DashboardInvalid as error:
            raise exceptions.ValidationError({error.field: [error.message]}) from None
        except DashboardNotFound as error:
            raise Http404(str(error)) from None
        period = figures["period"]
        figures["period"] = {
            **period,
            "start": _timestamp(period["start"]),
            "end": _timestamp(period["end"]),
        }
        return Response(figures)
