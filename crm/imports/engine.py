"""The import engine: a file streamed into a staging table with COPY, then written in chunks of
set-based SQL.

1. **Stage** (one transaction): every row is cleaned by :class:`RowCleaner` (the API's rules)
   and COPYed into an unlogged staging table of its own (``import_stage_<job>``), or recorded as
   rejected with its reason. Then, over the whole file at once: duplicates inside the file,
   matches with existing records, and the companies and tags the rows need (created when
   missing). If the worker dies here the transaction rolls back and staging starts again.
2. **Write** (one transaction per chunk of rows): records created or updated, with their
   emails, phones, company links, tags and an "imported" timeline event, each noted in
   ``ImportRecord`` (with the prior values of what it updated, for a revert), and the job's
   counters and its "done" mark moved in the same transaction; chunks are written by two
   connections at once. A restarted worker writes the chunks not marked done: no row is
   written twice, none is lost.

A dry run stops after staging and reports what would happen.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import uuid7
from crm.imports.reader import Table, UnreadableFile, local_path
from crm.imports.rows import RowCleaner, RowError
from crm.models import (
    ImportJob,
    ImportPhase,
    ImportRejectedRow,
    ImportStatus,
    JobStatus,
    OnDuplicate,
)
from crm.models.tags import DEFAULT_TAG_COLOR

# Rows per write transaction (the resume unit). An environment variable only so that the
# killed-worker test can make several chunks out of a small file.
CHUNK_ROWS = int(os.environ.get("CRM_IMPORT_CHUNK_ROWS", "5000"))
# Connections writing chunks at once.
WRITER_THREADS = int(os.environ.get("CRM_IMPORT_WRITERS", "2"))
COPY_BATCH = 5_000
CANCEL_CHECK_ROWS = 50_000


class Cancelled(Exception):
    pass


@dataclass(frozen=True)
class StageColumn:
    name: str
    sql_type: str
    key: str | None = None  # the cleaned row's key, when it is not ``name``


CONTACT_COLUMNS = (
    StageColumn("first_name", "text"),
    StageColumn("last_name", "text"),
    StageColumn("email", "text"),
    StageColumn("email_2", "text"),
    StageColumn("phone", "text"),
    StageColumn("mobile_phone", "text"),
    StageColumn("job_title", "text"),
    StageColumn("company_name", "text", "company.name"),
    StageColumn("company_domain", "text", "company.domain"),
    StageColumn("status", "text"),
    StageColumn("source", "text"),
    StageColumn("owner_id", "uuid"),
    StageColumn("address", "jsonb"),
    StageColumn("tags", "text[]"),
    StageColumn("custom", "jsonb"),
)
COMPANY_COLUMNS = (
    StageColumn("name", "text"),
    StageColumn("domain", "text"),
    StageColumn("industry", "text"),
    StageColumn("relationship", "text"),
    StageColumn("size", "integer"),
    StageColumn("annual_revenue", "numeric"),
    StageColumn("phone", "text"),
    StageColumn("owner_id", "uuid"),
    StageColumn("address", "jsonb"),
    StageColumn("tags", "text[]"),
    StageColumn("custom", "jsonb"),
)
COLUMNS = {"contact": CONTACT_COLUMNS, "company": COMPANY_COLUMNS}


def stage_table(job: ImportJob) -> str:
    return f"import_stage_{job.pk.hex}"


def _json(value: Any) -> str | None:
    return orjson.dumps(value).decode() if value else None


def _cell(row: dict[str, Any], column: StageColumn) -> Any:
    value = row.get(column.key or column.name)
    if value is None:
        return None
    if column.sql_type == "jsonb":
        return _json(value)
    return value


# --- SQL helpers ------------------------------------------------------------------------------


def _execute(sql: str, params: dict[str, Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def _scalar(sql: str, params: dict[str, Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        row = cursor.fetchone()
    return row[0] if row else None


def _counts(sql: str, params: dict[str, Any]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {key: count for key, count in cursor.fetchall()}


@contextmanager
def job_lock(job_id: Any) -> Iterator[bool]:
    """A session-level advisory lock on the job: a second worker handed the same job (a
    redelivered message) leaves it to the first. The lock goes with the first's connection if
    that worker dies."""
    key = uuid.UUID(str(job_id)).int & 0x7FFF_FFFF_FFFF_FFFF
    got = bool(_scalar("SELECT pg_try_advisory_lock(%(k)s)", {"k": key}))
    try:
        yield got
    finally:
        if got:
            _scalar("SELECT pg_advisory_unlock(%(k)s)", {"k": key})


# --- Running a job -------------------------------------------------------------------------


def import_run(job_id: Any) -> ImportJob | None:
    """Run (or resume) an import to its end. Safe to call twice: the second call waits for
    nothing and changes nothing while the first holds the job."""
    with job_lock(job_id) as got:
        if not got:
            return None
        job = ImportJob.objects.select_related("workspace").get(pk=job_id)
        if job.is_finished or job.status == ImportStatus.DRAFT:
            return job
        if job.cancel_requested:
            return _finish(job, JobStatus.CANCELLED)
        if job.status == JobStatus.QUEUED:
            job.status = JobStatus.RUNNING
            job.started_at = timezone.now()
            job.save(update_fields=["status", "started_at", "updated_at"])
        try:
            if job.phase == ImportPhase.STAGING:
                _stage(job)
                if job.dry_run:
                    return _finish(job, JobStatus.SUCCEEDED)
            _write_chunks(job)
            return _finish(job, JobStatus.SUCCEEDED)
        except Cancelled:
            return _finish(job, JobStatus.CANCELLED)
        except UnreadableFile as error:
            return _finish(job, JobStatus.FAILED, str(error))


def _finish(job: ImportJob, status: str, message: str = "") -> ImportJob:
    _execute(f"DROP TABLE IF EXISTS {stage_table(job)}")
    job.refresh_from_db()
    job.status = status
    job.phase = ImportPhase.DONE
    job.message = message
    job.finished_at = timezone.now()
    if status == JobStatus.SUCCEEDED and not job.dry_run:
        job.processed_rows = job.total_rows
    job.save(
        update_fields=["status", "phase", "message", "finished_at", "processed_rows", "updated_at"]
    )
    return job


def _cancel_requested(job: ImportJob) -> bool:
    sql = "SELECT cancel_requested FROM crm_importjob WHERE id = %(id)s"
    return bool(_scalar(sql, {"id": job.pk}))


# --- 1. Staging ----------------------------------------------------------------------------


def _stage(job: ImportJob) -> None:
    with local_path(job.file) as path:
        _stage_from(job, path)


@transaction.atomic
def _stage_from(job: ImportJob, path: Any) -> None:
    table = Table(path, delimiter=job.delimiter or None)
    cleaner = RowCleaner(
        workspace=job.workspace,
        object_type=job.object_type,
        headers=table.info.headers,
        mapping=job.mapping,
        extra_tags=job.options.get("tags") or [],
    )
    columns = COLUMNS[job.object_type]
    name = stage_table(job)
    _execute(f"DROP TABLE IF EXISTS {name}")
    definition = ", ".join(f"{c.name} {c.sql_type}" for c in columns)
    _execute(
        f"CREATE UNLOGGED TABLE {name} (row_number integer PRIMARY KEY, id uuid NOT NULL, "
        f"{definition}, company_id uuid, match_id uuid, dup_of integer, action text)"
    )
    ImportRejectedRow.objects.filter(job=job).delete()
    total = rejected = 0
    copy_sql = f"COPY {name} (row_number, id, {', '.join(c.name for c in columns)}) FROM STDIN"
    reject_sql = "COPY crm_importrejectedrow (job_id, row_number, reason) FROM STDIN"
    good: list[tuple[Any, ...]] = []
    bad: list[tuple[Any, ...]] = []
    raw = connection.connection
    for number, values in table.rows():
        total += 1
        try:
            row = cleaner.clean(values)
        except RowError as error:
            rejected += 1
            bad.append((job.pk, number, str(error)))
        else:
            good.append((number, uuid7(), *[_cell(row, c) for c in columns]))
        if len(good) >= COPY_BATCH:
            _copy(raw, copy_sql, good)
        if len(bad) >= COPY_BATCH:
            _copy(raw, reject_sql, bad)
        if total % CANCEL_CHECK_ROWS == 0 and _cancel_requested(job):
            raise Cancelled
    _copy(raw, copy_sql, good)
    _copy(raw, reject_sql, bad)
    _execute(f"ANALYZE {name}")
    plan = _plan(job, cleaner)
    job.total_rows = total
    job.failed = rejected + plan.pop("rejected", 0)
    if job.dry_run:
        job.created = plan.get("create", 0)
        job.updated = plan.get("update", 0)
        job.skipped = plan.get("skip", 0) + plan.get("duplicate", 0)
        job.companies_created = plan.get("companies", 0)
        job.processed_rows = total
    else:
        job.phase = ImportPhase.PROCESSING
        job.options = {**job.options, "chunks": _chunks(job), "done": []}
        job.skipped = plan.get("skip", 0) + plan.get("duplicate", 0)
        job.companies_created = plan.get("companies", 0)
    job.format, job.encoding, job.delimiter = (
        table.info.format,
        table.info.encoding,
        table.info.delimiter,
    )
    job.save()


def _copy(raw: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            write(row)
    rows.clear()


def _plan(job: ImportJob, cleaner: RowCleaner) -> dict[str, int]:
    """Duplicates in the file, matches with existing records, companies and tags: decided once
    for the whole file. Returns how many rows will be created/updated/skipped."""
    name = stage_table(job)
    params = {"ws": job.workspace_id, "job": job.pk}
    key = _match_expression(job)
    if job.on_duplicate != OnDuplicate.CREATE:
        _execute(
            f"""UPDATE {name} s SET dup_of = d.first
                FROM (SELECT row_number, min(row_number) OVER (PARTITION BY {key}) AS first
                      FROM {name} WHERE {key} IS NOT NULL) d
                WHERE d.row_number = s.row_number AND d.first <> s.row_number"""
        )
    _execute(_match_sql(job), params)
    _execute(
        f"""UPDATE {name} SET action = CASE
              WHEN dup_of IS NOT NULL THEN 'duplicate'
              WHEN match_id IS NOT NULL AND %(mode)s = 'skip' THEN 'skip'
              WHEN match_id IS NOT NULL AND %(mode)s = 'update' THEN 'update'
              ELSE 'create' END""",
        {"mode": job.on_duplicate},
    )
    rejected = _reject_missing_required(job, cleaner)
    if not job.dry_run:
        _create_tags(job)
    companies = _link_companies(job) if job.object_type == "contact" else 0
    if job.on_duplicate == OnDuplicate.UPDATE:
        _mark_unchanged(job)
    counts = _counts(f"SELECT action, count(*) FROM {name} GROUP BY action", params)
    counts["rejected"] = rejected
    counts["companies"] = companies
    counts["skip"] = counts.get("skip", 0) + counts.pop("unchanged", 0)
    return counts


# A matched row changes its record if any cell it brings differs from what the record has,
# or adds an email, phone, company link or tag the record lacks. Rows that change nothing are
# skipped: no write, no timeline entry (a second run of the same file is cheap).
_CHANGES = {
    "contact": """
        (s.first_name IS NOT NULL AND s.first_name IS DISTINCT FROM r.first_name)
        OR (s.last_name IS NOT NULL AND s.last_name IS DISTINCT FROM r.last_name)
        OR (s.job_title IS NOT NULL AND s.job_title IS DISTINCT FROM r.job_title)
        OR (s.status IS NOT NULL AND s.status IS DISTINCT FROM r.status)
        OR (s.owner_id IS NOT NULL AND s.owner_id IS DISTINCT FROM r.owner_id)
        OR (s.address IS NOT NULL AND NOT r.address @> s.address)
        OR (s.custom IS NOT NULL AND NOT r.custom_fields @> s.custom)
        OR (s.company_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm_companymembership m
            WHERE m.contact_id = r.id AND m.company_id = s.company_id))
        OR (s.company_id IS NULL AND %(create_companies)s
            AND (s.company_name IS NOT NULL OR s.company_domain IS NOT NULL))
        OR EXISTS (SELECT 1 FROM unnest(ARRAY[s.email, s.email_2]) v(value)
            WHERE v.value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm_contactemail e
                WHERE e.contact_id = r.id AND lower(e.value) = lower(v.value)))
        OR EXISTS (SELECT 1 FROM unnest(ARRAY[s.phone, s.mobile_phone]) v(value)
            WHERE v.value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm_contactphone p
                WHERE p.contact_id = r.id AND p.value = v.value))
        OR EXISTS (SELECT 1 FROM unnest(s.tags) v(name) WHERE NOT EXISTS (
            SELECT 1 FROM crm_contact_tags x JOIN crm_tag t ON t.id = x.tag_id
            WHERE x.contact_id = r.id AND lower(t.name) = lower(v.name)))""",
    "company": """
        (s.name IS NOT NULL AND s.name IS DISTINCT FROM r.name)
        OR (s.industry IS NOT NULL AND s.industry IS DISTINCT FROM r.industry)
        OR (s.relationship IS NOT NULL AND s.relationship IS DISTINCT FROM r.relationship)
        OR (s.size IS NOT NULL AND s.size IS DISTINCT FROM r.size)
        OR (s.annual_revenue IS NOT NULL AND s.annual_revenue IS DISTINCT FROM r.annual_revenue)
        OR (s.owner_id IS NOT NULL AND s.owner_id IS DISTINCT FROM r.owner_id)
        OR (s.address IS NOT NULL AND NOT r.address @> s.address)
        OR (s.custom IS NOT NULL AND NOT r.custom_fields @> s.custom)
        OR (s.phone IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm_companyphone p
            WHERE p.company_id = r.id AND p.value = s.phone))
        OR EXISTS (SELECT 1 FROM unnest(s.tags) v(name) WHERE NOT EXISTS (
            SELECT 1 FROM crm_company_tags x JOIN crm_tag t ON t.id = x.tag_id
            WHERE x.company_id = r.id AND lower(t.name) = lower(v.name)))""",
}


def _mark_unchanged(job: ImportJob) -> None:
    table = "crm_contact" if job.object_type == "contact" else "crm_company"
    _execute(
        f"""UPDATE {stage_table(job)} s SET action = 'unchanged' FROM {table} r
            WHERE s.action = 'update' AND r.id = s.match_id
              AND NOT ({_CHANGES[job.object_type]})""",
        {"create_companies": bool(job.options.get("create_companies", True))},
    )


def _match_expression(job: ImportJob) -> str:
    """The stage column (SQL) that identifies a record: email, domain, or a custom field."""
    if job.match_on.startswith("custom."):
        return f"(custom ->> {_literal(job.match_on.removeprefix('custom.'))})"
    if job.object_type == "company":
        return "domain" if job.match_on == "domain" else "lower(name)"
    return "lower(email)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _match_sql(job: ImportJob) -> str:
    name = stage_table(job)
    if job.match_on.startswith("custom."):
        key = _literal(job.match_on.removeprefix("custom."))
        table = "crm_contact" if job.object_type == "contact" else "crm_company"
        return f"""UPDATE {name} s SET match_id = r.id FROM {table} r
                   WHERE r.workspace_id = %(ws)s AND s.custom ->> {key} IS NOT NULL
                     AND r.custom_fields ->> {key} = s.custom ->> {key}"""
    if job.object_type == "company":
        if job.match_on == "domain":
            return f"""UPDATE {name} s SET match_id = c.id FROM crm_company c
                       WHERE c.workspace_id = %(ws)s AND s.domain IS NOT NULL
                         AND c.domain = s.domain"""
        return f"""UPDATE {name} s SET match_id = c.id FROM (
                     SELECT DISTINCT ON (lower(name)) id, lower(name) AS lname FROM crm_company
                     WHERE workspace_id = %(ws)s ORDER BY lower(name), created_at) c
                   WHERE c.lname = lower(s.name)"""
    return f"""UPDATE {name} s SET match_id = e.contact_id FROM crm_contactemail e
               WHERE e.workspace_id = %(ws)s AND s.email IS NOT NULL
                 AND lower(e.value) = lower(s.email)"""


def _reject_missing_required(job: ImportJob, cleaner: RowCleaner) -> int:
    """Rows that would create a record without a required custom field are refused (an
    update keeps the value the record has)."""
    keys = cleaner.required_custom_keys
    if not keys:
        return 0
    name = stage_table(job)
    labels = ", ".join(cleaner.custom[k].label for k in keys)
    missing = "action = 'create' AND NOT (coalesce(custom, '{}') ?& %(keys)s)"
    _execute(
        f"""INSERT INTO crm_importrejectedrow (job_id, row_number, reason)
            SELECT %(job)s, row_number, %(reason)s FROM {name} WHERE {missing}""",
        {"job": job.pk, "keys": keys, "reason": f"Required custom fields missing: {labels}."},
    )
    return _execute(f"UPDATE {name} SET action = 'rejected' WHERE {missing}", {"keys": keys})


def _create_tags(job: ImportJob) -> None:
    _execute(
        f"""INSERT INTO crm_tag (id, workspace_id, name, color, created_at, updated_at)
            SELECT crm_uuid7(), %(ws)s, t.name, %(color)s, now(), now()
            FROM (SELECT DISTINCT ON (lower(tag)) tag AS name
                  FROM {stage_table(job)}, unnest(tags) AS tag
                  WHERE action IN ('create', 'update') ORDER BY lower(tag)) t
            ON CONFLICT DO NOTHING""",
        {"ws": job.workspace_id, "color": DEFAULT_TAG_COLOR},
    )


def _link_companies(job: ImportJob) -> int:
    """Contacts' companies by domain, then by name; missing ones created when the job says
    so. Returns how many companies are (or, in a dry run, would be) created."""
    name = stage_table(job)
    params = {"ws": job.workspace_id, "job": job.pk}
    link = f"""
        UPDATE {name} s SET company_id = c.id FROM crm_company c
        WHERE c.workspace_id = %(ws)s AND s.company_domain IS NOT NULL
          AND c.domain = s.company_domain;
        UPDATE {name} s SET company_id = c.id FROM (
            SELECT DISTINCT ON (lower(name)) id, lower(name) AS lname FROM crm_company
            WHERE workspace_id = %(ws)s ORDER BY lower(name), created_at) c
        WHERE s.company_id IS NULL AND s.company_name IS NOT NULL
          AND c.lname = lower(s.company_name)"""
    _execute(link, params)
    if not job.options.get("create_companies", True):
        return 0
    missing = f"""
        SELECT DISTINCT ON (coalesce(company_domain, lower(company_name)))
               coalesce(company_name, company_domain) AS name, company_domain AS domain
        FROM {name}
        WHERE company_id IS NULL AND action IN ('create', 'update')
          AND (company_name IS NOT NULL OR company_domain IS NOT NULL)
        ORDER BY coalesce(company_domain, lower(company_name)), row_number"""
    if job.dry_run:
        return _scalar(f"SELECT count(*) FROM ({missing}) m", params)
    created = _execute(
        f"""WITH new AS (
              INSERT INTO crm_company (id, workspace_id, name, domain, industry, relationship,
                  lifecycle, address, custom_fields, created_at, updated_at)
              SELECT crm_uuid7(), %(ws)s, left(m.name, 200), coalesce(m.domain, ''), '',
                     'prospect', 'active', '{{}}', '{{}}', now(), now()
              FROM ({missing}) m
              ON CONFLICT DO NOTHING
              RETURNING id, name)
            , rec AS (
              INSERT INTO crm_importrecord (job_id, object_type, record_id, action)
              SELECT %(job)s, 'company', id, 'created' FROM new)
            INSERT INTO crm_timelineevent (id, workspace_id, subject_type, subject_id, verb,
                actor_id, actor_api_key_id, actor_name, changes, data, created_at, updated_at)
            SELECT crm_uuid7(), %(ws)s, 'company', id, 'imported', %(actor)s, %(key)s,
                   %(actor_name)s, '[]', jsonb_build_object('import_id', %(job)s::text,
                   'filename', %(filename)s::text, 'action', 'created', 'name', name),
                   now(), now()
            FROM new""",
        {**params, **_actor(job)},
    )
    _execute(link, params)
    return created


def _actor(job: ImportJob) -> dict[str, Any]:
    name = ""
    if job.created_by_id:
        user = job.created_by
        name = user.name or user.email
    elif job.api_key_id:
        name = job.api_key.name
    return {
        "actor": job.created_by_id,
        "key": job.api_key_id,
        "actor_name": name,
        "filename": job.filename,
    }


# --- 2. Writing chunks ---------------------------------------------------------------------


def _chunks(job: ImportJob) -> list[list[int]]:
    """The file cut into chunks of about ``CHUNK_ROWS`` staged rows: ``[lo, hi, rows]`` (row
    numbers ``lo < n <= hi``, and how many rows of the file, rejected ones included, that
    is). Decided once, at the end of staging, and kept on the job: a resumed job cuts the
    same way whatever the setting is then."""
    name = stage_table(job)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT max(row_number) FROM (
                    SELECT row_number, (row_number() OVER (ORDER BY row_number) - 1) / %(n)s AS c
                    FROM {name}) numbered
                GROUP BY c ORDER BY c""",
            {"n": CHUNK_ROWS},
        )
        ends = [row[0] for row in cursor.fetchall()]
        last_rejected = _scalar(
            "SELECT coalesce(max(row_number), 0) FROM crm_importrejectedrow WHERE job_id = %(j)s",
            {"j": job.pk},
        )
        if not ends:
            return []
        ends[-1] = max(ends[-1], last_rejected)
        bounds = list(zip([0, *ends[:-1]], ends, strict=True))
        cursor.execute(
            f"""SELECT b.lo, b.hi,
                       (SELECT count(*) FROM {name} s WHERE s.row_number > b.lo
                          AND s.row_number <= b.hi)
                     + (SELECT count(*) FROM crm_importrejectedrow r WHERE r.job_id = %(j)s
                          AND r.row_number > b.lo AND r.row_number <= b.hi)
                FROM unnest(%(lo)s::int[], %(hi)s::int[]) AS b(lo, hi) ORDER BY b.lo""",
            {"j": job.pk, "lo": [lo for lo, _ in bounds], "hi": [hi for _, hi in bounds]},
        )
        return [[lo, hi, rows] for lo, hi, rows in cursor.fetchall()]


