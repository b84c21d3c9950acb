"""The deals board in a real browser: drag a card, move one with the keyboard menu."""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from accounts.services.common import Actor
from crm.services.companies import company_create
from pipelines.models import Deal, Pipeline
from pipelines.services.deals import deal_create
from tests.ui.conftest import screenshot


def _seed(ui_user):
    user, workspace = ui_user
    actor = Actor(user=user, role="owner")
    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    stages = {s.name: s for s in pipeline.stages.all()}
    acme = company_create(workspace=workspace, actor=actor, name="Acme Corp")
    globex = company_create(workspace=workspace, actor=actor, name="Globex")
    specs = [
        ("Acme renewal", "Lead in", 12000, acme, user),
        ("Globex pilot", "Lead in", 4500, globex, None),
        ("Initech seats", "Qualified", 8800, None, user),
        ("Umbrella expansion", "Proposal", 32000, acme, user),
        ("Hooli trial", "Negotiation", 15000, globex, None),
    ]
    deals = {}
    for title, stage, amount, company, owner in specs:
        deals[title] = deal_create(
            workspace=workspace,
            actor=actor,
            title=title,
            stage=stages[stage],
            amount=amount,
            company=company,
            owner=owner,
        )
    # One deal idle past its stage's rotting time.
    proposal = stages["Proposal"]
    proposal.rotting_days = 14
    proposal.save(update_fields=["rotting_days"])
    Deal.objects.filter(pk=deals["Umbrella expansion"].pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=30)
    )
    return pipeline, stages, deals


def _column(page, stage):
    return page.locator(f'[data-column][data-stage="{stage.pk}"]')


def _drag(page, source, target):
    """Real pointer moves: SortableJS follows pointer events, not synthetic drops."""
    box = source.bounding_box()
    goal = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + 30, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] - 10, steps=20)
    page.mouse.up()


def test_drag_a_card_and_move_another_with_the_keyboard(signed_in, ui_user):
    pipeline, stages, deals = _seed(ui_user)
    page = signed_in
    page.get_by_role("link", name="Deals board").click()
    page.wait_for_url(f"**/pipelines/{pipeline.pk}/board")
    qualified, lead = _column(page, stages["Qualified"]), _column(page, stages["Lead in"])
    assert lead.locator("[data-column-count]").inner_text() == "2"
    assert qualified.locator("[data-column-total]").inner_text() == "$8,800"
    rotting = page.locator(".deal-card--rotting")
    assert rotting.count() == 1 and "Umbrella expansion" in rotting.inner_text()
    screenshot(page, "board")

    # when: Acme renewal is dragged from Lead in to Qualified
    card = page.locator(f'[data-deal="{deals["Acme renewal"].pk}"]')
    with page.expect_response(lambda r: "/move" in r.url) as moved:
        _drag(page, card, qualified.locator("[data-column-list]"))
    assert moved.value.ok
    # then the headers update in place …
    qualified.locator("[data-column-count]").filter(has_text="2").wait_for()
    assert qualified.locator("[data-column-total]").inner_text() == "$20,800"
    assert lead.locator("[data-column-count]").inner_text() == "1"
    # … and the move stays after a reload
    page.reload()
    assert qualified.get_by_role("heading", name="Acme renewal").count() == 1
    assert lead.get_by_role("heading", name="Acme renewal").count() == 0
    deal = Deal.objects.get(pk=deals["Acme renewal"].pk)
    assert deal.stage_id == stages["Qualified"].pk

    # when: Globex pilot is moved to Lost with its "Move to…" menu, by keyboard
    globex = page.locator(f'[data-deal="{deals["Globex pilot"].pk}"]')
    globex.get_by_text("Move to…").focus()
    page.keyboard.press("Enter")
    globex.get_by_label("Stage").select_option(label="Lost")
    globex.get_by_label("Lost reason").select_option(label="No budget")
    globex.get_by_label("Details").fill("Frozen until Q3")
    globex.get_by_label("Details").press("Enter")
    page.get_by_text("Moved “Globex pilot” to Lost.").wait_for()
    lost = _column(page, stages["Lost"])
    assert lost.get_by_role("heading", name="Globex pilot").count() == 1
    deal = Deal.objects.get(pk=deals["Globex pilot"].pk)
    assert (deal.status, deal.lost_reason) == ("lost", "No budget: Frozen until Q3")
    screenshot(page, "board-after-moves")


def test_dropping_on_lost_asks_for_a_reason(signed_in, ui_user):
    pipeline, stages, deals = _seed(ui_user)
    page = signed_in
    page.goto(f"/pipelines/{pipeline.pk}/board")
    lost = _column(page, stages["Lost"])
    card = page.locator(f'[data-deal="{deals["Hooli trial"].pk}"]')
    lost.scroll_into_view_if_needed()  # the board scrolls sideways; Negotiation stays in view

    # Cancel puts the card back and saves nothing
    _drag(page, card, lost.locator("[data-column-list]"))
    dialog = page.locator("[data-lost-dialog]")
    dialog.get_by_text("Why was").wait_for()
    dialog.get_by_role("button", name="Cancel").click()
    # (the card travels back asynchronously: wait for it rather than count at once)
    expect(
        _column(page, stages["Negotiation"]).get_by_role("heading", name="Hooli trial")
    ).to_have_count(1)
    assert Deal.objects.get(pk=deals["Hooli trial"].pk).status == "open"

    # Confirm with a reason
    _drag(page, card, lost.locator("[data-column-list]"))
    dialog.get_by_label("Lost reason").select_option(label="Chose a competitor")
    screenshot(page, "board-lost-dialog")
    with page.expect_response(lambda r: "/move" in r.url):
        dialog.get_by_role("button", name="Mark as lost").click()
    lost.locator("[data-column-count]").filter(has_text="1").wait_for()
    deal = Deal.objects.get(pk=deals["Hooli trial"].pk)
    assert (deal.status, deal.lost_reason) == ("lost", "Chose a competitor")
