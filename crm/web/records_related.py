"""Related records managed from a record page without leaving it: a contact's companies,
a company's people (and, from ``pipelines.web.deal_contacts``, a deal's people).

Each is a :class:`RelatedSection`: one card that lists the links and adds, edits and removes
them in place. With htmx every action answers with the card (and the record's timeline, out
of band); without JavaScript the same URLs answer with a small page and redirect back to the
record. Writes go through the link's service functions, which write the timeline.

The other record is picked in a type-ahead (``related_pick``, over ``crm.search``) that sets
its id; a typed name that was not picked is looked up when the form is posted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, QuerySet, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.services.common import ServiceError
from crm.models import Company, CompanyMembership, Contact, SubjectType
from crm.search import MIN_QUERY_LENGTH, workspace_search
from crm.services.contacts import (
    company_membership_create,
    company_membership_delete,
    company_membership_update,
)
from crm.web.records_common import (
    apply_service_errors,
    can_write,
    is_htmx,
    require_writer,
    timeline_context,
    workspace_page,
)
from crm.web.records_timeline import record_url

# Rows shown in a card; a record with more says how many there are (constant queries).
RELATED_LIMIT = 50
PICKER_LIMIT = 8
MAX_QUERY_LENGTH = 200
# What the type-ahead can pick: the search type, and the model a picked id must be.
PICKABLE: dict[str, type[Model]] = {"company": Company, "contact": Contact}


@dataclass(frozen=True)
class RelatedSection:
    """One card of links on a record page and the service calls that change them.

    ``add(record=, target=, actor=, data=)``, ``update(link=, actor=, data=)`` and
    ``remove(link=, actor=)`` call the link's services; ``data`` is the form's cleaned data.
    """

    key: str  # the card's DOM id is "related-<key>"
    url_name: str  # "crm:contact_companies"; "_add", "_edit" and "_remove" name the actions
    title: str
    template: str  # extends crm/_record_related_section.html
    subject_type: str  # of the record whose page shows the card
    record_model: type[Model]
    link_model: type[Model]
    record_field: str  # the link's foreign key to the record
    target_field: str  # the link's foreign key to the other record
    target_kind: str  # "company" or "contact", a key of PICKABLE
    target_noun: str  # "company", "person": in labels and messages
    order_by: tuple[str, ...]
    add: Callable[..., Any]
    update: Callable[..., Any]
    remove: Callable[..., Any]
    role_label: str = "Role"
    role_max_length: int = 150
    role_placeholder: str = ""
    edit_primary: bool = False  # the edit form also sets "primary company"
    role_suggestions: tuple[str, ...] = ()  # offered in a <datalist>, any text allowed
    added_message: str = "Linked {name}."
    removed_message: str = "Unlinked {name}."

    @property
    def dom_id(self) -> str:
        return f"related-{self.key}"

    @property
    def target_model(self) -> type[Model]:
        return PICKABLE[self.target_kind]

    def urls(self, route: str) -> list[URLPattern]:
        """The card's URL patterns under ``route`` (which captures the record's ``pk``)."""
        name = self.url_name.split(":", 1)[1]
        extra = {"section": self}
        return [
            path(route, section_view, extra, name=name),
            path(f"{route}add/", add_view, extra, name=f"{name}_add"),
            path(f"{route}<uuid:link_pk>/edit/", edit_view, extra, name=f"{name}_edit"),
            path(f"{route}<uuid:link_pk>/remove/", remove_view, extra, name=f"{name}_remove"),
        ]

    def links(self, workspace: Any, record: Model) -> QuerySet:
        return (
            self.link_model.objects.for_workspace(workspace)
            .filter(**{self.record_field: record})
            .select_related(self.target_field)
            .order_by(*self.order_by)
        )

    def get_record(self, request: HttpRequest, pk: Any) -> Model:
        return get_object_or_404(self.record_model.objects.for_workspace(request.workspace), pk=pk)

    def get_link(self, request: HttpRequest, record: Model, link_pk: Any) -> Model:
        """The record's link, or 404 (another record's or another workspace's link)."""
        return get_object_or_404(
            self.link_model.objects.for_workspace(request.workspace).select_related(
                self.record_field, self.target_field
            ),
            pk=link_pk,
            **{self.record_field: record},
        )

    def add_form(self, data: Any = None) -> LinkForm:
        return LinkForm(data, section=self)

    def edit_form(self, link: Model, data: Any = None) -> LinkEditForm:
        initial = {"role": link.role, "is_primary": getattr(link, "is_primary", False)}
        return LinkEditForm(data, section=self, initial=initial)