def _write_chunks(job: ImportJob) -> None:
    """Every chunk not yet written, by ``WRITER_THREADS`` connections at once (PostgreSQL then
    works on more than one core); chunks are independent: duplicates inside the file, matches,
    companies and tags were settled at staging."""
    done = set(job.options.get("done", []))
    pending = [c for c in job.options.get("chunks", []) if c[0] not in done]
    if WRITER_THREADS < 2 or connection.in_atomic_block or len(pending) < 2:
        for chunk in pending:
            _write_chunk(job, chunk)
        return
    with ThreadPoolExecutor(max_workers=WRITER_THREADS, thread_name_prefix="import") as pool:
        futures = [pool.submit(_write_chunk_in_thread, job.pk, chunk) for chunk in pending]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _write_chunk_in_thread(job_id: Any, chunk: list[int]) -> None:
    try:
        job = ImportJob.objects.select_related("workspace", "created_by", "api_key").get(pk=job_id)
        _write_chunk(job, chunk)
    finally:
        connection.close()


@transaction.atomic
def _write_chunk(job: ImportJob, chunk: list[int]) -> None:
    lo, hi, rows = chunk
    if _cancel_requested(job):
        raise Cancelled
    _bulk_write_settings()
    params = {
        "ws": job.workspace_id,
        "job": job.pk,
        "lo": lo,
        "hi": hi,
        "now": timezone.now(),
        **_actor(job),
    }
    writer = WRITERS[job.object_type]
    created, updated, conflicts = writer(job, params)
    # Last, so that the job's row is locked only for the commit: counters and the chunk's
    # "done" mark land in the same transaction as its rows.
    _execute(
        """UPDATE crm_importjob SET
               created = created + %(created)s, updated = updated + %(updated)s,
               failed = failed + %(conflicts)s,
               processed_rows = LEAST(processed_rows + %(rows)s, total_rows),
               last_row = GREATEST(last_row, %(hi)s),
               options = jsonb_set(options, '{done}',
                                   coalesce(options -> 'done', '[]') || to_jsonb(%(lo)s::int)),
               updated_at = now()
           WHERE id = %(job)s""",
        {
            "created": created,
            "updated": updated,
            "conflicts": conflicts,
            "rows": rows,
            "hi": hi,
            "lo": lo,
            "job": job.pk,
        },
    )


