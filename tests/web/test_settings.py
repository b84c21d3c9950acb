"""Settings pages: API keys, pipelines & stages, workspace and members."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ApiKey, Membership, Role, User
from crm.models import Contact, CustomField, Tag
from crm.web import settings_urls
from pipelines.models import Deal, Pipeline, Stage
from tests.factories import (
    ApiKeyFactory,
    ContactFactory,
    CustomFieldFactory,
    DealFactory,
    InvitationFactory,
    MembershipFactory,
    StageFactory,
    TagFactory,
    UserFactory,
    default_stage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, user, workspace):
    client.force_login(user)
    return client


def client_for(workspace, role) -> Client:
    client = Client()
    client.force_login(MembershipFactory(workspace=workspace, role=role).user)
    return client


def pipeline_of(workspace) -> Pipeline:
    return Pipeline.objects.for_workspace(workspace).get(is_default=True)


def stage_names(pipeline) -> list[str]:
    return list(pipeline.stages.order_by("position").values_list("name", flat=True))


def new_key_text(html: str) -> str:
    match = re.search(r'id="new-key-value" type="text" value="([^"]+)"', html)
    assert match, "the new key is not on the page"
    return match.group(1)


# --- Access -------------------------------------------------------------------------------------

PAGES = ["workspace", "members", "api_keys", "pipelines", "custom_fields", "tags"]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_for_the_owner(owner_client, name):
    response = owner_client.get(reverse(f"settings:{name}"))
    assert response.status_code == 200
    assert b'aria-current="page"' in response.content


def test_settings_index_goes_to_workspace(owner_client):
    response = owner_client.get("/settings/")
    assert response.status_code == 302
    assert response.url == reverse("settings:workspace")


def test_anonymous_user_is_sent_to_sign_in(client, workspace):
    response = client.get(reverse("settings:api_keys"))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def _every_settings_url(workspace) -> list[str]:
    """Every settings URL, with ids of ``workspace``'s own rows."""
    stage = default_stage(workspace)
    ids = {
        "membership_id": Membership.objects.filter(workspace=workspace).first().pk,
        "key_id": ApiKeyFactory(workspace=workspace).pk,
        "pipeline_id": stage.pipeline_id,
        "stage_id": stage.pk,
        "field_id": CustomFieldFactory(workspace=workspace).pk,
        "tag_id": TagFactory(workspace=workspace).pk,
        "invitation_id": InvitationFactory(workspace=workspace).pk,
    }
    urls = []
    for pattern in settings_urls.urlpatterns:
        kwargs = {name: ids[name] for name in pattern.pattern.converters}
        urls.append(reverse(f"settings:{pattern.name}", kwargs=kwargs))
    return urls


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_non_admins_get_403_on_every_settings_get_and_post(workspace, role):
    client = client_for(workspace, role)
    for url in _every_settings_url(workspace):
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, {"name": "x", "role": "owner"}).status_code == 403, url
    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 0


def test_admin_may_use_settings(workspace):
    client = client_for(workspace, Role.ADMIN)
    assert client.get(reverse("settings:api_keys")).status_code == 200


def test_settings_nav_item_only_for_admins(owner_client, workspace):
    assert b'href="/settings/"' in owner_client.get("/").content
    assert b'href="/settings/"' not in client_for(workspace, Role.MEMBER).get("/").content


def test_other_workspaces_ids_are_404(owner_client, other_workspace):
    for url in _every_settings_url(other_workspace):
        if not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", url):
            continue
        response = owner_client.post(url, {"name": "Hijack", "role": "viewer"})
        assert response.status_code == 404, url
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()
    assert Membership.objects.filter(workspace=other_workspace, role=Role.VIEWER).count() == 0


# --- API keys -----------------------------------------------------------------------------------


