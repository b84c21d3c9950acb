"""Reads about users, workspaces and memberships."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError

from accounts.models import Invitation, Membership, User, Workspace
from accounts.models.api_keys import hash_secret


def workspace_member(
    *, workspace: Workspace, user: User | uuid.UUID | str | None, field: str = "owner"
) -> User | None:
    """The user if they belong to the workspace; a ValidationError names ``field`` if not."""
    if user is None or user == "":
        return None
    user_id = getattr(user, "pk", user)
    membership = (
        Membership.objects.filter(workspace=workspace, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ValidationError({field: ["Not a member of this workspace."]})
    return membership.user


def user_workspaces(*, user: User) -> list[Workspace]:
    return [m.workspace for m in Membership.objects.filter(user=user).select_related("workspace")]


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link's token opens, whatever its state, or None."""
    return (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=hash_secret(token))
        .first()
    )


def invitation_list_open(*, workspace: Workspace) -> list[Invitation]:
    """Invitations not yet accepted or revoked (expired ones included, to be resent)."""
    return list(
        Invitation.objects.for_workspace(workspace)
        .open()
        .select_related("invited_by")
        .order_by("-created_at")
    )
