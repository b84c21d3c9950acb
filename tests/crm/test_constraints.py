"""The database refuses invalid rows by itself, even when the services are bypassed.

Each test writes straight through the ORM (``objects.create``, ``bulk_create``, ``update``),
which runs no Python validation, and expects PostgreSQL to raise IntegrityError.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import ApiKey, Membership, Role, User, Workspace
from crm.models import (
    Activity,
    Company,
    CompanyMembership,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    CustomField,
    List,
    ListMember,
    Note,
    Tag,
    Task,
    TimelineEvent,
)
from pipelines.models import Deal, DealContact, LostReason, Pipeline, Stage, StageHistory
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealFactory,
    ListFactory,
    PipelineFactory,
    StageFactory,
    UserFactory,
    default_stage,
)

pytestmark = pytest.mark.django_db


def refused(write: Callable[[], Any], constraint: str | None = None) -> None:
    """``write`` fails in the database (inside a savepoint, so the test can go on)."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        write()
        # Deferred constraints are checked at commit; ask for the check now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if constraint is not None:
        assert constraint in str(excinfo.value)


def accepted(write: Callable[[], Any]) -> Any:
    with transaction.atomic():
        return write()


@pytest.fixture
def contact(workspace):
    return ContactFactory(workspace=workspace, email="ada@example.com")


@pytest.fixture
def company(workspace):
    return CompanyFactory(workspace=workspace, domain="acme.com")


def deal_values(workspace: Workspace, **overrides: Any) -> dict[str, Any]:
    stage = default_stage(workspace)
    return {
        "workspace": workspace,
        "pipeline": stage.pipeline,
        "stage": stage,
        "title": "Deal",
        "currency": "USD",
        "stage_entered_at": timezone.now(),
        **overrides,
    }


# --- Contacts ------------------------------------------------------------------------------------


def test_contact_email_is_unique_per_workspace_ignoring_case(workspace, other_workspace, contact):
    # when / then the same email in another case is refused in the same workspace
    refused(
        lambda: Contact.objects.create(
            workspace=workspace, first_name="B", email="ADA@Example.com"
        ),
        "contact_email_ci_unique",
    )
    refused(
        lambda: Contact.objects.bulk_create(
            [Contact(workspace=workspace, first_name="B", email="Ada@example.COM")]
        ),
        "contact_email_ci_unique",
    )
    # and an update onto a taken email too
    other = ContactFactory(workspace=workspace, email="bob@example.com")
    refused(
        lambda: Contact.objects.filter(pk=other.pk).update(email="ADA@EXAMPLE.COM"),
        "contact_email_ci_unique",
    )

    # but it is fine in another workspace
    accepted(lambda: Contact.objects.create(workspace=other_workspace, email="ada@example.com"))


def test_two_new_contacts_with_the_same_email_in_one_bulk_insert_are_refused(workspace):
    refused(
        lambda: Contact.objects.bulk_create(
            [
                Contact(workspace=workspace, email="x@example.com"),
                Contact(workspace=workspace, email="X@example.com"),
            ]
        ),
        "contact_email_ci_unique",
    )
    assert not Contact.objects.exists()


def test_many_contacts_without_email_are_fine(workspace):
    accepted(
        lambda: Contact.objects.bulk_create(
            [Contact(workspace=workspace, first_name=f"P{i}") for i in range(3)]
        )
    )
    assert Contact.objects.filter(email="").count() == 3


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"first_name": "A", "status": "vip"}, "contact_status_valid"),
        ({"first_name": "A", "source": "pigeon"}, "contact_source_valid"),
        ({"first_name": "", "last_name": "", "email": ""}, "contact_has_name_or_email"),
        ({"first_name": "A", "engagement_score": 101}, "contact_engagement_score_range"),
    ],
)
def test_contact_check_constraints(workspace, values, constraint):
    refused(lambda: Contact.objects.create(workspace=workspace, **values), constraint)


def test_a_contact_has_one_primary_email_and_no_duplicate_addresses(workspace, contact):
    # given the factory's primary row for ada@example.com
    # when / then
    refused(
        lambda: ContactEmail.objects.create(
            workspace=workspace, contact=contact, value="second@example.com", is_primary=True
        ),
        "contactemail_one_primary",
    )
    refused(
        lambda: ContactEmail.objects.create(
            workspace=workspace, contact=contact, value="ADA@example.com"
        ),
        "contactemail_unique",
    )
    refused(
        lambda: ContactEmail.objects.create(
            workspace=workspace, contact=contact, value="x@example.com", label="fax"
        ),
        "contactemail_label_valid",
    )
    accepted(
        lambda: ContactEmail.objects.create(
            workspace=workspace, contact=contact, value="second@example.com"
        )
    )


