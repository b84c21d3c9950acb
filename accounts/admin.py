"""The admin site: every model, scoped to the staff user's workspaces, every write a service.

This module holds, besides the admins of ``accounts``, what the admins of ``crm`` and
``pipelines`` are built from:

* ``WorkspaceScopedMixin`` — a staff user who is not a superuser sees, opens, and can pick in
  a foreign key or an autocomplete only rows of the workspaces they are a member of. It is the
  one place tenancy is applied in the admin; ``scope_for_user`` is its rule.
* ``ServiceAdmin`` / ``ServiceInline`` — saving and deleting call the service functions, so an
  admin edit is validated, normalised and written to the timeline exactly as an API call is.
  A service's refusal (ValidationError, ServiceError, ConflictError, a lost race) becomes a
  form error or an error message, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from accounts.models import (
    ApiKey,
    IdempotencyKey,
    Invitation,
    Membership,
    Role,
    User,
    Workspace,
)
from accounts.scopes import ALL_SCOPES
from accounts.services.api_keys import api_key_create, api_key_revoke
from accounts.services.common import Actor, ConflictError, ServiceError
from accounts.services.invitations import invitation_revoke
from accounts.services.workspaces import (
    membership_add,
    membership_remove,
    membership_update_role,
    workspace_create,
    workspace_update,
)

# --- Tenancy ------------------------------------------------------------------------------------


def member_workspace_ids(user: User) -> models.QuerySet:
    """The ids of the user's workspaces, as a subquery (no query of its own)."""
    return Membership.objects.filter(user_id=user.pk).values("workspace_id")


def scope_for_user(queryset: models.QuerySet, user: User) -> models.QuerySet:
    """``queryset`` narrowed to what ``user`` may see in the admin.

    Superusers see everything. Anyone else sees the workspaces they belong to, the rows of
    those workspaces, and the users who share one of them (and themselves). Models that belong
    to no workspace (groups, permissions) are left as they are.
    """
    if user.is_superuser:
        return queryset
    workspaces = member_workspace_ids(user)
    model = queryset.model
    if issubclass(model, Workspace):
        return queryset.filter(pk__in=workspaces)
    if issubclass(model, User):
        members = Membership.objects.filter(workspace_id__in=workspaces).values("user_id")
        return queryset.filter(Q(pk__in=members) | Q(pk=user.pk))
    try:
        model._meta.get_field("workspace")
    except FieldDoesNotExist:
        return queryset
    return queryset.filter(workspace_id__in=workspaces)


def is_tenant_model(model: type[models.Model]) -> bool:
    try:
        return model._meta.get_field("workspace").related_model is Workspace
    except FieldDoesNotExist:
        return False


class ScopedChangeList(ChangeList):
    """A change list whose admin may add per-page annotations (counts) and decorate the page
    of results in a bounded number of queries (labels of generic subjects)."""

    def get_queryset(self, request, exclude_parameters=None):
        if not getattr(self, "_annotated", False):
            self.root_queryset = self.model_admin.annotate_changelist(request, self.root_queryset)
            self._annotated = True
        return super().get_queryset(request, exclude_parameters)

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        self.model_admin.decorate_results(request, self.result_list)


