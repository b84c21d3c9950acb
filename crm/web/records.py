"""Contact and company pages: lists, create forms, record pages with inline edits, and
delete with confirmation. Every write goes through crm.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.services.common import ServiceError
from crm.api.filters import CompanyFilter, ContactFilter
from crm.models import (
    Company,
    Contact,
    ContactStatus,
    Relationship,
    SubjectType,
)
from crm.services.companies import company_create, company_delete, company_update
from crm.services.contacts import contact_create, contact_delete, contact_update
from crm.services.duplicates import likely_duplicates
from crm.web.lists import (
    ListSpec,
    created_column,
    list_page,
    owner_column,
    register_list,
    tags_column,
)
from crm.web.records_common import (
    Column,
    apply_service_errors,
    can_write,
    confirm_delete,
    custom_field_rows,
    is_htmx,
    member_choices,
    require_writer,
    timeline_context,
    workspace_page,
)
from crm.web.records_related import company_related_context, contact_related_context
from crm.web.records_timeline import composer_forms

CONTACT_SORTS = {
    "name": "full_name",
    "email": "email",
    "company": "company__name",
    "status": "status",
    "created": "created_at",
    "id": "id",
}
COMPANY_SORTS = {
    "name": "name",
    "domain": "domain",
    "industry": "industry",
    "relationship": "relationship",
    "created": "created_at",
    "id": "id",
}


CONTACT_LIST = register_list(
    ListSpec(
        object_type=SubjectType.CONTACT,
        noun="contact",
        plural="contacts",
        url_prefix="crm:contact",
        template="crm/contacts/list.html",
        queryset=lambda workspace: Contact.objects.for_workspace(workspace).select_related(
            "company", "owner"
        ),
        filterset_class=ContactFilter,
        sorts=CONTACT_SORTS,
        default_sort="-created",
        columns=(
            Column("name", "Name", "name", value=lambda r: r.display_name, required=True),
            Column("email", "Email", "email", value=lambda r: r.email),
            Column("job_title", "Job title", value=lambda r: r.job_title, default=False),
            Column("company", "Company", "company", value=lambda r: r.company and r.company.name),
            Column("status", "Status", "status", value=lambda r: r.get_status_display()),
            Column("source", "Source", value=lambda r: r.get_source_display(), default=False),
            owner_column(),
            tags_column(),
            Column(
                "last_activity",
                "Last activity",
                value=lambda r: r.last_activity_at,
                default=False,
            ),
            created_column(),
        ),
        filter_choices=lambda workspace: {"status_choices": ContactStatus.choices},
        has_lists=True,
    )
)

COMPANY_LIST = register_list(
    ListSpec(
        object_type=SubjectType.COMPANY,
        noun="company",
        plural="companies",
        url_prefix="crm:company",
        template="crm/companies/list.html",
        queryset=lambda workspace: Company.objects.for_workspace(workspace).select_related("owner"),
        filterset_class=CompanyFilter,
        sorts=COMPANY_SORTS,
        default_sort="name",
        columns=(
            Column("name", "Name", "name", value=lambda r: r.name, required=True),
            Column("domain", "Domain", "domain", value=lambda r: r.domain),
            Column("industry", "Industry", "industry", value=lambda r: r.industry),
            Column(
                "relationship",
                "Relationship",
                "relationship",
                value=lambda r: r.get_relationship_display(),
            ),
            Column(
                "lifecycle", "Lifecycle", value=lambda r: r.get_lifecycle_display(), default=False
            ),
            Column("size", "Employees", value=lambda r: r.size, default=False),
            Column(
                "annual_revenue", "Annual revenue", value=lambda r: r.annual_revenue, default=False
            ),
            owner_column(),
            tags_column(),
            created_column(),
        ),
        filter_choices=lambda workspace: {"relationship_choices": Relationship.choices},
        has_lists=True,
        delete_consequence=(
            "Their notes, tasks and timeline go with them; their people stay, without the link."
        ),
    )
)


def split_tags(value: str) -> list[str]:
    return [t.strip() for t in (value or "").split(",") if t.strip()]


class OwnerField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, label="Owner", **kwargs)


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.CharField(max_length=254, required=False, widget=forms.EmailInput)
    job_title = forms.CharField(max_length=150, required=False)
    company = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=ContactStatus.choices, initial=ContactStatus.LEAD)
    owner = OwnerField()
    tags = forms.CharField(required=False, help_text="Separate tags with commas.")

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        companies = Company.objects.for_workspace(workspace).order_by("name")
        self.fields["company"].choices = [("", "— No company —")] + [
            (str(pk), name) for pk, name in companies.values_list("pk", "name")[:500]
        ]
        self.fields["owner"].choices = [("", "— Unassigned —"), *member_choices(workspace)]


class CompanyForm(forms.Form):
    name = forms.CharField(max_length=200)
    domain = forms.CharField(max_length=253, required=False, help_text="e.g. example.com")
    industry = forms.CharField(max_length=100, required=False)
    relationship = forms.ChoiceField(choices=Relationship.choices, initial=Relationship.PROSPECT)
    size = forms.IntegerField(required=False, min_value=0, label="Employees")
    owner = OwnerField()
    tags = forms.CharField(required=False, help_text="Separate tags with commas.")

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "— Unassigned —"), *member_choices(workspace)]


class ContactSummaryForm(forms.Form):
    """The fields edited in place on a contact's page."""

    job_title = forms.CharField(max_length=150, required=False)
    status = forms.ChoiceField(choices=ContactStatus.choices)
    owner = OwnerField()

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "— Unassigned —"), *member_choices(workspace)]