@pytest.mark.parametrize(
    "value", ["4155550123", "+0123456", "+1 415 555 0123", "+1-415", "+12", ""]
)
def test_contact_phones_must_be_e164(workspace, contact, value):
    refused(
        lambda: ContactPhone.objects.create(workspace=workspace, contact=contact, value=value),
        "contactphone_e164",
    )


def test_contact_phones_one_primary_unique_and_labelled(workspace, contact):
    # given
    ContactPhone.objects.create(
        workspace=workspace, contact=contact, value="+14155550123", is_primary=True
    )

    # when / then
    refused(
        lambda: ContactPhone.objects.create(
            workspace=workspace, contact=contact, value="+14155550124", is_primary=True
        ),
        "contactphone_one_primary",
    )
    refused(
        lambda: ContactPhone.objects.create(
            workspace=workspace, contact=contact, value="+14155550123"
        ),
        "contactphone_unique",
    )
    refused(
        lambda: ContactPhone.objects.create(
            workspace=workspace, contact=contact, value="+14155550125", label="pager"
        ),
        "contactphone_label_valid",
    )


def test_company_memberships_one_primary_unique_and_dates_ordered(workspace, contact, company):
    # given
    CompanyMembership.objects.create(
        workspace=workspace, contact=contact, company=company, is_primary=True
    )
    other = CompanyFactory(workspace=workspace)

    # when / then
    refused(
        lambda: CompanyMembership.objects.create(
            workspace=workspace, contact=contact, company=other, is_primary=True
        ),
        "companymembership_one_primary",
    )
    refused(
        lambda: CompanyMembership.objects.create(
            workspace=workspace, contact=contact, company=company
        ),
        "companymembership_unique",
    )
    refused(
        lambda: CompanyMembership.objects.create(
            workspace=workspace,
            contact=contact,
            company=other,
            started_at=datetime.date(2025, 2, 1),
            ended_at=datetime.date(2025, 1, 1),
        ),
        "companymembership_dates_ordered",
    )


# --- Companies -----------------------------------------------------------------------------------


def test_company_domain_is_unique_per_workspace_ignoring_case(workspace, other_workspace, company):
    refused(
        lambda: Company.objects.create(workspace=workspace, name="Copy", domain="ACME.com"),
        "company_domain_unique",
    )
    refused(
        lambda: Company.objects.bulk_create(
            [Company(workspace=workspace, name="Copy", domain="acme.COM")]
        ),
        "company_domain_unique",
    )
    accepted(lambda: Company.objects.create(workspace=other_workspace, name="A", domain="acme.com"))
    # companies without a domain do not clash
    accepted(
        lambda: Company.objects.bulk_create(
            [Company(workspace=workspace, name="X"), Company(workspace=workspace, name="Y")]
        )
    )


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"relationship": "enemy"}, "company_relationship_valid"),
        ({"lifecycle": "undead"}, "company_lifecycle_valid"),
        ({"annual_revenue": -1}, "company_revenue_not_negative"),
        ({"name": ""}, "company_name_not_empty"),
    ],
)
def test_company_check_constraints(workspace, values, constraint):
    refused(
        lambda: Company.objects.create(workspace=workspace, **{"name": "C", **values}), constraint
    )


def test_company_phones_must_be_e164_with_one_primary(workspace, company):
    refused(
        lambda: CompanyPhone.objects.create(workspace=workspace, company=company, value="555-0123"),
        "companyphone_e164",
    )
    CompanyPhone.objects.create(
        workspace=workspace, company=company, value="+14155550123", is_primary=True
    )
    refused(
        lambda: CompanyPhone.objects.create(
            workspace=workspace, company=company, value="+14155550124", is_primary=True
        ),
        "companyphone_one_primary",
    )


# --- Tags, custom fields, lists ------------------------------------------------------------------


