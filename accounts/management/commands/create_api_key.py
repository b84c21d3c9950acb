"""``manage.py create_api_key``: issue an API key for a workspace and print it, once."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Workspace
from accounts.scopes import ALL_SCOPES, invalid_scopes
from accounts.services.api_keys import api_key_create
from accounts.services.common import ServiceError


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
        "Create an API key for a workspace. Prints the key alone on stdout (it is shown only "
        "once, so capture it: KEY=$(manage.py create_api_key ...)); other messages go to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--name", required=True, help="What the key is for")
        parser.add_argument(
            "--scopes",
            required=True,
            help='Space- or comma-separated scopes, e.g. "crm:read crm:write".',
        )
        parser.add_argument("--expires-in-days", type=int, metavar="N")

    def handle(
        self,
        *args: Any,
        workspace: str,
        name: str,
        scopes: str,
        expires_in_days: int | None,
        **options: Any,
    ) -> None:
        # stderr carries notices here, not only errors: no red.
        self.stderr.style_func = None
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise CommandError(f"No workspace with the slug {workspace!r}.")
        scope_list = [scope for scope in re.split(r"[\s,]+", scopes or "") if scope]
        if not scope_list:
            raise CommandError('Give at least one scope, e.g. --scopes "crm:read crm:write".')
        if bad := invalid_scopes(scope_list):
            raise CommandError(
                f"Unknown scope{'s' if len(bad) > 1 else ''}: {', '.join(bad)}. "
                f"Valid scopes: {', '.join(sorted(ALL_SCOPES))}."
            )
        try:
            key, raw = api_key_create(
                workspace=target,
                name=name,
                scopes=scope_list,
                expires_in_days=expires_in_days,
            )
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        except ServiceError as error:
            raise CommandError(error.message) from None
        expiry = f", expires {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else ""
        self.stderr.write(
            f"Created API key {key.name!r} for workspace {target.slug!r} "
            f"(scopes: {' '.join(key.scopes)}{expiry}). It is shown only this once."
        )
        self.stdout.write(raw)
