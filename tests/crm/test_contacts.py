"""Contacts: create, update, delete, emails, phones, tags, company links and the timeline."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.services.common import Actor, ConflictError
from crm.models import (
    Activity,
    Company,
    CompanyMembership,
    Contact,
    ContactEmail,
    ContactPhone,
    Note,
    Tag,
    Task,
    TimelineEvent,
    Verb,
)
from crm.services.contacts import (
    company_membership_create,
    company_membership_delete,
    company_membership_update,
    contact_create,
    contact_delete,
    contact_update,
)
from tests.factories import (
    ActivityFactory,
    CompanyFactory,
    CustomFieldFactory,
    NoteFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def events(record, verb: str | None = None) -> list[TimelineEvent]:
    queryset = TimelineEvent.objects.filter(subject_id=record.pk)
    if verb is not None:
        queryset = queryset.filter(verb=verb)
    return list(queryset.order_by("created_at"))


def changes_by_field(event: TimelineEvent) -> dict[str, dict]:
    return {change["field"]: change for change in event.changes}


def emails_of(contact: Contact) -> list[tuple[str, bool]]:
    return list(
        ContactEmail.objects.filter(contact=contact)
        .order_by("-is_primary", "value")
        .values_list("value", "is_primary")
    )


def assert_primary_in_step(contact: Contact) -> None:
    """At most one primary company link, and ``contact.company`` mirrors it."""
    contact.refresh_from_db()
    primaries = list(CompanyMembership.objects.filter(contact=contact, is_primary=True))
    assert len(primaries) <= 1
    assert contact.company_id == (primaries[0].company_id if primaries else None)


@pytest.fixture
def company(workspace):
    return CompanyFactory(workspace=workspace, name="Acme")


@pytest.fixture
def contact(workspace, actor):
    return contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
    )


# --- contact_create ------------------------------------------------------------------------------


def test_contact_create_writes_the_contact_its_email_row_and_a_created_event(
    workspace, actor, user
):
    # when
    contact = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="  Ada ",
        last_name="Lovelace",
        email="Ada@Example.COM",
        job_title=" Analyst ",
        status="customer",
        source="referral",
        owner=user,
        address={"city": "London", "country": "GB"},
        social_profiles=[{"platform": "linkedin", "url": "https://linkedin.com/in/ada"}],
    )

    # then
    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name, contact.full_name) == (
        "Ada",
        "Lovelace",
        "Ada Lovelace",
    )
    assert contact.email == "Ada@example.com"
    assert contact.job_title == "Analyst"
    assert (contact.status, contact.source, contact.owner) == ("customer", "referral", user)
    assert contact.address == {"city": "London", "country": "GB"}
    assert contact.social_profiles == [
        {"platform": "linkedin", "url": "https://linkedin.com/in/ada"}
    ]
    assert emails_of(contact) == [("Ada@example.com", True)]
    [created] = events(contact)
    assert created.verb == Verb.CREATED
    assert created.subject_type == "contact"
    assert created.workspace_id == workspace.pk
    assert created.actor == user
    assert created.actor_name == "Olive Owner"
    assert created.data == {"name": "Ada Lovelace"}


def test_contact_create_defaults(workspace, actor):
    # when
    contact = contact_create(workspace=workspace, actor=actor, last_name="Solo")

    # then
    assert (contact.status, contact.source, contact.email) == ("lead", "manual", "")
    assert contact.owner is None
    assert contact.company is None
    assert not ContactEmail.objects.filter(contact=contact).exists()


def test_contact_create_with_only_an_email(workspace, actor):
    contact = contact_create(workspace=workspace, actor=actor, email="x@example.com")
    assert contact.email == "x@example.com"
    assert contact.display_name == "x@example.com"


def test_contact_create_needs_a_name_or_an_email(workspace, actor):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_create(workspace=workspace, actor=actor, first_name="  ", last_name="")
    assert "non_field_errors" in excinfo.value.message_dict
    assert not Contact.objects.exists()
    assert not TimelineEvent.objects.filter(verb=Verb.CREATED, subject_type="contact").exists()


def test_contact_create_records_the_api_key_as_actor(workspace):
    # given
    from tests.factories import ApiKeyFactory

    key = ApiKeyFactory(workspace=workspace, name="Zapier")

    # when
    contact = contact_create(workspace=workspace, actor=Actor(api_key=key), first_name="K")

    # then
    [created] = events(contact)
    assert created.actor is None
    assert created.actor_api_key == key
    assert created.actor_name == "API key Zapier"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"emails": ["ok@example.com", "broken@"]}, "emails"),
        ({"emails": [{"value": "a@example.com", "label": "spaceship"}]}, "emails"),
        (
            {
                "emails": [
                    {"value": "a@example.com", "is_primary": True},
                    {"value": "b@example.com", "is_primary": True},
                ]
            },
            "emails",
        ),
        ({"phones": ["call me maybe"]}, "phones"),
        ({"phones": [{"value": "+14155550123", "label": "fax"}]}, "phones"),
        ({"phones": "+14155550123"}, "phones"),
        ({"status": "vip"}, "status"),
        ({"source": "carrier-pigeon"}, "source"),
        ({"address": {"planet": "Mars"}}, "address"),
        ({"address": "1 Main St"}, "address"),
        ({"social_profiles": [{"platform": "x", "url": "javascript:alert(1)"}]}, "social_profiles"),
        ({"social_profiles": [{"platform": "x"}]}, "social_profiles"),
        ({"tags": ["ok", "  "]}, "tags"),
        ({"tags": ["x" * 65]}, "tags"),
        ({"custom_fields": {"nope": 1}}, "custom_fields.nope"),
        ({"custom_fields": ["not", "a", "dict"]}, "custom_fields"),
        ({"job_title": "x" * 151}, "job_title"),
    ],
)
def test_contact_create_validation(workspace, actor, kwargs, field):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_create(workspace=workspace, actor=actor, first_name="Ada", **kwargs)
    assert field in excinfo.value.message_dict
    assert not Contact.objects.exists()
    assert not ContactEmail.objects.exists()
    assert not Tag.objects.exists()
    assert not TimelineEvent.objects.exists()


def test_contact_create_refuses_a_duplicate_email_in_any_case(workspace, actor, contact):
    # when / then
    with pytest.raises(ConflictError) as excinfo:
        contact_create(
            workspace=workspace, actor=actor, first_name="Other", email="ADA@example.COM"
        )
    assert excinfo.value.conflict_id == contact.pk
    assert excinfo.value.field == "email"
    assert excinfo.value.code == 409
    assert Contact.objects.for_workspace(workspace).count() == 1


def test_contact_create_refuses_a_duplicate_email_given_in_the_list(workspace, actor, contact):
    with pytest.raises(ConflictError) as excinfo:
        contact_create(
            workspace=workspace, actor=actor, first_name="Other", emails=["Ada@EXAMPLE.com"]
        )
    assert excinfo.value.conflict_id == contact.pk


def test_the_same_email_is_fine_in_another_workspace(actor, contact, other_workspace):
    # when
    other = contact_create(workspace=other_workspace, actor=actor, email="ada@example.com")

    # then
    assert other.workspace_id == other_workspace.pk
    assert other.pk != contact.pk


def test_contact_create_merges_the_email_shorthand_into_the_list(workspace, actor):
    # when
    contact = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        email="main@example.com",
        emails=[
            {"value": "home@example.com", "label": "home", "is_primary": True},
            {"value": "MAIN@example.com"},
            "home@EXAMPLE.com",
        ],
    )

    # then the shorthand is the primary, duplicates are dropped, labels kept
    assert contact.email == "main@example.com"
    assert emails_of(contact) == [("main@example.com", True), ("home@example.com", False)]
    assert ContactEmail.objects.get(contact=contact, value="home@example.com").label == "home"


def test_contact_create_makes_the_first_listed_email_primary(workspace, actor):
    # when
    contact = contact_create(
        workspace=workspace, actor=actor, emails=["first@example.com", "second@example.com"]
    )

    # then
    assert contact.email == "first@example.com"
    assert emails_of(contact) == [("first@example.com", True), ("second@example.com", False)]


def test_contact_create_normalises_phones_to_e164(workspace, actor):
    # when
    contact = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        phones=[
            "(415) 555-0123",
            {"value": "+44 20 7946 0958", "label": "mobile", "is_primary": True},
            "+1 415 555 0123",  # the same number again
        ],
    )

    # then
    phones = {p.value: p for p in ContactPhone.objects.filter(contact=contact)}
    assert set(phones) == {"+14155550123", "+442079460958"}
    assert phones["+442079460958"].is_primary
    assert phones["+442079460958"].label == "mobile"
    assert not phones["+14155550123"].is_primary


def test_contact_create_with_a_company_makes_the_primary_link(workspace, actor, company):
    # when
    contact = contact_create(workspace=workspace, actor=actor, first_name="Ada", company=company.pk)

    # then
    contact.refresh_from_db()
    assert contact.company == company
    membership = CompanyMembership.objects.get(contact=contact)
    assert (membership.company, membership.is_primary) == (company, True)
    assert_primary_in_step(contact)
    assert [e.verb for e in events(contact)] == [Verb.CREATED, Verb.COMPANY_LINKED]
    assert events(contact, Verb.COMPANY_LINKED)[0].data["name"] == "Acme"
    [linked] = events(company, Verb.CONTACT_LINKED)
    assert linked.data["name"] == "Ada"


def test_contact_create_refuses_another_workspaces_company(workspace, actor, other_workspace):
    # given
    foreign = CompanyFactory(workspace=other_workspace)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_create(workspace=workspace, actor=actor, first_name="Ada", company=foreign.pk)
    assert "company_id" in excinfo.value.message_dict
    assert not Contact.objects.exists()
    assert not CompanyMembership.objects.exists()


def test_contact_create_refuses_an_unknown_company_id(workspace, actor):
    import uuid

    with pytest.raises(ValidationError) as excinfo:
        contact_create(workspace=workspace, actor=actor, first_name="Ada", company=uuid.uuid4())
    assert "company_id" in excinfo.value.message_dict


def test_contact_create_refuses_an_owner_from_outside_the_workspace(
    workspace, actor, other_workspace
):
    # given a user who belongs only to another workspace
    from accounts.models import Membership

    outsider = Membership.objects.get(workspace=other_workspace).user

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_create(workspace=workspace, actor=actor, first_name="Ada", owner=outsider.pk)
    assert "owner" in excinfo.value.message_dict
    assert not Contact.objects.exists()


def test_contact_create_accepts_a_member_as_owner(workspace, actor, member):
    contact = contact_create(
        workspace=workspace, actor=actor, first_name="Ada", owner=str(member.pk)
    )
    assert contact.owner == member


def test_contact_create_resolves_tags_case_insensitively(workspace, actor):
    # given
    vip = TagFactory(workspace=workspace, name="VIP")

    # when
    contact = contact_create(
        workspace=workspace, actor=actor, first_name="Ada", tags=["vip", "Partner", "partner "]
    )

    # then
    assert sorted(t.name for t in contact.tags.all()) == ["Partner", "VIP"]
    assert contact.tags.get(name="VIP") == vip
    assert Tag.objects.for_workspace(workspace).count() == 2


def test_contact_create_stores_typed_custom_fields(workspace, actor):
    # given
    CustomFieldFactory(workspace=workspace, object_type="contact", key="seats", type="number")

    # when
    contact = contact_create(
        workspace=workspace, actor=actor, first_name="Ada", custom_fields={"seats": "12"}
    )

    # then
    contact.refresh_from_db()
    assert contact.custom_fields == {"seats": 12}


# --- contact_update ------------------------------------------------------------------------------


def test_contact_update_records_each_change_on_the_timeline(workspace, actor, contact, member):
    # when
    contact_update(
        contact=contact,
        actor=actor,
        data={
            "first_name": " Augusta ",
            "job_title": "Countess",
            "status": "active",
            "owner": member.pk,
            "address": {"city": "London"},
        },
    )

    # then
    contact.refresh_from_db()
    assert (contact.first_name, contact.job_title, contact.status, contact.owner) == (
        "Augusta",
        "Countess",
        "active",
        member,
    )
    [updated] = events(contact, Verb.UPDATED)
    assert changes_by_field(updated) == {
        "first_name": {"field": "first_name", "from": "Ada", "to": "Augusta"},
        "job_title": {"field": "job_title", "from": "", "to": "Countess"},
        "status": {"field": "status", "from": "lead", "to": "active"},
        "owner": {"field": "owner", "from": None, "to": str(member.pk)},
        "address": {"field": "address", "from": {}, "to": {"city": "London"}},
    }
    assert updated.actor_name == "Olive Owner"


def test_contact_update_without_changes_writes_nothing(workspace, actor, contact):
    # given
    before = Contact.objects.get(pk=contact.pk).updated_at

    # when
    contact_update(
        contact=contact,
        actor=actor,
        data={"first_name": "Ada", "email": "ada@example.com", "tags": [], "phones": []},
    )

    # then
    assert events(contact, Verb.UPDATED) == []
    assert Contact.objects.get(pk=contact.pk).updated_at == before


def test_contact_update_of_the_primary_email_syncs_the_email_rows(workspace, actor, contact):
    # when
    contact_update(contact=contact, actor=actor, data={"email": "Ada@Analytical.Engine"})

    # then the new address is primary and the old one stays as a secondary
    contact.refresh_from_db()
    assert contact.email == "Ada@analytical.engine"
    assert emails_of(contact) == [("Ada@analytical.engine", True), ("ada@example.com", False)]
    [updated] = events(contact, Verb.UPDATED)
    changes = changes_by_field(updated)
    assert changes["email"] == {
        "field": "email",
        "from": "ada@example.com",
        "to": "Ada@analytical.engine",
    }
    assert changes["emails"] == {
        "field": "emails",
        "from": ["ada@example.com"],
        "to": ["Ada@analytical.engine", "ada@example.com"],
    }


def test_contact_update_replaces_the_email_list(workspace, actor, contact):
    # when
    contact_update(
        contact=contact,
        actor=actor,
        data={"emails": [{"value": "new@example.com"}, {"value": "other@example.com"}]},
    )

    # then
    contact.refresh_from_db()
    assert contact.email == "new@example.com"
    assert emails_of(contact) == [("new@example.com", True), ("other@example.com", False)]


def test_contact_update_clearing_the_email_removes_the_primary(workspace, actor):
    # given a contact with a primary and a secondary address
    contact = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        email="main@example.com",
        emails=["home@example.com"],
    )

    # when the primary is cleared
    contact_update(contact=contact, actor=actor, data={"email": ""})

    # then the secondary takes its place
    contact.refresh_from_db()
    assert contact.email == "home@example.com"
    assert emails_of(contact) == [("home@example.com", True)]

    # when that is cleared too
    contact_update(contact=contact, actor=actor, data={"email": None})

    # then the contact has no email
    contact.refresh_from_db()
    assert contact.email == ""
    assert emails_of(contact) == []


def test_contact_update_refuses_to_clear_the_last_identifier(workspace, actor):
    # given a contact known only by email
    contact = contact_create(workspace=workspace, actor=actor, email="only@example.com")

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_update(contact=contact, actor=actor, data={"email": ""})
    assert "non_field_errors" in excinfo.value.message_dict
    assert Contact.objects.get(pk=contact.pk).email == "only@example.com"


def test_contact_update_refuses_an_email_another_contact_has(workspace, actor, contact):
    # given
    other = contact_create(workspace=workspace, actor=actor, first_name="Bob", email="bob@x.com")

    # when / then
    with pytest.raises(ConflictError) as excinfo:
        contact_update(contact=other, actor=actor, data={"email": "ADA@example.com"})
    assert excinfo.value.conflict_id == contact.pk
    assert excinfo.value.field == "email"
    other.refresh_from_db()
    assert other.email == "bob@x.com"
    assert emails_of(other) == [("bob@x.com", True)]
    assert events(other, Verb.UPDATED) == []


def test_contact_update_can_change_the_case_of_its_own_email(workspace, actor, contact):
    contact_update(contact=contact, actor=actor, data={"email": "ADA@example.com"})
    contact.refresh_from_db()
    assert contact.email == "ADA@example.com"


def test_contact_update_of_phones_normalises_and_records(workspace, actor, contact):
    # given
    contact_update(contact=contact, actor=actor, data={"phones": ["+1 415 555 0100"]})

    # when
    contact_update(
        contact=contact, actor=actor, data={"phones": ["(415) 555-0123", "+44 20 7946 0958"]}
    )

    # then
    assert list(
        ContactPhone.objects.filter(contact=contact)
        .order_by("-is_primary", "value")
        .values_list("value", "is_primary")
    ) == [("+14155550123", True), ("+442079460958", False)]
    last = events(contact, Verb.UPDATED)[-1]
    assert last.changes == [
        {"field": "phones", "from": ["+14155550100"], "to": ["+14155550123", "+442079460958"]}
    ]


def test_contact_update_of_tags_records_names(workspace, actor, contact):
    # given
    contact_update(contact=contact, actor=actor, data={"tags": ["b", "a"]})

    # when
    contact_update(contact=contact, actor=actor, data={"tags": ["A", "c"]})

    # then
    assert sorted(t.name for t in contact.tags.all()) == ["a", "c"]
    first, second = events(contact, Verb.UPDATED)
    assert first.changes == [{"field": "tags", "from": [], "to": ["a", "b"]}]
    assert second.changes == [{"field": "tags", "from": ["a", "b"], "to": ["a", "c"]}]


def test_contact_update_sets_and_clears_the_company(workspace, actor, contact, company):
    # when
    contact_update(contact=contact, actor=actor, data={"company": company.pk})

    # then
    contact.refresh_from_db()
    assert contact.company == company
    assert_primary_in_step(contact)
    updated = events(contact, Verb.UPDATED)[-1]
    assert changes_by_field(updated)["company"] == {
        "field": "company",
        "from": None,
        "to": str(company.pk),
    }

    # when
    contact_update(contact=contact, actor=actor, data={"company": None})

    # then the link stays, but it is no longer primary
    contact.refresh_from_db()
    assert contact.company is None
    assert CompanyMembership.objects.get(contact=contact).is_primary is False
    assert_primary_in_step(contact)
    updated = events(contact, Verb.UPDATED)[-1]
    assert changes_by_field(updated)["company"] == {
        "field": "company",
        "from": str(company.pk),
        "to": None,
    }


def test_contact_update_switches_the_primary_company(workspace, actor, contact, company):
    # given a contact linked to two companies, Acme primary
    globex = CompanyFactory(workspace=workspace, name="Globex")
    contact_update(contact=contact, actor=actor, data={"company": company.pk})
    company_membership_create(contact=contact, company=globex, actor=actor)

    # when
    contact_update(contact=contact, actor=actor, data={"company": str(globex.pk)})

    # then
    contact.refresh_from_db()
    assert contact.company == globex
    assert set(
        CompanyMembership.objects.filter(contact=contact).values_list("company__name", "is_primary")
    ) == {("Acme", False), ("Globex", True)}
    assert_primary_in_step(contact)


def test_contact_update_refuses_another_workspaces_company(
    workspace, actor, contact, other_workspace
):
    # given
    foreign = CompanyFactory(workspace=other_workspace)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_update(
            contact=contact, actor=actor, data={"company": foreign.pk, "first_name": "Changed"}
        )
    assert "company_id" in excinfo.value.message_dict
    contact.refresh_from_db()
    assert contact.company is None
    assert contact.first_name == "Ada"
    assert not CompanyMembership.objects.exists()
    assert events(contact, Verb.UPDATED) == []


def test_contact_update_refuses_an_owner_from_another_workspace(
    workspace, actor, contact, other_workspace
):
    from accounts.models import Membership

    outsider = Membership.objects.get(workspace=other_workspace).user
    with pytest.raises(ValidationError) as excinfo:
        contact_update(contact=contact, actor=actor, data={"owner": outsider})
    assert "owner" in excinfo.value.message_dict
    assert Contact.objects.get(pk=contact.pk).owner_id is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "vip"}, "status"),
        ({"engagement_score": 101}, "engagement_score"),
        ({"engagement_score": -1}, "engagement_score"),
        ({"email": "broken@"}, "email"),
        ({"phones": ["nope"]}, "phones"),
        ({"custom_fields": {"missing": "x"}}, "custom_fields.missing"),
        ({"first_name": "", "last_name": "", "email": ""}, "non_field_errors"),
    ],
)
def test_contact_update_validation_writes_nothing(workspace, actor, contact, data, field):
    # given a valid change alongside the invalid one
    data = {"job_title": "Changed", **data}

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_update(contact=contact, actor=actor, data=data)
    assert field in excinfo.value.message_dict
    fresh = Contact.objects.get(pk=contact.pk)
    assert fresh.job_title == ""
    assert fresh.email == "ada@example.com"
    assert emails_of(fresh) == [("ada@example.com", True)]
    assert events(contact, Verb.UPDATED) == []


def test_contact_update_accepts_an_engagement_score_in_range(workspace, actor, contact):
    contact_update(contact=contact, actor=actor, data={"engagement_score": 100})
    assert Contact.objects.get(pk=contact.pk).engagement_score == 100


def test_contact_update_merges_custom_fields_and_none_removes(workspace, actor, contact):
    # given
    CustomFieldFactory(workspace=workspace, object_type="contact", key="plan", type="text")
    CustomFieldFactory(workspace=workspace, object_type="contact", key="seats", type="number")
    contact_update(
        contact=contact, actor=actor, data={"custom_fields": {"plan": "pro", "seats": 3}}
    )

    # when
    contact_update(contact=contact, actor=actor, data={"custom_fields": {"seats": None}})

    # then
    contact.refresh_from_db()
    assert contact.custom_fields == {"plan": "pro"}
    last = events(contact, Verb.UPDATED)[-1]
    assert last.changes == [
        {"field": "custom_fields", "from": {"plan": "pro", "seats": 3}, "to": {"plan": "pro"}}
    ]


# --- contact_delete ------------------------------------------------------------------------------


def test_contact_delete_removes_what_hangs_off_the_contact_only(workspace, actor, contact, company):
    # given
    other = contact_create(workspace=workspace, actor=actor, first_name="Bob")
    company_membership_create(contact=contact, company=company, actor=actor)
    NoteFactory(contact=contact)
    NoteFactory(contact=other)
    TaskFactory(workspace=workspace, subject_type="contact", subject_id=contact.pk)
    ActivityFactory(contact=contact)

    # when
    contact_delete(contact=contact, actor=actor)

    # then
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not ContactEmail.objects.filter(contact_id=contact.pk).exists()
    assert not CompanyMembership.objects.filter(contact_id=contact.pk).exists()
    for model in (Note, Task, Activity, TimelineEvent):
        assert not model.objects.filter(subject_id=contact.pk).exists()
    assert Note.objects.filter(subject_id=other.pk).exists()
    assert TimelineEvent.objects.filter(subject_id=other.pk).exists()
    assert Company.objects.filter(pk=company.pk).exists()


# --- Company memberships -------------------------------------------------------------------------


def test_the_first_company_link_is_primary(workspace, actor, contact, company):
    # when
    membership = company_membership_create(
        contact=contact, company=company, actor=actor, role=" CTO "
    )

    # then
    assert membership.is_primary
    assert membership.role == "CTO"
    assert_primary_in_step(contact)
    assert contact.company == company
    [linked] = events(contact, Verb.COMPANY_LINKED)
    assert linked.data["role"] == "CTO"
    assert linked.data["membership_id"] == str(membership.pk)
    assert events(company, Verb.CONTACT_LINKED)


def test_a_second_link_is_secondary_unless_asked(workspace, actor, contact, company):
    # given
    globex = CompanyFactory(workspace=workspace, name="Globex")
    initech = CompanyFactory(workspace=workspace, name="Initech")
    company_membership_create(contact=contact, company=company, actor=actor)

    # when
    second = company_membership_create(contact=contact, company=globex, actor=actor)

    # then
    assert not second.is_primary
    assert_primary_in_step(contact)
    assert contact.company == company

    # when a third arrives as primary
    third = company_membership_create(
        contact=contact, company=initech, actor=actor, is_primary=True
    )

    # then it takes over
    assert third.is_primary
    assert_primary_in_step(contact)
    assert contact.company == initech
    assert CompanyMembership.objects.filter(contact=contact, is_primary=True).count() == 1


def test_company_membership_create_refuses_another_workspaces_company(
    workspace, actor, contact, other_workspace
):
    foreign = CompanyFactory(workspace=other_workspace)
    with pytest.raises(ValidationError) as excinfo:
        company_membership_create(contact=contact, company=foreign, actor=actor)
    assert "company_id" in excinfo.value.message_dict
    assert not CompanyMembership.objects.exists()
    assert_primary_in_step(contact)


def test_company_membership_create_refuses_a_second_link_to_the_same_company(
    workspace, actor, contact, company
):
    company_membership_create(contact=contact, company=company, actor=actor)
    with pytest.raises(ValidationError) as excinfo:
        company_membership_create(contact=contact, company=company, actor=actor)
    assert "company_id" in excinfo.value.message_dict
    assert CompanyMembership.objects.count() == 1


def test_company_membership_create_refuses_dates_out_of_order(workspace, actor, contact, company):
    # given a primary link elsewhere
    globex = CompanyFactory(workspace=workspace)
    company_membership_create(contact=contact, company=globex, actor=actor)

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        company_membership_create(
            contact=contact,
            company=company,
            actor=actor,
            is_primary=True,
            started_at=datetime.date(2025, 5, 1),
            ended_at=datetime.date(2025, 4, 1),
        )
    assert "ended_at" in excinfo.value.message_dict
    assert CompanyMembership.objects.count() == 1
    assert_primary_in_step(contact)
    assert contact.company == globex


def test_company_membership_update_to_primary_moves_the_primary(workspace, actor, contact, company):
    # given
    globex = CompanyFactory(workspace=workspace, name="Globex")
    company_membership_create(contact=contact, company=company, actor=actor)
    second = company_membership_create(contact=contact, company=globex, actor=actor)

    # when
    company_membership_update(membership=second, actor=actor, data={"is_primary": True})

    # then
    assert_primary_in_step(contact)
    assert contact.company == globex
    last = events(contact, Verb.UPDATED)[-1]
    assert last.changes == [{"field": "company_membership.is_primary", "from": False, "to": True}]
    assert last.data == {"company": "Globex"}


def test_company_membership_update_off_primary_clears_the_company(
    workspace, actor, contact, company
):
    # given
    membership = company_membership_create(contact=contact, company=company, actor=actor)

    # when
    company_membership_update(membership=membership, actor=actor, data={"is_primary": False})

    # then
    assert_primary_in_step(contact)
    assert contact.company is None


def test_company_membership_update_role_and_dates(workspace, actor, contact, company):
    # given
    membership = company_membership_create(contact=contact, company=company, actor=actor)

    # when
    company_membership_update(
        membership=membership,
        actor=actor,
        data={"role": "CEO", "started_at": datetime.date(2024, 1, 1)},
    )

    # then
    membership.refresh_from_db()
    assert membership.role == "CEO"
    assert membership.started_at == datetime.date(2024, 1, 1)
    last = events(contact, Verb.UPDATED)[-1]
    assert {c["field"] for c in last.changes} == {
        "company_membership.role",
        "company_membership.started_at",
    }
    assert_primary_in_step(contact)


def test_company_membership_update_refuses_dates_out_of_order(workspace, actor, contact, company):
    # given
    membership = company_membership_create(
        contact=contact, company=company, actor=actor, started_at=datetime.date(2024, 6, 1)
    )

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        company_membership_update(
            membership=membership, actor=actor, data={"ended_at": datetime.date(2024, 1, 1)}
        )
    assert "ended_at" in excinfo.value.message_dict
    assert CompanyMembership.objects.get(pk=membership.pk).ended_at is None


def test_company_membership_delete_of_the_primary_clears_the_company(
    workspace, actor, contact, company
):
    # given
    globex = CompanyFactory(workspace=workspace, name="Globex")
    primary = company_membership_create(contact=contact, company=company, actor=actor)
    company_membership_create(contact=contact, company=globex, actor=actor)

    # when
    company_membership_delete(membership=primary, actor=actor)

    # then
    assert not CompanyMembership.objects.filter(pk=primary.pk).exists()
    assert_primary_in_step(contact)
    assert contact.company is None
    assert events(contact, Verb.COMPANY_UNLINKED)[0].data == {"name": "Acme"}
    assert events(company, Verb.CONTACT_UNLINKED)[0].data == {"name": "Ada Lovelace"}


def test_company_membership_delete_of_a_secondary_keeps_the_company(
    workspace, actor, contact, company
):
    # given
    globex = CompanyFactory(workspace=workspace, name="Globex")
    company_membership_create(contact=contact, company=company, actor=actor)
    secondary = company_membership_create(contact=contact, company=globex, actor=actor)

    # when
    company_membership_delete(membership=secondary, actor=actor)

    # then
    assert_primary_in_step(contact)
    assert contact.company == company


def test_a_user_from_another_workspace_cannot_be_assigned_even_by_object(workspace, actor, contact):
    # given a user with no membership anywhere
    stranger = UserFactory()

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        contact_update(contact=contact, actor=actor, data={"owner": stranger})
    assert "owner" in excinfo.value.message_dict
