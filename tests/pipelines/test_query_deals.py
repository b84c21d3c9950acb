"""The query language on deals: the fields pipelines registers into crm.query."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from accounts.services.common import Actor
from crm.query import QueryError, compile_query, query_fields
from crm.services.companies import company_create
from crm.services.contacts import contact_create
from crm.services.custom_fields import custom_field_create
from pipelines.models import Deal, Pipeline
from pipelines.query_fields import DEAL_FIELDS
from pipelines.services.deals import deal_create
from pipelines.services.pipelines import pipeline_create

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def titles(expression: Any, workspace, *, user=None, now=NOW) -> set[str]:
    q = compile_query(expression, object_type="deal", workspace=workspace, user=user, now=now)
    rows = list(Deal.objects.for_workspace(workspace).filter(q).values_list("title", flat=True))
    assert len(rows) == len(set(rows)), "duplicate rows"
    return set(rows)


@pytest.fixture
def board(workspace, actor, user, member) -> dict[str, Any]:
    """Three deals in the default pipeline (open, won, lost) and one in a second pipeline."""
    custom_field_create(
        workspace=workspace,
        object_type="deal",
        key="region",
        label="Region",
        type="select",
        options=["emea", "amer"],
    )
    custom_field_create(
        workspace=workspace, object_type="deal", key="seats", label="Seats", type="number"
    )
    sales = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    stages = {
        kind: sales.stages.filter(kind=kind).order_by("position").first()
        for kind in ("open", "won", "lost")
    }
    partners = pipeline_create(workspace=workspace, name="Partners")
    acme = company_create(workspace=workspace, actor=actor, name="Ácme", domain="acme.io")
    ana = contact_create(workspace=workspace, actor=actor, first_name="Ana")
    bob = contact_create(workspace=workspace, actor=actor, first_name="Bob")
    renewal = deal_create(
        workspace=workspace,
        actor=actor,
        title="Acme renewal",
        stage=stages["open"].pk,
        amount="12000.00",
        currency="EUR",
        probability=40,
        expected_close_date=datetime.date(2026, 4, 15),
        owner=user.pk,
        company=acme.pk,
        contacts=[ana.pk, {"id": bob.pk, "role": "champion"}],
        tags=["Expansion", "q2"],
        custom_fields={"region": "emea", "seats": 50},
    )
    won = deal_create(
        workspace=workspace,
        actor=actor,
        title="Čarbon pilot",
        stage=stages["won"].pk,
        amount=500,
        probability=100,
        expected_close_date=datetime.date(2026, 3, 10),
        owner=member.pk,
        contacts=[bob.pk],
        tags=["q2"],
        custom_fields={"region": "amer"},
    )
    lost = deal_create(
        workspace=workspace,
        actor=actor,
        title="Lost cause",
        stage=stages["lost"].pk,
        lost_reason="Price",
    )
    side = deal_create(workspace=workspace, actor=actor, title="Side deal", pipeline=partners.pk)
    Deal.objects.filter(pk=won.pk).update(closed_at=datetime.datetime(2026, 3, 10, tzinfo=UTC))
    Deal.objects.filter(pk=lost.pk).update(closed_at=datetime.datetime(2025, 11, 2, tzinfo=UTC))
    Deal.objects.filter(pk=side.pk).update(
        created_at=datetime.datetime(2025, 1, 1, tzinfo=UTC),
        stage_entered_at=datetime.datetime(2025, 1, 1, tzinfo=UTC),
    )
    return {
        "sales": sales,
        "partners": partners,
        "stages": stages,
        "acme": acme,
        "ana": ana,
        "bob": bob,
        "deals": {"renewal": renewal, "won": won, "lost": lost, "side": side},
    }


EVERY = {"Acme renewal", "Čarbon pilot", "Lost cause", "Side deal"}


def test_registered_from_pipelines_ready():
    registered = query_fields("deal")
    assert set(registered) == {f.name for f in DEAL_FIELDS}
    assert {
        "id",
        "title",
        "pipeline",
        "stage",
        "status",
        "amount",
        "currency",
        "probability",
        "expected_close_date",
        "closed_at",
        "stage_entered_at",
        "owner",
        "company",
        "company_name",
        "contact",
        "tags",
        "created_at",
        "updated_at",
        "any",
    } <= set(registered)


def test_text_fields(workspace, board):
    assert titles({"title": {"contains": "CAR"}}, workspace) == {"Čarbon pilot"}
    assert titles({"title": {"starts_with": "acme"}}, workspace) == {"Acme renewal"}
    assert titles({"currency": {"is": "eur"}}, workspace) == {"Acme renewal"}
    assert titles({"lost_reason": {"is_empty": False}}, workspace) == {"Lost cause"}
    assert titles({"company_name": {"contains": "acme"}}, workspace) == {"Acme renewal"}
    assert titles({"company_name": {"is_empty": True}}, workspace) == EVERY - {"Acme renewal"}


def test_any_covers_title_and_company(workspace, board):
    assert titles({"any": {"contains": "acme"}}, workspace) == {"Acme renewal"}
    assert titles({"any": {"contains": "čar"}}, workspace) == {"Čarbon pilot"}


def test_ids_of_pipeline_stage_company(workspace, board):
    assert titles({"pipeline": {"is": str(board["partners"].pk)}}, workspace) == {"Side deal"}
    assert titles({"pipeline": {"is_not": str(board["partners"].pk)}}, workspace) == EVERY - {
        "Side deal"
    }
    won_stage = board["stages"]["won"]
    assert titles({"stage": {"in": [str(won_stage.pk)]}}, workspace) == {"Čarbon pilot"}
    assert titles({"company": {"is": str(board["acme"].pk)}}, workspace) == {"Acme renewal"}
    assert titles({"company": {"is_empty": True}}, workspace) == EVERY - {"Acme renewal"}
    with pytest.raises(QueryError, match="'stage'"):
        compile_query({"stage": {"is": "won"}}, object_type="deal", workspace=workspace)


def test_status(workspace, board):
    assert titles({"status": {"is": "open"}}, workspace) == {"Acme renewal", "Side deal"}
    assert titles({"status": {"in": ["won", "lost"]}}, workspace) == {
        "Čarbon pilot",
        "Lost cause",
    }
    with pytest.raises(QueryError, match="'status'"):
        compile_query({"status": {"is": "closed"}}, object_type="deal", workspace=workspace)


def test_numbers(workspace, board):
    assert titles({"amount": {"gte": 500}}, workspace) == {"Acme renewal", "Čarbon pilot"}
    assert titles({"amount": {"range": {"gt": 500, "lte": 12000}}}, workspace) == {"Acme renewal"}
    assert titles({"amount": {"is_empty": True}}, workspace) == {"Lost cause", "Side deal"}
    assert titles({"probability": {"lt": 100}}, workspace) >= {"Acme renewal"}
    assert "Čarbon pilot" not in titles({"probability": {"lt": 100}}, workspace)


def test_dates(workspace, board):
    assert titles({"expected_close_date": {"gt": "2026-03-31"}}, workspace) == {"Acme renewal"}
    assert titles({"expected_close_date": {"is": "2026-03-10"}}, workspace) == {"Čarbon pilot"}
    assert titles(
        {"expected_close_date": {"in_the_last": {"unit": "month", "quantity": 1}}}, workspace
    ) == {"Čarbon pilot"}
    assert titles({"expected_close_date": {"is_empty": True}}, workspace) == {
        "Lost cause",
        "Side deal",
    }
    assert titles({"closed_at": {"in_the_last": {"unit": "month", "quantity": 1}}}, workspace) == {
        "Čarbon pilot"
    }
    assert titles(
        {"closed_at": {"not_in_the_last": {"unit": "month", "quantity": 1}}}, workspace
    ) == EVERY - {"Čarbon pilot"}
    assert titles({"stage_entered_at": {"lt": "2026-01-01"}}, workspace) == {"Side deal"}
    assert titles(
        {"created_at": {"in_the_last": {"unit": "year", "quantity": 1}}},
        workspace,
        now=datetime.datetime(2025, 6, 1, tzinfo=UTC),
    ) == {"Side deal"}
    with pytest.raises(QueryError, match="'expected_close_date'"):
        compile_query(
            {"expected_close_date": {"is": "2026-03-10T10:00:00Z"}},
            object_type="deal",
            workspace=workspace,
        )


def test_owner(workspace, board, user, member):
    assert titles({"owner": {"is": "me"}}, workspace, user=member) == {"Čarbon pilot"}
    assert titles({"owner": {"is": "unassigned"}}, workspace) == {"Lost cause", "Side deal"}


def test_contact_through_deal_contacts_without_duplicates(workspace, board):
    ana, bob = board["ana"], board["bob"]
    assert titles({"contact": {"is": str(bob.pk)}}, workspace) == {
        "Acme renewal",
        "Čarbon pilot",
    }
    # The renewal has both: one row, not two.
    assert titles({"contact": {"in": [str(ana.pk), str(bob.pk)]}}, workspace) == {
        "Acme renewal",
        "Čarbon pilot",
    }
    assert titles({"contact": {"is_not": str(ana.pk)}}, workspace) == EVERY - {"Acme renewal"}
    assert titles({"contact": {"is_empty": True}}, workspace) == {"Lost cause", "Side deal"}


def test_tags(workspace, board):
    assert titles({"tags": {"has": "Q2"}}, workspace) == {"Acme renewal", "Čarbon pilot"}
    assert titles({"tags": {"has": ["q2", "expansion"]}}, workspace) == {"Acme renewal"}
    assert titles({"tags": {"is_empty": True}}, workspace) == {"Lost cause", "Side deal"}


def test_custom_fields_of_deals(workspace, board):
    assert titles({"custom.region": {"is": "emea"}}, workspace) == {"Acme renewal"}
    assert titles({"custom.region": {"is_empty": True}}, workspace) == {"Lost cause", "Side deal"}
    assert titles({"custom.seats": {"gte": 10}}, workspace) == {"Acme renewal"}
    with pytest.raises(QueryError, match=r"Unknown custom field 'custom\.plan' for deals\."):
        compile_query({"custom.plan": {"is": "x"}}, object_type="deal", workspace=workspace)


def test_unknown_field_names_deals(workspace):
    with pytest.raises(QueryError, match=r"Unknown field 'first_name' for deals\."):
        compile_query({"first_name": {"is": "x"}}, object_type="deals", workspace=workspace)


def test_other_workspace_deals_never_match(workspace, other_workspace, board):
    other_actor = Actor(user=other_workspace.memberships.first().user)
    deal_create(workspace=other_workspace, actor=other_actor, title="Acme renewal elsewhere")
    q = compile_query({"title": {"contains": "acme"}}, object_type="deal", workspace=workspace)
    assert set(Deal.objects.for_workspace(workspace).filter(q).values_list("title", flat=True)) == {
        "Acme renewal"
    }