def _cond(action: str) -> str:
    """The chunk's staged rows in one state (SQL condition on alias ``s``)."""
    return f"s.row_number > %(lo)s AND s.row_number <= %(hi)s AND s.action = '{action}'"


def _chunk(name: str, action: str) -> str:
    return f"{name} s WHERE {_cond(action)}"


def _bulk_write_settings() -> None:
    """For this transaction only: GIN indexes (search vector, name trigrams, custom fields)
    take new entries into their pending list instead of merging each one (autovacuum merges
    them later), and the commit does not wait for the WAL flush (a crash may lose the last
    chunk's commit, which the job then simply writes again: its resume point is in the same
    transaction)."""
    _execute("SET LOCAL gin_pending_list_limit = '64MB'")
    _execute("SET LOCAL synchronous_commit = off")


def _runner(params: dict[str, Any]) -> Callable[[str], int]:
    def run(sql: str) -> int:
        return _execute(sql, params)

    return run


def _event_sql(name: str, subject_type: str, stage_action: str, label_sql: str) -> str:
    """One "imported" timeline event per record the chunk created or updated."""
    created = stage_action == "created"
    return f"""
        INSERT INTO crm_timelineevent (id, workspace_id, subject_type, subject_id, verb,
            actor_id, actor_api_key_id, actor_name, changes, data, created_at, updated_at)
        SELECT crm_uuid7(), %(ws)s, '{subject_type}', {"s.id" if created else "s.match_id"},
               'imported', %(actor)s, %(key)s, %(actor_name)s, '[]',
               jsonb_build_object('import_id', %(job)s::text, 'filename', %(filename)s::text,
                                  'action', '{"created" if created else "updated"}',
                                  'name', {label_sql}),
               %(now)s, %(now)s
        FROM {_chunk(name, stage_action)}"""


