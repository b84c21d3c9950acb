from __future__ import annotations

from django.db import models

from accounts.models import TenantModel
from crm.models.common import SubjectType


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    URL = "url", "URL"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Yes/no"
    CURRENCY = "currency", "Currency"
    SELECT = "select", "Select"
    MULTI_SELECT = "multi_select", "Multi-select"


class CustomField(TenantModel):
    """The definition of a custom attribute; values live in each record's ``custom_fields``."""

    object_type = models.CharField(max_length=10, choices=SubjectType.choices)
    key = models.CharField(max_length=63, help_text="lower_snake_case, used in the API")
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=12, choices=FieldType.choices)
    required = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    options = models.JSONField(default=list, blank=True, help_text="Choices of a select field")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["object_type", "position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_type", "key"], name="customfield_key_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(key__regex=r"^[a-z][a-z0-9_]{0,62}$"),
                name="customfield_key_format",
            ),
            models.CheckConstraint(
                condition=models.Q(type__in=FieldType.values), name="customfield_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(object_type__in=SubjectType.values),
                name="customfield_object_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}.{self.key}"
