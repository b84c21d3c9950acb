"""Deals: create, update, move on the board, delete, and the people on them."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import Workspace
from accounts.models.workspaces import validate_currency
from accounts.selectors import workspace_member
from accounts.services.common import Actor, clean_bounded, model_update
from crm.models import Company, Contact, SubjectType, Verb
from crm.services.custom_fields import custom_fields_clean
from crm.services.records import resolve_tags, set_tags
from crm.services.subjects import subject_delete_attachments
from crm.services.timeline import timeline_record, timeline_record_update
from pipelines.models import Deal, DealContact, Pipeline, Stage, StageHistory, StageKind

DEAL_FIELDS = (
    "title",
    "amount",
    "currency",
    "probability",
    "expected_close_date",
    "owner",
    "company",
    "lost_reason",
    "custom_fields",
)


def _resolve_stage(workspace: Workspace, pipeline: Any, stage: Any) -> tuple[Pipeline, Stage]:
    """The (pipeline, stage) a deal goes in: the given stage, else the pipeline's (or the
    default pipeline's) first open stage."""
    if stage not in (None, ""):
        found = (
            Stage.objects.for_workspace(workspace)
            .select_related("pipeline")
            .filter(pk=getattr(stage, "pk", stage))
            .first()
        )
        if found is None:
            raise ValidationError({"stage": ["No such stage."]})
        if pipeline not in (None, "") and str(found.pipeline_id) != str(
            getattr(pipeline, "pk", pipeline)
        ):
            raise ValidationError({"stage": ["The stage is not in that pipeline."]})
        return found.pipeline, found
    if pipeline in (None, ""):
        found_pipeline = Pipeline.objects.for_workspace(workspace).filter(is_default=True).first()
        if found_pipeline is None:
            raise ValidationError({"pipeline": ["The workspace has no pipeline."]})
    else:
        found_pipeline = (
            Pipeline.objects.for_workspace(workspace)
            .filter(pk=getattr(pipeline, "pk", pipeline))
            .first()
        )
        if found_pipeline is None:
            raise ValidationError({"pipeline": ["No such pipeline."]})
    first = (
        found_pipeline.stages.order_by("position").filter(kind=StageKind.OPEN).first()
        or found_pipeline.stages.order_by("position").first()
    )
    if first is None:
        raise ValidationError({"pipeline": ["The pipeline has no stages."]})
    return found_pipeline, first


def _resolve_company(workspace: Workspace, company: Any) -> Company | None:
    if company in (None, ""):
        return None
    found = (
        Company.objects.for_workspace(workspace).filter(pk=getattr(company, "pk", company)).first()
    )
    if found is None:
        raise ValidationError({"company": ["No such company."]})
    return found


def _clean_contacts(workspace: Workspace, contacts: Any) -> list[tuple[Contact, str]]:
    if contacts in (None, ""):
        return []
    if not isinstance(contacts, list):
        raise ValidationError({"contacts": ["Must be a list of {id, role}."]})
    items = [c if isinstance(c, dict) else {"id": c} for c in contacts]
    ids = [str(item.get("id") or "") for item in items]
    try:
        found = {
            str(c.pk): c
            for c in Contact.objects.for_workspace(workspace).filter(pk__in=[i for i in ids if i])
        }
    except (ValueError, ValidationError):
        raise ValidationError({"contacts": ["Contact ids must be UUIDs."]}) from None
    result = []
    for item, contact_id in zip(items, ids, strict=True):
        if contact_id not in found:
            raise ValidationError({"contacts": [f"No such contact: {contact_id or '(none)'}."]})
        result.append((found[contact_id], str(item.get("role") or "").strip()[:100]))
    return result


def _clean_numbers(data: dict[str, Any]) -> dict[str, Any]:
    """Amount, probability and currency are guarded by check constraints only (and
    ``full_clean`` runs without them): check them here so a bad value is a 400."""
    data = dict(data)
    if "amount" in data:
        data["amount"] = clean_bounded(Deal, "amount", data["amount"], minimum=0)
    if "probability" in data:
        data["probability"] = clean_bounded(
            Deal, "probability", data["probability"], minimum=0, maximum=100
        )
    if "currency" in data:
        data["currency"] = (data["currency"] or "").upper()
        try:
            validate_currency(data["currency"])
        except ValidationError as error:
            raise ValidationError({"currency": error.messages}) from None
    return data


