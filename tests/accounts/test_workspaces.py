"""Users, workspaces, memberships and the shared ``model_update``."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership, Role, User, Workspace
from accounts.services.common import Actor, ServiceError, jsonable, model_update
from accounts.services.workspaces import (
    membership_add,
    membership_remove,
    membership_update_role,
    user_create,
    workspace_create,
    workspace_update,
)
from pipelines.models import LostReason, Pipeline
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- Users ---------------------------------------------------------------------------------------


def test_user_create_normalises_the_email_and_sets_the_password():
    # given / when
    user = user_create(email="  Ada@Example.COM ", password="s3cret-pass", name=" Ada ")

    # then
    assert user.email == "Ada@example.com"
    assert user.name == "Ada"
    assert user.check_password("s3cret-pass")


def test_user_create_refuses_an_email_taken_in_another_case():
    # given
    user_create(email="ada@example.com", password="s3cret-pass")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        user_create(email="ADA@example.com", password="an0ther-pass")
    assert "email" in excinfo.value.message_dict
    assert User.objects.count() == 1


def test_user_create_refuses_a_malformed_email():
    with pytest.raises(ValidationError) as excinfo:
        user_create(email="not-an-email", password="s3cret-pass")
    assert "email" in excinfo.value.message_dict


def test_user_create_applies_the_password_rules():
    with pytest.raises(ValidationError) as excinfo:
        user_create(email="weak@example.com", password="123")
    assert "password" in excinfo.value.message_dict
    assert not User.objects.filter(email="weak@example.com").exists()


# --- Workspaces ----------------------------------------------------------------------------------


def test_workspace_create_makes_the_owner_membership_and_the_default_pipeline():
    # given
    owner = UserFactory()

    # when
    workspace = workspace_create(name="Acme Sales", owner=owner, default_currency="eur")

    # then
    assert workspace.slug == "acme-sales"
    assert workspace.default_currency == "EUR"
    membership = Membership.objects.get(workspace=workspace)
    assert (membership.user, membership.role) == (owner, Role.OWNER)
    pipeline = Pipeline.objects.for_workspace(workspace).get()
    assert pipeline.is_default
    stages = list(pipeline.stages.order_by("position"))
    assert [(s.name, s.kind, s.position) for s in stages] == [
        ("Lead in", "open", 0),
        ("Qualified", "open", 1),
        ("Proposal", "open", 2),
        ("Negotiation", "open", 3),
        ("Won", "won", 4),
        ("Lost", "lost", 5),
    ]
    assert [s.probability for s in stages] == [10, 25, 50, 75, 100, 0]
    assert LostReason.objects.filter(pipeline=pipeline).count() == 5


def test_workspace_create_gives_unique_slugs_to_equal_names():
    # given
    owner = UserFactory()
    first = workspace_create(name="Acme", owner=owner)

    # when
    second = workspace_create(name="Acme", owner=owner)

    # then
    assert first.slug == "acme"
    assert second.slug == "acme-2"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "Acme", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "Acme", "default_currency": "EURO"}, "default_currency"),
        ({"name": "Acme", "default_currency": "E1"}, "default_currency"),
    ],
)
def test_workspace_create_validates_its_fields(kwargs, field):
    # given
    owner = UserFactory()

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        workspace_create(owner=owner, **kwargs)
    assert field in excinfo.value.message_dict
    assert not Workspace.objects.exists()
    assert not Pipeline.objects.exists()


def test_workspace_create_refuses_a_taken_slug(user):
    # given
    workspace_create(name="Acme", owner=user, slug="acme")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        workspace_create(name="Other", owner=user, slug="acme")
    assert "slug" in excinfo.value.message_dict
    assert Workspace.objects.count() == 1


def test_workspace_update_changes_fields_and_uppercases_the_currency(workspace):
    # when
    workspace_update(
        workspace=workspace,
        data={"name": "Renamed", "default_currency": "gbp", "timezone": "Europe/Paris"},
    )

    # then
    workspace.refresh_from_db()
    assert (workspace.name, workspace.default_currency, workspace.timezone) == (
        "Renamed",
        "GBP",
        "Europe/Paris",
    )


def test_workspace_update_refuses_an_unknown_timezone(workspace):
    with pytest.raises(ValidationError) as excinfo:
        workspace_update(workspace=workspace, data={"timezone": "Nowhere/Town"})
    assert "timezone" in excinfo.value.message_dict
    workspace.refresh_from_db()
    assert workspace.timezone == "UTC"


# --- Memberships ---------------------------------------------------------------------------------


def test_membership_add_adds_a_user_with_a_role(workspace):
    # given
    newcomer = UserFactory()

    # when
    membership = membership_add(workspace=workspace, user=newcomer, role=Role.ADMIN)

    # then
    assert membership.role == Role.ADMIN
    assert membership.has_role(Role.MEMBER)
    assert not membership.has_role(Role.OWNER)


def test_membership_add_refuses_a_member_twice_and_an_unknown_role(workspace, user):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        membership_add(workspace=workspace, user=user)
    assert "user" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        membership_add(workspace=workspace, user=UserFactory(), role="king")
    assert "role" in excinfo.value.message_dict


def test_membership_update_role_changes_the_role(workspace, member):
    # given
    membership = Membership.objects.get(workspace=workspace, user=member)

    # when
    membership_update_role(membership=membership, role=Role.ADMIN)

    # then
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_membership_update_role_refuses_an_unknown_role(workspace, member):
    membership = Membership.objects.get(workspace=workspace, user=member)
    with pytest.raises(ValidationError) as excinfo:
        membership_update_role(membership=membership, role="emperor")
    assert "role" in excinfo.value.message_dict


def test_the_last_owner_cannot_be_demoted(workspace, user):
    # given
    owner = Membership.objects.get(workspace=workspace, user=user)

    # when / then
    with pytest.raises(ServiceError):
        membership_update_role(membership=owner, role=Role.ADMIN)
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_an_owner_can_be_demoted_when_another_owner_remains(workspace, user):
    # given
    MembershipFactory(workspace=workspace, role=Role.OWNER)
    owner = Membership.objects.get(workspace=workspace, user=user)

    # when
    membership_update_role(membership=owner, role=Role.MEMBER)

    # then
    owner.refresh_from_db()
    assert owner.role == Role.MEMBER


def test_the_last_owner_cannot_be_removed(workspace, user):
    # given
    owner = Membership.objects.get(workspace=workspace, user=user)

    # when / then
    with pytest.raises(ServiceError):
        membership_remove(membership=owner)
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_members_and_second_owners_can_be_removed(workspace, user, member):
    # given
    MembershipFactory(workspace=workspace, role=Role.OWNER)
    plain = Membership.objects.get(workspace=workspace, user=member)
    owner = Membership.objects.get(workspace=workspace, user=user)

    # when
    membership_remove(membership=plain)
    membership_remove(membership=owner)

    # then
    assert not Membership.objects.filter(pk__in=[plain.pk, owner.pk]).exists()
    assert Membership.objects.filter(workspace=workspace, role=Role.OWNER).count() == 1


# --- What every service shares -------------------------------------------------------------------


def test_model_update_saves_only_changes_and_reports_them(workspace):
    # given
    old_name = workspace.name

    # when
    _, changes = model_update(
        instance=workspace,
        fields=["name", "timezone"],
        data={"name": "New name", "timezone": "UTC", "ignored": 1},
    )

    # then
    assert changes == [{"field": "name", "from": old_name, "to": "New name"}]
    assert Workspace.objects.get(pk=workspace.pk).name == "New name"


def test_model_update_with_nothing_changed_writes_nothing(workspace):
    # given
    before = Workspace.objects.get(pk=workspace.pk).updated_at

    # when
    _, changes = model_update(instance=workspace, fields=["name"], data={"name": workspace.name})

    # then
    assert changes == []
    assert Workspace.objects.get(pk=workspace.pk).updated_at == before


def test_model_update_validates_before_saving(workspace):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        model_update(instance=workspace, fields=["name"], data={"name": ""})
    assert "name" in excinfo.value.message_dict
    assert Workspace.objects.get(pk=workspace.pk).name != ""


def test_actor_for_membership(workspace, user):
    membership = Membership.objects.get(workspace=workspace, user=user)
    actor = Actor.for_membership(membership)
    assert (actor.user, actor.role, actor.user_id) == (user, Role.OWNER, user.pk)


def test_actor_names():
    # given
    user = UserFactory.build(name="", email="x@example.com")

    # then
    assert Actor(user=user).name == "x@example.com"
    assert Actor.system().name == "System"
    assert Actor.system().user_id is None


def test_jsonable_makes_values_json_safe(workspace):
    import datetime
    import decimal

    # then
    assert jsonable(
        {
            "d": decimal.Decimal("1.50"),
            "t": datetime.date(2026, 1, 2),
            "m": workspace,
            "l": (workspace.pk,),
        }
    ) == {"d": "1.50", "t": "2026-01-02", "m": str(workspace.pk), "l": [str(workspace.pk)]}
