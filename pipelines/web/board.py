"""The Kanban board pages: a column per stage, cards paged per column, moves by drag and drop
(static/js/board.js) or by each card's "Move to…" form, which works without JavaScript."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.api.pagination import decode_cursor, encode_cursor
from accounts.models import Membership, Role, User
from accounts.services.common import Actor
from crm.api.filters import all_tags_q
from crm.models import Tag
from pipelines.api.views import attach_stage_stats
from pipelines.models import Deal, DealStatus, LostReason, Pipeline, Stage, StageKind
from pipelines.services.deals import deal_move

PAGE_SIZE = 25
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


# --- formatting ----------------------------------------------------------------------------------


def format_money(amount: Any, currency: str) -> str:
    """``$12,500`` / ``€1,250.50`` / ``CHF 900``: whole amounts without cents."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"))
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{currency} {text}"


def initials(user: User | None) -> str:
    if user is None:
        return ""
    words = (user.name or "").split()
    if len(words) >= 2:
        return (words[0][0] + words[-1][0]).upper()
    return (words[0][:2] if words else user.email[:2]).upper()


def _days_label(days: int) -> str:
    if days == 0:
        return "Today"
    return f"{days} day{'' if days == 1 else 's'}"


# --- reads ---------------------------------------------------------------------------------------


@dataclass
class Filters:
    owner: str = ""  # "", "me", "unassigned" or a member's user id
    tag: str = ""

    @classmethod
    def from_params(cls, params: Any) -> Filters:
        """Unknown values are dropped, not an error: the board still renders."""
        owner = (params.get("owner") or "").strip()
        if owner not in ("me", "unassigned"):
            try:
                owner = str(uuid.UUID(owner)) if owner else ""
            except ValueError:
                owner = ""
        return cls(owner=owner, tag=(params.get("tag") or "").strip()[:64])

    def apply(self, deals: QuerySet, user: User) -> QuerySet:
        if self.owner == "me":
            deals = deals.filter(owner_id=user.pk)
        elif self.owner == "unassigned":
            deals = deals.filter(owner__isnull=True)
        elif self.owner:
            deals = deals.filter(owner_id=self.owner)
        if self.tag:
            deals = deals.filter(all_tags_q(Deal, self.tag))
        return deals

    @property
    def active(self) -> bool:
        return bool(self.owner or self.tag)

    def query(self, **extra: Any) -> str:
        params = {k: v for k, v in {"owner": self.owner, "tag": self.tag, **extra}.items() if v}
        return urlencode(params)


@dataclass
class Card:
    deal: Deal
    amount: str
    owner_initials: str
    owner_name: str
    days: int
    days_label: str
    rotting: bool


@dataclass
class Column:
    stage: Stage
    count: int
    total: str
    cards: list[Card] = field(default_factory=list)
    next_cursor: str | None = None
    more_url: str = ""
    paged: bool = False  # showing a later page (no-JS "Load more")


def _card(deal: Deal, stage: Stage, now: datetime.datetime) -> Card:
    days = max(0, (now - deal.stage_entered_at).days)
    last_touch = max(deal.stage_entered_at, deal.last_activity_at or deal.stage_entered_at)
    rotting = (
        stage.rotting_days is not None
        and deal.status == DealStatus.OPEN
        and (now - last_touch) > datetime.timedelta(days=stage.rotting_days)
    )
    owner = deal.owner
    return Card(
        deal=deal,
        amount=format_money(deal.amount, deal.currency),
        owner_initials=initials(owner),
        owner_name=(owner.name or owner.email) if owner else "",
        days=days,
        days_label=_days_label(days),
        rotting=rotting,
    )


def _card_queryset(deals: QuerySet) -> QuerySet:
    return deals.select_related("company", "owner")


def _page_after(deals: QuerySet, stage: Stage, cursor: str) -> tuple[list[Deal], str | None]:
    """One page of a column after ``cursor`` (keyset on position, id)."""
    try:
        position, last_id = decode_cursor(cursor, 2)
        position, last_id = int(position), uuid.UUID(str(last_id))
    except (ApiValidationError, ValueError, TypeError):
        raise ValidationError("Invalid cursor.") from None
    rows = list(
        _card_queryset(deals)
        .filter(stage=stage)
        .filter(Q(position__gt=position) | Q(position=position, id__gt=last_id))
        .order_by("position", "id")[: PAGE_SIZE + 1]
    )
    return _split(rows)


def _split(rows: list[Deal]) -> tuple[list[Deal], str | None]:
    if len(rows) <= PAGE_SIZE:
        return rows, None
    rows = rows[:PAGE_SIZE]
    return rows, encode_cursor([rows[-1].position, str(rows[-1].pk)])


