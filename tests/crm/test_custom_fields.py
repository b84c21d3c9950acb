"""Custom field definitions and the typed validation of their values."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.services.common import ConflictError, ServiceError
from crm.models import Company, Contact, CustomField
from crm.services.contacts import contact_create, contact_update
from crm.services.custom_fields import (
    custom_field_create,
    custom_field_delete,
    custom_field_update,
    custom_field_usage,
    custom_fields_clean,
)
from tests.factories import CompanyFactory, ContactFactory, CustomFieldFactory

pytestmark = pytest.mark.django_db


def clean(workspace, values, **kwargs):
    return custom_fields_clean(workspace=workspace, object_type="contact", values=values, **kwargs)


# --- Definitions ---------------------------------------------------------------------------------


def test_custom_field_create_appends_at_the_end(workspace):
    # when
    first = custom_field_create(
        workspace=workspace, object_type="contact", key="plan", label=" Plan ", type="text"
    )
    second = custom_field_create(
        workspace=workspace,
        object_type="contact",
        key="tier",
        label="Tier",
        type="select",
        options=[" gold ", "silver"],
    )
    on_company = custom_field_create(
        workspace=workspace, object_type="company", key="plan", label="Plan", type="text"
    )

    # then
    assert (first.position, second.position, on_company.position) == (0, 1, 0)
    assert first.label == "Plan"
    assert second.options == ["gold", "silver"]
    assert first.options == []


def test_custom_field_create_refuses_a_key_taken_for_the_same_object_type(workspace):
    # given
    existing = CustomFieldFactory(workspace=workspace, object_type="deal", key="source_system")

    # when / then
    with pytest.raises(ConflictError) as excinfo:
        custom_field_create(
            workspace=workspace, object_type="deal", key="source_system", label="X", type="text"
        )
    assert excinfo.value.conflict_id == existing.pk
    assert excinfo.value.field == "key"
    assert CustomField.objects.count() == 1


def test_the_same_key_is_fine_in_another_workspace(workspace, other_workspace):
    CustomFieldFactory(workspace=workspace, key="plan")
    field = custom_field_create(
        workspace=other_workspace, object_type="contact", key="plan", label="Plan", type="text"
    )
    assert field.workspace_id == other_workspace.pk


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"key": "1st"}, "key"),
        ({"key": "with-dash"}, "key"),
        ({"key": "trailing\n"}, "key"),
        ({"key": "x" * 64}, "key"),
        ({"key": ""}, "key"),
        ({"label": "  "}, "label"),
        ({"type": "colour"}, "type"),
        ({"object_type": "invoice"}, "object_type"),
        ({"type": "select", "options": []}, "options"),
        ({"type": "multi_select", "options": ["a", " "]}, "options"),
        ({"type": "select", "options": ["a", "a "]}, "options"),
        ({"type": "select", "options": "a,b"}, "options"),
    ],
)
def test_custom_field_create_validation(workspace, kwargs, field):
    # given
    arguments = {"object_type": "contact", "key": "good_key", "label": "Label", "type": "text"}

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        custom_field_create(workspace=workspace, **{**arguments, **kwargs})
    assert field in excinfo.value.message_dict
    assert not CustomField.objects.exists()


def test_custom_field_update_changes_the_definition(workspace):
    # given
    field = CustomFieldFactory(workspace=workspace, type="select", options=["a"])

    # when
    custom_field_update(
        field=field,
        data={"label": "Renamed", "required": True, "options": ["a", " b "], "position": 7},
    )

    # then
    field.refresh_from_db()
    assert (field.label, field.required, field.options, field.position) == (
        "Renamed",
        True,
        ["a", "b"],
        7,
    )


def test_custom_field_update_validates_options_and_label(workspace):
    field = CustomFieldFactory(workspace=workspace, type="select", options=["a"])
    with pytest.raises(ValidationError) as excinfo:
        custom_field_update(field=field, data={"options": []})
    assert "options" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        custom_field_update(field=field, data={"label": ""})
    assert "label" in excinfo.value.message_dict
    field.refresh_from_db()
    assert field.options == ["a"]


def test_custom_field_usage_counts_records_with_a_value(workspace, other_workspace):
    # given
    field = CustomFieldFactory(workspace=workspace, key="plan")
    ContactFactory(workspace=workspace, custom_fields={"plan": "pro"})
    ContactFactory(workspace=workspace, custom_fields={"other": 1})
    ContactFactory(workspace=other_workspace, custom_fields={"plan": "pro"})

    # then
    assert custom_field_usage(field=field) == 1


def test_custom_field_delete_of_an_unused_field(workspace):
    field = CustomFieldFactory(workspace=workspace, key="plan")
    custom_field_delete(field=field)
    assert not CustomField.objects.exists()


def test_custom_field_delete_in_use_needs_force(workspace):
    # given
    field = CustomFieldFactory(workspace=workspace, key="plan")
    contact = ContactFactory(workspace=workspace, custom_fields={"plan": "pro"})

    # when / then
    with pytest.raises(ServiceError):
        custom_field_delete(field=field)
    assert CustomField.objects.filter(pk=field.pk).exists()
    contact.refresh_from_db()
    assert contact.custom_fields == {"plan": "pro"}


def test_custom_field_delete_with_force_drops_the_values(workspace, other_workspace):
    # given
    field = CustomFieldFactory(workspace=workspace, key="plan")
    company_field = CustomFieldFactory(workspace=workspace, object_type="company", key="plan")
    using = ContactFactory(workspace=workspace, custom_fields={"plan": "pro", "seats": 3})
    elsewhere = ContactFactory(workspace=other_workspace, custom_fields={"plan": "pro"})
    company = CompanyFactory(workspace=workspace, custom_fields={"plan": "enterprise"})

    # when
    custom_field_delete(field=field, force=True)

    # then
    assert not CustomField.objects.filter(pk=field.pk).exists()
    using.refresh_from_db()
    elsewhere.refresh_from_db()
    company.refresh_from_db()
    assert using.custom_fields == {"seats": 3}
    assert elsewhere.custom_fields == {"plan": "pro"}
    assert company.custom_fields == {"plan": "enterprise"}
    assert CustomField.objects.filter(pk=company_field.pk).exists()


# --- Typed values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "options", "value", "stored"),
    [
        ("text", [], "hello", "hello"),
        ("number", [], 12, 12),
        ("number", [], "12", 12),
        ("number", [], " 2.5 ", 2.5),
        ("number", [], -3, -3),
        ("number", [], "1e3", 1000),
        ("email", [], " Ada@Example.COM ", "Ada@example.com"),
        ("phone", [], "(415) 555-0123", "+14155550123"),
        ("url", [], "https://example.com/path", "https://example.com/path"),
        ("date", [], "2026-01-15", "2026-01-15"),
        ("boolean", [], True, True),
        ("boolean", [], False, False),
        ("boolean", [], "yes", True),
        ("boolean", [], "0", False),
        ("currency", [], "19.999", "20.00"),
        ("currency", [], 5, "5.00"),
        ("select", ["gold", "silver"], "gold", "gold"),
        ("multi_select", ["a", "b", "c"], ["c", "a", "c"], ["c", "a"]),
    ],
)
def test_values_are_stored_in_their_typed_form(workspace, type_, options, value, stored):
    # given
    CustomFieldFactory(workspace=workspace, key="value", type=type_, options=options)

    # when
    result = clean(workspace, {"value": value})

    # then
    assert result == {"value": stored}


def test_a_date_object_is_accepted(workspace):
    import datetime

    CustomFieldFactory(workspace=workspace, key="renewal", type="date")
    assert clean(workspace, {"renewal": datetime.date(2026, 3, 1)}) == {"renewal": "2026-03-01"}


@pytest.mark.parametrize(
    ("type_", "options", "value"),
    [
        ("text", [], 12),
        ("text", [], "x" * 10_001),
        ("number", [], "twelve"),
        ("number", [], True),
        ("number", [], "NaN"),
        ("number", [], "Infinity"),
        ("number", [], [1]),
        ("email", [], "not-an-email"),
        ("phone", [], "not a phone"),
        ("url", [], "example"),
        ("url", [], "javascript:alert(1)"),
        ("url", [], "ftp://example.com/file"),
        ("date", [], "15/01/2026"),
        ("date", [], "2026-02-30"),
        ("boolean", [], "maybe"),
        ("boolean", [], 2),
        ("currency", [], "ten dollars"),
        ("currency", [], "1e30"),
        ("select", ["gold", "silver"], "bronze"),
        ("select", ["gold"], ["gold"]),
        ("multi_select", ["a", "b"], "a"),
        ("multi_select", ["a", "b"], ["a", "z"]),
    ],
)
def test_values_of_the_wrong_type_are_refused(workspace, type_, options, value):
    # given
    CustomFieldFactory(workspace=workspace, key="value", type=type_, options=options)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        clean(workspace, {"value": value})
    assert list(excinfo.value.message_dict) == ["custom_fields.value"]


def test_an_unknown_key_is_named_in_the_error(workspace):
    # given
    CustomFieldFactory(workspace=workspace, key="plan")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        clean(workspace, {"plan": "pro", "colour": "red", "size": 3})
    assert set(excinfo.value.message_dict) == {"custom_fields.colour", "custom_fields.size"}


def test_a_key_of_another_workspace_is_unknown(workspace, other_workspace):
    CustomFieldFactory(workspace=other_workspace, key="plan")
    with pytest.raises(ValidationError) as excinfo:
        clean(workspace, {"plan": "pro"})
    assert "custom_fields.plan" in excinfo.value.message_dict


def test_values_must_be_an_object(workspace):
    with pytest.raises(ValidationError) as excinfo:
        clean(workspace, ["plan"])
    assert "custom_fields" in excinfo.value.message_dict


@pytest.mark.parametrize("empty", [None, "", []])
def test_an_empty_value_removes_the_key(workspace, empty):
    # given
    CustomFieldFactory(workspace=workspace, key="plan")
    CustomFieldFactory(workspace=workspace, key="seats", type="number")

    # when
    result = clean(workspace, {"plan": empty}, existing={"plan": "pro", "seats": 3})

    # then
    assert result == {"seats": 3}


def test_a_required_field_must_have_a_value(workspace, actor):
    # given
    CustomFieldFactory(workspace=workspace, key="plan", required=True)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_create(workspace=workspace, actor=actor, first_name="Ada")
    assert excinfo.value.message_dict == {"custom_fields.plan": ["This field is required."]}
    assert not Contact.objects.exists()

    # when given, it is fine, and an update need not repeat it
    contact = contact_create(
        workspace=workspace, actor=actor, first_name="Ada", custom_fields={"plan": "pro"}
    )
    contact_update(contact=contact, actor=actor, data={"first_name": "Augusta"})
    contact_update(contact=contact, actor=actor, data={"custom_fields": {}})

    # but it cannot be removed
    with pytest.raises(ValidationError) as excinfo:
        contact_update(contact=contact, actor=actor, data={"custom_fields": {"plan": None}})
    assert "custom_fields.plan" in excinfo.value.message_dict
    contact.refresh_from_db()
    assert contact.custom_fields == {"plan": "pro"}


def test_a_required_field_of_another_object_type_does_not_apply(workspace, actor):
    CustomFieldFactory(workspace=workspace, object_type="company", key="plan", required=True)
    contact = contact_create(workspace=workspace, actor=actor, first_name="Ada")
    assert contact.custom_fields == {}


def test_a_unique_value_taken_is_a_conflict(workspace, actor):
    # given
    CustomFieldFactory(workspace=workspace, key="external_id", unique=True)
    holder = contact_create(
        workspace=workspace, actor=actor, first_name="Ada", custom_fields={"external_id": "X-1"}
    )

    # when / then
    with pytest.raises(ConflictError) as excinfo:
        contact_create(
            workspace=workspace, actor=actor, first_name="Bob", custom_fields={"external_id": "X-1"}
        )
    assert excinfo.value.conflict_id == holder.pk
    assert excinfo.value.field == "custom_fields.external_id"
    assert Contact.objects.count() == 1


def test_a_unique_value_is_free_for_its_own_record_and_elsewhere(workspace, other_workspace, actor):
    # given
    CustomFieldFactory(workspace=workspace, key="external_id", unique=True, type="number")
    CustomFieldFactory(workspace=other_workspace, key="external_id", unique=True, type="number")
    holder = contact_create(
        workspace=workspace, actor=actor, first_name="Ada", custom_fields={"external_id": 7}
    )

    # when the holder saves the same value again, or another workspace uses it
    contact_update(
        contact=holder, actor=actor, data={"custom_fields": {"external_id": 7}, "last_name": "L"}
    )
    elsewhere = contact_create(
        workspace=other_workspace, actor=actor, first_name="Ann", custom_fields={"external_id": 7}
    )

    # then both are fine
    assert Contact.objects.get(pk=holder.pk).custom_fields == {"external_id": 7}
    assert elsewhere.custom_fields == {"external_id": 7}


def test_a_unique_value_on_update_conflicts_with_another_record(workspace, actor):
    # given
    CustomFieldFactory(workspace=workspace, key="external_id", unique=True)
    holder = contact_create(
        workspace=workspace, actor=actor, first_name="Ada", custom_fields={"external_id": "X-1"}
    )
    other = contact_create(workspace=workspace, actor=actor, first_name="Bob")

    # when / then
    with pytest.raises(ConflictError) as excinfo:
        contact_update(contact=other, actor=actor, data={"custom_fields": {"external_id": "X-1"}})
    assert excinfo.value.conflict_id == holder.pk
    assert Contact.objects.get(pk=other.pk).custom_fields == {}


def test_custom_fields_on_companies_are_checked_against_company_definitions(workspace):
    # given
    CustomFieldFactory(workspace=workspace, object_type="company", key="arr", type="currency")

    # when
    result = custom_fields_clean(workspace=workspace, object_type="company", values={"arr": "10"})

    # then
    assert result == {"arr": "10.00"}
    assert Company.objects.count() == 0
