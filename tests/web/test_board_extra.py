"""The deals board: totals per currency, and swimlanes per owner (``?group=owner``)."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Role
from crm.models import TimelineEvent, Verb
from pipelines.models import Deal, Pipeline, Stage
from pipelines.services.deals import deal_create
from pipelines.services.pipelines import pipeline_create
from pipelines.web.board import PAGE_SIZE, UNASSIGNED, format_totals
from tests.factories import DealFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


@pytest.fixture
def pipeline(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


def stage_named(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


def board_url(pipeline: Pipeline) -> str:
    return reverse("board", args=[pipeline.pk])


def move(client, deal, stage, **data):
    return client.post(
        reverse("board_move", args=[deal.pk]),
        {"stage_id": str(stage.pk), **data},
        HTTP_ACCEPT="application/json",
    )


def column_total(html: str, dom_id: str) -> str:
    """The total shown in the column whose element ids start with ``dom_id``."""
    start = html.index(f'id="{dom_id}-name"')
    return re.search(r"data-column-total>([^<]*)<", html[start:]).group(1)


def lane_titles(html: str, lane: str) -> set[str]:
    start = html.index(f'data-lane-row data-lane="{lane}"')
    end = html.find("data-lane-row", start + 1)
    return set(re.findall(r'data-title="([^"]+)"', html[start : end if end != -1 else None]))


# --- Totals per currency -------------------------------------------------------------------------


def test_format_totals_puts_the_workspace_currency_first():
    assert format_totals({"GBP": 3100, "USD": 12400, "EUR": None}, "USD") == "$12,400 · £3,100"
    assert format_totals({"CHF": 900, "EUR": 50}, "USD") == "CHF 900 · €50"  # then by code
    assert format_totals({}, "EUR") == "€0"


def test_mixed_currency_column_shows_a_total_per_currency(signed_in, workspace, actor, pipeline):
    # given two dollar deals and a pound deal in one stage, and pounds only in another
    lead, proposal = stage_named(pipeline, "Lead in"), stage_named(pipeline, "Proposal")
    for amount in (10000, 2400):
        deal_create(workspace=workspace, actor=actor, title=f"USD {amount}", amount=amount)
    deal_create(workspace=workspace, actor=actor, title="GBP", amount=3100, currency="GBP")
    deal_create(
        workspace=workspace, actor=actor, title="Pounds", stage=proposal, amount=5, currency="GBP"
    )
    DealFactory(workspace=workspace, stage=proposal, amount=None, currency="EUR")
    # when
    html = signed_in.get(board_url(pipeline)).content.decode()
    # then the sums are never added across currencies
    assert column_total(html, f"stage-{lead.pk}") == "$12,400 · £3,100"
    assert column_total(html, f"stage-{proposal.pk}") == "£5"
    assert column_total(html, f"stage-{stage_named(pipeline, 'Won').pk}") == "$0"
    assert "$15,500" not in html


def test_a_move_returns_per_currency_totals(signed_in, workspace, actor, pipeline):
    lead, qualified = stage_named(pipeline, "Lead in"), stage_named(pipeline, "Qualified")
    deal_create(workspace=workspace, actor=actor, title="Stays", amount=100, currency="EUR")
    deal_create(workspace=workspace, actor=actor, title="There", stage=qualified, amount=700)
    moving = deal_create(workspace=workspace, actor=actor, title="Moving", amount=250)
    # when the dollar deal joins the other dollar deal
    body = json.loads(move(signed_in, moving, qualified).content)
    # then
    columns = {column["stage"]: column for column in body["columns"]}
    assert columns[str(lead.pk)] == {"stage": str(lead.pk), "count": 1, "total": "€100"}
    assert columns[str(qualified.pk)]["total"] == "$950"
    # and a pound deal joining shows beside the dollars
    pounds = deal_create(
        workspace=workspace, actor=actor, title="Pounds", amount=40, currency="GBP"
    )
    body = json.loads(move(signed_in, pounds, qualified).content)
    columns = {column["stage"]: column for column in body["columns"]}
    assert columns[str(qualified.pk)] == {
        "stage": str(qualified.pk),
        "count": 3,
        "total": "$950 · £40",
    }


# --- Lanes per owner -----------------------------------------------------------------------------


@pytest.fixture
def owned(workspace, actor, user, member):
    """Two deals of the signed-in user, one of a member, one without an owner."""
    return {
        "mine": deal_create(workspace=workspace, actor=actor, title="Mine", owner=user, amount=10),
        "mine_gbp": deal_create(
            workspace=workspace, actor=actor, title="Mine GBP", owner=user, amount=5, currency="GBP"
        ),
        "theirs": deal_create(
            workspace=workspace, actor=actor, title="Theirs", owner=member, amount=20
        ),
        "nobody": deal_create(workspace=workspace, actor=actor, title="Nobody", amount=30),
    }


def test_group_by_owner_shows_a_lane_per_owner(signed_in, pipeline, owned, user, member):
    # when
    response = signed_in.get(board_url(pipeline), {"group": "owner"})
    # then
    assert response.status_code == 200
    html = response.content.decode()
    lanes = re.findall(r'data-lane-row data-lane="([^"]+)"', html)
    assert lanes == [str(user.pk), str(member.pk), UNASSIGNED]  # mine first, unassigned last
    assert lane_titles(html, str(user.pk)) == {"Mine", "Mine GBP"}
    assert lane_titles(html, str(member.pk)) == {"Theirs"}
    assert lane_titles(html, UNASSIGNED) == {"Nobody"}
    lead = stage_named(pipeline, "Lead in")
    assert column_total(html, f"lane-{user.pk}-stage-{lead.pk}") == "$10 · £5"
    assert ">2 deals<" in html and "Unassigned" in html
    assert 'aria-current="page">Owner' in html
    # the filters and the switcher keep the grouping
    assert 'name="group" value="owner"' in html


def test_group_by_owner_with_an_owner_filter_shows_that_lane(signed_in, pipeline, owned, member):
    html = signed_in.get(board_url(pipeline), {"group": "owner", "owner": "me"}).content.decode()
    assert re.findall(r"data-lane-row data-lane=", html) == ["data-lane-row data-lane="]
    assert "Theirs" not in html
    # Clear filters keeps the grouping
    assert f'href="{board_url(pipeline)}?group=owner">Clear filters' in html


def test_an_unknown_group_is_the_stage_board(signed_in, pipeline, owned):
    html = signed_in.get(board_url(pipeline), {"group": "nonsense"}).content.decode()
    assert "data-lane-row" not in html
    assert 'aria-current="page">Stage' in html


def test_drag_within_a_lane_moves_the_stage_and_keeps_the_owner(signed_in, pipeline, owned, user):
    qualified = stage_named(pipeline, "Qualified")
    deal = owned["mine"]
    response = move(signed_in, deal, qualified, group="owner", lane=str(user.pk))
    assert response.status_code == 200
    body = json.loads(response.content)
    deal.refresh_from_db()
    assert (deal.stage_id, deal.owner_id) == (qualified.pk, user.pk)
    cells = {(c["lane"], c["stage"]): c for c in body["columns"]}
    assert cells[(str(user.pk), str(qualified.pk))]["count"] == 1
    lanes = {lane["lane"]: lane for lane in body["lanes"]}
    assert lanes == {str(user.pk): {"lane": str(user.pk), "count": 2, "total": "$10 · £5"}}


def test_drag_to_another_lane_hands_the_deal_over(signed_in, pipeline, owned, user, member):
    # when my deal is dropped in the member's lane, in another stage
    proposal = stage_named(pipeline, "Proposal")
    deal = owned["mine"]
    response = move(signed_in, deal, proposal, group="owner", lane=str(member.pk))
    # then both the stage and the owner change, each on the timeline
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage_id, deal.owner_id) == (proposal.pk, member.pk)
    verbs = set(TimelineEvent.objects.filter(subject_id=deal.pk).values_list("verb", flat=True))
    assert {Verb.STAGE_CHANGED, Verb.UPDATED} <= verbs
    body = json.loads(response.content)
    assert body["lane"] == str(member.pk)
    lanes = {lane["lane"]: lane for lane in body["lanes"]}
    assert lanes[str(user.pk)]["count"] == 1 and lanes[str(user.pk)]["total"] == "£5"
    assert lanes[str(member.pk)]["count"] == 2 and lanes[str(member.pk)]["total"] == "$30"
    cells = {(c["lane"], c["stage"]): c["count"] for c in body["columns"]}
    lead = stage_named(pipeline, "Lead in")
    assert cells[(str(member.pk), str(proposal.pk))] == 1
    assert cells[(str(user.pk), str(lead.pk))] == 1
    # and to the unassigned lane
    move(signed_in, deal, proposal, group="owner", lane=UNASSIGNED)
    deal.refresh_from_db()
    assert deal.owner_id is None


def test_drag_to_a_former_members_lane_is_refused(signed_in, workspace, pipeline, owned):
    # given a deal owned by someone who has left the workspace
    former = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    left = DealFactory(workspace=workspace, stage=stage_named(pipeline, "Lead in"), owner=former)
    Membership.objects.filter(user=former, workspace=workspace).delete()
    html = signed_in.get(board_url(pipeline), {"group": "owner"}).content.decode()
    assert f'data-lane="{former.pk}" data-lane-locked' in html
    # when another deal is dropped in their lane
    deal = owned["mine"]
    response = move(signed_in, deal, deal.stage, group="owner", lane=str(former.pk))
    # then nothing changes
    assert response.status_code == 400
    assert "Not a member" in json.loads(response.content)["error"]
    deal.refresh_from_db()
    assert deal.owner_id != former.pk
    # while their own deal still moves along their lane
    qualified = stage_named(pipeline, "Qualified")
    assert move(signed_in, left, qualified, group="owner", lane=str(former.pk)).status_code == 200


def test_the_move_to_form_on_a_lane_board_keeps_the_owner(signed_in, pipeline, owned, user):
    won = stage_named(pipeline, "Won")
    back = board_url(pipeline) + "?group=owner"
    deal = owned["theirs"]
    response = signed_in.post(
        reverse("board_move", args=[deal.pk]), {"stage_id": str(won.pk), "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    deal.refresh_from_db()
    assert deal.stage_id == won.pk and deal.owner_id != user.pk


def test_lane_columns_load_in_pages(signed_in, workspace, pipeline, user):
    stage = stage_named(pipeline, "Lead in")
    for index in range(PAGE_SIZE + 3):
        DealFactory(workspace=workspace, stage=stage, owner=user, title=f"Deal {index:03}")
    DealFactory(workspace=workspace, stage=stage, owner=None, title="Unowned")
    html = signed_in.get(board_url(pipeline), {"group": "owner"}).content.decode()
    more = re.search(r'hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"lane={user.pk}" in more and "group=owner" in more
    assert f'hx-target="#lane-{user.pk}-stage-{stage.pk}-list"' in html
    page = signed_in.get(more, headers={"HX-Request": "true"}).content.decode()
    assert page.count('<li class="deal-card') == 3
    assert "Unowned" not in page
    assert f'id="lane-{user.pk}-stage-{stage.pk}-more" hx-swap-oob="true"' in page
    # without a lane the page of a grouped board is not found
    no_lane = re.sub(r"lane=[^&]+&?", "", more)
    assert signed_in.get(no_lane, headers={"HX-Request": "true"}).status_code == 404


def test_viewer_sees_lanes_but_cannot_move(client, workspace, pipeline, owned):
    viewer = UserFactory()
    MembershipFactory(workspace=workspace, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    html = client.get(board_url(pipeline), {"group": "owner"}).content.decode()
    assert "data-lane-row" in html and "data-can-move" not in html
    response = client.post(
        reverse("board_move", args=[owned["mine"].pk]),
        {"stage_id": str(owned["mine"].stage_id), "group": "owner", "lane": UNASSIGNED},
    )
    assert response.status_code == 403
    assert Deal.objects.get(pk=owned["mine"].pk).owner_id is not None


def test_another_workspaces_board_is_404_when_grouped(signed_in, other_workspace):
    theirs = Pipeline.objects.for_workspace(other_workspace).get(is_default=True)
    assert signed_in.get(board_url(theirs), {"group": "owner"}).status_code == 404


def _fill(workspace, pipeline, count):
    stages = list(pipeline.stages.filter(kind="open"))
    owners = [m.user for m in Membership.objects.filter(workspace=workspace)]
    for index in range(count):
        DealFactory(
            workspace=workspace,
            stage=stages[index % len(stages)],
            owner=owners[index % len(owners)] if index % 3 else None,
            currency=["USD", "EUR", "GBP"][index % 3],
            position=index,
        )


def test_lane_board_query_count_does_not_grow(signed_in, workspace, pipeline, member):
    _fill(workspace, pipeline, 10)
    url = board_url(pipeline) + "?group=owner"
    signed_in.get(url)  # the first request also settles the session
    with CaptureQueriesContext(connection) as small:
        assert signed_in.get(url).status_code == 200
    _fill(workspace, pipeline, 190)
    with CaptureQueriesContext(connection) as large:
        response = signed_in.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('<li class="deal-card') > 150
    assert len(large) == len(small)


def test_a_pipeline_without_stages_says_where_to_add_them(signed_in, workspace):
    empty = pipeline_create(workspace=workspace, name="Fresh", stages=[])
    for params in ({}, {"group": "owner"}):
        response = signed_in.get(board_url(empty), params)
        assert response.status_code == 200
        html = response.content.decode()
        assert "This pipeline has no stages yet" in html
        assert f'href="{reverse("settings:pipelines")}#pipeline-{empty.pk}"' in html
