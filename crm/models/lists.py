from __future__ import annotations

from django.db import models

from accounts.models import TenantModel


class ListObjectType(models.TextChoices):
    CONTACT = "contact", "Contacts"
    COMPANY = "company", "Companies"


class List(TenantModel):
    """A static list of contacts or companies, for a campaign or a segment."""

    name = models.CharField(max_length=120)
    object_type = models.CharField(max_length=10, choices=ListObjectType.choices)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="list_name_unique"),
            models.CheckConstraint(
                condition=models.Q(object_type__in=ListObjectType.values),
                name="list_object_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ListMember(TenantModel):
    list = models.ForeignKey(List, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    company = models.ForeignKey(
        "crm.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False, company__isnull=True)
                | models.Q(contact__isnull=True, company__isnull=False),
                name="listmember_exactly_one",
            ),
            models.UniqueConstraint(
                fields=["list", "contact"],
                condition=models.Q(contact__isnull=False),
                name="listmember_contact_unique",
            ),
            models.UniqueConstraint(
                fields=["list", "company"],
                condition=models.Q(company__isnull=False),
                name="listmember_company_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["contact"], name="listmember_contact_idx"),
            models.Index(fields=["company"], name="listmember_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact or self.company} in {self.list}"
