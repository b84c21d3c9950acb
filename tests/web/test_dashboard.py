"""The dashboard page: the API's figures on a known dataset, the pipeline switcher, the user's
due tasks and a fixed number of queries."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from crm.services.contacts import contact_create
from pipelines.models import Deal, Pipeline
from pipelines.services.deals import deal_create, deal_move
from tests.factories import (
    ContactFactory,
    DealFactory,
    MembershipFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


def default_pipeline(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


@pytest.fixture
def deals(workspace, actor):
    """Lead in: A 1000, B 2000, a EUR deal (counted, not summed); C moved on to Proposal;
    one won (3000) and one lost (700) this month; one won 400 days ago."""
    stages = {s.name: s for s in default_pipeline(workspace).stages.all()}

    def make(title, amount, *path, currency=None):
        deal = deal_create(
            workspace=workspace,
            actor=actor,
            title=title,
            stage=stages["Lead in"],
            amount=amount,
            currency=currency,
        )
        for name in path:
            deal = deal_move(deal=deal, actor=actor, stage=stages[name])
        return deal

    make("A", 1000)
    make("B", 2000)
    make("Euro deal", 500, currency="EUR")
    make("C", 4000, "Qualified", "Proposal")
    make("Won deal", 3000, "Won")
    make("Lost deal", 700, "Lost")
    old = make("Won last year", 9000, "Won")
    Deal.objects.filter(pk=old.pk).update(closed_at=timezone.now() - datetime.timedelta(days=400))


def chart_data(response) -> dict:
    html = response.content.decode()
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html)
    assert match, "no chart data"
    return json.loads(match.group(1))


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1).strip()


def test_dashboard_renders_empty_workspace(signed_in):
    response = signed_in.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-stages"' in html
    assert 'id="chart-contacts"' in html
    assert "Nothing due today" in html
    assert "No activity yet" in html
    assert 'aria-current="page"' in html and ">Dashboard<" in html


def test_dashboard_figures_match_known_deals(signed_in, deals):
    response = signed_in.get("/dashboard/")
    html = response.content.decode()
    data = chart_data(response)["stages"]
    values = dict(zip(data["labels"], data["values"], strict=True))
    counts = dict(zip(data["labels"], data["counts"], strict=True))
    assert values["Lead in"] == 3000.0  # the EUR deal is not summed
    assert counts["Lead in"] == 3
    assert values["Proposal"] == 4000.0
    assert figure(html, "won-count") == "1"
    assert figure(html, "won-value") == "3,000.00 USD"
    assert figure(html, "lost-count") == "1"
    assert figure(html, "lost-value") == "700.00 USD"
    # Conversion: 7 deals entered "Lead in"; 3 moved on (C to Qualified, the two won deals).
    row = re.search(r'data-conversion="Lead in">(.*?)</tr>', html, flags=re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == ["7", "3", "43%"]


def test_dashboard_same_figures_as_api(signed_in, deals, workspace):
    from crm.dashboard import dashboard_get

    figures = dashboard_get(workspace=workspace, user=None)
    data = chart_data(signed_in.get("/dashboard/"))["stages"]
    assert data["values"] == [float(row["value"]) for row in figures["pipeline_value_by_stage"]]


def test_dashboard_new_contacts_per_week(signed_in, workspace, actor):
    for n in range(3):
        contact_create(workspace=workspace, actor=actor, first_name=f"New{n}")
    data = chart_data(signed_in.get("/dashboard/"))["newContacts"]
    assert len(data["counts"]) == 12
    assert data["counts"][-1] == 3


def test_pipeline_switcher(signed_in, workspace):
    other = PipelineFactory(workspace=workspace, name="Partnerships")
    stage = StageFactory(pipeline=other, name="Talking")
    DealFactory(workspace=workspace, stage=stage, amount=1234)
    html = signed_in.get("/dashboard/").content.decode()
    assert 'name="pipeline"' in html and "Partnerships" in html
    response = signed_in.get("/dashboard/", {"pipeline": str(other.pk)})
    assert response.status_code == 200
    data = chart_data(response)["stages"]
    assert data["labels"] == ["Talking"]
    assert data["values"] == [1234.0]


def test_other_workspace_pipeline_is_404(signed_in, other_workspace):
    theirs = default_pipeline(other_workspace)
    assert signed_in.get("/dashboard/", {"pipeline": str(theirs.pk)}).status_code == 404
    assert signed_in.get("/dashboard/", {"pipeline": "nope"}).status_code == 404


def test_my_tasks_due_today_and_overdue(signed_in, user, workspace, member):
    now = timezone.now()
    TaskFactory(
        workspace=workspace,
        assignee=user,
        title="Call the bank",
        due_at=now - datetime.timedelta(days=2),
    )
    TaskFactory(
        workspace=workspace,
        assignee=user,
        title="Someone else's",
        due_at=now,
        assignee_id=member.pk,
    )
    TaskFactory(
        workspace=workspace,
        assignee=user,
        title="Done already",
        due_at=now - datetime.timedelta(hours=1),
        completed_at=now,
    )
    TaskFactory(
        workspace=workspace,
        assignee=user,
        title="Next month",
        due_at=now + datetime.timedelta(days=40),
    )
    html = signed_in.get("/dashboard/").content.decode()
    assert "Call the bank" in html
    assert "Someone else" not in html
    assert "Done already" not in html
    assert "Next month" not in html
    assert 'action="/tasks/' in html  # one-click complete


def test_viewer_sees_no_complete_buttons(client, workspace):
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    TaskFactory(
        workspace=workspace,
        assignee=viewer,
        title="Read only",
        due_at=timezone.now() - datetime.timedelta(hours=1),
    )
    client.force_login(viewer)
    html = client.get("/dashboard/").content.decode()
    assert "Read only" in html
    assert "/complete/" not in html


def test_dashboard_csp_clean(signed_in, deals):
    response = signed_in.get("/dashboard/")
    html = response.content.decode()
    assert not re.search(r"<[a-z][^>]*\sstyle=", html)
    assert "<style" not in html


def test_dashboard_requires_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302


def _fill(workspace, user, actor, n: int) -> None:
    stage = default_pipeline(workspace).stages.order_by("position").first()
    for i in range(n):
        contact = ContactFactory(workspace=workspace)
        DealFactory(workspace=workspace, stage=stage, amount=100 + i)
        TaskFactory(
            workspace=workspace,
            assignee=user,
            due_at=timezone.now() - datetime.timedelta(hours=i + 1),
            subject_type="contact",
            subject_id=contact.pk,
        )
    for i in range(min(n, 20)):
        contact_create(workspace=workspace, actor=actor, first_name=f"Event{i}")


def _count(client) -> int:
    client.get("/dashboard/")  # the first request of a session also saves the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/").status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow(signed_in, workspace, user, actor):
    _fill(workspace, user, actor, 10)
    small = _count(signed_in)
    _fill(workspace, user, actor, 190)
    assert _count(signed_in) == small
