"""In a real browser: the board grouped by owner (drag a deal to someone else's lane), the lost
dialog offering a reason added in the settings, creating and deleting a pipeline, and the
dashboard's period switcher redrawing its charts."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.models import Membership, Role
from accounts.services.common import Actor
from accounts.services.workspaces import user_create
from pipelines.models import Deal, LostReason, Pipeline
from pipelines.services.deals import deal_create
from tests.ui.conftest import screenshot


def _seed(ui_user):
    """Deals of Pat (the signed-in owner), of Sam (a member) and of nobody, in two currencies."""
    user, workspace = ui_user
    sam = user_create(email="sam@example.com", password="x-long-password-1", name="Sam Rivera")
    Membership.objects.create(workspace=workspace, user=sam, role=Role.MEMBER)
    actor = Actor(user=user, role="owner")
    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    stages = {s.name: s for s in pipeline.stages.all()}
    specs = [
        ("Acme renewal", "Lead in", 12000, "USD", user),
        ("London office", "Lead in", 3100, "GBP", user),
        ("Globex pilot", "Qualified", 4500, "USD", sam),
        ("Hooli trial", "Negotiation", 15000, "USD", None),
    ]
    deals = {}
    for title, stage, amount, currency, owner in specs:
        deals[title] = deal_create(
            workspace=workspace,
            actor=actor,
            title=title,
            stage=stages[stage],
            amount=amount,
            currency=currency,
            owner=owner,
        )
    return pipeline, stages, deals, sam


def _drag(page, source, target):
    """Real pointer moves: SortableJS follows pointer events, not synthetic drops."""
    box = source.bounding_box()
    goal = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + 30, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] - 10, steps=20)
    page.mouse.up()


def _lane(page, key):
    return page.locator(f'[data-lane-row][data-lane="{key}"]')


def _cell(page, key, stage):
    return page.locator(f'[data-column][data-stage="{stage.pk}"][data-lane="{key}"]')


def test_group_by_owner_and_hand_a_deal_over_by_dragging(signed_in, ui_user):
    pipeline, stages, deals, sam = _seed(ui_user)
    user, _ = ui_user
    page = signed_in
    page.goto(f"/pipelines/{pipeline.pk}/board")
    # the stage board totals each currency apart
    lead = page.locator(f'[data-column][data-stage="{stages["Lead in"].pk}"]')
    expect(lead.locator("[data-column-total]")).to_have_text("$12,000 · £3,100")

    # when the board is grouped by owner
    page.get_by_role("navigation", name="Group the board").get_by_role(
        "link", name=re.compile("^Owner")
    ).click()
    page.wait_for_url(re.compile(r".*group=owner"))
    # then there is a lane per owner: Pat's first, unassigned last
    lanes = page.locator("[data-lane-row]")
    expect(lanes).to_have_count(3)
    expect(lanes.nth(0).locator(".board-lane__name")).to_have_text("Pat Seller")
    expect(lanes.nth(2).locator(".board-lane__name")).to_have_text("Unassigned")
    mine = _lane(page, str(user.pk))
    expect(mine.locator("[data-lane-count]")).to_have_text("2 deals")
    expect(mine.locator("[data-lane-total]")).to_have_text("$12,000 · £3,100")
    screenshot(page, "board-by-owner")

    # when Acme renewal is dragged into Sam's lane, in Qualified
    card = page.locator(f'[data-deal="{deals["Acme renewal"].pk}"]')
    target = _cell(page, str(sam.pk), stages["Qualified"]).locator("[data-column-list]")
    with page.expect_response(lambda r: "/move" in r.url) as moved:
        _drag(page, card, target)
    assert moved.value.ok
    # then both lanes' headers and the two cells update in place
    theirs = _lane(page, str(sam.pk))
    expect(theirs.locator("[data-lane-count]")).to_have_text("2 deals")
    expect(theirs.locator("[data-lane-total]")).to_have_text("$16,500")
    expect(mine.locator("[data-lane-count]")).to_have_text("1 deal")
    expect(mine.locator("[data-lane-total]")).to_have_text("£3,100")
    cell = _cell(page, str(sam.pk), stages["Qualified"])
    expect(cell.locator("[data-column-count]")).to_have_text("2")
    expect(cell.get_by_role("heading", name="Acme renewal")).to_have_count(1)
    deal = Deal.objects.get(pk=deals["Acme renewal"].pk)
    assert (deal.owner_id, deal.stage_id) == (sam.pk, stages["Qualified"].pk)
    # and it stays after a reload, still grouped
    page.reload()
    expect(_cell(page, str(sam.pk), stages["Qualified"]).locator(".deal-card")).to_have_count(2)
    screenshot(page, "board-by-owner-after-move")


def test_the_lost_dialog_lists_a_reason_added_in_settings(signed_in, ui_user):
    pipeline, stages, deals, _ = _seed(ui_user)
    page = signed_in
    # given a lost reason added in Settings → Pipelines & stages
    page.goto("/settings/pipelines/")
    section = page.locator(f"#lost-reasons-{pipeline.pk}")
    section.get_by_label("New lost reason").fill("Went with in-house tool")
    section.get_by_role("button", name="Add reason").click()
    page.get_by_text("Lost reason “Went with in-house tool” added").wait_for()
    # a reason renamed there …
    section = page.locator(f"#lost-reasons-{pipeline.pk}")
    section.get_by_label("Lost reason “Timing”").fill("Bad timing")
    section.get_by_role("button", name="Rename “Timing”").click()
    page.get_by_text("Lost reason renamed to “Bad timing”.").wait_for()
    # … and one deleted, after asking
    page.locator(f"#lost-reasons-{pipeline.pk}").get_by_role(
        "link", name="Delete… “No decision”"
    ).click()
    page.get_by_role("heading", name=re.compile("Delete the lost reason “No decision”")).wait_for()
    page.get_by_role("button", name="Delete reason").click()
    page.get_by_text("Lost reason “No decision” deleted.").wait_for()
    screenshot(page, "settings-lost-reasons")

    # when a deal is dropped on Lost
    page.goto(f"/pipelines/{pipeline.pk}/board")
    lost = page.locator(f'[data-column][data-stage="{stages["Lost"].pk}"]')
    lost.scroll_into_view_if_needed()
    card = page.locator(f'[data-deal="{deals["Hooli trial"].pk}"]')
    _drag(page, card, lost.locator("[data-column-list]"))
    dialog = page.locator("[data-lost-dialog]")
    dialog.get_by_text("Why was").wait_for()
    # then the dialog offers the pipeline's reasons as they are now
    options = dialog.get_by_label("Lost reason").locator("option")
    labels = [options.nth(i).inner_text() for i in range(options.count())]
    assert "Went with in-house tool" in labels and "Bad timing" in labels
    assert "No decision" not in labels and "Timing" not in labels
    dialog.get_by_label("Lost reason").select_option(label="Went with in-house tool")
    with page.expect_response(lambda r: "/move" in r.url):
        dialog.get_by_role("button", name="Mark as lost").click()
    expect(lost.locator("[data-column-count]")).to_have_text("1")
    deal = Deal.objects.get(pk=deals["Hooli trial"].pk)
    assert (deal.status, deal.lost_reason) == ("lost", "Went with in-house tool")


def test_create_a_pipeline_and_delete_it_moving_its_deal(signed_in, ui_user):
    user, workspace = ui_user
    page = signed_in
    page.goto("/settings/pipelines/")

    # when a pipeline is created without stages, and given one
    form = page.locator("form", has=page.get_by_role("button", name="Add pipeline"))
    form.get_by_label("Pipeline name").fill("Partnerships")
    form.get_by_label("Start with").select_option("empty")
    form.get_by_role("button", name="Add pipeline").click()
    page.get_by_text("Pipeline “Partnerships” added. Add its stages").wait_for()
    partnerships = Pipeline.objects.get(workspace=workspace, name="Partnerships")
    card = page.locator(f"#pipeline-{partnerships.pk}")
    expect(card.get_by_text("This pipeline has no stages.")).to_be_visible()
    add = card.locator(".add-stage__form")
    add.get_by_label("Name").fill("Talking")
    add.get_by_role("button", name="Add stage").click()
    page.get_by_text("Stage “Talking” added to Partnerships.").wait_for()
    screenshot(page, "settings-new-pipeline")

    # and a deal lands in it
    deal = deal_create(
        workspace=workspace,
        actor=Actor(user=user, role="owner"),
        title="Reseller deal",
        stage=partnerships.stages.get(),
    )

    # when it is deleted, asking first and choosing where the deal goes
    page.locator(f"#pipeline-{partnerships.pk}").get_by_role(
        "link", name=re.compile("^Delete pipeline")
    ).click()
    page.get_by_role("heading", name="Delete the pipeline “Partnerships”?").wait_for()
    expect(page.get_by_text("1 deal", exact=True)).to_be_visible()
    page.get_by_label("Move its deals to").select_option(label="Qualified")
    screenshot(page, "settings-delete-pipeline")
    page.get_by_role("button", name="Delete pipeline").click()
    page.get_by_text("Pipeline “Partnerships” deleted. Its 1 deal moved to").wait_for()

    # then it is gone, and the deal is in the default pipeline
    assert not Pipeline.objects.filter(pk=partnerships.pk).exists()
    deal.refresh_from_db()
    assert deal.stage.name == "Qualified" and deal.pipeline.is_default
    expect(page.locator(f"#pipeline-{partnerships.pk}")).to_have_count(0)
    assert LostReason.objects.filter(pipeline_id=partnerships.pk).count() == 0


def test_dashboard_period_switch_swaps_figures_and_redraws_charts(signed_in, ui_user):
    _seed(ui_user)
    page = signed_in
    page.goto("/dashboard/")
    page.wait_for_function("window.Chart && Chart.getChart('chart-contacts')")
    first_canvas = page.locator("#chart-contacts").element_handle()
    expect(page.get_by_text("Won this month")).to_be_visible()

    # when another period is picked
    page.get_by_role("navigation", name="Period").get_by_role("link", name="This year").click()
    # then the URL says so, the figures are for it and the charts are drawn again
    page.wait_for_url(re.compile(r".*/dashboard/\?period=this_year$"))
    expect(page.get_by_text("Won this year")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Period").get_by_role("link", name="This year")
    ).to_have_attribute("aria-current", "page")
    page.wait_for_function(
        "Chart.getChart('chart-contacts') && Chart.getChart('chart-stages')"
        " && Chart.getChart('chart-contacts').canvas.isConnected"
    )
    assert page.evaluate("(old) => !old.isConnected", first_canvas)  # a new canvas
    assert page.evaluate("Object.keys(Chart.instances).length") == 2  # old charts destroyed
    page.wait_for_timeout(700)
    screenshot(page, "dashboard-this-year")

    # and Back returns to this month
    page.go_back()
    page.wait_for_url(re.compile(r".*/dashboard/$"))
    expect(page.get_by_text("Won this month")).to_be_visible()
