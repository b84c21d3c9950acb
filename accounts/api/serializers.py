"""Serializer building blocks shared by every API resource."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Input that names only declared fields: an unknown key is a 400, not silently dropped
    (read-only fields of the resource, echoed back by a client, are ignored)."""

    ignored_fields: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields) - set(self.ignored_fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown or read-only field."] for name in unknown}
                )
        return super().to_internal_value(data)


class LabelledValueSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=254)
    label = serializers.ChoiceField(
        choices=["work", "home", "mobile", "personal", "other"], required=False
    )
    is_primary = serializers.BooleanField(required=False, default=False)


class AddressSerializer(StrictInputSerializer):
    street = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=200, required=False, allow_blank=True)
    state = serializers.CharField(max_length=200, required=False, allow_blank=True)
    zip = serializers.CharField(max_length=200, required=False, allow_blank=True)
    country = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SocialProfileSerializer(serializers.Serializer):
    platform = serializers.CharField(max_length=50)
    url = serializers.URLField(max_length=500)


def sparse(data: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    """Keep only the requested fields (``?fields=id,email``); ``id`` always stays."""
    if not fields:
        return data
    return {key: value for key, value in data.items() if key in fields or key == "id"}


def check_fields(fields: set[str] | None, available: set[str]) -> None:
    if fields and (unknown := sorted(fields - available)):
        raise serializers.ValidationError({"fields": [f"Unknown field(s): {', '.join(unknown)}."]})
