"""``make run``: migrate, load the demo once, then serve with a Celery worker until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and a Celery worker (what `make run` does)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data")

    def handle(self, *args: Any, port: int, no_demo: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            call_command("seed_demo", if_empty=True, with_duplicates=True, verbosity=1)

        # SIGTERM (a supervisor, CI) ends the run like Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        python = sys.executable
        children = [
            subprocess.Popen(  # noqa: S603 - our own interpreter
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "crm",
                    "worker",
                    "--beat",
                    f"--schedule={settings.BASE_DIR / 'var' / 'celerybeat-schedule'}",
                    "--loglevel=INFO",
                    "--concurrency=2",
                    "--without-gossip",
                    "--without-mingle",
                ],
            ),
            subprocess.Popen(  # noqa: S603
                [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            ),
        ]
        url = f"http://127.0.0.1:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  CRM is starting at {url}\n"
                f"  Demo login: {settings.DEMO_USER_EMAIL} / {settings.DEMO_USER_PASSWORD}\n"
                f"  Admin:      {url}/admin/\n"
                "  Press Ctrl-C to stop (the embedded PostgreSQL and Redis stop with it).\n"
            )
        )
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A child process exited; stopping.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
