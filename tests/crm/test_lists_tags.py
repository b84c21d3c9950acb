"""Tags and static lists."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from accounts.services.common import ConflictError
from crm.models import Contact, List, ListMember, Tag
from crm.services.lists import (
    MAX_MEMBERS_PER_CALL,
    list_create,
    list_delete,
    list_members_add,
    list_members_remove,
    list_update,
)
from crm.services.tags import tag_create, tag_delete, tag_update
from tests.factories import CompanyFactory, ContactFactory, ListFactory, TagFactory

pytestmark = pytest.mark.django_db


# --- Tags ----------------------------------------------------------------------------------------


def test_tag_create(workspace):
    # when
    tag = tag_create(workspace=workspace, name="  VIP ", color="#ff0000")

    # then
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("VIP", "#ff0000")


def test_tag_create_has_a_default_colour(workspace):
    assert tag_create(workspace=workspace, name="x").color == "#64748b"


def test_tag_create_refuses_a_name_taken_in_any_case(workspace):
    # given
    existing = tag_create(workspace=workspace, name="VIP")

    # when / then
    with pytest.raises(ConflictError) as excinfo:
        tag_create(workspace=workspace, name=" vip ")
    assert excinfo.value.conflict_id == existing.pk
    assert excinfo.value.field == "name"
    assert Tag.objects.count() == 1


def test_the_same_tag_name_is_fine_in_another_workspace(workspace, other_workspace):
    tag_create(workspace=workspace, name="VIP")
    assert tag_create(workspace=other_workspace, name="VIP").workspace_id == other_workspace.pk


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "x", "color": "red"}, "color"),
        ({"name": "x", "color": "#12345"}, "color"),
        ({"name": "x", "color": "#1234567"}, "color"),
        ({"name": "x", "color": "#gggggg"}, "color"),
    ],
)
def test_tag_create_validation(workspace, kwargs, field):
    with pytest.raises(ValidationError) as excinfo:
        tag_create(workspace=workspace, **kwargs)
    assert field in excinfo.value.message_dict
    assert not Tag.objects.exists()


def test_tag_update_renames_and_recolours(workspace):
    # given
    tag = tag_create(workspace=workspace, name="vip")

    # when
    tag_update(tag=tag, data={"name": "VIP", "color": "#00AA00"})

    # then
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("VIP", "#00AA00")


def test_tag_update_refuses_another_tags_name_and_bad_colours(workspace):
    # given
    taken = tag_create(workspace=workspace, name="Partner")
    tag = tag_create(workspace=workspace, name="vip")

    # when / then
    with pytest.raises(ConflictError) as excinfo:
        tag_update(tag=tag, data={"name": "PARTNER"})
    assert excinfo.value.conflict_id == taken.pk
    with pytest.raises(ValidationError) as excinfo:
        tag_update(tag=tag, data={"color": "blue"})
    assert "color" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        tag_update(tag=tag, data={"name": ""})
    assert "name" in excinfo.value.message_dict
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("vip", "#64748b")


def test_tag_delete_removes_it_from_records(workspace):
    # given
    tag = TagFactory(workspace=workspace)
    contact = ContactFactory(workspace=workspace)
    contact.tags.add(tag)

    # when
    tag_delete(tag=tag)

    # then
    assert not Tag.objects.exists()
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert contact.tags.count() == 0


# --- Lists ---------------------------------------------------------------------------------------


def test_list_create(workspace):
    # when
    list_ = list_create(workspace=workspace, name=" Newsletter ", object_type="contact")

    # then
    assert (list_.name, list_.object_type) == ("Newsletter", "contact")


def test_list_create_validation_and_conflict(workspace):
    # given
    existing = list_create(workspace=workspace, name="Newsletter", object_type="contact")

    # when / then
    with pytest.raises(ConflictError) as excinfo:
        list_create(workspace=workspace, name="Newsletter", object_type="company")
    assert excinfo.value.conflict_id == existing.pk
    with pytest.raises(ValidationError) as excinfo:
        list_create(workspace=workspace, name="X", object_type="deal")
    assert "object_type" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        list_create(workspace=workspace, name="  ", object_type="contact")
    assert "name" in excinfo.value.message_dict
    assert List.objects.count() == 1


def test_list_update_renames_and_refuses_a_taken_name(workspace):
    # given
    taken = list_create(workspace=workspace, name="A", object_type="contact")
    list_ = list_create(workspace=workspace, name="B", object_type="contact")

    # when
    list_update(list_=list_, data={"name": " C "})

    # then
    assert List.objects.get(pk=list_.pk).name == "C"
    with pytest.raises(ConflictError) as excinfo:
        list_update(list_=list_, data={"name": "A"})
    assert excinfo.value.conflict_id == taken.pk


def test_list_delete_keeps_the_records(workspace):
    # given
    list_ = ListFactory(workspace=workspace)
    contact = ContactFactory(workspace=workspace)
    list_members_add(list_=list_, ids=[contact.pk])

    # when
    list_delete(list_=list_)

    # then
    assert not List.objects.exists()
    assert not ListMember.objects.exists()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_list_members_add_counts_only_new_members(workspace):
    # given
    list_ = ListFactory(workspace=workspace, object_type="contact")
    first, second = ContactFactory(workspace=workspace), ContactFactory(workspace=workspace)

    # when
    added_first = list_members_add(list_=list_, ids=[first.pk, str(first.pk)])
    added_then = list_members_add(list_=list_, ids=[first.pk, second.pk])

    # then
    assert (added_first, added_then) == (1, 1)
    assert set(ListMember.objects.filter(list=list_).values_list("contact_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert all(m.workspace_id == workspace.pk for m in ListMember.objects.all())


def test_company_lists_hold_companies(workspace):
    # given
    list_ = ListFactory(workspace=workspace, object_type="company")
    company = CompanyFactory(workspace=workspace)
    contact = ContactFactory(workspace=workspace)

    # when
    assert list_members_add(list_=list_, ids=[company.pk]) == 1

    # then a contact id is unknown on a company list
    with pytest.raises(ValidationError) as excinfo:
        list_members_add(list_=list_, ids=[contact.pk])
    assert "ids" in excinfo.value.message_dict
    assert ListMember.objects.get().company == company


@pytest.mark.parametrize(
    "ids",
    [
        [],
        ["not-a-uuid"],
        [uuid.uuid4()],
        [uuid.uuid4() for _ in range(MAX_MEMBERS_PER_CALL + 1)],
    ],
)
def test_list_members_add_validation(workspace, ids):
    list_ = ListFactory(workspace=workspace)
    with pytest.raises(ValidationError) as excinfo:
        list_members_add(list_=list_, ids=ids)
    assert "ids" in excinfo.value.message_dict
    assert not ListMember.objects.exists()


def test_list_members_add_refuses_another_workspaces_records_and_adds_none(
    workspace, other_workspace
):
    # given
    list_ = ListFactory(workspace=workspace)
    mine = ContactFactory(workspace=workspace)
    foreign = ContactFactory(workspace=other_workspace)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        list_members_add(list_=list_, ids=[mine.pk, foreign.pk])
    assert str(foreign.pk) in excinfo.value.message_dict["ids"][0]
    assert not ListMember.objects.exists()


def test_list_members_remove(workspace, other_workspace):
    # given
    list_ = ListFactory(workspace=workspace)
    first, second = ContactFactory(workspace=workspace), ContactFactory(workspace=workspace)
    list_members_add(list_=list_, ids=[first.pk, second.pk])

    # when
    removed = list_members_remove(list_=list_, ids=[first.pk])

    # then
    assert removed == 1
    assert list(ListMember.objects.values_list("contact_id", flat=True)) == [second.pk]

    # and another workspace's id is refused
    foreign = ContactFactory(workspace=other_workspace)
    with pytest.raises(ValidationError) as excinfo:
        list_members_remove(list_=list_, ids=[foreign.pk])
    assert "ids" in excinfo.value.message_dict
    assert ListMember.objects.count() == 1
