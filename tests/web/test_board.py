"""The deals board page: columns, cards, filters, paging, and moving deals."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from crm.models import TimelineEvent, Verb
from pipelines.models import Deal, LostReason, Pipeline, Stage, StageHistory
from pipelines.services.deals import deal_create
from pipelines.services.pipelines import pipeline_create
from pipelines.web.board import PAGE_SIZE
from tests.factories import CompanyFactory, DealFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


@pytest.fixture
def pipeline(workspace):
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


def stage_named(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


def board_url(pipeline: Pipeline) -> str:
    return reverse("board", args=[pipeline.pk])


def column_html(html: str, stage: Stage) -> str:
    """The markup of one stage's column."""
    start = html.index(f'data-stage="{stage.pk}" data-stage-kind')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_pipelines_redirects_to_the_default_board(signed_in, pipeline):
    response = signed_in.get("/pipelines/")
    assert response.status_code == 302
    assert response["Location"] == board_url(pipeline)


def test_board_shows_columns_cards_and_totals(signed_in, workspace, actor, pipeline, user):
    # given
    acme = CompanyFactory(workspace=workspace, name="Acme Corp")
    qualified = stage_named(pipeline, "Qualified")
    deal_create(
        workspace=workspace,
        actor=actor,
        title="Big renewal",
        stage=qualified,
        amount="12500",
        company=acme,
        owner=user,
    )
    deal_create(workspace=workspace, actor=actor, title="Add-on", stage=qualified, amount="500.5")
    # when
    response = signed_in.get(board_url(pipeline))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    for stage in pipeline.stages.all():
        assert f'id="stage-{stage.pk}-name">{stage.name}</h2>' in html
    column = column_html(html, qualified)
    assert "Big renewal" in column and "Add-on" in column
    assert "Acme Corp" in column
    assert ">$12,500<" in column
    assert ">$13,000.50<" in column  # the column's total
    assert re.search(r"data-column-count[^>]*>2<", column)
    assert ">OO<" in column  # Olive Owner's initials
    assert "Today" in column
    assert "Move to…" in column
    assert "data-can-move" in html
    assert "Sortable.min.js" in html and "board.js" in html


def test_board_marks_rotting_deals(signed_in, workspace, pipeline):
    stage = stage_named(pipeline, "Proposal")
    stage.rotting_days = 7
    stage.save(update_fields=["rotting_days"])
    long_ago = timezone.now() - datetime.timedelta(days=20)
    DealFactory(workspace=workspace, stage=stage, title="Stale one", stage_entered_at=long_ago)
    DealFactory(workspace=workspace, stage=stage, title="Fresh one")
    html = signed_in.get(board_url(pipeline)).content.decode()
    stale = re.search(r'<li class="deal-card([^"]*)"[^>]*data-title="Stale one"', html)
    fresh = re.search(r'<li class="deal-card([^"]*)"[^>]*data-title="Fresh one"', html)
    assert "deal-card--rotting" in stale.group(1)
    assert "deal-card--rotting" not in fresh.group(1)
    assert "20 days" in html


def test_board_filters_by_owner_and_tag(signed_in, workspace, actor, pipeline, user, member):
    deal_create(workspace=workspace, actor=actor, title="Mine tagged", owner=user, tags=["vip"])
    deal_create(workspace=workspace, actor=actor, title="Mine plain", owner=user)
    deal_create(workspace=workspace, actor=actor, title="Theirs", owner=member)
    deal_create(workspace=workspace, actor=actor, title="Nobody")
    url = board_url(pipeline)

    def titles(params):
        html = signed_in.get(url, params).content.decode()
        return set(re.findall(r'data-title="([^"]+)"', html))

    assert titles({}) == {"Mine tagged", "Mine plain", "Theirs", "Nobody"}
    assert titles({"owner": "me"}) == {"Mine tagged", "Mine plain"}
    assert titles({"owner": "unassigned"}) == {"Nobody"}
    assert titles({"owner": str(member.pk)}) == {"Theirs"}
    assert titles({"tag": "VIP"}) == {"Mine tagged"}
    assert titles({"owner": "nonsense"}) == titles({})


def test_pipeline_switcher_lists_the_other_pipelines(signed_in, workspace, pipeline):
    other = pipeline_create(workspace=workspace, name="Partnerships")
    html = signed_in.get(board_url(pipeline)).content.decode()
    assert "Switch pipeline" in html
    assert board_url(other) in html
    response = signed_in.get(board_url(other))
    assert response.status_code == 200
    assert "Partnerships" in response.content.decode()


