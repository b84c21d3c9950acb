"""Deal pages: the list, the create form, the record page (inline edit, people with their
roles, timeline) and delete with confirmation. Writes go through pipelines.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.services.common import ServiceError
from crm.models import Company, Contact, SubjectType
from crm.web.lists import (
    ListSpec,
    created_column,
    list_page,
    owner_column,
    register_list,
    tags_column,
)
from crm.web.records import record_context, split_tags, summary_edit
from crm.web.records_common import (
    Column,
    apply_service_errors,
    confirm_delete,
    member_choices,
    require_writer,
    workspace_page,
)
from pipelines.api.filters import DealFilter
from pipelines.models import Deal, DealStatus, Stage
from pipelines.services.deals import deal_create, deal_delete, deal_update
from pipelines.web.deal_contacts import deal_contacts_context

DEAL_SORTS = {
    "title": "title",
    "company": "company__name",
    "stage": "stage__position",
    "amount": "amount",
    "close": "expected_close_date",
    "created": "created_at",
    "id": "id",
}


def _stage_choices(workspace: Any) -> list[tuple[str, str]]:
    stages = (
        Stage.objects.for_workspace(workspace)
        .select_related("pipeline")
        .order_by("pipeline__position", "pipeline__name", "position")
    )
    several = len({s.pipeline_id for s in stages}) > 1
    return [(str(s.pk), f"{s.pipeline.name} · {s.name}" if several else s.name) for s in stages]


DEAL_LIST = register_list(
    ListSpec(
        object_type=SubjectType.DEAL,
        noun="deal",
        plural="deals",
        url_prefix="pipelines:deal",
        template="pipelines/deals/list.html",
        queryset=lambda workspace: Deal.objects.for_workspace(workspace).select_related(
            "company", "stage", "owner"
        ),
        filterset_class=DealFilter,
        sorts=DEAL_SORTS,
        default_sort="-created",
        columns=(
            Column("title", "Title", "title", value=lambda r: r.title, required=True),
            Column("company", "Company", "company", value=lambda r: r.company and r.company.name),
            Column("stage", "Stage", "stage", value=lambda r: r.stage.name),
            Column("status", "Status", value=lambda r: r.get_status_display(), default=False),
            Column("amount", "Amount", "amount", value=lambda r: r.amount),
            Column("currency", "Currency", value=lambda r: r.currency, default=False),
            Column("probability", "Probability", value=lambda r: r.probability, default=False),
            owner_column(),
            tags_column(default=False),
            Column("close", "Expected close", "close", value=lambda r: r.expected_close_date),
            created_column(default=False),
        ),
        filter_choices=lambda workspace: {
            "status_choices": DealStatus.choices,
            "stage_choices": _stage_choices(workspace),
        },
        delete_consequence=(
            "Their notes, tasks, activities, stage history and timeline go with them."
        ),
    )
)


class DealForm(forms.Form):
    title = forms.CharField(max_length=200)
    stage = forms.ChoiceField()
    amount = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=2)
    expected_close_date = forms.DateField(
        required=False, label="Expected close", widget=forms.DateInput(attrs={"type": "date"})
    )
    company = forms.ChoiceField(required=False)
    contact = forms.ChoiceField(required=False, label="Contact")
    contact_role = forms.CharField(
        required=False, max_length=100, label="Contact's role", help_text="e.g. Decision maker"
    )
    owner = forms.ChoiceField(required=False)
    tags = forms.CharField(required=False, help_text="Separate tags with commas.")

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = _stage_choices(workspace)
        companies = Company.objects.for_workspace(workspace).order_by("name")
        self.fields["company"].choices = [("", "— No company —")] + [
            (str(pk), name) for pk, name in companies.values_list("pk", "name")[:500]
        ]
        contacts = Contact.objects.for_workspace(workspace).order_by("full_name")
        self.fields["contact"].choices = [("", "— Nobody yet —")] + [
            (str(pk), name or email)
            for pk, name, email in contacts.values_list("pk", "full_name", "email")[:500]
        ]
        self.fields["owner"].choices = [("", "— Unassigned —"), *member_choices(workspace)]


class DealSummaryForm(forms.Form):
    amount = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=2)
    expected_close_date = forms.DateField(
        required=False, label="Expected close", widget=forms.DateInput(attrs={"type": "date"})
    )
    owner = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "— Unassigned —"), *member_choices(workspace)]


@workspace_page
def deal_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, DEAL_LIST)


@workspace_page
def deal_create_view(request: HttpRequest) -> HttpResponse:
    actor = require_writer(request)
    initial = {k: request.GET[k] for k in ("company", "contact") if request.GET.get(k)}
    form = DealForm(request.POST or None, workspace=request.workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        people = (
            [{"id": data["contact"], "role": data["contact_role"]}] if data["contact"] else None
        )
        try:
            deal = deal_create(
                workspace=request.workspace,
                actor=actor,
                title=data["title"],
                stage=data["stage"],
                amount=data["amount"],
                expected_close_date=data["expected_close_date"],
                company=data["company"] or None,
                contacts=people,
                owner=data["owner"] or None,
                tags=split_tags(data["tags"]),
            )
        except (ValidationError, ServiceError) as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{deal.title} added.")
            return redirect("pipelines:deal_detail", deal.pk)
    return render(
        request,
        "pipelines/deals/form.html",
        {"form": form, "title": "New deal", "cancel_url": reverse("pipelines:deal_list")},
    )


@workspace_page
def deal_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    deal = get_object_or_404(
        Deal.objects.for_workspace(request.workspace)
        .select_related("company", "stage", "pipeline", "owner")
        .prefetch_related("tags"),
        pk=pk,
    )
    context = {
        "record": deal,
        **deal_contacts_context(request, deal),
        **record_context(request, SubjectType.DEAL, deal),
    }
    return render(request, "pipelines/deals/detail.html", context)


@workspace_page
def deal_summary(request: HttpRequest, pk: Any) -> HttpResponse:
    deal = get_object_or_404(
        Deal.objects.for_workspace(request.workspace).select_related("owner"), pk=pk
    )
    return summary_edit(
        request,
        record=deal,
        form_class=DealSummaryForm,
        initial={
            "amount": deal.amount,
            "expected_close_date": deal.expected_close_date,
            "owner": str(deal.owner_id or ""),
        },
        save=lambda actor, data: deal_update(deal=deal, actor=actor, data=data),
        template="pipelines/deals/_summary.html",
        detail_url=reverse("pipelines:deal_detail", args=[deal.pk]),
    )


@workspace_page
def deal_delete_view(request: HttpRequest, pk: Any) -> HttpResponse:
    deal = get_object_or_404(Deal.objects.for_workspace(request.workspace), pk=pk)
    return confirm_delete(
        request,
        name=deal.title,
        kind="deal",
        consequence="Its notes, tasks, activities, stage history and timeline go with it.",
        delete=lambda actor: deal_delete(deal=deal, actor=actor),
        list_url=reverse("pipelines:deal_list"),
        cancel_url=reverse("pipelines:deal_detail", args=[deal.pk]),
    )
