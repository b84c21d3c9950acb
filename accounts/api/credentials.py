"""What an API request acts as: a workspace, scopes, and who (user, API key, OAuth token)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from accounts.models import ApiKey, Role, User, Workspace
from accounts.scopes import RESOURCE_SCOPES, expand_scopes
from accounts.services.common import Actor

if TYPE_CHECKING:
    pass

# What a browser session may do, by role (API keys and tokens carry their own scopes).
_READ = frozenset(s for s in RESOURCE_SCOPES if s.endswith(":read"))
_MEMBER = _READ | {
    "contacts:write",
    "companies:write",
    "deals:write",
    "notes:write",
    "tasks:write",
    "activities:write",
    "lists:write",
    "imports:write",
}
ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.VIEWER: _READ,
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(RESOURCE_SCOPES),
    Role.OWNER: frozenset(RESOURCE_SCOPES),
}


@dataclass(frozen=True)
class Credential:
    """The ``request.auth`` of every API request."""

    kind: str  # "api_key" | "oauth2" | "session"
    workspace: Workspace
    scopes: frozenset[str]
    granted: tuple[str, ...] = ()
    user: User | None = None
    api_key: ApiKey | None = None
    role: str | None = None
    token_id: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_api_key(cls, key: ApiKey) -> Credential:
        return cls(
            kind="api_key",
            workspace=key.workspace,
            scopes=expand_scopes(key.scopes),
            granted=tuple(key.scopes),
            api_key=key,
        )

    @classmethod
    def for_session(cls, user: User, workspace: Workspace, role: str) -> Credential:
        scopes = ROLE_SCOPES[Role(role)]
        return cls(
            kind="session",
            workspace=workspace,
            scopes=scopes,
            granted=tuple(sorted(scopes)),
            user=user,
            role=role,
        )

    @property
    def actor(self) -> Actor:
        return Actor(user=self.user, api_key=self.api_key, role=self.role)

    @property
    def identity(self) -> str:
        """A stable key for per-credential state (idempotency keys, rate limits)."""
        if self.api_key is not None:
            return f"key:{self.api_key.pk}"
        if self.token_id is not None:
            return f"oauth:{self.token_id}"
        return f"user:{self.user.pk if self.user else 'anonymous'}:{self.workspace.pk}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
