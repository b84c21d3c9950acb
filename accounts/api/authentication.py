"""API authentication: ``Authorization: Bearer ak_…`` API keys, and the browser session."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.api.credentials import Credential
from accounts.middleware import current_membership
from accounts.services.api_keys import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Bearer ak_<prefix>_<secret>``. Other bearer tokens are left to the next class."""

    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip().startswith("ak_"):
            return None
        key = api_key_authenticate(token.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        credential = Credential.for_api_key(key)
        _check_workspace_header(request, credential)
        # An API key is not a person: request.user stays anonymous, request.auth says who.
        return AnonymousUser(), credential

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class WorkspaceSessionAuthentication(authentication.SessionAuthentication):
    """The browser's own calls: the signed-in user in the workspace chosen in the session,
    with the scopes of their role. CSRF is enforced as for any session write."""

    def authenticate(self, request: Request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        membership = current_membership(request._request)
        if membership is None:
            raise exceptions.PermissionDenied("You are not a member of any workspace.")
        credential = Credential.for_session(user, membership.workspace, membership.role)
        _check_workspace_header(request, credential)
        return user, credential


def _check_workspace_header(request: Request, credential: Credential) -> None:
    wanted = request.META.get("HTTP_X_WORKSPACE_ID")
    if wanted and wanted.strip().lower() != str(credential.workspace.pk):
        raise exceptions.PermissionDenied(
            "X-Workspace-Id does not match the workspace of the credential."
        )
