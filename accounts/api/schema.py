"""How our authentication classes appear in the OpenAPI document (/api/schema/)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

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
