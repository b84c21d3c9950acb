"""Import throughput: generate an N-row contacts CSV, import it into an empty workspace, then
again into the same workspace in update mode (every row matches a contact).

    .venv/bin/python -m tests.benchmarks.imports --rows 1000000 [--json]

Runs the engine in this process, the way the Celery worker runs it, and reports rows/s end to
end (file read, validation, COPY, set-based writes, timeline and indexes) and peak memory.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Margaret",
    "Linus",
    "Guido",
    "Barbara",
    "Tim",
    "Vint",
    "Radia",
    "Frances",
    "John",
    "Edsger",
    "Hedy",
    "Ken",
    "Dennis",
    "Bjarne",
    "Anders",
    "Yukihiro",
    "Rasmus",
    "Larry",
    "Brendan",
    "James",
    "Niklaus",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Hamilton",
    "Torvalds",
    "Rossum",
    "Liskov",
    "Berners-Lee",
    "Cerf",
    "Perlman",
    "Allen",
    "Backus",
    "Dijkstra",
    "Lamarr",
    "Thompson",
    "Ritchie",
    "Stroustrup",
    "Hejlsberg",
    "Matsumoto",
    "Lerdorf",
    "Wall",
    "Eich",
    "Gosling",
    "Wirth",
]
TITLES = ["CEO", "CTO", "VP Sales", "Engineer", "Account Executive", "Buyer", "Founder", ""]
CITIES = [
    ("London", "United Kingdom"),
    ("Paris", "France"),
    ("Austin", "United States"),
    ("Berlin", "Germany"),
]
STATUSES = ["Lead", "Customer", "Active", ""]


def generate(path: Path, rows: int, *, seed: int = 7, variant: int = 0) -> None:
    """``rows`` people with companies (a few companies hold most of them), half with a phone.
    ``variant`` changes job titles and statuses only: the same people, updated."""
    people = random.Random(seed)
    changes = random.Random(seed + 1 + variant)
    companies = [(f"Company {n}", f"company{n}.example") for n in range(max(1, rows // 10))]
    tags = ["vip", "newsletter", "partner", "event-2026", "churn-risk"]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "First Name",
                "Last Name",
                "Email",
                "Phone Number",
                "Company Name",
                "Website",
                "Job Title",
                "Lead Status",
                "Tags",
                "City",
                "Country/Region",
            ]
        )
        for n in range(rows):
            company, domain = companies[int(people.paretovariate(1.2)) % len(companies)]
            city, country = people.choice(CITIES)
            first, last = people.choice(FIRST), people.choice(LAST)
            chosen_tags = ";".join(people.sample(tags, k=int(people.paretovariate(2)) % 3))
            phone = f"+1415{n % 10_000_000:07d}" if n % 2 == 0 else ""
            writer.writerow(
                [
                    first,
                    last,
                    f"person{n}@{domain}",
                    phone,
                    company,
                    domain,
                    changes.choice(TITLES),
                    changes.choice(STATUSES),
                    chosen_tags,
                    city,
                    country,
                ]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    from crm.embedded import bootstrap

    bootstrap()
    django.setup()
    from django.core.files import File

    from accounts.models import User
    from accounts.services.common import Actor
    from accounts.services.workspaces import workspace_create
    from crm.imports.engine import import_run
    from crm.services.imports import import_create

    workdir = Path(tempfile.mkdtemp(prefix="crm-import-bench-"))
    path = workdir / "contacts.csv"
    updated_path = workdir / "contacts-updated.csv"
    start = time.perf_counter()
    generate(path, args.rows)
    generate(updated_path, args.rows, variant=1)
    generated = time.perf_counter() - start
    owner, _ = User.objects.get_or_create(email="bench-import@example.com", defaults={"name": "B"})
    workspace = workspace_create(name=f"Import bench {int(time.time())}", owner=owner)
    actor = Actor(user=owner, role="owner")
    results: dict[str, Any] = {"rows": args.rows, "file_mb": round(path.stat().st_size / 2**20, 1)}
    for mode, source in (("skip", path), ("update", updated_path)):
        with open(source, "rb") as handle:
            job = import_create(
                workspace=workspace,
                actor=actor,
                object_type="contact",
                file=File(handle, name="contacts.csv"),
                on_duplicate=mode,
            )
        start = time.perf_counter()
        job = import_run(job.pk)
        seconds = time.perf_counter() - start
        results[f"{'new' if mode == 'skip' else 'update'}"] = {
            "seconds": round(seconds, 1),
            "rows_per_s": round(args.rows / seconds),
            "created": job.created,
            "updated": job.updated,
            "failed": job.failed,
        }
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    results["generate_seconds"] = round(generated, 1)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key:18} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