def _link_tags(run: Callable[[str], int], name: str, object_type: str, stage_action: str) -> None:
    record = "s.id" if stage_action == "created" else "s.match_id"
    run(
        f"""INSERT INTO crm_{object_type}_tags ({object_type}_id, tag_id)
            SELECT DISTINCT {record}, t.id
            FROM {name} s
            CROSS JOIN LATERAL unnest(s.tags) AS tag(name)
            JOIN crm_tag t ON t.workspace_id = %(ws)s AND lower(t.name) = lower(tag.name)
            WHERE {_cond(stage_action)} AND s.tags IS NOT NULL
            ON CONFLICT DO NOTHING"""
    )


def _mark_created(run: Callable[[str], int], name: str, table: str, reason: str) -> tuple[int, int]:
    """After the INSERT … ON CONFLICT DO NOTHING: rows whose record now exists are 'created';
    the rest hit a unique value someone else holds and are rejected with ``reason``."""
    run(
        f"""UPDATE {name} s SET action = 'created' FROM {table} r
            WHERE r.id = s.id AND s.row_number > %(lo)s AND s.row_number <= %(hi)s
              AND s.action = 'create'"""
    )
    conflicts = run(
        f"""INSERT INTO crm_importrejectedrow (job_id, row_number, reason)
            SELECT %(job)s, s.row_number, {_literal(reason)} FROM {_chunk(name, "create")}"""
    )
    object_type = table.removeprefix("crm_")
    created = run(
        f"""INSERT INTO crm_importrecord (job_id, object_type, record_id, action, row_number)
            SELECT %(job)s, '{object_type}', s.id, 'created', s.row_number
            FROM {_chunk(name, "created")}"""
    )
    return created, conflicts