def _link_fields(form: forms.Form, section: RelatedSection) -> None:
    """The role (with suggestions) and, where it applies, the "primary" box."""
    attrs = {"placeholder": section.role_placeholder, "autocomplete": "off"}
    if section.role_suggestions:
        attrs["list"] = f"{section.dom_id}-roles"
    form.fields["role"] = forms.CharField(
        required=False,
        max_length=section.role_max_length,
        label=section.role_label,
        widget=forms.TextInput(attrs=attrs),
    )
    if section.edit_primary:
        form.fields["is_primary"] = forms.BooleanField(
            required=False, label=f"Primary {section.target_noun}"
        )


class LinkForm(forms.Form):
    """Link another record: its id from the type-ahead (a hidden field named after its kind,
    "company" or "contact"), or — with nothing picked — its name typed in ``query``."""

    query = forms.CharField(required=False, max_length=MAX_QUERY_LENGTH)

    def __init__(self, *args: Any, section: RelatedSection, **kwargs: Any) -> None:
        super().__init__(*args, auto_id=f"{section.dom_id}-add-%s", **kwargs)
        self.section = section
        self.candidates: list[dict[str, Any]] = []
        self.fields["query"].label = section.target_noun.capitalize()
        self.fields[section.target_kind] = forms.UUIDField(required=False, widget=forms.HiddenInput)
        _link_fields(self, section)

    @property
    def target(self) -> forms.BoundField:
        return self[self.section.target_kind]


class LinkEditForm(forms.Form):
    """A link's role (and, for a person's companies, whether it is the primary one)."""

    def __init__(self, *args: Any, section: RelatedSection, **kwargs: Any) -> None:
        super().__init__(*args, auto_id=f"{section.dom_id}-edit-%s", **kwargs)
        _link_fields(self, section)
        self.fields["role"].widget.attrs["autofocus"] = True


# --- Context ------------------------------------------------------------------------------


def first_rows(queryset: QuerySet) -> tuple[list[Model], int]:
    """The first RELATED_LIMIT rows and how many there are, in one query (a window count
    over the whole set, taken before the limit)."""
    rows = list(queryset.annotate(related_total=Window(Count("pk")))[:RELATED_LIMIT])
    return rows, rows[0].related_total if rows else 0


def section_context(
    request: HttpRequest,
    section: RelatedSection,
    record: Model,
    *,
    add_form: LinkForm | None = None,
    editing: Model | None = None,
    edit_form: LinkEditForm | None = None,
    confirming: Model | None = None,
    status: str = "",
) -> dict[str, Any]:
    """What a card shows: at most RELATED_LIMIT links (one query, whatever their number),
    the link being edited or confirmed for removal, and the add form."""
    rows, total = first_rows(section.links(request.workspace, record))
    focus = editing or confirming
    if focus is not None and all(row.pk != focus.pk for row in rows):
        rows.append(focus)
    name = section.url_name
    for row in rows:
        target = getattr(row, section.target_field)
        row.target_name = getattr(target, "display_name", None) or str(target)
        row.target_url = record_url(section.target_kind, target.pk)
        row.edit_url = reverse(f"{name}_edit", args=[record.pk, row.pk])
        row.remove_url = reverse(f"{name}_remove", args=[record.pk, row.pk])
    writer = can_write(request)
    return {
        "section": section,
        "record": record,
        "record_url": record_url(section.subject_type, record.pk),
        "section_url": reverse(name, args=[record.pk]),
        "add_url": reverse(f"{name}_add", args=[record.pk]),
        "pick_url": reverse("crm:related_pick", args=[section.target_kind]),
        "rows": rows,
        "total": total,
        "shown": min(total, RELATED_LIMIT),
        "more": max(total - RELATED_LIMIT, 0),
        "can_write": writer,
        # While a row is edited or its removal asked, the card shows only that question.
        "add_form": None if focus is not None or not writer else add_form or section.add_form(),
        "editing_id": editing.pk if editing is not None else None,
        "edit_form": edit_form,
        "confirming_id": confirming.pk if confirming is not None else None,
        "status": status,
    }


