"""Issuing, checking and revoking API keys."""

from __future__ import annotations

import datetime
import secrets
import string

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, User, Workspace
from accounts.models.api_keys import KEY_PREFIX_LENGTH, hash_secret
from accounts.scopes import invalid_scopes
from accounts.services.common import ValidationError

_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
MAX_EXPIRY_DAYS = 3650


def _new_prefix() -> str:
    while True:
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(KEY_PREFIX_LENGTH))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return prefix


@transaction.atomic
def api_key_create(
    *,
    workspace: Workspace,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    expires_in_days: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its full text ``ak_<prefix>_<secret>``, which is shown once only."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Give the key a name."]
    elif len(name.strip()) > ApiKey._meta.get_field("name").max_length:
        errors["name"] = ["At most 120 characters."]
    if not scopes:
        errors["scopes"] = ["Choose at least one scope."]
    elif bad := invalid_scopes(scopes):
        errors["scopes"] = [f"Unknown scope: {', '.join(bad)}."]
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        errors["expires_in_days"] = [f"Must be between 1 and {MAX_EXPIRY_DAYS} days."]
    if errors:
        raise ValidationError(errors)
    secret = secrets.token_urlsafe(32)
    prefix = _new_prefix()
    key = ApiKey.objects.create(
        workspace=workspace,
        name=name.strip(),
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=sorted(set(scopes)),
        created_by=created_by,
        expires_at=(
            timezone.now() + datetime.timedelta(days=expires_in_days) if expires_in_days else None
        ),
    )
    return key, f"ak_{prefix}_{secret}"


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
    return api_key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key that ``raw`` is, or None. The secret is compared in constant time."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "ak" or len(parts[1]) != KEY_PREFIX_LENGTH:
        return None
    key = ApiKey.objects.select_related("workspace").filter(prefix=parts[1]).first()
    if key is None:
        # Hash anyway so that an unknown prefix takes as long as a wrong secret.
        hash_secret(parts[2])
        return None
    if not key.secret_matches(parts[2]) or not key.is_active:
        return None
    now = timezone.now()
    # At most one write a minute per key, however many requests it makes.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
