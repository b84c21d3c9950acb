"""The JSON query language (crm.query): every operator on every type, nesting, accents,
``any`` without duplicate rows, custom fields, errors, workspace isolation, and property tests
against a pure-Python reference evaluator."""

from __future__ import annotations

import datetime
import decimal
import json
import os
import unicodedata
from typing import Any

import pytest
from django.db.models import Q
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from accounts.models import Workspace
from accounts.services.common import Actor
from crm.models import Company, Contact
from crm.query import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    OPERATORS,
    QueryError,
    QueryField,
    QueryType,
    compile_query,
    query_fields,
    register_query_fields,
)
from crm.services.companies import company_create
from crm.services.contacts import contact_create
from crm.services.custom_fields import custom_field_create
from tests.factories import ContactFactory, CustomFieldFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def run(
    expression: Any,
    workspace: Workspace,
    *,
    user: Any = None,
    model: type = Contact,
    now: datetime.datetime = NOW,
) -> list[Any]:
    """The pks the expression selects, in a list: duplicates would show."""
    object_type = {Contact: "contact", Company: "company"}[model]
    q = compile_query(expression, object_type=object_type, workspace=workspace, user=user, now=now)
    return list(model.objects.for_workspace(workspace).filter(q).values_list("pk", flat=True))


def names(expression: Any, workspace: Workspace, **kwargs: Any) -> set[str]:
    pks = run(expression, workspace, **kwargs)
    assert len(pks) == len(set(pks)), "duplicate rows"
    model = kwargs.get("model", Contact)
    title = "first_name" if model is Contact else "name"
    return set(model.objects.filter(pk__in=pks).values_list(title, flat=True))


def error_of(expression: Any, workspace: Workspace, object_type: str = "contact", **kw) -> str:
    with pytest.raises(QueryError) as caught:
        compile_query(expression, object_type=object_type, workspace=workspace, **kw)
    return caught.value.message


# --- The dataset ----------------------------------------------------------------------------


@pytest.fixture
def custom(workspace):
    """One contact custom field of each type."""
    specs = [
        ("nickname", "text", None),
        ("work_email", "email", None),
        ("mobile", "phone", None),
        ("website", "url", None),
        ("seats", "number", None),
        ("mrr", "currency", None),
        ("renewal", "date", None),
        ("vip", "boolean", None),
        ("plan", "select", ["free", "pro", "enterprise"]),
        ("channels", "multi_select", ["email", "phone", "sms"]),
    ]
    for key, kind, options in specs:
        custom_field_create(
            workspace=workspace,
            object_type="contact",
            key=key,
            label=key.title(),
            type=kind,
            options=options,
        )


@pytest.fixture
def people(workspace, actor, user, member, custom) -> dict[str, Contact]:
    """Four contacts covering the values the tests look for.

    ana: accented first name, two emails, a phone, a company, two tags, every custom field.
    bob: upper-case last name, one tag, a few custom fields, owned by a member.
    chloe: no company, no owner, no tags, no custom values, empty job title.
    dan: email only (no names), a company without a domain match.
    """
    acme = company_create(workspace=workspace, actor=actor, name="Ácme Corp", domain="acme.io")
    zeta = company_create(workspace=workspace, actor=actor, name="Zeta", domain="zeta.dev")
    ana = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ána",
        last_name="Car",
        email="ana@alpha.example",
        emails=["ana.work@beta.example"],
        phones=["+14155550101"],
        job_title="Head of Sales",
        company=acme.pk,
        status="customer",
        source="website",
        owner=user.pk,
        tags=["VIP", "Partner"],
        address={"city": "Zürich", "country": "CH"},
        custom_fields={
            "nickname": "Čarly",
            "work_email": "ana@work.example",
            "mobile": "+41791234567",
            "website": "https://ana.example",
            "seats": 10,
            "mrr": "99.50",
            "renewal": "2026-03-01",
            "vip": True,
            "plan": "enterprise",
            "channels": ["email", "sms"],
        },
    )
    bob = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Bob",
        last_name="CAR",
        email="bob@gamma.example",
        job_title="Buyer",
        status="lead",
        source="referral",
        owner=member.pk,
        tags=["vip"],
        custom_fields={"seats": 2, "vip": False, "plan": "free", "channels": ["phone"]},
    )
    chloe = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Chloé",
        last_name="Durand",
        status="inactive",
        source="manual",
    )
    dan = contact_create(
        workspace=workspace,
        actor=actor,
        email="dan@delta.example",
        phones=["+442071234567"],
        company=zeta.pk,
        job_title="CTO",
        status="lead",
        source="api",
        custom_fields={"seats": 25, "mrr": "1200.00", "renewal": "2025-12-31", "plan": "pro"},
    )
    scores = {ana: 80, bob: 35, chloe: 0, dan: 55}
    created = {
        ana: datetime.datetime(2026, 3, 30, 9, 0, tzinfo=UTC),
        bob: datetime.datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        chloe: datetime.datetime(2025, 6, 15, 9, 0, tzinfo=UTC),
        dan: datetime.datetime(2026, 1, 5, 23, 30, tzinfo=UTC),
    }
    activity = {ana: datetime.datetime(2026, 3, 25, tzinfo=UTC), bob: None, chloe: None, dan: None}
    for contact in scores:
        Contact.objects.filter(pk=contact.pk).update(
            engagement_score=scores[contact],
            created_at=created[contact],
            last_activity_at=activity[contact],
        )
    return {"ana": ana, "bob": bob, "chloe": chloe, "dan": dan, "acme": acme, "zeta": zeta}


ALL = {"Ána", "Bob", "Chloé", ""}


# --- Text -----------------------------------------------------------------------------------


