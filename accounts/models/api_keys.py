"""API keys: ``ak_<prefix>_<secret>``; only a SHA-256 of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from accounts.models.base import TenantModel

KEY_PREFIX_LENGTH = 8


def hash_secret(secret: str) -> str:
    """Keys carry 256 bits of randomness, so one fast hash is as strong as a slow one."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(TenantModel):
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=KEY_PREFIX_LENGTH, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=40), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="apikey_ws_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(prefix__regex=r"^[a-z0-9]{8}$"), name="apikey_prefix_format"
            ),
        ]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} (ak_{self.prefix}_…)"

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
