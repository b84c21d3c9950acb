from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from accounts.models import TenantModel

DEFAULT_TAG_COLOR = "#64748b"


class Tag(TenantModel):
    name = models.CharField(max_length=64)
    color = models.CharField(max_length=7, default=DEFAULT_TAG_COLOR)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("workspace", Lower("name"), name="tag_name_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="tag_color_hex"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="tag_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name