class TestText:
    def test_contains_ignores_case_and_accents(self, workspace, people):
        assert names({"last_name": {"contains": "čar"}}, workspace) == {"Ána", "Bob"}
        assert names({"last_name": {"contains": "CAR"}}, workspace) == {"Ána", "Bob"}
        assert names({"first_name": {"contains": "ana"}}, workspace) == {"Ána"}
        assert names({"first_name": {"contains": "CHLOE"}}, workspace) == {"Chloé"}

    def test_is_and_is_not(self, workspace, people):
        assert names({"first_name": {"is": "ana"}}, workspace) == {"Ána"}
        assert names({"first_name": {"is": "an"}}, workspace) == set()
        assert names({"first_name": {"is_not": "ANA"}}, workspace) == ALL - {"Ána"}

    def test_not_contains(self, workspace, people):
        assert names({"last_name": {"not_contains": "car"}}, workspace) == {"Chloé", ""}

    def test_starts_with(self, workspace, people):
        assert names({"full_name": {"starts_with": "ana c"}}, workspace) == {"Ána"}
        assert names({"full_name": {"starts_with": "car"}}, workspace) == set()

    def test_in_and_not_in(self, workspace, people):
        assert names({"first_name": {"in": ["ANA", "chloe", "zed"]}}, workspace) == {
            "Ána",
            "Chloé",
        }
        assert names({"first_name": {"not_in": ["ana", "bob"]}}, workspace) == {"Chloé", ""}
        assert names({"first_name": {"in": []}}, workspace) == set()

    def test_is_empty(self, workspace, people):
        assert names({"first_name": {"is_empty": True}}, workspace) == {""}
        assert names({"job_title": {"is_empty": True}}, workspace) == {"Chloé"}
        assert names({"job_title": {"is_empty": False}}, workspace) == ALL - {"Chloé"}

    def test_email(self, workspace, people):
        assert names({"email": {"contains": "@GAMMA."}}, workspace) == {"Bob"}
        assert names({"email": {"is_empty": True}}, workspace) == {"Chloé"}

    def test_company_is_the_primary_company_name(self, workspace, people):
        assert names({"company": {"contains": "acme"}}, workspace) == {"Ána"}
        assert names({"company": {"is": "zeta"}}, workspace) == {""}
        assert names({"company": {"is_empty": True}}, workspace) == {"Bob", "Chloé"}
        # Contacts without a company are "not containing" too: two-valued logic.
        assert names({"company": {"not_contains": "acme"}}, workspace) == ALL - {"Ána"}

    def test_city_and_country_from_the_address(self, workspace, people):
        assert names({"city": {"contains": "zur"}}, workspace) == {"Ána"}
        assert names({"country": {"is": "ch"}}, workspace) == {"Ána"}
        assert names({"city": {"is_empty": True}}, workspace) == ALL - {"Ána"}
        assert names({"city": {"is_not": "zurich"}}, workspace) == ALL - {"Ána"}

    def test_like_wildcards_are_literal(self, workspace, people):
        assert names({"first_name": {"contains": "%"}}, workspace) == set()
        assert names({"first_name": {"contains": "_"}}, workspace) == set()


# --- any ------------------------------------------------------------------------------------


class TestAny:
    def test_matches_names_emails_phones_company_and_domain(self, workspace, people):
        assert names({"any": {"contains": "čar"}}, workspace) == {"Ána", "Bob"}
        assert names({"any": {"contains": "beta.example"}}, workspace) == {"Ána"}  # 2nd email
        assert names({"any": {"contains": "4155550"}}, workspace) == {"Ána"}  # phone
        assert names({"any": {"contains": "acme corp"}}, workspace) == {"Ána"}  # company
        assert names({"any": {"contains": "zeta.dev"}}, workspace) == {""}  # company domain
        assert names({"any": {"starts_with": "chlo"}}, workspace) == {"Chloé"}
        assert names({"any": {"is": "bob@gamma.example"}}, workspace) == {"Bob"}

    def test_no_duplicate_rows_across_several_matching_emails_and_phones(
        self, workspace, people, actor
    ):
        contact_create(
            workspace=workspace,
            actor=actor,
            first_name="Multi",
            email="m1@multi.example",
            emails=["m2@multi.example", "m3@multi.example"],
            phones=["+15550000001", "+15550000002"],
        )
        for expression in (
            {"any": {"contains": "multi"}},
            {"any": {"contains": "+1555"}},
            {"or": [{"any": {"contains": "multi"}}, {"any": {"contains": "+1555"}}]},
        ):
            pks = run(expression, workspace)
            assert len(pks) == 1

    def test_negation(self, workspace, people):
        assert names({"any": {"not_contains": "example"}}, workspace) == {"Chloé"}
        assert names({"any": {"is_not": "bob"}}, workspace) == ALL - {"Bob"}

    def test_operators(self, workspace, people):
        assert OPERATORS[QueryType.ANY] == {
            "is",
            "is_not",
            "contains",
            "not_contains",
            "starts_with",
        }
        assert "'in'" in error_of({"any": {"in": ["x"]}}, workspace)


# --- Choice ---------------------------------------------------------------------------------


class TestChoice:
    def test_is_is_not_in_not_in(self, workspace, people):
        assert names({"status": {"is": "lead"}}, workspace) == {"Bob", ""}
        assert names({"status": {"is_not": "lead"}}, workspace) == {"Ána", "Chloé"}
        assert names({"source": {"in": ["website", "api"]}}, workspace) == {"Ána", ""}
        assert names({"source": {"not_in": ["website", "api"]}}, workspace) == {"Bob", "Chloé"}
        assert names({"status": {"in": []}}, workspace) == set()

    def test_is_empty(self, workspace, people):
        assert names({"status": {"is_empty": True}}, workspace) == set()
        assert names({"status": {"is_empty": False}}, workspace) == ALL

    def test_invalid_choice_names_the_field(self, workspace, people):
        message = error_of({"status": {"is": "vip"}}, workspace)
        assert "'status'" in message and "lead" in message
        assert "'source'" in error_of({"source": {"in": ["website", "nowhere"]}}, workspace)

    def test_text_operators_do_not_apply(self, workspace):
        assert (
            error_of({"status": {"contains": "le"}}, workspace)
            == "Operator 'contains' does not apply to choice field 'status'."
        )


# --- Numbers --------------------------------------------------------------------------------