def _write_contacts(job: ImportJob, params: dict[str, Any]) -> tuple[int, int, int]:
    name = stage_table(job)
    run = _runner(params)
    # New contacts, then everything that hangs off them.
    run(
        f"""INSERT INTO crm_contact (id, workspace_id, first_name, last_name, email, job_title,
                company_id, status, source, owner_id, address, social_profiles, custom_fields,
                engagement_score, created_at, updated_at)
            SELECT s.id, %(ws)s, coalesce(s.first_name, ''), coalesce(s.last_name, ''),
                   coalesce(s.email, s.email_2, ''), coalesce(s.job_title, ''), s.company_id,
                   coalesce(s.status, 'lead'), coalesce(s.source, 'import'), s.owner_id,
                   coalesce(s.address, '{{}}'), '[]', coalesce(s.custom, '{{}}'), 0,
                   %(now)s, %(now)s
            FROM {_chunk(name, "create")}
            ORDER BY s.row_number
            ON CONFLICT DO NOTHING"""
    )
    created, conflicts = _mark_created(
        run, name, "crm_contact", "Email: another contact in this workspace has this email."
    )
    run(
        f"""INSERT INTO crm_contactemail (id, workspace_id, contact_id, value, label,
                is_primary, created_at, updated_at)
            SELECT crm_uuid7(), %(ws)s, s.id, e.value, e.label, e.is_primary, %(now)s, %(now)s
            FROM {name} s
            CROSS JOIN LATERAL (VALUES (coalesce(s.email, s.email_2), 'work', true),
                                       (CASE WHEN s.email IS NOT NULL THEN s.email_2 END,
                                        'personal', false)) AS e(value, label, is_primary)
            WHERE {_cond("created")} AND e.value IS NOT NULL"""
    )
    run(
        f"""INSERT INTO crm_contactphone (id, workspace_id, contact_id, value, label,
                is_primary, created_at, updated_at)
            SELECT crm_uuid7(), %(ws)s, s.id, p.value, p.label, p.is_primary, %(now)s, %(now)s
            FROM {name} s
            CROSS JOIN LATERAL (VALUES (s.phone, 'work', true),
                                       (s.mobile_phone, 'mobile', s.phone IS NULL))
                 AS p(value, label, is_primary)
            WHERE {_cond("created")} AND p.value IS NOT NULL"""
    )
    run(
        f"""INSERT INTO crm_companymembership (id, workspace_id, contact_id, company_id, role,
                is_primary, created_at, updated_at)
            SELECT crm_uuid7(), %(ws)s, s.id, s.company_id, coalesce(s.job_title, ''), true,
                   %(now)s, %(now)s
            FROM {_chunk(name, "created")} AND s.company_id IS NOT NULL"""
    )
    _link_tags(run, name, "contact", "created")
    run(_event_sql(name, "contact", "created", _contact_label("s")))
    updated = 0
    if job.on_duplicate == OnDuplicate.UPDATE:
        updated = _update_contacts(run, name)
    return created, updated, conflicts