def board_columns(
    *,
    stages: list[Stage],
    deals: QuerySet,
    currency: str,
    paged_stage: Stage | None = None,
    cursor: str = "",
) -> list[Column]:
    """Every stage's count, total and first page of cards, in a fixed number of queries: one
    aggregate and one window-function query (the first PAGE_SIZE + 1 deals of each stage)."""
    attach_stage_stats(stages, deals)
    ranked = (
        _card_queryset(deals)
        .filter(stage__in=stages)
        .annotate(
            _rank=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("position").asc(), F("id").asc()],
            )
        )
        .filter(_rank__lte=PAGE_SIZE + 1)
        .order_by("stage_id", "position", "id")
    )
    grouped: dict[Any, list[Deal]] = defaultdict(list)
    for deal in ranked:
        grouped[deal.stage_id].append(deal)
    now = timezone.now()
    columns = []
    for stage in stages:
        if paged_stage is not None and cursor and stage.pk == paged_stage.pk:
            rows, next_cursor = _page_after(deals, stage, cursor)
        else:
            rows, next_cursor = _split(grouped.get(stage.pk, []))
        columns.append(
            Column(
                stage=stage,
                count=stage.deal_count,
                total=format_money(stage.deal_value, currency),
                cards=[_card(deal, stage, now) for deal in rows],
                next_cursor=next_cursor,
                paged=bool(paged_stage is not None and cursor and stage.pk == paged_stage.pk),
            )
        )
    return columns


def _set_more_url(column: Column, board_url: str, filters: Filters) -> None:
    if column.next_cursor:
        query = filters.query(stage=str(column.stage.pk), cursor=column.next_cursor)
        column.more_url = f"{board_url}?{query}"


def _pipeline_or_404(request: HttpRequest, pk: Any) -> Pipeline:
    pipeline = Pipeline.objects.for_workspace(request.workspace).filter(pk=pk).first()
    if pipeline is None:
        raise Http404("No such pipeline.")
    return pipeline


def _can_move(request: HttpRequest) -> bool:
    membership = request.membership
    return bool(membership) and membership.has_role(Role.MEMBER)


def _members(workspace: Any) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__name", "user__email")
    ]


# --- pages ---------------------------------------------------------------------------------------


@login_required
@require_GET
def board_index(request: HttpRequest) -> HttpResponse:
    """``/pipelines/``: the default pipeline's board (or the first one's)."""
    if not request.workspace:
        return render(request, "crm/no_workspace.html")
    pipeline = (
        Pipeline.objects.for_workspace(request.workspace)
        .order_by("-is_default", "position")
        .first()
    )
    if pipeline is None:
        return render(request, "pipelines/board.html", {"pipeline": None})
    target = reverse("board", args=[pipeline.pk])
    if request.GET:
        target += "?" + Filters.from_params(request.GET).query()
    return redirect(target.rstrip("?"))