class TestNumber:
    def test_comparisons(self, workspace, people):
        assert names({"engagement_score": {"is": 35}}, workspace) == {"Bob"}
        assert names({"engagement_score": {"is_not": 35}}, workspace) == ALL - {"Bob"}
        assert names({"engagement_score": {"gt": 55}}, workspace) == {"Ána"}
        assert names({"engagement_score": {"gte": 55}}, workspace) == {"Ána", ""}
        assert names({"engagement_score": {"lt": 35}}, workspace) == {"Chloé"}
        assert names({"engagement_score": {"lte": 35}}, workspace) == {"Chloé", "Bob"}
        assert names({"engagement_score": {"in": [0, 80]}}, workspace) == {"Chloé", "Ána"}
        assert names({"engagement_score": {"not_in": [0, 80]}}, workspace) == {"Bob", ""}

    def test_range_and_not_in_range(self, workspace, people):
        assert names({"engagement_score": {"range": {"gte": 35, "lt": 80}}}, workspace) == {
            "Bob",
            "",
        }
        assert names({"engagement_score": {"range": {"gt": 35, "lte": 80}}}, workspace) == {
            "Ána",
            "",
        }
        assert names({"engagement_score": {"range": {"gte": 50}}}, workspace) == {"Ána", ""}
        assert names({"engagement_score": {"not_in_range": {"gte": 35, "lt": 80}}}, workspace) == {
            "Ána",
            "Chloé",
        }

    def test_numbers_as_strings_and_whole_floats(self, workspace, people):
        assert names({"engagement_score": {"is": "35"}}, workspace) == {"Bob"}
        assert names({"engagement_score": {"is": 35.0}}, workspace) == {"Bob"}

    def test_several_operators_on_one_field_are_and(self, workspace, people):
        assert names({"engagement_score": {"gt": 0, "lt": 80}}, workspace) == {"Bob", ""}

    def test_bad_numbers_name_the_field(self, workspace):
        assert "'engagement_score'" in error_of({"engagement_score": {"gt": "many"}}, workspace)
        assert "'engagement_score'" in error_of({"engagement_score": {"gt": True}}, workspace)
        assert "whole number" in error_of({"engagement_score": {"gt": 2.5}}, workspace)
        assert "'engagement_score'" in error_of({"engagement_score": {"gt": "NaN"}}, workspace)
        assert "'engagement_score'" in error_of({"engagement_score": {"in": 3}}, workspace)
        for bad in ({}, {"gte": 1, "gt": 2}, {"lt": 1, "lte": 2}, {"from": 1}, [1, 2]):
            message = error_of({"engagement_score": {"range": bad}}, workspace)
            assert "'range' on 'engagement_score'" in message

    def test_decimal_and_is_empty_on_companies(self, workspace, actor):
        company_create(workspace=workspace, actor=actor, name="Big", annual_revenue="1000000.50")
        company_create(workspace=workspace, actor=actor, name="Small", annual_revenue="10")
        company_create(workspace=workspace, actor=actor, name="Unknown")
        by = {"model": Company}
        assert names({"annual_revenue": {"gt": "999999.99"}}, workspace, **by) == {"Big"}
        assert names({"annual_revenue": {"is": 10}}, workspace, **by) == {"Small"}
        assert names({"annual_revenue": {"lte": 10.5}}, workspace, **by) == {"Small"}
        assert names({"annual_revenue": {"is_empty": True}}, workspace, **by) == {"Unknown"}
        # Records without a value are outside any comparison, and inside its negation.
        assert names({"annual_revenue": {"not_in_range": {"gte": 0}}}, workspace, **by) == {
            "Unknown"
        }
        assert names({"annual_revenue": {"is_not": 10}}, workspace, **by) == {"Big", "Unknown"}


# --- Dates ----------------------------------------------------------------------------------


class TestDates:
    def test_datetime_with_days(self, workspace, people):
        assert names({"created_at": {"is": "2026-03-01"}}, workspace) == {"Bob"}
        assert names({"created_at": {"gte": "2026-03-01"}}, workspace) == {"Ána", "Bob"}
        assert names({"created_at": {"gt": "2026-03-01"}}, workspace) == {"Ána"}
        assert names({"created_at": {"lte": "2026-03-01"}}, workspace) == {"Bob", "Chloé", ""}
        assert names({"created_at": {"lt": "2026-03-01"}}, workspace) == {"Chloé", ""}
        assert names(
            {"created_at": {"range": {"gte": "2026-01-01", "lt": "2026-02-01"}}}, workspace
        ) == {""}
        assert names(
            {"created_at": {"not_in_range": {"gte": "2026-01-01", "lt": "2026-04-01"}}},
            workspace,
        ) == {"Chloé"}
        assert names({"created_at": {"is_not": "2026-03-01"}}, workspace) == ALL - {"Bob"}

    def test_datetime_with_times(self, workspace, people):
        assert names({"created_at": {"gt": "2026-03-30T08:59:59Z"}}, workspace) == {"Ána"}
        assert names({"created_at": {"is": "2026-03-30T09:00:00+00:00"}}, workspace) == {"Ána"}
        assert names({"created_at": {"lt": "2026-03-30T11:00:01+02:00"}}, workspace) == ALL

    def test_days_are_in_the_workspace_time_zone(self, workspace, people):
        # dan was created 2026-01-05 23:30 UTC: 6 January in Tokyo, 5 January in UTC.
        assert names({"created_at": {"is": "2026-01-05"}}, workspace) == {""}
        workspace.timezone = "Asia/Tokyo"
        assert names({"created_at": {"is": "2026-01-06"}}, workspace) == {""}
        assert names({"created_at": {"is": "2026-01-05"}}, workspace) == set()
        # A time without an offset is read in the workspace's time zone too.
        assert names({"created_at": {"is": "2026-01-06T08:30:00"}}, workspace) == {""}

    def test_datetime_is_empty(self, workspace, people):
        assert names({"last_activity_at": {"is_empty": False}}, workspace) == {"Ána"}
        assert names({"last_activity_at": {"is_empty": True}}, workspace) == ALL - {"Ána"}

    @pytest.mark.parametrize(
        ("unit", "quantity", "expected"),
        [
            ("day", 1, set()),  # from 30 March 12:00; ana came at 09:00
            ("day", 2, {"Ána"}),
            ("week", 1, {"Ána"}),
            ("week", 5, {"Ána", "Bob"}),
            # 31 March minus one month is 28 February (calendar month, clamped).
            ("month", 1, {"Ána", "Bob"}),
            ("month", 2, {"Ána", "Bob"}),
            ("month", 3, {"Ána", "Bob", ""}),  # from 31 December: dan on 5 January
            ("year", 1, ALL),
        ],
    )
    def test_in_the_last(self, workspace, people, unit, quantity, expected):
        period = {"unit": unit, "quantity": quantity}
        assert names({"created_at": {"in_the_last": period}}, workspace) == expected
        assert names({"created_at": {"not_in_the_last": period}}, workspace) == ALL - expected

    def test_in_the_last_excludes_the_future_and_includes_missing_in_not(self, workspace, people):
        three_days = {"unit": "day", "quantity": 3}
        ten_days_ago = NOW - datetime.timedelta(days=10)
        # Seen from ten days ago, ana (created 30 March) is in the future.
        assert (
            names({"created_at": {"in_the_last": three_days}}, workspace, now=ten_days_ago) == set()
        )
        # ana's last activity (25 March) is six days back; the others have none.
        assert names({"last_activity_at": {"not_in_the_last": three_days}}, workspace) == ALL
        week = {"unit": "week", "quantity": 1}
        assert names({"last_activity_at": {"in_the_last": week}}, workspace) == {"Ána"}

    def test_bad_dates_and_periods_name_the_field(self, workspace):
        for bad in ("yesterday", "2026-02-30", 20260101, "2026-01-01T25:00"):
            assert "'created_at'" in error_of({"created_at": {"gt": bad}}, workspace)
        for bad in (
            {"unit": "fortnight", "quantity": 1},
            {"unit": "day", "quantity": 0},
            {"unit": "day", "quantity": "3"},
            {"unit": "day", "quantity": True},
            {"unit": "day"},
            {"unit": "day", "quantity": 1, "extra": 1},
            "3 days",
        ):
            message = error_of({"created_at": {"in_the_last": bad}}, workspace)
            assert "'created_at'" in message and "unit" in message
        assert "too far back" in error_of(
            {"created_at": {"in_the_last": {"unit": "year", "quantity": 5000}}}, workspace
        )


