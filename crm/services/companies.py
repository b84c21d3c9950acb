"""Companies: create, update, delete, with their phones, tags and custom fields."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Workspace
from accounts.selectors import workspace_member
from accounts.services.common import Actor, clean_bounded, ensure_unique, model_update
from crm.models import Company, CompanyPhone, SubjectType, Verb
from crm.normalize import normalize_domain
from crm.services.custom_fields import custom_fields_clean
from crm.services.records import clean_address, clean_phones, resolve_tags, set_tags
from crm.services.subjects import subject_delete_attachments
from crm.services.timeline import timeline_record, timeline_record_update

COMPANY_FIELDS = (
    "name",
    "domain",
    "industry",
    "relationship",
    "lifecycle",
    "owner",
    "size",
    "annual_revenue",
    "address",
)


def _clean_domain(workspace: Workspace, domain: str | None, *, exclude_id: Any = None) -> str:
    try:
        domain = normalize_domain(domain or "")
    except ValidationError as error:
        raise ValidationError({"domain": error.messages}) from None
    if domain:
        ensure_unique(
            Company.objects.for_workspace(workspace),
            field="domain",
            message=f"A company with the domain {domain} exists.",
            exclude_id=exclude_id,
            domain__iexact=domain,
        )
    return domain


def _set_phones(company: Company, phones: list[dict[str, Any]]) -> dict[str, Any] | None:
    before = [p.value for p in company.phones.all()]
    after = [p["value"] for p in phones]
    company.phones.all().delete()
    CompanyPhone.objects.bulk_create(
        CompanyPhone(workspace_id=company.workspace_id, company=company, **p) for p in phones
    )
    return None if before == after else {"field": "phones", "from": before, "to": after}


@transaction.atomic
def company_create(
    *,
    workspace: Workspace,
    actor: Actor,
    name: str,
    domain: str = "",
    industry: str = "",
    relationship: str = "prospect",
    lifecycle: str = "active",
    owner: Any = None,
    size: int | None = None,
    annual_revenue: Any = None,
    address: dict[str, Any] | None = None,
    phones: list[Any] | None = None,
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Company:
    company = Company(
        workspace=workspace,
        name=(name or "").strip(),
        domain=_clean_domain(workspace, domain),
        industry=(industry or "").strip(),
        relationship=relationship,
        lifecycle=lifecycle,
        owner=workspace_member(workspace=workspace, user=owner),
        size=size,
        annual_revenue=clean_bounded(Company, "annual_revenue", annual_revenue, minimum=0),
        address=clean_address(address),
        custom_fields=custom_fields_clean(
            workspace=workspace, object_type=SubjectType.COMPANY, values=custom_fields
        ),
    )
    cleaned_phones = clean_phones(phones)
    company.full_clean(exclude=["search_vector"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        # Lost a race with another writer of the same domain: answer as the check would.
        _clean_domain(workspace, company.domain)
        raise
    _set_phones(company, cleaned_phones)
    if tags:
        company.tags.set(resolve_tags(workspace=workspace, names=tags))
    timeline_record(
        workspace=workspace,
        subject_type=SubjectType.COMPANY,
        subject_id=company.pk,
        verb=Verb.CREATED,
        actor=actor,
        data={"name": company.name},
    )
    return company


@transaction.atomic
def company_update(*, company: Company, actor: Actor, data: dict[str, Any]) -> Company:
    """Change the fields present in ``data``; each change lands on the timeline."""
    workspace = company.workspace
    data = dict(data)
    if "domain" in data:
        data["domain"] = _clean_domain(workspace, data["domain"], exclude_id=company.pk)
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
    if "annual_revenue" in data:
        data["annual_revenue"] = clean_bounded(
            Company, "annual_revenue", data["annual_revenue"], minimum=0
        )
    if "owner" in data:
        data["owner"] = workspace_member(workspace=workspace, user=data["owner"])
    if "address" in data:
        data["address"] = clean_address(data["address"])
    if "custom_fields" in data:
        data["custom_fields"] = custom_fields_clean(
            workspace=workspace,
            object_type=SubjectType.COMPANY,
            values=data["custom_fields"],
            existing=company.custom_fields,
            record_id=company.pk,
        )
    company, changes = model_update(
        instance=company, fields=[*COMPANY_FIELDS, "custom_fields"], data=data
    )
    saved = bool(changes)
    if "phones" in data and (change := _set_phones(company, clean_phones(data["phones"]))):
        changes.append(change)
    if "tags" in data and (
        change := set_tags(
            instance=company, tags=resolve_tags(workspace=workspace, names=data["tags"])
        )
    ):
        changes.append(change)
    timeline_record_update(
        instance=company,
        subject_type=SubjectType.COMPANY,
        actor=actor,
        changes=changes,
        saved=saved,
    )
    return company


@transaction.atomic
def company_delete(*, company: Company, actor: Actor) -> None:
    """Delete a company with its notes, tasks, activities and timeline; people stay."""
    subject_delete_attachments(
        workspace=company.workspace, subject_type=SubjectType.COMPANY, subject_id=company.pk
    )
    company.delete()
