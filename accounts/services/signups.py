"""Signing up: a new person with a new workspace of their own."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import User, Workspace
from accounts.services.common import ValidationError
from accounts.services.workspaces import user_create, workspace_create

EMAIL_TAKEN = "An account with this email address already exists. Sign in instead."


def new_user_errors(*, name: str, email: str, password: str) -> dict[str, list[str]]:
    """Everything wrong with a would-be account at once (name, email, password), so a form
    can show each next to its field instead of one at a time."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = ["Tell us your name."]
    elif len(name) > User._meta.get_field("name").max_length:
        errors["name"] = ["At most 150 characters."]
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = [EMAIL_TAKEN]
    try:
        validate_password(password, User(email=email, name=name))
    except ValidationError as error:
        errors["password"] = error.messages
    return errors


def create_user_checked(*, name: str, email: str, password: str) -> User:
    """``user_create`` after ``new_user_errors``; two sign-ups racing for one email end in a
    field error for the second, not an IntegrityError."""
    try:
        with transaction.atomic():
            return user_create(email=email, password=password, name=name)
    except IntegrityError:
        raise ValidationError({"email": [EMAIL_TAKEN]}) from None


@transaction.atomic
def account_signup(
    *, name: str, email: str, password: str, workspace_name: str
) -> tuple[User, Workspace]:
    """A user and their first workspace, which they own (with the default pipeline)."""
    errors = new_user_errors(name=name, email=email, password=password)
    workspace_name = workspace_name.strip()
    if not workspace_name:
        errors["workspace_name"] = ["Name your workspace, e.g. your company's name."]
    elif len(workspace_name) > Workspace._meta.get_field("name").max_length:
        errors["workspace_name"] = ["At most 120 characters."]
    if errors:
        raise ValidationError(errors)
    user = create_user_checked(name=name, email=email, password=password)
    try:
        workspace = workspace_create(name=workspace_name, owner=user)
    except ValidationError as error:
        messages = getattr(error, "message_dict", {}).get("name") or error.messages
        raise ValidationError({"workspace_name": messages}) from None
    return user, workspace
