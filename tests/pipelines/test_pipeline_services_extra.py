"""Deleting a pipeline that has deals (they move to another pipeline), and lost reasons'
validation and order."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.services.common import ConflictError, ServiceError
from crm.models import TimelineEvent, Verb
from pipelines.models import Deal, LostReason, Pipeline, Stage, StageHistory
from pipelines.services.deals import deal_create, deal_move
from pipelines.services.pipelines import (
    lost_reason_create,
    lost_reason_delete,
    lost_reason_update,
    pipeline_create,
    pipeline_delete,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


@pytest.fixture
def partners(workspace) -> Pipeline:
    """A second pipeline with the usual stages (Lead in … Won, Lost)."""
    return pipeline_create(workspace=workspace, name="Partners")


def stages_of(pipeline: Pipeline) -> dict[str, Stage]:
    return {stage.name: stage for stage in pipeline.stages.all()}


@pytest.fixture
def partner_deals(workspace, actor, partners) -> dict[str, Deal]:
    """In Partners: two open deals in two stages, one won and one lost."""
    stages = stages_of(partners)
    deals = {}
    for title, stage in [("Open 1", "Lead in"), ("Open 2", "Proposal"), ("Won", "Lead in")]:
        deals[title] = deal_create(
            workspace=workspace, actor=actor, title=title, stage=stages[stage], pipeline=partners
        )
    deals["Won"] = deal_move(deal=deals["Won"], actor=actor, stage=stages["Won"])
    lost = deal_create(workspace=workspace, actor=actor, title="Lost", stage=stages["Lead in"])
    deals["Lost"] = deal_move(deal=lost, actor=actor, stage=stages["Lost"], lost_reason="Price")
    return deals


def test_deleting_a_pipeline_moves_its_deals_and_keeps_closed_ones_closed(
    workspace, actor, sales, partners, partner_deals
):
    # given a deal already in the target stage
    target = stages_of(sales)["Qualified"]
    deal_create(workspace=workspace, actor=actor, title="Already there", stage=target)
    won_at = partner_deals["Won"].closed_at

    # when
    moved = pipeline_delete(pipeline=partners, actor=actor, move_deals_to=target)

    # then the pipeline, its stages and lost reasons are gone
    assert moved == 4
    assert not Pipeline.objects.filter(pk=partners.pk).exists()
    assert not Stage.objects.filter(pipeline_id=partners.pk).exists()
    assert not LostReason.objects.filter(pipeline_id=partners.pk).exists()
    # open deals follow the chosen stage, in their old board order, after its own deals
    titles = list(
        Deal.objects.filter(stage=target).order_by("position").values_list("title", flat=True)
    )
    assert titles == ["Already there", "Open 1", "Open 2"]
    assert list(
        Deal.objects.filter(stage=target).order_by("position").values_list("position", flat=True)
    ) == [0, 1, 2]
    # won and lost deals go to the won and lost stages, still closed, reason kept
    won = Deal.objects.get(pk=partner_deals["Won"].pk)
    lost = Deal.objects.get(pk=partner_deals["Lost"].pk)
    assert (won.stage.name, won.status, won.closed_at) == ("Won", "won", won_at)
    assert won.pipeline_id == sales.pk
    assert (lost.stage.name, lost.status, lost.lost_reason) == ("Lost", "lost", "Price")
    # each move is in the stage history and on the timeline, by the actor
    history = StageHistory.objects.filter(deal=partner_deals["Open 1"]).order_by("entered_at")
    assert [h.stage_name for h in history] == ["Lead in", "Qualified"]
    assert history.last().actor == actor.user
    event = TimelineEvent.objects.filter(
        subject_id=partner_deals["Open 2"].pk, verb=Verb.STAGE_CHANGED
    ).get()
    assert event.data["to_pipeline"] == sales.name


def test_a_target_pipeline_without_closed_stages_takes_them_into_the_chosen_stage(
    workspace, actor, partners, partner_deals
):
    plain = pipeline_create(
        workspace=workspace, name="Plain", stages=[{"name": "Only", "kind": "open"}]
    )
    only = plain.stages.get()
    pipeline_delete(pipeline=partners, actor=actor, move_deals_to=only)
    assert Deal.objects.filter(stage=only).count() == 4
    # a deal in an open stage is open again
    assert set(Deal.objects.filter(stage=only).values_list("status", flat=True)) == {"open"}


def test_a_pipeline_with_deals_needs_a_stage_of_another_pipeline(
    workspace, actor, partners, partner_deals, other_workspace
):
    # no target
    with pytest.raises(ServiceError):
        pipeline_delete(pipeline=partners, actor=actor)
    # a stage of the same pipeline
    with pytest.raises(ValidationError) as excinfo:
        pipeline_delete(
            pipeline=partners, actor=actor, move_deals_to=stages_of(partners)["Proposal"]
        )
    assert "move_deals_to" in excinfo.value.message_dict
    # a stage of another workspace
    foreign = Stage.objects.for_workspace(other_workspace).first()
    with pytest.raises(ValidationError):
        pipeline_delete(pipeline=partners, actor=actor, move_deals_to=foreign)
    assert Pipeline.objects.filter(pk=partners.pk).exists()
    assert Deal.objects.filter(pipeline=partners).count() == 4


def test_the_default_pipeline_cannot_be_deleted_even_with_a_target(actor, sales, partners):
    with pytest.raises(ServiceError):
        pipeline_delete(pipeline=sales, actor=actor, move_deals_to=stages_of(partners)["Won"])
    assert Pipeline.objects.filter(pk=sales.pk).exists()


def test_an_empty_pipeline_is_deleted_without_a_target(partners):
    assert pipeline_delete(pipeline=partners) == 0
    assert not Pipeline.objects.filter(pk=partners.pk).exists()


# --- Lost reasons --------------------------------------------------------------------------------


def test_lost_reason_names_are_tidied_and_bounded(partners):
    reason = lost_reason_create(pipeline=partners, name="  Went   quiet ")
    assert reason.name == "Went quiet"
    with pytest.raises(ValidationError) as excinfo:
        lost_reason_create(pipeline=partners, name="x" * 121)
    assert "name" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        lost_reason_update(lost_reason=reason, data={"name": "   "})
    with pytest.raises(ConflictError):
        lost_reason_update(lost_reason=reason, data={"name": "Price"})  # a default reason
    renamed = lost_reason_update(lost_reason=reason, data={"name": "Ghosted"})
    assert LostReason.objects.get(pk=renamed.pk).name == "Ghosted"


def test_deleting_a_lost_reason_closes_the_gap_and_keeps_deals_text(
    workspace, actor, partners, partner_deals
):
    reasons = list(partners.lost_reasons.order_by("position"))
    price = next(r for r in reasons if r.name == "Price")
    lost_reason_delete(lost_reason=price)
    positions = list(
        LostReason.objects.filter(pipeline=partners)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert positions == list(range(len(reasons) - 1))
    assert Deal.objects.get(pk=partner_deals["Lost"].pk).lost_reason == "Price"
    # a new reason goes to the end
    added = lost_reason_create(pipeline=partners, name="Timing again")
    assert added.position == len(reasons) - 1
