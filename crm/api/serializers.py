"""Contacts (and the pieces companies share) as the API shows and accepts them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.serializers import (
    AddressSerializer,
    LabelledValueSerializer,
    SocialProfileSerializer,
    StrictInputSerializer,
)
from crm.models import Contact, ContactSource, ContactStatus


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text.replace("+00:00", "Z")


def labelled(rows: Any) -> list[dict[str, Any]]:
    return [{"value": r.value, "label": r.label, "is_primary": r.is_primary} for r in rows]


class ContactSerializer(serializers.Serializer):
    """A contact as the API shows it. Needs ``contact_queryset()``'s prefetches."""

    id = serializers.UUIDField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True, help_text="The primary email")
    emails = LabelledValueSerializer(many=True, read_only=True)
    phones = LabelledValueSerializer(many=True, read_only=True)
    job_title = serializers.CharField(read_only=True)
    company = serializers.CharField(
        read_only=True, allow_null=True, help_text="Primary company name"
    )
    company_id = serializers.UUIDField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=ContactStatus.choices, read_only=True)
    source = serializers.ChoiceField(choices=ContactSource.choices, read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    owner = serializers.UUIDField(read_only=True, allow_null=True)
    address = AddressSerializer(read_only=True)
    social_profiles = SocialProfileSerializer(many=True, read_only=True)
    custom_fields = serializers.DictField(read_only=True)
    engagement_score = serializers.IntegerField(read_only=True)
    last_activity_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, contact: Contact) -> dict[str, Any]:
        # Plain attribute reads over prefetched rows: no per-row query, no field machinery.
        return {
            "id": str(contact.pk),
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "full_name": contact.full_name or f"{contact.first_name} {contact.last_name}".strip(),
            "email": contact.email,
            "emails": labelled(contact.emails.all()),
            "phones": labelled(contact.phones.all()),
            "job_title": contact.job_title,
            "company": contact.company.name if contact.company_id else None,
            "company_id": str(contact.company_id) if contact.company_id else None,
            "status": contact.status,
            "source": contact.source,
            "tags": sorted(tag.name for tag in contact.tags.all()),
            "owner": str(contact.owner_id) if contact.owner_id else None,
            "address": contact.address or {},
            "social_profiles": contact.social_profiles or [],
            "custom_fields": contact.custom_fields or {},
            "engagement_score": contact.engagement_score,
            "last_activity_at": _iso(contact.last_activity_at),
            "created_at": _iso(contact.created_at),
            "updated_at": _iso(contact.updated_at),
        }


CONTACT_FIELDS = set(ContactSerializer().fields)
CONTACT_READ_ONLY = (
    "id",
    "full_name",
    "company",
    "engagement_score",
    "last_activity_at",
    "created_at",
    "updated_at",
)


class ContactWriteSerializer(StrictInputSerializer):
    """What a client may send to create or change a contact."""

    ignored_fields = CONTACT_READ_ONLY
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, allow_null=True)
    emails = LabelledValueSerializer(many=True, required=False)
    phones = LabelledValueSerializer(many=True, required=False)
    job_title = serializers.CharField(max_length=150, required=False, allow_blank=True)
    company_id = serializers.UUIDField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ContactStatus.choices, required=False)
    source = serializers.ChoiceField(choices=ContactSource.choices, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100
    )
    owner = serializers.UUIDField(required=False, allow_null=True)
    address = AddressSerializer(required=False, allow_null=True)
    social_profiles = SocialProfileSerializer(many=True, required=False)
    custom_fields = serializers.DictField(required=False)

    def service_data(self) -> dict[str, Any]:
        """Validated data in the services' vocabulary (``company_id`` → ``company``)."""
        data = dict(self.validated_data)
        if "company_id" in data:
            data["company"] = data.pop("company_id")
        if data.get("email") is None and "email" in data:
            data["email"] = ""
        return data


class ContactBulkSerializer(StrictInputSerializer):
    contacts = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=100)


class CompanyMembershipSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    company_id = serializers.UUIDField()
    company = serializers.CharField(read_only=True, help_text="Company name")
    role = serializers.CharField(max_length=150, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)
    started_at = serializers.DateField(required=False, allow_null=True)
    ended_at = serializers.DateField(required=False, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, membership: Any) -> dict[str, Any]:
        return {
            "id": str(membership.pk),
            "contact_id": str(membership.contact_id),
            "company_id": str(membership.company_id),
            "company": membership.company.name,
            "role": membership.role,
            "is_primary": membership.is_primary,
            "started_at": membership.started_at.isoformat() if membership.started_at else None,
            "ended_at": membership.ended_at.isoformat() if membership.ended_at else None,
            "created_at": _iso(membership.created_at),
        }


class CompanyMembershipWriteSerializer(StrictInputSerializer):
    ignored_fields = ("id", "company", "contact_id", "created_at")
    company_id = serializers.UUIDField(required=False)
    role = serializers.CharField(max_length=150, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)
    started_at = serializers.DateField(required=False, allow_null=True)
    ended_at = serializers.DateField(required=False, allow_null=True)
