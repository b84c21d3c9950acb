"""/api/v1/deals: CRUD, filters, query, move and stage history."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import TimelineEvent
from pipelines.models import Deal, Pipeline, Stage, StageHistory
from pipelines.services.deals import deal_create
from pipelines.services.pipelines import pipeline_create
from tests.api.conftest import assert_error
from tests.factories import CompanyFactory, ContactFactory, DealFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


@pytest.fixture
def stages(pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position"))


def positions(stage: Stage) -> list[int]:
    return list(
        Deal.objects.filter(stage=stage).order_by("position").values_list("position", flat=True)
    )


def test_create_deal_is_201_with_every_field(api, workspace, stages, user):
    company = CompanyFactory(workspace=workspace)
    contact = ContactFactory(workspace=workspace)
    response = api.post(
        "/api/v1/deals",
        {
            "title": "Big one",
            "stage": str(stages[1].pk),
            "amount": "1234.5",
            "currency": "eur",
            "expected_close_date": "2026-03-01",
            "owner": str(user.pk),
            "company": str(company.pk),
            "contacts": [{"id": str(contact.pk), "role": "champion"}],
            "tags": ["hot"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/deals/{body['id']}"
    assert response["ETag"].startswith('"')
    assert body["amount"] == "1234.50" and body["currency"] == "EUR"
    assert body["pipeline"] == str(stages[1].pipeline_id) and body["stage"] == str(stages[1].pk)
    assert body["status"] == "open"
    assert body["probability"] == stages[1].probability  # from the stage
    assert body["contacts"] == [{"id": str(contact.pk), "role": "champion"}]
    assert body["company"] == str(company.pk) and body["owner"] == str(user.pk)
    assert body["tags"] == ["hot"] and body["position"] == 0
    assert body["expected_close_date"] == "2026-03-01"
    assert body["stage_entered_at"].endswith("Z") and body["closed_at"] is None
    assert set(body) >= {
        "lost_reason",
        "custom_fields",
        "created_at",
        "updated_at",
    }
    assert StageHistory.objects.filter(deal_id=body["id"]).count() == 1


def test_create_deal_defaults_to_the_default_pipeline(api, stages):
    body = api.post("/api/v1/deals", {"title": "Small"}, format="json").json()
    assert body["stage"] == str(stages[0].pk)


def test_create_deal_validation(api, workspace):
    assert_error(api.post("/api/v1/deals", {"amount": "3"}, format="json"), 400, field="title")
    assert_error(
        api.post("/api/v1/deals", {"title": "x", "amount": "-1"}, format="json"),
        400,
        field="amount",
    )
    assert_error(
        api.post("/api/v1/deals", {"title": "x", "probability": 101}, format="json"),
        400,
        field="probability",
    )
    assert_error(
        api.post("/api/v1/deals", {"title": "x", "currency": "EURO"}, format="json"),
        400,
        field="currency",
    )
    assert_error(
        api.post("/api/v1/deals", {"title": "x", "status": "won", "nope": 1}, format="json"),
        400,
        field="nope",
    )
    assert_error(
        api.post("/api/v1/deals", {"title": "x", "owner": str(workspace.pk)}, format="json"),
        400,
        field="owner",
    )
    assert not Deal.objects.exists()


def test_create_with_another_workspaces_ids_is_404(api, other_workspace):
    theirs_stage = Stage.objects.for_workspace(other_workspace).first()
    theirs_company = CompanyFactory(workspace=other_workspace)
    theirs_contact = ContactFactory(workspace=other_workspace)
    for extra in (
        {"stage": str(theirs_stage.pk)},
        {"pipeline": str(theirs_stage.pipeline_id)},
        {"company": str(theirs_company.pk)},
        {"contacts": [{"id": str(theirs_contact.pk)}]},
    ):
        assert_error(api.post("/api/v1/deals", {"title": "x", **extra}, format="json"), 404)
    assert not Deal.objects.exists()


def test_deals_missing_scope_is_403_naming_it(make_client, workspace):
    deal = DealFactory(workspace=workspace)
    client = make_client("deals:read")
    body = assert_error(client.post("/api/v1/deals", {"title": "x"}, format="json"), 403)
    assert "deals:write" in body["message"]
    body = assert_error(
        client.post(
            f"/api/v1/deals/{deal.pk}/move", {"stage_id": str(deal.stage_id)}, format="json"
        ),
        403,
    )
    assert "deals:write" in body["message"]
    body = assert_error(make_client("contacts:read").get("/api/v1/deals"), 403)
    assert "deals:read" in body["message"]
    body = assert_error(
        make_client("contacts:read").get(f"/api/v1/deals/{deal.pk}/stage-history"), 403
    )
    assert "deals:read" in body["message"]
    assert client.post("/api/v1/deals/query", {}, format="json").status_code == 200


def test_deals_no_credential_is_401(anonymous, workspace):
    deal = DealFactory(workspace=workspace)
    assert_error(anonymous.get("/api/v1/deals"), 401)
    assert_error(anonymous.get(f"/api/v1/deals/{deal.pk}"), 401)
    assert_error(anonymous.post(f"/api/v1/deals/{deal.pk}/move", {}, format="json"), 401)
    assert_error(anonymous.get(f"/api/v1/deals/{deal.pk}/stage-history"), 401)


def test_another_workspaces_deal_is_404_for_every_method(api, other_workspace):
    theirs = DealFactory(workspace=other_workspace, title="Theirs")
    url = f"/api/v1/deals/{theirs.pk}"
    assert_error(api.get(url), 404)
    assert_error(api.patch(url, {"title": "x"}, format="json"), 404)
    assert_error(api.put(url, {"title": "x"}, format="json"), 404)
    assert_error(api.delete(url), 404)
    assert_error(api.post(f"{url}/move", {"stage_id": str(theirs.stage_id)}, format="json"), 404)
    assert_error(api.get(f"{url}/stage-history"), 404)
    assert_error(api.get("/api/v1/deals/not-a-uuid"), 404)
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"
    assert api.get("/api/v1/deals").json()["data"] == []


def test_patch_put_and_if_match(api, workspace, actor):
    deal = deal_create(workspace=workspace, actor=actor, title="Old", amount=10)
    url = f"/api/v1/deals/{deal.pk}"
    etag = api.get(url)["ETag"]
    assert_error(api.patch(url, {"title": "New"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    response = api.patch(
        url, {"title": "New", "probability": 40}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "New" and response.json()["probability"] == 40
    assert response["ETag"] != etag
    put = api.put(url, {"amount": "99.99"}, format="json")
    assert put.json()["amount"] == "99.99" and put.json()["title"] == "New"
    assert_error(api.patch(url, {"title": ""}, format="json"), 400, field="title")
    event = TimelineEvent.objects.filter(subject_id=deal.pk, verb="updated").first()
    assert event is not None


def test_patch_stage_moves_the_deal(api, workspace, actor, stages):
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    body = api.patch(f"/api/v1/deals/{deal.pk}", {"stage": str(stages[2].pk)}, format="json").json()
    assert body["stage"] == str(stages[2].pk)
    assert TimelineEvent.objects.filter(subject_id=deal.pk, verb="stage_changed").exists()


def test_delete_deal_is_204_and_closes_the_gap(api, workspace, actor, stages):
    deals = [deal_create(workspace=workspace, actor=actor, title=f"D{i}") for i in range(3)]
    assert api.delete(f"/api/v1/deals/{deals[0].pk}").status_code == 204
    assert not Deal.objects.filter(pk=deals[0].pk).exists()
    assert positions(stages[0]) == [0, 1]


def test_list_filters(api, workspace, actor, stages, user):
    company = CompanyFactory(workspace=workspace, name="Acme Corp")
    contact = ContactFactory(workspace=workspace)
    other = pipeline_create(workspace=workspace, name="Other")
    big = deal_create(
        workspace=workspace,
        actor=actor,
        title="Big rollout",
        amount=5000,
        owner=user,
        company=company,
        contacts=[{"id": contact.pk}],
        expected_close_date=datetime.date(2026, 5, 1),
        tags=["vip", "hot"],
    )
    small = deal_create(
        workspace=workspace,
        actor=actor,
        title="Small thing",
        amount=50,
        stage=stages[4],
        expected_close_date=datetime.date(2026, 1, 1),
        tags=["vip"],
    )
    elsewhere = deal_create(workspace=workspace, actor=actor, title="Other one", pipeline=other)

    def ids(**params) -> set[str]:
        response = api.get("/api/v1/deals", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["data"]}

    assert ids() == {str(big.pk), str(small.pk), str(elsewhere.pk)}
    assert ids(pipeline=str(other.pk)) == {str(elsewhere.pk)}
    assert ids(stage=str(stages[4].pk)) == {str(small.pk)}
    assert ids(status="won") == {str(small.pk)}
    assert ids(owner=str(user.pk)) == {str(big.pk)}
    assert ids(owner="unassigned") == {str(small.pk), str(elsewhere.pk)}
    assert ids(contact=str(contact.pk)) == {str(big.pk)}
    assert ids(company=str(company.pk)) == {str(big.pk)}
    assert ids(company="acme") == {str(big.pk)}
    assert ids(amount_min="100") == {str(big.pk)}
    assert ids(amount_max="100") == {str(small.pk)}
    assert ids(close_after="2026-02-01") == {str(big.pk)}
    assert ids(close_before="2026-02-01") == {str(small.pk)}
    assert ids(tags="vip,hot") == {str(big.pk)}
    assert ids(q="rollout") == {str(big.pk)}
    assert_error(api.get("/api/v1/deals", {"status": "maybe"}), 400, field="status")
    assert_error(api.get("/api/v1/deals", {"pipeline": "nope"}), 400, field="pipeline")
    assert_error(api.get("/api/v1/deals", {"amount_min": "lots"}), 400, field="amount_min")


def test_sort_fields_and_paging(api, workspace):
    for index, amount in enumerate([30, 10, 20]):
        DealFactory(workspace=workspace, title=f"T{index}", amount=amount, position=index)
    body = api.get("/api/v1/deals?sort=amount&limit=2&fields=title,amount").json()
    assert [row["amount"] for row in body["data"]] == ["10.00", "20.00"]
    assert set(body["data"][0]) == {"id", "title", "amount"}
    assert body["meta"]["has_more"] is True and body["meta"]["total"] == 3
    rest = api.get(f"/api/v1/deals?sort=amount&limit=2&cursor={body['meta']['next_cursor']}").json()
    assert [row["amount"] for row in rest["data"]] == ["30.00"]
    for key in ("created_at", "updated_at", "-expected_close_date", "title", "stage_entered_at"):
        assert api.get(f"/api/v1/deals?sort={key}").status_code == 200
    assert_error(api.get("/api/v1/deals?sort=position"), 400, field="sort")
    assert_error(api.get("/api/v1/deals?fields=id,secret"), 400, field="fields")


def test_query_parameter_and_post_query(api, workspace):
    hit = DealFactory(workspace=workspace, title="Enterprise renewal", amount=900)
    DealFactory(workspace=workspace, title="Enterprise pilot", amount=10)
    expression = {"and": [{"title": {"contains": "enterprise"}}, {"amount": {"gte": 100}}]}
    rows = api.get("/api/v1/deals", {"query": json.dumps(expression)}).json()["data"]
    assert [r["id"] for r in rows] == [str(hit.pk)]
    rows = api.post("/api/v1/deals/query", expression, format="json").json()["data"]
    assert [r["id"] for r in rows] == [str(hit.pk)]
    body = assert_error(
        api.get("/api/v1/deals", {"query": '{"nope": {"is": 1}}'}), 400, field="query"
    )
    assert "nope" in body["errors"]["query"][0]


def test_list_query_count_does_not_grow_with_rows(api, workspace):
    api.get("/api/v1/me")

    def queries(n: int) -> int:
        for deal in DealFactory.create_batch(n, workspace=workspace):
            deal.tags.add(TagFactory(workspace=workspace))
            deal.contacts.add(
                ContactFactory(workspace=workspace), through_defaults={"workspace": workspace}
            )
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/deals?limit=100").status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


# --- move and history ---------------------------------------------------------------------------


def test_move_across_stages_keeps_positions_contiguous_and_records_it(
    api, workspace, actor, stages
):
    source = [deal_create(workspace=workspace, actor=actor, title=f"S{i}") for i in range(4)]
    target = [
        deal_create(workspace=workspace, actor=actor, title=f"T{i}", stage=stages[1])
        for i in range(3)
    ]
    moving = source[1]
    response = api.post(
        f"/api/v1/deals/{moving.pk}/move",
        {"stage_id": str(stages[1].pk), "position": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stage"] == str(stages[1].pk) and body["position"] == 1
    assert positions(stages[0]) == [0, 1, 2]
    assert positions(stages[1]) == [0, 1, 2, 3]
    order = list(
        Deal.objects.filter(stage=stages[1]).order_by("position").values_list("pk", flat=True)
    )
    assert order == [target[0].pk, moving.pk, target[1].pk, target[2].pk]
    history = list(StageHistory.objects.filter(deal=moving).order_by("entered_at"))
    assert [h.stage_id for h in history] == [stages[0].pk, stages[1].pk]
    assert history[0].left_at is not None and history[1].from_stage_id == stages[0].pk
    event = TimelineEvent.objects.get(subject_id=moving.pk, verb="stage_changed")
    assert event.data["to_stage"] == stages[1].name


def test_move_within_a_stage_reorders(api, workspace, actor, stages):
    deals = [deal_create(workspace=workspace, actor=actor, title=f"S{i}") for i in range(3)]
    api.post(
        f"/api/v1/deals/{deals[2].pk}/move",
        {"stage_id": str(stages[0].pk), "position": 0},
        format="json",
    )
    order = list(
        Deal.objects.filter(stage=stages[0]).order_by("position").values_list("pk", flat=True)
    )
    assert order == [deals[2].pk, deals[0].pk, deals[1].pk]
    assert not TimelineEvent.objects.filter(verb="stage_changed").exists()


def test_move_to_a_lost_stage_with_a_reason(api, workspace, actor, stages):
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    lost = next(s for s in stages if s.kind == "lost")
    body = api.post(
        f"/api/v1/deals/{deal.pk}/move",
        {"stage_id": str(lost.pk), "lost_reason": "Price"},
        format="json",
    ).json()
    assert body["status"] == "lost" and body["lost_reason"] == "Price"
    assert body["closed_at"] is not None


def test_move_to_another_pipeline(api, workspace, actor):
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    other = pipeline_create(workspace=workspace, name="Other")
    stage = other.stages.order_by("position").first()
    body = api.post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": str(stage.pk)}, format="json"
    ).json()
    assert body["pipeline"] == str(other.pk) and body["stage"] == str(stage.pk)


def test_move_validation_and_other_workspace(api, workspace, actor, other_workspace):
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    url = f"/api/v1/deals/{deal.pk}/move"
    assert_error(api.post(url, {}, format="json"), 400, field="stage_id")
    assert_error(api.post(url, {"stage_id": "x"}, format="json"), 400, field="stage_id")
    assert_error(
        api.post(url, {"stage_id": str(deal.stage_id), "position": -1}, format="json"),
        400,
        field="position",
    )
    theirs = Stage.objects.for_workspace(other_workspace).first()
    assert_error(api.post(url, {"stage_id": str(theirs.pk)}, format="json"), 404)
    deal.refresh_from_db()
    assert deal.stage.workspace_id == workspace.pk


def test_stage_history(api, workspace, actor, stages, user):
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    api.post(f"/api/v1/deals/{deal.pk}/move", {"stage_id": str(stages[2].pk)}, format="json")
    body = api.get(f"/api/v1/deals/{deal.pk}/stage-history").json()
    assert body["meta"]["total"] == 2
    first, second = body["data"]
    assert first["stage"] == str(stages[0].pk) and first["stage_name"] == stages[0].name
    assert first["from_stage"] is None and first["left_at"] is not None
    assert first["actor"] == {"id": str(user.pk), "name": user.name}
    assert second["stage"] == str(stages[2].pk) and second["from_stage"] == str(stages[0].pk)
    assert second["left_at"] is None and second["actor"] is None  # moved with an API key
    assert second["entered_at"].endswith("Z")
    newest = api.get(f"/api/v1/deals/{deal.pk}/stage-history?sort=-entered_at").json()
    assert newest["data"][0]["stage"] == str(stages[2].pk)
    assert_error(api.get(f"/api/v1/deals/{deal.pk}/stage-history?sort=actor"), 400, field="sort")


def test_stage_history_query_count_does_not_grow(api, workspace, actor, stages):
    api.get("/api/v1/me")
    deal = deal_create(workspace=workspace, actor=actor, title="D")
    url = f"/api/v1/deals/{deal.pk}/stage-history?limit=100"

    def queries(n: int) -> int:
        from pipelines.services.deals import deal_move

        for index in range(n):
            deal_move(deal=deal, actor=actor, stage=stages[(index % 3) + 1 if index % 2 else 0])
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200
        return len(captured)

    assert queries(3) == queries(30)
