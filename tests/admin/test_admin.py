"""Every model's admin renders, in a number of queries that does not grow with the rows."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User, Workspace
from crm.models import (
    Company,
    CompanyMembership,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
)
from pipelines.models import Deal, DealContact, LostReason, Pipeline
from tests.admin.conftest import ALL_MODELS, READ_ONLY_MODELS, admin_url, make_rows
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

MODEL_IDS = [m.__name__ for m in ALL_MODELS]


def test_every_model_is_registered():
    missing = [m.__name__ for m in ALL_MODELS if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_changelist_renders(admin_client, records, model):
    # given one record of every model / when a superuser opens the list
    response = admin_client.get(admin_url(model, "changelist"))
    # then it renders and shows the record
    assert response.status_code == 200
    assert records[model].pk in {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_change_form_renders(admin_client, records, model):
    response = admin_client.get(admin_url(model, "change", records[model].pk))
    assert response.status_code == 200
    # Records only services write are shown, not offered for change.
    assert response.context["has_change_permission"] is (model not in READ_ONLY_MODELS)


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_add_form_renders(admin_client, records, model):
    response = admin_client.get(admin_url(model, "add"))
    assert response.status_code == (403 if model in READ_ONLY_MODELS else 200)


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_changelist_queries_do_not_grow_with_rows(
    admin_client, workspace, user, django_assert_max_num_queries, model
):
    # given a few rows, and the list opened once (sessions, caches warmed)
    make_rows(model, workspace, user, 2)
    url = admin_url(model, "changelist")
    assert admin_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    # when there are many more rows
    make_rows(model, workspace, user, 18)
    # then the page takes no more queries than with a few
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 20


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_change_form_queries_are_bounded(
    admin_client, records, django_assert_max_num_queries, model
):
    # A change form, inlines included, stays within a fixed budget of queries.
    url = admin_url(model, "change", records[model].pk)
    admin_client.get(url)
    with django_assert_max_num_queries(15):
        assert admin_client.get(url).status_code == 200


def _add_children(model, records, workspace, n):
    """``n`` more inline rows under the record of ``model``."""
    record = records[model]
    for i in range(n):
        if model is Contact:
            ContactEmail.objects.create(workspace=workspace, contact=record, value=f"x{i}@e.com")
            ContactPhone.objects.create(
                workspace=workspace, contact=record, value=f"+1415777{i:04d}"
            )
            CompanyMembership.objects.create(
                workspace=workspace, contact=record, company=CompanyFactory(workspace=workspace)
            )
        elif model is Company:
            CompanyPhone.objects.create(
                workspace=workspace, company=record, value=f"+1415888{i:04d}"
            )
        elif model is Deal:
            DealContact.objects.create(
                workspace=workspace, deal=record, contact=ContactFactory(workspace=workspace)
            )
        elif model is Pipeline:
            record.stages.create(workspace=workspace, name=f"Extra {i}", position=100 + i)
            LostReason.objects.create(workspace=workspace, pipeline=record, name=f"Extra {i}")
        elif model is Workspace:
            MembershipFactory(workspace=record)
        elif model is User:
            MembershipFactory(user=record, workspace=WorkspaceFactory())


@pytest.mark.parametrize(
    "model_name", ["Contact", "Company", "Deal", "Pipeline", "Workspace", "User"]
)
def test_change_form_queries_do_not_grow_with_inline_rows(
    admin_client, records, workspace, django_assert_max_num_queries, model_name
):
    # given a record with its inlines, its change form measured once
    model = next(m for m in ALL_MODELS if m.__name__ == model_name)
    url = admin_url(model, "change", records[model].pk)
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    # when it has ten more rows in every inline
    _add_children(model, records, workspace, 10)
    # then the form takes no more queries
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(url)
    assert response.status_code == 200
    rows = sum(len(inline.formset.forms) for inline in response.context["inline_admin_formsets"])
    assert rows >= 10
