"""/api/v1/dashboard: deal, task and contact figures from SQL aggregates."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.dashboard import dashboard_get, period_bounds, workspace_tz
from crm.models import Contact
from pipelines.models import Deal, Pipeline, Stage
from pipelines.services.deals import deal_create, deal_move
from pipelines.services.pipelines import pipeline_create
from tests.api.conftest import assert_error
from tests.factories import ContactFactory, DealFactory, PipelineFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def stages_of(pipeline: Pipeline) -> dict[str, Stage]:
    return {stage.name: stage for stage in pipeline.stages.all()}


def default_pipeline(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


def dashboard(client, **params) -> dict:
    response = client.get("/api/v1/dashboard", params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def deals(workspace, actor):
    """A known set of deals in the default pipeline (stages: Lead in 10 %, Qualified 25 %,
    Proposal 50 %, Negotiation 75 %, Won, Lost)."""
    stages = stages_of(default_pipeline(workspace))

    def make(title, amount, *path, currency=None, probability=None):
        deal = deal_create(
            workspace=workspace,
            actor=actor,
            title=title,
            stage=stages["Lead in"],
            amount=amount,
            currency=currency,
            probability=probability,
        )
        for name in path:
            deal = deal_move(deal=deal, actor=actor, stage=stages[name])
        return deal

    made = {
        "a": make("A", 1000),  # Lead in
        "b": make("B", 2000),  # Lead in
        "eur": make("Euro deal", 500, currency="EUR"),  # Lead in, other currency
        # Lead in → Qualified → Proposal
        "c": make("C", 4000, "Qualified", "Proposal", probability=20),
        "won": make("Won deal", 3000, "Won"),  # Lead in → Won
        "lost": make("Lost deal", 700, "Lost"),  # Lead in → Lost
        "won_old": make("Won last year", 9000, "Won"),
    }
    Deal.objects.filter(pk=made["won_old"].pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=400)
    )
    return made


def test_pipeline_value_by_stage(reader, workspace, deals):
    body = dashboard(reader)
    rows = {row["stage"]: row for row in body["pipeline_value_by_stage"]}
    assert [row["stage"] for row in body["pipeline_value_by_stage"]] == [
        "Lead in",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    pipeline = default_pipeline(workspace)
    assert rows["Lead in"] == {
        "pipeline_id": str(pipeline.pk),
        "stage_id": str(stages_of(pipeline)["Lead in"].pk),
        "stage": "Lead in",
        "kind": "open",
        "deal_count": 3,  # every currency is counted
        "value": "3000.00",  # USD only (the workspace's currency)
        "weighted_value": "300.00",  # 10 %
    }
    assert rows["Qualified"]["deal_count"] == 0 and rows["Qualified"]["value"] == "0.00"
    assert rows["Proposal"]["weighted_value"] == "800.00"  # the deal's own 20 %
    assert rows["Won"]["deal_count"] == 2 and rows["Won"]["value"] == "12000.00"
    assert rows["Lost"]["kind"] == "lost"
    assert body["currency"] == "USD"
    assert body["pipeline"] == {"id": str(pipeline.pk), "name": pipeline.name}


def test_won_and_lost_this_period(reader, deals):
    body = dashboard(reader)
    assert body["won_this_period"] == {"count": 1, "value": "3000.00", "currency": "USD"}
    assert body["lost_this_period"] == {"count": 1, "value": "700.00", "currency": "USD"}
    year = dashboard(reader, period="year")
    assert year["won_this_period"]["count"] == 1
    assert year["period"]["name"] == "year"


def test_conversion_by_stage(reader, deals):
    body = dashboard(reader)
    rows = {row["stage"]: row for row in body["conversion_by_stage"]}
    assert list(rows) == ["Lead in", "Qualified", "Proposal", "Negotiation"]
    # 7 entered Lead in; C went on to Qualified, two went on to Won; Lost is no progress.
    assert rows["Lead in"]["entered"] == 7
    assert rows["Lead in"]["advanced"] == 3
    assert rows["Lead in"]["rate"] == pytest.approx(3 / 7, abs=1e-4)
    assert rows["Qualified"] == {**rows["Qualified"], "entered": 1, "advanced": 1, "rate": 1.0}
    assert rows["Proposal"] == {**rows["Proposal"], "entered": 1, "advanced": 0, "rate": 0.0}
    assert rows["Negotiation"] == {**rows["Negotiation"], "entered": 0, "rate": None}


def test_tasks_due_today_and_overdue_for_the_workspace(reader, workspace):
    now = timezone.now()
    tomorrow = now.astimezone(workspace_tz(workspace)) + datetime.timedelta(days=1)
    later_today = min(
        now + datetime.timedelta(minutes=5),
        datetime.datetime.combine(tomorrow.date(), datetime.time(), tzinfo=tomorrow.tzinfo)
        - datetime.timedelta(seconds=1),
    )
    TaskFactory(workspace=workspace, due_at=now - datetime.timedelta(days=2))
    TaskFactory(workspace=workspace, due_at=now - datetime.timedelta(minutes=1))
    TaskFactory(workspace=workspace, due_at=later_today)
    TaskFactory(workspace=workspace, due_at=now + datetime.timedelta(days=3))
    TaskFactory(workspace=workspace, due_at=None)
    TaskFactory(workspace=workspace, due_at=now - datetime.timedelta(days=1), completed_at=now)
    TaskFactory(workspace=workspace, due_at=now - datetime.timedelta(days=1), archived_at=now)
    assert dashboard(reader)["tasks"] == {"due_today": 1, "overdue": 2, "assignee": None}


def test_tasks_of_the_signed_in_user_only(workspace, user):
    now = timezone.now()
    TaskFactory(workspace=workspace, assignee=user, due_at=now - datetime.timedelta(days=1))
    TaskFactory(
        workspace=workspace, assignee=UserFactory(), due_at=now - datetime.timedelta(days=1)
    )
    figures = dashboard_get(workspace=workspace, user=user)
    assert figures["tasks"]["overdue"] == 1
    assert figures["tasks"]["assignee"] == str(user.pk)


def test_new_contacts_per_week_zero_filled(reader, workspace, other_workspace):
    now = timezone.now()
    ContactFactory.create_batch(2, workspace=workspace)
    three_weeks_ago = ContactFactory(workspace=workspace)
    too_old = ContactFactory(workspace=workspace)
    ContactFactory(workspace=other_workspace)
    Contact.objects.filter(pk=three_weeks_ago.pk).update(
        created_at=now - datetime.timedelta(weeks=3)
    )
    Contact.objects.filter(pk=too_old.pk).update(created_at=now - datetime.timedelta(weeks=13))
    weeks = dashboard(reader)["new_contacts_per_week"]
    assert len(weeks) == 12
    today = now.astimezone(workspace_tz(workspace)).date()
    monday = today - datetime.timedelta(days=today.weekday())
    assert weeks[-1] == {"week": monday.isoformat(), "count": 2}
    assert weeks[-4] == {"week": (monday - datetime.timedelta(weeks=3)).isoformat(), "count": 1}
    assert sum(week["count"] for week in weeks) == 3
    assert weeks[0]["week"] == (monday - datetime.timedelta(weeks=11)).isoformat()


def test_period_bounds_follow_the_workspace_time_zone():
    import zoneinfo

    tz = zoneinfo.ZoneInfo("Europe/Berlin")
    now = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)  # Dec 1st in Berlin
    start, end = period_bounds("month", now, tz)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-12-01T00:00:00+01:00",
        "2027-01-01T00:00:00+01:00",
    )
    start, end = period_bounds("quarter", now, tz)
    assert (start.month, end.year, end.month) == (10, 2027, 1)


def test_period_is_reported_in_utc(reader, workspace):
    workspace.timezone = "America/New_York"
    workspace.save(update_fields=["timezone"])
    period = dashboard(reader, period="quarter")["period"]
    assert period["name"] == "quarter" and period["timezone"] == "America/New_York"
    assert period["start"].endswith("Z") and period["end"].endswith("Z")
    assert period["start"][11:13] in {"04", "05"}  # local midnight


def test_another_pipeline_by_id(reader, workspace, actor):
    other = pipeline_create(workspace=workspace, name="Partners")
    deal_create(workspace=workspace, actor=actor, title="P", pipeline=other, amount=50)
    body = dashboard(reader, pipeline=str(other.pk))
    assert body["pipeline"]["id"] == str(other.pk)
    assert sum(row["deal_count"] for row in body["pipeline_value_by_stage"]) == 1


def test_pipeline_of_another_workspace_is_404(reader, other_workspace):
    foreign = default_pipeline(other_workspace)
    assert_error(reader.get(f"/api/v1/dashboard?pipeline={foreign.pk}"), 404)
    assert_error(reader.get(f"/api/v1/dashboard?pipeline={PipelineFactory().pk}"), 404)


def test_invalid_parameters_are_400_naming_them(reader):
    assert_error(reader.get("/api/v1/dashboard?period=decade"), 400, field="period")
    assert_error(reader.get("/api/v1/dashboard?pipeline=nope"), 400, field="pipeline")


def test_missing_scope_is_403_naming_it(make_client):
    body = assert_error(make_client("contacts:read").get("/api/v1/dashboard"), 403)
    assert "deals:read" in body["message"]


def test_no_credential_is_401(anonymous):
    assert_error(anonymous.get("/api/v1/dashboard"), 401)


def test_query_count_does_not_grow_with_rows(reader, workspace):
    reader.get("/api/v1/me")  # the key's last_used_at is written once, on first use
    won = Stage.objects.for_workspace(workspace).get(pipeline__is_default=True, kind="won")

    def queries(n: int) -> int:
        now = timezone.now()
        for _ in range(n):
            DealFactory(workspace=workspace)
            DealFactory(workspace=workspace, stage=won, status="won", closed_at=now)
            ContactFactory(workspace=workspace)
            TaskFactory(workspace=workspace, due_at=now - datetime.timedelta(hours=1))
        with CaptureQueriesContext(connection) as captured:
            body = dashboard(reader)
        assert body["won_this_period"]["count"] == n + (3 if n == 30 else 0)
        return len(captured)

    assert queries(3) == queries(30)