# --- References and owners ------------------------------------------------------------------


class TestReferences:
    def test_id(self, workspace, people):
        ana, bob = people["ana"], people["bob"]
        assert names({"id": {"is": str(ana.pk)}}, workspace) == {"Ána"}
        assert names({"id": {"in": [str(ana.pk), str(bob.pk)]}}, workspace) == {"Ána", "Bob"}
        assert names({"id": {"not_in": [str(ana.pk)]}}, workspace) == ALL - {"Ána"}

    def test_company_id(self, workspace, people):
        acme = people["acme"]
        assert names({"company_id": {"is": str(acme.pk)}}, workspace) == {"Ána"}
        assert names({"company_id": {"is_not": str(acme.pk)}}, workspace) == ALL - {"Ána"}
        assert names({"company_id": {"is_empty": True}}, workspace) == {"Bob", "Chloé"}

    def test_owner_me_unassigned_and_ids(self, workspace, people, user, member):
        assert names({"owner": {"is": "me"}}, workspace, user=user) == {"Ána"}
        assert names({"owner": {"is": "me"}}, workspace, user=member) == {"Bob"}
        assert names({"owner": {"is": str(member.pk)}}, workspace) == {"Bob"}
        assert names({"owner": {"is": "unassigned"}}, workspace) == {"Chloé", ""}
        assert names({"owner": {"is_empty": True}}, workspace) == {"Chloé", ""}
        assert names({"owner": {"is_empty": False}}, workspace) == {"Ána", "Bob"}
        assert names({"owner": {"is_not": "me"}}, workspace, user=user) == ALL - {"Ána"}
        assert names({"owner": {"in": ["me", "unassigned"]}}, workspace, user=user) == {
            "Ána",
            "Chloé",
            "",
        }
        assert names({"owner": {"not_in": ["unassigned"]}}, workspace) == {"Ána", "Bob"}

    def test_me_without_a_user_is_an_error(self, workspace):
        assert "'me' in 'owner'" in error_of({"owner": {"is": "me"}}, workspace)

    def test_bad_ids_name_the_field(self, workspace):
        assert "'owner'" in error_of({"owner": {"is": "olive"}}, workspace)
        assert "'company_id'" in error_of({"company_id": {"is": 12}}, workspace)
        assert "'id'" in error_of({"id": {"in": ["not-a-uuid"]}}, workspace)
        assert "'company_id'" in error_of({"company_id": {"is": "me"}}, workspace)


# --- Tags -----------------------------------------------------------------------------------


class TestTags:
    def test_has_one_tag_ignoring_case(self, workspace, people):
        assert names({"tags": {"has": "vip"}}, workspace) == {"Ána", "Bob"}
        assert names({"tags": {"has": "PARTNER"}}, workspace) == {"Ána"}
        assert names({"tags": {"has": "nobody"}}, workspace) == set()

    def test_has_a_list_means_all_of_them(self, workspace, people):
        pks = run({"tags": {"has": ["VIP", "partner"]}}, workspace)
        assert pks == [people["ana"].pk]
        assert names({"tags": {"has": ["vip", "nobody"]}}, workspace) == set()

    def test_is_empty_and_not_has(self, workspace, people):
        assert names({"tags": {"is_empty": True}}, workspace) == {"Chloé", ""}
        assert names({"tags": {"is_empty": False}}, workspace) == {"Ána", "Bob"}
        assert names({"not": {"tags": {"has": "partner"}}}, workspace) == ALL - {"Ána"}

    def test_bad_values(self, workspace):
        for bad in ([], [""], 3, ["ok", 4]):
            assert "'tags'" in error_of({"tags": {"has": bad}}, workspace)
        assert (
            error_of({"tags": {"is": "vip"}}, workspace)
            == "Operator 'is' does not apply to tags field 'tags'."
        )


# --- Custom fields --------------------------------------------------------------------------


