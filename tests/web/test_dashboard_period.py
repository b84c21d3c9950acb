"""The dashboard's period switcher (``?period=``) and its figures in other currencies."""

from __future__ import annotations

import datetime
import json
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Contact
from pipelines.models import Deal, Pipeline, StageHistory
from pipelines.services.deals import deal_create, deal_move
from pipelines.web.dashboard import PERIODS, period_get
from tests.factories import ContactFactory, DealFactory, PipelineFactory, StageFactory

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


def stages(workspace) -> dict:
    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    return {stage.name: stage for stage in pipeline.stages.all()}


def chart_data(html: str) -> dict:
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html)
    assert match, "no chart data"
    return json.loads(match.group(1))


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1).strip()


def last_month_day(now: datetime.datetime) -> datetime.datetime:
    """Noon on the 10th of the month before ``now``'s (UTC)."""
    first = now.replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    return (first - datetime.timedelta(days=1)).replace(day=10)


@pytest.fixture
def closed(workspace, actor):
    """Won this month: 3000 USD and 200 EUR; lost this month: 700 USD; won last month: 900
    USD and 50 GBP, each having entered Lead in that month and moved on."""
    by_name = stages(workspace)
    now = timezone.now()
    before = last_month_day(now)

    def make(title, amount, stage, currency=None, when=None):
        deal = deal_create(
            workspace=workspace,
            actor=actor,
            title=title,
            stage=by_name["Lead in"],
            amount=amount,
            currency=currency,
        )
        deal = deal_move(deal=deal, actor=actor, stage=by_name[stage])
        if when is not None:
            Deal.objects.filter(pk=deal.pk).update(closed_at=when)
            history = StageHistory.objects.filter(deal=deal)
            later = when + datetime.timedelta(hours=1)
            history.filter(stage=by_name["Lead in"]).update(entered_at=when, left_at=later)
            history.filter(stage=by_name[stage]).update(entered_at=later)
        return deal

    make("Won now", 3000, "Won")
    make("Won in euros", 200, "Won", currency="EUR")
    make("Lost now", 700, "Lost")
    make("Won before", 900, "Won", when=before)
    make("Won before in pounds", 50, "Won", currency="GBP", when=before)


def test_period_bounds():
    now = datetime.datetime(2026, 5, 20, 15, 30, tzinfo=UTC)

    def bounds(key):
        period = period_get(key, now, UTC)
        return period.first_day.isoformat(), period.last_day.isoformat()

    assert bounds("this_month") == ("2026-05-01", "2026-05-31")
    assert bounds("last_month") == ("2026-04-01", "2026-04-30")
    assert bounds("this_quarter") == ("2026-04-01", "2026-06-30")
    assert bounds("last_30_days") == ("2026-04-21", "2026-05-20")
    assert bounds("this_year") == ("2026-01-01", "2026-12-31")
    assert period_get("decade", now, UTC).key == "this_month"
    january = datetime.datetime(2026, 1, 5, tzinfo=UTC)
    assert period_get("last_month", january, UTC).first_day == datetime.date(2025, 12, 1)


def test_period_bounds_follow_the_workspace_time_zone():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    # 20:00 UTC on 31 May is already 1 June in Tokyo
    now = datetime.datetime(2026, 5, 31, 20, 0, tzinfo=UTC)
    period = period_get("this_month", now, tokyo)
    assert period.first_day == datetime.date(2026, 6, 1)
    assert period.start == datetime.datetime(2026, 6, 1, tzinfo=tokyo)


def test_the_default_period_is_this_month_with_a_switcher(signed_in):
    html = signed_in.get("/dashboard/").content.decode()
    current = re.findall(r'id="period-(\w+)"[^>]*aria-current="page"', html)
    assert current == ["this_month"]
    for label, _ in PERIODS.values():
        assert f">{label}</a>" in html
    assert 'href="/dashboard/?period=last_month"' in html
    assert 'hx-get="/dashboard/?period=last_month"' in html and 'hx-push-url="true"' in html
    assert "Won this month" in html


def test_won_and_lost_follow_the_period(signed_in, closed):
    html = signed_in.get("/dashboard/").content.decode()
    assert figure(html, "won-count") == "2"  # every currency is counted …
    assert figure(html, "won-value") == "3,000.00 USD"  # … the workspace's is summed …
    assert figure(html, "won-other") == "and 200.00 EUR"  # … the others beside it
    assert figure(html, "lost-count") == "1"
    assert 'data-figure="lost-other"' not in html

    html = signed_in.get("/dashboard/", {"period": "last_month"}).content.decode()
    assert "Won last month" in html
    assert figure(html, "won-count") == "2"
    assert figure(html, "won-value") == "900.00 USD"
    assert figure(html, "won-other") == "and 50.00 GBP"
    assert figure(html, "lost-count") == "0"

    html = signed_in.get("/dashboard/", {"period": "this_year"}).content.decode()
    now = timezone.now()
    expected = "4" if last_month_day(now).year == now.year else "2"
    assert figure(html, "won-count") == expected