def contact_related_context(request: HttpRequest, contact: Contact) -> dict[str, Any]:
    """A contact page's Companies card and its Deals (with stage and amount)."""
    deal_links, deal_total = first_rows(
        contact.deal_links.select_related("deal__stage").order_by("-deal__created_at", "pk")
    )
    return {
        "related_companies": section_context(request, CONTACT_COMPANIES, contact),
        "deal_links": deal_links,
        "deal_total": deal_total,
    }


def company_related_context(request: HttpRequest, company: Company) -> dict[str, Any]:
    """A company page's People card."""
    return {"related_people": section_context(request, COMPANY_PEOPLE, company)}


# --- Views --------------------------------------------------------------------------------


def _respond(
    request: HttpRequest, section: RelatedSection, record: Model, **state: Any
) -> HttpResponse:
    """The card (htmx), or a page around it (no JavaScript)."""
    related = section_context(request, section, record, **state)
    if is_htmx(request):
        return render(request, section.template, {"related": related})
    return render(
        request,
        "crm/record_related_page.html",
        {
            "related": related,
            "record": record,
            "record_url": record_url(section.subject_type, record.pk),
        },
    )


def _done(
    request: HttpRequest, section: RelatedSection, record: Model, message: str
) -> HttpResponse:
    """After a change: the fresh card and, on the record's page, its timeline (htmx; out of
    band), or back to the record."""
    if not is_htmx(request):
        messages.success(request, message)
        return redirect(record_url(section.subject_type, record.pk))
    related = section_context(request, section, record, status=message)
    html = render_to_string(section.template, {"related": related}, request=request)
    current = urlsplit(request.headers.get("HX-Current-URL", "")).path
    if current != related["record_url"]:
        return HttpResponse(html)  # not on the record's page: it has no timeline to refresh
    timeline = timeline_context(
        workspace=request.workspace, subject_type=section.subject_type, subject_id=record.pk
    )
    html += render_to_string(
        "crm/_record_timeline.html",
        {**timeline, "oob": True, "can_write": related["can_write"]},
        request=request,
    )
    return HttpResponse(html)


def _resolve_target(request: HttpRequest, form: LinkForm) -> Model | None:
    """The record to link: the picked id (404 outside the workspace), else the one record
    whose name, email or domain is exactly the typed text. Otherwise the form explains, and
    offers the closest matches to choose from."""
    section = form.section
    model = section.target_model
    picked = form.cleaned_data.get(section.target_kind)
    if picked:
        return get_object_or_404(model.objects.for_workspace(request.workspace), pk=picked)
    text = " ".join(form.cleaned_data.get("query", "").split())
    noun = section.target_noun
    if not text:
        form.add_error("query", f"Choose a {noun} to link.")
        return None
    found = workspace_search(
        workspace=request.workspace, text=text, types=[section.target_kind], limit=PICKER_LIMIT
    )
    hits = next(iter(found.values()), [])
    exact = [hit for hit in hits if hit["score"] >= 1.0]
    if len(exact) == 1:
        return model.objects.for_workspace(request.workspace).get(pk=exact[0]["id"])
    if hits:
        form.candidates = hits
        form.add_error("query", f"Which {noun} do you mean? Choose one below.")
    else:
        form.add_error("query", f"No {noun} matches “{text}”.")
    return None


@workspace_page
@require_GET
def section_view(request: HttpRequest, pk: Any, *, section: RelatedSection) -> HttpResponse:
    """The card as it is (what "Cancel" swaps back in)."""
    return _respond(request, section, section.get_record(request, pk))


@workspace_page
@require_POST
def add_view(request: HttpRequest, pk: Any, *, section: RelatedSection) -> HttpResponse:
    record = section.get_record(request, pk)
    actor = require_writer(request)
    form = section.add_form(request.POST)
    target = _resolve_target(request, form) if form.is_valid() else None
    if target is not None:
        try:
            section.add(record=record, target=target, actor=actor, data=form.cleaned_data)
        except (ValidationError, ServiceError) as error:
            apply_service_errors(form, error)
        else:
            message = section.added_message.format(name=target)
            return _done(request, section, record, message)
    return _respond(request, section, record, add_form=form)


