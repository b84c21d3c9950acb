"""Workspaces, members and roles."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.text import slugify

from accounts.models import Membership, Role, User, Workspace
from accounts.services.common import ServiceError, ValidationError, model_update

# Apps further down (pipelines) register what a new workspace starts with, e.g. the default
# pipeline, so that accounts need not import them.
_workspace_initializers: list[Callable[[Workspace], None]] = []


def register_workspace_initializer(initializer: Callable[[Workspace], None]) -> None:
    if initializer not in _workspace_initializers:
        _workspace_initializers.append(initializer)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def user_create(*, email: str, password: str | None = None, name: str = "") -> User:
    email = email.strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["A user with this email address already exists."]})
    user = User(email=User.objects.normalize_email(email), name=name.strip())
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def workspace_create(
    *,
    name: str,
    owner: User,
    slug: str | None = None,
    default_currency: str = "USD",
    timezone: str = "UTC",
) -> Workspace:
    """A workspace with its owner, set up with what every workspace starts with."""
    workspace = Workspace(
        name=name.strip(),
        slug=slug or _unique_slug(name),
        default_currency=default_currency.upper(),
        timezone=timezone,
    )
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    for initializer in _workspace_initializers:
        initializer(workspace)
    return workspace


@transaction.atomic
def workspace_update(*, workspace: Workspace, data: dict) -> Workspace:
    if "default_currency" in data:
        data = {**data, "default_currency": str(data["default_currency"]).upper()}
    workspace, _ = model_update(
        instance=workspace, fields=["name", "default_currency", "timezone"], data=data
    )
    return workspace


@transaction.atomic
def membership_add(*, workspace: Workspace, user: User, role: str = Role.MEMBER) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [f"Unknown role {role!r}."]})
    membership, created = Membership.objects.get_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    if not created:
        raise ValidationError({"user": ["This user is already a member of the workspace."]})
    return membership


def _owner_count(workspace_id) -> int:
    return Membership.objects.filter(workspace_id=workspace_id, role=Role.OWNER).count()


@transaction.atomic
def membership_update_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [f"Unknown role {role!r}."]})
    # Lock the workspace's owners so two demotions cannot leave it with none.
    list(
        Membership.objects.select_for_update().filter(
            workspace_id=membership.workspace_id, role=Role.OWNER
        )
    )
    if (
        membership.role == Role.OWNER
        and role != Role.OWNER
        and _owner_count(membership.workspace_id) <= 1
    ):
        raise ServiceError("A workspace needs at least one owner.")
    membership, _ = model_update(instance=membership, fields=["role"], data={"role": role})
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    list(
        Membership.objects.select_for_update().filter(
            workspace_id=membership.workspace_id, role=Role.OWNER
        )
    )
    if membership.role == Role.OWNER and _owner_count(membership.workspace_id) <= 1:
        raise ServiceError("A workspace needs at least one owner.")
    membership.delete()