def test_conversion_follows_the_period(signed_in, closed):
    def lead_in(params):
        html = signed_in.get("/dashboard/", params).content.decode()
        row = re.search(r'data-conversion="Lead in">(.*?)</tr>', html, flags=re.S).group(1)
        return re.findall(r'<td class="num">([^<]*)</td>', row)

    assert lead_in({}) == ["3", "2", "67%"]  # entered this month: two won, one lost
    assert lead_in({"period": "last_month"}) == ["2", "2", "100%"]
    assert lead_in({"period": "last_30_days"})[0] in {"3", "5"}  # the 10th may be in range


def test_new_contacts_follow_the_period(signed_in, workspace):
    now = timezone.now()
    ContactFactory.create_batch(3, workspace=workspace)
    old = ContactFactory(workspace=workspace)
    Contact.objects.filter(pk=old.pk).update(created_at=last_month_day(now))

    html = signed_in.get("/dashboard/").content.decode()
    assert figure(html, "new-contacts") == "3"
    data = chart_data(html)["newContacts"]
    assert len(data["counts"]) == len(data["inPeriod"]) == 12
    assert data["counts"][-1] >= 3 and data["inPeriod"][-1] is True
    assert data["inPeriod"][0] is False  # twelve weeks back is not this month

    html = signed_in.get("/dashboard/", {"period": "last_month"}).content.decode()
    assert figure(html, "new-contacts") == "1"
    data = chart_data(html)["newContacts"]
    assert sum(data["counts"]) >= 1 and any(data["inPeriod"])

    data = chart_data(signed_in.get("/dashboard/", {"period": "this_year"}).content.decode())
    weeks_so_far = (now.date() - datetime.date(now.year, 1, 1)).days // 7 + 1
    assert len(data["newContacts"]["counts"]) >= min(weeks_so_far, 12)


def test_other_currencies_are_listed_per_stage_not_summed(signed_in, workspace, actor):
    lead = stages(workspace)["Lead in"]
    deal_create(workspace=workspace, actor=actor, title="A", stage=lead, amount=1000)
    deal_create(workspace=workspace, actor=actor, title="B", stage=lead, amount=500, currency="EUR")
    deal_create(workspace=workspace, actor=actor, title="C", stage=lead, amount=20, currency="GBP")
    html = signed_in.get("/dashboard/").content.decode()
    assert ">Other currencies</th>" in html
    row = re.search(r'<tr data-stage="Lead in">(.*?)</tr>', html, flags=re.S).group(1)
    assert "1,000.00" in row and "500.00 EUR · 20.00 GBP" in row
    assert "1,520" not in html
    assert chart_data(html)["stages"]["values"][0] == 1000.0


def test_no_other_currency_column_without_other_currencies(signed_in, workspace, actor):
    deal_create(workspace=workspace, actor=actor, title="A", amount=1000)
    assert "Other currencies" not in signed_in.get("/dashboard/").content.decode()


def test_an_unknown_period_is_this_month(signed_in):
    response = signed_in.get("/dashboard/", {"period": "decade"})
    assert response.status_code == 200
    assert re.search(r'id="period-this_month"[^>]*aria-current="page"', response.content.decode())


def test_htmx_gets_the_dashboard_partial(signed_in, closed):
    response = signed_in.get(
        "/dashboard/", {"period": "last_month"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="dashboard" id="dashboard">')
    assert "<html" not in html and "sidebar" not in html
    assert figure(html, "won-value") == "900.00 USD"
    assert chart_data(html)["period"] == "Last month"
    assert re.search(r'id="period-last_month"[^>]*aria-current="page"', html)


def test_the_pipeline_and_the_period_keep_each_other(signed_in, workspace):
    other = PipelineFactory(workspace=workspace, name="Partnerships")
    StageFactory(pipeline=other, name="Talking")
    html = signed_in.get(
        "/dashboard/", {"pipeline": str(other.pk), "period": "this_quarter"}
    ).content.decode()
    assert '<input type="hidden" name="period" value="this_quarter">' in html
    assert f'href="/dashboard/?pipeline={other.pk}&amp;period=last_month"' in html
    assert f'href="/dashboard/?pipeline={other.pk}"' in html  # this month: the default


def test_another_workspaces_pipeline_is_404_with_a_period(signed_in, other_workspace):
    theirs = Pipeline.objects.for_workspace(other_workspace).get(is_default=True)
    response = signed_in.get("/dashboard/", {"pipeline": str(theirs.pk), "period": "this_year"})
    assert response.status_code == 404


def test_the_dashboard_is_read_only(signed_in):
    assert signed_in.post("/dashboard/", {"period": "this_year"}).status_code == 405


def _fill(workspace, n: int) -> None:
    by_name = stages(workspace)
    now = timezone.now()
    for i in range(n):
        ContactFactory(workspace=workspace)
        DealFactory(workspace=workspace, stage=by_name["Lead in"], amount=10 + i)
        DealFactory(
            workspace=workspace,
            stage=by_name["Won"],
            status="won",
            closed_at=now,
            amount=5,
            currency=["EUR", "GBP", "USD"][i % 3],
        )


@pytest.mark.parametrize("period", ["this_year", "last_30_days"])
def test_query_count_does_not_grow(signed_in, workspace, period):
    def count() -> int:
        signed_in.get("/dashboard/", {"period": period})
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get("/dashboard/", {"period": period}).status_code == 200
        return len(queries)

    _fill(workspace, 10)
    small = count()
    _fill(workspace, 190)
    assert count() == small