class WorkspaceScopedMixin:
    """Tenancy for a ModelAdmin or an inline: rows and foreign-key choices of the user's
    workspaces only (everything for superusers); ``workspace`` picked by autocomplete.

    Use it before the admin class: ``class ContactAdmin(WorkspaceScopedMixin, ModelAdmin)``.
    """

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return scope_for_user(super().get_queryset(request), request.user)

    def get_field_queryset(self, db, db_field, request):
        # Used for the choices (and the validation) of every foreign key and many-to-many
        # field, autocomplete ones included; Django returns None for "all rows", which we
        # must not leave unscoped.
        queryset = super().get_field_queryset(db, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return scope_for_user(queryset, request.user)

    # Roles: a viewer may look but not write; workspaces themselves need admin or owner.
    def _roles(self, request: HttpRequest) -> dict[Any, str]:
        if not hasattr(request, "_admin_workspace_roles"):
            request._admin_workspace_roles = dict(  # type: ignore[attr-defined]
                Membership.objects.filter(user=request.user).values_list("workspace_id", "role")
            )
        return request._admin_workspace_roles  # type: ignore[attr-defined]

    def _may_write(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return True
        roles = self._roles(request)
        if isinstance(obj, Workspace):
            return roles.get(obj.pk) in (Role.OWNER, Role.ADMIN)
        if obj is not None and getattr(obj, "workspace_id", None) is not None:
            return roles.get(obj.workspace_id) not in (None, Role.VIEWER)
        return any(role != Role.VIEWER for role in roles.values())

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request, *args) and self._may_write(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)

    def get_autocomplete_fields(self, request):
        fields = tuple(super().get_autocomplete_fields(request))
        if is_tenant_model(self.model) and "workspace" not in fields:
            fields += ("workspace",)
        return fields

    def scoped(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        return scope_for_user(queryset, request.user)

    # Change-list hooks (see ScopedChangeList); inlines never call them.
    def get_changelist(self, request, **kwargs):
        return ScopedChangeList

    def annotate_changelist(self, request, queryset):
        return queryset

    def decorate_results(self, request, results):
        """Attach what the columns show to a page of results, in a fixed number of queries."""


def related_count(model: type[models.Model], relation: str) -> Coalesce:
    """``COUNT`` of a reverse relation as a correlated subquery: one query for the whole page,
    and no ``GROUP BY`` over the joined rows of the list."""
    related_field = model._meta.get_field(relation)
    related_model = related_field.related_model
    fk_name = related_field.field.name
    counts = (
        related_model._default_manager.filter(**{fk_name: OuterRef("pk")})
        .order_by()
        .values(fk_name)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=models.IntegerField()), 0)


# --- Writes through services --------------------------------------------------------------------

SERVICE_ERRORS = (DjangoValidationError, ServiceError, PermissionDenied, IntegrityError)


class ServiceRejected(Exception):
    """A service refused an admin write; the view shows why and writes nothing."""

    def __init__(self, error: Exception, *, in_form: bool = True) -> None:
        super().__init__(str(error))
        self.errors = error_messages(error)
        self.in_form = in_form

    @property
    def text(self) -> str:
        return " ".join(
            f"{_label(name)}: {message}" if name else message for name, message in self.errors
        )


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def error_messages(error: Exception) -> list[tuple[str | None, str]]:
    """``[(field or None, message)]`` of what a service raised."""
    if isinstance(error, ConflictError):
        return [(error.field, error.message)]
    if isinstance(error, ServiceError):
        return [(None, error.message)]
    if isinstance(error, PermissionDenied):
        return [(None, str(error) or "You may not do that.")]
    if isinstance(error, IntegrityError):
        return [
            (None, "This conflicts with data saved meanwhile; check the values and save again.")
        ]
    if hasattr(error, "error_dict"):
        return [
            (None if name in (NON_FIELD_ERRORS, "non_field_errors") else name, message)
            for name, messages_ in error.message_dict.items()
            for message in messages_
        ]
    return [(None, message) for message in error.messages]


def _form_field(form: forms.BaseForm, name: str | None) -> tuple[str | None, str]:
    """The form field a service's error key belongs to, and a prefix for the message."""
    if name is None:
        return None, ""
    if name in form.fields:
        return name, ""
    head, _, rest = name.partition(".")
    if head in form.fields:  # custom_fields.tier -> the custom_fields field
        return head, f"{rest}: " if rest else ""
    if name.endswith("_id") and name[:-3] in form.fields:  # company_id -> company
        return name[:-3], ""
    return None, f"{_label(name)}: "


def with_service_errors(form_class: type[forms.BaseForm], errors) -> type[forms.BaseForm]:
    """``form_class`` whose validation also reports ``errors`` (from a refused save)."""

    class FormWithServiceErrors(form_class):
        def _post_clean(self):
            super()._post_clean()
            for name, message in errors:
                field_name, prefix = _form_field(self, name)
                self.add_error(field_name, f"{prefix}{message}")

    FormWithServiceErrors.__name__ = form_class.__name__
    return FormWithServiceErrors


class ServiceModelForm(forms.ModelForm):
    """Field-level cleaning only. The service validates the record as a whole (and
    normalises: a phone as E.164, a domain without ``www``), so the model's own validation
    and constraint checks are not run here; the instance is left as it was loaded."""

    def _post_clean(self):
        pass


@dataclass
class InlineRow:
    """One filled-in row of an inline: the saved row it edits (None if new) and its values."""

    instance: models.Model | None
    data: dict[str, Any]
    changed: list[str] = field(default_factory=list)
    deleted: bool = False

    @property
    def is_new(self) -> bool:
        return self.instance is None


def inline_rows(formset) -> list[InlineRow]:
    """The rows of a valid inline formset, blank extra rows left out."""
    rows = []
    initial = formset.initial_form_count()
    skip = {"id", "DELETE", formset.fk.name}
    for index, form in enumerate(formset.forms):
        existing = index < initial
        if not existing and not form.has_changed():
            continue
        deleted = bool(formset.can_delete and form.cleaned_data.get("DELETE"))
        if deleted and not existing:
            continue
        data = {k: v for k, v in form.cleaned_data.items() if k not in skip}
        rows.append(
            InlineRow(
                instance=form.instance if existing else None,
                data=data,
                changed=[n for n in form.changed_data if n not in skip],
                deleted=deleted,
            )
        )
    return rows


def labelled_values(formset) -> list[dict[str, Any]]:
    """The rows of an emails/phones inline as the services take them."""
    return [
        {
            "value": row.data["value"],
            "label": row.data["label"],
            "is_primary": row.data["is_primary"],
        }
        for row in inline_rows(formset)
        if not row.deleted
    ]


def changed_values(form: forms.BaseForm, names: Iterable[str]) -> dict[str, Any]:
    """The cleaned values of the named fields that the user changed."""
    return {name: form.cleaned_data[name] for name in names if name in form.changed_data}


def adopt(target: models.Model, source: models.Model) -> None:
    """Make ``target`` (the admin's object) the record the service saved: the admin logs,
    names and redirects to it."""
    if target is not source:
        target.__dict__.clear()
        target.__dict__.update(source.__dict__)


def actor_for(request: HttpRequest) -> Actor:
    return Actor(user=request.user)


def _freeze_existing(form_class: type[forms.BaseForm], names: tuple[str, ...]):
    """Rows already saved show these foreign keys as fixed text: a membership cannot move to
    another company. It also keeps the change form at a fixed number of queries whatever the
    number of rows (an autocomplete widget looks up its selected value per row)."""

    class FrozenForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.instance._state.adding:
                return
            for name in names:
                if name not in self.fields:
                    continue
                related = getattr(self.instance, name)
                self.fields[name] = forms.Field(
                    label=self.fields[name].label,
                    required=False,
                    disabled=True,
                    widget=forms.Select(choices=[(related.pk, str(related))]),
                )

    FrozenForm.__name__ = form_class.__name__
    return FrozenForm


class ServiceInline(WorkspaceScopedMixin, admin.TabularInline):
    """An inline whose rows the parent's admin writes through services.

    Either the parent's service takes the rows whole (a contact's emails go to
    ``contact_update(data={"emails": [...]})``), or the inline implements ``save_row`` and
    each row goes to its own service (a company membership to ``company_membership_create``).
    """

    form = ServiceModelForm
    extra = 0
    frozen_fields: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        related = tuple(dict.fromkeys(self.select_related + self.frozen_fields))
        return queryset.select_related(*related) if related else queryset

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.inline_admin = self
        if self.frozen_fields:
            formset.form = _freeze_existing(formset.form, self.frozen_fields)
        return formset

    def save_row(self, request, parent, row: InlineRow, actor: Actor) -> None:
        """Write one row through its service. Inlines whose rows the parent's service takes
        whole leave this alone (and ``save_rows`` does nothing for them)."""

    def save_rows(self, request, parent, formset, actor: Actor) -> None:
        if type(self).save_row is ServiceInline.save_row:
            return
        rows = inline_rows(formset)
        for row in self.order_rows(rows):
            self.save_row(request, parent, row, actor)

    def order_rows(self, rows: list[InlineRow]) -> list[InlineRow]:
        """New rows, then changed ones, then deletions."""
        new = [r for r in rows if r.is_new]
        changed = [r for r in rows if not r.is_new and not r.deleted and r.changed]
        deleted = [r for r in rows if r.deleted]
        return new + changed + deleted


class ServiceAdmin(WorkspaceScopedMixin, admin.ModelAdmin):
    """A tenant-scoped admin whose saves and deletes call services.

    Subclasses implement ``service_create`` (returns the new record), ``service_update``
    (gets the record fresh from the database; returns it) and ``service_delete``. The inlines
    with ``save_row`` are saved after the record. The save happens in ``save_related``, once
    the form and every inline are valid; if a service refuses, the whole request is rolled
    back and the form is shown again with the service's errors on it.
    """

    form = ServiceModelForm
    # Fields that can only be set when the record is created.
    create_only_fields: tuple[str, ...] = ("workspace",)
    always_readonly: tuple[str, ...] = ()

    # -- hooks ---------------------------------------------------------------------------------
    def service_create(self, request, form, formsets, actor: Actor) -> models.Model:
        raise NotImplementedError

    def service_update(self, request, obj, form, formsets, actor: Actor) -> models.Model:
        raise NotImplementedError

    def service_delete(self, request, obj, actor: Actor) -> None:
        raise NotImplementedError

    # -- forms ---------------------------------------------------------------------------------
    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj)) + list(self.always_readonly)
        if obj is not None:
            fields += [f for f in self.create_only_fields if f not in fields]
        return tuple(dict.fromkeys(fields))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        errors = getattr(request, "_service_errors", None)
        return with_service_errors(form, errors) if errors else form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        workspace = getattr(request, "workspace", None)
        if is_tenant_model(self.model) and workspace and "workspace" not in initial:
            initial["workspace"] = workspace.pk
        return initial

    # -- saving --------------------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        """Nothing yet: ``save_related`` calls the service once the inlines are valid too."""

    def save_related(self, request, form, formsets, change):
        actor = actor_for(request)
        try:
            if change:
                current = self.model._default_manager.get(pk=form.instance.pk)
                saved = self.service_update(request, current, form, formsets, actor) or current
            else:
                saved = self.service_create(request, form, formsets, actor)
            for formset in formsets:
                # A formset the record's own service took whole is "consumed".
                inline = getattr(formset, "inline_admin", None)
                if isinstance(inline, ServiceInline) and not getattr(formset, "consumed", False):
                    inline.save_rows(request, saved, formset, actor)
        except SERVICE_ERRORS as error:
            raise ServiceRejected(error) from error
        adopt(form.instance, saved)

    def construct_change_message(self, request, form, formsets, add=False):
        if add:
            return [{"added": {}}]
        fields = [str(form.fields[n].label or n) for n in form.changed_data if n in form.fields]
        fields += [
            str(fs.model._meta.verbose_name_plural) for fs in formsets or () if fs.has_changed()
        ]
        return [{"changed": {"fields": fields}}] if fields else []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as rejected:
            # Everything the first attempt wrote was rolled back with its transaction. Show
            # the same form again, now invalid with the service's errors.
            if not rejected.in_form or getattr(request, "_service_errors", None):
                self.message_user(request, rejected.text, messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            request._service_errors = rejected.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    # -- deleting ------------------------------------------------------------------------------
    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj, actor_for(request))
        except SERVICE_ERRORS as error:
            raise ServiceRejected(error, in_form=False) from error

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRejected as rejected:
            self.message_user(request, rejected.text, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=(quote(object_id),),
                    current_app=self.admin_site.name,
                )
            )

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        # Actions (bulk delete included) run in one transaction: all or nothing.
        try:
            with transaction.atomic():
                return super().changelist_view(request, extra_context)
        except ServiceRejected as rejected:
            self.message_user(request, rejected.text, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def run_service(self, call: Callable[[], Any]) -> Any:
        """For actions: a service's refusal becomes an error message (and a rollback)."""
        try:
            return call()
        except SERVICE_ERRORS as error:
            raise ServiceRejected(error, in_form=False) from error


class ReadOnlyAdmin(WorkspaceScopedMixin, admin.ModelAdmin):
    """Records only services write (history): view, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Users --------------------------------------------------------------------------------------


class _EmailFormMixin:
    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        clash = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email


class UserCreationForm(_EmailFormMixin, AdminUserCreationForm):
    """Signs up with an email (there is no username) and a password, or none."""

    class Meta:
        model = User
        fields = ("email", "name")


class UserChangeForm(_EmailFormMixin, DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class _MembershipInline(ServiceInline):
    model = Membership
    select_related = ("user", "workspace")
    # The side that is not the parent: the workspace under a user, the user under a workspace.
    other: str = ""

    def get_autocomplete_fields(self, request):
        return (self.other,)

    def save_row(self, request, parent, row, actor):
        if row.deleted:
            membership_remove(membership=row.instance)
        elif row.is_new:
            pair = {self.other: row.data[self.other], self.fk_name: parent}
            membership_add(workspace=pair["workspace"], user=pair["user"], role=row.data["role"])
        elif "role" in row.changed:
            membership_update_role(membership=row.instance, role=row.data["role"])

    def order_rows(self, rows):
        # Promote the new owner before demoting the old one: a workspace keeps an owner.
        rows = super().order_rows(rows)
        return sorted(rows, key=lambda r: not (r.data.get("role") == Role.OWNER and r.changed))


class UserMembershipInline(_MembershipInline):
    fk_name = "user"
    other = "workspace"
    fields = ("workspace", "role")
    frozen_fields = ("workspace",)
    verbose_name = "workspace membership"
    verbose_name_plural = "workspace memberships"


class WorkspaceMembershipInline(_MembershipInline):
    fk_name = "workspace"
    other = "user"
    fields = ("user", "role")
    frozen_fields = ("user",)


@admin.register(User)
class UserAdmin(ServiceAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    create_only_fields = ()
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = (
        "email",
        "name",
        "is_staff",
        "is_superuser",
        "is_active",
        "workspace_count",
        "last_login",
        "date_joined",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    date_hierarchy = "date_joined"
    inlines = (UserMembershipInline,)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            # Staff may look after the people of their workspaces, not hand out powers.
            fields += ("is_staff", "is_superuser", "groups", "user_permissions")
        return fields

    def annotate_changelist(self, request, queryset):
        return queryset.annotate(workspace_count=related_count(User, "memberships"))

    @admin.display(description="workspaces", ordering="workspace_count")
    def workspace_count(self, obj):
        return obj.workspace_count

    def service_create(self, request, form, formsets, actor):
        # Users are not tenant records and leave no timeline: the auth forms do the work
        # (password validation, an unusable password when none is set).
        user = form.save()
        return user

    def service_update(self, request, obj, form, formsets, actor):
        form.save()
        return form.instance

    def service_delete(self, request, obj, actor):
        obj.delete()


# --- Workspaces ---------------------------------------------------------------------------------


class WorkspaceForm(ServiceModelForm):
    slug = forms.SlugField(max_length=60, required=False, help_text="Made from the name if blank")
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="Becomes the first member, as owner. You, if left blank.",
    )

    class Meta:
        model = Workspace
        fields = ("name", "slug", "default_currency", "timezone")


@admin.register(Workspace)
class WorkspaceAdmin(ServiceAdmin):
    form = WorkspaceForm
    create_only_fields = ("slug",)
    list_display = ("name", "slug", "default_currency", "timezone", "member_count", "created_at")
    search_fields = ("name", "slug")
    list_filter = ("default_currency",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = (WorkspaceMembershipInline,)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ("name", "slug", "default_currency", "timezone", "owner")}),)
        return (
            (None, {"fields": ("name", "slug", "default_currency", "timezone")}),
            ("Dates", {"fields": ("created_at", "updated_at")}),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        users = scope_for_user(User.objects.all(), request.user)

        class Form(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if "owner" in self.fields:
                    self.fields["owner"].queryset = users

        Form.__name__ = form.__name__
        return Form

    def has_delete_permission(self, request, obj=None):
        # Deleting a tenant deletes all its records: superusers only.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def annotate_changelist(self, request, queryset):
        return queryset.annotate(member_count=related_count(Workspace, "memberships"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return workspace_create(
            name=data["name"],
            owner=data.get("owner") or request.user,
            slug=data.get("slug") or None,
            default_currency=data["default_currency"],
            timezone=data["timezone"],
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, ("name", "default_currency", "timezone"))
        return workspace_update(workspace=obj, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        obj.delete()


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ("user", "workspace", "role", "created_at")
    list_select_related = ("user", "workspace")
    list_filter = ("role", ("workspace", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__email", "user__name", "workspace__name")
    autocomplete_fields = ("user",)
    create_only_fields = ("workspace", "user")
    fields = ("workspace", "user", "role", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return membership_add(workspace=data["workspace"], user=data["user"], role=data["role"])

    def service_update(self, request, obj, form, formsets, actor):
        if "role" in form.changed_data:
            return membership_update_role(membership=obj, role=form.cleaned_data["role"])
        return obj

    def service_delete(self, request, obj, actor):
        membership_remove(membership=obj)


# --- API keys -----------------------------------------------------------------------------------


class ApiKeyForm(ServiceModelForm):
    scopes = forms.MultipleChoiceField(
        choices=list(ALL_SCOPES.items()), widget=forms.CheckboxSelectMultiple
    )
    expires_in_days = forms.IntegerField(
        min_value=1, required=False, help_text="Leave blank for a key that does not expire"
    )

    class Meta:
        model = ApiKey
        fields = ("workspace", "name")


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceAdmin):
    form = ApiKeyForm
    list_display = (
        "name",
        "prefix",
        "workspace",
        "created_by",
        "is_active",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "created_at",
    )
    list_select_related = ("workspace", "created_by")
    list_filter = (("workspace", admin.RelatedOnlyFieldListFilter), "revoked_at")
    search_fields = ("name", "prefix")
    date_hierarchy = "created_at"
    actions = ("revoke",)
    shown_fields = (
        "workspace",
        "name",
        "prefix",
        "scopes",
        "created_by",
        "is_active",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "created_at",
    )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("workspace", "name", "scopes", "expires_in_days")
        return self.shown_fields

    def get_readonly_fields(self, request, obj=None):
        # A key is issued once; afterwards it can only be revoked (an action).
        return self.shown_fields if obj is not None else ()

    @admin.display(boolean=True, description="active")
    def is_active(self, obj):
        return obj.is_active

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        key, text = api_key_create(
            workspace=data["workspace"],
            name=data["name"],
            scopes=data["scopes"],
            created_by=request.user,
            expires_in_days=data.get("expires_in_days"),
        )
        self.message_user(
            request, f"The key is {text} — copy it now, it is not shown again.", messages.WARNING
        )
        return key

    def service_update(self, request, obj, form, formsets, actor):
        return obj

    def service_delete(self, request, obj, actor):
        obj.delete()

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(api_key=key)
        self.message_user(request, f"Revoked {len(queryset)} key(s).")


# --- Invitations --------------------------------------------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(ServiceAdmin):
    """Invitations are sent from Settings → Members (the link exists only in the email), so
    here they are only looked at, and revoked."""

    list_display = (
        "email",
        "workspace",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    list_select_related = ("workspace", "invited_by")
    list_filter = (("workspace", admin.RelatedOnlyFieldListFilter), "role")
    search_fields = ("email",)
    date_hierarchy = "created_at"
    actions = ("revoke",)
    fields = (
        "workspace",
        "email",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="status")
    def status(self, obj):
        return obj.get_status_display()

    def service_update(self, request, obj, form, formsets, actor):
        return obj

    @admin.action(description="Revoke the selected invitations", permissions=["change"])
    def revoke(self, request, queryset):
        # Superusers act as owners wherever they are; staff with the role they have.
        actor = Actor(user=request.user, role=Role.OWNER if request.user.is_superuser else None)
        invitations = list(queryset.select_related("workspace"))
        for invitation in invitations:
            self.run_service(lambda i=invitation: invitation_revoke(invitation=i, actor=actor))
        self.message_user(request, f"Revoked {len(invitations)} invitation(s).")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Stored replies to API POSTs (24 h). Not tied to a workspace row: superusers only."""

    list_display = ("created_at", "credential", "key", "status_code")
    search_fields = ("credential", "key")
    date_hierarchy = "created_at"
    fields = ("credential", "key", "request_hash", "status_code", "response_headers", "created_at")
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
