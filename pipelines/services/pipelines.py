"""Pipelines, their stages and lost reasons."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Workspace
from accounts.services.common import (
    Actor,
    ServiceError,
    clean_bounded,
    clean_color,
    clean_name,
    ensure_unique,
    model_update,
)
from pipelines.models import Deal, LostReason, Pipeline, Stage, StageKind

DEFAULT_STAGES: list[dict[str, Any]] = [
    {"name": "Lead in", "kind": StageKind.OPEN, "probability": 10, "color": "#94a3b8"},
    {"name": "Qualified", "kind": StageKind.OPEN, "probability": 25, "color": "#60a5fa"},
    {"name": "Proposal", "kind": StageKind.OPEN, "probability": 50, "color": "#818cf8"},
    {"name": "Negotiation", "kind": StageKind.OPEN, "probability": 75, "color": "#f59e0b"},
    {"name": "Won", "kind": StageKind.WON, "probability": 100, "color": "#22c55e"},
    {"name": "Lost", "kind": StageKind.LOST, "probability": 0, "color": "#ef4444"},
]
DEFAULT_LOST_REASONS = ["Price", "Chose a competitor", "No budget", "No decision", "Timing"]


def _clean_stage_values(data: dict[str, Any]) -> dict[str, Any]:
    """Probability and colour are guarded by check constraints only: check them here."""
    data = dict(data)
    if "probability" in data:
        data["probability"] = clean_bounded(
            Stage, "probability", data["probability"], minimum=0, maximum=100
        )
    if "color" in data:
        data["color"] = clean_color(data["color"])
    return data


def _check_pipeline_name(workspace: Workspace, name: str, exclude_id: Any = None) -> str:
    name = clean_name(name, message="Give the pipeline a name.")
    ensure_unique(
        Pipeline.objects.for_workspace(workspace),
        field="name",
        message=f"A pipeline named {name!r} exists.",
        exclude_id=exclude_id,
        name=name,
    )
    return name


@transaction.atomic
def pipeline_create(
    *,
    workspace: Workspace,
    name: str,
    stages: list[dict[str, Any]] | None = None,
    is_default: bool = False,
    lost_reasons: list[str] | None = None,
) -> Pipeline:
    """A pipeline with its stages (the default six unless given). The workspace's first
    pipeline becomes its default."""
    name = _check_pipeline_name(workspace, name)
    specs = [
        _clean_stage_values(spec) for spec in (stages if stages is not None else DEFAULT_STAGES)
    ]
    names = [str(spec.get("name") or "").strip() for spec in specs]
    if len(set(names)) != len(names):
        raise ValidationError({"stages": ["Give each stage a different name."]})
    existing = Pipeline.objects.for_workspace(workspace)
    is_default = is_default or not existing.exists()
    if is_default:
        existing.filter(is_default=True).update(is_default=False)
    position = (existing.aggregate(m=Max("position"))["m"] or 0) + 1
    pipeline = Pipeline.objects.create(
        workspace=workspace, name=name, is_default=is_default, position=position
    )
    for index, spec in enumerate(specs):
        stage = Stage(workspace=workspace, pipeline=pipeline, position=index, **spec)
        stage.full_clean(exclude=["pipeline"], validate_unique=False, validate_constraints=False)
        stage.save()
    reasons = DEFAULT_LOST_REASONS if lost_reasons is None else lost_reasons
    LostReason.objects.bulk_create(
        LostReason(workspace=workspace, pipeline=pipeline, name=reason, position=index)
        for index, reason in enumerate(reasons)
    )
    return pipeline


def pipeline_create_default(workspace: Workspace) -> None:
    """What a new workspace starts with: the sales pipeline."""
    if not Pipeline.objects.for_workspace(workspace).exists():
        pipeline_create(workspace=workspace, name="Sales pipeline", is_default=True)


@transaction.atomic
def pipeline_update(*, pipeline: Pipeline, data: dict[str, Any]) -> Pipeline:
    data = dict(data)
    if "name" in data:
        data["name"] = _check_pipeline_name(
            pipeline.workspace, data["name"], exclude_id=pipeline.pk
        )
    if data.get("is_default") is True:
        Pipeline.objects.for_workspace(pipeline.workspace_id).exclude(pk=pipeline.pk).filter(
            is_default=True
        ).update(is_default=False)
    elif data.get("is_default") is False and pipeline.is_default:
        raise ValidationError({"is_default": ["Make another pipeline the default instead."]})
    pipeline, _ = model_update(
        instance=pipeline, fields=["name", "is_default", "position"], data=data
    )
    return pipeline


@transaction.atomic
def pipeline_delete(
    *, pipeline: Pipeline, actor: Actor | None = None, move_deals_to: Stage | None = None
) -> int:
    """Delete a pipeline with its stages and lost reasons; returns how many deals moved.

    A pipeline with deals is deleted only when ``move_deals_to`` (a stage of another pipeline
    of the workspace) says where they go: open deals go there; won and lost deals go to that
    pipeline's first won or lost stage, so they stay closed (into ``move_deals_to`` when it
    has none). Each moved deal gets its stage history and timeline entry, as by hand."""
    from pipelines.services.deals import deals_move_all

    if pipeline.is_default:
        raise ServiceError("The default pipeline cannot be deleted; make another the default.")
    if move_deals_to is not None and (
        move_deals_to.workspace_id != pipeline.workspace_id
        or move_deals_to.pipeline_id == pipeline.pk
    ):
        raise ValidationError(
            {"move_deals_to": ["Choose a stage of another pipeline of this workspace."]}
        )
    # Lock the stages of both pipelines in one fixed order (as deal_move does), so no deal is
    # created in or moved into this pipeline while it is emptied.
    pipeline_ids = {pipeline.pk} | ({move_deals_to.pipeline_id} if move_deals_to else set())
    locked = list(
        Stage.objects.select_for_update().filter(pipeline_id__in=pipeline_ids).order_by("pk")
    )
    has_deals = Deal.objects.filter(pipeline=pipeline).exists()
    if has_deals and move_deals_to is None:
        raise ServiceError("The pipeline still has deals; choose a stage to move them to.")
    moved = 0
    if has_deals:
        closed_targets: dict[str, Stage] = {}
        for stage in sorted(locked, key=lambda s: (s.position, s.pk)):
            if stage.pipeline_id == move_deals_to.pipeline_id and stage.kind != StageKind.OPEN:
                closed_targets.setdefault(stage.kind, stage)
        sources = sorted(
            (s for s in locked if s.pipeline_id == pipeline.pk), key=lambda s: (s.position, s.pk)
        )
        for source in sources:
            target = closed_targets.get(source.kind, move_deals_to)
            moved += deals_move_all(source=source, target=target, actor=actor or Actor.system())
    pipeline.delete()
    return moved


# --- Stages -------------------------------------------------------------------------------------


def _check_stage_name(pipeline: Pipeline, name: str, exclude_id: Any = None) -> str:
    name = clean_name(name, message="Give the stage a name.")
    ensure_unique(
        Stage.objects.filter(pipeline=pipeline),
        field="name",
        message=f"The pipeline has a stage named {name!r}.",
        exclude_id=exclude_id,
        name=name,
    )
    return name


@transaction.atomic
def stage_create(
    *,
    pipeline: Pipeline,
    name: str,
    kind: str = StageKind.OPEN,
    probability: int = 0,
    rotting_days: int | None = None,
    color: str = "#3b82f6",
    position: int | None = None,
) -> Stage:
    """A new stage, at ``position`` (later stages shift right) or at the end."""
    stages = list(Stage.objects.select_for_update().filter(pipeline=pipeline).order_by("position"))
    name = _check_stage_name(pipeline, name)
    values = _clean_stage_values({"probability": probability, "color": color})
    probability, color = values["probability"], values["color"]
    position = len(stages) if position is None else max(0, min(position, len(stages)))
    stage = Stage(
        workspace_id=pipeline.workspace_id,
        pipeline=pipeline,
        name=name,
        kind=kind,
        probability=probability,
        rotting_days=rotting_days,
        color=color,
        position=position,
    )
    stage.full_clean(exclude=["pipeline"], validate_unique=False, validate_constraints=False)
    for existing in stages[position:]:
        existing.position += 1
    Stage.objects.bulk_update(stages[position:], ["position"])
    stage.save()
    return stage


@transaction.atomic
def stage_update(*, stage: Stage, data: dict[str, Any]) -> Stage:
    """Change a stage; a new kind carries over to its deals (their status and closed_at)."""
    data = _clean_stage_values(data)
    if "name" in data:
        data["name"] = _check_stage_name(stage.pipeline, data["name"], exclude_id=stage.pk)
    old_kind = stage.kind
    stage, _ = model_update(
        instance=stage, fields=["name", "kind", "probability", "rotting_days", "color"], data=data
    )
    if stage.kind != old_kind:
        deals = Deal.objects.filter(stage=stage)
        # As when a deal is moved: only a deal in a lost stage keeps a lost reason.
        if stage.kind == StageKind.OPEN:
            deals.update(status=stage.kind, closed_at=None, lost_reason="")
        else:
            deals.filter(closed_at__isnull=True).update(status=stage.kind, closed_at=timezone.now())
            if stage.kind == StageKind.WON:
                deals.update(status=stage.kind, lost_reason="")
            else:
                deals.update(status=stage.kind)
    return stage


@transaction.atomic
def stage_reorder(*, pipeline: Pipeline, stage_ids: list[Any]) -> list[Stage]:
    """Put the pipeline's stages in the given order; every stage must be named once."""
    stages = {str(s.pk): s for s in Stage.objects.select_for_update().filter(pipeline=pipeline)}
    given = [str(i) for i in stage_ids]
    if sorted(given) != sorted(stages) or len(set(given)) != len(given):
        raise ValidationError({"stage_ids": ["List each stage of the pipeline exactly once."]})
    ordered = [stages[i] for i in given]
    for index, stage in enumerate(ordered):
        stage.position = index
    # The unique (pipeline, position) constraint is deferred, so swaps are fine here.
    Stage.objects.bulk_update(ordered, ["position"])
    return ordered


