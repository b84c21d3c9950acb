"""Companies: create, update, delete, domains, phones, tags and the timeline."""

from __future__ import annotations

import decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership
from accounts.services.common import ConflictError
from crm.models import (
    Company,
    CompanyMembership,
    CompanyPhone,
    Contact,
    Note,
    Tag,
    TimelineEvent,
    Verb,
)
from crm.services.companies import company_create, company_delete, company_update
from crm.services.contacts import company_membership_create
from tests.factories import ContactFactory, CustomFieldFactory, NoteFactory, TaskFactory

pytestmark = pytest.mark.django_db


def events(record, verb: str | None = None) -> list[TimelineEvent]:
    queryset = TimelineEvent.objects.filter(subject_id=record.pk)
    if verb is not None:
        queryset = queryset.filter(verb=verb)
    return list(queryset.order_by("created_at"))


@pytest.fixture
def company(workspace, actor):
    return company_create(workspace=workspace, actor=actor, name="Acme", domain="acme.com")


def test_company_create_writes_the_company_and_a_created_event(workspace, actor, user):
    # when
    company = company_create(
        workspace=workspace,
        actor=actor,
        name="  Acme Corp ",
        domain="https://www.Acme.com/about",
        industry=" Rockets ",
        relationship="customer",
        lifecycle="active",
        owner=user.pk,
        size=120,
        annual_revenue="1500000.50",
        address={"city": "Springfield", "zip": ""},
        phones=["(415) 555-0123"],
        tags=["Key account"],
    )

    # then
    company.refresh_from_db()
    assert company.name == "Acme Corp"
    assert company.domain == "acme.com"
    assert company.industry == "Rockets"
    assert (company.relationship, company.lifecycle, company.owner) == ("customer", "active", user)
    assert company.size == 120
    assert company.annual_revenue == decimal.Decimal("1500000.50")
    assert company.address == {"city": "Springfield"}
    assert list(company.phones.values_list("value", "is_primary")) == [("+14155550123", True)]
    assert [t.name for t in company.tags.all()] == ["Key account"]
    [created] = events(company)
    assert created.verb == Verb.CREATED
    assert created.subject_type == "company"
    assert created.data == {"name": "Acme Corp"}
    assert created.actor == user


def test_company_create_without_a_domain(workspace, actor):
    # when two companies have no domain
    first = company_create(workspace=workspace, actor=actor, name="One")
    second = company_create(workspace=workspace, actor=actor, name="Two", domain="  ")

    # then both are fine
    assert first.domain == second.domain == ""


@pytest.mark.parametrize(
    "spelling",
    ["acme.com", "ACME.com", "https://www.Acme.com/x", "http://acme.com.", "www.acme.com"],
)
def test_company_create_refuses_a_domain_taken_in_any_spelling(workspace, actor, company, spelling):
    # when / then
    with pytest.raises(ConflictError) as excinfo:
        company_create(workspace=workspace, actor=actor, name="Copycat", domain=spelling)
    assert excinfo.value.conflict_id == company.pk
    assert excinfo.value.field == "domain"
    assert Company.objects.for_workspace(workspace).count() == 1


def test_the_same_domain_is_fine_in_another_workspace(actor, company, other_workspace):
    other = company_create(
        workspace=other_workspace, actor=actor, name="Acme", domain="https://www.acme.com/"
    )
    assert other.domain == "acme.com"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "X", "domain": "not a domain"}, "domain"),
        ({"name": "X", "relationship": "enemy"}, "relationship"),
        ({"name": "X", "lifecycle": "zombie"}, "lifecycle"),
        ({"name": "X", "size": -5}, "size"),
        ({"name": "X", "annual_revenue": -1}, "annual_revenue"),
        ({"name": "X", "annual_revenue": "lots"}, "annual_revenue"),
        ({"name": "X", "phones": ["nope"]}, "phones"),
        ({"name": "X", "address": {"moon": "yes"}}, "address"),
        ({"name": "X", "tags": [""]}, "tags"),
        ({"name": "X", "custom_fields": {"unknown": 1}}, "custom_fields.unknown"),
    ],
)
def test_company_create_validation(workspace, actor, kwargs, field):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        company_create(workspace=workspace, actor=actor, **kwargs)
    assert field in excinfo.value.message_dict
    assert not Company.objects.exists()
    assert not CompanyPhone.objects.exists()
    assert not Tag.objects.exists()
    assert not TimelineEvent.objects.filter(subject_type="company").exists()


def test_company_create_refuses_an_owner_from_another_workspace(workspace, actor, other_workspace):
    outsider = Membership.objects.get(workspace=other_workspace).user
    with pytest.raises(ValidationError) as excinfo:
        company_create(workspace=workspace, actor=actor, name="X", owner=outsider)
    assert "owner" in excinfo.value.message_dict
    assert not Company.objects.exists()