def _end_position(stage: Stage) -> int:
    """The position after the stage's last deal (0 for an empty stage; a last deal at 0 is
    not "no deal", hence no ``or``)."""
    last = Deal.objects.filter(stage=stage).aggregate(m=Max("position"))["m"]
    return 0 if last is None else last + 1


def _closed_at_for(kind: str, current: datetime.datetime | None) -> datetime.datetime | None:
    if kind == StageKind.OPEN:
        return None
    return current or timezone.now()


@transaction.atomic
def deal_create(
    *,
    workspace: Workspace,
    actor: Actor,
    title: str,
    pipeline: Any = None,
    stage: Any = None,
    amount: Any = None,
    currency: str | None = None,
    probability: int | None = None,
    expected_close_date: datetime.date | None = None,
    owner: Any = None,
    company: Any = None,
    contacts: list[Any] | None = None,
    lost_reason: str = "",
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Deal:
    """A deal at the end of its stage, with its first stage-history entry."""
    pipeline_obj, stage_obj = _resolve_stage(workspace, pipeline, stage)
    numbers = _clean_numbers(
        {
            "amount": amount,
            "probability": probability,
            "currency": currency or workspace.default_currency,
        }
    )
    Stage.objects.select_for_update().filter(pk=stage_obj.pk).first()
    now = timezone.now()
    position = _end_position(stage_obj)
    deal = Deal(
        workspace=workspace,
        title=(title or "").strip(),
        pipeline=pipeline_obj,
        stage=stage_obj,
        status=stage_obj.kind,
        position=position,
        amount=numbers["amount"],
        currency=numbers["currency"],
        probability=numbers["probability"],
        expected_close_date=expected_close_date,
        owner=workspace_member(workspace=workspace, user=owner),
        company=_resolve_company(workspace, company),
        lost_reason=(lost_reason or "").strip() if stage_obj.kind == StageKind.LOST else "",
        custom_fields=custom_fields_clean(
            workspace=workspace, object_type=SubjectType.DEAL, values=custom_fields
        ),
        stage_entered_at=now,
        closed_at=_closed_at_for(stage_obj.kind, None),
    )
    people = _clean_contacts(workspace, contacts)
    deal.full_clean(
        exclude=["search_vector", "pipeline", "stage"],
        validate_unique=False,
        validate_constraints=False,
    )
    deal.save()
    DealContact.objects.bulk_create(
        DealContact(workspace=workspace, deal=deal, contact=contact, role=role)
        for contact, role in people
    )
    if tags:
        deal.tags.set(resolve_tags(workspace=workspace, names=tags))
    StageHistory.objects.create(
        workspace=workspace,
        deal=deal,
        stage=stage_obj,
        stage_name=stage_obj.name,
        entered_at=now,
        actor=actor.user,
    )
    timeline_record(
        workspace=workspace,
        subject_type=SubjectType.DEAL,
        subject_id=deal.pk,
        verb=Verb.CREATED,
        actor=actor,
        data={"title": deal.title, "stage": stage_obj.name},
    )
    return deal


@transaction.atomic
def deal_update(*, deal: Deal, actor: Actor, data: dict[str, Any]) -> Deal:
    """Change the fields in ``data``; a new ``stage`` (or ``pipeline``) is a move."""
    workspace = deal.workspace
    data = _clean_numbers(data)
    if "title" in data:
        data["title"] = (data["title"] or "").strip()
    if "owner" in data:
        data["owner"] = workspace_member(workspace=workspace, user=data["owner"])
    if "company" in data:
        data["company"] = _resolve_company(workspace, data["company"])
    if "custom_fields" in data:
        data["custom_fields"] = custom_fields_clean(
            workspace=workspace,
            object_type=SubjectType.DEAL,
            values=data["custom_fields"],
            existing=deal.custom_fields,
            record_id=deal.pk,
        )
    pipeline_id = str(getattr(data.get("pipeline"), "pk", data.get("pipeline")) or "")
    # A stage, or another pipeline, is a move; the deal's own pipeline (a client echoing the
    # record back) or an empty stage leaves the deal where it is.
    if data.get("stage") not in (None, "") or pipeline_id not in ("", str(deal.pipeline_id)):
        _, target = _resolve_stage(workspace, data.get("pipeline"), data.get("stage"))
        if target.pk != deal.stage_id:
            deal = deal_move(
                deal=deal, actor=actor, stage=target, lost_reason=data.pop("lost_reason", None)
            )
    deal, changes = model_update(instance=deal, fields=DEAL_FIELDS, data=data)
    saved = bool(changes)
    if "contacts" in data:
        people = _clean_contacts(workspace, data["contacts"])
        before = sorted(str(i) for i in deal.deal_contacts.values_list("contact_id", flat=True))
        deal.deal_contacts.all().delete()
        DealContact.objects.bulk_create(
            DealContact(workspace=workspace, deal=deal, contact=contact, role=role)
            for contact, role in people
        )
        after = sorted(str(contact.pk) for contact, _ in people)
        if before != after:
            changes.append({"field": "contacts", "from": before, "to": after})
    if "tags" in data and (
        change := set_tags(
            instance=deal, tags=resolve_tags(workspace=workspace, names=data["tags"])
        )
    ):
        changes.append(change)
    timeline_record_update(
        instance=deal, subject_type=SubjectType.DEAL, actor=actor, changes=changes, saved=saved
    )
    return deal


def _enter_stage(
    deal: Deal, target: Stage, actor: Actor, now: datetime.datetime, lost_reason: str | None
) -> dict[str, Any]:
    """Point the deal at ``target`` (fields only) and write its history; the timeline data."""
    source_name = deal.stage.name
    StageHistory.objects.filter(deal=deal, left_at__isnull=True).update(left_at=now)
    StageHistory.objects.create(
        workspace_id=deal.workspace_id,
        deal=deal,
        stage=target,
        stage_name=target.name,
        from_stage_id=deal.stage_id,
        entered_at=now,
        actor=actor.user,
    )
    data = {
        "from_stage": source_name,
        "from_stage_id": deal.stage_id,
        "to_stage": target.name,
        "to_stage_id": target.pk,
    }
    if target.pipeline_id != deal.pipeline_id:
        data["to_pipeline"] = target.pipeline.name
    deal.stage = target
    deal.pipeline_id = target.pipeline_id
    deal.status = target.kind
    deal.closed_at = _closed_at_for(target.kind, deal.closed_at)
    deal.stage_entered_at = now
    if target.kind == StageKind.LOST:
        if lost_reason is not None:
            deal.lost_reason = lost_reason.strip()[:200]
        data["lost_reason"] = deal.lost_reason
    else:
        deal.lost_reason = ""
    return data


@transaction.atomic
def deal_move(
    *,
    deal: Deal,
    actor: Actor,
    stage: Stage,
    position: int | None = None,
    lost_reason: str | None = None,
) -> Deal:
    """Put a deal at ``position`` (0-based; default: the end) of ``stage``, which may be in
    another pipeline. Positions in both stages stay contiguous. A change of stage records
    stage history and a timeline event."""
    if stage.workspace_id != deal.workspace_id:
        raise ValidationError({"stage_id": ["No such stage."]})
    # Lock both stages (in a fixed order, so two moves cannot deadlock) and then the deal:
    # every writer of positions in a stage holds its stage's lock.
    list(Stage.objects.select_for_update().filter(pk__in={deal.stage_id, stage.pk}).order_by("pk"))
    deal = Deal.objects.select_for_update().select_related("stage", "workspace").get(pk=deal.pk)
    old_stage_id, old_position = deal.stage_id, deal.position
    same_stage = old_stage_id == stage.pk
    count = Deal.objects.filter(stage=stage).count() - (1 if same_stage else 0)
    position = count if position is None else max(0, min(int(position), count))
    if same_stage and position == old_position:
        return deal
    siblings = Deal.objects.filter(stage_id=old_stage_id)
    if same_stage:
        if position > old_position:
            siblings.filter(position__gt=old_position, position__lte=position).update(
                position=F("position") - 1
            )
        else:
            siblings.filter(position__gte=position, position__lt=old_position).update(
                position=F("position") + 1
            )
    else:
        siblings.filter(position__gt=old_position).update(position=F("position") - 1)
        Deal.objects.filter(stage=stage, position__gte=position).update(position=F("position") + 1)
    deal.position = position
    update_fields = ["position", "updated_at"]
    if not same_stage:
        now = timezone.now()
        data = _enter_stage(deal, stage, actor, now, lost_reason)
        update_fields += [
            "stage",
            "pipeline",
            "status",
            "closed_at",
            "stage_entered_at",
            "lost_reason",
        ]
        timeline_record(
            workspace=deal.workspace,
            subject_type=SubjectType.DEAL,
            subject_id=deal.pk,
            verb=Verb.STAGE_CHANGED,
            actor=actor,
            data=data,
        )
    deal.save(update_fields=update_fields)
    return deal


@transaction.atomic
def deals_move_all(*, source: Stage, target: Stage, actor: Actor) -> int:
    """Move every deal of ``source`` to the end of ``target`` (a stage being deleted)."""
    deals = list(
        Deal.objects.select_for_update()
        .select_related("stage")
        .filter(stage=source)
        .order_by("position")
    )
    start = _end_position(target)
    now = timezone.now()
    for offset, deal in enumerate(deals):
        data = _enter_stage(deal, target, actor, now, None)
        deal.position = start + offset
        deal.save(
            update_fields=[
                "stage",
                "pipeline",
                "status",
                "closed_at",
                "stage_entered_at",
                "lost_reason",
                "position",
                "updated_at",
            ]
        )
        timeline_record(
            workspace=deal.workspace,
            subject_type=SubjectType.DEAL,
            subject_id=deal.pk,
            verb=Verb.STAGE_CHANGED,
            actor=actor,
            data=data,
        )
    return len(deals)


@transaction.atomic
def deal_delete(*, deal: Deal, actor: Actor) -> None:
    Stage.objects.select_for_update().filter(pk=deal.stage_id).first()
    subject_delete_attachments(
        workspace=deal.workspace, subject_type=SubjectType.DEAL, subject_id=deal.pk
    )
    Deal.objects.filter(stage_id=deal.stage_id, position__gt=deal.position).update(
        position=F("position") - 1
    )
    deal.delete()


# --- People on a deal ---------------------------------------------------------------------------


@transaction.atomic
def deal_contact_add(*, deal: Deal, contact: Contact, actor: Actor, role: str = "") -> DealContact:
    if contact.workspace_id != deal.workspace_id:
        raise ValidationError({"contact_id": ["No such contact."]})
    if DealContact.objects.filter(deal=deal, contact=contact).exists():
        raise ValidationError({"contact_id": ["This person is already on the deal."]})
    link = DealContact.objects.create(
        workspace_id=deal.workspace_id, deal=deal, contact=contact, role=(role or "").strip()[:100]
    )
    for subject_type, subject_id, data in (
        (SubjectType.DEAL, deal.pk, {"name": contact.display_name, "role": link.role}),
        (SubjectType.CONTACT, contact.pk, {"deal": deal.title, "role": link.role}),
    ):
        timeline_record(
            workspace=deal.workspace,
            subject_type=subject_type,
            subject_id=subject_id,
            verb=Verb.CONTACT_LINKED,
            actor=actor,
            data=data,
        )
    return link


@transaction.atomic
def deal_contact_update(*, link: DealContact, actor: Actor, role: str) -> DealContact:
    link, changes = model_update(instance=link, fields=["role"], data={"role": role.strip()})
    if changes:
        timeline_record(
            workspace=link.deal.workspace,
            subject_type=SubjectType.DEAL,
            subject_id=link.deal_id,
            verb=Verb.UPDATED,
            actor=actor,
            changes=[{**changes[0], "field": f"contacts.{link.contact_id}.role"}],
        )
    return link


@transaction.atomic
def deal_contact_remove(*, link: DealContact, actor: Actor) -> None:
    deal, contact = link.deal, link.contact
    link.delete()
    timeline_record(
        workspace=deal.workspace,
        subject_type=SubjectType.DEAL,
        subject_id=deal.pk,
        verb=Verb.CONTACT_UNLINKED,
        actor=actor,
        data={"name": contact.display_name},
    )
