"""Pipelines, stages, lost reasons and deals as the API shows and accepts them.

Output serializers build plain dicts from prefetched rows (no per-row query); stage figures
(``deal_count``, ``deal_value``) are set on the stages beforehand by one aggregate query
(see ``views.attach_stage_stats``)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import StrictInputSerializer
from crm.api.serializers import _iso
from pipelines.models import Deal, DealStatus, LostReason, Pipeline, Stage, StageKind


# Stage kinds and deal statuses share their values (open, won, lost): an explicit enum id each
# keeps them two distinct, well-named enums in the OpenAPI document.
@extend_schema_field(
    {"type": "string", "enum": StageKind.values, "x-spec-enum-id": "pipelines-stage-kind"}
)
class StageKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=StageKind.choices, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": DealStatus.values, "x-spec-enum-id": "pipelines-deal-status"}
)
class DealStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=DealStatus.choices, **kwargs)


def _money(value: Any) -> str | None:
    if value is None:
        return None
    return str(Decimal(value).quantize(Decimal("0.01")))


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _id(value: Any) -> str | None:
    return str(value) if value else None


# --- Stages and pipelines -----------------------------------------------------------------------


class StageSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    pipeline = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = StageKindField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    probability = serializers.IntegerField(read_only=True, min_value=0, max_value=100)
    rotting_days = serializers.IntegerField(read_only=True, allow_null=True)
    color = serializers.CharField(read_only=True)
    deal_count = serializers.IntegerField(read_only=True)
    deal_value = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        read_only=True,
        help_text="Sum of the deals in the workspace's currency (others are in deal_values)",
    )
    deal_values = serializers.DictField(
        child=serializers.DecimalField(max_digits=20, decimal_places=2),
        read_only=True,
        help_text="Sum of the deals per currency: amounts are never converted",
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, stage: Stage) -> dict[str, Any]:
        return {
            "id": str(stage.pk),
            "pipeline": str(stage.pipeline_id),
            "name": stage.name,
            "kind": stage.kind,
            "position": stage.position,
            "probability": stage.probability,
            "rotting_days": stage.rotting_days,
            "color": stage.color,
            "deal_count": getattr(stage, "deal_count", 0),
            "deal_value": _money(getattr(stage, "deal_value", None) or 0),
            "deal_values": {c: _money(v) for c, v in getattr(stage, "deal_values", {}).items()},
            "created_at": _iso(stage.created_at),
            "updated_at": _iso(stage.updated_at),
        }


STAGE_FIELDS = set(StageSerializer().fields)


class PipelineSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    is_default = serializers.BooleanField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, pipeline: Pipeline) -> dict[str, Any]:
        return {
            "id": str(pipeline.pk),
            "name": pipeline.name,
            "is_default": pipeline.is_default,
            "position": pipeline.position,
            "created_at": _iso(pipeline.created_at),
            "updated_at": _iso(pipeline.updated_at),
        }


class PipelineSerializer(PipelineSummarySerializer):
    """A pipeline with its ordered stages. Needs the stages prefetched (ordered)."""

    stages = StageSerializer(many=True, read_only=True)

    def to_representation(self, pipeline: Pipeline) -> dict[str, Any]:
        data = super().to_representation(pipeline)
        stage_serializer = StageSerializer()
        data["stages"] = [stage_serializer.to_representation(s) for s in pipeline.stages.all()]
        return data


PIPELINE_FIELDS = set(PipelineSerializer().fields)


class StageSpecSerializer(StrictInputSerializer):
    """A stage as given when creating a pipeline."""

    name = serializers.CharField(max_length=120)
    kind = StageKindField(required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)
    rotting_days = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)


class PipelineWriteSerializer(StrictInputSerializer):
    ignored_fields = ("id", "created_at", "updated_at")
    name = serializers.CharField(max_length=120, required=False)
    is_default = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, required=False)
    stages = StageSpecSerializer(
        many=True, required=False, help_text="Create only; default: the six standard stages"
    )
    lost_reasons = serializers.ListField(
        child=serializers.CharField(max_length=120),
        required=False,
        help_text="Create only; default: the standard reasons",
    )


class StageWriteSerializer(StrictInputSerializer):
    ignored_fields = (
        "id",
        "pipeline",
        "deal_count",
        "deal_value",
        "deal_values",
        "created_at",
        "updated_at",
    )
    name = serializers.CharField(max_length=120, required=False)
    kind = StageKindField(required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)
    rotting_days = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
    position = serializers.IntegerField(
        min_value=0, required=False, help_text="Create only; reorder to move a stage"
    )


class StageDeleteSerializer(StrictInputSerializer):
    move_deals_to = serializers.UUIDField(required=False, allow_null=True)


class StageReorderSerializer(StrictInputSerializer):
    stage_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1)


class LostReasonSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    pipeline = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, reason: LostReason) -> dict[str, Any]:
        return {
            "id": str(reason.pk),
            "pipeline": str(reason.pipeline_id),
            "name": reason.name,
            "position": reason.position,
            "created_at": _iso(reason.created_at),
        }


LOST_REASON_FIELDS = set(LostReasonSerializer().fields)


class LostReasonWriteSerializer(StrictInputSerializer):
    ignored_fields = ("id", "pipeline", "created_at")
    name = serializers.CharField(max_length=120, required=False)
    position = serializers.IntegerField(min_value=0, required=False)


# --- Deals --------------------------------------------------------------------------------------


class DealContactSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Contact id")
    role = serializers.CharField(max_length=100, required=False, allow_blank=True)


class DealSerializer(serializers.Serializer):
    """A deal as the API shows it. Needs ``deal_queryset()``'s joins and prefetches."""

    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    pipeline = serializers.UUIDField(read_only=True)
    stage = serializers.UUIDField(read_only=True)
    status = DealStatusField(read_only=True)
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    currency = serializers.CharField(read_only=True)
    probability = serializers.IntegerField(
        read_only=True, help_text="The deal's own, else its stage's"
    )
    expected_close_date = serializers.DateField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    owner = serializers.UUIDField(read_only=True, allow_null=True)
    contacts = DealContactSerializer(many=True, read_only=True)
    company = serializers.UUIDField(read_only=True, allow_null=True)
    position = serializers.IntegerField(read_only=True)
    lost_reason = serializers.CharField(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    custom_fields = serializers.DictField(read_only=True)
    stage_entered_at = serializers.DateTimeField(read_only=True)
    last_activity_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, deal: Deal) -> dict[str, Any]:
        probability = deal.probability if deal.probability is not None else deal.stage.probability
        return {
            "id": str(deal.pk),
            "title": deal.title,
            "pipeline": str(deal.pipeline_id),
            "stage": str(deal.stage_id),
            "status": deal.status,
            "amount": _money(deal.amount),
            "currency": deal.currency,
            "probability": probability,
            "expected_close_date": _date(deal.expected_close_date),
            "closed_at": _iso(deal.closed_at),
            "owner": _id(deal.owner_id),
            "contacts": [
                {"id": str(link.contact_id), "role": link.role} for link in deal.deal_contacts.all()
            ],
            "company": _id(deal.company_id),
            "position": deal.position,
            "lost_reason": deal.lost_reason,
            "tags": sorted(tag.name for tag in deal.tags.all()),
            "custom_fields": deal.custom_fields or {},
            "stage_entered_at": _iso(deal.stage_entered_at),
            "last_activity_at": _iso(deal.last_activity_at),
            "created_at": _iso(deal.created_at),
            "updated_at": _iso(deal.updated_at),
        }


