"""The API's scopes (see API.md): resource scopes plus the crm:read / crm:write umbrellas."""

from __future__ import annotations

from collections.abc import Iterable

RESOURCE_SCOPES: dict[str, str] = {
    "contacts:read": "Read contacts",
    "contacts:write": "Create, change and delete contacts",
    "companies:read": "Read companies",
    "companies:write": "Create, change and delete companies",
    "deals:read": "Read deals",
    "deals:write": "Create, change, move and delete deals",
    "pipelines:read": "Read pipelines and stages",
    "pipelines:write": "Change pipelines and stages",
    "notes:read": "Read notes",
    "notes:write": "Write notes",
    "tasks:read": "Read tasks",
    "tasks:write": "Write tasks",
    "activities:read": "Read logged calls, emails and meetings",
    "activities:write": "Log calls, emails and meetings",
    "lists:read": "Read lists",
    "lists:write": "Change lists and their members",
    "schema:read": "Read custom field definitions",
    "schema:write": "Change custom field definitions",
    "imports:write": "Import and export records",
    "webhooks:read": "Read webhook subscriptions",
    "webhooks:write": "Manage webhook subscriptions",
}
UMBRELLA_SCOPES: dict[str, str] = {
    "crm:read": "Read everything in the workspace",
    "crm:write": "Read and change everything in the workspace",
}
ALL_SCOPES: dict[str, str] = {**RESOURCE_SCOPES, **UMBRELLA_SCOPES}


def expand_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The resource scopes a set of granted scopes stands for."""
    expanded: set[str] = set()
    for scope in scopes:
        if scope == "crm:write":
            expanded.update(RESOURCE_SCOPES)
        elif scope == "crm:read":
            expanded.update(s for s in RESOURCE_SCOPES if s.endswith(":read"))
        elif scope in RESOURCE_SCOPES:
            expanded.add(scope)
    return frozenset(expanded)


def invalid_scopes(scopes: Iterable[str]) -> list[str]:
    return [scope for scope in scopes if scope not in ALL_SCOPES]
