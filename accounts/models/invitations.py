"""Invitations to join a workspace, sent by email; only a SHA-256 of the link's token is kept."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models.base import TenantModel, WorkspaceQuerySet
from accounts.models.workspaces import Role

INVITATION_LIFETIME = datetime.timedelta(days=7)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class InvitationQuerySet(WorkspaceQuerySet):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (possibly expired): at most one per email and workspace."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)

    def pending(self) -> InvitationQuerySet:
        """Open and not yet expired: the link still works."""
        return self.open().filter(expires_at__gt=timezone.now())

    def for_email(self, email: str) -> InvitationQuerySet:
        return self.filter(email__iexact=email.strip())


class InvitationManager(models.Manager.from_queryset(InvitationQuerySet)):  # type: ignore[misc]
    pass


class Invitation(TenantModel):
    """A link that lets the owner of ``email`` join ``workspace`` with ``role``.

    The token in the link carries 256 bits of randomness and is never stored, only its
    SHA-256 (as for API keys), so a copy of the database cannot be used to join a workspace.
    """

    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="invitation_ws_created_idx"),
        ]
        constraints = [
            # One open invitation per address and workspace: a second invite resends the first.
            models.UniqueConstraint(
                "workspace",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_open_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def get_status_display(self) -> str:
        return InvitationStatus(self.status).label

    @property
    def is_pending(self) -> bool:
        return self.status == InvitationStatus.PENDING
