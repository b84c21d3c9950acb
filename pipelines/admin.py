"""Admin of pipelines, stages and deals; writes go through ``pipelines.services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from accounts.admin import (
    ReadOnlyAdmin,
    ServiceAdmin,
    ServiceInline,
    ServiceModelForm,
    changed_values,
    inline_rows,
    related_count,
)
from crm.admin import OWNER_FILTER, WORKSPACE_FILTER, custom_fields_patch, formset_for, tag_names
from pipelines.models import Deal, DealContact, LostReason, Pipeline, Stage, StageHistory
from pipelines.services.deals import (
    deal_contact_add,
    deal_contact_remove,
    deal_contact_update,
    deal_create,
    deal_delete,
    deal_move,
    deal_update,
)
from pipelines.services.pipelines import (
    lost_reason_create,
    lost_reason_delete,
    lost_reason_update,
    pipeline_create,
    pipeline_delete,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)

DATES = ("created_at", "updated_at")
STAGE_VALUES = ("name", "kind", "probability", "rotting_days", "color")


class PositionForm(ServiceModelForm):
    """``position`` may be left blank: at the end for a new row, unchanged for a saved one."""

    position = forms.IntegerField(min_value=0, required=False)


class StageForm(PositionForm):
    class Meta:
        model = Stage
        fields = "__all__"


class LostReasonForm(PositionForm):
    class Meta:
        model = LostReason
        fields = "__all__"


def reorder_stages(pipeline: Pipeline, wanted: dict) -> None:
    """Apply positions asked for (stage id → position) with ``stage_reorder``; stages not
    named keep their place relative to each other."""
    if not wanted:
        return
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    keyed = sorted(
        stages,
        key=lambda s: (wanted.get(s.pk, s.position), s.pk not in wanted, s.position),
    )
    if [s.pk for s in keyed] != [s.pk for s in stages]:
        stage_reorder(pipeline=pipeline, stage_ids=[s.pk for s in keyed])


# --- Pipelines ----------------------------------------------------------------------------------


class StageInline(ServiceInline):
    model = Stage
    form = StageForm
    fields = ("name", "kind", "position", "probability", "rotting_days", "color")
    ordering = ("position",)

    def save_rows(self, request, parent, formset, actor):
        wanted = {}
        for row in self.order_rows(inline_rows(formset)):
            if row.deleted:
                stage_delete(stage=row.instance, actor=actor)
            elif row.is_new:
                stage = stage_create(
                    pipeline=parent, **{k: row.data[k] for k in STAGE_VALUES}, position=None
                )
                if row.data.get("position") is not None:
                    wanted[stage.pk] = row.data["position"]
            else:
                data = {k: row.data[k] for k in STAGE_VALUES if k in row.changed}
                if data:
                    stage_update(stage=row.instance, data=data)
                if "position" in row.changed and row.data.get("position") is not None:
                    wanted[row.instance.pk] = row.data["position"]
        reorder_stages(parent, wanted)


class LostReasonInline(ServiceInline):
    model = LostReason
    form = LostReasonForm
    fields = ("name", "position")

    def save_row(self, request, parent, row, actor):
        if row.deleted:
            lost_reason_delete(lost_reason=row.instance)
        elif row.is_new:
            lost_reason_create(pipeline=parent, name=row.data["name"])
        else:
            lost_reason_update(
                lost_reason=row.instance,
                data={k: row.data[k] for k in row.changed if row.data[k] is not None},
            )


@admin.register(Pipeline)
class PipelineAdmin(ServiceAdmin):
    list_display = ("name", "is_default", "position", "stage_count", "deal_count", "workspace")
    list_select_related = ("workspace",)
    list_filter = ("is_default", WORKSPACE_FILTER)
    search_fields = ("name",)
    fields = ("workspace", "name", "is_default", "position", *DATES)
    always_readonly = DATES
    inlines = (StageInline, LostReasonInline)

    def annotate_changelist(self, request, queryset):
        return queryset.annotate(
            stage_count=related_count(Pipeline, "stages"),
            deal_count=related_count(Pipeline, "deals"),
        )

    @admin.display(description="stages", ordering="stage_count")
    def stage_count(self, obj):
        return obj.stage_count

    @admin.display(description="deals", ordering="deal_count")
    def deal_count(self, obj):
        return obj.deal_count

    def service_create(self, request, form, formsets, actor):
        # The new pipeline's stages and lost reasons are the rows given, or the defaults.
        data = form.cleaned_data
        stages = formset_for(formsets, Stage)
        reasons = formset_for(formsets, LostReason)
        stage_rows = [r for r in inline_rows(stages) if not r.deleted] if stages else []
        stage_rows.sort(key=lambda r: r.data.get("position") is None)  # given ones first
        stage_rows.sort(key=lambda r: r.data.get("position") or 0)
        reason_rows = [r for r in inline_rows(reasons) if not r.deleted] if reasons else []
        for formset in (stages, reasons):
            if formset is not None:
                formset.consumed = True
        pipeline = pipeline_create(
            workspace=data["workspace"],
            name=data["name"],
            is_default=data["is_default"],
            stages=[{k: r.data[k] for k in STAGE_VALUES} for r in stage_rows] or None,
            lost_reasons=[r.data["name"] for r in reason_rows] or None,
        )
        if "position" in form.changed_data:
            pipeline = pipeline_update(
                pipeline=pipeline, data={"position": form.cleaned_data["position"]}
            )
        return pipeline

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, ("name", "is_default", "position"))
        return pipeline_update(pipeline=obj, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        pipeline_delete(pipeline=obj)


@admin.register(Stage)
class StageAdmin(ServiceAdmin):
    form = StageForm
    list_display = (
        "name",
        "pipeline",
        "kind",
        "position",
        "probability",
        "deal_count",
        "workspace",
    )
    list_select_related = ("pipeline", "workspace")
    list_filter = ("kind", ("pipeline", admin.RelatedOnlyFieldListFilter), WORKSPACE_FILTER)
    search_fields = ("name", "pipeline__name")
    autocomplete_fields = ("pipeline",)
    ordering = ("pipeline__name", "position")
    fields = (
        "pipeline",
        "name",
        "kind",
        "position",
        "probability",
        "rotting_days",
        "color",
        *DATES,
    )
    create_only_fields = ("pipeline",)
    always_readonly = DATES

    def annotate_changelist(self, request, queryset):
        return queryset.annotate(deal_count=related_count(Stage, "deals"))

    @admin.display(description="deals", ordering="deal_count")
    def deal_count(self, obj):
        return obj.deal_count

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return stage_create(
            pipeline=data["pipeline"],
            **{k: data[k] for k in STAGE_VALUES},
            position=data.get("position"),
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, STAGE_VALUES)
        stage = stage_update(stage=obj, data=data) if data else obj
        if "position" in form.changed_data and form.cleaned_data["position"] is not None:
            reorder_stages(stage.pipeline, {stage.pk: form.cleaned_data["position"]})
            stage.refresh_from_db(fields=["position"])
        return stage

    def service_delete(self, request, obj, actor):
        stage_delete(stage=obj, actor=actor)


@admin.register(LostReason)
class LostReasonAdmin(ServiceAdmin):
    form = LostReasonForm
    list_display = ("name", "pipeline", "position", "workspace")
    list_select_related = ("pipeline", "workspace")
    list_filter = (("pipeline", admin.RelatedOnlyFieldListFilter), WORKSPACE_FILTER)
    search_fields = ("name", "pipeline__name")
    autocomplete_fields = ("pipeline",)
    fields = ("pipeline", "name", "position", *DATES)
    create_only_fields = ("pipeline",)
    always_readonly = DATES

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        reason = lost_reason_create(pipeline=data["pipeline"], name=data["name"])
        if data.get("position") is not None:
            reason = lost_reason_update(lost_reason=reason, data={"position": data["position"]})
        return reason

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, ("name", "position"))
        return lost_reason_update(lost_reason=obj, data=data) if data else obj

    def service_delete(self, request, obj, actor):
        lost_reason_delete(lost_reason=obj)


# --- Deals --------------------------------------------------------------------------------------


class DealContactInline(ServiceInline):
    """Each row through ``deal_contact_add/update/remove`` (both records' timelines)."""

    model = DealContact
    fields = ("contact", "role")
    autocomplete_fields = ("contact",)
    frozen_fields = ("contact",)
    select_related = ("deal",)
    verbose_name = "person on the deal"
    verbose_name_plural = "people on the deal"

    def save_row(self, request, parent, row, actor):
        if row.deleted:
            deal_contact_remove(link=row.instance, actor=actor)
        elif row.is_new:
            deal_contact_add(
                deal=parent, contact=row.data["contact"], actor=actor, role=row.data["role"]
            )
        elif "role" in row.changed:
            deal_contact_update(link=row.instance, actor=actor, role=row.data["role"])


class DealForm(ServiceModelForm):
    class Meta:
        model = Deal
        fields = "__all__"
        help_texts = {
            "stage": "A new stage moves the deal (to the end of that stage). Blank on a new "
            "deal: the first stage of the default pipeline.",
        }


@admin.register(Deal)
class DealAdmin(ServiceAdmin):
    form = DealForm
    list_display = (
        "title",
        "stage",
        "pipeline",
        "status",
        "amount",
        "currency",
        "owner",
        "company",
        "expected_close_date",
        "workspace",
    )
    list_select_related = ("stage", "pipeline", "owner", "company", "workspace")
    list_filter = (
        "status",
        ("pipeline", admin.RelatedOnlyFieldListFilter),
        WORKSPACE_FILTER,
        OWNER_FILTER,
    )
    search_fields = ("title",)
    autocomplete_fields = ("stage", "owner", "company", "tags")
    date_hierarchy = "expected_close_date"
    ordering = ("-created_at",)
    show_full_result_count = False
    always_readonly = (
        "pipeline",
        "status",
        "position",
        "closed_at",
        "stage_entered_at",
        "last_activity_at",
        *DATES,
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "workspace",
                    "title",
                    "stage",
                    "pipeline",
                    "status",
                    "position",
                    "lost_reason",
                    "amount",
                    "currency",
                    "probability",
                    "expected_close_date",
                    "owner",
                    "company",
                    "tags",
                )
            },
        ),
        ("Details", {"fields": ("custom_fields",)}),
        ("Dates", {"fields": ("stage_entered_at", "closed_at", "last_activity_at", *DATES)}),
    )
    inlines = (DealContactInline,)
    editable = (
        "title",
        "amount",
        "currency",
        "probability",
        "expected_close_date",
        "owner",
        "company",
        "lost_reason",
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "stage":
            kwargs["required"] = False
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        people = formset_for(formsets, DealContact)
        contacts = []
        if people is not None:
            people.consumed = True
            contacts = [
                {"id": r.data["contact"].pk, "role": r.data["role"]}
                for r in inline_rows(people)
                if not r.deleted
            ]
        return deal_create(
            workspace=data["workspace"],
            actor=actor,
            title=data["title"],
            stage=data["stage"],
            amount=data["amount"],
            # Unchanged, the form's default gives way to the workspace's currency.
            currency=data["currency"] if "currency" in form.changed_data else None,
            probability=data["probability"],
            expected_close_date=data["expected_close_date"],
            owner=data["owner"],
            company=data["company"],
            contacts=contacts,
            lost_reason=data["lost_reason"],
            tags=tag_names(data["tags"]),
            custom_fields=data["custom_fields"],
        )

    def service_update(self, request, obj, form, formsets, actor):
        data = changed_values(form, self.editable)
        if "custom_fields" in form.changed_data:
            data["custom_fields"] = custom_fields_patch(
                obj.custom_fields, form.cleaned_data["custom_fields"]
            )
        if "tags" in form.changed_data:
            data["tags"] = tag_names(form.cleaned_data["tags"])
        deal = obj
        stage = form.cleaned_data.get("stage")
        if "stage" in form.changed_data and stage is not None and stage.pk != deal.stage_id:
            deal = deal_move(
                deal=deal, actor=actor, stage=stage, lost_reason=data.pop("lost_reason", None)
            )
        return deal_update(deal=deal, actor=actor, data=data) if data else deal

    def service_delete(self, request, obj, actor):
        deal_delete(deal=obj, actor=actor)


@admin.register(DealContact)
class DealContactAdmin(ServiceAdmin):
    list_display = ("contact", "deal", "role", "workspace", "created_at")
    list_select_related = ("contact", "deal", "workspace")
    list_filter = (WORKSPACE_FILTER,)
    search_fields = ("deal__title", "contact__first_name", "contact__last_name", "role")
    autocomplete_fields = ("deal", "contact")
    fields = ("deal", "contact", "role", *DATES)
    create_only_fields = ("deal", "contact")
    always_readonly = DATES

    def service_create(self, request, form, formsets, actor):
        data = form.cleaned_data
        return deal_contact_add(
            deal=data["deal"], contact=data["contact"], actor=actor, role=data["role"]
        )

    def service_update(self, request, obj, form, formsets, actor):
        if "role" not in form.changed_data:
            return obj
        return deal_contact_update(link=obj, actor=actor, role=form.cleaned_data["role"])

    def service_delete(self, request, obj, actor):
        deal_contact_remove(link=obj, actor=actor)


@admin.register(StageHistory)
class StageHistoryAdmin(ReadOnlyAdmin):
    list_display = (
        "deal",
        "stage_name",
        "from_stage",
        "entered_at",
        "left_at",
        "actor",
        "workspace",
    )
    list_select_related = ("deal", "from_stage", "actor", "workspace")
    list_filter = (WORKSPACE_FILTER,)
    search_fields = ("deal__title", "stage_name")
    date_hierarchy = "entered_at"
    show_full_result_count = False
    fields = (
        "workspace",
        "deal",
        "stage",
        "stage_name",
        "from_stage",
        "entered_at",
        "left_at",
        "actor",
    )
    readonly_fields = fields
