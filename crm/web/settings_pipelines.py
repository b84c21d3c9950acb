"""Settings → Pipelines & stages: add (with the usual stages or none), rename, make default and
delete pipelines (moving their deals); add, change, reorder and delete stages; add, rename and
delete each pipeline's lost reasons. Owners and admins only; every write goes through
``pipelines.services.pipelines``; every delete asks first."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services.common import Actor, ServiceError, ValidationError
from crm.web.settings import add_service_errors, is_fetch, settings_admin_required
from pipelines.models import LostReason, Pipeline, Stage, StageKind
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


class PipelineForm(forms.Form):
    name = forms.CharField(
        label="Pipeline name",
        max_length=120,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
    )


class NewPipelineForm(PipelineForm):
    start_with = forms.ChoiceField(
        label="Start with",
        choices=[
            ("usual", "The usual stages (Lead in → Won, Lost)"),
            ("empty", "No stages, to add my own"),
        ],
        initial="usual",
        required=False,  # not given: the usual stages
        widget=forms.Select(attrs={"class": "input"}),
    )


class LostReasonForm(forms.Form):
    name = forms.CharField(
        label="Reason",
        max_length=LostReason._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
    )


class StageForm(forms.Form):
    name = forms.CharField(
        max_length=120, widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"})
    )
    kind = forms.ChoiceField(
        choices=StageKind.choices,
        initial=StageKind.OPEN,
        widget=forms.Select(attrs={"class": "input"}),
    )
    probability = forms.IntegerField(
        label="Probability",
        min_value=0,
        max_value=100,
        initial=0,
        widget=forms.NumberInput(attrs={"class": "input", "inputmode": "numeric"}),
    )
    color = forms.RegexField(
        label="Colour",
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#3b82f6",
        error_messages={"invalid": "Use a hex colour such as #3b82f6."},
        widget=forms.TextInput(attrs={"type": "color", "class": "input input--color"}),
    )
    rotting_days = forms.IntegerField(
        label="Rots after",
        required=False,
        min_value=1,
        widget=forms.NumberInput(
            attrs={"class": "input", "inputmode": "numeric", "placeholder": "days"}
        ),
    )


def _stage_form(stage: Stage, data=None) -> StageForm:
    return StageForm(
        data,
        prefix=f"stage-{stage.pk}",
        initial={
            "name": stage.name,
            "kind": stage.kind,
            "probability": stage.probability,
            "color": stage.color,
            "rotting_days": stage.rotting_days,
        },
    )


def _pipelines_page(
    request: HttpRequest,
    *,
    status: int = 200,
    bound: dict | None = None,
) -> HttpResponse:
    """The page, with any bound (invalid) forms put in place of the fresh ones.

    ``bound`` maps ``"new_pipeline"``, ``("rename", pipeline_id)``, ``("add", pipeline_id)``,
    ``("stage", stage_id)``, ``("add_reason", pipeline_id)`` and ``("reason", reason_id)`` to
    forms that carry the typed values and their errors.
    """
    bound = bound or {}
    stages = Stage.objects.order_by("position").annotate(deal_count=Count("deals"))
    pipelines = list(
        Pipeline.objects.for_workspace(request.workspace).prefetch_related(
            Prefetch("stages", queryset=stages),
            Prefetch("lost_reasons", queryset=LostReason.objects.order_by("position", "name")),
        )
    )
    rows = []
    for pipeline in pipelines:
        stage_rows = [
            {
                "stage": stage,
                "form": bound.get(("stage", stage.pk)) or _stage_form(stage),
                "first": index == 0,
                "last": index == len(pipeline.stages.all()) - 1,
            }
            for index, stage in enumerate(pipeline.stages.all())
        ]
        rows.append(
            {
                "pipeline": pipeline,
                "stages": stage_rows,
                "rename_form": bound.get(("rename", pipeline.pk))
                or PipelineForm(prefix=f"pipeline-{pipeline.pk}", initial={"name": pipeline.name}),
                "add_form": bound.get(("add", pipeline.pk))
                or StageForm(prefix=f"add-{pipeline.pk}"),
                "reasons": [
                    {
                        "reason": reason,
                        "form": bound.get(("reason", reason.pk)) or _reason_form(reason),
                    }
                    for reason in pipeline.lost_reasons.all()
                ],
                "add_reason_form": bound.get(("add_reason", pipeline.pk))
                or LostReasonForm(prefix=f"reason-add-{pipeline.pk}"),
            }
        )
    return render(
        request,
        "settings/pipelines.html",
        {
            "rows": rows,
            "new_pipeline_form": bound.get("new_pipeline") or NewPipelineForm(prefix="new"),
            "settings_tab": "pipelines",
        },
        status=status,
    )


def _workspace_pipeline(request: HttpRequest, pipeline_id) -> Pipeline:
    pipeline = Pipeline.objects.for_workspace(request.workspace).filter(pk=pipeline_id).first()
    if pipeline is None:
        raise Http404("No such pipeline.")
    return pipeline


def _reason_form(reason: LostReason, data=None) -> LostReasonForm:
    return LostReasonForm(data, prefix=f"reason-{reason.pk}", initial={"name": reason.name})


def _pipeline_reason(request: HttpRequest, pipeline: Pipeline, reason_id) -> LostReason:
    """The lost reason ``reason_id`` (from the form or the query) of ``pipeline``, or 404."""
    try:
        reason = LostReason.objects.filter(pipeline=pipeline, pk=reason_id or None).first()
    except ValidationError:
        reason = None
    if reason is None:
        raise Http404("No such lost reason.")
    return reason


def _workspace_stage(request: HttpRequest, stage_id) -> Stage:
    stage = (
        Stage.objects.for_workspace(request.workspace)
        .select_related("pipeline", "pipeline__workspace")
        .filter(pk=stage_id)
        .first()
    )
    if stage is None:
        raise Http404("No such stage.")
    return stage


@settings_admin_required
@require_http_methods(["GET", "POST"])
def pipelines(request: HttpRequest) -> HttpResponse:
    """The pipelines with their stages (GET); add a pipeline (POST)."""
    if request.method == "GET":
        return _pipelines_page(request)
    form = NewPipelineForm(request.POST, prefix="new")
    if form.is_valid():
        empty = form.cleaned_data["start_with"] == "empty"
        try:
            pipeline = pipeline_create(
                workspace=request.workspace,
                name=form.cleaned_data["name"],
                stages=[] if empty else None,
            )
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            if empty:
                done = f"Pipeline “{pipeline.name}” added. Add its stages, left to right."
            else:
                done = f"Pipeline “{pipeline.name}” added with the usual stages."
            messages.success(request, done)
            return redirect(f"{_url()}#pipeline-{pipeline.pk}")
    return _pipelines_page(request, status=422, bound={"new_pipeline": form})


def _url() -> str:
    return reverse("settings:pipelines")


@settings_admin_required
@require_POST
def pipeline_rename(request: HttpRequest, pipeline_id) -> HttpResponse:
    pipeline = _workspace_pipeline(request, pipeline_id)
    form = PipelineForm(request.POST, prefix=f"pipeline-{pipeline.pk}")
    if form.is_valid():
        try:
            pipeline_update(pipeline=pipeline, data={"name": form.cleaned_data["name"]})
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Pipeline renamed to “{pipeline.name}”.")
            return redirect(f"{_url()}#pipeline-{pipeline.pk}")
    return _pipelines_page(request, status=422, bound={("rename", pipeline.pk): form})


@settings_admin_required
@require_POST
def stage_add(request: HttpRequest, pipeline_id) -> HttpResponse:
    pipeline = _workspace_pipeline(request, pipeline_id)
    form = StageForm(request.POST, prefix=f"add-{pipeline.pk}")
    if form.is_valid():
        try:
            stage = stage_create(pipeline=pipeline, **form.cleaned_data)
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Stage “{stage.name}” added to {pipeline.name}.")
            return redirect(f"{_url()}#pipeline-{pipeline.pk}")
    return _pipelines_page(request, status=422, bound={("add", pipeline.pk): form})


@settings_admin_required
@require_POST
def stage_edit(request: HttpRequest, stage_id) -> HttpResponse:
    stage = _workspace_stage(request, stage_id)
    form = _stage_form(stage, request.POST)
    if form.is_valid():
        try:
            stage_update(stage=stage, data=form.cleaned_data)
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Stage “{stage.name}” saved.")
            return redirect(f"{_url()}#stage-{stage.pk}")
    return _pipelines_page(request, status=422, bound={("stage", stage.pk): form})


@settings_admin_required
@require_POST
def stages_reorder(request: HttpRequest, pipeline_id) -> HttpResponse:
    """Save a new order (the drag-and-drop script posts every stage id, in order)."""
    pipeline = _workspace_pipeline(request, pipeline_id)
    try:
        stage_reorder(pipeline=pipeline, stage_ids=request.POST.getlist("stage_ids"))
    except ValidationError as error:
        if is_fetch(request):
            return HttpResponse(" ".join(error.messages), status=422)
        messages.error(request, " ".join(error.messages))
        return redirect(f"{_url()}#pipeline-{pipeline.pk}")
    if is_fetch(request):
        return HttpResponse(status=204)
    messages.success(request, f"Stage order of {pipeline.name} saved.")
    return redirect(f"{_url()}#pipeline-{pipeline.pk}")


@settings_admin_required
@require_POST
def stage_move(request: HttpRequest, stage_id) -> HttpResponse:
    """Move a stage one place up or down: the keyboard and no-script way to reorder."""
    stage = _workspace_stage(request, stage_id)
    ids = list(
        Stage.objects.filter(pipeline_id=stage.pipeline_id)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    index = ids.index(stage.pk)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        stage_reorder(pipeline=stage.pipeline, stage_ids=ids)
        messages.success(request, f"Moved “{stage.name}” {'up' if other < index else 'down'}.")
    return redirect(f"{_url()}#stage-{stage.pk}")


class StageDeleteForm(forms.Form):
    move_deals_to = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        required=False,
        label="Move its deals to",
        empty_label="Choose a stage…",
        widget=forms.Select(attrs={"class": "input"}),
    )

    def __init__(self, *args, stage: Stage, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stage = stage
        field = self.fields["move_deals_to"]
        field.queryset = (
            Stage.objects.for_workspace(stage.workspace_id)
            .filter(pipeline_id=stage.pipeline_id)
            .exclude(pk=stage.pk)
            .order_by("position")
        )


@settings_admin_required
@require_http_methods(["GET", "POST"])
def stage_remove(request: HttpRequest, stage_id) -> HttpResponse:
    """Ask first, naming how many deals the stage holds and where they should go."""
    stage = _workspace_stage(request, stage_id)
    deal_count = stage.deals.count()
    status = 200
    if request.method == "POST":
        form = StageDeleteForm(request.POST, stage=stage)
        if form.is_valid():
            target = form.cleaned_data["move_deals_to"]
            if deal_count and target is None:
                form.add_error("move_deals_to", "Choose where this stage's deals go.")
            else:
                try:
                    stage_delete(
                        stage=stage,
                        actor=Actor.for_membership(request.membership),
                        move_deals_to=target if deal_count else None,
                    )
                except (ValidationError, ServiceError) as error:
                    add_service_errors(form, error)
                else:
                    moved = ""
                    if deal_count:
                        plural = "s" if deal_count != 1 else ""
                        moved = f" Its {deal_count} deal{plural} moved to {target.name}."
                    messages.success(request, f"Stage “{stage.name}” deleted.{moved}")
                    return redirect(f"{_url()}#pipeline-{stage.pipeline_id}")
        status = 422
    else:
        form = StageDeleteForm(stage=stage)
    return render(
        request,
        "settings/stage_delete.html",
        {"stage": stage, "form": form, "deal_count": deal_count, "settings_tab": "pipelines"},
        status=status,
    )


@settings_admin_required
@require_POST
def pipeline_make_default(request: HttpRequest, pipeline_id) -> HttpResponse:
    """Make the pipeline the one the board and the dashboard open with."""
    pipeline = _workspace_pipeline(request, pipeline_id)
    pipeline_update(pipeline=pipeline, data={"is_default": True})
    messages.success(request, f"“{pipeline.name}” is now the default pipeline.")
    return redirect(f"{_url()}#pipeline-{pipeline.pk}")


class PipelineDeleteForm(forms.Form):
    """Where the deals of a pipeline being deleted go: a stage of another pipeline."""

    move_deals_to = forms.ChoiceField(
        label="Move its deals to",
        required=False,
        widget=forms.Select(attrs={"class": "input"}),
    )

    def __init__(self, *args, pipeline: Pipeline, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stages = {
            str(stage.pk): stage
            for stage in Stage.objects.for_workspace(pipeline.workspace_id)
            .exclude(pipeline=pipeline)
            .select_related("pipeline")
            .order_by("pipeline__position", "pipeline__name", "position")
        }
        groups: dict[str, list[tuple[str, str]]] = {}
        for pk, stage in self.stages.items():
            groups.setdefault(stage.pipeline.name, []).append((pk, stage.name))
        self.fields["move_deals_to"].choices = [("", "Choose a pipeline and stage…")] + [
            (name, choices) for name, choices in groups.items()
        ]

    def clean_move_deals_to(self) -> Stage | None:
        value = self.cleaned_data["move_deals_to"]
        return self.stages.get(value) if value else None


@settings_admin_required
@require_http_methods(["GET", "POST"])
def pipeline_remove(request: HttpRequest, pipeline_id) -> HttpResponse:
    """Ask first. A pipeline with deals needs a stage of another pipeline to move them to;
    the default pipeline cannot go (another must become the default first)."""
    pipeline = _workspace_pipeline(request, pipeline_id)
    deal_count = pipeline.deals.count()
    status = 200
    data = request.POST if request.method == "POST" else None
    form = PipelineDeleteForm(data, pipeline=pipeline)
    if request.method == "POST":
        if form.is_valid():
            target = form.cleaned_data["move_deals_to"]
            if deal_count and target is None:
                form.add_error("move_deals_to", "Choose where the deals of this pipeline go.")
            else:
                try:
                    moved = pipeline_delete(
                        pipeline=pipeline,
                        actor=Actor.for_membership(request.membership),
                        move_deals_to=target if deal_count else None,
                    )
                except (ValidationError, ServiceError) as error:
                    add_service_errors(form, error)
                else:
                    done = f"Pipeline “{pipeline.name}” deleted."
                    if moved:
                        plural = "s" if moved != 1 else ""
                        done += f" Its {moved} deal{plural} moved to {target.pipeline.name}."
                    messages.success(request, done)
                    return redirect(_url())
        status = 422
    return render(
        request,
        "settings/pipeline_delete.html",
        {
            "pipeline": pipeline,
            "form": form,
            "deal_count": deal_count,
            "has_targets": bool(form.stages),
            "settings_tab": "pipelines",
        },
        status=status,
    )


@settings_admin_required
@require_POST
def lost_reason_add(request: HttpRequest, pipeline_id) -> HttpResponse:
    pipeline = _workspace_pipeline(request, pipeline_id)
    form = LostReasonForm(request.POST, prefix=f"reason-add-{pipeline.pk}")
    if form.is_valid():
        try:
            reason = lost_reason_create(pipeline=pipeline, name=form.cleaned_data["name"])
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Lost reason “{reason.name}” added to {pipeline.name}.")
            return redirect(f"{_url()}#lost-reasons-{pipeline.pk}")
    return _pipelines_page(request, status=422, bound={("add_reason", pipeline.pk): form})


@settings_admin_required
@require_POST
def lost_reason_rename(request: HttpRequest, pipeline_id) -> HttpResponse:
    """Rename the reason named by the form's ``reason`` field. Deals already lost keep the
    text they were given."""
    pipeline = _workspace_pipeline(request, pipeline_id)
    reason = _pipeline_reason(request, pipeline, request.POST.get("reason"))
    form = _reason_form(reason, request.POST)
    if form.is_valid():
        try:
            lost_reason_update(lost_reason=reason, data={"name": form.cleaned_data["name"]})
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Lost reason renamed to “{reason.name}”.")
            return redirect(f"{_url()}#lost-reasons-{pipeline.pk}")
    return _pipelines_page(request, status=422, bound={("reason", reason.pk): form})


@settings_admin_required
@require_http_methods(["GET", "POST"])
def lost_reason_remove(request: HttpRequest, pipeline_id) -> HttpResponse:
    """Ask first (GET ``?reason=``), then delete (POST ``reason``)."""
    pipeline = _workspace_pipeline(request, pipeline_id)
    source = request.POST if request.method == "POST" else request.GET
    reason = _pipeline_reason(request, pipeline, source.get("reason"))
    if request.method == "POST":
        lost_reason_delete(lost_reason=reason)
        messages.success(request, f"Lost reason “{reason.name}” deleted.")
        return redirect(f"{_url()}#lost-reasons-{pipeline.pk}")
    return render(
        request,
        "settings/lost_reason_delete.html",
        {"pipeline": pipeline, "reason": reason, "settings_tab": "pipelines"},
    )
