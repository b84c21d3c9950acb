"""Deals in the workspace search and the dashboard's deal figures.

Imported once from ``PipelinesConfig.ready()``: importing registers the deal search group
(``crm.search``) and the deal dashboard section (``crm.dashboard``), since ``crm`` may not
import ``pipelines``.

Money: deals carry their own currency and nothing converts between currencies (there is no
rate table), so every ``value`` sums only the deals in the workspace's default currency (named
as ``currency``); counts cover every deal. ``other_currency_values`` gives the dashboard page
the rest, summed per currency, to show beside them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import Workspace
from crm.dashboard import (
    DashboardInvalid,
    DashboardNotFound,
    DashboardRequest,
    register_dashboard_section,
)
from crm.search import SearchTerms, hit, ranked, register_search_group
from pipelines.models import Deal, DealStatus, Pipeline, Stage, StageHistory, StageKind

_MONEY = DecimalField(max_digits=20, decimal_places=2)
_ZERO = Value(Decimal("0.00"), output_field=_MONEY)


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


# --- Search ---------------------------------------------------------------------------------


def _search_deals(workspace: Workspace, terms: SearchTerms, limit: int) -> list[dict[str, Any]]:
    rows = ranked(
        Deal.objects.for_workspace(workspace).select_related("stage"),
        terms,
        name="title",
        exact=Q(pk__in=[]),
        limit=limit,
    )
    hits = []
    for deal in rows:
        parts = [deal.stage.name]
        if deal.amount is not None:
            parts.append(f"{deal.amount:.2f} {deal.currency}")
        hits.append(hit(deal.pk, deal.title, " · ".join(parts), deal.score))
    return hits


register_search_group("deals", type="deal", scope="deals:read", search=_search_deals)


# --- Dashboard ------------------------------------------------------------------------------


def _pipeline(request: DashboardRequest) -> Pipeline:
    pipelines = Pipeline.objects.for_workspace(request.workspace)
    raw = request.options.get("pipeline")
    if raw:
        try:
            pk = uuid.UUID(raw)
        except ValueError:
            raise DashboardInvalid("pipeline", "Must be a pipeline id (UUID).") from None
        pipeline = pipelines.filter(pk=pk).first()
    else:
        pipeline = pipelines.filter(is_default=True).first() or pipelines.first()
    if pipeline is None:
        raise DashboardNotFound("No such pipeline.")
    return pipeline


def _value_by_stage(pipeline: Pipeline, currency: str) -> list[dict[str, Any]]:
    """Every stage of the pipeline in board order, with its deals' count, value and value
    weighted by probability (the deal's own, else its stage's)."""
    in_currency = Q(deals__currency=currency)
    weighted = ExpressionWrapper(
        F("deals__amount") * Coalesce("deals__probability", "probability") / Value(100),
        output_field=_MONEY,
    )
    stages = (
        Stage.objects.filter(pipeline=pipeline)
        .annotate(
            deal_count=Count("deals"),
            value=Coalesce(Sum("deals__amount", filter=in_currency), _ZERO),
            weighted_value=Coalesce(Sum(weighted, filter=in_currency), _ZERO),
        )
        .order_by("position", "pk")
    )
    return [
        {
            "pipeline_id": str(pipeline.pk),
            "stage_id": str(stage.pk),
            "stage": stage.name,
            "kind": stage.kind,
            "deal_count": stage.deal_count,
            "value": _money(stage.value),
            "weighted_value": _money(stage.weighted_value),
        }
        for stage in stages
    ]


def _closed(request: DashboardRequest, pipeline: Pipeline, currency: str) -> dict[str, Any]:
    """Deals of the pipeline won and lost (``closed_at``) within the period."""
    in_currency = Q(currency=currency)
    won, lost = Q(status=DealStatus.WON), Q(status=DealStatus.LOST)
    figures = (
        Deal.objects.for_workspace(request.workspace)
        .filter(
            pipeline=pipeline,
            status__in=[DealStatus.WON, DealStatus.LOST],
            closed_at__gte=request.start,
            closed_at__lt=request.end,
        )
        .aggregate(
            won_count=Count("pk", filter=won),
            won_value=Sum("amount", filter=won & in_currency),
            lost_count=Count("pk", filter=lost),
            lost_value=Sum("amount", filter=lost & in_currency),
        )
    )
    return {
        f"{name}_this_period": {
            "count": figures[f"{name}_count"],
            "value": _money(figures[f"{name}_value"]),
            "currency": currency,
        }
        for name in ("won", "lost")
    }


def _conversion(
    request: DashboardRequest, pipeline: Pipeline, stages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """For each open stage: of the deals that entered it within the period (stage history),
    how many later (up to now) entered a later open stage of this pipeline or a won stage."""
    later = StageHistory.objects.filter(
        deal_id=OuterRef("deal_id"),
        entered_at__gt=OuterRef("entered_at"),
        stage__pipeline_id=pipeline.pk,
    ).filter(
        Q(stage__kind=StageKind.WON)
        | Q(stage__kind=StageKind.OPEN, stage__position__gt=OuterRef("stage__position"))
    )
    rows = (
        StageHistory.objects.for_workspace(request.workspace)
        .filter(
            stage__pipeline=pipeline,
            stage__kind=StageKind.OPEN,
            entered_at__gte=request.start,
            entered_at__lt=request.end,
        )
        .annotate(moved_on=Exists(later))
        .values("stage_id")
        .annotate(
            entered=Count("deal_id", distinct=True),
            advanced=Count("deal_id", distinct=True, filter=Q(moved_on=True)),
        )
        .order_by()
    )
    counts = {str(row["stage_id"]): row for row in rows}
    result = []
    for stage in stages:
        if stage["kind"] != StageKind.OPEN:
            continue
        row = counts.get(stage["stage_id"], {"entered": 0, "advanced": 0})
        entered, advanced = row["entered"], row["advanced"]
        result.append(
            {
                "stage_id": stage["stage_id"],
                "stage": stage["stage"],
                "entered": entered,
                "advanced": advanced,
                "rate": round(advanced / entered, 4) if entered else None,
            }
        )
    return result


def deal_figures(request: DashboardRequest) -> dict[str, Any]:
    """The dashboard's deal figures for one pipeline (``pipeline`` option, default: the
    workspace's default pipeline)."""
    pipeline = _pipeline(request)
    currency = request.workspace.default_currency
    stages = _value_by_stage(pipeline, currency)
    return {
        "pipeline": {"id": str(pipeline.pk), "name": pipeline.name},
        "currency": currency,
        "pipeline_value_by_stage": stages,
        **_closed(request, pipeline, currency),
        "conversion_by_stage": _conversion(request, pipeline, stages),
    }