class TestCustomFields:
    def test_text_email_phone_url(self, workspace, people):
        assert names({"custom.nickname": {"contains": "CAR"}}, workspace) == {"Ána"}
        assert names({"custom.nickname": {"is": "carly"}}, workspace) == {"Ána"}
        assert names({"custom.nickname": {"starts_with": "č"}}, workspace) == {"Ána"}
        assert names({"custom.nickname": {"is_empty": True}}, workspace) == ALL - {"Ána"}
        assert names({"custom.nickname": {"not_contains": "car"}}, workspace) == ALL - {"Ána"}
        assert names({"custom.nickname": {"in": ["x", "CARLY"]}}, workspace) == {"Ána"}
        assert names({"custom.work_email": {"contains": "@work."}}, workspace) == {"Ána"}
        assert names({"custom.mobile": {"starts_with": "+41"}}, workspace) == {"Ána"}
        assert names({"custom.website": {"is_not": "https://ana.example"}}, workspace) == (
            ALL - {"Ána"}
        )

    def test_number_and_currency(self, workspace, people):
        assert names({"custom.seats": {"gt": 5}}, workspace) == {"Ána", ""}
        assert names({"custom.seats": {"is": 2}}, workspace) == {"Bob"}
        assert names({"custom.seats": {"lte": 10}}, workspace) == {"Ána", "Bob"}
        assert names({"custom.seats": {"in": [2, 25]}}, workspace) == {"Bob", ""}
        assert names({"custom.seats": {"not_in": [2, 25]}}, workspace) == {"Ána", "Chloé"}
        assert names({"custom.seats": {"is_empty": True}}, workspace) == {"Chloé"}
        assert names({"custom.seats": {"range": {"gte": 2, "lt": 25}}}, workspace) == {
            "Ána",
            "Bob",
        }
        assert names({"custom.mrr": {"gte": "99.5"}}, workspace) == {"Ána", ""}
        assert names({"custom.mrr": {"is": 99.5}}, workspace) == {"Ána"}
        assert names({"custom.mrr": {"lt": 1000}}, workspace) == {"Ána"}
        assert names({"custom.mrr": {"not_in_range": {"gt": 100}}}, workspace) == (ALL - {""})

    def test_date(self, workspace, people):
        assert names({"custom.renewal": {"is": "2026-03-01"}}, workspace) == {"Ána"}
        assert names({"custom.renewal": {"lt": "2026-01-01"}}, workspace) == {""}
        assert names({"custom.renewal": {"is_empty": True}}, workspace) == {"Bob", "Chloé"}
        period = {"unit": "month", "quantity": 1}
        assert names({"custom.renewal": {"in_the_last": period}}, workspace) == {"Ána"}
        assert names({"custom.renewal": {"not_in_the_last": period}}, workspace) == (ALL - {"Ána"})
        assert "'custom.renewal'" in error_of(
            {"custom.renewal": {"is": "2026-03-01T10:00:00"}}, workspace
        )

    def test_boolean(self, workspace, people):
        assert names({"custom.vip": {"is": True}}, workspace) == {"Ána"}
        assert names({"custom.vip": {"is": False}}, workspace) == {"Bob"}
        assert names({"custom.vip": {"is_not": True}}, workspace) == ALL - {"Ána"}
        assert names({"custom.vip": {"is_empty": True}}, workspace) == {"Chloé", ""}
        assert "'custom.vip'" in error_of({"custom.vip": {"is": "yes"}}, workspace)
        assert "does not apply to boolean field 'custom.vip'" in error_of(
            {"custom.vip": {"gt": 1}}, workspace
        )

    def test_select(self, workspace, people):
        assert names({"custom.plan": {"is": "pro"}}, workspace) == {""}
        assert names({"custom.plan": {"is_not": "pro"}}, workspace) == ALL - {""}
        assert names({"custom.plan": {"in": ["free", "enterprise"]}}, workspace) == {
            "Ána",
            "Bob",
        }
        assert names({"custom.plan": {"not_in": ["free", "enterprise"]}}, workspace) == {
            "Chloé",
            "",
        }
        assert names({"custom.plan": {"is_empty": True}}, workspace) == {"Chloé"}
        assert "'custom.plan'" in error_of({"custom.plan": {"is": "gold"}}, workspace)

    def test_multi_select(self, workspace, people):
        assert names({"custom.channels": {"has": "email"}}, workspace) == {"Ána"}
        assert names({"custom.channels": {"has": ["email", "sms"]}}, workspace) == {"Ána"}
        assert names({"custom.channels": {"has": ["email", "phone"]}}, workspace) == set()
        assert names({"custom.channels": {"is_empty": True}}, workspace) == {"Chloé", ""}
        assert "'custom.channels'" in error_of({"custom.channels": {"has": "fax"}}, workspace)
        assert "does not apply to multi-select field 'custom.channels'" in error_of(
            {"custom.channels": {"is": "email"}}, workspace
        )

    def test_unknown_custom_key_is_an_error(self, workspace, custom):
        assert (
            error_of({"custom.nope": {"is": "x"}}, workspace)
            == "Unknown custom field 'custom.nope' for contacts."
        )

    def test_definitions_of_another_object_type_or_workspace_do_not_count(
        self, workspace, other_workspace
    ):
        CustomFieldFactory(workspace=workspace, object_type="company", key="tier")
        CustomFieldFactory(workspace=other_workspace, object_type="contact", key="tier")
        assert "custom.tier" in error_of({"custom.tier": {"is": "x"}}, workspace)
        compile_query({"custom.tier": {"is": "x"}}, object_type="company", workspace=workspace)

    def test_an_odd_stored_value_is_no_value_not_an_error(self, workspace, people):
        # Written around the service (say, before the field's type was settled).
        Contact.objects.filter(pk=people["chloe"].pk).update(
            custom_fields={"seats": "lots", "renewal": "soon"}
        )
        assert names({"custom.seats": {"gt": 0}}, workspace) == {"Ána", "Bob", ""}
        assert names({"custom.seats": {"is_empty": True}}, workspace) == {"Chloé"}
        assert names({"custom.renewal": {"lt": "2030-01-01"}}, workspace) == {"Ána", ""}


# --- Combinators ----------------------------------------------------------------------------


class TestCombinators:
    def test_and_or_not_nest(self, workspace, people, user):
        expression = {
            "and": [
                {"last_name": {"contains": "car"}},
                {"or": [{"tags": {"has": "partner"}}, {"custom.plan": {"is": "free"}}]},
                {"not": {"owner": {"is": "me"}}},
            ]
        }
        assert names(expression, workspace, user=user) == {"Bob"}

    def test_the_example_of_the_api_documentation(self, workspace, people):
        expression = {
            "and": [
                {"first_name": {"contains": "Án"}},
                {"or": [{"tags": {"has": "vip"}}, {"custom.plan": {"is": "enterprise"}}]},
                {"created_at": {"range": {"gte": "2026-03-01", "lt": "2026-04-01"}}},
            ]
        }
        assert names(expression, workspace) == {"Ána"}

    def test_several_fields_in_one_object_are_and(self, workspace, people):
        expression = {"status": {"is": "lead"}, "tags": {"has": "vip"}}
        assert names(expression, workspace) == {"Bob"}
        assert names(
            {"status": {"is": "lead"}, "or": [{"first_name": {"is": "x"}}]}, workspace
        ) == (set())

    def test_empty_combinations(self, workspace, people):
        assert names({}, workspace) == ALL
        assert names({"and": []}, workspace) == ALL
        assert names({"or": []}, workspace) == set()
        assert names({"not": {"or": []}}, workspace) == ALL
        assert names({"not": {"and": []}}, workspace) == set()
        assert names({"not": {}}, workspace) == set()

    def test_double_negation(self, workspace, people):
        expression = {"custom.seats": {"gt": 5}}
        assert names({"not": {"not": expression}}, workspace) == names(expression, workspace)

    def test_json_text_is_accepted(self, workspace, people):
        text = json.dumps({"or": [{"first_name": {"is": "bob"}}, {"email": {"contains": "dan"}}]})
        assert names(text, workspace) == {"Bob", ""}
        assert names(text.encode(), workspace) == {"Bob", ""}

    def test_result_is_a_q(self, workspace):
        q = compile_query({"first_name": {"is": "x"}}, object_type="contacts", workspace=workspace)
        assert isinstance(q, Q)


# --- Errors ---------------------------------------------------------------------------------


