"""Issuing, checking and revoking API keys."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ApiKey
from accounts.models.api_keys import hash_secret
from accounts.services.api_keys import api_key_authenticate, api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"^ak_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$")


def _set_last_used(key: ApiKey, when: datetime.datetime | None) -> None:
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=when)


def test_api_key_create_returns_the_full_key_once_and_stores_only_a_hash(workspace, user):
    # when
    key, raw = api_key_create(
        workspace=workspace,
        name="  Zapier ",
        scopes=["contacts:read", "crm:read", "contacts:read"],
        created_by=user,
    )

    # then
    match = KEY_RE.match(raw)
    assert match, raw
    prefix, secret = match.groups()
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.prefix == prefix
    assert stored.secret_hash == hash_secret(secret)
    assert secret not in stored.secret_hash
    assert all(secret not in str(value) for value in stored.__dict__.values())
    assert stored.name == "Zapier"
    assert stored.scopes == ["contacts:read", "crm:read"]
    assert stored.created_by == user
    assert stored.expires_at is None
    assert stored.workspace_id == workspace.pk


def test_api_key_create_sets_the_expiry(workspace):
    # when
    key, _ = api_key_create(workspace=workspace, name="k", scopes=["crm:read"], expires_in_days=7)

    # then
    expected = timezone.now() + datetime.timedelta(days=7)
    assert abs(key.expires_at - expected) < datetime.timedelta(minutes=1)


def test_two_keys_get_different_prefixes_and_secrets(workspace):
    # when
    first, first_raw = api_key_create(workspace=workspace, name="a", scopes=["crm:read"])
    second, second_raw = api_key_create(workspace=workspace, name="b", scopes=["crm:read"])

    # then
    assert first.prefix != second.prefix
    assert first_raw.split("_", 2)[2] != second_raw.split("_", 2)[2]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  ", "scopes": ["crm:read"]}, "name"),
        ({"name": "k", "scopes": []}, "scopes"),
        ({"name": "k", "scopes": ["crm:read", "everything:write"]}, "scopes"),
        ({"name": "k", "scopes": ["crm:read"], "expires_in_days": 0}, "expires_in_days"),
    ],
)
def test_api_key_create_validates(workspace, kwargs, field):
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        api_key_create(workspace=workspace, **kwargs)
    assert field in excinfo.value.message_dict
    assert not ApiKey.objects.exists()


def test_api_key_authenticate_finds_the_key_and_records_its_use(workspace):
    # given
    key, raw = api_key_create(workspace=workspace, name="k", scopes=["crm:read"])

    # when
    found = api_key_authenticate(raw)

    # then
    assert found is not None
    assert found.pk == key.pk
    assert found.workspace == workspace
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.last_used_at is not None
    assert abs(stored.last_used_at - timezone.now()) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # wrong secret
        lambda raw: raw.replace("ak_", "sk_", 1),  # wrong scheme
        lambda raw: raw.rsplit("_", 1)[0],  # no secret
        lambda raw: "ak_zzzzzzzz_" + raw.split("_", 2)[2],  # unknown prefix
        lambda raw: "ak_short_" + raw.split("_", 2)[2],  # malformed prefix
        lambda raw: "",
        lambda raw: "garbage",
    ],
)
def test_api_key_authenticate_refuses_wrong_keys(workspace, mangle):
    # given
    key, raw = api_key_create(workspace=workspace, name="k", scopes=["crm:read"])

    # when
    found = api_key_authenticate(mangle(raw))

    # then
    assert found is None
    assert ApiKey.objects.get(pk=key.pk).last_used_at is None


def test_api_key_authenticate_refuses_an_expired_key(workspace):
    # given
    key, raw = api_key_create(workspace=workspace, name="k", scopes=["crm:read"], expires_in_days=1)
    ApiKey.objects.filter(pk=key.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    # when / then
    assert api_key_authenticate(raw) is None
    assert ApiKey.objects.get(pk=key.pk).last_used_at is None


def test_api_key_revoke_makes_the_key_useless_and_is_idempotent(workspace):
    # given
    key, raw = api_key_create(workspace=workspace, name="k", scopes=["crm:read"])
    assert api_key_authenticate(raw) is not None

    # when
    api_key_revoke(api_key=key)
    first_revoked_at = ApiKey.objects.get(pk=key.pk).revoked_at
    api_key_revoke(api_key=key)

    # then
    assert first_revoked_at is not None
    assert ApiKey.objects.get(pk=key.pk).revoked_at == first_revoked_at
    assert not ApiKey.objects.get(pk=key.pk).is_active
    assert api_key_authenticate(raw) is None


def test_last_used_at_is_written_at_most_once_a_minute(workspace):
    # given a key used 30 seconds ago
    key, raw = api_key_create(workspace=workspace, name="k", scopes=["crm:read"])
    recent = timezone.now() - datetime.timedelta(seconds=30)
    _set_last_used(key, recent)

    # when it is used again
    found = api_key_authenticate(raw)

    # then the stored time is not rewritten
    assert found is not None
    assert ApiKey.objects.get(pk=key.pk).last_used_at == recent


def test_last_used_at_is_written_again_after_a_minute(workspace):
    # given a key used two minutes ago
    key, raw = api_key_create(workspace=workspace, name="k", scopes=["crm:read"])
    old = timezone.now() - datetime.timedelta(minutes=2)
    _set_last_used(key, old)

    # when
    api_key_authenticate(raw)

    # then
    assert ApiKey.objects.get(pk=key.pk).last_used_at > old + datetime.timedelta(minutes=1)


def test_authenticate_makes_one_write_for_repeated_use(workspace, django_assert_max_num_queries):
    # given a key that was just used
    _, raw = api_key_create(workspace=workspace, name="k", scopes=["crm:read"])
    api_key_authenticate(raw)

    # when it is used again / then only the lookup runs (no UPDATE)
    with django_assert_max_num_queries(1):
        assert api_key_authenticate(raw) is not None