def other_currency_values(
    request: DashboardRequest, pipeline_id: str, currency: str
) -> dict[str, dict[str, dict[str, Decimal]]]:
    """What ``deal_figures`` leaves out of its values: the amounts of the pipeline's deals in
    currencies other than ``currency``, summed per currency (never converted), by stage and
    for the deals won and lost in the period. Two queries.

    ``{"stages": {stage_id: {code: sum}}, "won": {code: sum}, "lost": {code: sum}}``; only
    currencies with an amount appear."""
    deals = (
        Deal.objects.for_workspace(request.workspace)
        .filter(pipeline_id=pipeline_id, amount__isnull=False)
        .exclude(currency=currency)
        .order_by()
    )
    stages: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        deals.values("stage_id", "currency").annotate(value=Sum("amount")).order_by("currency")
    ):
        stages[str(row["stage_id"])][row["currency"]] = row["value"]
    closed: dict[str, dict[str, Decimal]] = {DealStatus.WON: {}, DealStatus.LOST: {}}
    rows = (
        deals.filter(
            status__in=[DealStatus.WON, DealStatus.LOST],
            closed_at__gte=request.start,
            closed_at__lt=request.end,
        )
        .values("status", "currency")
        .annotate(value=Sum("amount"))
        .order_by("currency")
    )
    for row in rows:
        closed[row["status"]][row["currency"]] = row["value"]
    return {"stages": dict(stages), "won": closed[DealStatus.WON], "lost": closed[DealStatus.LOST]}


register_dashboard_section(deal_figures)
