"""Admin of the CRM's records. Every write goes through ``crm.services`` (see accounts.admin)."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin import (
    ReadOnlyAdmin,
    ServiceAdmin,
    ServiceInline,
    ServiceModelForm,
    actor_for,
    changed_values,
    labelled_values,
    member_workspace_ids,
    related_count,
)
from accounts.services.common import ServiceError
from crm.models import (
    Activity,
    Attachment,
    BulkJob,
    Company,
    CompanyMembership,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    CustomField,
    ExportJob,
    ImportJob,
    ImportRecord,
    ImportRejectedRow,
    List,
    ListMember,
    ListObjectType,
    Merge,
    MergeJob,
    NotDuplicate,
    Note,
    Tag,
    Task,
    TimelineEvent,
)
from crm.normalize import normalize_email, normalize_phone
from crm.registry import subject_kind
from crm.services.activity import (
    activity_create,
    activity_delete,
    activity_update,
    note_archive,
    note_create,
    note_update,
    task_archive,
    task_complete,
    task_create,
    task_update,
)
from crm.services.attachments import attachment_delete
from crm.services.companies import COMPANY_FIELDS, company_create, company_delete, company_update
from crm.services.contacts import (
    CONTACT_FIELDS,
    company_membership_create,
    company_membership_delete,
    company_membership_update,
    contact_create,
    contact_delete,
    contact_update,
)
from crm.services.custom_fields import (
    custom_field_create,
    custom_field_delete,
    custom_field_update,
)
from crm.services.imports import import_cancel, import_revert
from crm.services.lists import (
    list_create,
    list_delete,
    list_members_add,
    list_members_remove,
    list_update,
)
from crm.services.merges import merge_undo, record_merge
from crm.services.tags import tag_create, tag_delete, tag_update

WORKSPACE_FILTER = ("workspace", admin.RelatedOnlyFieldListFilter)
OWNER_FILTER = ("owner", admin.RelatedOnlyFieldListFilter)
DATES = ("created_at", "updated_at")


def formset_for(formsets, model):
    return next((fs for fs in formsets if fs.model is model), None)


def tag_names(tags) -> list[str]:
    return [tag.name for tag in tags or []]


def custom_fields_patch(old: dict[str, Any], new: dict[str, Any] | None) -> dict[str, Any]:
    """The services merge ``custom_fields`` into what is stored (None removes a key); the
    admin edits the whole object, so a key taken out of it is sent as None."""
    new = new or {}
    return {**dict.fromkeys(set(old or {}) - set(new)), **new}


def admin_url(instance_or_model, pk=None) -> str | None:
    opts = instance_or_model._meta
    try:
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[pk if pk is not None else instance_or_model.pk],
        )
    except NoReverseMatch:
        return None


# --- Generic subjects ---------------------------------------------------------------------------


class SubjectColumnMixin:
    """Shows what a note, task, activity or event is about, with a link; a page of the
    change list costs one query per kind of subject, not one per row."""

    def decorate_results(self, request, results):
        by_type: dict[str, set] = {}
        for obj in results:
            if obj.subject_id:
                by_type.setdefault(obj.subject_type, set()).add(obj.subject_id)
        titles = {}
        for subject_type, ids in by_type.items():
            titles.update(self._titles(subject_type, ids))
        for obj in results:
            obj._subject_title = titles.get((obj.subject_type, obj.subject_id), "")

    @staticmethod
    def _titles(subject_type, ids) -> dict:
        try:
            kind = subject_kind(subject_type)
        except LookupError:
            return {}
        rows = kind.model._default_manager.filter(pk__in=ids).values_list("pk", kind.title_field)
        return {(subject_type, pk): title or str(pk) for pk, title in rows}

    @admin.display(description="about")
    def subject_link(self, obj):
        if not obj.subject_id:
            return "—"
        if not hasattr(obj, "_subject_title"):  # the change form: one record
            obj._subject_title = self._titles(obj.subject_type, [obj.subject_id]).get(
                (obj.subject_type, obj.subject_id), ""
            )
        title = obj._subject_title or "(deleted)"
        try:
            url = admin_url(subject_kind(obj.subject_type).model, obj.subject_id)
        except LookupError:
            url = None
        label = f"{obj.get_subject_type_display()}: {title}"
        return format_html('<a href="{}">{}</a>', url, label) if url else label


# --- Companies ----------------------------------------------------------------------------------


class CompanyPhoneInline(ServiceInline):
    """Given whole to ``company_create`` / ``company_update`` as ``phones``."""

    model = CompanyPhone
    fields = ("value", "label", "is_primary")


class MergeSelectedMixin:
    """Admin action "Merge selected": the others into the oldest one, the oldest's values
    winning where both have one (undo from Merges)."""

    merge_object_type = ""

    @admin.action(description="Merge selected into the oldest")
    def merge_selected(self, request, queryset):
        records = list(queryset.order_by("created_at"))
        if len(records) < 2:
            self.message_user(request, "Select two or more to merge.", messages.WARNING)
            return
        if (
            not all(self._may_write(request, r) for r in records)
            or len({r.workspace_id for r in records}) != 1
        ):
            self.message_user(
                request, "Merge records of one workspace you may change.", messages.ERROR
            )
            return
        primary = records[0]
        try:
            for record in records[1:]:
                primary, _ = record_merge(
                    workspace=primary.workspace,
                    actor=actor_for(request),
                    object_type=self.merge_object_type,
                    primary_id=primary.pk,
                    secondary_id=record.pk,
                )
        except (ServiceError, ValidationError) as error:
            self.message_user(request, getattr(error, "message", str(error)), messages.ERROR)
            return
        self.message_user(request, f"Merged {len(records) - 1} into “{primary}”.")


@admin.register(Company)
class CompanyAdmin(MergeSelectedMixin, ServiceAdmin):
    merge_object_type = "company"
    actions = ("merge_selected",)
    list_display = (
        "name",
        "domain",
        "industry",
        "relationship",
        "lifecycle",
        "owner",
        "contact_count",
        "deal_count",
        "workspace",
        "created_at",
    )
    list_select_related = ("owner", "workspace")
    list_filter = ("relationship", "lifecycle", WORKSPACE_FILTER, OWNER_FILTER)
    search_fields = ("name", "domain")
    autocomplete_fields = ("owner", "tags")
    date_hierarchy = "created_at"
    show_full_result_count = False
    always_readonly = ("last_activity_at", *DATES)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "workspace",
                    "name",
                    "domain",
                    "industry",
                    "relationship",
                    "lifecycle",
                    "owner",
                    "tags",
                )
            },
        ),
        ("Details", {"fields": ("size", "annual_revenue", "address", "custom_fields")}),
        ("Activity", {"fields": ("last_activity_at", *DATES)}),
    )
    inlines = (CompanyPhoneInline,)

    def annotate_changelist(self, request, queryset):
        return queryset.annotate(
            contact_count=related_count(Company, "memberships"),
            deal_count=related_count(Company, "deals"),
        )

    @admin.display(description="people", ordering="contact_count")
    def contact_count(self, obj):
        return obj.contact_count

    @admin.display(description="deals", ordering="deal_count")
    def deal_count(self, obj):
        return obj.deal_count

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        phones = formset_for(formsets, CompanyPhone)
        return company_create(
            workspace=data["workspace"],
            actor=actor,
            name=data["name"],
            domain=data["domain"],
            industry=data["industry"],
            relationship=data["relationship"],
            lifecycle=data["lifecycle"],
            owner=data["owner"],
            size=data["size"],
            annual_revenue=data["annual_revenue"],
            address=data["address"],
            phones=labelled_values(phones) if phones else None,
            tags=tag_names(data["tags"]),
            custom_fields=data["custom_fields"],
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, COMPANY_FIELDS)
        if "custom_fields" in form.changed_data:
            data["custom_fields"] = custom_fields_patch(
                obj.custom_fields, form.cleaned_data["custom_fields"]
            )
        if "tags" in form.changed_data:
            data["tags"] = tag_names(form.cleaned_data["tags"])
        phones = formset_for(formsets, CompanyPhone)
        if phones is not None and phones.has_changed():
            data["phones"] = labelled_values(phones)
        return company_update(company=obj, actor=actor, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        company_delete(company=obj, actor=actor)


# --- Contacts -----------------------------------------------------------------------------------


class ContactEmailInline(ServiceInline):
    """Given whole to ``contact_create`` / ``contact_update`` as ``emails``."""

    model = ContactEmail
    fields = ("value", "label", "is_primary")


class ContactPhoneInline(ServiceInline):
    """Given whole to ``contact_create`` / ``contact_update`` as ``phones``."""

    model = ContactPhone
    fields = ("value", "label", "is_primary")


class CompanyMembershipInline(ServiceInline):
    """Each row through ``company_membership_create/update/delete``."""

    model = CompanyMembership
    fk_name = "contact"
    fields = ("company", "role", "is_primary", "started_at", "ended_at")
    autocomplete_fields = ("company",)
    frozen_fields = ("company",)
    select_related = ("contact",)
    verbose_name = "company"
    verbose_name_plural = "companies"

    def save_row(self, request, parent, row, actor):
        values = {k: row.data.get(k) for k in ("role", "is_primary", "started_at", "ended_at")}
        if row.deleted:
            company_membership_delete(membership=row.instance, actor=actor)
        elif row.is_new:
            existing = parent.memberships.filter(company=row.data["company"]).first()
            if existing is not None:
                # Already linked, e.g. by the contact's company field just now: update that.
                company_membership_update(membership=existing, actor=actor, data=values)
            else:
                company_membership_create(
                    contact=parent, company=row.data["company"], actor=actor, **values
                )
        else:
            data = {k: v for k, v in values.items() if k in row.changed}
            company_membership_update(membership=row.instance, actor=actor, data=data)


class ContactForm(ServiceModelForm):
    engagement_score = forms.IntegerField(min_value=0, max_value=100, required=False)

    class Meta:
        model = Contact
        fields = "__all__"


@admin.register(Contact)
class ContactAdmin(MergeSelectedMixin, ServiceAdmin):
    merge_object_type = "contact"
    actions = ("merge_selected",)
    form = ContactForm
    list_display = (
        "__str__",
        "email",
        "company",
        "job_title",
        "status",
        "source",
        "owner",
        "workspace",
        "last_activity_at",
        "created_at",
    )
    list_display_links = ("__str__",)
    list_select_related = ("company", "owner", "workspace")
    list_filter = ("status", "source", WORKSPACE_FILTER, OWNER_FILTER)
    search_fields = ("first_name", "last_name", "email", "job_title")
    autocomplete_fields = ("company", "owner", "tags")
    date_hierarchy = "created_at"
    show_full_result_count = False
    always_readonly = ("full_name", "last_activity_at", *DATES)
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "workspace",
                    "first_name",
                    "last_name",
                    "email",
                    "job_title",
                    "company",
                    "status",
                    "source",
                    "owner",
                    "tags",
                )
            },
        ),
        ("Details", {"fields": ("address", "social_profiles", "custom_fields")}),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "workspace",
                    "full_name",
                    "first_name",
                    "last_name",
                    "email",
                    "job_title",
                    "company",
                    "status",
                    "source",
                    "owner",
                    "tags",
                )
            },
        ),
        (
            "Details",
            {"fields": ("address", "social_profiles", "custom_fields", "engagement_score")},
        ),
        ("Activity", {"fields": ("last_activity_at", *DATES)}),
    )
    inlines = (ContactEmailInline, ContactPhoneInline, CompanyMembershipInline)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        emails = formset_for(formsets, ContactEmail)
        phones = formset_for(formsets, ContactPhone)
        return contact_create(
            workspace=data["workspace"],
            actor=actor,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            emails=labelled_values(emails) if emails else None,
            phones=labelled_values(phones) if phones else None,
            job_title=data["job_title"],
            company=data["company"],
            status=data["status"],
            source=data["source"],
            owner=data["owner"],
            address=data["address"],
            social_profiles=data["social_profiles"],
            tags=tag_names(data["tags"]),
            custom_fields=data["custom_fields"],
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, (*CONTACT_FIELDS, "email", "company"))
        if "custom_fields" in data:
            data["custom_fields"] = custom_fields_patch(obj.custom_fields, data["custom_fields"])
        if "tags" in form.changed_data:
            data["tags"] = tag_names(form.cleaned_data["tags"])
        emails = formset_for(formsets, ContactEmail)
        if emails is not None and emails.has_changed():
            data["emails"] = labelled_values(emails)
        phones = formset_for(formsets, ContactPhone)
        if phones is not None and phones.has_changed():
            data["phones"] = labelled_values(phones)
        return contact_update(contact=obj, actor=actor, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        contact_delete(contact=obj, actor=actor)


class LabelledValueAdmin(ServiceAdmin):
    """An email or phone row on its own. The parent's service owns the list (and keeps the
    primary one in step with the record), so a change here is a change of the whole list."""

    parent_field = ""
    related_name = ""
    normalize = staticmethod(str)
    list_display = ("value", "label", "is_primary", "parent_link", "workspace", "created_at")
    list_filter = ("label", "is_primary", WORKSPACE_FILTER)
    always_readonly = DATES

    def update_parent(self, parent, actor, values) -> None:
        raise NotImplementedError

    @admin.display(description="of")
    def parent_link(self, obj):
        parent = getattr(obj, self.parent_field)
        return format_html('<a href="{}">{}</a>', admin_url(parent), parent)

    def _values(self, parent, *, replace=None, add=None) -> list[dict[str, Any]]:
        new = add or (replace[1] if replace else None)
        items = []
        for row in getattr(parent, self.related_name).all():
            if replace is not None and row.pk == replace[0]:
                if new is not None:
                    items.append(new)
                continue
            items.append(
                {
                    "value": row.value,
                    "label": row.label,
                    "is_primary": row.is_primary and not (new and new["is_primary"]),
                }
            )
        if add is not None:
            items.append(add)
        return items

    def _item(self, form, obj=None):
        data = form.cleaned_data
        return {"value": data["value"], "label": data["label"], "is_primary": data["is_primary"]}

    def _find(self, parent, value):
        with contextlib.suppress(ValidationError):
            value = self.normalize(value)
        rows = self.model._default_manager.filter(**{self.parent_field: parent})
        return rows.filter(value__iexact=value).first() or rows.first()

    def service_create(self, request, form, formsets, actor):
        parent = form.cleaned_data[self.parent_field]
        item = self._item(form)
        self.update_parent(parent, actor, self._values(parent, add=item))
        return self._find(parent, item["value"])

    def service_update(self, request, obj, form, formsets, actor):
        if not form.has_changed():
            return obj
        parent = getattr(obj, self.parent_field)
        item = self._item(form)
        self.update_parent(parent, actor, self._values(parent, replace=(obj.pk, item)))
        return self._find(parent, item["value"])

    def service_delete(self, request, obj, actor):
        parent = getattr(obj, self.parent_field)
        self.update_parent(parent, actor, self._values(parent, replace=(obj.pk, None)))


@admin.register(ContactEmail)
class ContactEmailAdmin(LabelledValueAdmin):
    parent_field = "contact"
    related_name = "emails"
    normalize = staticmethod(normalize_email)
    fields = ("contact", "value", "label", "is_primary", *DATES)
    autocomplete_fields = ("contact",)
    create_only_fields = ("contact",)
    list_select_related = ("contact", "workspace")
    search_fields = ("value", "contact__first_name", "contact__last_name")

    def update_parent(self, parent, actor, values):
        contact_update(contact=parent, actor=actor, data={"emails": values})


@admin.register(ContactPhone)
class ContactPhoneAdmin(LabelledValueAdmin):
    parent_field = "contact"
    related_name = "phones"
    normalize = staticmethod(normalize_phone)
    fields = ("contact", "value", "label", "is_primary", *DATES)
    autocomplete_fields = ("contact",)
    create_only_fields = ("contact",)
    list_select_related = ("contact", "workspace")
    search_fields = ("value", "contact__first_name", "contact__last_name")

    def update_parent(self, parent, actor, values):
        contact_update(contact=parent, actor=actor, data={"phones": values})


@admin.register(CompanyPhone)
class CompanyPhoneAdmin(LabelledValueAdmin):
    parent_field = "company"
    related_name = "phones"
    normalize = staticmethod(normalize_phone)
    fields = ("company", "value", "label", "is_primary", *DATES)
    autocomplete_fields = ("company",)
    create_only_fields = ("company",)
    list_select_related = ("company", "workspace")
    search_fields = ("value", "company__name")

    def update_parent(self, parent, actor, values):
        company_update(company=parent, actor=actor, data={"phones": values})


@admin.register(CompanyMembership)
class CompanyMembershipAdmin(ServiceAdmin):
    list_display = (
        "contact",
        "company",
        "role",
        "is_primary",
        "started_at",
        "ended_at",
        "workspace",
    )
    list_select_related = ("contact", "company", "workspace")
    list_filter = ("is_primary", WORKSPACE_FILTER)
    search_fields = ("contact__first_name", "contact__last_name", "company__name", "role")
    autocomplete_fields = ("contact", "company")
    fields = ("contact", "company", "role", "is_primary", "started_at", "ended_at", *DATES)
    create_only_fields = ("contact", "company")
    always_readonly = DATES
    values = ("role", "is_primary", "started_at", "ended_at")

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return company_membership_create(
            contact=data["contact"],
            company=data["company"],
            actor=actor,
            **{name: data[name] for name in self.values},
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, self.values)
        return company_membership_update(membership=obj, actor=actor, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        company_membership_delete(membership=obj, actor=actor)


# --- Tags, custom fields, lists -----------------------------------------------------------------


@admin.register(Tag)
class TagAdmin(ServiceAdmin):
    list_display = ("name", "swatch", "workspace", "contact_count", "company_count", "created_at")
    list_select_related = ("workspace",)
    list_filter = (WORKSPACE_FILTER,)
    search_fields = ("name",)
    fields = ("workspace", "name", "color", *DATES)
    always_readonly = DATES

    def annotate_changelist(self, request, queryset):
        return queryset.annotate(
            contact_count=related_count(Tag, "contacts"),
            company_count=related_count(Tag, "companies"),
        )

    @admin.display(description="colour")
    def swatch(self, obj):
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;background:{}"></span> {}',
            obj.color,
            obj.color,
        )

    @admin.display(description="people", ordering="contact_count")
    def contact_count(self, obj):
        return obj.contact_count

    @admin.display(description="companies", ordering="company_count")
    def company_count(self, obj):
        return obj.company_count

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return tag_create(workspace=data["workspace"], name=data["name"], color=data["color"])

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, ("name", "color"))
        return tag_update(tag=obj, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        tag_delete(tag=obj)


class CustomFieldForm(ServiceModelForm):
    position = forms.IntegerField(min_value=0, required=False, help_text="Blank: after the others")

    class Meta:
        model = CustomField
        fields = "__all__"


@admin.register(CustomField)
class CustomFieldAdmin(ServiceAdmin):
    form = CustomFieldForm
    list_display = (
        "label",
        "key",
        "object_type",
        "type",
        "required",
        "unique",
        "position",
        "workspace",
    )
    list_select_related = ("workspace",)
    list_filter = ("object_type", "type", WORKSPACE_FILTER)
    search_fields = ("key", "label")
    fields = (
        "workspace",
        "object_type",
        "key",
        "label",
        "type",
        "required",
        "unique",
        "options",
        "position",
        *DATES,
    )
    create_only_fields = ("workspace", "object_type", "key", "type")
    always_readonly = DATES
    actions = ("delete_with_values",)
    editable = ("label", "required", "unique", "options", "position")

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return custom_field_create(
            workspace=data["workspace"],
            object_type=data["object_type"],
            key=data["key"],
            label=data["label"],
            type=data["type"],
            required=data["required"],
            unique=data["unique"],
            options=data["options"],
            position=data["position"],
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, self.editable)
        if data.get("position", 0) is None:
            del data["position"]
        return custom_field_update(field=obj, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        custom_field_delete(field=obj)

    @admin.action(
        description="Delete the selected fields and their values on every record",
        permissions=["delete"],
    )
    def delete_with_values(self, request, queryset):
        count = 0
        for custom_field in queryset:
            self.run_service(lambda f=custom_field: custom_field_delete(field=f, force=True))
            count += 1
        self.message_user(request, f"Deleted {count} field(s) and their values.")


@admin.register(List)
class ListAdmin(ServiceAdmin):
    list_display = ("name", "object_type", "member_count", "workspace", "created_at")
    list_select_related = ("workspace",)
    list_filter = ("object_type", WORKSPACE_FILTER)
    search_fields = ("name",)
    fields = ("workspace", "name", "object_type", *DATES)
    create_only_fields = ("workspace", "object_type")
    always_readonly = DATES

    def annotate_changelist(self, request, queryset):
        return queryset.annotate(member_count=related_count(List, "members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return list_create(
            workspace=data["workspace"], name=data["name"], object_type=data["object_type"]
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, ("name",))
        return list_update(list_=obj, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        list_delete(list_=obj)


class ListMemberForm(ServiceModelForm):
    def clean(self):
        data = super().clean()
        if "list" in self.fields and bool(data.get("contact")) == bool(data.get("company")):
            raise ValidationError("Choose a contact or a company (one of them).")
        return data


@admin.register(ListMember)
class ListMemberAdmin(ServiceAdmin):
    form = ListMemberForm
    list_display = ("__str__", "list", "contact", "company", "workspace", "created_at")
    list_select_related = ("list", "contact", "company", "workspace")
    list_filter = (("list", admin.RelatedOnlyFieldListFilter), WORKSPACE_FILTER)
    search_fields = ("list__name", "contact__first_name", "contact__last_name", "company__name")
    autocomplete_fields = ("list", "contact", "company")
    fields = ("list", "contact", "company", "created_at")
    # Membership of a list is there or not: added, removed, never changed.
    create_only_fields = ("list", "contact", "company")
    always_readonly = ("created_at",)

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        record = data.get("contact") or data.get("company")
        list_members_add(list_=data["list"], ids=[record.pk])
        column = "contact" if data["list"].object_type == ListObjectType.CONTACT else "company"
        return ListMember.objects.get(list=data["list"], **{column: record.pk})

    def service_update(self, request, obj, form, formsets, actor):
        return obj

    def service_delete(self, request, obj, actor):
        list_members_remove(list_=obj.list, ids=[obj.contact_id or obj.company_id])


# --- Notes, tasks, activities, timeline ---------------------------------------------------------


class SubjectAdmin(SubjectColumnMixin, ServiceAdmin):
    create_only_fields = ("workspace", "subject_type", "subject_id")


@admin.register(Note)
class NoteAdmin(SubjectAdmin):
    list_display = ("__str__", "subject_link", "author", "pinned", "archived_at", "created_at")
    list_select_related = ("author", "workspace")
    list_filter = ("pinned", "subject_type", WORKSPACE_FILTER)
    search_fields = ("body",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "workspace",
        "subject_type",
        "subject_id",
        "subject_link",
        "body",
        "pinned",
        "author",
        "archived_at",
        *DATES,
    )
    always_readonly = ("subject_link", "author", "archived_at", *DATES)
    actions = ("archive",)

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return note_create(
            workspace=data["workspace"],
            actor=actor,
            subject_type=data["subject_type"],
            subject_id=data["subject_id"],
            body=data["body"],
            pinned=data["pinned"],
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, ("body", "pinned"))
        return note_update(note=obj, actor=actor, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        # There is no delete service: notes are archived (see the action). A delete here
        # is the superuser's clean-up of a note that should never have been.
        obj.delete()

    @admin.action(description="Archive the selected notes", permissions=["change"])
    def archive(self, request, queryset):
        for note in queryset:
            self.run_service(lambda n=note: note_archive(note=n, actor=actor_for(request)))
        self.message_user(request, f"Archived {len(queryset)} note(s).")


class TaskForm(ServiceModelForm):
    completed = forms.BooleanField(required=False)

    class Meta:
        model = Task
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("completed", self.instance.completed_at is not None)


@admin.register(Task)
class TaskAdmin(SubjectAdmin):
    form = TaskForm
    list_display = (
        "title",
        "subject_link",
        "priority",
        "due_at",
        "assignee",
        "completed_at",
        "workspace",
    )
    list_select_related = ("assignee", "workspace")
    list_filter = (
        "priority",
        "subject_type",
        WORKSPACE_FILTER,
        ("assignee", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "description")
    autocomplete_fields = ("assignee",)
    date_hierarchy = "due_at"
    show_full_result_count = False
    fields = (
        "workspace",
        "title",
        "description",
        "due_at",
        "priority",
        "assignee",
        "subject_type",
        "subject_id",
        "subject_link",
        "completed",
        "completed_at",
        "created_by",
        "archived_at",
        *DATES,
    )
    create_only_fields = ("workspace",)
    always_readonly = ("subject_link", "completed_at", "created_by", "archived_at", *DATES)
    actions = ("complete", "archive")
    editable = (
        "title",
        "description",
        "due_at",
        "priority",
        "assignee",
        "subject_type",
        "subject_id",
    )

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        task = task_create(
            workspace=data["workspace"],
            actor=actor,
            title=data["title"],
            description=data["description"],
            due_at=data["due_at"],
            priority=data["priority"],
            assignee=data["assignee"],
            subject_type=data["subject_type"],
            subject_id=data["subject_id"],
        )
        return task_complete(task=task, actor=actor) if data["completed"] else task

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, (*self.editable, "completed"))
        return task_update(task=obj, actor=actor, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        obj.delete()  # There is no delete service; tasks are usually archived (an action).

    @admin.action(description="Mark the selected tasks done", permissions=["change"])
    def complete(self, request, queryset):
        for task in queryset:
            self.run_service(lambda t=task: task_complete(task=t, actor=actor_for(request)))
        self.message_user(request, f"Completed {len(queryset)} task(s).")

    @admin.action(description="Archive the selected tasks", permissions=["change"])
    def archive(self, request, queryset):
        for task in queryset:
            self.run_service(lambda t=task: task_archive(task=t, actor=actor_for(request)))
        self.message_user(request, f"Archived {len(queryset)} task(s).")


@admin.register(Activity)
class ActivityAdmin(SubjectAdmin):
    list_display = (
        "__str__",
        "type",
        "subject_link",
        "direction",
        "occurred_at",
        "duration_minutes",
        "created_by",
        "workspace",
    )
    list_select_related = ("created_by", "workspace")
    list_filter = ("type", "direction", "subject_type", WORKSPACE_FILTER)
    search_fields = ("subject", "body", "outcome")
    autocomplete_fields = ("participants",)
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    fields = (
        "workspace",
        "type",
        "subject_type",
        "subject_id",
        "subject_link",
        "subject",
        "body",
        "occurred_at",
        "duration_minutes",
        "direction",
        "outcome",
        "participants",
        "created_by",
        *DATES,
    )
    always_readonly = ("subject_link", "created_by", *DATES)
    editable = (
        "type",
        "subject",
        "body",
        "occurred_at",
        "duration_minutes",
        "direction",
        "outcome",
    )

    def get_changeform_initial_data(self, request):
        return {"occurred_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return activity_create(
            workspace=data["workspace"],
            actor=actor,
            type=data["type"],
            subject_type=data["subject_type"],
            subject_id=data["subject_id"],
            subject=data["subject"],
            body=data["body"],
            occurred_at=data["occurred_at"],
            duration_minutes=data["duration_minutes"],
            direction=data["direction"],
            outcome=data["outcome"],
            participants=[c.pk for c in data["participants"]],
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, self.editable)
        if "participants" in form.changed_data:
            data["participants"] = [c.pk for c in form.cleaned_data["participants"]]
        return activity_update(activity=obj, actor=actor, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        activity_delete(activity=obj, actor=actor)


@admin.register(TimelineEvent)
class TimelineEventAdmin(SubjectColumnMixin, ReadOnlyAdmin):
    list_display = ("created_at", "subject_link", "verb", "actor_name", "summary", "workspace")
    list_select_related = ("workspace",)
    list_filter = ("verb", "subject_type", WORKSPACE_FILTER)
    search_fields = ("actor_name",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "workspace",
        "subject_type",
        "subject_id",
        "subject_link",
        "verb",
        "actor",
        "actor_api_key",
        "actor_name",
        "changes",
        "data",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="changes")
    def summary(self, obj):
        changes = obj.changes or []
        return ", ".join(str(change.get("field")) for change in changes if isinstance(change, dict))


class AttachmentAdmin(SubjectColumnMixin, ReadOnlyAdmin):
    """Uploaded through the API or the app; deleting here goes through the service."""

    list_display = ("filename", "subject_link", "content_type", "size", "created_at", "workspace")
    list_select_related = ("workspace",)
    list_filter = ("subject_type", "content_type", WORKSPACE_FILTER)
    search_fields = ("filename", "sha256")
    date_hierarchy = "created_at"
    fields = (
        "workspace",
        "subject_type",
        "subject_id",
        "filename",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "created_at",
    )
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        # ReadOnlyAdmin refuses deletes; attachments may be removed (by writers).
        return admin.ModelAdmin.has_delete_permission(self, request, obj) and self._may_write(
            request, obj
        )

    def delete_model(self, request, obj):
        attachment_delete(attachment=obj, actor=actor_for(request))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            attachment_delete(attachment=obj, actor=actor_for(request))


class BulkJobAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "operation",
        "object_type",
        "status",
        "total",
        "processed",
        "failed",
        "workspace",
    )
    list_select_related = ("workspace",)
    list_filter = ("status", "operation", "object_type", WORKSPACE_FILTER)
    date_hierarchy = "created_at"
    readonly_fields = (
        "workspace",
        "object_type",
        "operation",
        "ids",
        "query",
        "changes",
        "status",
        "total",
        "processed",
        "failed",
        "errors",
        "last_id",
        "created_by",
        "api_key",
        "started_at",
        "finished_at",
        "created_at",
    )
    fields = readonly_fields


class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "filename",
        "object_type",
        "status",
        "dry_run",
        "total_rows",
        "created",
        "updated",
        "skipped",
        "failed",
        "revert_status",
        "workspace",
    )
    list_select_related = ("workspace",)
    list_filter = ("status", "object_type", "dry_run", WORKSPACE_FILTER)
    search_fields = ("filename",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "workspace",
        "object_type",
        "filename",
        "size",
        "format",
        "encoding",
        "delimiter",
        "headers",
        "mapping",
        "on_duplicate",
        "match_on",
        "options",
        "dry_run",
        "status",
        "phase",
        "cancel_requested",
        "total_rows",
        "processed_rows",
        "created",
        "updated",
        "skipped",
        "failed",
        "companies_created",
        "message",
        "last_row",
        "created_by",
        "api_key",
        "started_at",
        "finished_at",
        "revert_status",
        "reverted_rows",
        "reverted_at",
        "created_at",
    )
    fields = readonly_fields
    actions = ("cancel_imports", "revert_imports")

    @admin.action(description="Cancel the selected imports")
    def cancel_imports(self, request, queryset):
        self._each(request, queryset, import_cancel, "cancelled")

    @admin.action(description="Revert the selected imports")
    def revert_imports(self, request, queryset):
        self._each(request, queryset, import_revert, "queued for revert")

    def _each(self, request, queryset, service, done: str) -> None:
        count = 0
        for job in queryset:
            if not self._may_write(request, job):
                continue
            try:
                service(job=job, actor=actor_for(request))
                count += 1
            except ServiceError as error:
                self.message_user(request, f"{job.filename}: {error.message}", messages.WARNING)
        if count:
            self.message_user(request, f"{count} import{'s' if count != 1 else ''} {done}.")


class ImportChildAdmin(ReadOnlyAdmin):
    """Rows of an import's log: they have no workspace of their own, only their job's."""

    list_select_related = ("job",)
    raw_id_fields = ("job",)

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(job__workspace_id__in=member_workspace_ids(request.user))


class ImportRejectedRowAdmin(ImportChildAdmin):
    list_display = ("job", "row_number", "reason")
    fields = readonly_fields = ("job", "row_number", "reason")


class ImportRecordAdmin(ImportChildAdmin):
    list_display = ("job", "object_type", "record_id", "action", "row_number")
    list_filter = ("object_type", "action")
    fields = readonly_fields = ("job", "object_type", "record_id", "action", "row_number", "before")


class MergeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "object_type", "secondary_name", "primary_id", "undone_at")
    list_filter = ("object_type", WORKSPACE_FILTER)
    search_fields = ("secondary_name",)
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "workspace",
        "object_type",
        "primary_id",
        "secondary_id",
        "secondary_name",
        "strategy",
        "fields",
        "job",
        "created_by",
        "created_at",
        "undone_at",
    )
    actions = ("undo_merges",)

    @admin.action(description="Undo the selected merges")
    def undo_merges(self, request, queryset):
        done = 0
        for merge in queryset.order_by("-created_at"):
            if not self._may_write(request, merge):
                continue
            try:
                merge_undo(merge=merge, actor=actor_for(request))
                done += 1
            except ServiceError as error:
                self.message_user(request, error.message, messages.WARNING)
        if done:
            self.message_user(request, f"{done} merge{'s' if done != 1 else ''} undone.")


class MergeJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "object_type", "status", "total", "processed", "failed")
    list_filter = ("status", "object_type", WORKSPACE_FILTER)
    fields = readonly_fields = (
        "workspace",
        "object_type",
        "dry_run",
        "status",
        "total",
        "processed",
        "failed",
        "errors",
        "undo_status",
        "created_by",
        "api_key",
        "started_at",
        "finished_at",
        "created_at",
    )


class NotDuplicateAdmin(ReadOnlyAdmin):
    list_display = ("object_type", "first_id", "second_id", "created_by", "created_at")
    list_filter = ("object_type", WORKSPACE_FILTER)
    fields = readonly_fields = ("workspace", "object_type", "first_id", "second_id", "created_by")


class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "object_type", "format", "status", "total", "processed")
    list_filter = ("status", "format", "object_type", WORKSPACE_FILTER)
    fields = readonly_fields = (
        "workspace",
        "object_type",
        "format",
        "params",
        "columns",
        "status",
        "total",
        "processed",
        "filename",
        "message",
        "created_by",
        "created_at",
        "finished_at",
    )


admin.site.register(ExportJob, ExportJobAdmin)
admin.site.register(Merge, MergeAdmin)
admin.site.register(MergeJob, MergeJobAdmin)
admin.site.register(NotDuplicate, NotDuplicateAdmin)
admin.site.register(ImportJob, ImportJobAdmin)
admin.site.register(ImportRejectedRow, ImportRejectedRowAdmin)
admin.site.register(ImportRecord, ImportRecordAdmin)
admin.site.register(Attachment, AttachmentAdmin)
admin.site.register(BulkJob, BulkJobAdmin)
