from __future__ import annotations

from django.db import models

from accounts.models import TenantModel


class Pipeline(TenantModel):
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="pipeline_name_unique"),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(is_default=True),
                name="pipeline_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Stage(TenantModel):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=4, choices=StageKind.choices, default=StageKind.OPEN)
    position = models.PositiveIntegerField(default=0)
    probability = models.PositiveSmallIntegerField(default=0)
    rotting_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="A deal idle longer than this is flagged"
    )
    color = models.CharField(max_length=7, default="#3b82f6")

    class Meta:
        ordering = ["pipeline", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_name_unique"),
            # Deferred so that a reorder can swap positions inside one transaction.
            models.UniqueConstraint(
                fields=["pipeline", "position"],
                name="stage_position_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=StageKind.values), name="stage_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=100),
                name="stage_probability_range",
            ),
            models.CheckConstraint(
                condition=models.Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="stage_color_hex"
            ),
        ]

    def __str__(self) -> str:
        # Name the pipeline only when it is loaded: __str__ must not cost a query per stage.
        if Stage.pipeline.is_cached(self):
            return f"{self.pipeline.name} / {self.name}"
        return self.name


class LostReason(TenantModel):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="lost_reasons")
    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pipeline", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="lostreason_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
