"""Contacts (people): their emails, phones, tags, custom fields and company links."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Workspace
from accounts.selectors import workspace_member
from accounts.services.common import Actor, clean_bounded, ensure_unique, model_update
from crm.models import (
    Company,
    CompanyMembership,
    Contact,
    ContactEmail,
    ContactPhone,
    SubjectType,
    Verb,
)
from crm.normalize import normalize_email
from crm.services.custom_fields import custom_fields_clean
from crm.services.records import (
    clean_address,
    clean_labelled_values,
    clean_phones,
    clean_social_profiles,
    resolve_tags,
    set_tags,
)
from crm.services.subjects import subject_delete_attachments
from crm.services.timeline import timeline_record, timeline_record_update

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "status",
    "source",
    "owner",
    "address",
    "social_profiles",
    "custom_fields",
    "engagement_score",
)


def _check_email_free(workspace: Workspace, email: str, *, exclude_id: Any = None) -> None:
    if email:
        ensure_unique(
            Contact.objects.for_workspace(workspace),
            field="email",
            message=f"A contact with the email {email} exists.",
            exclude_id=exclude_id,
            email__iexact=email,
        )


def _clean_emails(email: str | None, emails: list[Any] | None) -> list[dict[str, Any]]:
    """Merge the ``email`` shorthand into ``emails``; the shorthand becomes the primary."""
    items = list(emails or [])
    if email:
        try:
            primary = normalize_email(email)
        except ValidationError as error:
            raise ValidationError({"email": error.messages}) from None
        items = [
            {**(i if isinstance(i, dict) else {"value": i}), "is_primary": False}
            for i in items
            if str(i.get("value") if isinstance(i, dict) else i).lower() != primary.lower()
        ]
        items.insert(0, {"value": primary, "label": "work", "is_primary": True})
    return clean_labelled_values(items, field="emails", normalize=normalize_email)


def _primary(values: list[dict[str, Any]]) -> str:
    return next((v["value"] for v in values if v["is_primary"]), "")


def _replace_emails(contact: Contact, emails: list[dict[str, Any]]) -> list[str]:
    before = [e.value for e in contact.emails.all()]
    contact.emails.all().delete()
    ContactEmail.objects.bulk_create(
        ContactEmail(workspace_id=contact.workspace_id, contact=contact, **e) for e in emails
    )
    return before


def _replace_phones(contact: Contact, phones: list[dict[str, Any]]) -> list[str]:
    before = [p.value for p in contact.phones.all()]
    contact.phones.all().delete()
    ContactPhone.objects.bulk_create(
        ContactPhone(workspace_id=contact.workspace_id, contact=contact, **p) for p in phones
    )
    return before


def _resolve_company(workspace: Workspace, company: Any) -> Company | None:
    if company in (None, ""):
        return None
    company_id = getattr(company, "pk", company)
    found = Company.objects.for_workspace(workspace).filter(pk=company_id).first()
    if found is None:
        raise ValidationError({"company_id": ["No such company."]})
    return found


def _save_new(contact: Contact) -> None:
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        _check_email_free(contact.workspace, contact.email)
        raise


@transaction.atomic
def contact_create(
    *,
    workspace: Workspace,
    actor: Actor,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    emails: list[Any] | None = None,
    phones: list[Any] | None = None,
    job_title: str = "",
    company: Any = None,
    status: str = "lead",
    source: str = "manual",
    owner: Any = None,
    address: dict[str, Any] | None = None,
    social_profiles: list[Any] | None = None,
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Contact:
    """A new contact. Needs a first or last name, or an email; the primary email is unique
    in the workspace (ConflictError names the contact that has it)."""
    cleaned_emails = _clean_emails(email, emails)
    primary_email = _primary(cleaned_emails)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not (first_name or last_name or primary_email):
        raise ValidationError({"non_field_errors": ["Give a first or last name, or an email."]})
    _check_email_free(workspace, primary_email)
    contact = Contact(
        workspace=workspace,
        first_name=first_name,
        last_name=last_name,
        email=primary_email,
        job_title=(job_title or "").strip(),
        status=status,
        source=source,
        owner=workspace_member(workspace=workspace, user=owner),
        address=clean_address(address),
        social_profiles=clean_social_profiles(social_profiles),
        custom_fields=custom_fields_clean(
            workspace=workspace, object_type=SubjectType.CONTACT, values=custom_fields
        ),
    )
    cleaned_phones = clean_phones(phones)
    primary_company = _resolve_company(workspace, company)
    contact.full_clean(
        exclude=["search_vector", "full_name", "company"],
        validate_unique=False,
        validate_constraints=False,
    )
    _save_new(contact)
    _replace_emails(contact, cleaned_emails)
    _replace_phones(contact, cleaned_phones)
    if tags:
        contact.tags.set(resolve_tags(workspace=workspace, names=tags))
    timeline_record(
        workspace=workspace,
        subject_type=SubjectType.CONTACT,
        subject_id=contact.pk,
        verb=Verb.CREATED,
        actor=actor,
        data={"name": contact.display_name},
    )
    if primary_company is not None:
        company_membership_create(
            contact=contact, company=primary_company, actor=actor, is_primary=True
        )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor: Actor, data: dict[str, Any]) -> Contact:
    """Change the fields present in ``data`` (as in the API); each change lands on the
    timeline as ``{"field","from","to"}``."""
    workspace = contact.workspace
    data = dict(data)
    for name in ("first_name", "last_name", "job_title"):
        if name in data:
            data[name] = (data[name] or "").strip()
    if "owner" in data:
        data["owner"] = workspace_member(workspace=workspace, user=data["owner"])
    if "engagement_score" in data:
        data["engagement_score"] = clean_bounded(
            Contact, "engagement_score", data["engagement_score"], minimum=0, maximum=100
        )
    if "address" in data:
        data["address"] = clean_address(data["address"])
    if "social_profiles" in data:
        data["social_profiles"] = clean_social_profiles(data["social_profiles"])
    if "custom_fields" in data:
        data["custom_fields"] = custom_fields_clean(
            workspace=workspace,
            object_type=SubjectType.CONTACT,
            values=data["custom_fields"],
            existing=contact.custom_fields,
            record_id=contact.pk,
        )
    new_emails = None
    if "email" in data or "emails" in data:
        current = [
            {"value": e.value, "label": e.label, "is_primary": e.is_primary}
            for e in contact.emails.all()
        ]
        if "email" in data and not data["email"] and "emails" not in data:
            # Clearing the primary address removes it (the next one, if any, takes its place)
            # rather than being read as "no change".
            current = [e for e in current if not e["is_primary"]]
        new_emails = _clean_emails(data.get("email"), data.get("emails", current))
        data["email"] = _primary(new_emails)
        _check_email_free(workspace, data["email"], exclude_id=contact.pk)
    first = data.get("first_name", contact.first_name)
    last = data.get("last_name", contact.last_name)
    if not (first or last or data.get("email", contact.email)):
        raise ValidationError({"non_field_errors": ["Give a first or last name, or an email."]})

    contact, changes = model_update(instance=contact, fields=[*CONTACT_FIELDS, "email"], data=data)
    saved = bool(changes)
    if new_emails is not None:
        before = _replace_emails(contact, new_emails)
        after = [e["value"] for e in new_emails]
        if before != after:
            changes.append({"field": "emails", "from": before, "to": after})
    if "phones" in data:
        phones = clean_phones(data["phones"])
        before = _replace_phones(contact, phones)
        if before != [p["value"] for p in phones]:
            changes.append({"field": "phones", "from": before, "to": [p["value"] for p in phones]})
    if "tags" in data and (
        change := set_tags(
            instance=contact, tags=resolve_tags(workspace=workspace, names=data["tags"])
        )
    ):
        changes.append(change)
    if "company" in data:
        change = _set_primary_company(contact, _resolve_company(workspace, data["company"]), actor)
        if change:
            changes.append(change)
            saved = True
    timeline_record_update(
        instance=contact,
        subject_type=SubjectType.CONTACT,
        actor=actor,
        changes=changes,
        saved=saved,
    )
    return contact


def _set_primary_company(
    contact: Contact, company: Company | None, actor: Actor
) -> dict[str, Any] | None:
    if contact.company_id == (company.pk if company else None):
        return None
    before = contact.company_id
    if company is None:
        contact.memberships.filter(is_primary=True).update(is_primary=False)
        contact.company = None
        contact.save(update_fields=["company", "updated_at"])
    else:
        membership = contact.memberships.filter(company=company).first()
        if membership is None:
            company_membership_create(
                contact=contact, company=company, actor=actor, is_primary=True
            )
        else:
            company_membership_update(membership=membership, actor=actor, data={"is_primary": True})
        contact.refresh_from_db(fields=["company"])
    return {"field": "company", "from": before, "to": company.pk if company else None}


@transaction.atomic
def contact_delete(*, contact: Contact, actor: Actor) -> None:
    """Delete a contact with its notes, tasks, activities, timeline and links."""
    subject_delete_attachments(
        workspace=contact.workspace, subject_type=SubjectType.CONTACT, subject_id=contact.pk
    )
    contact.delete()


# --- Company memberships ----------------------------------------------------------------------


def _sync_primary(contact: Contact, membership: CompanyMembership) -> None:
    """Exactly one primary link, mirrored in ``contact.company``."""
    if membership.is_primary:
        contact.memberships.exclude(pk=membership.pk).filter(is_primary=True).update(
            is_primary=False
        )
        if contact.company_id != membership.company_id:
            contact.company_id = membership.company_id
            contact.save(update_fields=["company", "updated_at"])
    elif contact.company_id == membership.company_id:
        contact.company = None
        contact.save(update_fields=["company", "updated_at"])


@transaction.atomic
def company_membership_create(
    *,
    contact: Contact,
    company: Company,
    actor: Actor,
    role: str = "",
    is_primary: bool = False,
    started_at: Any = None,
    ended_at: Any = None,
) -> CompanyMembership:
    if company.workspace_id != contact.workspace_id:
        raise ValidationError({"company_id": ["No such company."]})
    if contact.memberships.filter(company=company).exists():
        raise ValidationError({"company_id": ["This person is already linked to the company."]})
    # The first link a person gets is their primary one.
    is_primary = is_primary or not contact.memberships.exists()
    membership = CompanyMembership(
        workspace_id=contact.workspace_id,
        contact=contact,
        company=company,
        role=(role or "").strip(),
        is_primary=is_primary,
        started_at=started_at,
        ended_at=ended_at,
    )
    if is_primary:
        contact.memberships.filter(is_primary=True).update(is_primary=False)
    membership.full_clean(validate_unique=False, validate_constraints=False)
    if started_at and ended_at and ended_at < started_at:
        raise ValidationError({"ended_at": ["Must not be before started_at."]})
    membership.save()
    _sync_primary(contact, membership)
    for subject_type, subject_id, verb, other in (
        (SubjectType.CONTACT, contact.pk, Verb.COMPANY_LINKED, company.name),
        (SubjectType.COMPANY, company.pk, Verb.CONTACT_LINKED, contact.display_name),
    ):
        timeline_record(
            workspace=contact.workspace,
            subject_type=subject_type,
            subject_id=subject_id,
            verb=verb,
            actor=actor,
            data={"name": other, "role": membership.role, "membership_id": membership.pk},
        )
    return membership


@transaction.atomic
def company_membership_update(
    *, membership: CompanyMembership, actor: Actor, data: dict[str, Any]
) -> CompanyMembership:
    started = data.get("started_at", membership.started_at)
    ended = data.get("ended_at", membership.ended_at)
    if started and ended and ended < started:
        raise ValidationError({"ended_at": ["Must not be before started_at."]})
    if data.get("is_primary"):
        membership.contact.memberships.exclude(pk=membership.pk).filter(is_primary=True).update(
            is_primary=False
        )
    membership, changes = model_update(
        instance=membership, fields=["role", "is_primary", "started_at", "ended_at"], data=data
    )
    if changes:
        _sync_primary(membership.contact, membership)
        timeline_record(
            workspace=membership.contact.workspace,
            subject_type=SubjectType.CONTACT,
            subject_id=membership.contact_id,
            verb=Verb.UPDATED,
            actor=actor,
            changes=[{**c, "field": f"company_membership.{c['field']}"} for c in changes],
            data={"company": membership.company.name},
        )
    return membership


@transaction.atomic
def company_membership_delete(*, membership: CompanyMembership, actor: Actor) -> None:
    contact, company = membership.contact, membership.company
    if membership.is_primary and contact.company_id == company.pk:
        contact.company = None
        contact.save(update_fields=["company", "updated_at"])
    membership.delete()
    for subject_type, subject_id, other in (
        (SubjectType.CONTACT, contact.pk, company.name),
        (SubjectType.COMPANY, company.pk, contact.display_name),
    ):
        timeline_record(
            workspace=contact.workspace,
            subject_type=subject_type,
            subject_id=subject_id,
            verb=Verb.COMPANY_UNLINKED
            if subject_type == SubjectType.CONTACT
            else Verb.CONTACT_UNLINKED,
            actor=actor,
            data={"name": other},
        )