@transaction.atomic
def stage_delete(*, stage: Stage, actor: Actor, move_deals_to: Stage | None = None) -> None:
    """Delete a stage; its deals move to ``move_deals_to`` (required when it has any)."""
    from pipelines.services.deals import deals_move_all

    if move_deals_to is not None and (
        move_deals_to.pk == stage.pk or move_deals_to.workspace_id != stage.workspace_id
    ):
        raise ValidationError({"move_deals_to": ["Choose another stage of this workspace."]})
    has_deals = Deal.objects.filter(stage=stage).exists()
    if has_deals and move_deals_to is None:
        raise ServiceError("The stage has deals: say which stage they move to.")
    if Stage.objects.filter(pipeline_id=stage.pipeline_id).count() <= 1:
        raise ServiceError("A pipeline needs at least one stage.")
    if has_deals:
        # Both stages locked (fixed order) like deal_move does, so no concurrent move or
        # create can take a position at the end of the target meanwhile.
        list(
            Stage.objects.select_for_update()
            .filter(pk__in={stage.pk, move_deals_to.pk})
            .order_by("pk")
        )
        deals_move_all(source=stage, target=move_deals_to, actor=actor)
    pipeline_id = stage.pipeline_id
    stage.delete()
    remaining = list(Stage.objects.filter(pipeline_id=pipeline_id).order_by("position"))
    for index, item in enumerate(remaining):
        item.position = index
    Stage.objects.bulk_update(remaining, ["position"])