def _contact_label(alias: str) -> str:
    return (
        f"coalesce(nullif(btrim(coalesce({alias}.first_name, '') || ' ' || "
        f"coalesce({alias}.last_name, '')), ''), {alias}.email, {alias}.email_2, '')"
    )


def _update_contacts(run: Callable[[str], int], name: str) -> int:
    updated = run(
        f"""INSERT INTO crm_importrecord (job_id, object_type, record_id, action, row_number,
                before)
            SELECT %(job)s, 'contact', c.id, 'updated', s.row_number, jsonb_build_object(
                'first_name', c.first_name, 'last_name', c.last_name, 'job_title', c.job_title,
                'company_id', c.company_id, 'status', c.status, 'owner_id', c.owner_id,
                'address', c.address, 'custom_fields', c.custom_fields,
                'emails', (SELECT coalesce(jsonb_agg(e.id), '[]') FROM crm_contactemail e
                           WHERE e.contact_id = c.id),
                'phones', (SELECT coalesce(jsonb_agg(p.id), '[]') FROM crm_contactphone p
                           WHERE p.contact_id = c.id),
                'memberships', (SELECT coalesce(jsonb_agg(m.id), '[]')
                                FROM crm_companymembership m WHERE m.contact_id = c.id),
                'tags', (SELECT coalesce(jsonb_agg(t.tag_id), '[]') FROM crm_contact_tags t
                         WHERE t.contact_id = c.id))
            FROM {name} s JOIN crm_contact c ON c.id = s.match_id
            WHERE {_cond("update")}
            ON CONFLICT DO NOTHING"""
    )
    run(
        f"""INSERT INTO crm_companymembership (id, workspace_id, contact_id, company_id, role,
                is_primary, created_at, updated_at)
            SELECT crm_uuid7(), %(ws)s, c.id, s.company_id, coalesce(s.job_title, ''),
                   c.company_id IS NULL, %(now)s, %(now)s
            FROM {name} s JOIN crm_contact c ON c.id = s.match_id
            WHERE {_cond("update")} AND s.company_id IS NOT NULL
            ON CONFLICT DO NOTHING"""
    )
    run(
        f"""UPDATE crm_contact c SET
                first_name = coalesce(s.first_name, c.first_name),
                last_name = coalesce(s.last_name, c.last_name),
                job_title = coalesce(s.job_title, c.job_title),
                status = coalesce(s.status, c.status),
                owner_id = coalesce(s.owner_id, c.owner_id),
                company_id = coalesce(c.company_id, s.company_id),
                address = c.address || coalesce(s.address, '{{}}'),
                custom_fields = c.custom_fields || coalesce(s.custom, '{{}}'),
                updated_at = %(now)s
            FROM {_chunk(name, "update")} AND c.id = s.match_id"""
    )
    for column, label in (("email", "work"), ("email_2", "personal")):
        run(
            f"""INSERT INTO crm_contactemail (id, workspace_id, contact_id, value, label,
                    is_primary, created_at, updated_at)
                SELECT crm_uuid7(), %(ws)s, s.match_id, s.{column}, '{label}', false,
                       %(now)s, %(now)s
                FROM {_chunk(name, "update")} AND s.{column} IS NOT NULL
                ON CONFLICT DO NOTHING"""
        )
    for column, label in (("phone", "work"), ("mobile_phone", "mobile")):
        run(
            f"""INSERT INTO crm_contactphone (id, workspace_id, contact_id, value, label,
                    is_primary, created_at, updated_at)
                SELECT crm_uuid7(), %(ws)s, s.match_id, s.{column}, '{label}',
                       NOT EXISTS (SELECT 1 FROM crm_contactphone p
                                   WHERE p.contact_id = s.match_id AND p.is_primary),
                       %(now)s, %(now)s
                FROM {_chunk(name, "update")} AND s.{column} IS NOT NULL
                ON CONFLICT DO NOTHING"""
        )
    _link_tags(run, name, "contact", "update")
    run(_event_sql(name, "contact", "update", _contact_label("s")))
    return updated