DEAL_FIELDS = set(DealSerializer().fields)
DEAL_READ_ONLY = (
    "id",
    "status",
    "closed_at",
    "position",
    "stage_entered_at",
    "last_activity_at",
    "created_at",
    "updated_at",
)


class DealWriteSerializer(StrictInputSerializer):
    """What a client may send to create or change a deal (``stage``/``pipeline`` on an update
    move it, as ``POST /deals/{id}/move`` does)."""

    ignored_fields = DEAL_READ_ONLY
    title = serializers.CharField(max_length=200, required=False)
    pipeline = serializers.UUIDField(required=False, allow_null=True)
    stage = serializers.UUIDField(required=False, allow_null=True)
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)
    probability = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    owner = serializers.UUIDField(required=False, allow_null=True)
    company = serializers.UUIDField(required=False, allow_null=True)
    contacts = DealContactSerializer(many=True, required=False)
    lost_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100
    )
    custom_fields = serializers.DictField(required=False)


class DealMoveSerializer(StrictInputSerializer):
    stage_id = serializers.UUIDField()
    position = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, help_text="0-based; default: the end"
    )
    lost_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class UserRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class StageHistorySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    stage = serializers.UUIDField(read_only=True, allow_null=True)
    stage_name = serializers.CharField(read_only=True)
    from_stage = serializers.UUIDField(read_only=True, allow_null=True)
    entered_at = serializers.DateTimeField(read_only=True)
    left_at = serializers.DateTimeField(read_only=True, allow_null=True)
    actor = UserRefSerializer(read_only=True, allow_null=True)

    def to_representation(self, entry: Any) -> dict[str, Any]:
        return {
            "id": str(entry.pk),
            "stage": _id(entry.stage_id),
            "stage_name": entry.stage_name,
            "from_stage": _id(entry.from_stage_id),
            "entered_at": _iso(entry.entered_at),
            "left_at": _iso(entry.left_at),
            "actor": (
                {"id": str(entry.actor_id), "name": entry.actor.name or entry.actor.email}
                if entry.actor_id
                else None
            ),
        }