@login_required
@require_GET
def board(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A pipeline's board. An htmx GET with ``stage`` and ``cursor`` is one more page of a
    column (the "Load more" button); without htmx the same link shows that column from there."""
    if not request.workspace:
        raise Http404
    workspace = request.workspace
    pipeline = _pipeline_or_404(request, pk)
    filters = Filters.from_params(request.GET)
    deals = filters.apply(
        Deal.objects.for_workspace(workspace).filter(pipeline=pipeline), request.user
    )
    stages = list(pipeline.stages.order_by("position"))
    paged_stage = None
    cursor = request.GET.get("cursor") or ""
    if request.GET.get("stage"):
        paged_stage = next((s for s in stages if str(s.pk) == request.GET["stage"]), None)
        if paged_stage is None:
            raise Http404("No such stage in this pipeline.")
    can_move = _can_move(request)
    board_url = reverse("board", args=[pipeline.pk])
    context: dict[str, Any] = {
        "pipeline": pipeline,
        "filters": filters,
        "can_move": can_move,
        "stages": stages,
    }
    if request.htmx and paged_stage is not None and cursor:
        try:
            rows, next_cursor = _page_after(deals, paged_stage, cursor)
        except ValidationError:
            return HttpResponseBadRequest("Invalid cursor.")
        now = timezone.now()
        column = Column(
            stage=paged_stage,
            count=0,
            total="",
            cards=[_card(deal, paged_stage, now) for deal in rows],
            next_cursor=next_cursor,
        )
        _set_more_url(column, board_url, filters)
        context["column"] = column
        context["lost_reasons"] = list(pipeline.lost_reasons.order_by("position", "name"))
        context["return_to"] = board_url + (f"?{filters.query()}" if filters.active else "")
        return render(request, "pipelines/_board_more.html", context)
    try:
        columns = board_columns(
            stages=stages,
            deals=deals,
            currency=workspace.default_currency,
            paged_stage=paged_stage,
            cursor=cursor,
        )
    except ValidationError:
        return HttpResponseBadRequest("Invalid cursor.")
    for column in columns:
        _set_more_url(column, board_url, filters)
    members = _members(workspace)
    context.update(
        {
            "columns": columns,
            "pipelines": list(
                Pipeline.objects.for_workspace(workspace).order_by("position", "name")
            ),
            "members": members,
            "tags": list(Tag.objects.for_workspace(workspace).order_by("name")),
            "lost_reasons": list(pipeline.lost_reasons.order_by("position", "name")),
            "deal_total": sum(c.count for c in columns),
            "board_url": board_url,
            "return_to": request.get_full_path(),
        }
    )
    return render(request, "pipelines/board.html", context)


def _lost_reason(request: HttpRequest, pipeline_id: Any) -> str | None:
    """The reason picked from the pipeline's list, else the typed one, else None."""
    picked = (request.POST.get("lost_reason") or "").strip()
    typed = " ".join((request.POST.get("lost_reason_other") or "").split())
    name = ""
    if picked and picked != "__other__":
        try:
            reason = LostReason.objects.filter(pipeline_id=pipeline_id, pk=picked).first()
        except ValidationError:
            reason = None
        name = reason.name if reason is not None else ""
    text = f"{name}: {typed}" if name and typed else (name or typed)
    return text[:200] or None


def _target_position(request: HttpRequest, deal: Deal, stage: Stage) -> int | None:
    """Where the deal goes in ``stage``: just after ``after_id`` (the card above it where it
    was dropped; right even when filters hide some deals), else ``position``, else the end.
    ``after_id`` empty with a ``position`` of 0 is the top."""
    after_id = request.POST.get("after_id")
    if after_id is not None:
        if after_id == "":
            return 0
        try:
            after = Deal.objects.filter(stage=stage, pk=after_id).exclude(pk=deal.pk).first()
        except ValidationError:
            after = None
        if after is not None:
            if deal.stage_id == stage.pk and deal.position < after.position:
                return after.position
            return after.position + 1
    raw = request.POST.get("position")
    if raw in (None, ""):
        return None
    try:
        return max(0, int(raw))
    except ValueError:
        return None


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def board_move(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Move a deal to ``stage_id`` at a place in its column (see ``_target_position``).

    A fetch from board.js (``Accept: application/json``) gets the two columns' new headers and
    the card re-rendered; a plain form post is redirected back to the board."""
    if not request.workspace:
        raise Http404
    workspace = request.workspace
    deal = Deal.objects.for_workspace(workspace).select_related("pipeline").filter(pk=pk).first()
    if deal is None:
        raise Http404("No such deal.")
    if not _can_move(request):
        raise PermissionDenied("Viewers cannot move deals.")
    wants_json = "application/json" in request.headers.get("Accept", "")
    board_url = reverse("board", args=[deal.pipeline_id])
    try:
        stage = (
            Stage.objects.for_workspace(workspace)
            .filter(pk=request.POST.get("stage_id") or None)
            .first()
        )
    except ValidationError:
        stage = None
    if stage is None or stage.pipeline_id != deal.pipeline_id:
        if wants_json:
            return JsonResponse({"error": "Choose a stage of this pipeline."}, status=400)
        messages.error(request, "Choose a stage of this pipeline to move the deal to.")
        return redirect(_safe_next(request, board_url))
    source_id = deal.stage_id
    lost_reason = _lost_reason(request, deal.pipeline_id) if stage.kind == StageKind.LOST else None
    deal = deal_move(
        deal=deal,
        actor=Actor.for_membership(request.membership),
        stage=stage,
        position=_target_position(request, deal, stage),
        lost_reason=lost_reason,
    )
    if not wants_json:
        if source_id != stage.pk:
            messages.success(request, f"Moved “{deal.title}” to {stage.name}.")
        return redirect(_safe_next(request, board_url))
    filters = Filters.from_params(request.POST)
    stages = list(Stage.objects.filter(pk__in={source_id, stage.pk}))
    attach_stage_stats(
        stages,
        filters.apply(
            Deal.objects.for_workspace(workspace).filter(pipeline_id=deal.pipeline_id),
            request.user,
        ),
    )
    deal = Deal.objects.select_related("company", "owner").get(pk=deal.pk)
    card_html = render_to_string(
        "pipelines/_board_card.html",
        {
            "card": _card(deal, stage, timezone.now()),
            "stage": stage,
            "stages": list(Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position")),
            "lost_reasons": list(
                LostReason.objects.filter(pipeline_id=deal.pipeline_id).order_by("position", "name")
            ),
            "can_move": True,
            "return_to": _safe_next(request, board_url),
        },
        request=request,
    )
    return JsonResponse(
        {
            "deal": str(deal.pk),
            "stage": str(stage.pk),
            "card": card_html,
            "columns": [
                {
                    "stage": str(s.pk),
                    "count": s.deal_count,
                    "total": format_money(s.deal_value, workspace.default_currency),
                }
                for s in stages
            ],
        }
    )