def _write_companies(job: ImportJob, params: dict[str, Any]) -> tuple[int, int, int]:
    name = stage_table(job)
    run = _runner(params)
    run(
        f"""INSERT INTO crm_company (id, workspace_id, name, domain, industry, relationship,
                lifecycle, size, annual_revenue, owner_id, address, custom_fields,
                created_at, updated_at)
            SELECT s.id, %(ws)s, s.name, coalesce(s.domain, ''), coalesce(s.industry, ''),
                   coalesce(s.relationship, 'prospect'), 'active', s.size, s.annual_revenue,
                   s.owner_id, coalesce(s.address, '{{}}'), coalesce(s.custom, '{{}}'),
                   %(now)s, %(now)s
            FROM {_chunk(name, "create")}
            ORDER BY s.row_number
            ON CONFLICT DO NOTHING"""
    )
    created, conflicts = _mark_created(
        run, name, "crm_company", "Domain: another company in this workspace has this domain."
    )
    run(
        f"""INSERT INTO crm_companyphone (id, workspace_id, company_id, value, label,
                is_primary, created_at, updated_at)
            SELECT crm_uuid7(), %(ws)s, s.id, s.phone, 'work', true, %(now)s, %(now)s
            FROM {_chunk(name, "created")} AND s.phone IS NOT NULL"""
    )
    _link_tags(run, name, "company", "created")
    run(_event_sql(name, "company", "created", "s.name"))
    updated = 0
    if job.on_duplicate == OnDuplicate.UPDATE:
        updated = run(
            f"""INSERT INTO crm_importrecord (job_id, object_type, record_id, action,
                    row_number, before)
                SELECT %(job)s, 'company', c.id, 'updated', s.row_number, jsonb_build_object(
                    'name', c.name, 'industry', c.industry, 'relationship', c.relationship,
                    'size', c.size, 'annual_revenue', c.annual_revenue, 'owner_id', c.owner_id,
                    'address', c.address, 'custom_fields', c.custom_fields,
                    'phones', (SELECT coalesce(jsonb_agg(p.id), '[]') FROM crm_companyphone p
                               WHERE p.company_id = c.id),
                    'tags', (SELECT coalesce(jsonb_agg(t.tag_id), '[]') FROM crm_company_tags t
                             WHERE t.company_id = c.id))
                FROM {name} s JOIN crm_company c ON c.id = s.match_id
                WHERE {_cond("update")}
                ON CONFLICT DO NOTHING"""
        )
        run(
            f"""UPDATE crm_company c SET
                    name = coalesce(s.name, c.name),
                    industry = coalesce(s.industry, c.industry),
                    relationship = coalesce(s.relationship, c.relationship),
                    size = coalesce(s.size, c.size),
                    annual_revenue = coalesce(s.annual_revenue, c.annual_revenue),
                    owner_id = coalesce(s.owner_id, c.owner_id),
                    address = c.address || coalesce(s.address, '{{}}'),
                    custom_fields = c.custom_fields || coalesce(s.custom, '{{}}'),
                    updated_at = %(now)s
                FROM {_chunk(name, "update")} AND c.id = s.match_id"""
        )
        run(
            f"""INSERT INTO crm_companyphone (id, workspace_id, company_id, value, label,
                    is_primary, created_at, updated_at)
                SELECT crm_uuid7(), %(ws)s, s.match_id, s.phone, 'work',
                       NOT EXISTS (SELECT 1 FROM crm_companyphone p
                                   WHERE p.company_id = s.match_id AND p.is_primary),
                       %(now)s, %(now)s
                FROM {_chunk(name, "update")} AND s.phone IS NOT NULL
                ON CONFLICT DO NOTHING"""
        )
        _link_tags(run, name, "company", "update")
        run(_event_sql(name, "company", "update", "s.name"))
    return created, updated, conflicts