# --- Board --------------------------------------------------------------------------------------


class CompanyRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class DealCardSerializer(serializers.Serializer):
    """A deal on the board. Needs the deal's company joined and tags prefetched; the stage
    is passed in (the board has it)."""

    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    stage = serializers.UUIDField(read_only=True)
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    currency = serializers.CharField(read_only=True)
    company = CompanyRefSerializer(read_only=True, allow_null=True)
    owner = serializers.UUIDField(read_only=True, allow_null=True)
    position = serializers.IntegerField(read_only=True)
    expected_close_date = serializers.DateField(read_only=True, allow_null=True)
    stage_entered_at = serializers.DateTimeField(read_only=True)
    days_in_stage = serializers.IntegerField(read_only=True)
    is_rotting = serializers.BooleanField(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    def card(self, deal: Deal, stage: Stage, now: datetime.datetime) -> dict[str, Any]:
        days = max(0, (now - deal.stage_entered_at).days)
        last_touch = max(deal.stage_entered_at, deal.last_activity_at or deal.stage_entered_at)
        rotting = (
            stage.rotting_days is not None
            and deal.status == DealStatus.OPEN
            and (now - last_touch) > datetime.timedelta(days=stage.rotting_days)
        )
        return {
            "id": str(deal.pk),
            "title": deal.title,
            "stage": str(deal.stage_id),
            "amount": _money(deal.amount),
            "currency": deal.currency,
            "company": (
                {"id": str(deal.company_id), "name": deal.company.name} if deal.company_id else None
            ),
            "owner": _id(deal.owner_id),
            "position": deal.position,
            "expected_close_date": _date(deal.expected_close_date),
            "stage_entered_at": _iso(deal.stage_entered_at),
            "days_in_stage": days,
            "is_rotting": rotting,
            "tags": sorted(tag.name for tag in deal.tags.all()),
        }

    def to_representation(self, deal: Deal) -> dict[str, Any]:
        return self.card(deal, deal.stage, timezone.now())


class BoardStageSerializer(StageSerializer):
    deals = DealCardSerializer(many=True, read_only=True)
    next_cursor = serializers.CharField(read_only=True, allow_null=True)
    has_more = serializers.BooleanField(read_only=True)


class BoardOwnerColumnSerializer(serializers.Serializer):
    owner = UserRefSerializer(read_only=True, allow_null=True)
    deal_count = serializers.IntegerField(read_only=True)
    deal_value = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    deal_values = serializers.DictField(
        child=serializers.DecimalField(max_digits=20, decimal_places=2), read_only=True
    )
    deals = DealCardSerializer(many=True, read_only=True)
    next_cursor = serializers.CharField(read_only=True, allow_null=True)
    has_more = serializers.BooleanField(read_only=True)


class BoardSerializer(serializers.Serializer):
    pipeline = PipelineSummarySerializer(read_only=True)
    group_by = serializers.ChoiceField(choices=["stage", "owner"], read_only=True)
    stages = BoardStageSerializer(many=True, read_only=True, help_text="group_by=stage")
    columns = BoardOwnerColumnSerializer(many=True, read_only=True, help_text="group_by=owner")
