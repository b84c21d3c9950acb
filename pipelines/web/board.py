"""The Kanban board pages: a column per stage, cards paged per column, moves by drag and drop
(static/js/board.js) or by each card's "Move to…" form, which works without JavaScript.

``?group=owner`` shows one swimlane per owner (a row of stage columns each); dragging a card
into another owner's lane also hands the deal to that owner (``deal_update``).

Money: deals keep their own currency and nothing converts between currencies, so a column's
total is one sum per currency ("$12,400 · £3,100"), the workspace's currency first."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum, Window
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
from pipelines.models import Deal, DealStatus, LostReason, Pipeline, Stage, StageKind
from pipelines.services.deals import deal_move, deal_update

PAGE_SIZE = 25
UNASSIGNED = "none"  # the lane key of deals without an owner
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


def format_totals(amounts: Mapping[str, Decimal | None], currency: str) -> str:
    """One sum per currency, joined: ``$12,400 · £3,100``. The workspace's ``currency`` comes
    first, then the others by code; no amounts at all is ``$0`` (in ``currency``)."""
    shown = sorted(
        ((code, value) for code, value in amounts.items() if value is not None),
        key=lambda item: (item[0] != currency, item[0]),
    )
    if not shown:
        return format_money(0, currency)
    return " · ".join(format_money(value, code) for code, value in shown)


@dataclass
class Totals:
    """How many deals, and their amounts summed per currency."""

    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add(self, currency: str, count: int, amount: Decimal | None) -> None:
        self.count += count
        if amount is not None:
            self.amounts[currency] = self.amounts.get(currency, Decimal(0)) + amount

    def merge(self, other: Totals) -> None:
        self.count += other.count
        for code, value in other.amounts.items():
            self.add(code, 0, value)

    def label(self, currency: str) -> str:
        return format_totals(self.amounts, currency)


def deal_totals(deals: QuerySet, *, by: tuple[str, ...]) -> dict[tuple[Any, ...], Totals]:
    """Count and per-currency sums of ``deals`` grouped by the ``by`` fields: ONE query."""
    rows = (
        deals.order_by().values(*by, "currency").annotate(n=Count("id"), v=Sum("amount")).order_by()
    )
    totals: dict[tuple[Any, ...], Totals] = defaultdict(Totals)
    for row in rows:
        totals[tuple(row[name] for name in by)].add(row["currency"], row["n"], row["v"])
    return totals


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
    group: str = ""  # "" (a column per stage) or "owner" (a swimlane per owner)

    @classmethod
    def from_params(cls, params: Any) -> Filters:
        """Unknown values are dropped, not an error: the board still renders."""
        owner = (params.get("owner") or "").strip()
        if owner not in ("me", "unassigned"):
            try:
                owner = str(uuid.UUID(owner)) if owner else ""
            except ValueError:
                owner = ""
        return cls(
            owner=owner,
            tag=(params.get("tag") or "").strip()[:64],
            group="owner" if params.get("group") == "owner" else "",
        )

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
        """Whether deals are filtered out (grouping shows them all, only arranged)."""
        return bool(self.owner or self.tag)

    @property
    def by_owner(self) -> bool:
        return self.group == "owner"

    def query(self, **extra: Any) -> str:
        params = {"owner": self.owner, "tag": self.tag, "group": self.group, **extra}
        return urlencode({k: v for k, v in params.items() if v})


def lane_key(owner_id: Any) -> str:
    """The lane of a deal with this owner: the owner's id, or ``UNASSIGNED``."""
    return str(owner_id) if owner_id else UNASSIGNED


def _parse_lane(value: Any) -> str | None:
    """A lane key from a request, or None when it is not one."""
    if value == UNASSIGNED:
        return UNASSIGNED
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _lanes_q(keys: Iterable[str]) -> Q:
    """Deals in any of the lanes ``keys``."""
    keys = set(keys)
    query = Q(owner_id__in=[key for key in keys if key != UNASSIGNED])
    if UNASSIGNED in keys:
        query |= Q(owner__isnull=True)
    return query


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
    lane: str = ""  # the owner lane's key when the board is grouped by owner

    @property
    def dom_id(self) -> str:
        """The prefix of the column's element ids, unique on the page."""
        if self.lane:
            return f"lane-{self.lane}-stage-{self.stage.pk}"
        return f"stage-{self.stage.pk}"