def test_company_create_custom_fields_are_typed_for_companies(workspace, actor):
    # given a field of the same key on contacts only
    CustomFieldFactory(workspace=workspace, object_type="contact", key="tier", type="text")

    # when / then it is unknown on a company
    with pytest.raises(ValidationError) as excinfo:
        company_create(workspace=workspace, actor=actor, name="X", custom_fields={"tier": "gold"})
    assert "custom_fields.tier" in excinfo.value.message_dict

    # given / when the company field exists
    CustomFieldFactory(workspace=workspace, object_type="company", key="tier", type="text")
    company = company_create(
        workspace=workspace, actor=actor, name="X", custom_fields={"tier": "gold"}
    )

    # then
    assert company.custom_fields == {"tier": "gold"}


def test_company_update_records_each_change(workspace, actor, company, member):
    # when
    company_update(
        company=company,
        actor=actor,
        data={
            "name": " Acme Inc ",
            "domain": "https://www.ACME.io",
            "relationship": "partner",
            "owner": member.pk,
            "size": 10,
            "annual_revenue": decimal.Decimal("99.90"),
        },
    )

    # then
    company.refresh_from_db()
    assert (company.name, company.domain, company.relationship, company.owner) == (
        "Acme Inc",
        "acme.io",
        "partner",
        member,
    )
    [updated] = events(company, Verb.UPDATED)
    assert updated.changes == [
        {"field": "name", "from": "Acme", "to": "Acme Inc"},
        {"field": "domain", "from": "acme.com", "to": "acme.io"},
        {"field": "relationship", "from": "prospect", "to": "partner"},
        {"field": "owner", "from": None, "to": str(member.pk)},
        {"field": "size", "from": None, "to": 10},
        {"field": "annual_revenue", "from": None, "to": "99.90"},
    ]


def test_company_update_records_phones_and_tags(workspace, actor, company):
    # when
    company_update(
        company=company,
        actor=actor,
        data={"phones": ["+44 20 7946 0958"], "tags": ["Partner", "vip"]},
    )

    # then
    assert list(CompanyPhone.objects.filter(company=company).values_list("value", flat=True)) == [
        "+442079460958"
    ]
    [updated] = events(company, Verb.UPDATED)
    assert updated.changes == [
        {"field": "phones", "from": [], "to": ["+442079460958"]},
        {"field": "tags", "from": [], "to": ["Partner", "vip"]},
    ]


def test_company_update_without_changes_writes_nothing(workspace, actor, company):
    # given
    before = Company.objects.get(pk=company.pk).updated_at

    # when the same domain is given in another spelling
    company_update(
        company=company,
        actor=actor,
        data={"name": "Acme", "domain": "https://www.acme.com/", "tags": [], "phones": []},
    )

    # then
    assert events(company, Verb.UPDATED) == []
    assert Company.objects.get(pk=company.pk).updated_at == before


def test_company_update_refuses_a_domain_another_company_has(workspace, actor, company):
    # given
    other = company_create(workspace=workspace, actor=actor, name="Other", domain="other.com")

    # when / then
    with pytest.raises(ConflictError) as excinfo:
        company_update(
            company=other, actor=actor, data={"name": "Renamed", "domain": "WWW.Acme.com/x"}
        )
    assert excinfo.value.conflict_id == company.pk
    other.refresh_from_db()
    assert (other.name, other.domain) == ("Other", "other.com")
    assert events(other, Verb.UPDATED) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"domain": "::::"}, "domain"),
        ({"annual_revenue": -10}, "annual_revenue"),
        ({"lifecycle": "undead"}, "lifecycle"),
        ({"phones": ["123"]}, "phones"),
        ({"custom_fields": {"ghost": 1}}, "custom_fields.ghost"),
    ],
)
def test_company_update_validation_writes_nothing(workspace, actor, company, data, field):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        company_update(company=company, actor=actor, data={"industry": "Changed", **data})
    assert field in excinfo.value.message_dict
    fresh = Company.objects.get(pk=company.pk)
    assert (fresh.name, fresh.domain, fresh.industry) == ("Acme", "acme.com", "")
    assert events(company, Verb.UPDATED) == []


def test_company_update_refuses_an_owner_from_another_workspace(
    workspace, actor, company, other_workspace
):
    outsider = Membership.objects.get(workspace=other_workspace).user
    with pytest.raises(ValidationError) as excinfo:
        company_update(company=company, actor=actor, data={"owner": outsider.pk})
    assert "owner" in excinfo.value.message_dict


def test_company_delete_keeps_its_people_but_unlinks_them(workspace, actor, company):
    # given
    person = ContactFactory(workspace=workspace)
    company_membership_create(contact=person, company=company, actor=actor)
    NoteFactory(contact=person, subject_type="company", subject_id=company.pk, workspace=workspace)
    TaskFactory(workspace=workspace, subject_type="company", subject_id=company.pk)

    # when
    company_delete(company=company, actor=actor)

    # then
    assert not Company.objects.filter(pk=company.pk).exists()
    person.refresh_from_db()
    assert person.company is None
    assert not CompanyMembership.objects.exists()
    assert not Note.objects.filter(subject_id=company.pk).exists()
    assert not TimelineEvent.objects.filter(subject_id=company.pk).exists()
    assert Contact.objects.filter(pk=person.pk).exists()
    assert TimelineEvent.objects.filter(subject_id=person.pk).exists()