class CompanySummaryForm(forms.Form):
    industry = forms.CharField(max_length=100, required=False)
    relationship = forms.ChoiceField(choices=Relationship.choices)
    owner = OwnerField()

    def __init__(self, *args: Any, workspace: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "— Unassigned —"), *member_choices(workspace)]


# --- Contacts -----------------------------------------------------------------------------


@workspace_page
def contact_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, CONTACT_LIST)


@workspace_page
def contact_create_view(request: HttpRequest) -> HttpResponse:
    actor = require_writer(request)
    initial = {"company": request.GET.get("company", "")}
    form = ContactForm(request.POST or None, workspace=request.workspace, initial=initial)
    duplicates: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = _duplicates_first(request, "contact", data)
    if request.method == "POST" and form.is_valid() and not duplicates:
        data = form.cleaned_data
        try:
            contact = contact_create(
                workspace=request.workspace,
                actor=actor,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                job_title=data["job_title"],
                company=data["company"] or None,
                status=data["status"],
                owner=data["owner"] or None,
                tags=split_tags(data["tags"]),
            )
        except (ValidationError, ServiceError) as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{contact.display_name} added.")
            return redirect("crm:contact_detail", contact.pk)
    return render(
        request,
        "crm/contacts/form.html",
        {
            "form": form,
            "title": "New contact",
            "cancel_url": reverse("crm:contact_list"),
            "duplicates": duplicates,
            "detail_url": "crm:contact_detail",
        },
    )


def _duplicates_first(request: HttpRequest, object_type: str, data: dict[str, Any]) -> list[dict]:
    """Likely duplicates of the record about to be created, unless the user has seen them
    and chosen "Create anyway"."""
    if request.POST.get("create_anyway"):
        return []
    # A taken primary email or domain is not a warning but an error, which the create
    # service reports next to the field.
    unique_field, model = ("email", Contact) if object_type == "contact" else ("domain", Company)
    taken = data.get(unique_field)
    if (
        taken
        and model.objects.for_workspace(request.workspace)
        .filter(**{f"{unique_field}__iexact": taken})
        .exists()
    ):
        return []
    return likely_duplicates(workspace=request.workspace, object_type=object_type, data=data)


def _contact(request: HttpRequest, pk: Any) -> Contact:
    return get_object_or_404(
        Contact.objects.for_workspace(request.workspace)
        .select_related("company", "owner")
        .prefetch_related(
            "tags",
            "phones",
            Prefetch("emails", to_attr="email_rows"),
        ),
        pk=pk,
    )


@workspace_page
def contact_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    contact = _contact(request, pk)
    context = {
        "record": contact,
        **contact_related_context(request, contact),
        "summary_form": None,
        **record_context(request, SubjectType.CONTACT, contact),
    }
    return render(request, "crm/contacts/detail.html", context)


def record_context(request: HttpRequest, subject_type: str, record: Any) -> dict[str, Any]:
    return {
        "subject_type": subject_type,
        "custom_fields": custom_field_rows(request.workspace, subject_type, record.custom_fields),
        "composer": composer_forms(),
        "can_write": can_write(request),
        **timeline_context(
            workspace=request.workspace, subject_type=subject_type, subject_id=record.pk
        ),
    }