@dataclass
class Lane:
    """One row of the board: every stage's column for one owner (or the whole board, key "")."""

    key: str
    name: str
    initials: str
    count: int
    total: str
    columns: list[Column]
    # A lane of someone who left the workspace takes no cards from other lanes: the deal
    # could not be handed to them.
    assignable: bool = True


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


@dataclass(frozen=True)
class Paging:
    """The one column shown from a cursor (the no-JS "Load more")."""

    stage: Stage
    cursor: str
    lane: str = ""


def board_lanes(
    *,
    stages: list[Stage],
    deals: QuerySet,
    currency: str,
    by_owner: bool = False,
    user: User | None = None,
    member_ids: Iterable[Any] = (),
    paging: Paging | None = None,
) -> list[Lane]:
    """The board's columns with their counts, totals and first page of cards, in a fixed
    number of queries: one aggregate and one window-function query (the first PAGE_SIZE + 1
    deals of each column).

    Without ``by_owner`` that is one lane (key "") with a column per stage. With it, a lane
    per owner who has deals here (``user``'s own first, unassigned last), each with a column
    per stage; lanes of people not in ``member_ids`` any more are not ``assignable``."""
    by = ("owner_id", "stage_id") if by_owner else ("stage_id",)
    in_stages = deals.filter(stage__in=stages)
    cells = {
        (lane_key(key[0]) if by_owner else "", key[-1]): totals
        for key, totals in deal_totals(in_stages, by=by).items()
    }
    ranked = (
        _card_queryset(in_stages)
        .annotate(
            _rank=Window(
                RowNumber(),
                partition_by=[F(name) for name in by],
                order_by=[F("position").asc(), F("id").asc()],
            )
        )
        .filter(_rank__lte=PAGE_SIZE + 1)
        .order_by(*by, "position", "id")
    )
    grouped: dict[tuple[str, Any], list[Deal]] = defaultdict(list)
    owners: dict[str, User | None] = {}
    for deal in ranked:
        key = lane_key(deal.owner_id) if by_owner else ""
        grouped[(key, deal.stage_id)].append(deal)
        owners.setdefault(key, deal.owner)
    keys = {key for key, _ in cells} if by_owner else {""}
    members = {str(pk) for pk in member_ids}
    me = str(user.pk) if user is not None else ""
    now = timezone.now()
    lanes = []
    for key in keys:
        owner = owners.get(key)
        lane_total = Totals()
        columns = []
        for stage in stages:
            totals = cells.get((key, stage.pk), Totals())
            lane_total.merge(totals)
            paged = bool(paging and paging.stage.pk == stage.pk and paging.lane == key)
            if paged:
                lane_deals = _in_lane(deals, key) if key else deals
                rows, next_cursor = _page_after(lane_deals, stage, paging.cursor)
            else:
                rows, next_cursor = _split(grouped.get((key, stage.pk), []))
            columns.append(
                Column(
                    stage=stage,
                    count=totals.count,
                    total=totals.label(currency),
                    cards=[_card(deal, stage, now) for deal in rows],
                    next_cursor=next_cursor,
                    paged=paged,
                    lane=key,
                )
            )
        lanes.append(
            Lane(
                key=key,
                name=(owner.name or owner.email) if owner is not None else "Unassigned",
                initials=initials(owner),
                count=lane_total.count,
                total=lane_total.label(currency),
                columns=columns,
                assignable=key in ("", UNASSIGNED) or key in members,
            )
        )
    lanes.sort(key=lambda lane: (lane.key != me, lane.key == UNASSIGNED, lane.name.casefold()))
    return lanes


def _in_lane(deals: QuerySet, key: str) -> QuerySet:
    return deals.filter(_lanes_q([key]))


def _set_more_url(column: Column, board_url: str, filters: Filters) -> None:
    if column.next_cursor:
        query = filters.query(
            stage=str(column.stage.pk), cursor=column.next_cursor, lane=column.lane
        )
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