WRITERS: dict[str, Callable[[ImportJob, dict[str, Any]], tuple[int, int, int]]] = {
    "contact": _write_contacts,
    "company": _write_companies,
}


# --- Revert ----------------------------------------------------------------------------------

REVERT_CHUNK = 2_000

_RESTORE = {
    "contact": """
        UPDATE crm_contact c SET
            first_name = r.before ->> 'first_name', last_name = r.before ->> 'last_name',
            job_title = r.before ->> 'job_title', status = r.before ->> 'status',
            company_id = (r.before ->> 'company_id')::uuid,
            owner_id = (r.before ->> 'owner_id')::uuid,
            address = r.before -> 'address', custom_fields = r.before -> 'custom_fields',
            updated_at = now()
        FROM crm_importrecord r WHERE r.id = ANY(%(ids)s) AND c.id = r.record_id;
        DELETE FROM crm_contactemail x USING crm_importrecord r
        WHERE r.id = ANY(%(ids)s) AND x.contact_id = r.record_id
          AND NOT (r.before -> 'emails') ? x.id::text;
        DELETE FROM crm_contactphone x USING crm_importrecord r
        WHERE r.id = ANY(%(ids)s) AND x.contact_id = r.record_id
          AND NOT (r.before -> 'phones') ? x.id::text;
        DELETE FROM crm_companymembership x USING crm_importrecord r
        WHERE r.id = ANY(%(ids)s) AND x.contact_id = r.record_id
          AND NOT (r.before -> 'memberships') ? x.id::text;
        DELETE FROM crm_contact_tags x USING crm_importrecord r
        WHERE r.id = ANY(%(ids)s) AND x.contact_id = r.record_id
          AND NOT (r.before -> 'tags') ? x.tag_id::text""",
    "company": """
        UPDATE crm_company c SET
            name = r.before ->> 'name', industry = r.before ->> 'industry',
            relationship = r.before ->> 'relationship', size = (r.before ->> 'size')::integer,
            annual_revenue = (r.before ->> 'annual_revenue')::numeric,
            owner_id = (r.before ->> 'owner_id')::uuid,
            address = r.before -> 'address', custom_fields = r.before -> 'custom_fields',
            updated_at = now()
        FROM crm_importrecord r WHERE r.id = ANY(%(ids)s) AND c.id = r.record_id;
        DELETE FROM crm_companyphone x USING crm_importrecord r
        WHERE r.id = ANY(%(ids)s) AND x.company_id = r.record_id
          AND NOT (r.before -> 'phones') ? x.id::text;
        DELETE FROM crm_company_tags x USING crm_importrecord r
        WHERE r.id = ANY(%(ids)s) AND x.company_id = r.record_id
          AND NOT (r.before -> 'tags') ? x.tag_id::text""",
}


def import_revert_run(job_id: Any) -> ImportJob | None:
    """Undo an import in chunks: records it updated get their prior values back, records it
    created are deleted (with their notes, tasks and timeline). Each chunk removes its
    ``ImportRecord`` rows in the same transaction, so a restarted worker picks up the rest."""
    with job_lock(job_id) as got:
        if not got:
            return None
        job = ImportJob.objects.get(pk=job_id)
        if job.revert_status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return job
        ImportJob.objects.filter(pk=job.pk).update(revert_status=JobStatus.RUNNING)
        order = [
            ("updated", "contact"),
            ("updated", "company"),
            ("created", "contact"),
            ("created", "company"),
        ]
        for action, object_type in order:
            while _revert_chunk(job, action, object_type):
                pass
        ImportJob.objects.filter(pk=job.pk).update(
            revert_status=JobStatus.SUCCEEDED, reverted_at=timezone.now()
        )
        job.refresh_from_db()
        return job


@transaction.atomic
def _revert_chunk(job: ImportJob, action: str, object_type: str) -> int:
    from crm.models import ImportRecord
    from crm.registry import subject_kind
    from crm.services.subjects import subjects_delete_attachments

    chunk = list(
        ImportRecord.objects.filter(job=job, action=action, object_type=object_type)
        .order_by("id")
        .values_list("id", "record_id")[:REVERT_CHUNK]
    )
    if not chunk:
        return 0
    ids = [pk for pk, _ in chunk]
    records = [record for _, record in chunk]
    events = {"ws": job.workspace_id, "records": records, "job": str(job.pk)}
    if action == "updated":
        _execute(_RESTORE[object_type], {"ids": ids})
        _execute(
            """DELETE FROM crm_timelineevent WHERE workspace_id = %(ws)s
               AND subject_id = ANY(%(records)s) AND verb = 'imported'
               AND data ->> 'import_id' = %(job)s""",
            events,
        )
    else:
        subjects_delete_attachments(
            workspace=job.workspace, subject_type=object_type, subject_ids=records
        )
        model = subject_kind(object_type).model
        model.objects.filter(workspace=job.workspace, pk__in=records).delete()
    ImportRecord.objects.filter(pk__in=ids).delete()
    ImportJob.objects.filter(pk=job.pk).update(
        reverted_rows=F("reverted_rows") + len(ids), updated_at=timezone.now()
    )
    return len(ids)
