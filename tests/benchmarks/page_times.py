"""Server time of the two heaviest pages: a board with 1,000 open deals and a contact page whose
timeline holds 500 events.

Runs in-process through Django's test client (no network, no browser), so the figure is the
time the server spends building the page: middleware, queries and template rendering.

    DATABASE_URL=... REDIS_URL=... SECRET_KEY=x .venv/bin/python -m tests.benchmarks.page_times

It builds its data once in its own workspace (slug ``bench-pages``) through the services, the
way a user's clicks would, and reuses it on later runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from typing import Any

WORKSPACE_SLUG = "bench-pages"
OPEN_DEALS = 1000
TIMELINE_EVENTS = 500


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    from crm.embedded import bootstrap

    bootstrap()
    django.setup()


def build() -> dict[str, Any]:
    """The workspace, its board's pipeline and the busy contact (created on first run)."""
    from accounts.models import User, Workspace
    from accounts.services.common import Actor
    from accounts.services.workspaces import workspace_create
    from crm.models import Contact
    from crm.services.activity import activity_create, note_create, task_create
    from crm.services.companies import company_create
    from crm.services.contacts import contact_create, contact_update
    from pipelines.models import Pipeline, StageKind
    from pipelines.services.deals import deal_create

    workspace = Workspace.objects.filter(slug=WORKSPACE_SLUG).first()
    if workspace is not None:
        owner = workspace.memberships.get(role="owner").user
        pipeline = Pipeline.objects.for_workspace(workspace).order_by("position").first()
        contact = Contact.objects.for_workspace(workspace).get(email="busy@example.com")
        return {"workspace": workspace, "user": owner, "pipeline": pipeline, "contact": contact}

    owner, _ = User.objects.get_or_create(email="bench-pages@example.com", defaults={"name": "B"})
    workspace = workspace_create(name="Bench pages", owner=owner, slug=WORKSPACE_SLUG)
    actor = Actor(user=owner, role="owner")
    pipeline = Pipeline.objects.for_workspace(workspace).order_by("position").first()
    stages = list(pipeline.stages.filter(kind=StageKind.OPEN).order_by("position"))
    companies = [
        company_create(workspace=workspace, actor=actor, name=f"Company {n}") for n in range(50)
    ]
    for n in range(OPEN_DEALS):
        deal_create(
            workspace=workspace,
            actor=actor,
            title=f"Deal {n}",
            pipeline=pipeline,
            stage=stages[n % len(stages)],
            amount=Decimal(1000 + n),
            currency="USD" if n % 5 else "GBP",
            owner=owner,
            company=companies[n % len(companies)],
        )
    contact = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Busy",
        last_name="Person",
        email="busy@example.com",
        company=companies[0],
    )
    # contact_create wrote one event; the rest is a mix of what a real timeline holds.
    for n in range(TIMELINE_EVENTS - 1):
        kind = n % 4
        if kind == 0:
            note_create(
                workspace=workspace,
                actor=actor,
                subject_type="contact",
                subject_id=contact.id,
                body=f"**Call notes {n}**\n\n- asked about pricing\n- follow up next week",
            )
        elif kind == 1:
            activity_create(
                workspace=workspace,
                actor=actor,
                type=("call", "email", "meeting")[n % 3],
                subject_type="contact",
                subject_id=contact.id,
                subject=f"Touchpoint {n}",
                body="Discussed the renewal.",
            )
        elif kind == 2:
            task_create(
                workspace=workspace,
                actor=actor,
                title=f"Follow up {n}",
                subject_type="contact",
                subject_id=contact.id,
            )
        else:
            contact.refresh_from_db()
            contact_update(contact=contact, actor=actor, data={"job_title": f"Title {n}"})
    return {"workspace": workspace, "user": owner, "pipeline": pipeline, "contact": contact}


def measure(client: Any, url: str, runs: int) -> dict[str, Any]:
    from django.db import connection, reset_queries

    for _ in range(3):  # warm caches and connections
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    # Counted by hand: the request signals reset a CaptureQueriesContext's log.
    connection.force_debug_cursor = True
    reset_queries()
    client.get(url)
    queries = list(connection.queries)
    connection.force_debug_cursor = False
    times = []
    size = 0
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        size = len(response.content)
    times.sort()
    return {
        "url": url,
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "queries": len(queries),
        "bytes": size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    _setup_django()
    from django.core.management import call_command
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)  # as production serves them
    data = build()
    client = Client()
    client.force_login(data["user"])
    session = client.session
    session["workspace_id"] = str(data["workspace"].id)
    session.save()
    results = {
        "board_1000_open_deals": measure(
            client, f"/pipelines/{data['pipeline'].id}/board", args.runs
        ),
        "contact_page_500_events": measure(client, f"/contacts/{data['contact'].id}/", args.runs),
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, row in results.items():
            print(
                f"{name:28} median {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
                f"{row['queries']:3} queries  {row['bytes'] // 1024} KiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
