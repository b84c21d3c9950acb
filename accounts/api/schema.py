"""How our authentication classes appear in the OpenAPI document (/api/schema/)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, ResolvedComponent

from accounts.scopes import ALL_SCOPES


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        scopes = "\n".join(f"- `{scope}`: {text}" for scope, text in ALL_SCOPES.items())
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ak_<prefix>_<secret>",
            "description": (
                "An API key from Settings → API keys or `manage.py create_api_key`, sent as "
                "`Authorization: Bearer ak_…`. Each key is bound to one workspace and carries "
                f"scopes; each operation names the scope it needs.\n\n{scopes}"
            ),
        }

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]]:
        # OpenAPI 3.1 lets any scheme list "roles": ours are the scope the operation needs.
        scope = _required_scope(auto_schema)
        return {self.name: [scope] if scope else []}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.WorkspaceSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The web app's own calls (with the CSRF token on writes).",
        }


def _required_scope(auto_schema: Any) -> str | None:
    view = auto_schema.view
    finder = getattr(view, "required_scope", None)
    request = getattr(view, "request", None)
    if finder is None or request is None:
        return None
    try:
        return finder(request)
    except Exception:  # a view that needs a real request: no scope listed
        return None


ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "integer", "example": 400},
        "message": {"type": "string", "example": "Validation failed"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"email": ["Enter a valid email address."]},
        },
        "conflict_id": {"type": "string", "format": "uuid", "description": "With 409 only"},
    },
}
ERROR_TEXT = {
    "400": "Invalid input (errors names each field)",
    "401": "Missing, invalid, expired or revoked credential",
    "403": "Missing scope (the message names it) or role",
    "404": "Not found, or in another workspace",
    "409": "A unique value is taken (conflict_id names the record) or the change conflicts",
    "412": "If-Match does not match the record's ETag",
    "413": "Upload too large",
    "415": "Wrong content type",
    "422": "Well-formed but impossible (or an Idempotency-Key reused with another body)",
    "429": "Rate limited (see Retry-After)",
    "500": "Server error (never with a traceback)",
}


class CrmAutoSchema(AutoSchema):
    """drf-spectacular's schema plus what every operation of ours may answer in errors."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None or not path.startswith("/api/v1/"):
            return operation
        component = ResolvedComponent(
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
        )
        registry.register_on_missing(component)
        codes = ["401", "403", "429", "500"]
        if method.upper() != "GET" or "{" not in path:
            codes.append("400")
        if "{" in path:
            codes.append("404")
        if method.upper() in {"POST", "PUT", "PATCH"}:
            codes += ["409", "415", "422"]
        if method.upper() in {"PUT", "PATCH", "DELETE"}:
            codes.append("412")
        if method.upper() == "DELETE":
            codes.append("409")
        responses = operation.setdefault("responses", {})
        for code in sorted(set(codes)):
            responses.setdefault(
                code,
                {
                    "description": ERROR_TEXT[code],
                    "content": {"application/json": {"schema": component.ref}},
                },
            )
        return operation
