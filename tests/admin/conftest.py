"""Fixtures for the admin tests: a superuser, one record of every model, POST helpers."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, Membership, Role, User, Workspace
from accounts.services.common import Actor
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
from crm.services.activity import activity_create, note_create, task_create
from crm.services.companies import company_create
from crm.services.contacts import contact_create
from pipelines.models import Deal, DealContact, LostReason, Pipeline, Stage, StageHistory
from pipelines.services.deals import deal_create
from tests.factories import (
    ApiKeyFactory,
    CompanyFactory,
    ContactFactory,
    CustomFieldFactory,
    DealFactory,
    ListFactory,
    MembershipFactory,
    PipelineFactory,
    StageFactory,
    TagFactory,
    UserFactory,
    WorkspaceFactory,
    default_stage,
)

ALL_MODELS = [
    User,
    Workspace,
    Membership,
    ApiKey,
    Company,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    CompanyMembership,
    Tag,
    Note,
    Task,
    Activity,
    TimelineEvent,
    CustomField,
    List,
    ListMember,
    Pipeline,
    Stage,
    LostReason,
    Deal,
    DealContact,
    StageHistory,
]
READ_ONLY_MODELS = {TimelineEvent, StageHistory}


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def admin_url(model, action: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=args)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser(email="root@example.com", password="password")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_actor(superuser) -> Actor:
    return Actor(user=superuser)


@pytest.fixture
def records(workspace, user, actor) -> dict[type, Any]:
    """One record of every model, in ``workspace``, most of them made by the services."""
    company = company_create(
        workspace=workspace,
        actor=actor,
        name="Acme",
        domain="acme.example",
        owner=user,
        phones=["+14155550100"],
        tags=["vip"],
    )
    contact = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phones=["+14155550101"],
        company=company,
        owner=user,
        tags=["vip"],
    )
    deal = deal_create(
        workspace=workspace,
        actor=actor,
        title="Big deal",
        amount=1000,
        owner=user,
        company=company,
        contacts=[{"id": contact.pk, "role": "Champion"}],
    )
    note = note_create(
        workspace=workspace, actor=actor, subject_type="contact", subject_id=contact.pk, body="Hi"
    )
    task = task_create(
        workspace=workspace,
        actor=actor,
        title="Call back",
        subject_type="deal",
        subject_id=deal.pk,
        assignee=user,
    )
    activity = activity_create(
        workspace=workspace,
        actor=actor,
        type="call",
        subject_type="company",
        subject_id=company.pk,
        subject="Intro",
        participants=[contact.pk],
    )
    list_ = ListFactory(workspace=workspace)
    member = ListMember.objects.create(workspace=workspace, list=list_, contact=contact)
    pipeline = Pipeline.objects.for_workspace(workspace).get(is_default=True)
    return {
        User: user,
        Workspace: workspace,
        Membership: Membership.objects.get(workspace=workspace, user=user),
        ApiKey: ApiKeyFactory(workspace=workspace, created_by=user),
        Company: company,
        CompanyPhone: company.phones.get(),
        Contact: contact,
        ContactEmail: contact.emails.get(),
        ContactPhone: contact.phones.get(),
        CompanyMembership: contact.memberships.get(),
        Tag: Tag.objects.for_workspace(workspace).get(name="vip"),
        Note: note,
        Task: task,
        Activity: activity,
        TimelineEvent: TimelineEvent.objects.for_workspace(workspace).first(),
        CustomField: CustomFieldFactory(workspace=workspace),
        List: list_,
        ListMember: member,
        Pipeline: pipeline,
        Stage: pipeline.stages.first(),
        LostReason: pipeline.lost_reasons.first(),
        Deal: deal,
        DealContact: deal.deal_contacts.get(),
        StageHistory: deal.stage_history.get(),
    }


_counter = itertools.count()


def make_rows(model, workspace: Workspace, owner: User, n: int) -> None:
    """``n`` more rows of ``model`` in ``workspace`` (built directly: fast, varied)."""
    for _ in range(n):
        i = next(_counter)
        if model is User:
            MembershipFactory(workspace=workspace)
        elif model is Workspace:
            WorkspaceFactory(owner=owner)
        elif model is Membership:
            MembershipFactory(workspace=workspace)
        elif model is ApiKey:
            ApiKeyFactory(workspace=workspace, created_by=owner)
        elif model is Company:
            company = CompanyFactory(workspace=workspace, owner=owner)
            company.tags.add(TagFactory(workspace=workspace))
        elif model is CompanyPhone:
            company = CompanyFactory(workspace=workspace)
            CompanyPhone.objects.create(
                workspace=workspace, company=company, value=f"+1415555{i % 10000:04d}"
            )
        elif model in (Contact, ContactEmail):
            company = CompanyFactory(workspace=workspace)
            ContactFactory(workspace=workspace, company=company, owner=owner)
        elif model is ContactPhone:
            contact = ContactFactory(workspace=workspace)
            ContactPhone.objects.create(
                workspace=workspace, contact=contact, value=f"+1415556{i % 10000:04d}"
            )
        elif model is CompanyMembership:
            contact = ContactFactory(workspace=workspace)
            company = CompanyFactory(workspace=workspace)
            CompanyMembership.objects.create(workspace=workspace, contact=contact, company=company)
        elif model is Tag:
            TagFactory(workspace=workspace)
        elif model is Note:
            contact = ContactFactory(workspace=workspace)
            Note.objects.create(
                workspace=workspace,
                subject_type="contact",
                subject_id=contact.pk,
                body=f"Note {i}",
                author=owner,
            )
        elif model is Task:
            deal = DealFactory(workspace=workspace)
            Task.objects.create(
                workspace=workspace,
                title=f"Task {i}",
                assignee=owner,
                subject_type="deal",
                subject_id=deal.pk,
            )
        elif model is Activity:
            company = CompanyFactory(workspace=workspace)
            Activity.objects.create(
                workspace=workspace,
                type="call",
                subject_type="company",
                subject_id=company.pk,
                occurred_at=timezone.now() - datetime.timedelta(days=i % 40),
                created_by=owner,
            )
        elif model is TimelineEvent:
            contact = ContactFactory(workspace=workspace)
            TimelineEvent.objects.create(
                workspace=workspace,
                subject_type="contact",
                subject_id=contact.pk,
                verb="updated",
                actor=owner,
                changes=[{"field": "job_title", "from": "a", "to": "b"}],
            )
        elif model is CustomField:
            CustomFieldFactory(workspace=workspace)
        elif model is List:
            list_ = ListFactory(workspace=workspace)
            ListMember.objects.create(
                workspace=workspace, list=list_, contact=ContactFactory(workspace=workspace)
            )
        elif model is ListMember:
            ListMember.objects.create(
                workspace=workspace,
                list=ListFactory(workspace=workspace),
                contact=ContactFactory(workspace=workspace),
            )
        elif model in (Pipeline, Stage):
            StageFactory(pipeline=PipelineFactory(workspace=workspace))
        elif model is LostReason:
            LostReason.objects.create(
                workspace=workspace, pipeline=PipelineFactory(workspace=workspace), name=f"R{i}"
            )
        elif model is Deal:
            DealFactory(
                workspace=workspace,
                owner=owner,
                company=CompanyFactory(workspace=workspace),
                expected_close_date=datetime.date(2030, 1 + i % 12, 1),
            )
        elif model is DealContact:
            DealContact.objects.create(
                workspace=workspace,
                deal=DealFactory(workspace=workspace),
                contact=ContactFactory(workspace=workspace),
            )
        elif model is StageHistory:
            deal = DealFactory(workspace=workspace)
            StageHistory.objects.create(
                workspace=workspace,
                deal=deal,
                stage=deal.stage,
                stage_name=deal.stage.name,
                from_stage=default_stage(workspace, "won"),
                entered_at=timezone.now(),
                actor=owner,
            )
        else:  # pragma: no cover - a model added without a row maker
            raise AssertionError(f"no row maker for {model}")


# --- Posting admin forms ------------------------------------------------------------------------


def _inner(widget):
    while isinstance(widget, RelatedFieldWidgetWrapper):
        widget = widget.widget
    return widget


def _bound_values(bound) -> dict[str, Any]:
    if bound.field.disabled:
        return {}
    widget = _inner(bound.field.widget)
    value = bound.value()
    name = bound.html_name
    if isinstance(widget, forms.CheckboxInput):
        return {name: "on"} if value else {}
    if isinstance(widget, forms.MultiWidget):
        parts = value if isinstance(value, list) else widget.decompress(value)
        return {
            f"{name}_{i}": "" if part is None else sub.format_value(part) or ""
            for i, (sub, part) in enumerate(zip(widget.widgets, parts, strict=True))
        }
    if isinstance(widget, forms.SelectMultiple) or isinstance(value, list | tuple):
        return {name: [str(v) for v in value or []]}
    return {name: "" if value is None else str(value)}


def form_data(response) -> dict[str, Any]:
    """What the browser would post back from an admin add/change page, unchanged."""
    context = response.context
    data: dict[str, Any] = {"_save": "Save"}
    forms_ = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        forms_.append(inline.formset.management_form)
        forms_.extend(inline.formset.forms)
    for form in forms_:
        for bound in form:
            data.update(_bound_values(bound))
    return data


def grant(user: User, *codenames: str) -> None:
    """Model permissions such as ``crm.view_contact`` for a staff user."""
    for codename in codenames:
        app_label, name = codename.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=name)
        )


@pytest.fixture
def staff_member(workspace) -> User:
    """A staff user (not superuser), member of ``workspace`` only."""
    user = UserFactory(email="staff@example.com", is_staff=True)
    MembershipFactory(workspace=workspace, user=user, role=Role.ADMIN)
    return user
