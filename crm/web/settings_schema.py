"""Settings → Custom fields and Tags. Owners and admins only; writes go through
``crm.services.custom_fields`` and ``crm.services.tags``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services.common import ServiceError, ValidationError
from crm.models import CustomField, FieldType, SubjectType, Tag
from crm.models.tags import DEFAULT_TAG_COLOR
from crm.services.custom_fields import custom_field_create, custom_field_delete, custom_field_usage
from crm.services.tags import tag_create, tag_delete, tag_update
from crm.web.settings import add_service_errors, settings_admin_required

# --- Custom fields ------------------------------------------------------------------------------


class CustomFieldForm(forms.Form):
    object_type = forms.ChoiceField(
        label="Records", choices=SubjectType.choices, widget=forms.Select(attrs={"class": "input"})
    )
    label = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"class": "input"}))
    key = forms.CharField(
        max_length=63,
        help_text="lower_snake_case, used in the API and imports, e.g. contract_value.",
        widget=forms.TextInput(attrs={"class": "input", "autocapitalize": "none"}),
    )
    type = forms.ChoiceField(
        choices=FieldType.choices, widget=forms.Select(attrs={"class": "input"})
    )
    options = forms.CharField(
        required=False,
        help_text="For select fields: one option a line.",
        widget=forms.Textarea(attrs={"class": "input", "rows": 3}),
    )
    required = forms.BooleanField(required=False, label="Required")


def _custom_fields_page(request: HttpRequest, form: CustomFieldForm, *, status: int = 200):
    fields = CustomField.objects.for_workspace(request.workspace).order_by(
        "object_type", "position", "label"
    )
    return render(
        request,
        "settings/custom_fields.html",
        {"fields": fields, "form": form, "settings_tab": "custom_fields"},
        status=status,
    )


@settings_admin_required
@require_http_methods(["GET", "POST"])
def custom_fields(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _custom_fields_page(request, CustomFieldForm())
    form = CustomFieldForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        options = [line.strip() for line in data["options"].splitlines() if line.strip()]
        try:
            field = custom_field_create(
                workspace=request.workspace,
                object_type=data["object_type"],
                key=data["key"],
                label=data["label"],
                type=data["type"],
                required=data["required"],
                options=options,
            )
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Field “{field.label}” added.")
            return redirect("settings:custom_fields")
    return _custom_fields_page(request, form, status=422)


class ForceDeleteForm(forms.Form):
    force = forms.BooleanField(required=False)


@settings_admin_required
@require_http_methods(["GET", "POST"])
def custom_field_remove(request: HttpRequest, field_id) -> HttpResponse:
    """Ask first; a field that records use needs the extra "also delete the values" box."""
    field = CustomField.objects.for_workspace(request.workspace).filter(pk=field_id).first()
    if field is None:
        raise Http404("No such field.")
    usage = custom_field_usage(field=field)
    form = ForceDeleteForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        force = form.cleaned_data["force"]
        if usage and not force:
            form.add_error("force", "Tick the box to delete the values too.")
        else:
            try:
                custom_field_delete(field=field, force=force)
            except ServiceError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Field “{field.label}” deleted.")
                return redirect("settings:custom_fields")
        status = 422
    return render(
        request,
        "settings/custom_field_delete.html",
        {"field": field, "usage": usage, "form": form, "settings_tab": "custom_fields"},
        status=status,
    )


# --- Tags ---------------------------------------------------------------------------------------


class TagForm(forms.Form):
    name = forms.CharField(max_length=64, widget=forms.TextInput(attrs={"class": "input"}))
    color = forms.RegexField(
        label="Colour",
        regex=r"^#[0-9a-fA-F]{6}$",
        initial=DEFAULT_TAG_COLOR,
        error_messages={"invalid": "Use a hex colour such as #3b82f6."},
        widget=forms.TextInput(attrs={"type": "color", "class": "input input--color"}),
    )


def _tags_page(request: HttpRequest, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    tags = Tag.objects.for_workspace(request.workspace).order_by("name")
    rows = [
        {
            "tag": tag,
            "form": bound.get(tag.pk)
            or TagForm(prefix=f"tag-{tag.pk}", initial={"name": tag.name, "color": tag.color}),
        }
        for tag in tags
    ]
    return render(
        request,
        "settings/tags.html",
        {
            "rows": rows,
            "new_form": bound.get("new") or TagForm(prefix="new"),
            "settings_tab": "tags",
        },
        status=status,
    )


def _workspace_tag(request: HttpRequest, tag_id) -> Tag:
    tag = Tag.objects.for_workspace(request.workspace).filter(pk=tag_id).first()
    if tag is None:
        raise Http404("No such tag.")
    return tag


@settings_admin_required
@require_http_methods(["GET", "POST"])
def tags(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _tags_page(request)
    form = TagForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            tag = tag_create(workspace=request.workspace, **form.cleaned_data)
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Tag “{tag.name}” added.")
            return redirect("settings:tags")
    return _tags_page(request, bound={"new": form}, status=422)


@settings_admin_required
@require_POST
def tag_edit(request: HttpRequest, tag_id) -> HttpResponse:
    tag = _workspace_tag(request, tag_id)
    form = TagForm(request.POST, prefix=f"tag-{tag.pk}")
    if form.is_valid():
        try:
            tag_update(tag=tag, data=form.cleaned_data)
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Tag “{tag.name}” saved.")
            return redirect("settings:tags")
    return _tags_page(request, bound={tag.pk: form}, status=422)


@settings_admin_required
@require_http_methods(["GET", "POST"])
def tag_remove(request: HttpRequest, tag_id) -> HttpResponse:
    tag = _workspace_tag(request, tag_id)
    if request.method == "POST":
        tag_delete(tag=tag)
        messages.success(request, f"Tag “{tag.name}” deleted.")
        return redirect("settings:tags")
    return render(request, "settings/tag_delete.html", {"tag": tag, "settings_tab": "tags"})