class TestErrors:
    def test_unknown_field(self, workspace):
        with pytest.raises(QueryError) as caught:
            compile_query({"foo": {"is": 1}}, object_type="contact", workspace=workspace)
        error = caught.value
        assert error.message == "Unknown field 'foo' for contacts." == str(error)
        assert error.field == "foo"
        assert isinstance(error, ValueError)
        assert "for companies" in error_of({"first_name": {"is": "x"}}, workspace, "company")

    def test_operator_that_does_not_apply(self, workspace):
        with pytest.raises(QueryError) as caught:
            compile_query({"first_name": {"gt": 3}}, object_type="contact", workspace=workspace)
        error = caught.value
        assert error.message == "Operator 'gt' does not apply to text field 'first_name'."
        assert error.field == "first_name"
        assert "to number field 'engagement_score'" in error_of(
            {"engagement_score": {"contains": "3"}}, workspace
        )
        assert "to datetime field 'created_at'" in error_of({"created_at": {"has": "x"}}, workspace)
        assert "to user field 'owner'" in error_of({"owner": {"gt": "me"}}, workspace)
        assert "to reference field 'id'" in error_of({"id": {"contains": "a"}}, workspace)

    def test_unknown_operator(self, workspace):
        assert (
            error_of({"first_name": {"like": "x"}}, workspace)
            == "Unknown operator 'like' on field 'first_name'."
        )

    @pytest.mark.parametrize(
        "condition",
        [
            {"first_name": {"is": 3}},
            {"first_name": {"contains": ""}},
            {"first_name": {"contains": None}},
            {"first_name": {"in": "ana"}},
            {"first_name": {"in": ["ana", 3]}},
            {"first_name": {"is": "x" * 1001}},
            {"first_name": {"contains": "a\x00"}},
            {"first_name": {"is_empty": "yes"}},
            {"first_name": "ana"},
            {"first_name": {}},
        ],
    )
    def test_bad_values_name_the_field(self, workspace, condition):
        message = error_of(condition, workspace)
        assert "'first_name'" in message

    def test_malformed_input(self, workspace):
        assert "not valid JSON" in error_of("{nope", workspace)
        assert "must be a JSON object" in error_of("[1, 2]", workspace)
        assert "must be a JSON object" in error_of(["and"], workspace)
        assert "'and' takes a list" in error_of({"and": {"first_name": {"is": "x"}}}, workspace)
        assert "'or' takes a list" in error_of({"or": "x"}, workspace)
        assert "JSON object" in error_of({"and": ["x"]}, workspace)
        assert "JSON object" in error_of({"not": [{"first_name": {"is": "x"}}]}, workspace)
        assert "longer than" in error_of(" " * 100_001, workspace)

    def test_depth_is_limited(self, workspace):
        expression: dict[str, Any] = {"first_name": {"is": "x"}}
        for _ in range(MAX_DEPTH):
            expression = {"not": expression}
        compile_query(expression, object_type="contact", workspace=workspace)
        too_deep = {"and": [expression]}
        assert "deeper than 10 levels" in error_of(too_deep, workspace)
        # Deep JSON text is refused, by the parser or by the depth guard.
        assert error_of("{" + '"not": {' * 5000 + "}" * 5001, workspace)

    def test_size_is_limited(self, workspace):
        leaves = [{"first_name": {"is": f"n{i}"}} for i in range(MAX_CONDITIONS)]
        compile_query({"or": leaves}, object_type="contact", workspace=workspace)
        message = error_of({"or": [*leaves, {"last_name": {"is": "x"}}]}, workspace)
        assert message == "The query has more than 200 conditions."
        # Operators count one by one, also within one field.
        many = {"or": [*leaves[:-1], {"engagement_score": {"gt": 1, "lt": 3}}]}
        assert "more than 200" in error_of(many, workspace)

    def test_unknown_object_type(self, workspace):
        with pytest.raises(LookupError):
            compile_query({}, object_type="planet", workspace=workspace)


# --- Registry -------------------------------------------------------------------------------


class TestRegistry:
    def test_fields_per_object_type(self):
        contact = set(query_fields("contact"))
        assert {
            "id",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "job_title",
            "status",
            "source",
            "owner",
            "company",
            "company_id",
            "tags",
            "engagement_score",
            "last_activity_at",
            "created_at",
            "updated_at",
            "any",
            "city",
            "country",
        } <= contact
        assert {
            "id",
            "name",
            "domain",
            "industry",
            "relationship",
            "lifecycle",
            "owner",
            "size",
            "annual_revenue",
            "tags",
            "last_activity_at",
            "created_at",
            "updated_at",
            "any",
        } <= set(query_fields("companies"))
        # Registered by pipelines from its AppConfig.ready().
        assert "expected_close_date" in query_fields("deal")

    def test_every_type_has_operators(self):
        assert set(OPERATORS) == set(QueryType)

    def test_register_rejects_bad_definitions(self):
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured):
            register_query_fields("contact", [QueryField("custom.x", QueryType.TEXT, "x")])
        with pytest.raises(ImproperlyConfigured):
            register_query_fields("contact", [QueryField("kind", QueryType.CHOICE, "x")])
        with pytest.raises(ImproperlyConfigured):
            register_query_fields(
                "contact", [QueryField("when", QueryType.DATETIME, "x", json_key="k")]
            )


# --- Companies ------------------------------------------------------------------------------


class TestCompanies:
    def test_fields(self, workspace, actor, user):
        company_create(
            workspace=workspace,
            actor=actor,
            name="Société Générale",
            domain="sg.example",
            industry="Banking",
            relationship="customer",
            size=5000,
            phones=["+33142141414"],
            tags=["Bank"],
            owner=user.pk,
        )
        company_create(
            workspace=workspace,
            actor=actor,
            name="Tiny",
            relationship="vendor",
            lifecycle="inactive",
            size=3,
        )
        by = {"model": Company}
        assert names({"name": {"contains": "societe"}}, workspace, **by) == {"Société Générale"}
        assert names({"any": {"contains": "+3314214"}}, workspace, **by) == {"Société Générale"}
        assert names({"any": {"contains": "SG.EXAMPLE"}}, workspace, **by) == {"Société Générale"}
        assert names({"relationship": {"in": ["vendor"]}}, workspace, **by) == {"Tiny"}
        assert names({"lifecycle": {"is": "inactive"}}, workspace, **by) == {"Tiny"}
        assert names({"size": {"gte": 100}}, workspace, **by) == {"Société Générale"}
        assert names({"domain": {"is_empty": True}}, workspace, **by) == {"Tiny"}
        assert names({"tags": {"has": "bank"}}, workspace, **by) == {"Société Générale"}
        assert names({"owner": {"is": "me"}}, workspace, user=user, **by) == {"Société Générale"}
        assert names({"industry": {"starts_with": "bank"}}, workspace, **by) == {"Société Générale"}
        assert "'custom.x'" in error_of({"custom.x": {"is": 1}}, workspace, "company")


# --- Tenancy --------------------------------------------------------------------------------


