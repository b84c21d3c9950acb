"""Inviting people into a workspace by email, and the invitee joining through the link.

Only a workspace's owners and admins invite, and only owners invite (or revoke) owners. The
link's token is shown once, in the email; the database keeps its SHA-256 only. An address
has at most one open invitation per workspace: inviting it again is refused unless the
caller asks to resend, which issues a fresh link (the old one stops working) for 7 days more.
"""

from __future__ import annotations

import logging
import secrets

from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import INVITATION_LIFETIME, Invitation, Membership, Role, User, Workspace
from accounts.models.api_keys import hash_secret
from accounts.services.common import (
    Actor,
    ConflictError,
    PermissionDenied,
    ServiceError,
    ValidationError,
)
from accounts.services.signups import create_user_checked, new_user_errors

logger = logging.getLogger(__name__)

INVITING_ROLES = (Role.OWNER, Role.ADMIN)
LINK_INVALID = "This invitation link is not valid."


def _actor_role(*, workspace_id, actor: Actor) -> str:
    """The role the actor acts with in the workspace: the one the caller vouches for
    (``Actor.for_membership``), else the actor's membership; 403 unless owner or admin."""
    role = actor.role
    if role is None and actor.user is not None:
        role = (
            Membership.objects.filter(workspace_id=workspace_id, user_id=actor.user.pk)
            .values_list("role", flat=True)
            .first()
        )
    if role not in INVITING_ROLES:
        raise PermissionDenied("Only the workspace's owners and admins can invite people.")
    return role


def _check_owner_rule(*, actor_role: str, role: str) -> None:
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise PermissionDenied("Only an owner can invite someone as owner.")


def _clean_email(email: str) -> str:
    email = User.objects.normalize_email((email or "").strip())
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": ["Enter a valid email address."]}) from None
    return email


def invitation_link(*, site_url: str, token: str) -> str:
    return site_url.rstrip("/") + reverse("accounts:invitation", args=[token])


def _send(*, invitation: Invitation, workspace: Workspace, inviter: str, link: str) -> None:
    """Email the link. A mail server that is down is logged, not raised: the invitation
    stands, and the admin can resend it from the members page."""
    context = {
        "workspace": workspace,
        "inviter": inviter,
        "role": invitation.get_role_display(),
        "link": link,
        "expires_at": invitation.expires_at,
    }
    subject = "".join(
        render_to_string("accounts/email/invitation_subject.txt", context).splitlines()
    )
    body = render_to_string("accounts/email/invitation.txt", context)
    message = EmailMultiAlternatives(subject, body, None, [invitation.email])
    try:
        message.send()
    except Exception:
        logger.exception("Failed to send invitation %s", invitation.pk)


@transaction.atomic
def invitation_create(
    *,
    workspace: Workspace,
    actor: Actor,
    email: str,
    role: str = Role.MEMBER,
    site_url: str,
    resend: bool = False,
) -> Invitation:
    """Invite ``email`` with ``role`` and email them a link to ``site_url``.

    Refused (ConflictError on ``email``) for a member, or for an address with a pending
    invitation unless ``resend``. Resending, or inviting again after the link expired,
    renews the open invitation in place. The email goes out once the transaction commits.
    """
    actor_role = _actor_role(workspace_id=workspace.pk, actor=actor)
    email = _clean_email(email)
    if role not in Role.values:
        raise ValidationError({"role": ["Choose a role."]})
    _check_owner_rule(actor_role=actor_role, role=role)
    member = (
        Membership.objects.filter(workspace=workspace, user__email__iexact=email)
        .values_list("pk", flat=True)
        .first()
    )
    if member is not None:
        raise ConflictError(
            f"{email} is already a member of this workspace.", field="email", conflict_id=member
        )
    existing = (
        Invitation.objects.for_workspace(workspace)
        .open()
        .for_email(email)
        .select_for_update()
        .first()
    )
    if existing is not None and existing.is_pending and not resend:
        raise ConflictError(
            f"{email} has already been invited. Resend the invitation from the list below.",
            field="email",
            conflict_id=existing.pk,
        )
    if existing is not None:
        _check_owner_rule(actor_role=actor_role, role=existing.role)
    token = secrets.token_urlsafe(32)
    values = {
        "role": role,
        "token_hash": hash_secret(token),
        "invited_by": actor.user,
        "expires_at": timezone.now() + INVITATION_LIFETIME,
    }
    if existing is not None:
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save(update_fields=[*values, "updated_at"])
        invitation = existing
    else:
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(workspace=workspace, email=email, **values)
        except IntegrityError:
            # Someone else invited the same address a moment ago.
            raise ConflictError(
                f"{email} has already been invited.", field="email", conflict_id=None
            ) from None
    link = invitation_link(site_url=site_url, token=token)
    inviter = actor.name
    transaction.on_commit(
        lambda: _send(invitation=invitation, workspace=workspace, inviter=inviter, link=link)
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Actor) -> Invitation:
    """The link stops working at once. Revoking twice is harmless; an accepted one stays."""
    actor_role = _actor_role(workspace_id=invitation.workspace_id, actor=actor)
    if invitation.role == Role.OWNER and actor_role != Role.OWNER:
        raise PermissionDenied("Only an owner can revoke an invitation to be owner.")
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ServiceError("This invitation was already accepted; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation


def _pending_locked(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("workspace")
        .filter(token_hash=hash_secret(token))
        .first()
    )
    if invitation is None or not invitation.is_pending:
        raise ServiceError(LINK_INVALID)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """``user`` joins the workspace with the invited role; the link is used up.

    Only the invited address may accept. Someone who is a member already keeps their role.
    """
    invitation = _pending_locked(token)
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied("This invitation was sent to another email address.")
    membership, _ = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    return membership


@transaction.atomic
def invitation_accept_new_user(*, token: str, name: str, password: str) -> Membership:
    """An account for the invited address (which has none yet), joined to the workspace."""
    invitation = _pending_locked(token)
    errors = new_user_errors(name=name, email=invitation.email, password=password)
    if "email" in errors:
        raise ServiceError(
            f"An account for {invitation.email} already exists. Sign in to accept the invitation."
        )
    if errors:
        raise ValidationError(errors)
    user = create_user_checked(name=name, email=invitation.email, password=password)
    return invitation_accept(token=token, user=user)
