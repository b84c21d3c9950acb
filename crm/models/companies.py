from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Lower

from accounts.models import TenantModel
from crm.models.common import Label, search_vector_field


class Relationship(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    VENDOR = "vendor", "Vendor"
    PARTNER = "partner", "Partner"
    BOTH = "both", "Customer and vendor"


class Lifecycle(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class Company(TenantModel):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, help_text="Normalised: example.com")
    industry = models.CharField(max_length=100, blank=True)
    relationship = models.CharField(
        max_length=10, choices=Relationship.choices, default=Relationship.PROSPECT
    )
    lifecycle = models.CharField(max_length=10, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    size = models.PositiveIntegerField(null=True, blank=True, help_text="Number of employees")
    annual_revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    address = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField("crm.Tag", blank=True, related_name="companies")
    custom_fields = models.JSONField(default=dict, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    search_vector = search_vector_field(("name", "A"), ("domain", "A"), ("industry", "C"))

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(
                "workspace",
                Lower("domain"),
                condition=~models.Q(domain=""),
                name="company_domain_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(relationship__in=Relationship.values),
                name="company_relationship_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(lifecycle__in=Lifecycle.values), name="company_lifecycle_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(annual_revenue__isnull=True) | models.Q(annual_revenue__gte=0),
                name="company_revenue_not_negative",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="company_name_not_empty"),
        ]
        indexes = [
            models.Index(fields=["workspace", "created_at", "id"], name="company_ws_created_idx"),
            models.Index(fields=["workspace", "updated_at", "id"], name="company_ws_updated_idx"),
            models.Index(fields=["workspace", "name", "id"], name="company_ws_name_idx"),
            models.Index(fields=["workspace", "owner"], name="company_ws_owner_idx"),
            models.Index(fields=["workspace", "relationship"], name="company_ws_rel_idx"),
            models.Index(fields=["workspace", "lifecycle"], name="company_ws_lifecycle_idx"),
            GinIndex(fields=["search_vector"], name="company_search_idx"),
            GinIndex(OpClass(Lower("name"), name="gin_trgm_ops"), name="company_name_trgm_idx"),
            GinIndex(fields=["custom_fields"], name="company_custom_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyPhone(TenantModel):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="phones")
    value = models.CharField(max_length=32, help_text="E.164")
    label = models.CharField(max_length=10, choices=Label.choices, default=Label.WORK)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["company", "value"], name="companyphone_unique"),
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(is_primary=True),
                name="companyphone_one_primary",
            ),
            models.CheckConstraint(
                condition=models.Q(value__regex=r"^\+[1-9][0-9]{3,14}$"),
                name="companyphone_e164",
            ),
            models.CheckConstraint(
                condition=models.Q(label__in=Label.values), name="companyphone_label_valid"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "value"], name="companyphone_ws_value_idx")]

    def __str__(self) -> str:
        return self.value
