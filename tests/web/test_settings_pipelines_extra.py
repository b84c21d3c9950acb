"""Settings → Pipelines: create (usual stages or none), make default, delete (asking first and
moving the deals), and each pipeline's lost reasons, which the board's lost dialog offers."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from pipelines.models import Deal, LostReason, Pipeline
from pipelines.services.pipelines import pipeline_create
from tests.factories import DealFactory, MembershipFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("settings:pipelines")


@pytest.fixture
def owner_client(client, user, workspace):
    client.force_login(user)
    return client


@pytest.fixture
def sales(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


@pytest.fixture
def partners(workspace) -> Pipeline:
    return pipeline_create(workspace=workspace, name="Partners")


def client_for(workspace, role) -> Client:
    client = Client()
    client.force_login(MembershipFactory(workspace=workspace, role=role).user)
    return client


def reason_names(pipeline: Pipeline) -> list[str]:
    return list(pipeline.lost_reasons.order_by("position").values_list("name", flat=True))


# --- Pipelines -----------------------------------------------------------------------------------


def test_create_a_pipeline_with_the_usual_stages_or_none(owner_client, workspace):
    response = owner_client.post(PAGE, {"new-name": "Renewals", "new-start_with": "usual"})
    assert response.status_code == 302
    renewals = Pipeline.objects.for_workspace(workspace).get(name="Renewals")
    assert renewals.stages.count() == 6 and not renewals.is_default

    response = owner_client.post(PAGE, {"new-name": "Custom", "new-start_with": "empty"})
    assert response.status_code == 302
    custom = Pipeline.objects.for_workspace(workspace).get(name="Custom")
    assert custom.stages.count() == 0
    # the page opens its "Add a stage" form and says what to do next
    html = owner_client.get(response["Location"]).content.decode()
    assert "Add its stages" in html
    section = html[html.index(f'id="pipeline-{custom.pk}"') :]
    assert re.search(r'<details class="add-stage" open>', section)
    # its first stage
    response = owner_client.post(
        reverse("settings:stage_add", args=[custom.pk]),
        {
            f"add-{custom.pk}-name": "Talking",
            f"add-{custom.pk}-kind": "open",
            f"add-{custom.pk}-probability": "20",
            f"add-{custom.pk}-color": "#3b82f6",
        },
    )
    assert response.status_code == 302
    assert list(custom.stages.values_list("name", flat=True)) == ["Talking"]


def test_create_pipeline_errors_keep_the_input(owner_client, sales):
    response = owner_client.post(PAGE, {"new-name": sales.name, "new-start_with": "empty"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "exists" in html
    assert '<option value="empty" selected>' in html
    response = owner_client.post(PAGE, {"new-name": "X", "new-start_with": "bogus"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_make_another_pipeline_the_default(owner_client, sales, partners):
    response = owner_client.post(reverse("settings:pipeline_make_default", args=[partners.pk]))
    assert response.status_code == 302
    partners.refresh_from_db()
    sales.refresh_from_db()
    assert partners.is_default and not sales.is_default


def test_delete_an_empty_pipeline_asks_first(owner_client, partners):
    url = reverse("settings:pipeline_delete", args=[partners.pk])
    page = owner_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Delete the pipeline “Partners”?" in html and "holds no deals" in html
    assert Pipeline.objects.filter(pk=partners.pk).exists()
    response = owner_client.post(url)
    assert response.status_code == 302
    assert not Pipeline.objects.filter(pk=partners.pk).exists()
    html = owner_client.get(response["Location"]).content.decode()
    assert "Pipeline “Partners” deleted." in html


def test_delete_a_pipeline_with_deals_needs_a_target_and_moves_them(owner_client, sales, partners):
    stages = {stage.name: stage for stage in partners.stages.all()}
    DealFactory.create_batch(2, workspace=partners.workspace, stage=stages["Proposal"])
    url = reverse("settings:pipeline_delete", args=[partners.pk])
    html = owner_client.get(url).content.decode()
    assert "2 deals" in html
    # the target list offers the other pipelines' stages, grouped by pipeline
    assert f'<optgroup label="{sales.name}">' in html
    assert str(stages["Lead in"].pk) not in html
    # when no target is chosen
    response = owner_client.post(url, {"move_deals_to": ""})
    assert response.status_code == 422
    assert "Choose where the deals of this pipeline go" in response.content.decode()
    # when a stage of the same pipeline is forced in
    response = owner_client.post(url, {"move_deals_to": str(stages["Lead in"].pk)})
    assert response.status_code == 422
    assert Pipeline.objects.filter(pk=partners.pk).exists()
    # when a target is chosen
    target = sales.stages.get(name="Negotiation")
    response = owner_client.post(url, {"move_deals_to": str(target.pk)})
    assert response.status_code == 302
    assert not Pipeline.objects.filter(pk=partners.pk).exists()
    assert Deal.objects.filter(stage=target).count() == 2
    html = owner_client.get(response["Location"]).content.decode()
    assert "Its 2 deals moved to" in html


def test_the_default_pipeline_cannot_be_deleted(owner_client, sales):
    url = reverse("settings:pipeline_delete", args=[sales.pk])
    html = owner_client.get(url).content.decode()
    assert "Make another pipeline the default first" in html
    assert "Delete pipeline</button>" not in html
    response = owner_client.post(url)
    assert response.status_code == 422
    assert Pipeline.objects.filter(pk=sales.pk).exists()
    # and its page offers no delete link
    page = owner_client.get(PAGE).content.decode()
    assert url not in page


def test_deals_with_nowhere_to_go_are_explained(owner_client, workspace, partners, sales):
    # given Sales, with a deal, is no longer the default, and the other pipeline has no stage
    owner_client.post(reverse("settings:pipeline_make_default", args=[partners.pk]))
    DealFactory(workspace=workspace, stage=sales.stages.first())
    partners.stages.all().delete()
    # then deleting Sales is explained, not offered
    url = reverse("settings:pipeline_delete", args=[sales.pk])
    html = owner_client.get(url).content.decode()
    assert "no other pipeline to move them to" in html
    assert owner_client.post(url, {"move_deals_to": ""}).status_code == 422
    assert Pipeline.objects.filter(pk=sales.pk).exists()


# --- Lost reasons --------------------------------------------------------------------------------


def test_add_rename_and_delete_lost_reasons(owner_client, partners):
    add_url = reverse("settings:lost_reason_add", args=[partners.pk])
    # add
    response = owner_client.post(add_url, {f"reason-add-{partners.pk}-name": "Went quiet"})
    assert response.status_code == 302
    assert reason_names(partners)[-1] == "Went quiet"
    # a duplicate is an error next to the field, the typed value kept
    response = owner_client.post(add_url, {f"reason-add-{partners.pk}-name": "Went quiet"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "This reason exists." in html and 'value="Went quiet"' in html
    # rename
    reason = partners.lost_reasons.get(name="Went quiet")
    rename_url = reverse("settings:lost_reason_rename", args=[partners.pk])
    response = owner_client.post(
        rename_url, {"reason": str(reason.pk), f"reason-{reason.pk}-name": "Ghosted"}
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.name == "Ghosted"
    # a rename to an empty name is refused
    response = owner_client.post(
        rename_url, {"reason": str(reason.pk), f"reason-{reason.pk}-name": ""}
    )
    assert response.status_code == 422
    # delete asks first
    delete_url = reverse("settings:lost_reason_delete", args=[partners.pk])
    page = owner_client.get(delete_url, {"reason": str(reason.pk)})
    assert page.status_code == 200
    assert "Delete the lost reason “Ghosted” of Partners?" in page.content.decode()
    assert LostReason.objects.filter(pk=reason.pk).exists()
    response = owner_client.post(delete_url, {"reason": str(reason.pk)})
    assert response.status_code == 302
    assert not LostReason.objects.filter(pk=reason.pk).exists()


def test_the_board_lost_dialog_lists_the_pipelines_reasons(owner_client, partners, sales):
    owner_client.post(
        reverse("settings:lost_reason_add", args=[partners.pk]),
        {f"reason-add-{partners.pk}-name": "Partner went bust"},
    )
    html = owner_client.get(reverse("board", args=[partners.pk])).content.decode()
    dialog = html[html.index("data-lost-dialog") :]
    assert ">Partner went bust</option>" in dialog
    # another pipeline's board does not offer it
    assert (
        "Partner went bust"
        not in owner_client.get(reverse("board", args=[sales.pk])).content.decode()
    )


def test_a_reason_of_another_pipeline_or_workspace_is_404(
    owner_client, partners, sales, other_workspace
):
    theirs = LostReason.objects.filter(workspace=other_workspace).first()
    sales_reason = sales.lost_reasons.first()
    delete_url = reverse("settings:lost_reason_delete", args=[partners.pk])
    rename_url = reverse("settings:lost_reason_rename", args=[partners.pk])
    for reason in (theirs, sales_reason):
        assert owner_client.get(delete_url, {"reason": str(reason.pk)}).status_code == 404
        assert owner_client.post(delete_url, {"reason": str(reason.pk)}).status_code == 404
        assert owner_client.post(rename_url, {"reason": str(reason.pk)}).status_code == 404
    assert owner_client.get(delete_url, {"reason": "not-a-uuid"}).status_code == 404
    assert owner_client.get(delete_url).status_code == 404
    assert LostReason.objects.filter(pk__in=[theirs.pk, sales_reason.pk]).count() == 2
    # another workspace's pipeline
    their_pipeline = Pipeline.objects.for_workspace(other_workspace).get(is_default=True)
    for name in ("pipeline_delete", "pipeline_make_default", "lost_reason_add"):
        response = owner_client.post(reverse(f"settings:{name}", args=[their_pipeline.pk]))
        assert response.status_code == 404, name


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_non_admins_cannot_change_pipelines_or_reasons(workspace, partners, role):
    client = client_for(workspace, role)
    reason = partners.lost_reasons.first()
    posts = {
        reverse("settings:pipeline_delete", args=[partners.pk]): {},
        reverse("settings:pipeline_make_default", args=[partners.pk]): {},
        reverse("settings:lost_reason_add", args=[partners.pk]): {
            f"reason-add-{partners.pk}-name": "Nope"
        },
        reverse("settings:lost_reason_rename", args=[partners.pk]): {"reason": str(reason.pk)},
        reverse("settings:lost_reason_delete", args=[partners.pk]): {"reason": str(reason.pk)},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("settings:pipeline_delete", args=[partners.pk])).status_code == 403
    assert Pipeline.objects.filter(pk=partners.pk).exists()
    assert LostReason.objects.filter(pk=reason.pk).exists()
    assert not LostReason.objects.filter(name="Nope").exists()


def test_pipelines_page_query_count_does_not_grow_with_reasons(owner_client, workspace):
    def add(count: int, offset: int) -> None:
        for pipeline in Pipeline.objects.for_workspace(workspace):
            LostReason.objects.bulk_create(
                LostReason(workspace=workspace, pipeline=pipeline, name=f"R{offset + n}")
                for n in range(count)
            )

    pipeline_create(workspace=workspace, name="Second")
    add(5, 0)
    owner_client.get(PAGE)  # the first request also sets up the session
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(PAGE).status_code == 200
    add(100, 100)
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(PAGE)
    assert response.status_code == 200
    assert response.content.decode().count('name="reason"') > 200
    assert len(many) == len(few)