# --- Lost reasons -------------------------------------------------------------------------------


def _clean_reason_name(name: Any) -> str:
    name = " ".join(clean_name(name, message="Give the reason a name.").split())
    limit = LostReason._meta.get_field("name").max_length
    if len(name) > limit:
        raise ValidationError({"name": [f"Keep the reason under {limit} characters."]})
    return name


@transaction.atomic
def lost_reason_create(*, pipeline: Pipeline, name: str) -> LostReason:
    """A reason at the end of the pipeline's list (a deal's lost reason is copied as text, so
    later renames and deletes do not rewrite closed deals)."""
    name = _clean_reason_name(name)
    if LostReason.objects.filter(pipeline=pipeline, name=name).exists():
        raise ValidationError({"name": ["This reason exists."]})
    position = LostReason.objects.filter(pipeline=pipeline).count()
    return LostReason.objects.create(
        workspace_id=pipeline.workspace_id, pipeline=pipeline, name=name, position=position
    )


@transaction.atomic
def lost_reason_update(*, lost_reason: LostReason, data: dict[str, Any]) -> LostReason:
    data = dict(data)
    if "name" in data:
        data["name"] = _clean_reason_name(data["name"])
        ensure_unique(
            LostReason.objects.filter(pipeline_id=lost_reason.pipeline_id),
            field="name",
            message="This reason exists.",
            exclude_id=lost_reason.pk,
            name=data["name"],
        )
    lost_reason, _ = model_update(instance=lost_reason, fields=["name", "position"], data=data)
    return lost_reason


@transaction.atomic
def lost_reason_delete(*, lost_reason: LostReason) -> None:
    """Remove a reason from the list; the reasons after it move up one place. Deals lost for
    it keep their text."""
    pipeline_id = lost_reason.pipeline_id
    lost_reason.delete()
    remaining = list(
        LostReason.objects.select_for_update()
        .filter(pipeline_id=pipeline_id)
        .order_by("position", "name")
    )
    for index, reason in enumerate(remaining):
        reason.position = index
    LostReason.objects.bulk_update(remaining, ["position"])