class TestWorkspaceIsolation:
    def test_never_returns_another_workspaces_rows(self, workspace, other_workspace, people):
        twin = ContactFactory(
            workspace=other_workspace, first_name="Ána", last_name="Car", email="ana@other.example"
        )
        for expression in (
            {"first_name": {"is": "ana"}},
            {"any": {"contains": "ana"}},
            {"not": {"first_name": {"is": "nobody"}}},
            {"id": {"is": str(twin.pk)}},
            {"tags": {"is_empty": True}},
        ):
            pks = run(expression, workspace)
            assert twin.pk not in pks
            assert set(
                Contact.objects.filter(pk__in=pks).values_list("workspace_id", flat=True)
            ) <= {workspace.pk}

    def test_subqueries_are_scoped_to_the_workspace(self, workspace, other_workspace, actor, user):
        ours = contact_create(workspace=workspace, actor=actor, first_name="A", tags=["vip"])
        other_actor = Actor(user=other_workspace.memberships.first().user)
        contact_create(workspace=other_workspace, actor=other_actor, first_name="B", tags=["vip"])
        q = compile_query({"tags": {"has": "vip"}}, object_type="contact", workspace=workspace)
        # Even on an unscoped queryset the to-many subquery keeps to the workspace.
        assert list(Contact.objects.filter(q).values_list("pk", flat=True)) == [ours.pk]


# --- Property tests -------------------------------------------------------------------------

WORDS = ["car", "ČAR", "ana", "án", "bö", "o", "e", "zz", "Chloé", "acme", "ana@a.example"]
TAGS = ["vip", "VIP", "partner", "lead-gen"]
PLANS = ["free", "pro", "enterprise"]


