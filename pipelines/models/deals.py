from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Lower

from accounts.models import TenantModel
from crm.models.common import search_vector_field
from pipelines.models.pipelines import Pipeline, Stage


class DealStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Deal(TenantModel):
    title = models.CharField(max_length=200)
    # RESTRICT, not PROTECT: a stage with deals cannot be deleted on its own (the service
    # moves them first), but deleting the whole workspace takes its deals along.
    pipeline = models.ForeignKey(Pipeline, on_delete=models.RESTRICT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.RESTRICT, related_name="deals")
    # Denormalised from the stage's kind so that lists filter on it without a join.
    status = models.CharField(max_length=4, choices=DealStatus.choices, default=DealStatus.OPEN)
    position = models.PositiveIntegerField(default=0, help_text="Order within the stage")
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    probability = models.PositiveSmallIntegerField(null=True, blank=True)
    expected_close_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    company = models.ForeignKey(
        "crm.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    contacts = models.ManyToManyField(
        "crm.Contact", through="DealContact", blank=True, related_name="deals"
    )
    lost_reason = models.CharField(max_length=200, blank=True)
    tags = models.ManyToManyField("crm.Tag", blank=True, related_name="deals")
    custom_fields = models.JSONField(default=dict, blank=True)
    stage_entered_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(null=True, blank=True)
    search_vector = search_vector_field(("title", "A"))

    class Meta:
        ordering = ["stage", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DealStatus.values), name="deal_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="deal_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="deal_currency_iso4217"
            ),
            models.CheckConstraint(
                condition=models.Q(probability__isnull=True)
                | models.Q(probability__gte=0, probability__lte=100),
                name="deal_probability_range",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", closed_at__isnull=True)
                | (~models.Q(status="open") & models.Q(closed_at__isnull=False)),
                name="deal_closed_at_matches_status",
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="deal_title_not_empty"),
        ]
        indexes = [
            models.Index(fields=["stage", "position"], name="deal_stage_position_idx"),
            models.Index(fields=["workspace", "created_at", "id"], name="deal_ws_created_idx"),
            models.Index(fields=["workspace", "updated_at", "id"], name="deal_ws_updated_idx"),
            models.Index(fields=["workspace", "pipeline", "status"], name="deal_ws_pipeline_idx"),
            models.Index(fields=["workspace", "status", "closed_at"], name="deal_ws_closed_idx"),
            models.Index(fields=["workspace", "owner"], name="deal_ws_owner_idx"),
            models.Index(fields=["workspace", "company"], name="deal_ws_company_idx"),
            models.Index(
                fields=["workspace", "expected_close_date"], name="deal_ws_close_date_idx"
            ),
            models.Index(fields=["workspace", "amount"], name="deal_ws_amount_idx"),
            GinIndex(fields=["search_vector"], name="deal_search_idx"),
            GinIndex(OpClass(Lower("title"), name="gin_trgm_ops"), name="deal_title_trgm_idx"),
            GinIndex(fields=["custom_fields"], name="deal_custom_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class DealContact(TenantModel):
    """A person on a deal, with the part they play (decision maker, champion…)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="deal_links")
    role = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="dealcontact_unique"),
        ]
        indexes = [models.Index(fields=["contact", "deal"], name="dealcontact_contact_idx")]

    def __str__(self) -> str:
        return f"{self.contact} on {self.deal} ({self.role or 'contact'})"


class StageHistory(TenantModel):
    """Each stage a deal entered: when, from where, and by whom."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_history")
    # Kept (as a name) when the stage itself is deleted later: history is not rewritten.
    stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage_name = models.CharField(max_length=120)
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["deal", "entered_at"]
        verbose_name_plural = "stage history"
        indexes = [
            models.Index(fields=["deal", "entered_at"], name="stagehistory_deal_idx"),
            models.Index(fields=["workspace", "stage", "entered_at"], name="stagehistory_ws_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_at__isnull=True)
                | models.Q(left_at__gte=models.F("entered_at")),
                name="stagehistory_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal} entered {self.stage} at {self.entered_at:%Y-%m-%d}"
