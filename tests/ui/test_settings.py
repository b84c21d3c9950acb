"""Settings in a real browser: dragging stages into a new order, and a new API key."""

from __future__ import annotations

from pipelines.models import Pipeline
from tests.ui.conftest import screenshot


def _api_stage_names(page, pipeline_id) -> list[str]:
    response = page.context.request.get(f"/api/v1/pipelines/{pipeline_id}")
    assert response.ok, response.status
    return [stage["name"] for stage in response.json()["stages"]]


def test_dragging_a_stage_changes_the_board_order(signed_in, ui_user):
    # given the default pipeline's stages in their usual order
    _, workspace = ui_user
    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    page = signed_in
    page.goto("/settings/pipelines/")
    before = _api_stage_names(page, pipeline.pk)
    rows = page.locator(f"#pipeline-{pipeline.pk} [data-stage-id]")
    assert rows.count() == len(before)
    screenshot(page, "settings")

    # when the first stage is dragged by its handle onto the third
    handle = rows.nth(0).locator("[data-drag-handle]")
    target = rows.nth(2)
    box = target.bounding_box()
    handle.hover()
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] * 0.5, steps=12)
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] * 0.75, steps=6)
    page.mouse.up()
    page.locator(f"#pipeline-{pipeline.pk} [data-stage-list][data-saved]").wait_for()

    # then the API (and so the board) has the new order, and it survives a reload
    after = _api_stage_names(page, pipeline.pk)
    assert after != before
    assert sorted(after) == sorted(before)
    assert after.index(before[0]) > 0
    page.reload()
    names = page.locator(f"#pipeline-{pipeline.pk} [data-stage-id] input[name$='-name']")
    assert [names.nth(i).input_value() for i in range(names.count())] == after


def test_up_down_buttons_reorder_without_dragging(signed_in, ui_user):
    _, workspace = ui_user
    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    page = signed_in
    page.goto("/settings/pipelines/")
    before = _api_stage_names(page, pipeline.pk)
    page.get_by_role("button", name=f"Move {before[0]} down").click()
    page.wait_for_url("**/settings/pipelines/**")
    assert _api_stage_names(page, pipeline.pk)[:2] == [before[1], before[0]]


def test_new_api_key_is_shown_once(signed_in):
    page = signed_in
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Zapier")
    page.get_by_label("crm:write — Read and change everything in the workspace").check()
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_role("textbox", name="New API key").input_value()
    assert key.startswith("ak_")
    screenshot(page, "settings-api-key")
    # the key works against the API
    response = page.context.request.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert response.ok
    # and it is not shown again
    page.goto("/settings/api-keys/")
    assert page.get_by_role("textbox", name="New API key").count() == 0
    assert key not in page.content()
    page.get_by_role("link", name="Revoke…").click()
    page.get_by_role("button", name="Revoke key").click()
    page.get_by_text("Revoked").first.wait_for()


def test_every_settings_tab_opens_without_console_errors(signed_in):
    page = signed_in
    page.goto("/settings/")
    for tab in ["Workspace", "Members", "Pipelines & stages", "Custom fields", "Tags", "API keys"]:
        page.get_by_role("navigation", name="Settings sections").get_by_role(
            "link", name=tab
        ).click()
        page.get_by_role("heading", level=1, name=tab).wait_for()
    page.goto("/settings/members/")
    screenshot(page, "settings-members")
    page.goto("/settings/custom-fields/")
    page.get_by_label("Label").fill("Region")
    page.get_by_label("Key").fill("region")
    page.get_by_role("button", name="Add field").click()
    page.get_by_role("cell", name="region", exact=True).wait_for()
    screenshot(page, "settings-custom-fields")