def test_tag_constraints(workspace, other_workspace):
    Tag.objects.create(workspace=workspace, name="VIP")
    refused(lambda: Tag.objects.create(workspace=workspace, name="vip"), "tag_name_ci_unique")
    refused(lambda: Tag.objects.create(workspace=workspace, name="x", color="red"), "tag_color_hex")
    refused(lambda: Tag.objects.create(workspace=workspace, name=""), "tag_name_not_empty")
    accepted(lambda: Tag.objects.create(workspace=other_workspace, name="vip"))


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"key": "Bad Key"}, "customfield_key_format"),
        ({"key": "9lives"}, "customfield_key_format"),
        ({"type": "colour"}, "customfield_type_valid"),
        ({"object_type": "invoice"}, "customfield_object_type_valid"),
    ],
)
def test_custom_field_check_constraints(workspace, values, constraint):
    refused(
        lambda: CustomField.objects.create(
            workspace=workspace,
            **{"object_type": "contact", "key": "ok", "label": "L", "type": "text", **values},
        ),
        constraint,
    )


def test_custom_field_key_is_unique_per_object_type(workspace):
    CustomField.objects.create(
        workspace=workspace, object_type="contact", key="plan", label="P", type="text"
    )
    refused(
        lambda: CustomField.objects.create(
            workspace=workspace, object_type="contact", key="plan", label="Q", type="number"
        ),
        "customfield_key_unique",
    )
    accepted(
        lambda: CustomField.objects.create(
            workspace=workspace, object_type="deal", key="plan", label="P", type="text"
        )
    )


def test_a_list_member_is_exactly_one_contact_or_company(workspace, contact, company):
    # given
    list_ = ListFactory(workspace=workspace)

    # when / then
    refused(
        lambda: ListMember.objects.create(
            workspace=workspace, list=list_, contact=contact, company=company
        ),
        "listmember_exactly_one",
    )
    refused(
        lambda: ListMember.objects.create(workspace=workspace, list=list_),
        "listmember_exactly_one",
    )
    ListMember.objects.create(workspace=workspace, list=list_, contact=contact)
    refused(
        lambda: ListMember.objects.create(workspace=workspace, list=list_, contact=contact),
        "listmember_contact_unique",
    )


def test_list_constraints(workspace):
    List.objects.create(workspace=workspace, name="L", object_type="contact")
    refused(
        lambda: List.objects.create(workspace=workspace, name="L", object_type="company"),
        "list_name_unique",
    )
    refused(
        lambda: List.objects.create(workspace=workspace, name="M", object_type="deal"),
        "list_object_type_valid",
    )


# --- Notes, tasks, activities, timeline ---------------------------------------------------------


def test_note_task_activity_and_timeline_constraints(workspace, contact):
    subject = {"subject_type": "contact", "subject_id": contact.pk}
    refused(
        lambda: Note.objects.create(workspace=workspace, body="", **subject), "note_body_not_empty"
    )
    refused(
        lambda: Note.objects.create(
            workspace=workspace, body="b", subject_type="invoice", subject_id=contact.pk
        ),
        "note_subject_type_valid",
    )
    refused(
        lambda: Task.objects.create(workspace=workspace, title="T", subject_type="contact"),
        "task_subject_complete",
    )
    refused(
        lambda: Task.objects.create(workspace=workspace, title="T", subject_id=contact.pk),
        "task_subject_complete",
    )
    refused(lambda: Task.objects.create(workspace=workspace, title=""), "task_title_not_empty")
    refused(
        lambda: Task.objects.create(workspace=workspace, title="T", priority="someday"),
        "task_priority_valid",
    )
    accepted(lambda: Task.objects.create(workspace=workspace, title="Standalone"))
    now = timezone.now()
    refused(
        lambda: Activity.objects.create(
            workspace=workspace, type="fax", occurred_at=now, **subject
        ),
        "activity_type_valid",
    )
    refused(
        lambda: Activity.objects.create(
            workspace=workspace, type="call", direction="up", occurred_at=now, **subject
        ),
        "activity_direction_valid",
    )
    refused(
        lambda: Activity.objects.create(
            workspace=workspace,
            type="call",
            duration_minutes=24 * 60 + 1,
            occurred_at=now,
            **subject,
        ),
        "activity_duration_range",
    )
    refused(
        lambda: TimelineEvent.objects.create(workspace=workspace, verb="exploded", **subject),
        "timelineevent_verb_valid",
    )


# --- Pipelines, stages, deals --------------------------------------------------------------------


