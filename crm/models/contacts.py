from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Lower

from accounts.models import TenantModel
from crm.models.common import ConcatWithSpace, Label, search_vector_field


class ContactStatus(models.TextChoices):
    LEAD = "lead", "Lead"
    ACTIVE = "active", "Active"
    CUSTOMER = "customer", "Customer"
    INACTIVE = "inactive", "Inactive"
    CHURNED = "churned", "Churned"


class ContactSource(models.TextChoices):
    WEBSITE = "website", "Website"
    REFERRAL = "referral", "Referral"
    SOCIAL = "social", "Social"
    PAID_ADS = "paid_ads", "Paid ads"
    MANUAL = "manual", "Manual"
    API = "api", "API"
    IMPORT = "import", "Import"


class Contact(TenantModel):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    full_name = models.GeneratedField(
        expression=ConcatWithSpace("first_name", "last_name"),
        output_field=models.CharField(max_length=201),
        db_persist=True,
    )
    email = models.EmailField(max_length=254, blank=True, help_text="The primary email address")
    job_title = models.CharField(max_length=150, blank=True)
    company = models.ForeignKey(
        "crm.Company",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The primary company (kept in step with the primary company membership)",
    )
    status = models.CharField(
        max_length=10, choices=ContactStatus.choices, default=ContactStatus.LEAD
    )
    source = models.CharField(
        max_length=10, choices=ContactSource.choices, default=ContactSource.MANUAL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    address = models.JSONField(default=dict, blank=True)
    social_profiles = models.JSONField(default=list, blank=True)
    tags = models.ManyToManyField("crm.Tag", blank=True, related_name="contacts")
    custom_fields = models.JSONField(default=dict, blank=True)
    engagement_score = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    search_vector = search_vector_field(
        ("first_name", "A"), ("last_name", "A"), ("email", "A"), ("job_title", "C")
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "workspace",
                Lower("email"),
                condition=~models.Q(email=""),
                name="contact_email_ci_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ContactStatus.values), name="contact_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=ContactSource.values), name="contact_source_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(first_name="", last_name="", email=""),
                name="contact_has_name_or_email",
            ),
            models.CheckConstraint(
                condition=models.Q(engagement_score__lte=100),
                name="contact_engagement_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "created_at", "id"], name="contact_ws_created_idx"),
            models.Index(fields=["workspace", "updated_at", "id"], name="contact_ws_updated_idx"),
            models.Index(
                fields=["workspace", "first_name", "id"], name="contact_ws_first_name_idx"
            ),
            models.Index(fields=["workspace", "last_name", "id"], name="contact_ws_last_name_idx"),
            models.Index(
                fields=["workspace", "last_activity_at", "id"], name="contact_ws_activity_idx"
            ),
            models.Index(fields=["workspace", "status"], name="contact_ws_status_idx"),
            models.Index(fields=["workspace", "source"], name="contact_ws_source_idx"),
            models.Index(fields=["workspace", "owner"], name="contact_ws_owner_idx"),
            models.Index(fields=["workspace", "company"], name="contact_ws_company_idx"),
            GinIndex(fields=["search_vector"], name="contact_search_idx"),
            GinIndex(
                OpClass(Lower("full_name"), name="gin_trgm_ops"), name="contact_name_trgm_idx"
            ),
            GinIndex(fields=["custom_fields"], name="contact_custom_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or str(self.pk)

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email


class ContactEmail(TenantModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    value = models.EmailField(max_length=254)
    label = models.CharField(max_length=10, choices=Label.choices, default=Label.WORK)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "created_at"]
        constraints = [
            models.UniqueConstraint("contact", Lower("value"), name="contactemail_unique"),
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(is_primary=True),
                name="contactemail_one_primary",
            ),
            models.CheckConstraint(
                condition=models.Q(label__in=Label.values), name="contactemail_label_valid"
            ),
        ]
        indexes = [
            models.Index("workspace", Lower("value"), name="contactemail_ws_value_idx"),
        ]

    def __str__(self) -> str:
        return self.value


class ContactPhone(TenantModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    value = models.CharField(max_length=32, help_text="E.164")
    label = models.CharField(max_length=10, choices=Label.choices, default=Label.WORK)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "value"], name="contactphone_unique"),
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(is_primary=True),
                name="contactphone_one_primary",
            ),
            models.CheckConstraint(
                condition=models.Q(value__regex=r"^\+[1-9][0-9]{3,14}$"),
                name="contactphone_e164",
            ),
            models.CheckConstraint(
                condition=models.Q(label__in=Label.values), name="contactphone_label_valid"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "value"], name="contactphone_ws_value_idx")]

    def __str__(self) -> str:
        return self.value


class CompanyMembership(TenantModel):
    """A person's link to a company: their role there, and whether it is their main one."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey("crm.Company", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=150, blank=True)
    is_primary = models.BooleanField(default=False)
    started_at = models.DateField(null=True, blank=True)
    ended_at = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-is_primary", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "company"], name="companymembership_unique"),
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(is_primary=True),
                name="companymembership_one_primary",
            ),
            models.CheckConstraint(
                condition=models.Q(started_at__isnull=True)
                | models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="companymembership_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "contact"], name="companymembership_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} at {self.company}"
