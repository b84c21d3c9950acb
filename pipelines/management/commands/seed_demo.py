"""``manage.py seed_demo``: load realistic demo data, fast (see ``pipelines/demo.py``)."""

from __future__ import annotations

import argparse
import time
import zlib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from accounts.models import Workspace
from crm.models import Contact
from pipelines.demo import (
    DEFAULT_SEED,
    DemoSetup,
    demo_plant_duplicates,
    demo_seed,
    demo_workspace_get_or_create,
)

MAX_RECORDS = 5_000_000

# Two `make run`s starting at once must not both load the demo.
_LOCK_KEY = zlib.crc32(b"seed_demo")


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= MAX_RECORDS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_RECORDS:,}")
    return number


class Command(BaseCommand):
    help = (
        "Load realistic demo data: contacts, companies, deals and everything around them. "
        "Without --workspace it fills the demo workspace, creating it (and the demo login) "
        "if missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workspace",
            metavar="SLUG",
            help=f"An existing workspace (default: the demo workspace, "
            f"{settings.DEMO_WORKSPACE_SLUG!r}, created if missing).",
        )
        parser.add_argument("--contacts", type=_count, default=300, metavar="N")
        parser.add_argument("--companies", type=_count, default=60, metavar="N")
        parser.add_argument("--deals", type=_count, default=120, metavar="N")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the workspace has contacts already (how `make run` loads "
            "the demo once).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="Random seed; the same seed gives the same names, amounts and stages.",
        )
        parser.add_argument(
            "--with-duplicates",
            action="store_true",
            help="Also add a few likely duplicates of demo people, for the review queue "
            "(`make run` does).",
        )

    def handle(
        self,
        *args: Any,
        workspace: str | None,
        contacts: int,
        companies: int,
        deals: int,
        if_empty: bool,
        seed: int,
        with_duplicates: bool = False,
        **options: Any,
    ) -> None:
        verbosity = options.get("verbosity", 1)
        for name, value in (("contacts", contacts), ("companies", companies), ("deals", deals)):
            # call_command() passes keyword values without the parser's type check.
            if not isinstance(value, int) or not 0 <= value <= MAX_RECORDS:
                raise CommandError(f"--{name} must be a whole number from 0 to {MAX_RECORDS:,}.")
        slug = workspace or settings.DEMO_WORKSPACE_SLUG
        is_demo = slug == settings.DEMO_WORKSPACE_SLUG
        started = time.perf_counter()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            target = Workspace.objects.filter(slug=slug).first()
            if target is None and not is_demo:
                raise CommandError(
                    f"No workspace with the slug {slug!r}. Create it with "
                    f"`manage.py create_workspace`, or leave out --workspace to use the demo."
                )
            if if_empty and target is not None and Contact.objects.for_workspace(target).exists():
                if verbosity:
                    if is_demo:
                        self.stdout.write("Demo workspace already loaded.")
                    else:
                        self.stdout.write(f"Workspace {slug!r} already has contacts; skipped.")
                return
            setup = None
            if is_demo:
                try:
                    setup = demo_workspace_get_or_create()
                except ValidationError as error:
                    raise CommandError(f"Could not create the demo workspace: {error}") from None
                target = setup.workspace
            try:
                counts = demo_seed(
                    workspace=target,
                    contacts=contacts,
                    companies=companies,
                    deals=deals,
                    seed=seed,
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
            if with_duplicates and setup is not None and contacts:
                counts["duplicates"] = demo_plant_duplicates(workspace=target, user=setup.user)
        elapsed = time.perf_counter() - started
        if verbosity:
            self._report(target, counts, elapsed, setup)

    def _report(
        self,
        workspace: Workspace,
        counts: dict[str, int],
        elapsed: float,
        setup: DemoSetup | None,
    ) -> None:
        main = ", ".join(
            f"{counts[key]:,} {label}"
            for key, label in (
                ("contacts", "contacts"),
                ("companies", "companies"),
                ("deals", "deals"),
                ("notes", "notes"),
                ("tasks", "tasks"),
                ("activities", "activities"),
                ("timeline_events", "timeline events"),
            )
        )
        total = sum(counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded workspace {workspace.slug!r}: {main} "
                f"({total:,} rows in all) in {elapsed:.1f} s."
            )
        )
        if setup is None:
            return
        if setup.user_created:
            login = f"{settings.DEMO_USER_EMAIL} / {settings.DEMO_USER_PASSWORD}"
        else:
            login = f"{setup.user.email} (an existing user: password unchanged)"
        self.stdout.write(f"Demo login: {login} (also opens /admin/)")
        if setup.workspace_created:
            team = ", ".join(f"{user.email} ({role})" for user, role, _ in setup.team)
            self.stdout.write(f"Demo team: {team}")
            if any(created for _, _, created in setup.team):
                self.stdout.write("The team members created now share the demo password.")
