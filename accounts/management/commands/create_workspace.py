"""``manage.py create_workspace NAME --owner EMAIL``: a workspace and, if need be, its owner."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email, validate_slug
from django.db import transaction

from accounts.models import User, Workspace
from accounts.services.common import ServiceError
from accounts.services.workspaces import user_create, workspace_create


def _messages(error: ValidationError) -> str:
    """A ValidationError as one line: ``field: message; field: message``."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


class Command(BaseCommand):
    help = (
        "Create a workspace owned by the user with the given email, creating that user if "
        "missing. Prints the workspace's slug (alone, on stdout); other messages go to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The workspace's name")
        parser.add_argument("--owner", required=True, metavar="EMAIL", help="The owner's email")
        parser.add_argument(
            "--password",
            help="The password of a new owner (default: a random one, printed once). "
            "Ignored when the user exists.",
        )
        parser.add_argument("--slug", help="The workspace's slug (default: from the name)")

    def handle(
        self,
        *args: Any,
        name: str,
        owner: str,
        password: str | None,
        slug: str | None,
        **options: Any,
    ) -> None:
        # stderr carries notices here, not only errors: no red.
        self.stderr.style_func = None
        email = (owner or "").strip()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{owner!r} is not a valid email address.") from None
        if not (name or "").strip():
            raise CommandError("Give the workspace a name.")
        if slug is not None:
            try:
                validate_slug(slug)
            except ValidationError:
                raise CommandError(
                    f"{slug!r} is not a valid slug: use letters, numbers, hyphens and underscores."
                ) from None
            if Workspace.objects.filter(slug=slug).exists():
                raise CommandError(f"The slug {slug!r} is taken.")

        generated = False
        with transaction.atomic():
            user = User.objects.filter(email__iexact=email).first()
            user_created = user is None
            if user is None:
                if password is None:
                    password = secrets.token_urlsafe(12)
                    generated = True
                else:
                    try:
                        password_validation.validate_password(password, User(email=email))
                    except ValidationError as error:
                        raise CommandError(f"Password: {' '.join(error.messages)}") from None
                try:
                    user = user_create(email=email, password=password)
                except ValidationError as error:
                    raise CommandError(_messages(error)) from None
                except ServiceError as error:
                    raise CommandError(error.message) from None
            try:
                workspace = workspace_create(name=name, owner=user, slug=slug)
            except ValidationError as error:
                raise CommandError(_messages(error)) from None
            except ServiceError as error:
                raise CommandError(error.message) from None

        if user_created:
            self.stderr.write(f"Created user {user.email}.")
            if generated:
                self.stderr.write(f"Their password (shown only this once): {password}")
        elif password is not None:
            self.stderr.write(
                f"{user.email} exists: --password was ignored, their password is unchanged."
            )
        self.stderr.write(f"Created workspace {workspace.name!r} owned by {user.email}.")
        self.stdout.write(workspace.slug)