def test_columns_load_in_pages(signed_in, workspace, pipeline):
    stage = stage_named(pipeline, "Lead in")
    for index in range(PAGE_SIZE + 5):
        DealFactory(workspace=workspace, stage=stage, title=f"Deal {index:03}", position=index)
    html = signed_in.get(board_url(pipeline)).content.decode()
    column = column_html(html, stage)
    assert column.count('<li class="deal-card') == PAGE_SIZE
    assert re.search(rf"data-column-count[^>]*>{PAGE_SIZE + 5}<", column)
    more = re.search(r'hx-get="([^"]+)"', column).group(1).replace("&amp;", "&")
    # htmx asks for the next page: the remaining cards and an empty out-of-band button
    page = signed_in.get(more, headers={"HX-Request": "true"}).content.decode()
    assert page.count('<li class="deal-card') == 5
    assert "Deal 025" in page and "Deal 024" not in page
    assert 'hx-swap-oob="true"' in page and "Load more" not in page
    # without htmx the same link is the whole board, that column from the cursor
    full = signed_in.get(more).content.decode()
    assert "Later deals" in full and "Deal 029" in full and "Deal 000" not in full


def test_bad_cursor_is_a_400(signed_in, pipeline):
    stage = stage_named(pipeline, "Lead in")
    response = signed_in.get(
        board_url(pipeline), {"stage": str(stage.pk), "cursor": "garbage"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400


def test_other_workspaces_pipeline_and_deal_are_404(signed_in, other_workspace):
    theirs = Pipeline.objects.for_workspace(other_workspace).get(is_default=True)
    deal = DealFactory(workspace=other_workspace)
    assert signed_in.get(board_url(theirs)).status_code == 404
    mine_stage = Stage.objects.exclude(workspace=other_workspace).first()
    response = signed_in.post(
        reverse("board_move", args=[deal.pk]), {"stage_id": str(mine_stage.pk)}
    )
    assert response.status_code == 404


def test_move_to_another_workspaces_stage_is_refused(signed_in, workspace, actor, other_workspace):
    deal = deal_create(workspace=workspace, actor=actor, title="Here")
    theirs = Stage.objects.for_workspace(other_workspace).first()
    response = signed_in.post(
        reverse("board_move", args=[deal.pk]),
        {"stage_id": str(theirs.pk)},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    deal.refresh_from_db()
    assert deal.stage.workspace_id == workspace.pk


def test_move_by_drag_returns_column_headers_and_records_history(
    signed_in, workspace, actor, pipeline, user
):
    # given
    lead, proposal = stage_named(pipeline, "Lead in"), stage_named(pipeline, "Proposal")
    first = deal_create(workspace=workspace, actor=actor, title="First", amount=100)
    moving = deal_create(workspace=workspace, actor=actor, title="Moving", amount=250)
    deal_create(workspace=workspace, actor=actor, title="There", stage=proposal, amount=1000)
    # when: dropped at the top of Proposal
    response = signed_in.post(
        reverse("board_move", args=[moving.pk]),
        {"stage_id": str(proposal.pk), "position": "0", "after_id": ""},
        HTTP_ACCEPT="application/json",
    )
    # then
    assert response.status_code == 200
    body = json.loads(response.content)
    columns = {c["stage"]: c for c in body["columns"]}
    assert columns[str(lead.pk)] == {"stage": str(lead.pk), "count": 1, "total": "$100"}
    assert columns[str(proposal.pk)]["count"] == 2
    assert columns[str(proposal.pk)]["total"] == "$1,250"
    assert 'data-title="Moving"' in body["card"]
    moving.refresh_from_db()
    assert (moving.stage_id, moving.position) == (proposal.pk, 0)
    first.refresh_from_db()
    assert first.position == 0
    history = StageHistory.objects.filter(deal=moving).order_by("entered_at")
    assert [h.stage_name for h in history] == ["Lead in", "Proposal"]
    assert history.last().actor == user
    event = TimelineEvent.objects.filter(subject_id=moving.pk, verb=Verb.STAGE_CHANGED).get()
    assert event.data["to_stage"] == "Proposal"


def test_move_after_a_card_puts_it_below_that_card(signed_in, workspace, actor, pipeline):
    deals = [deal_create(workspace=workspace, actor=actor, title=f"D{i}") for i in range(4)]
    # D0 dragged down below D2 (within its column)
    signed_in.post(
        reverse("board_move", args=[deals[0].pk]),
        {"stage_id": str(deals[0].stage_id), "position": "2", "after_id": str(deals[2].pk)},
        HTTP_ACCEPT="application/json",
    )
    order = list(
        Deal.objects.filter(stage_id=deals[0].stage_id)
        .order_by("position")
        .values_list("title", flat=True)
    )
    assert order == ["D1", "D2", "D0", "D3"]


def test_move_by_form_redirects_back_with_a_message(signed_in, workspace, actor, pipeline):
    deal = deal_create(workspace=workspace, actor=actor, title="Keyboard deal")
    won = stage_named(pipeline, "Won")
    back = board_url(pipeline) + "?owner=me"
    response = signed_in.post(
        reverse("board_move", args=[deal.pk]), {"stage_id": str(won.pk), "next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == back
    deal.refresh_from_db()
    assert deal.stage == won and deal.status == "won"
    html = signed_in.get(back).content.decode()
    assert "Moved “Keyboard deal” to Won." in html


def test_move_ignores_an_offsite_next(signed_in, workspace, actor, pipeline):
    deal = deal_create(workspace=workspace, actor=actor, title="Deal")
    response = signed_in.post(
        reverse("board_move", args=[deal.pk]),
        {"stage_id": str(stage_named(pipeline, "Won").pk), "next": "https://evil.example/"},
    )
    assert response["Location"] == board_url(pipeline)


def test_move_without_a_stage_is_an_error_message(signed_in, workspace, actor, pipeline):
    deal = deal_create(workspace=workspace, actor=actor, title="Deal")
    response = signed_in.post(
        reverse("board_move", args=[deal.pk]), {"stage_id": "not-a-uuid"}, follow=True
    )
    assert "Choose a stage of this pipeline" in response.content.decode()


def test_lost_reason_from_the_list_and_free_text_is_stored(signed_in, workspace, actor, pipeline):
    lost = stage_named(pipeline, "Lost")
    price = LostReason.objects.get(pipeline=pipeline, name="Price")
    first = deal_create(workspace=workspace, actor=actor, title="Too dear")
    second = deal_create(workspace=workspace, actor=actor, title="Went quiet")
    signed_in.post(
        reverse("board_move", args=[first.pk]),
        {"stage_id": str(lost.pk), "lost_reason": str(price.pk), "lost_reason_other": "by 20%"},
    )
    signed_in.post(
        reverse("board_move", args=[second.pk]),
        {"stage_id": str(lost.pk), "lost_reason": "__other__", "lost_reason_other": "Ghosted"},
        HTTP_ACCEPT="application/json",
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.lost_reason) == ("lost", "Price: by 20%")
    assert (second.status, second.lost_reason) == ("lost", "Ghosted")
    event = TimelineEvent.objects.filter(subject_id=first.pk, verb=Verb.STAGE_CHANGED).get()
    assert event.data["lost_reason"] == "Price: by 20%"


def test_the_board_offers_lost_reasons(signed_in, pipeline):
    html = signed_in.get(board_url(pipeline)).content.decode()
    assert "data-lost-dialog" in html
    assert ">Chose a competitor</option>" in html


def test_viewer_sees_the_board_but_cannot_move(client, workspace, actor, pipeline):
    viewer = UserFactory()
    MembershipFactory(workspace=workspace, user=viewer, role=Role.VIEWER)
    deal = deal_create(workspace=workspace, actor=actor, title="Look only")
    client.force_login(viewer)
    html = client.get(board_url(pipeline)).content.decode()
    assert "Look only" in html
    assert "Move to…" not in html and "data-can-move" not in html
    response = client.post(
        reverse("board_move", args=[deal.pk]),
        {"stage_id": str(stage_named(pipeline, "Won").pk)},
    )
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.stage.name == "Lead in"


def test_anonymous_is_sent_to_login(client, pipeline):
    response = client.get(board_url(pipeline))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_move_by_get_is_refused(signed_in, workspace, actor):
    deal = deal_create(workspace=workspace, actor=actor, title="Deal")
    assert signed_in.get(reverse("board_move", args=[deal.pk])).status_code == 405


def test_board_has_no_inline_styles(signed_in, workspace, actor, pipeline):
    deal_create(workspace=workspace, actor=actor, title="Deal")
    html = signed_in.get(board_url(pipeline)).content.decode()
    assert not re.search(r"<[a-z][^>]*\sstyle=", html)
    assert "<style" not in html


def _make_deals(workspace, user, count):
    stages = list(Pipeline.objects.for_workspace(workspace).get(is_default=True).stages.all())
    companies = [CompanyFactory(workspace=workspace) for _ in range(3)]
    for index in range(count):
        DealFactory(
            workspace=workspace,
            stage=stages[index % len(stages)],
            owner=user if index % 2 else None,
            company=companies[index % 3],
            position=index,
            status=stages[index % len(stages)].kind,
            closed_at=None if stages[index % len(stages)].kind == "open" else timezone.now(),
        )


def test_board_query_count_does_not_grow_with_deals(signed_in, workspace, user, pipeline):
    _make_deals(workspace, user, 10)
    signed_in.get(board_url(pipeline))  # the first request also settles the session
    with CaptureQueriesContext(connection) as small:
        assert signed_in.get(board_url(pipeline)).status_code == 200
    _make_deals(workspace, user, 190)
    with CaptureQueriesContext(connection) as large:
        response = signed_in.get(board_url(pipeline))
    assert response.status_code == 200
    assert response.content.decode().count('<li class="deal-card') > 100
    assert len(large) == len(small)
