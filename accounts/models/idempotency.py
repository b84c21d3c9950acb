"""Idempotency keys: a POST retried with the same key replays its first response."""

from __future__ import annotations

from django.db import models

from accounts.models.base import UUIDModel


class IdempotencyKey(UUIDModel):
    """One ``Idempotency-Key`` of one credential, kept 24 hours.

    The row is inserted before the request runs (``status_code`` NULL = in progress), so two
    concurrent requests with one key cannot both run; the response is stored byte for byte.
    """

    credential = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(default=bytes)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential", "key"], name="idempotencykey_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotencykey_created_idx")]

    def __str__(self) -> str:
        return f"{self.credential} {self.key}"
