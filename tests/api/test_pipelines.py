"""/api/v1/pipelines, /stages, lost reasons and the board."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipelines.models import Deal, LostReason, Pipeline, Stage
from pipelines.services.deals import deal_create
from pipelines.services.pipelines import pipeline_create
from tests.api.conftest import assert_error
from tests.factories import CompanyFactory, DealFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


def stages_of(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position"))


# --- /pipelines ---------------------------------------------------------------------------------


def test_list_pipelines_with_ordered_stages_and_figures(api, workspace, pipeline):
    first = stages_of(pipeline)[0]
    DealFactory(workspace=workspace, stage=first, amount=100)
    DealFactory(workspace=workspace, stage=first, amount=250)
    body = api.get("/api/v1/pipelines").json()
    assert body["meta"]["total"] == 1
    row = body["data"][0]
    assert row["id"] == str(pipeline.pk) and row["is_default"] is True
    assert [s["name"] for s in row["stages"]] == [s.name for s in stages_of(pipeline)]
    assert row["stages"][0]["deal_count"] == 2 and row["stages"][0]["deal_value"] == "350.00"
    assert row["stages"][1]["deal_count"] == 0 and row["stages"][1]["deal_value"] == "0.00"
    assert set(row["stages"][0]) >= {
        "id",
        "name",
        "kind",
        "position",
        "probability",
        "rotting_days",
        "color",
    }
    assert row["created_at"].endswith("Z")


def test_create_pipeline_with_stages_is_201(api, workspace):
    response = api.post(
        "/api/v1/pipelines",
        {
            "name": "Partners",
            "stages": [
                {"name": "Intro", "probability": 10},
                {"name": "Signed", "kind": "won", "probability": 100, "color": "#00ff00"},
            ],
            "lost_reasons": ["Too small"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/pipelines/{body['id']}"
    assert response["ETag"].startswith('"')
    assert [(s["name"], s["kind"], s["position"]) for s in body["stages"]] == [
        ("Intro", "open", 0),
        ("Signed", "won", 1),
    ]
    assert body["is_default"] is False
    assert list(
        LostReason.objects.filter(pipeline_id=body["id"]).values_list("name", flat=True)
    ) == ["Too small"]


def test_create_pipeline_defaults_to_the_standard_stages(api):
    body = api.post("/api/v1/pipelines", {"name": "Renewals"}, format="json").json()
    assert len(body["stages"]) == 6


def test_create_pipeline_validation(api, pipeline):
    assert_error(api.post("/api/v1/pipelines", {}, format="json"), 400, field="name")
    assert_error(
        api.post("/api/v1/pipelines", {"name": "X", "secret": 1}, format="json"),
        400,
        field="secret",
    )
    assert_error(
        api.post(
            "/api/v1/pipelines",
            {"name": "X", "stages": [{"name": "A", "probability": 101}]},
            format="json",
        ),
        400,
        field="stages.0.probability",
    )
    # the name is taken
    body = assert_error(api.post("/api/v1/pipelines", {"name": pipeline.name}, format="json"), 409)
    assert body["conflict_id"] == str(pipeline.pk)


def test_patch_pipeline_and_if_match(api, pipeline):
    url = f"/api/v1/pipelines/{pipeline.pk}"
    etag = api.get(url)["ETag"]
    assert_error(api.patch(url, {"name": "B2B"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    response = api.patch(url, {"name": "B2B"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["name"] == "B2B"
    assert api.put(url, {"position": 3}, format="json").json()["name"] == "B2B"
    assert_error(api.patch(url, {"stages": []}, format="json"), 400, field="stages")
    assert_error(api.patch(url, {"is_default": False}, format="json"), 400, field="is_default")


def test_make_another_pipeline_the_default(api, workspace, pipeline):
    other = pipeline_create(workspace=workspace, name="Other")
    response = api.patch(f"/api/v1/pipelines/{other.pk}", {"is_default": True}, format="json")
    assert response.json()["is_default"] is True
    pipeline.refresh_from_db()
    assert pipeline.is_default is False


def test_delete_pipeline(api, workspace, actor, pipeline):
    # the default one: 409
    assert_error(api.delete(f"/api/v1/pipelines/{pipeline.pk}"), 409)
    other = pipeline_create(workspace=workspace, name="Other")
    deal = deal_create(workspace=workspace, actor=actor, title="D", pipeline=other)
    # one with deals: 409
    assert_error(api.delete(f"/api/v1/pipelines/{other.pk}"), 409)
    Deal.objects.filter(pk=deal.pk).delete()
    assert api.delete(f"/api/v1/pipelines/{other.pk}").status_code == 204
    assert not Pipeline.objects.filter(pk=other.pk).exists()


def test_pipeline_missing_scope_is_403_naming_it(make_client, pipeline):
    client = make_client("pipelines:read")
    body = assert_error(client.post("/api/v1/pipelines", {"name": "X"}, format="json"), 403)
    assert "pipelines:write" in body["message"]
    body = assert_error(make_client("deals:read").get("/api/v1/pipelines"), 403)
    assert "pipelines:read" in body["message"]
    assert client.get(f"/api/v1/pipelines/{pipeline.pk}").status_code == 200


def test_pipelines_no_credential_is_401(anonymous, pipeline):
    assert_error(anonymous.get("/api/v1/pipelines"), 401)
    assert_error(anonymous.get(f"/api/v1/pipelines/{pipeline.pk}/board"), 401)
    assert_error(anonymous.get(f"/api/v1/pipelines/{pipeline.pk}/stages"), 401)
    assert_error(anonymous.get(f"/api/v1/stages/{stages_of(pipeline)[0].pk}"), 401)


def test_another_workspaces_pipeline_is_404_everywhere(api, other_workspace):
    theirs = Pipeline.objects.for_workspace(other_workspace).get(is_default=True)
    stage = stages_of(theirs)[0]
    url = f"/api/v1/pipelines/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"name": "Mine"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    assert_error(api.get(f"{url}/board"), 404)
    assert_error(api.get(f"{url}/stages"), 404)
    assert_error(api.post(f"{url}/stages", {"name": "New"}, format="json"), 404)
    assert_error(
        api.post(f"{url}/stages/reorder", {"stage_ids": [str(stage.pk)]}, format="json"), 404
    )
    assert_error(api.get(f"{url}/lost-reasons"), 404)
    assert_error(api.post(f"{url}/lost-reasons", {"name": "Nope"}, format="json"), 404)
    assert_error(api.get(f"/api/v1/stages/{stage.pk}"), 404)
    assert_error(api.patch(f"/api/v1/stages/{stage.pk}", {"name": "x"}, format="json"), 404)
    assert_error(api.delete(f"/api/v1/stages/{stage.pk}"), 404)
    assert_error(api.get("/api/v1/pipelines/not-a-uuid"), 404)
    theirs.refresh_from_db()
    stage.refresh_from_db()
    assert theirs.name != "Mine" and stage.name != "x"
    assert Stage.objects.filter(pipeline=theirs).count() == 6
    assert not LostReason.objects.filter(pipeline=theirs, name="Nope").exists()
    assert api.get("/api/v1/pipelines").json()["meta"]["total"] == 1


def test_pipeline_list_query_count_does_not_grow(api, workspace):
    api.get("/api/v1/me")

    def queries(n: int) -> int:
        start = Pipeline.objects.for_workspace(workspace).count()
        for index in range(n):
            created = pipeline_create(workspace=workspace, name=f"P{start}-{index}")
            DealFactory(workspace=workspace, stage=stages_of(created)[0])
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/pipelines?limit=100").status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


# --- stages -------------------------------------------------------------------------------------


def test_list_and_create_stages(api, workspace, pipeline):
    url = f"/api/v1/pipelines/{pipeline.pk}/stages"
    body = api.get(url).json()
    assert [s["position"] for s in body["data"]] == list(range(6))
    response = api.post(
        url, {"name": "Demo", "position": 1, "probability": 30, "rotting_days": 7}, format="json"
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"] == f"/api/v1/stages/{created['id']}"
    assert created["position"] == 1 and created["rotting_days"] == 7 and created["deal_count"] == 0
    names = [s["name"] for s in api.get(url).json()["data"]]
    assert names[1] == "Demo" and len(names) == 7


def test_create_stage_validation(api, pipeline):
    url = f"/api/v1/pipelines/{pipeline.pk}/stages"
    assert_error(api.post(url, {"probability": 3}, format="json"), 400, field="name")
    assert_error(api.post(url, {"name": "A", "kind": "maybe"}, format="json"), 400, field="kind")
    assert_error(api.post(url, {"name": "A", "color": "red"}, format="json"), 400, field="color")
    first = stages_of(pipeline)[0]
    body = assert_error(api.post(url, {"name": first.name}, format="json"), 409)
    assert body["conflict_id"] == str(first.pk)


def test_stage_get_and_patch(api, workspace, pipeline):
    stage = stages_of(pipeline)[0]
    DealFactory(workspace=workspace, stage=stage, amount=10)
    url = f"/api/v1/stages/{stage.pk}"
    response = api.get(url)
    assert response.json()["deal_count"] == 1 and response.json()["deal_value"] == "10.00"
    patched = api.patch(url, {"name": "Inbound", "probability": 15}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Inbound"
    assert patched.json()["probability"] == 15
    assert_error(api.patch(url, {"probability": -1}, format="json"), 400, field="probability")
    assert_error(api.patch(url, {"position": 3}, format="json"), 400, field="position")
    # a new kind carries over to the deals in it
    api.patch(url, {"kind": "won"}, format="json")
    assert set(Deal.objects.filter(stage=stage).values_list("status", flat=True)) == {"won"}


def test_stage_scopes(make_client, pipeline):
    stage = stages_of(pipeline)[0]
    client = make_client("pipelines:read")
    body = assert_error(
        client.patch(f"/api/v1/stages/{stage.pk}", {"name": "X"}, format="json"), 403
    )
    assert "pipelines:write" in body["message"]
    body = assert_error(
        client.post(f"/api/v1/pipelines/{pipeline.pk}/stages", {"name": "X"}, format="json"), 403
    )
    assert "pipelines:write" in body["message"]


def test_delete_stage_with_deals_needs_a_target(api, workspace, pipeline):
    first, second = stages_of(pipeline)[:2]
    DealFactory(workspace=workspace, stage=first, position=0)
    DealFactory(workspace=workspace, stage=first, position=1)
    DealFactory(workspace=workspace, stage=second, position=0)
    url = f"/api/v1/stages/{first.pk}"
    assert_error(api.delete(url), 409)
    assert Stage.objects.filter(pk=first.pk).exists()
    response = api.delete(url, {"move_deals_to": str(second.pk)}, format="json")
    assert response.status_code == 204, response.content
    assert not Stage.objects.filter(pk=first.pk).exists()
    assert sorted(Deal.objects.filter(stage=second).values_list("position", flat=True)) == [0, 1, 2]
    assert [s.position for s in stages_of(pipeline)] == list(range(5))


def test_delete_stage_into_another_workspace_is_404(api, workspace, pipeline, other_workspace):
    first = stages_of(pipeline)[0]
    DealFactory(workspace=workspace, stage=first)
    theirs = Stage.objects.for_workspace(other_workspace).first()
    assert_error(
        api.delete(f"/api/v1/stages/{first.pk}", {"move_deals_to": str(theirs.pk)}, format="json"),
        404,
    )
    assert_error(
        api.delete(f"/api/v1/stages/{first.pk}", {"move_deals_to": "nope"}, format="json"),
        400,
        field="move_deals_to",
    )
    assert Deal.objects.filter(stage=first).count() == 1


def test_delete_empty_stage(api, pipeline):
    last = stages_of(pipeline)[-1]
    assert api.delete(f"/api/v1/stages/{last.pk}").status_code == 204
    assert len(stages_of(pipeline)) == 5


def test_reorder_stages(api, pipeline):
    stages = stages_of(pipeline)
    wanted = [str(s.pk) for s in reversed(stages)]
    url = f"/api/v1/pipelines/{pipeline.pk}/stages/reorder"
    response = api.post(url, {"stage_ids": wanted}, format="json")
    assert response.status_code == 200, response.content
    assert [s["id"] for s in response.json()["data"]] == wanted
    assert [str(s.pk) for s in stages_of(pipeline)] == wanted
    assert_error(api.post(url, {"stage_ids": wanted[:2]}, format="json"), 400, field="stage_ids")
    assert_error(api.post(url, {"stage_ids": ["x"]}, format="json"), 400, field="stage_ids.0")


def test_stage_list_query_count_does_not_grow(api, workspace, pipeline):
    api.get("/api/v1/me")
    url = f"/api/v1/pipelines/{pipeline.pk}/stages?limit=100"

    def queries(n: int) -> int:
        for index in range(n):
            stage = Stage.objects.create(
                workspace=workspace,
                pipeline=pipeline,
                name=f"S{n}-{index}",
                position=100 + index + n,
            )
            DealFactory(workspace=workspace, stage=stage)
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


# --- lost reasons -------------------------------------------------------------------------------


def test_lost_reasons(api, pipeline):
    url = f"/api/v1/pipelines/{pipeline.pk}/lost-reasons"
    body = api.get(url).json()
    assert [r["name"] for r in body["data"]][:2] == ["Price", "Chose a competitor"]
    created = api.post(url, {"name": "Went dark"}, format="json")
    assert created.status_code == 201, created.content
    reason_id = created.json()["id"]
    assert_error(api.post(url, {"name": "Went dark"}, format="json"), 400, field="name")
    assert_error(api.post(url, {}, format="json"), 400, field="name")
    assert api.delete(f"{url}/{reason_id}").status_code == 204
    assert not LostReason.objects.filter(pk=reason_id).exists()


def test_lost_reasons_scope_and_other_workspace(make_client, api, pipeline, other_workspace):
    url = f"/api/v1/pipelines/{pipeline.pk}/lost-reasons"
    body = assert_error(make_client("pipelines:read").post(url, {"name": "X"}, format="json"), 403)
    assert "pipelines:write" in body["message"]
    theirs = LostReason.objects.for_workspace(other_workspace).first()
    # their reason under our pipeline, and under theirs
    assert_error(api.delete(f"{url}/{theirs.pk}"), 404)
    assert_error(
        api.delete(f"/api/v1/pipelines/{theirs.pipeline_id}/lost-reasons/{theirs.pk}"), 404
    )
    assert LostReason.objects.filter(pk=theirs.pk).exists()


def test_lost_reason_list_query_count_does_not_grow(api, workspace, pipeline, actor):
    api.get("/api/v1/me")
    url = f"/api/v1/pipelines/{pipeline.pk}/lost-reasons?limit=100"

    def queries(n: int) -> int:
        for index in range(n):
            LostReason.objects.create(
                workspace=workspace, pipeline=pipeline, name=f"R{n}-{index}", position=10 + index
            )
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


# --- board --------------------------------------------------------------------------------------


def test_board_shows_stages_with_their_deals(api, workspace, pipeline, user):
    first, second = stages_of(pipeline)[:2]
    Stage.objects.filter(pk=first.pk).update(rotting_days=3)
    company = CompanyFactory(workspace=workspace, name="Acme")
    old = DealFactory(
        workspace=workspace,
        stage=first,
        position=0,
        company=company,
        stage_entered_at=timezone.now() - datetime.timedelta(days=5),
    )
    old.tags.add(TagFactory(workspace=workspace, name="vip"))
    fresh = DealFactory(workspace=workspace, stage=first, position=1, owner=user)
    DealFactory(workspace=workspace, stage=second, position=0, amount=5)
    response = api.get(f"/api/v1/pipelines/{pipeline.pk}/board")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["pipeline"]["id"] == str(pipeline.pk) and body["group_by"] == "stage"
    assert [s["id"] for s in body["stages"]] == [str(s.pk) for s in stages_of(pipeline)]
    column = body["stages"][0]
    assert column["deal_count"] == 2 and column["deal_value"] == "2000.00"
    assert column["has_more"] is False and column["next_cursor"] is None
    card = column["deals"][0]
    assert card["id"] == str(old.pk)
    assert card["company"] == {"id": str(company.pk), "name": "Acme"}
    assert card["days_in_stage"] == 5 and card["is_rotting"] is True
    assert card["tags"] == ["vip"] and card["amount"] == "1000.00"
    assert column["deals"][1]["id"] == str(fresh.pk)
    assert column["deals"][1]["is_rotting"] is False
    assert column["deals"][1]["owner"] == str(user.pk)
    assert body["stages"][1]["deal_value"] == "5.00"
    assert body["stages"][2]["deals"] == []


def test_board_pages_each_stage(api, workspace, pipeline, other_workspace):
    first = stages_of(pipeline)[0]
    deals = [DealFactory(workspace=workspace, stage=first, position=i) for i in range(5)]
    url = f"/api/v1/pipelines/{pipeline.pk}/board"
    column = api.get(f"{url}?limit=2").json()["stages"][0]
    assert [d["id"] for d in column["deals"]] == [str(d.pk) for d in deals[:2]]
    assert column["has_more"] is True and column["deal_count"] == 5
    seen = [d["id"] for d in column["deals"]]
    cursor = column["next_cursor"]
    while cursor:
        body = api.get(url, {"limit": 2, "stage": str(first.pk), "cursor": cursor}).json()
        assert [s["id"] for s in body["stages"]] == [str(first.pk)]
        seen += [d["id"] for d in body["stages"][0]["deals"]]
        cursor = body["stages"][0]["next_cursor"]
    assert seen == [str(d.pk) for d in deals]
    assert_error(api.get(url, {"cursor": cursor or "abc"}), 400, field="stage")
    assert_error(
        api.get(url, {"stage": str(Stage.objects.for_workspace(other_workspace).first().pk)}), 404
    )


def test_board_filters(api, workspace, pipeline, user):
    first = stages_of(pipeline)[0]
    mine = DealFactory(workspace=workspace, stage=first, owner=user, position=0)
    tagged = DealFactory(workspace=workspace, stage=first, position=1)
    tagged.tags.add(TagFactory(workspace=workspace, name="hot"))
    url = f"/api/v1/pipelines/{pipeline.pk}/board"

    def ids(**params) -> list[str]:
        return [d["id"] for d in api.get(url, params).json()["stages"][0]["deals"]]

    assert ids(owner=str(user.pk)) == [str(mine.pk)]
    assert ids(owner="unassigned") == [str(tagged.pk)]
    assert ids(tags="hot") == [str(tagged.pk)]
    assert api.get(url, {"tags": "hot"}).json()["stages"][0]["deal_count"] == 1
    assert_error(api.get(url, {"owner": "me"}), 400, field="owner")
    assert_error(api.get(url, {"group_by": "colour"}), 400, field="group_by")


def test_board_grouped_by_owner(api, workspace, pipeline, user, member):
    first, second = stages_of(pipeline)[:2]
    won = stages_of(pipeline)[4]
    a = DealFactory(workspace=workspace, stage=second, owner=user, position=0)
    b = DealFactory(workspace=workspace, stage=first, owner=user, position=0)
    c = DealFactory(workspace=workspace, stage=first, owner=member, position=1)
    d = DealFactory(workspace=workspace, stage=first, position=2)
    DealFactory(workspace=workspace, stage=won, owner=user, status="won", closed_at=timezone.now())
    body = api.get(f"/api/v1/pipelines/{pipeline.pk}/board?group_by=owner").json()
    assert body["group_by"] == "owner" and "stages" not in body
    columns = {(c_["owner"] or {}).get("id"): c_ for c_ in body["columns"]}
    assert [d_["id"] for d_ in columns[str(user.pk)]["deals"]] == [str(b.pk), str(a.pk)]
    assert columns[str(user.pk)]["deal_count"] == 2
    assert [d_["id"] for d_ in columns[str(member.pk)]["deals"]] == [str(c.pk)]
    assert [d_["id"] for d_ in columns[None]["deals"]] == [str(d.pk)]
    assert body["columns"][-1]["owner"] is None
    # paging one owner's column
    page = api.get(
        f"/api/v1/pipelines/{pipeline.pk}/board",
        {"group_by": "owner", "limit": 1, "owner": str(user.pk)},
    ).json()["columns"][0]
    assert page["has_more"] is True
    rest = api.get(
        f"/api/v1/pipelines/{pipeline.pk}/board",
        {"group_by": "owner", "limit": 1, "owner": str(user.pk), "cursor": page["next_cursor"]},
    ).json()["columns"][0]
    assert [d_["id"] for d_ in rest["deals"]] == [str(a.pk)] and rest["has_more"] is False


def test_board_needs_deals_read(make_client, pipeline):
    body = assert_error(
        make_client("pipelines:read").get(f"/api/v1/pipelines/{pipeline.pk}/board"), 403
    )
    assert "deals:read" in body["message"]


@pytest.mark.parametrize("group_by", ["stage", "owner"])
def test_board_query_count_constant_for_3_vs_30_deals_per_stage(
    api, workspace, pipeline, user, group_by
):
    api.get("/api/v1/me")
    stages = stages_of(pipeline)[:4]
    url = f"/api/v1/pipelines/{pipeline.pk}/board?limit=100&group_by={group_by}"

    def queries(n: int) -> int:
        for stage in stages:
            for deal in DealFactory.create_batch(
                n,
                workspace=workspace,
                stage=stage,
                owner=user,
                company=CompanyFactory(workspace=workspace),
            ):
                deal.tags.add(TagFactory(workspace=workspace))
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url)
        assert response.status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_stage_totals_are_per_currency_and_never_mixed(api, workspace, actor):
    from pipelines.models import Pipeline
    from pipelines.services.deals import deal_create

    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    stage = pipeline.stages.order_by("position").first()
    deal_create(
        workspace=workspace, actor=actor, title="A", stage=stage, amount=1000, currency="USD"
    )
    deal_create(
        workspace=workspace, actor=actor, title="B", stage=stage, amount=250, currency="GBP"
    )
    body = api.get(f"/api/v1/pipelines/{pipeline.pk}").json()
    first = next(s for s in body["stages"] if s["id"] == str(stage.pk))
    assert first["deal_count"] == 2
    assert first["deal_value"] == "1000.00"  # the workspace's currency (USD) only
    assert first["deal_values"] == {"USD": "1000.00", "GBP": "250.00"}
    owners = api.get(f"/api/v1/pipelines/{pipeline.pk}/board", {"group_by": "owner"}).json()
    column = owners["columns"][0] if "columns" in owners else owners["owners"][0]
    assert column["deal_values"] == {"USD": "1000.00", "GBP": "250.00"}