@workspace_page
@require_http_methods(["GET", "POST"])
def edit_view(
    request: HttpRequest, pk: Any, link_pk: Any, *, section: RelatedSection
) -> HttpResponse:
    """GET: the link's row as a form. POST: save it through the service."""
    record = section.get_record(request, pk)
    link = section.get_link(request, record, link_pk)
    actor = require_writer(request)
    form = section.edit_form(link, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            section.update(link=link, actor=actor, data=form.cleaned_data)
        except (ValidationError, ServiceError) as error:
            apply_service_errors(form, error)
        else:
            return _done(request, section, record, "Saved.")
    return _respond(request, section, record, editing=link, edit_form=form)


@workspace_page
@require_http_methods(["GET", "POST"])
def remove_view(
    request: HttpRequest, pk: Any, link_pk: Any, *, section: RelatedSection
) -> HttpResponse:
    """GET asks first (in the row, or on a page of its own); POST removes the link."""
    record = section.get_record(request, pk)
    link = section.get_link(request, record, link_pk)
    actor = require_writer(request)
    if request.method == "POST":
        target = getattr(link, section.target_field)
        section.remove(link=link, actor=actor)
        return _done(request, section, record, section.removed_message.format(name=target))
    return _respond(request, section, record, confirming=link)


@workspace_page
@require_GET
def related_pick(request: HttpRequest, kind: str) -> HttpResponse:
    """The type-ahead's options: the workspace's best matches of one kind."""
    if kind not in PICKABLE:
        raise Http404
    text = " ".join(request.GET.get("query", "").split())[:MAX_QUERY_LENGTH]
    hits: list[dict[str, Any]] = []
    if len(text) >= MIN_QUERY_LENGTH:
        found = workspace_search(
            workspace=request.workspace, text=text, types=[kind], limit=PICKER_LIMIT
        )
        hits = next(iter(found.values()), [])
    return render(
        request,
        "crm/_record_related_options.html",
        {
            "hits": hits,
            "q": text,
            "too_short": len(text) < MIN_QUERY_LENGTH,
            "noun": "company" if kind == "company" else "person",
        },
    )


# --- The sections -------------------------------------------------------------------------


def _membership_data(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in ("role", "is_primary") if key in data}


CONTACT_COMPANIES = RelatedSection(
    key="companies",
    url_name="crm:contact_companies",
    title="Companies",
    template="crm/_record_related_companies.html",
    subject_type=SubjectType.CONTACT,
    record_model=Contact,
    link_model=CompanyMembership,
    record_field="contact",
    target_field="company",
    target_kind="company",
    target_noun="company",
    order_by=("-is_primary", "company__name", "pk"),
    add=lambda *, record, target, actor, data: company_membership_create(
        contact=record,
        company=target,
        actor=actor,
        role=data["role"],
        is_primary=data.get("is_primary", False),
    ),
    update=lambda *, link, actor, data: company_membership_update(
        membership=link, actor=actor, data=_membership_data(data)
    ),
    remove=lambda *, link, actor: company_membership_delete(membership=link, actor=actor),
    role_label="Title",
    role_placeholder="e.g. Head of Sales",
    edit_primary=True,
)

COMPANY_PEOPLE = RelatedSection(
    key="people",
    url_name="crm:company_people",
    title="People",
    template="crm/_record_related_people.html",
    subject_type=SubjectType.COMPANY,
    record_model=Company,
    link_model=CompanyMembership,
    record_field="company",
    target_field="contact",
    target_kind="contact",
    target_noun="person",
    order_by=("contact__last_name", "contact__first_name", "pk"),
    add=lambda *, record, target, actor, data: company_membership_create(
        contact=target, company=record, actor=actor, role=data["role"]
    ),
    update=lambda *, link, actor, data: company_membership_update(
        membership=link, actor=actor, data=_membership_data(data)
    ),
    remove=lambda *, link, actor: company_membership_delete(membership=link, actor=actor),
    role_label="Title",
    role_placeholder="e.g. Head of Sales",
)
