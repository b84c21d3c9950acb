"""Pipelines, stages and lost reasons."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.services.common import ConflictError, ServiceError
from crm.models import TimelineEvent, Verb
from pipelines.models import Deal, LostReason, Pipeline, Stage, StageHistory
from pipelines.services.deals import deal_create
from pipelines.services.pipelines import (
    lost_reason_create,
    lost_reason_delete,
    pipeline_create,
    pipeline_create_default,
    pipeline_delete,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)

pytestmark = pytest.mark.django_db


def stage_names(pipeline: Pipeline) -> list[str]:
    return list(pipeline.stages.order_by("position").values_list("name", flat=True))


def stage_positions(pipeline: Pipeline) -> list[int]:
    return list(pipeline.stages.order_by("position").values_list("position", flat=True))


def titles_in(stage: Stage) -> list[str]:
    return list(
        Deal.objects.filter(stage=stage).order_by("position").values_list("title", flat=True)
    )


def assert_contiguous(stage: Stage) -> None:
    positions = list(
        Deal.objects.filter(stage=stage).order_by("position").values_list("position", flat=True)
    )
    assert positions == list(range(len(positions)))


@pytest.fixture
def sales(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


@pytest.fixture
def small(workspace) -> Pipeline:
    """A second pipeline: Open A (open), Open B (open), Done (won)."""
    return pipeline_create(
        workspace=workspace,
        name="Partners",
        stages=[
            {"name": "Open A", "kind": "open", "probability": 10},
            {"name": "Open B", "kind": "open", "probability": 60},
            {"name": "Done", "kind": "won", "probability": 100},
        ],
        lost_reasons=[],
    )


def stage_of(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


# --- Pipelines -----------------------------------------------------------------------------------


def test_pipeline_create_with_the_default_stages(workspace, sales):
    # when
    pipeline = pipeline_create(workspace=workspace, name="  Renewals ")

    # then
    assert pipeline.name == "Renewals"
    assert not pipeline.is_default
    assert pipeline.position > sales.position
    assert stage_names(pipeline) == [
        "Lead in",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert stage_positions(pipeline) == [0, 1, 2, 3, 4, 5]
    assert list(
        LostReason.objects.filter(pipeline=pipeline)
        .order_by("position")
        .values_list("name", flat=True)
    ) == ["Price", "Chose a competitor", "No budget", "No decision", "Timing"]
    assert Pipeline.objects.for_workspace(workspace).get(is_default=True) == sales


def test_pipeline_create_with_given_stages(workspace, small):
    assert stage_names(small) == ["Open A", "Open B", "Done"]
    assert [s.kind for s in small.stages.order_by("position")] == ["open", "open", "won"]
    assert not LostReason.objects.filter(pipeline=small).exists()


def test_pipeline_create_as_default_takes_over(workspace, sales):
    # when
    pipeline = pipeline_create(workspace=workspace, name="New default", is_default=True)

    # then
    sales.refresh_from_db()
    assert pipeline.is_default
    assert not sales.is_default
    assert Pipeline.objects.for_workspace(workspace).filter(is_default=True).count() == 1


def test_a_workspaces_first_pipeline_is_its_default(workspace, sales):
    # given a workspace whose pipeline is gone
    Stage.objects.filter(pipeline=sales).delete()
    sales.delete()

    # when
    pipeline = pipeline_create(workspace=workspace, name="Only")

    # then
    assert pipeline.is_default


def test_pipeline_create_default_runs_once(workspace):
    # when
    pipeline_create_default(workspace)

    # then
    assert Pipeline.objects.for_workspace(workspace).count() == 1


def test_pipeline_create_refuses_a_taken_name(workspace, sales):
    with pytest.raises(ConflictError) as excinfo:
        pipeline_create(workspace=workspace, name=" Sales pipeline ")
    assert excinfo.value.conflict_id == sales.pk
    assert excinfo.value.field == "name"
    assert Pipeline.objects.for_workspace(workspace).count() == 1


def test_the_same_pipeline_name_is_fine_in_another_workspace(other_workspace):
    assert pipeline_create(workspace=other_workspace, name="Renewals").workspace == other_workspace


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"stages": [{"name": "S", "probability": 101}]}, "probability"),
        ({"stages": [{"name": "S", "color": "green"}]}, "color"),
        ({"stages": [{"name": "S", "kind": "maybe"}]}, "kind"),
        ({"stages": [{"name": ""}]}, "name"),
        ({"stages": [{"name": "S"}, {"name": "S"}]}, "stages"),
    ],
)
def test_pipeline_create_validation(workspace, kwargs, field):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        pipeline_create(workspace=workspace, **{"name": "New", **kwargs})
    assert field in excinfo.value.message_dict
    assert not Pipeline.objects.for_workspace(workspace).filter(name="New").exists()
    assert Pipeline.objects.for_workspace(workspace).get().is_default


def test_pipeline_update_renames_and_refuses_a_taken_name(workspace, sales, small):
    # when
    pipeline_update(pipeline=small, data={"name": " Channel ", "position": 9})

    # then
    small.refresh_from_db()
    assert (small.name, small.position) == ("Channel", 9)
    with pytest.raises(ConflictError) as excinfo:
        pipeline_update(pipeline=small, data={"name": "Sales pipeline"})
    assert excinfo.value.conflict_id == sales.pk


def test_pipeline_update_moves_the_default(workspace, sales, small):
    # when
    pipeline_update(pipeline=small, data={"is_default": True})

    # then
    sales.refresh_from_db()
    small.refresh_from_db()
    assert small.is_default and not sales.is_default


def test_the_default_pipeline_cannot_be_undefaulted(workspace, sales):
    with pytest.raises(ValidationError) as excinfo:
        pipeline_update(pipeline=sales, data={"is_default": False})
    assert "is_default" in excinfo.value.message_dict
    sales.refresh_from_db()
    assert sales.is_default


def test_the_default_pipeline_cannot_be_deleted(workspace, sales):
    with pytest.raises(ServiceError):
        pipeline_delete(pipeline=sales)
    assert Pipeline.objects.filter(pk=sales.pk).exists()


def test_a_pipeline_with_deals_cannot_be_deleted(workspace, actor, small):
    # given
    deal_create(workspace=workspace, actor=actor, title="D", pipeline=small)

    # when / then
    with pytest.raises(ServiceError):
        pipeline_delete(pipeline=small)
    assert Pipeline.objects.filter(pk=small.pk).exists()


def test_pipeline_delete_removes_its_stages(workspace, small):
    # when
    pipeline_delete(pipeline=small)

    # then
    assert not Pipeline.objects.filter(pk=small.pk).exists()
    assert not Stage.objects.filter(pipeline_id=small.pk).exists()


# --- Stages --------------------------------------------------------------------------------------


def test_stage_create_at_the_end(workspace, small):
    # when
    stage = stage_create(
        pipeline=small,
        name=" Review ",
        kind="open",
        probability=80,
        rotting_days=14,
        color="#123abc",
    )

    # then
    assert (stage.name, stage.position, stage.probability, stage.rotting_days, stage.color) == (
        "Review",
        3,
        80,
        14,
        "#123abc",
    )
    assert stage.workspace_id == workspace.pk
    assert stage_names(small) == ["Open A", "Open B", "Done", "Review"]


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (0, ["New", "Open A", "Open B", "Done"]),
        (1, ["Open A", "New", "Open B", "Done"]),
        (99, ["Open A", "Open B", "Done", "New"]),
        (-5, ["New", "Open A", "Open B", "Done"]),
    ],
)
def test_stage_create_at_a_position_shifts_later_stages(workspace, small, position, expected):
    # when
    stage_create(pipeline=small, name="New", position=position)

    # then
    assert stage_names(small) == expected
    assert stage_positions(small) == [0, 1, 2, 3]


def test_stage_create_refuses_a_name_taken_in_the_pipeline(workspace, small, sales):
    with pytest.raises(ConflictError) as excinfo:
        stage_create(pipeline=small, name="Open A")
    assert excinfo.value.conflict_id == stage_of(small, "Open A").pk
    # but another pipeline's stage names are free
    assert stage_create(pipeline=small, name="Lead in").pipeline == small


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"probability": 101}, "probability"),
        ({"probability": -1}, "probability"),
        ({"color": "#12"}, "color"),
        ({"color": "blue"}, "color"),
        ({"kind": "done"}, "kind"),
    ],
)
def test_stage_create_validation(workspace, small, kwargs, field):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        stage_create(pipeline=small, **{"name": "New", **kwargs})
    assert field in excinfo.value.message_dict
    assert stage_names(small) == ["Open A", "Open B", "Done"]
    assert stage_positions(small) == [0, 1, 2]


def test_stage_update_changes_fields(workspace, small):
    # given
    stage = stage_of(small, "Open A")

    # when
    stage_update(
        stage=stage,
        data={"name": "Discovery", "probability": 15, "rotting_days": 7, "color": "#000000"},
    )

    # then
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.rotting_days, stage.color) == (
        "Discovery",
        15,
        7,
        "#000000",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"probability": 101}, "probability"),
        ({"probability": "lots"}, "probability"),
        ({"color": "red"}, "color"),
        ({"kind": "done"}, "kind"),
        ({"name": ""}, "name"),
    ],
)
def test_stage_update_validation_writes_nothing(workspace, small, data, field):
    # given
    stage = stage_of(small, "Open A")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        stage_update(stage=stage, data={"rotting_days": 3, **data})
    assert field in excinfo.value.message_dict
    fresh = Stage.objects.get(pk=stage.pk)
    assert (fresh.name, fresh.probability, fresh.rotting_days, fresh.kind) == (
        "Open A",
        10,
        None,
        "open",
    )


def test_stage_update_refuses_a_name_taken_in_the_pipeline(workspace, small):
    with pytest.raises(ConflictError) as excinfo:
        stage_update(stage=stage_of(small, "Open A"), data={"name": "Done"})
    assert excinfo.value.conflict_id == stage_of(small, "Done").pk


def test_stage_update_of_kind_carries_over_to_its_deals(workspace, actor, small):
    # given two open deals in a stage
    stage = stage_of(small, "Open B")
    for title in ("A", "B"):
        deal_create(workspace=workspace, actor=actor, title=title, stage=stage)

    # when the stage becomes a won stage
    stage_update(stage=stage, data={"kind": "won"})

    # then its deals are won and closed
    deals = list(Deal.objects.filter(stage=stage))
    assert {d.status for d in deals} == {"won"}
    assert all(d.closed_at is not None for d in deals)
    closed_at = {d.pk: d.closed_at for d in deals}

    # when it becomes a lost stage, the close time is kept
    stage_update(stage=stage, data={"kind": "lost"})
    deals = list(Deal.objects.filter(stage=stage))
    assert {d.status for d in deals} == {"lost"}
    assert {d.pk: d.closed_at for d in deals} == closed_at

    # when it is open again, the deals reopen (and, as open deals, have no lost reason)
    Deal.objects.filter(stage=stage).update(lost_reason="Price")
    stage_update(stage=stage, data={"kind": "open"})
    deals = list(Deal.objects.filter(stage=stage))
    assert {d.status for d in deals} == {"open"}
    assert all(d.closed_at is None for d in deals)
    assert {d.lost_reason for d in deals} == {""}


def test_stage_update_from_lost_to_won_drops_lost_reasons(workspace, actor, small):
    # given a lost stage with a lost deal
    stage = stage_create(pipeline=small, name="Gone", kind="lost")
    deal = deal_create(
        workspace=workspace, actor=actor, title="D", stage=stage, lost_reason="Price"
    )
    closed_at = Deal.objects.get(pk=deal.pk).closed_at

    # when
    stage_update(stage=stage, data={"kind": "won"})

    # then
    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.lost_reason) == ("won", closed_at, "")


def test_stage_reorder(workspace, small):
    # given
    a, b, done = (stage_of(small, n) for n in ("Open A", "Open B", "Done"))

    # when
    ordered = stage_reorder(pipeline=small, stage_ids=[str(done.pk), a.pk, b.pk])

    # then
    assert [s.pk for s in ordered] == [done.pk, a.pk, b.pk]
    assert stage_names(small) == ["Done", "Open A", "Open B"]
    assert stage_positions(small) == [0, 1, 2]


def test_stage_reorder_needs_exactly_the_pipelines_stages(workspace, small, sales):
    # given
    a, b, done = (stage_of(small, n) for n in ("Open A", "Open B", "Done"))
    foreign = sales.stages.first()

    # when / then
    for stage_ids in (
        [a.pk, b.pk],  # one missing
        [a.pk, b.pk, done.pk, foreign.pk],  # one extra
        [a.pk, b.pk, foreign.pk],  # one of another pipeline instead
        [a.pk, a.pk, b.pk, done.pk],  # twice
        [a.pk, a.pk, b.pk],  # twice, one missing
        [],
    ):
        with pytest.raises(ValidationError) as excinfo:
            stage_reorder(pipeline=small, stage_ids=stage_ids)
        assert "stage_ids" in excinfo.value.message_dict
    assert stage_names(small) == ["Open A", "Open B", "Done"]


def test_stage_delete_of_an_empty_stage_closes_the_gap(workspace, actor, small):
    # when
    stage_delete(stage=stage_of(small, "Open A"), actor=actor)

    # then
    assert stage_names(small) == ["Open B", "Done"]
    assert stage_positions(small) == [0, 1]


def test_stage_delete_with_deals_needs_a_target(workspace, actor, small):
    # given
    stage = stage_of(small, "Open A")
    deal_create(workspace=workspace, actor=actor, title="D", stage=stage)

    # when / then
    with pytest.raises(ServiceError):
        stage_delete(stage=stage, actor=actor)
    assert Stage.objects.filter(pk=stage.pk).exists()
    assert titles_in(stage) == ["D"]


def test_stage_delete_refuses_itself_or_another_workspaces_stage_as_target(
    workspace, actor, small, other_workspace
):
    # given
    stage = stage_of(small, "Open A")
    deal_create(workspace=workspace, actor=actor, title="D", stage=stage)
    foreign = Stage.objects.for_workspace(other_workspace).first()

    # when / then
    for target in (stage, foreign):
        with pytest.raises(ValidationError) as excinfo:
            stage_delete(stage=stage, actor=actor, move_deals_to=target)
        assert "move_deals_to" in excinfo.value.message_dict
    assert titles_in(stage) == ["D"]
    assert not Deal.objects.filter(stage=foreign).exists()


def test_the_last_stage_of_a_pipeline_cannot_be_deleted(workspace, actor):
    # given
    pipeline = pipeline_create(workspace=workspace, name="One", stages=[{"name": "Only"}])

    # when / then
    with pytest.raises(ServiceError):
        stage_delete(stage=pipeline.stages.get(), actor=actor)
    assert pipeline.stages.count() == 1


def test_stage_delete_moves_its_deals_to_the_end_of_the_target(workspace, actor, small):
    # given
    source, target = stage_of(small, "Open A"), stage_of(small, "Done")
    for title in ("T1", "T2"):
        deal_create(workspace=workspace, actor=actor, title=title, stage=target)
    moved = [
        deal_create(workspace=workspace, actor=actor, title=t, stage=source) for t in ("S1", "S2")
    ]

    # when
    stage_delete(stage=source, actor=actor, move_deals_to=target)

    # then the deals follow in order, take the target's kind, and the pipeline closes up
    assert not Stage.objects.filter(pk=source.pk).exists()
    assert titles_in(target) == ["T1", "T2", "S1", "S2"]
    assert_contiguous(target)
    for deal in moved:
        deal.refresh_from_db()
        assert (deal.status, deal.stage_id) == ("won", target.pk)
        assert deal.closed_at is not None
        history = list(StageHistory.objects.filter(deal=deal).order_by("entered_at"))
        assert [h.stage_name for h in history] == ["Open A", "Done"]
        assert history[0].left_at == history[1].entered_at
        assert history[0].stage_id is None  # the stage is gone; its name stays
        [event] = TimelineEvent.objects.filter(subject_id=deal.pk, verb=Verb.STAGE_CHANGED)
        assert (event.data["from_stage"], event.data["to_stage"]) == ("Open A", "Done")
    assert stage_names(small) == ["Open B", "Done"]
    assert stage_positions(small) == [0, 1]


def test_stage_delete_can_move_deals_to_another_pipeline(workspace, actor, small, sales):
    # given
    source = stage_of(small, "Open B")
    deal = deal_create(workspace=workspace, actor=actor, title="D", stage=source)
    target = stage_of(sales, "Qualified")

    # when
    stage_delete(stage=source, actor=actor, move_deals_to=target)

    # then
    deal.refresh_from_db()
    assert (deal.pipeline_id, deal.stage_id, deal.position) == (sales.pk, target.pk, 0)


# --- Lost reasons --------------------------------------------------------------------------------


def test_lost_reasons(workspace, small):
    # when
    first = lost_reason_create(pipeline=small, name=" Too slow ")
    second = lost_reason_create(pipeline=small, name="Went dark")

    # then
    assert (first.name, first.position, second.position) == ("Too slow", 0, 1)
    with pytest.raises(ValidationError) as excinfo:
        lost_reason_create(pipeline=small, name="Too slow")
    assert "name" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        lost_reason_create(pipeline=small, name="  ")
    assert "name" in excinfo.value.message_dict

    # when
    lost_reason_delete(lost_reason=first)

    # then
    assert list(LostReason.objects.filter(pipeline=small)) == [second]