def test_a_workspace_has_at_most_one_default_pipeline(workspace, other_workspace):
    # given the workspace's default pipeline
    # when / then
    refused(
        lambda: Pipeline.objects.create(workspace=workspace, name="Second", is_default=True),
        "pipeline_one_default",
    )
    refused(
        lambda: Pipeline.objects.create(workspace=workspace, name="Sales pipeline"),
        "pipeline_name_unique",
    )
    accepted(lambda: Pipeline.objects.create(workspace=workspace, name="Second"))
    assert Pipeline.objects.filter(is_default=True).count() == 2  # one per workspace


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"probability": 101}, "stage_probability_range"),
        ({"color": "blue"}, "stage_color_hex"),
        ({"kind": "done"}, "stage_kind_valid"),
    ],
)
def test_stage_check_constraints(workspace, values, constraint):
    pipeline = PipelineFactory(workspace=workspace)
    refused(
        lambda: Stage.objects.create(
            workspace=workspace, pipeline=pipeline, name="S", position=0, **values
        ),
        constraint,
    )


def test_stage_names_and_positions_are_unique_in_a_pipeline(workspace):
    # given
    pipeline = PipelineFactory(workspace=workspace)
    first = StageFactory(pipeline=pipeline, name="A", position=0)
    second = StageFactory(pipeline=pipeline, name="B", position=1)

    # when / then
    refused(
        lambda: Stage.objects.create(workspace=workspace, pipeline=pipeline, name="A", position=5),
        "stage_name_unique",
    )
    refused(
        lambda: Stage.objects.create(workspace=workspace, pipeline=pipeline, name="C", position=0),
        "stage_position_unique",
    )

    # but the position check is deferred, so a swap inside one transaction is fine
    def swap():
        Stage.objects.filter(pk=first.pk).update(position=1)
        Stage.objects.filter(pk=second.pk).update(position=0)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    accepted(swap)


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"amount": -1}, "deal_amount_not_negative"),
        ({"currency": "usd"}, "deal_currency_iso4217"),
        ({"currency": "US1"}, "deal_currency_iso4217"),
        ({"probability": 101}, "deal_probability_range"),
        ({"status": "won"}, "deal_closed_at_matches_status"),  # won without closed_at
        ({"status": "open", "closed_at": timezone.now()}, "deal_closed_at_matches_status"),
        ({"status": "done", "closed_at": timezone.now()}, "deal_status_valid"),
        ({"title": ""}, "deal_title_not_empty"),
    ],
)
def test_deal_check_constraints(workspace, values, constraint):
    refused(lambda: Deal.objects.create(**deal_values(workspace, **values)), constraint)


def test_closed_deals_need_closed_at(workspace):
    accepted(
        lambda: Deal.objects.create(
            **deal_values(workspace, status="lost", closed_at=timezone.now())
        )
    )
    deal = DealFactory(workspace=workspace)
    refused(lambda: Deal.objects.filter(pk=deal.pk).update(status="won"))


def test_deal_contacts_and_history(workspace, contact):
    # given
    deal = DealFactory(workspace=workspace)
    DealContact.objects.create(workspace=workspace, deal=deal, contact=contact)
    now = timezone.now()

    # when / then
    refused(
        lambda: DealContact.objects.create(workspace=workspace, deal=deal, contact=contact),
        "dealcontact_unique",
    )
    refused(
        lambda: StageHistory.objects.create(
            workspace=workspace,
            deal=deal,
            stage=deal.stage,
            stage_name="x",
            entered_at=now,
            left_at=now - datetime.timedelta(seconds=1),
        ),
        "stagehistory_dates_ordered",
    )
    refused(
        lambda: LostReason.objects.create(
            workspace=workspace, pipeline=deal.pipeline, name="Price"
        ),
        "lostreason_name_unique",
    )


# --- Accounts ------------------------------------------------------------------------------------


def test_account_constraints(workspace, user):
    refused(lambda: User.objects.create(email="OWNER@example.com"), "user_email_ci_unique")
    refused(
        lambda: Membership.objects.create(workspace=workspace, user=user, role=Role.MEMBER),
        "membership_unique",
    )
    refused(
        lambda: Membership.objects.create(workspace=workspace, user=UserFactory(), role="god"),
        "membership_role_valid",
    )
    refused(
        lambda: Workspace.objects.create(name="W", slug="w-x", default_currency="eur"),
        "workspace_currency_iso4217",
    )
    refused(
        lambda: ApiKey.objects.create(
            workspace=workspace, name="k", prefix="BAD_PREF", secret_hash="0" * 64
        ),
        "apikey_prefix_format",
    )