def test_created_key_is_shown_once_and_works_until_revoked(owner_client, workspace):
    # given a key created through the page
    response = owner_client.post(
        reverse("settings:api_keys"),
        {"name": "Zapier", "scopes": ["crm:read"], "expires_in_days": "30"},
    )
    assert response.status_code == 201
    raw = new_key_text(response.content.decode())
    key = ApiKey.objects.for_workspace(workspace).get(name="Zapier")
    assert raw.startswith(f"ak_{key.prefix}_")
    assert key.expires_at is not None
    # then the list never shows it again
    listing = owner_client.get(reverse("settings:api_keys")).content.decode()
    assert raw not in listing
    assert f"ak_{key.prefix}_…" in listing
    # and it works against the API
    api = Client()
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    # when it is revoked (after a confirmation page)
    revoke_url = reverse("settings:api_key_revoke", args=[key.pk])
    confirm = owner_client.get(revoke_url)
    assert confirm.status_code == 200 and b"Revoke key" in confirm.content
    assert owner_client.post(revoke_url).status_code == 302
    # then the API says 401
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert b"Revoked" in owner_client.get(reverse("settings:api_keys")).content


def test_api_key_form_errors_keep_typed_values(owner_client, workspace):
    response = owner_client.post(
        reverse("settings:api_keys"), {"name": "Typed name", "expires_in_days": "0"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose at least one scope." in html
    assert 'value="Typed name"' in html
    assert "Ensure this value is greater than or equal to 1." in html
    assert not ApiKey.objects.for_workspace(workspace).exists()


def test_api_keys_page_query_count_does_not_grow(owner_client, workspace, user):
    ApiKeyFactory.create_batch(10, workspace=workspace, created_by=user)
    owner_client.get(reverse("settings:api_keys"))  # the first request also sets up the session
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(reverse("settings:api_keys")).status_code == 200
    ApiKeyFactory.create_batch(190, workspace=workspace, created_by=UserFactory())
    with CaptureQueriesContext(connection) as many:
        assert owner_client.get(reverse("settings:api_keys")).status_code == 200
    assert len(many) == len(few)


# --- Pipelines & stages -------------------------------------------------------------------------


def test_reorder_persists_and_up_down_buttons_move(owner_client, workspace):
    pipeline = pipeline_of(workspace)
    ids = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    reordered = [ids[-1], *ids[:-1]]
    response = owner_client.post(
        reverse("settings:stages_reorder", args=[pipeline.pk]),
        {"stage_ids": [str(i) for i in reordered]},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 204
    assert list(pipeline.stages.order_by("position").values_list("pk", flat=True)) == reordered

    names = stage_names(pipeline)
    owner_client.post(reverse("settings:stage_move", args=[reordered[0]]), {"direction": "down"})
    assert stage_names(pipeline) == [names[1], names[0], *names[2:]]
    # The first stage cannot move further up: nothing changes.
    first = pipeline.stages.order_by("position").first()
    owner_client.post(reverse("settings:stage_move", args=[first.pk]), {"direction": "up"})
    assert stage_names(pipeline) == [names[1], names[0], *names[2:]]


def test_reorder_with_a_missing_stage_is_refused(owner_client, workspace):
    pipeline = pipeline_of(workspace)
    ids = [str(i) for i in pipeline.stages.values_list("pk", flat=True)]
    before = stage_names(pipeline)
    response = owner_client.post(
        reverse("settings:stages_reorder", args=[pipeline.pk]),
        {"stage_ids": ids[1:]},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 422
    assert stage_names(pipeline) == before


def test_add_rename_and_edit_stage(owner_client, workspace):
    pipeline = pipeline_of(workspace)
    response = owner_client.post(
        reverse("settings:stage_add", args=[pipeline.pk]),
        {
            f"add-{pipeline.pk}-name": "Demo booked",
            f"add-{pipeline.pk}-kind": "open",
            f"add-{pipeline.pk}-probability": "40",
            f"add-{pipeline.pk}-color": "#112233",
            f"add-{pipeline.pk}-rotting_days": "14",
        },
    )
    assert response.status_code == 302
    stage = pipeline.stages.get(name="Demo booked")
    assert (stage.probability, stage.color, stage.rotting_days) == (40, "#112233", 14)

    prefix = f"stage-{stage.pk}"
    response = owner_client.post(
        reverse("settings:stage_edit", args=[stage.pk]),
        {
            f"{prefix}-name": "Demo held",
            f"{prefix}-kind": "open",
            f"{prefix}-probability": "55",
            f"{prefix}-color": "#445566",
            f"{prefix}-rotting_days": "",
        },
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.rotting_days) == ("Demo held", 55, None)

    response = owner_client.post(
        reverse("settings:pipeline_rename", args=[pipeline.pk]),
        {f"pipeline-{pipeline.pk}-name": "New business"},
    )
    assert response.status_code == 302
    pipeline.refresh_from_db()
    assert pipeline.name == "New business"

    response = owner_client.post(reverse("settings:pipelines"), {"new-name": "Renewals"})
    assert response.status_code == 302
    assert Pipeline.objects.for_workspace(workspace).filter(name="Renewals").exists()


def test_stage_form_errors_show_next_to_fields(owner_client, workspace):
    pipeline = pipeline_of(workspace)
    stages = list(pipeline.stages.order_by("position"))
    prefix = f"stage-{stages[0].pk}"
    response = owner_client.post(
        reverse("settings:stage_edit", args=[stages[0].pk]),
        {
            f"{prefix}-name": stages[1].name,  # taken
            f"{prefix}-kind": "open",
            f"{prefix}-probability": "150",
            f"{prefix}-color": "#112233",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Ensure this value is less than or equal to 100." in html
    response = owner_client.post(
        reverse("settings:stage_edit", args=[stages[0].pk]),
        {
            f"{prefix}-name": stages[1].name,
            f"{prefix}-kind": "open",
            f"{prefix}-probability": "10",
            f"{prefix}-color": "#112233",
        },
    )
    assert response.status_code == 422
    assert "has a stage named" in response.content.decode()
    response = owner_client.post(reverse("settings:pipelines"), {"new-name": pipeline.name})
    assert response.status_code == 422
    assert "exists" in response.content.decode()


def test_deleting_a_stage_with_deals_needs_a_target_and_moves_them(owner_client, workspace):
    pipeline = pipeline_of(workspace)
    source, target = list(pipeline.stages.order_by("position"))[:2]
    deals = DealFactory.create_batch(3, workspace=workspace, stage=source)
    url = reverse("settings:stage_delete", args=[source.pk])
    confirm = owner_client.get(url)
    assert confirm.status_code == 200 and b"3 deals" in confirm.content

    # when no target is chosen
    response = owner_client.post(url, {})
    assert response.status_code == 422
    assert b"Choose where this stage" in response.content
    assert Stage.objects.filter(pk=source.pk).exists()

    # when a target is chosen
    response = owner_client.post(url, {"move_deals_to": str(target.pk)})
    assert response.status_code == 302
    assert not Stage.objects.filter(pk=source.pk).exists()
    assert set(
        Deal.objects.filter(pk__in=[d.pk for d in deals]).values_list("stage", flat=True)
    ) == {target.pk}


def test_deleting_an_empty_stage_and_other_pipelines_stage_is_no_target(
    owner_client, workspace, other_workspace
):
    pipeline = pipeline_of(workspace)
    stage = pipeline.stages.order_by("position").first()
    DealFactory(workspace=workspace, stage=stage)
    foreign = default_stage(other_workspace)
    response = owner_client.post(
        reverse("settings:stage_delete", args=[stage.pk]), {"move_deals_to": str(foreign.pk)}
    )
    assert response.status_code == 422
    assert Stage.objects.filter(pk=stage.pk).exists()

    empty = pipeline.stages.order_by("position").last()
    response = owner_client.post(reverse("settings:stage_delete", args=[empty.pk]))
    assert response.status_code == 302
    assert not Stage.objects.filter(pk=empty.pk).exists()
    assert list(pipeline.stages.order_by("position").values_list("position", flat=True)) == list(
        range(pipeline.stages.count())
    )


def test_pipelines_page_query_count_does_not_grow(owner_client, workspace):
    pipeline = pipeline_of(workspace)
    StageFactory.create_batch(4, pipeline=pipeline)
    DealFactory.create_batch(3, workspace=workspace)
    owner_client.get(reverse("settings:pipelines"))  # the first request also sets up the session
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(reverse("settings:pipelines")).status_code == 200
    StageFactory.create_batch(190, pipeline=pipeline)
    DealFactory.create_batch(20, workspace=workspace)
    with CaptureQueriesContext(connection) as many:
        assert owner_client.get(reverse("settings:pipelines")).status_code == 200
    assert len(many) == len(few)


# --- Workspace and members ----------------------------------------------------------------------


def test_workspace_settings_save_and_show_errors(owner_client, workspace):
    url = reverse("settings:workspace")
    response = owner_client.post(
        url, {"name": "Acme Sales", "default_currency": "eur", "timezone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.name, workspace.default_currency, workspace.timezone) == (
        "Acme Sales",
        "EUR",
        "Europe/Berlin",
    )
    response = owner_client.post(
        url, {"name": "Still typed", "default_currency": "E1", "timezone": "Mars/Base"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Still typed"' in html
    assert "not a known time zone" in html


def test_role_change_obeys_the_last_owner_rule(owner_client, user, workspace, member):
    mine = Membership.objects.get(workspace=workspace, user=user)
    theirs = Membership.objects.get(workspace=workspace, user=member)
    # the only owner cannot step down
    response = owner_client.post(reverse("settings:member_role", args=[mine.pk]), {"role": "admin"})
    assert response.status_code == 422
    assert b"at least one owner" in response.content
    mine.refresh_from_db()
    assert mine.role == Role.OWNER
    # nor leave
    response = owner_client.post(reverse("settings:member_remove", args=[mine.pk]))
    assert response.status_code == 422
    # with a second owner, the first may step down
    assert (
        owner_client.post(
            reverse("settings:member_role", args=[theirs.pk]), {"role": "owner"}
        ).status_code
        == 302
    )
    assert (
        owner_client.post(
            reverse("settings:member_role", args=[mine.pk]), {"role": "admin"}
        ).status_code
        == 302
    )
    mine.refresh_from_db()
    assert mine.role == Role.ADMIN


def test_admin_cannot_touch_owners_but_can_manage_members(workspace, user, member):
    admin = client_for(workspace, Role.ADMIN)
    owner_membership = Membership.objects.get(workspace=workspace, user=user)
    member_membership = Membership.objects.get(workspace=workspace, user=member)
    url = reverse("settings:member_role", args=[owner_membership.pk])
    assert admin.post(url, {"role": "viewer"}).status_code == 403
    url = reverse("settings:member_role", args=[member_membership.pk])
    assert admin.post(url, {"role": "owner"}).status_code == 403
    assert admin.post(url, {"role": "viewer"}).status_code == 302
    remove = reverse("settings:member_remove", args=[member_membership.pk])
    assert admin.get(remove).status_code == 200
    assert admin.post(remove).status_code == 302
    assert not Membership.objects.filter(pk=member_membership.pk).exists()


def test_unknown_role_is_an_error(owner_client, workspace, member):
    theirs = Membership.objects.get(workspace=workspace, user=member)
    response = owner_client.post(
        reverse("settings:member_role", args=[theirs.pk]), {"role": "emperor"}
    )
    assert response.status_code == 422
    assert b"Unknown role" in response.content


def _add_members(workspace, count: int, start: int) -> None:
    # Straight inserts: the factory hashes a password per user, far too slow for 200.
    users = User.objects.bulk_create(
        User(email=f"m{start + n}@example.com", name=f"Member {start + n}", password="!")
        for n in range(count)
    )
    Membership.objects.bulk_create(
        Membership(workspace=workspace, user=u, role=Role.MEMBER) for u in users
    )


def test_members_page_query_count_does_not_grow(owner_client, workspace):
    _add_members(workspace, 9, 0)
    owner_client.get(reverse("settings:members"))  # the first request also sets up the session
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(reverse("settings:members")).status_code == 200
    _add_members(workspace, 190, 100)
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(reverse("settings:members"))
        assert response.status_code == 200
    assert response.content.count(b'name="role"') == 200
    assert len(many) == len(few)


def test_unknown_uuid_is_404(owner_client):
    response = owner_client.get(reverse("settings:stage_delete", args=[uuid.uuid4()]))
    assert response.status_code == 404


# --- Custom fields and tags ---------------------------------------------------------------------


def test_add_custom_field_and_errors(owner_client, workspace):
    url = reverse("settings:custom_fields")
    response = owner_client.post(
        url,
        {
            "object_type": "contact",
            "label": "Region",
            "key": "region",
            "type": "select",
            "options": "EMEA\nAmericas\n",
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.for_workspace(workspace).get(key="region")
    assert field.options == ["EMEA", "Americas"]
    assert b"Region" in owner_client.get(url).content
    # a taken key and a bad key show next to the field, typed values kept
    response = owner_client.post(
        url, {"object_type": "contact", "label": "Again", "key": "region", "type": "text"}
    )
    assert response.status_code == 422
    assert b"exists" in response.content and b'value="Again"' in response.content
    response = owner_client.post(
        url, {"object_type": "contact", "label": "Bad", "key": "Bad Key", "type": "text"}
    )
    assert response.status_code == 422
    assert b"lower_snake_case" in response.content


def test_deleting_a_used_custom_field_needs_force(owner_client, workspace):
    field = CustomFieldFactory(workspace=workspace, key="region")
    contact = ContactFactory(workspace=workspace, custom_fields={"region": "EMEA"})
    url = reverse("settings:custom_field_delete", args=[field.pk])
    assert b"1 record" in owner_client.get(url).content
    response = owner_client.post(url, {})
    assert response.status_code == 422
    assert CustomField.objects.filter(pk=field.pk).exists()
    response = owner_client.post(url, {"force": "on"})
    assert response.status_code == 302
    assert not CustomField.objects.filter(pk=field.pk).exists()
    assert "region" not in Contact.objects.get(pk=contact.pk).custom_fields


def test_tags_add_rename_colour_and_delete(owner_client, workspace):
    url = reverse("settings:tags")
    assert owner_client.post(url, {"new-name": "VIP", "new-color": "#ff0000"}).status_code == 302
    tag = Tag.objects.for_workspace(workspace).get(name="VIP")
    response = owner_client.post(url, {"new-name": "vip", "new-color": "#ff0000"})
    assert response.status_code == 422 and b"exists" in response.content
    edit = reverse("settings:tag_edit", args=[tag.pk])
    response = owner_client.post(
        edit, {f"tag-{tag.pk}-name": "Key account", f"tag-{tag.pk}-color": "#00ff00"}
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Key account", "#00ff00")
    response = owner_client.post(
        edit, {f"tag-{tag.pk}-name": "Key account", f"tag-{tag.pk}-color": "green"}
    )
    assert response.status_code == 422 and b"hex colour" in response.content
    delete = reverse("settings:tag_delete", args=[tag.pk])
    assert b"Delete tag" in owner_client.get(delete).content
    assert owner_client.post(delete).status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()


@pytest.mark.parametrize("name", ["custom_fields", "tags"])
def test_schema_pages_query_count_does_not_grow(owner_client, workspace, name):
    factory = CustomFieldFactory if name == "custom_fields" else TagFactory
    factory.create_batch(10, workspace=workspace)
    owner_client.get(reverse(f"settings:{name}"))  # the first request also sets up the session
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(reverse(f"settings:{name}")).status_code == 200
    factory.create_batch(190, workspace=workspace)
    with CaptureQueriesContext(connection) as many:
        assert owner_client.get(reverse(f"settings:{name}")).status_code == 200
    assert len(many) == len(few)