def fold(text: str) -> str:
    """What ``unaccent`` + case-insensitive matching does to the words used here."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


@pytest.fixture
def dataset(workspace, actor, user, member, custom) -> dict[str, dict[str, Any]]:
    """Eight contacts and a Python copy of what the evaluator needs of each."""
    acme = company_create(workspace=workspace, actor=actor, name="Acme", domain="acme.example")
    rows = [
        {"first_name": "Ána", "last_name": "Car", "company": acme.pk, "tags": ["VIP"]},
        {"first_name": "Bö", "last_name": "ČAR", "owner": user.pk, "tags": ["vip", "partner"]},
        {"first_name": "Chloé", "last_name": "", "owner": member.pk, "status": "customer"},
        {"first_name": "", "last_name": "Zz", "email": "ana@a.example", "status": "churned"},
        {"first_name": "Oscar", "last_name": "Ö", "company": acme.pk, "tags": ["lead-gen"]},
        {"first_name": "Eve", "last_name": "Ana", "owner": user.pk, "status": "customer"},
        {"first_name": "ana", "last_name": "Bo", "emails": ["car@x.example"]},
        {"first_name": "Zed", "last_name": "Carr", "phones": ["+15550001111"]},
    ]
    customs = [
        {"plan": "free", "seats": 3, "vip": True, "nickname": "Čarly"},
        {"plan": "pro", "seats": 10},
        {"vip": False, "nickname": "zz"},
        {"plan": "enterprise", "seats": 0, "vip": True},
        {},
        {"plan": "free", "seats": 25, "nickname": "Ana"},
        {"seats": 7},
        {"plan": "pro", "vip": False},
    ]
    scores = [0, 10, 35, 50, 55, 80, 99, 100]
    data: dict[str, dict[str, Any]] = {}
    for row, custom_values, score in zip(rows, customs, scores, strict=True):
        contact = contact_create(
            workspace=workspace, actor=actor, custom_fields=custom_values, **row
        )
        Contact.objects.filter(pk=contact.pk).update(engagement_score=score)
        contact.refresh_from_db()
        texts = [
            contact.first_name,
            contact.last_name,
            contact.full_name,
            contact.email,
            *contact.emails.values_list("value", flat=True),
            *contact.phones.values_list("value", flat=True),
        ]
        company = contact.company.name if contact.company_id else None
        if contact.company_id:
            texts += [contact.company.name, contact.company.domain]
        data[str(contact.pk)] = {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "company": company,
            "status": contact.status,
            "engagement_score": contact.engagement_score,
            "owner": contact.owner_id,
            "tags": {t.lower() for t in contact.tags.values_list("name", flat=True)},
            "any": texts,
            "custom": contact.custom_fields,
        }
    return data


def evaluate(expression: dict[str, Any], row: dict[str, Any], me: Any) -> bool:
    """A reference implementation of the language for the fields the strategies use."""
    results = []
    for key, value in expression.items():
        if key == "and":
            results.append(all(evaluate(child, row, me) for child in value))
        elif key == "or":
            results.append(any(evaluate(child, row, me) for child in value))
        elif key == "not":
            results.append(not evaluate(value, row, me))
        else:
            for op, operand in value.items():
                results.append(evaluate_condition(key, op, operand, row, me))
    return all(results)


NEGATED = {"is_not": "is", "not_contains": "contains", "not_in": "in", "not_in_range": "range"}


def evaluate_condition(name: str, op: str, operand: Any, row: dict[str, Any], me: Any) -> bool:
    if op in NEGATED:
        return not evaluate_condition(name, NEGATED[op], operand, row, me)
    if name in ("first_name", "last_name", "company", "any", "custom.nickname"):
        if name == "any":
            values = row["any"]
        elif name == "custom.nickname":
            values = [row["custom"].get("nickname")]
        else:
            values = [row[name]]
        values = [v for v in values if v is not None]
        if op == "is_empty":
            return all(v == "" for v in values) == operand
        if op == "in":
            return any(fold(v) == fold(o) for v in values for o in operand)
        test = {
            "is": lambda v: fold(v) == fold(operand),
            "contains": lambda v: fold(operand) in fold(v),
            "starts_with": lambda v: fold(v).startswith(fold(operand)),
        }[op]
        return any(test(v) for v in values)
    if name == "status":
        return row["status"] == operand if op == "is" else row["status"] in operand
    if name in ("engagement_score", "custom.seats"):
        number = row[name] if name == "engagement_score" else row["custom"].get("seats")
        if op == "is_empty":
            return (number is None) == operand
        if number is None:
            return False
        if op == "range":
            return all(compare(number, bound, limit) for bound, limit in operand.items())
        if op == "in":
            return number in operand
        return compare(number, op, operand)
    if name == "tags":
        if op == "is_empty":
            return (not row["tags"]) == operand
        wanted = operand if isinstance(operand, list) else [operand]
        return all(w.lower() in row["tags"] for w in wanted)
    if name == "owner":
        ids = [operand] if op == "is" else operand
        if op == "is_empty":
            return (row["owner"] is None) == operand
        resolved = [me if i == "me" else None if i == "unassigned" else i for i in ids]
        return row["owner"] in resolved
    if name == "custom.plan":
        plan = row["custom"].get("plan")
        if op == "is_empty":
            return (plan is None) == operand
        return plan == operand if op == "is" else plan in operand
    if name == "custom.vip":
        vip = row["custom"].get("vip")
        if op == "is_empty":
            return (vip is None) == operand
        return vip is operand
    raise AssertionError(f"no reference for {name} {op}")


def compare(number: Any, op: str, limit: Any) -> bool:
    return {
        "is": number == limit,
        "gt": number > limit,
        "gte": number >= limit,
        "lt": number < limit,
        "lte": number <= limit,
    }[op]


TEXT_OPS = ["is", "is_not", "contains", "not_contains", "starts_with"]
NUMBER_OPS = ["is", "is_not", "gt", "gte", "lt", "lte"]


def leaf_grid() -> list[dict[str, Any]]:
    """Every leaf the property tests use: a finite grid, so it can also be checked whole."""
    numbers = [0, 3, 10, 35, 50, 99, 100]
    grid: list[dict[str, Any]] = []
    for name in ("first_name", "last_name", "company", "any", "custom.nickname"):
        grid += [{name: {op: word}} for op in TEXT_OPS for word in WORDS]
    for name in ("first_name", "company", "custom.nickname"):
        for words in ([], ["ana"], ["CAR", "zz"], ["chloe", "bö"]):
            grid += [{name: {op: words}} for op in ("in", "not_in")]
    for name in (
        "first_name",
        "last_name",
        "company",
        "custom.nickname",
        "custom.seats",
        "custom.plan",
        "custom.vip",
        "tags",
        "owner",
    ):
        grid += [{name: {"is_empty": flag}} for flag in (True, False)]
    for status in ("lead", "customer", "churned"):
        grid += [{"status": {op: status}} for op in ("is", "is_not")]
    for statuses in ([], ["lead"], ["customer", "churned"]):
        grid += [{"status": {op: statuses}} for op in ("in", "not_in")]
    for name in ("engagement_score", "custom.seats"):
        grid += [{name: {op: n}} for op in NUMBER_OPS for n in numbers]
        for values in ([], [3, 50], [0, 10, 100]):
            grid += [{name: {op: values}} for op in ("in", "not_in")]
        for low, high in ((0, 10), (3, 100), (50, 50)):
            grid += [{name: {op: {"gte": low, "lt": high}}} for op in ("range", "not_in_range")]
            grid += [{name: {"range": {"gt": low, "lte": high}}}]
    grid += [{"tags": {"has": tag}} for tag in TAGS]
    grid += [{"tags": {"has": pair}} for pair in (["vip", "PARTNER"], ["vip", "lead-gen"])]
    grid += [{"owner": {op: who}} for op in ("is", "is_not") for who in ("me", "unassigned")]
    for who in ([], ["me"], ["me", "unassigned"]):
        grid += [{"owner": {op: who}} for op in ("in", "not_in")]
    grid += [{"custom.plan": {op: plan}} for op in ("is", "is_not") for plan in PLANS]
    for plans in ([], ["free"], ["pro", "enterprise"]):
        grid += [{"custom.plan": {op: plans}} for op in ("in", "not_in")]
    grid += [{"custom.vip": {op: flag}} for op in ("is", "is_not") for flag in (True, False)]
    return grid


LEAVES = leaf_grid()


expressions = st.recursive(
    st.sampled_from(LEAVES),
    lambda children: st.one_of(
        st.builds(lambda xs: {"and": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda xs: {"or": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, children),
        st.builds(lambda a, b: {**a, **b}, children, children),
    ),
    max_leaves=8,
)


def depth(expression: Any) -> int:
    if not isinstance(expression, dict):
        return 0
    deepest = 0
    for key, value in expression.items():
        if key in ("and", "or"):
            deepest = max(deepest, 1 + max((depth(c) for c in value), default=0))
        elif key == "not":
            deepest = max(deepest, 1 + depth(value))
    return deepest


PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("QUERY_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class TestProperties:
    def test_every_leaf_matches_the_reference_evaluator(self, workspace, user, dataset):
        contacts = Contact.objects.for_workspace(workspace)
        for leaf in LEAVES:
            q = compile_query(leaf, object_type="contact", workspace=workspace, user=user)
            got = [str(pk) for pk in contacts.filter(q).values_list("pk", flat=True)]
            expected = {pk for pk, row in dataset.items() if evaluate(leaf, row, user.pk)}
            assert sorted(got) == sorted(expected), leaf

    @PROPERTY_SETTINGS
    @given(expression=expressions)
    def test_matches_the_reference_evaluator(self, workspace, user, dataset, expression):
        assume(depth(expression) <= MAX_DEPTH)
        q = compile_query(expression, object_type="contact", workspace=workspace, user=user)
        got = [
            str(pk)
            for pk in Contact.objects.for_workspace(workspace)
            .filter(q)
            .values_list("pk", flat=True)
        ]
        assert len(got) == len(set(got)), "duplicate rows"
        expected = {pk for pk, row in dataset.items() if evaluate(expression, row, user.pk)}
        event(f"matches {len(expected)} of {len(dataset)}")
        assert set(got) == expected, expression

    @PROPERTY_SETTINGS
    @given(expression=expressions)
    def test_an_expression_and_its_negation_partition_the_records(
        self, workspace, user, dataset, expression
    ):
        assume(depth(expression) < MAX_DEPTH)
        contacts = Contact.objects.for_workspace(workspace)
        q = compile_query(expression, object_type="contact", workspace=workspace, user=user)
        negated = compile_query(
            {"not": expression}, object_type="contact", workspace=workspace, user=user
        )
        yes = set(contacts.filter(q).values_list("pk", flat=True))
        no = set(contacts.filter(negated).values_list("pk", flat=True))
        assert yes.isdisjoint(no)
        assert yes | no == set(contacts.values_list("pk", flat=True))
        assert contacts.filter(q).count() == len(yes)

    @PROPERTY_SETTINGS
    @given(text=st.text(max_size=30))
    def test_any_text_compiles_and_runs_or_is_refused(self, workspace, dataset, text):
        try:
            q = compile_query(
                {"any": {"contains": text}}, object_type="contact", workspace=workspace
            )
        except QueryError as error:
            assert error.field == "any"
            return
        list(Contact.objects.for_workspace(workspace).filter(q).values_list("pk", flat=True))


def test_decimal_values_keep_their_precision(workspace, actor):
    company_create(workspace=workspace, actor=actor, name="Cents", annual_revenue="0.10")
    got = names({"annual_revenue": {"is": str(decimal.Decimal("0.1"))}}, workspace, model=Company)
    assert got == {"Cents"}
