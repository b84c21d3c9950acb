"""Scope checks: every API view names the scope each request needs."""

from __future__ import annotations

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from accounts.api.credentials import Credential


class HasScope(permissions.BasePermission):
    """A credential whose scopes include what the view requires for this request.

    Views set ``scope_resource = "contacts"`` (read for safe methods, write otherwise), or
    ``required_scopes = {"action_or_method": "scope"}`` for exceptions, or override
    ``required_scope(request)``.
    """

    def has_permission(self, request: Request, view) -> bool:
        credential = request.auth
        if not isinstance(credential, Credential):
            raise exceptions.NotAuthenticated("Authentication credentials were not provided.")
        scope = view.required_scope(request)
        if scope is not None and not credential.has_scope(scope):
            raise exceptions.PermissionDenied(f"Missing scope: {scope}.")
        return True