def _lost_reasons(pipeline_id: Any) -> list[LostReason]:
    return list(LostReason.objects.filter(pipeline_id=pipeline_id).order_by("position", "name"))


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


def _paging(request: HttpRequest, stages: list[Stage], filters: Filters) -> Paging | None:
    """The column asked for by ``stage`` (and ``lane`` when grouped) with ``cursor``."""
    if not request.GET.get("stage"):
        return None
    stage = next((s for s in stages if str(s.pk) == request.GET["stage"]), None)
    if stage is None:
        raise Http404("No such stage in this pipeline.")
    cursor = request.GET.get("cursor") or ""
    if not cursor:
        return None
    lane = ""
    if filters.by_owner:
        lane = _parse_lane(request.GET.get("lane")) or ""
        if not lane:
            raise Http404("No such lane.")
    return Paging(stage=stage, cursor=cursor, lane=lane)


@login_required
@require_GET
def board(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A pipeline's board, a column per stage or (``group=owner``) a lane per owner. An htmx
    GET with ``stage`` (and ``lane``) and ``cursor`` is one more page of a column (the "Load
    more" button); without htmx the same link shows that column from there."""
    if not request.workspace:
        raise Http404
    workspace = request.workspace
    pipeline = _pipeline_or_404(request, pk)
    filters = Filters.from_params(request.GET)
    deals = filters.apply(
        Deal.objects.for_workspace(workspace).filter(pipeline=pipeline), request.user
    )
    stages = list(pipeline.stages.order_by("position"))
    paging = _paging(request, stages, filters)
    can_move = _can_move(request)
    board_url = reverse("board", args=[pipeline.pk])
    context: dict[str, Any] = {
        "pipeline": pipeline,
        "filters": filters,
        "can_move": can_move,
        "stages": stages,
    }
    if request.htmx and paging is not None:
        page_deals = _in_lane(deals, paging.lane) if paging.lane else deals
        try:
            rows, next_cursor = _page_after(page_deals, paging.stage, paging.cursor)
        except ValidationError:
            return HttpResponseBadRequest("Invalid cursor.")
        now = timezone.now()
        column = Column(
            stage=paging.stage,
            count=0,
            total="",
            cards=[_card(deal, paging.stage, now) for deal in rows],
            next_cursor=next_cursor,
            lane=paging.lane,
        )
        _set_more_url(column, board_url, filters)
        context["column"] = column
        context["lost_reasons"] = _lost_reasons(pipeline.pk)
        context["return_to"] = board_url + (f"?{filters.query()}" if filters.query() else "")
        return render(request, "pipelines/_board_more.html", context)
    members = _members(workspace)
    try:
        lanes = board_lanes(
            stages=stages,
            deals=deals,
            currency=workspace.default_currency,
            by_owner=filters.by_owner,
            user=request.user,
            member_ids=[member.pk for member in members],
            paging=paging,
        )
    except ValidationError:
        return HttpResponseBadRequest("Invalid cursor.")
    for lane in lanes:
        for column in lane.columns:
            _set_more_url(column, board_url, filters)
    group_query = "?group=owner" if filters.by_owner else ""
    by_stage_query, by_owner_query = filters.query(group=""), filters.query(group="owner")
    context.update(
        {
            "lanes": lanes,
            "columns": [] if filters.by_owner else lanes[0].columns,
            "pipelines": list(
                Pipeline.objects.for_workspace(workspace).order_by("position", "name")
            ),
            "members": members,
            "tags": list(Tag.objects.for_workspace(workspace).order_by("name")),
            "lost_reasons": _lost_reasons(pipeline.pk),
            "deal_total": sum(lane.count for lane in lanes),
            "board_url": board_url,
            "clear_url": board_url + group_query,
            "by_stage_url": board_url + (f"?{by_stage_query}" if by_stage_query else ""),
            "by_owner_url": f"{board_url}?{by_owner_query}",
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


def _moved_headers(
    *, deals: QuerySet, stage_ids: set[Any], lanes: set[str] | None, currency: str
) -> dict[str, list[dict[str, Any]]]:
    """The new count and total of the columns a move touched (and of their lanes)."""
    if lanes is None:
        cells = deal_totals(deals.filter(stage_id__in=stage_ids), by=("stage_id",))
        return {
            "columns": [
                {
                    "stage": str(stage_id),
                    "count": cells.get((stage_id,), Totals()).count,
                    "total": cells.get((stage_id,), Totals()).label(currency),
                }
                for stage_id in stage_ids
            ]
        }
    in_lanes = deals.filter(_lanes_q(lanes))
    cells = {
        (lane_key(owner_id), stage_id): totals
        for (owner_id, stage_id), totals in deal_totals(
            in_lanes.filter(stage_id__in=stage_ids), by=("owner_id", "stage_id")
        ).items()
    }
    rows = {
        lane_key(owner_id): totals
        for (owner_id,), totals in deal_totals(in_lanes, by=("owner_id",)).items()
    }
    return {
        "columns": [
            {
                "stage": str(stage_id),
                "lane": lane,
                "count": cells.get((lane, stage_id), Totals()).count,
                "total": cells.get((lane, stage_id), Totals()).label(currency),
            }
            for lane in lanes
            for stage_id in stage_ids
        ],
        "lanes": [
            {
                "lane": lane,
                "count": rows.get(lane, Totals()).count,
                "total": rows.get(lane, Totals()).label(currency),
            }
            for lane in lanes
        ],
    }


@login_required
@require_POST
def board_move(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """Move a deal to ``stage_id`` at a place in its column (see ``_target_position``); on a
    board grouped by owner, ``lane`` names the lane it was dropped in, and a lane other than
    its owner's hands the deal over (same transaction).

    A fetch from board.js (``Accept: application/json``) gets the touched columns' (and
    lanes') new headers and the card re-rendered; a plain form post is redirected back."""
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

    def refuse(message: str) -> HttpResponse:
        if wants_json:
            return JsonResponse({"error": message}, status=400)
        messages.error(request, message)
        return redirect(_safe_next(request, board_url))

    try:
        stage = (
            Stage.objects.for_workspace(workspace)
            .filter(pk=request.POST.get("stage_id") or None)
            .first()
        )
    except ValidationError:
        stage = None
    if stage is None or stage.pipeline_id != deal.pipeline_id:
        return refuse("Choose a stage of this pipeline to move the deal to.")
    filters = Filters.from_params(request.POST)
    lane = _parse_lane(request.POST.get("lane")) if filters.by_owner else None
    source_id, source_lane = deal.stage_id, lane_key(deal.owner_id)
    lost_reason = _lost_reason(request, deal.pipeline_id) if stage.kind == StageKind.LOST else None
    actor = Actor.for_membership(request.membership)
    try:
        with transaction.atomic():
            deal = deal_move(
                deal=deal,
                actor=actor,
                stage=stage,
                position=_target_position(request, deal, stage),
                lost_reason=lost_reason,
            )
            if lane is not None and lane != source_lane:
                owner = None if lane == UNASSIGNED else lane
                deal = deal_update(deal=deal, actor=actor, data={"owner": owner})
    except ValidationError as error:
        return refuse(" ".join(error.messages))
    if not wants_json:
        if source_id != stage.pk:
            messages.success(request, f"Moved “{deal.title}” to {stage.name}.")
        return redirect(_safe_next(request, board_url))
    deal = Deal.objects.select_related("company", "owner").get(pk=deal.pk)
    card_html = render_to_string(
        "pipelines/_board_card.html",
        {
            "card": _card(deal, stage, timezone.now()),
            "stage": stage,
            "stages": list(Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position")),
            "lost_reasons": _lost_reasons(deal.pipeline_id),
            "can_move": True,
            "return_to": _safe_next(request, board_url),
        },
        request=request,
    )
    headers = _moved_headers(
        deals=filters.apply(
            Deal.objects.for_workspace(workspace).filter(pipeline_id=deal.pipeline_id),
            request.user,
        ),
        stage_ids={source_id, stage.pk},
        lanes={source_lane, lane_key(deal.owner_id)} if filters.by_owner else None,
        currency=workspace.default_currency,
    )
    return JsonResponse(
        {
            "deal": str(deal.pk),
            "stage": str(stage.pk),
            "lane": lane_key(deal.owner_id),
            "card": card_html,
            **headers,
        }
    )
