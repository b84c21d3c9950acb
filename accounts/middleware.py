"""Attach the signed-in user's current workspace and membership to the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership

SESSION_KEY = "workspace_id"


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership for the workspace chosen in the session, else the user's first one."""
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("workspace")
    chosen = request.session.get(SESSION_KEY)
    membership = None
    if chosen:
        membership = memberships.filter(workspace_id=chosen).first()
    if membership is None:
        membership = memberships.order_by("created_at").first()
        if membership is not None:
            request.session[SESSION_KEY] = str(membership.workspace_id)
    return membership


class WorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = SimpleLazyObject(lambda: current_membership(request))
        request.membership = membership  # type: ignore[attr-defined]
        request.workspace = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: membership.workspace if membership else None
        )
        return self.get_response(request)