def summary_edit(
    request: HttpRequest,
    *,
    record: Any,
    form_class: type[forms.Form],
    initial: dict[str, Any],
    save: Any,
    template: str,
    detail_url: str,
) -> HttpResponse:
    """GET: the edit form (a fragment for htmx, a page without it). POST: save through the
    service, then the display fragment (htmx) or back to the record."""
    if request.method == "POST":
        actor = require_writer(request)
        form = form_class(request.POST, workspace=request.workspace)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if "owner" in data:
                data["owner"] = data["owner"] or None
            try:
                save(actor, data)
            except (ValidationError, ServiceError) as error:
                apply_service_errors(form, error)
            else:
                if not is_htmx(request):
                    messages.success(request, "Saved.")
                    return redirect(detail_url)
                record.refresh_from_db()
                return render(
                    request,
                    template,
                    {"record": record, "can_write": True, "editing": False},
                )
    else:
        require_writer(request)
        form = form_class(initial=initial, workspace=request.workspace)
    context = {"record": record, "form": form, "editing": True, "detail_url": detail_url}
    if is_htmx(request):
        return render(request, template, context)
    return render(
        request,
        "crm/record_summary_edit_page.html",
        {**context, "summary_template": template},
    )


@workspace_page
def contact_summary(request: HttpRequest, pk: Any) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.for_workspace(request.workspace).select_related("owner"), pk=pk
    )
    return summary_edit(
        request,
        record=contact,
        form_class=ContactSummaryForm,
        initial={
            "job_title": contact.job_title,
            "status": contact.status,
            "owner": str(contact.owner_id or ""),
        },
        save=lambda actor, data: contact_update(contact=contact, actor=actor, data=data),
        template="crm/contacts/_summary.html",
        detail_url=reverse("crm:contact_detail", args=[contact.pk]),
    )


@workspace_page
def contact_delete_view(request: HttpRequest, pk: Any) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.for_workspace(request.workspace), pk=pk)
    return confirm_delete(
        request,
        name=contact.display_name,
        kind="contact",
        consequence="Its notes, tasks, activities and timeline are deleted with it.",
        delete=lambda actor: contact_delete(contact=contact, actor=actor),
        list_url=reverse("crm:contact_list"),
        cancel_url=reverse("crm:contact_detail", args=[contact.pk]),
    )


# --- Companies ----------------------------------------------------------------------------


@workspace_page
def company_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, COMPANY_LIST)


@workspace_page
def company_create_view(request: HttpRequest) -> HttpResponse:
    actor = require_writer(request)
    form = CompanyForm(request.POST or None, workspace=request.workspace)
    duplicates: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = _duplicates_first(request, "company", data)
    if request.method == "POST" and form.is_valid() and not duplicates:
        data = form.cleaned_data
        try:
            company = company_create(
                workspace=request.workspace,
                actor=actor,
                name=data["name"],
                domain=data["domain"],
                industry=data["industry"],
                relationship=data["relationship"],
                size=data["size"],
                owner=data["owner"] or None,
                tags=split_tags(data["tags"]),
            )
        except (ValidationError, ServiceError) as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{company.name} added.")
            return redirect("crm:company_detail", company.pk)
    return render(
        request,
        "crm/companies/form.html",
        {
            "form": form,
            "title": "New company",
            "cancel_url": reverse("crm:company_list"),
            "duplicates": duplicates,
            "detail_url": "crm:company_detail",
        },
    )


@workspace_page
def company_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    company = get_object_or_404(
        Company.objects.for_workspace(request.workspace)
        .select_related("owner")
        .prefetch_related("tags", "phones"),
        pk=pk,
    )
    deals = list(company.deals.select_related("stage").order_by("-created_at")[:50])
    context = {
        "record": company,
        **company_related_context(request, company),
        "deals": deals,
        **record_context(request, SubjectType.COMPANY, company),
    }
    return render(request, "crm/companies/detail.html", context)


@workspace_page
def company_summary(request: HttpRequest, pk: Any) -> HttpResponse:
    company = get_object_or_404(
        Company.objects.for_workspace(request.workspace).select_related("owner"), pk=pk
    )
    return summary_edit(
        request,
        record=company,
        form_class=CompanySummaryForm,
        initial={
            "industry": company.industry,
            "relationship": company.relationship,
            "owner": str(company.owner_id or ""),
        },
        save=lambda actor, data: company_update(company=company, actor=actor, data=data),
        template="crm/companies/_summary.html",
        detail_url=reverse("crm:company_detail", args=[company.pk]),
    )


@workspace_page
def company_delete_view(request: HttpRequest, pk: Any) -> HttpResponse:
    company = get_object_or_404(Company.objects.for_workspace(request.workspace), pk=pk)
    return confirm_delete(
        request,
        name=company.name,
        kind="company",
        consequence=(
            "Its notes, tasks and timeline are deleted with it; its people stay, "
            "without the link to it."
        ),
        delete=lambda actor: company_delete(company=company, actor=actor),
        list_url=reverse("crm:company_list"),
        cancel_url=reverse("crm:company_detail", args=[company.pk]),
    )
