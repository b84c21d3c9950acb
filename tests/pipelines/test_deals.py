"""Deals: create, update, move on the board, delete, the people on them, and their history."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership
from crm.models import Note, TimelineEvent, Verb
from crm.services.activity import note_create
from pipelines.models import Deal, DealContact, Pipeline, Stage, StageHistory
from pipelines.services.deals import (
    deal_contact_add,
    deal_contact_remove,
    deal_contact_update,
    deal_create,
    deal_delete,
    deal_move,
    deal_update,
    deals_move_all,
)
from pipelines.services.pipelines import pipeline_create
from tests.factories import CompanyFactory, ContactFactory, CustomFieldFactory

pytestmark = pytest.mark.django_db


def events(record, verb: str | None = None) -> list[TimelineEvent]:
    queryset = TimelineEvent.objects.filter(subject_id=record.pk)
    if verb is not None:
        queryset = queryset.filter(verb=verb)
    return list(queryset.order_by("created_at"))


def titles_in(stage: Stage) -> list[str]:
    return list(
        Deal.objects.filter(stage=stage).order_by("position").values_list("title", flat=True)
    )


def assert_contiguous(*stages: Stage) -> None:
    for stage in stages:
        positions = list(
            Deal.objects.filter(stage=stage).order_by("position").values_list("position", flat=True)
        )
        assert positions == list(range(len(positions))), stage.name


def history(deal: Deal) -> list[StageHistory]:
    return list(StageHistory.objects.filter(deal=deal).order_by("entered_at"))


@pytest.fixture
def sales(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


@pytest.fixture
def stages(sales) -> dict[str, Stage]:
    return {stage.name: stage for stage in sales.stages.all()}


@pytest.fixture
def other_pipeline(workspace) -> Pipeline:
    return pipeline_create(
        workspace=workspace,
        name="Partners",
        stages=[{"name": "Intro"}, {"name": "Signed", "kind": "won"}],
    )


@pytest.fixture
def board(workspace, actor, stages) -> dict[str, Deal]:
    """A1..A4 in "Lead in", B1..B2 in "Qualified"."""
    deals = {}
    for stage_name, titles in (("Lead in", ["A1", "A2", "A3", "A4"]), ("Qualified", ["B1", "B2"])):
        for title in titles:
            deals[title] = deal_create(
                workspace=workspace, actor=actor, title=title, stage=stages[stage_name]
            )
    return deals


# --- deal_create ---------------------------------------------------------------------------------


def test_deal_create_goes_to_the_default_pipelines_first_open_stage(workspace, actor, user, stages):
    # when
    deal = deal_create(workspace=workspace, actor=actor, title="  Big one ", amount="1200.50")

    # then
    deal.refresh_from_db()
    assert deal.title == "Big one"
    assert (deal.pipeline, deal.stage) == (stages["Lead in"].pipeline, stages["Lead in"])
    assert (deal.status, deal.closed_at, deal.position) == ("open", None, 0)
    assert deal.amount == decimal.Decimal("1200.50")
    assert deal.currency == "USD"  # the workspace's
    [entry] = history(deal)
    assert (entry.stage, entry.stage_name, entry.from_stage, entry.left_at, entry.actor) == (
        stages["Lead in"],
        "Lead in",
        None,
        None,
        user,
    )
    assert entry.entered_at == deal.stage_entered_at
    [created] = events(deal)
    assert created.verb == Verb.CREATED
    assert created.subject_type == "deal"
    assert created.data == {"title": "Big one", "stage": "Lead in"}


def test_deals_are_added_at_the_end_of_their_stage(workspace, actor, board, stages):
    assert titles_in(stages["Lead in"]) == ["A1", "A2", "A3", "A4"]
    assert titles_in(stages["Qualified"]) == ["B1", "B2"]
    assert_contiguous(stages["Lead in"], stages["Qualified"])


def test_deal_create_in_a_pipeline_uses_its_first_open_stage(workspace, actor, other_pipeline):
    deal = deal_create(workspace=workspace, actor=actor, title="D", pipeline=other_pipeline.pk)
    assert deal.stage == other_pipeline.stages.get(name="Intro")


def test_deal_create_in_a_won_stage_is_closed(workspace, actor, stages):
    deal = deal_create(workspace=workspace, actor=actor, title="D", stage=stages["Won"])
    assert deal.status == "won"
    assert deal.closed_at is not None


def test_deal_create_in_a_lost_stage_keeps_the_reason(workspace, actor, stages):
    # when
    lost = deal_create(
        workspace=workspace, actor=actor, title="D", stage=stages["Lost"], lost_reason=" Price "
    )
    open_ = deal_create(
        workspace=workspace, actor=actor, title="E", stage=stages["Proposal"], lost_reason="Price"
    )

    # then
    assert (lost.status, lost.lost_reason) == ("lost", "Price")
    assert lost.closed_at is not None
    assert open_.lost_reason == ""


def test_deal_create_with_people_company_tags_and_custom_fields(workspace, actor, member):
    # given
    company = CompanyFactory(workspace=workspace)
    ada, bob = ContactFactory(workspace=workspace), ContactFactory(workspace=workspace)
    CustomFieldFactory(workspace=workspace, object_type="deal", key="seats", type="number")

    # when
    deal = deal_create(
        workspace=workspace,
        actor=actor,
        title="D",
        company=company.pk,
        owner=member,
        currency="eur",
        probability=40,
        expected_close_date=datetime.date(2026, 6, 30),
        contacts=[{"id": str(ada.pk), "role": " Champion "}, bob.pk],
        tags=["Q3"],
        custom_fields={"seats": "25"},
    )

    # then
    deal.refresh_from_db()
    assert (deal.company, deal.owner, deal.currency, deal.probability) == (
        company,
        member,
        "EUR",
        40,
    )
    assert set(DealContact.objects.filter(deal=deal).values_list("contact_id", "role")) == {
        (ada.pk, "Champion"),
        (bob.pk, ""),
    }
    assert [t.name for t in deal.tags.all()] == ["Q3"]
    assert deal.custom_fields == {"seats": 25}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "  "}, "title"),
        ({"amount": -1}, "amount"),
        ({"amount": "a lot"}, "amount"),
        ({"probability": 101}, "probability"),
        ({"currency": "US1"}, "currency"),
        ({"currency": "DOLLARS"}, "currency"),
        ({"stage": uuid.uuid4()}, "stage"),
        ({"pipeline": uuid.uuid4()}, "pipeline"),
        ({"company": uuid.uuid4()}, "company"),
        ({"contacts": [uuid.uuid4()]}, "contacts"),
        ({"contacts": ["not-a-uuid"]}, "contacts"),
        ({"contacts": "x"}, "contacts"),
        ({"custom_fields": {"nope": 1}}, "custom_fields.nope"),
        ({"tags": [" "]}, "tags"),
    ],
)
def test_deal_create_validation_writes_nothing(workspace, actor, kwargs, field):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        deal_create(workspace=workspace, actor=actor, **{"title": "D", **kwargs})
    assert field in excinfo.value.message_dict
    assert not Deal.objects.exists()
    assert not StageHistory.objects.exists()
    assert not TimelineEvent.objects.filter(subject_type="deal").exists()


def test_deal_create_refuses_a_stage_outside_the_given_pipeline(
    workspace, actor, stages, other_pipeline
):
    with pytest.raises(ValidationError) as excinfo:
        deal_create(
            workspace=workspace,
            actor=actor,
            title="D",
            pipeline=other_pipeline,
            stage=stages["Won"],
        )
    assert "stage" in excinfo.value.message_dict


def test_deal_create_refuses_another_workspaces_ids(workspace, actor, other_workspace):
    # given
    foreign_stage = Stage.objects.for_workspace(other_workspace).first()
    foreign_pipeline = foreign_stage.pipeline
    foreign_company = CompanyFactory(workspace=other_workspace)
    foreign_contact = ContactFactory(workspace=other_workspace)
    outsider = Membership.objects.get(workspace=other_workspace).user

    # when / then
    for kwargs, field in (
        ({"stage": foreign_stage.pk}, "stage"),
        ({"pipeline": foreign_pipeline.pk}, "pipeline"),
        ({"company": foreign_company.pk}, "company"),
        ({"contacts": [{"id": foreign_contact.pk}]}, "contacts"),
        ({"owner": outsider.pk}, "owner"),
    ):
        with pytest.raises(ValidationError) as excinfo:
            deal_create(workspace=workspace, actor=actor, title="D", **kwargs)
        assert field in excinfo.value.message_dict
    assert not Deal.objects.exists()
    assert not DealContact.objects.exists()


# --- deal_update ---------------------------------------------------------------------------------


def test_deal_update_records_each_change(workspace, actor, member, stages):
    # given a deal as loaded from the database
    deal = deal_create(workspace=workspace, actor=actor, title="D", amount=1000)
    deal = Deal.objects.get(pk=deal.pk)
    company = CompanyFactory(workspace=workspace)
    ada = ContactFactory(workspace=workspace)

    # when
    deal_update(
        deal=deal,
        actor=actor,
        data={
            "title": " Bigger ",
            "amount": "2500.00",
            "currency": "gbp",
            "probability": 70,
            "expected_close_date": datetime.date(2026, 9, 1),
            "owner": member.pk,
            "company": company.pk,
            "contacts": [{"id": ada.pk, "role": "Buyer"}],
            "tags": ["hot"],
        },
    )

    # then
    deal.refresh_from_db()
    assert (deal.title, deal.amount, deal.currency, deal.company, deal.owner) == (
        "Bigger",
        decimal.Decimal("2500.00"),
        "GBP",
        company,
        member,
    )
    [updated] = events(deal, Verb.UPDATED)
    assert updated.changes == [
        {"field": "title", "from": "D", "to": "Bigger"},
        {"field": "amount", "from": "1000.00", "to": "2500.00"},
        {"field": "currency", "from": "USD", "to": "GBP"},
        {"field": "probability", "from": None, "to": 70},
        {"field": "expected_close_date", "from": None, "to": "2026-09-01"},
        {"field": "owner", "from": None, "to": str(member.pk)},
        {"field": "company", "from": None, "to": str(company.pk)},
        {"field": "contacts", "from": [], "to": [str(ada.pk)]},
        {"field": "tags", "from": [], "to": ["hot"]},
    ]
    assert deal.stage == stages["Lead in"]


def test_deal_update_without_changes_writes_nothing(workspace, actor, sales):
    # given
    deal = deal_create(workspace=workspace, actor=actor, title="D", amount=1000)

    # when the same values are given, and the deal's own pipeline echoed back
    deal_update(
        deal=deal,
        actor=actor,
        data={"title": "D", "amount": "1000", "pipeline": sales.pk, "contacts": [], "tags": []},
    )

    # then
    assert events(deal, Verb.UPDATED) == []
    assert Deal.objects.get(pk=deal.pk).stage == deal.stage


def test_deal_update_naming_its_own_pipeline_does_not_move_it(workspace, actor, stages, sales):
    # given a deal past the first stage
    deal = deal_create(workspace=workspace, actor=actor, title="D", stage=stages["Proposal"])

    # when
    deal = deal_update(deal=deal, actor=actor, data={"pipeline": str(sales.pk), "title": "E"})

    # then
    deal.refresh_from_db()
    assert (deal.stage, deal.title) == (stages["Proposal"], "E")
    assert events(deal, Verb.STAGE_CHANGED) == []


def test_deal_update_with_a_stage_is_a_move(workspace, actor, stages):
    # given
    deal = deal_create(workspace=workspace, actor=actor, title="D")

    # when
    deal = deal_update(
        deal=deal, actor=actor, data={"stage": stages["Lost"].pk, "lost_reason": "Timing"}
    )

    # then
    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.lost_reason) == (stages["Lost"], "lost", "Timing")
    assert deal.closed_at is not None
    [moved] = events(deal, Verb.STAGE_CHANGED)
    assert moved.data["lost_reason"] == "Timing"
    assert [h.stage_name for h in history(deal)] == ["Lead in", "Lost"]


def test_deal_update_with_another_pipeline_moves_to_its_first_open_stage(
    workspace, actor, other_pipeline
):
    # given
    deal = deal_create(workspace=workspace, actor=actor, title="D")

    # when
    deal_update(deal=deal, actor=actor, data={"pipeline": other_pipeline.pk})

    # then
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage.name) == (other_pipeline, "Intro")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"amount": -5}, "amount"),
        ({"probability": 150}, "probability"),
        ({"currency": "u$d"}, "currency"),
        ({"currency": None}, "currency"),
        ({"stage": uuid.uuid4()}, "stage"),
        ({"company": uuid.uuid4()}, "company"),
        ({"contacts": [uuid.uuid4()]}, "contacts"),
        ({"custom_fields": {"ghost": 1}}, "custom_fields.ghost"),
    ],
)
def test_deal_update_validation_writes_nothing(workspace, actor, stages, data, field):
    # given
    deal = deal_create(workspace=workspace, actor=actor, title="D", amount=10)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        deal_update(deal=deal, actor=actor, data={"lost_reason": "x", **data})
    assert field in excinfo.value.message_dict
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.title, fresh.amount, fresh.currency, fresh.stage) == (
        "D",
        decimal.Decimal("10.00"),
        "USD",
        stages["Lead in"],
    )
    assert events(deal, Verb.UPDATED) == []


def test_deal_update_refuses_another_workspaces_ids(workspace, actor, other_workspace, stages):
    # given
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    foreign_stage = Stage.objects.for_workspace(other_workspace).last()
    foreign_company = CompanyFactory(workspace=other_workspace)
    foreign_contact = ContactFactory(workspace=other_workspace)
    outsider = Membership.objects.get(workspace=other_workspace).user

    # when / then
    for data, field in (
        ({"stage": foreign_stage.pk}, "stage"),
        ({"pipeline": foreign_stage.pipeline_id}, "pipeline"),
        ({"company": foreign_company.pk}, "company"),
        ({"contacts": [foreign_contact.pk]}, "contacts"),
        ({"owner": outsider}, "owner"),
    ):
        with pytest.raises(ValidationError) as excinfo:
            deal_update(deal=deal, actor=actor, data={"title": "Changed", **data})
        assert field in excinfo.value.message_dict
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.title, fresh.stage, fresh.company, fresh.owner) == (
        "D",
        stages["Lead in"],
        None,
        None,
    )
    assert not DealContact.objects.exists()
    assert events(deal, Verb.UPDATED) == []
    assert not Deal.objects.filter(stage=foreign_stage).exists()


# --- deal_move -----------------------------------------------------------------------------------


def test_move_down_within_a_stage(workspace, actor, board, stages):
    # when
    moved = deal_move(deal=board["A1"], actor=actor, stage=stages["Lead in"], position=2)

    # then
    assert moved.position == 2
    assert titles_in(stages["Lead in"]) == ["A2", "A3", "A1", "A4"]
    assert_contiguous(stages["Lead in"])
    assert events(board["A1"], Verb.STAGE_CHANGED) == []
    assert len(history(board["A1"])) == 1


def test_move_up_within_a_stage(workspace, actor, board, stages):
    # when
    deal_move(deal=board["A4"], actor=actor, stage=stages["Lead in"], position=1)

    # then
    assert titles_in(stages["Lead in"]) == ["A1", "A4", "A2", "A3"]
    assert_contiguous(stages["Lead in"])


def test_move_within_a_stage_clamps_the_position(workspace, actor, board, stages):
    # when
    deal_move(deal=board["A2"], actor=actor, stage=stages["Lead in"], position=99)
    deal_move(deal=board["A3"], actor=actor, stage=stages["Lead in"], position=-3)

    # then
    assert titles_in(stages["Lead in"]) == ["A3", "A1", "A4", "A2"]
    assert_contiguous(stages["Lead in"])


def test_move_to_the_same_place_does_nothing(workspace, actor, board, stages):
    # given
    before = Deal.objects.get(pk=board["A2"].pk).updated_at

    # when
    deal_move(deal=board["A2"], actor=actor, stage=stages["Lead in"], position=1)

    # then
    assert Deal.objects.get(pk=board["A2"].pk).updated_at == before
    assert titles_in(stages["Lead in"]) == ["A1", "A2", "A3", "A4"]


def test_move_across_stages_keeps_both_contiguous_and_records_it(
    workspace, actor, user, board, stages
):
    # given
    deal = board["A2"]
    entered = Deal.objects.get(pk=deal.pk).stage_entered_at

    # when
    moved = deal_move(deal=deal, actor=actor, stage=stages["Qualified"], position=1)

    # then
    assert titles_in(stages["Lead in"]) == ["A1", "A3", "A4"]
    assert titles_in(stages["Qualified"]) == ["B1", "A2", "B2"]
    assert_contiguous(stages["Lead in"], stages["Qualified"])
    moved.refresh_from_db()
    assert (moved.stage, moved.status, moved.position) == (stages["Qualified"], "open", 1)
    assert moved.stage_entered_at > entered
    first, second = history(deal)
    assert first.left_at == second.entered_at == moved.stage_entered_at
    assert (second.stage, second.from_stage, second.left_at, second.actor) == (
        stages["Qualified"],
        stages["Lead in"],
        None,
        user,
    )
    [event] = events(deal, Verb.STAGE_CHANGED)
    assert event.data == {
        "from_stage": "Lead in",
        "from_stage_id": str(stages["Lead in"].pk),
        "to_stage": "Qualified",
        "to_stage_id": str(stages["Qualified"].pk),
    }
    assert event.actor == user


def test_move_across_stages_defaults_to_the_end(workspace, actor, board, stages):
    deal_move(deal=board["A1"], actor=actor, stage=stages["Qualified"])
    assert titles_in(stages["Qualified"]) == ["B1", "B2", "A1"]
    assert titles_in(stages["Lead in"]) == ["A2", "A3", "A4"]
    assert_contiguous(stages["Lead in"], stages["Qualified"])


def test_move_into_an_empty_stage_and_out_again(workspace, actor, board, stages):
    # when
    deal_move(deal=board["B1"], actor=actor, stage=stages["Proposal"], position=5)
    deal_move(deal=board["B2"], actor=actor, stage=stages["Proposal"], position=0)

    # then
    assert titles_in(stages["Proposal"]) == ["B2", "B1"]
    assert titles_in(stages["Qualified"]) == []
    assert_contiguous(stages["Proposal"])


def test_move_to_another_pipeline(workspace, actor, board, stages, other_pipeline):
    # given
    signed = other_pipeline.stages.get(name="Signed")

    # when
    moved = deal_move(deal=board["A3"], actor=actor, stage=signed, position=0)

    # then
    moved.refresh_from_db()
    assert (moved.pipeline, moved.stage, moved.status, moved.position) == (
        other_pipeline,
        signed,
        "won",
        0,
    )
    assert moved.closed_at is not None
    assert titles_in(stages["Lead in"]) == ["A1", "A2", "A4"]
    assert_contiguous(stages["Lead in"], signed)
    [event] = events(moved, Verb.STAGE_CHANGED)
    assert event.data["to_pipeline"] == "Partners"


def test_won_and_lost_close_the_deal_and_reopening_clears(workspace, actor, board, stages):
    # given
    deal = board["A1"]

    # when won
    deal = deal_move(deal=deal, actor=actor, stage=stages["Won"])

    # then
    assert (deal.status, deal.lost_reason) == ("won", "")
    won_at = deal.closed_at
    assert won_at is not None

    # when lost, with a reason
    deal = deal_move(deal=deal, actor=actor, stage=stages["Lost"], lost_reason=" Price ")

    # then closed_at is kept and the reason recorded
    assert (deal.status, deal.closed_at, deal.lost_reason) == ("lost", won_at, "Price")
    assert events(deal, Verb.STAGE_CHANGED)[-1].data["lost_reason"] == "Price"

    # when moved back to an open stage
    deal = deal_move(deal=deal, actor=actor, stage=stages["Negotiation"])

    # then
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.status, fresh.closed_at, fresh.lost_reason) == ("open", None, "")
    entries = history(deal)
    assert [h.stage_name for h in entries] == ["Lead in", "Won", "Lost", "Negotiation"]
    assert all(h.left_at is not None for h in entries[:-1])
    assert entries[-1].left_at is None
    assert len(events(deal, Verb.STAGE_CHANGED)) == 3


def test_move_refuses_another_workspaces_stage(workspace, actor, board, stages, other_workspace):
    # given
    foreign = Stage.objects.for_workspace(other_workspace).first()

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        deal_move(deal=board["A1"], actor=actor, stage=foreign, position=0)
    assert "stage_id" in excinfo.value.message_dict
    assert titles_in(stages["Lead in"]) == ["A1", "A2", "A3", "A4"]
    assert not Deal.objects.filter(stage=foreign).exists()
    assert len(history(board["A1"])) == 1


def test_many_moves_keep_every_stage_contiguous(workspace, actor, board, stages):
    # given
    moves = [
        ("A1", "Qualified", 0),
        ("B2", "Lead in", 0),
        ("A3", "Lead in", 3),
        ("B1", "Proposal", None),
        ("A4", "Qualified", 1),
        ("A2", "Proposal", 0),
        ("B2", "Lead in", 1),
    ]

    # when
    for title, stage_name, position in moves:
        deal_move(
            deal=Deal.objects.get(title=title),
            actor=actor,
            stage=stages[stage_name],
            position=position,
        )

    # then
    assert_contiguous(*stages.values())
    assert Deal.objects.count() == 6


def test_deals_move_all_appends_in_order(workspace, actor, board, stages):
    # when
    count = deals_move_all(source=stages["Qualified"], target=stages["Lead in"], actor=actor)

    # then
    assert count == 2
    assert titles_in(stages["Lead in"]) == ["A1", "A2", "A3", "A4", "B1", "B2"]
    assert_contiguous(stages["Lead in"])
    assert len(events(board["B1"], Verb.STAGE_CHANGED)) == 1


# --- deal_delete ---------------------------------------------------------------------------------


def test_deal_delete_closes_the_gap_and_removes_attachments(workspace, actor, board, stages):
    # given
    note_create(
        workspace=workspace, actor=actor, subject_type="deal", subject_id=board["A2"].pk, body="n"
    )

    # when
    deal_delete(deal=board["A2"], actor=actor)

    # then
    assert titles_in(stages["Lead in"]) == ["A1", "A3", "A4"]
    assert_contiguous(stages["Lead in"])
    assert not Note.objects.filter(subject_id=board["A2"].pk).exists()
    assert not TimelineEvent.objects.filter(subject_id=board["A2"].pk).exists()
    assert not StageHistory.objects.filter(deal_id=board["A2"].pk).exists()


# --- People on a deal ----------------------------------------------------------------------------


def test_deal_contact_add_update_remove(workspace, actor):
    # given
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    ada = ContactFactory(workspace=workspace, first_name="Ada", last_name="L")

    # when
    link = deal_contact_add(deal=deal, contact=ada, actor=actor, role=" Champion ")

    # then
    assert link.role == "Champion"
    assert events(deal, Verb.CONTACT_LINKED)[0].data == {"name": "Ada L", "role": "Champion"}
    assert events(ada, Verb.CONTACT_LINKED)[0].data == {"deal": "D", "role": "Champion"}

    # when
    deal_contact_update(link=link, actor=actor, role="Decision maker")

    # then
    assert DealContact.objects.get(pk=link.pk).role == "Decision maker"
    [updated] = events(deal, Verb.UPDATED)
    assert updated.changes == [
        {"field": f"contacts.{ada.pk}.role", "from": "Champion", "to": "Decision maker"}
    ]

    # when
    deal_contact_remove(link=link, actor=actor)

    # then
    assert not DealContact.objects.exists()
    assert events(deal, Verb.CONTACT_UNLINKED)[0].data == {"name": "Ada L"}


def test_deal_contact_add_refuses_duplicates_and_other_workspaces(
    workspace, actor, other_workspace
):
    # given
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    ada = ContactFactory(workspace=workspace)
    deal_contact_add(deal=deal, contact=ada, actor=actor)
    foreign = ContactFactory(workspace=other_workspace)

    # when / then
    for contact in (ada, foreign):
        with pytest.raises(ValidationError) as excinfo:
            deal_contact_add(deal=deal, contact=contact, actor=actor)
        assert "contact_id" in excinfo.value.message_dict
    assert DealContact.objects.count() == 1
    assert not events(foreign)
