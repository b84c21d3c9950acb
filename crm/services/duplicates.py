"""Finding likely duplicate contacts and companies over the existing data.

Candidate pairs come from set-based SQL, each with a reason and a score:

- the same email address (any of a person's emails, case-insensitive) — 0.95;
- the same phone number (stored in E.164) — 0.8;
- similar names (pg_trgm similarity ≥ 0.6) within one block: people of the same company with
  the same initial of the last name; companies with the same first three letters of the name
  (legal suffixes such as "Inc" or "GmbH" ignored) — 0.5 + half the similarity.

Blocking keeps the comparisons near-linear in the number of records. Pairs someone marked
"not a duplicate" are left out. Pairs are joined into groups (records linked by any pair).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Workspace
from accounts.services.common import Actor
from crm.models import Company, Contact, ContactEmail, NotDuplicate

SIMILARITY = 0.6
LEGAL_SUFFIXES = (
    r"\m(inc|incorporated|llc|ltd|limited|gmbh|sa|sas|sarl|bv|ag|plc|co|corp|corporation)\M\.?"
)

# Each query gives either groups of ids sharing a key (``"group"``: one array per row, joined
# into a chain of pairs, so a value shared by k records costs k, not k²), or scored pairs
# (``"pairs"``: two ids and a similarity), compared only inside small blocks.
PAIR_SQL: dict[str, list[tuple[str, float | None, str, str]]] = {
    "contact": [
        (
            "same email",
            0.95,
            "group",
            """SELECT array_agg(DISTINCT contact_id) FROM crm_contactemail
               WHERE workspace_id = %(ws)s
               GROUP BY lower(value) HAVING count(DISTINCT contact_id) > 1""",
        ),
        (
            "same phone",
            0.8,
            "group",
            """SELECT array_agg(DISTINCT contact_id) FROM crm_contactphone
               WHERE workspace_id = %(ws)s
               GROUP BY value HAVING count(DISTINCT contact_id) > 1""",
        ),
        (
            "same name, same company",
            0.85,
            "group",
            """SELECT array_agg(id) FROM crm_contact
               WHERE workspace_id = %(ws)s AND company_id IS NOT NULL AND full_name <> ''
               GROUP BY company_id, lower(full_name) HAVING count(*) > 1""",
        ),
        (
            "similar name, same company",
            None,
            "pairs",
            """WITH c AS (
                 SELECT id, company_id, lower(full_name) AS n,
                        left(lower(last_name), 2) || left(lower(first_name), 1) AS k
                 FROM crm_contact
                 WHERE workspace_id = %(ws)s AND company_id IS NOT NULL AND full_name <> ''),
               blocks AS (
                 SELECT company_id, k FROM c GROUP BY company_id, k
                 HAVING count(*) BETWEEN 2 AND %(block)s)
               SELECT a.id, b.id, similarity(a.n, b.n)
               FROM c a
               JOIN blocks USING (company_id, k)
               JOIN c b ON b.company_id = a.company_id AND b.k = a.k AND b.id > a.id
               WHERE a.n <> b.n AND similarity(a.n, b.n) >= %(similarity)s""",
        ),
    ],
    "company": [
        (
            "same phone",
            0.8,
            "group",
            """SELECT array_agg(DISTINCT company_id) FROM crm_companyphone
               WHERE workspace_id = %(ws)s
               GROUP BY value HAVING count(DISTINCT company_id) > 1""",
        ),
        (
            "similar name",
            None,
            "pairs",
            """WITH names AS (
                 SELECT id, btrim(regexp_replace(lower(name), %(suffixes)s, '', 'g')) AS n
                 FROM crm_company WHERE workspace_id = %(ws)s),
               keyed AS (SELECT id, n, left(n, 3) AS k FROM names WHERE n <> ''),
               blocks AS (SELECT k FROM keyed GROUP BY k HAVING count(*) BETWEEN 2 AND %(block)s)
               SELECT a.id, b.id, similarity(a.n, b.n)
               FROM keyed a JOIN blocks USING (k) JOIN keyed b ON b.k = a.k AND b.id > a.id
               WHERE similarity(a.n, b.n) >= %(similarity)s""",
        ),
    ],
}
BLOCK_LIMIT = 200  # records compared pairwise at most per block (bigger ones: exact keys only)
GROUP_RECORDS = 25  # records shown per group


@dataclass
class Group:
    ids: set[str] = field(default_factory=set)
    score: float = 0.0
    reasons: set[str] = field(default_factory=set)


def _pairs(workspace: Workspace, object_type: str) -> dict[tuple[str, str], tuple[float, set[str]]]:
    found: dict[tuple[str, str], tuple[float, set[str]]] = {}
    params = {
        "ws": workspace.pk,
        "similarity": SIMILARITY,
        "suffixes": LEGAL_SUFFIXES,
        "block": BLOCK_LIMIT,
    }

    def add(a: Any, b: Any, value: float, reason: str) -> None:
        pair = (str(a), str(b)) if str(a) < str(b) else (str(b), str(a))
        best, reasons = found.get(pair, (0.0, set()))
        found[pair] = (max(best, value), reasons | {reason})

    with connection.cursor() as cursor:
        for reason, score, kind, sql in PAIR_SQL[object_type]:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                if kind == "group":
                    ids = sorted(str(i) for i in row[0])
                    for a, b in itertools.pairwise(ids):
                        add(a, b, float(score or 0), reason)
                else:
                    add(row[0], row[1], 0.5 + float(row[2]) / 2, reason)
    dismissed = {
        (str(a), str(b))
        for a, b in NotDuplicate.objects.for_workspace(workspace)
        .filter(object_type=object_type)
        .values_list("first_id", "second_id")
    }
    return {pair: value for pair, value in found.items() if pair not in dismissed}


def duplicate_groups(
    *, workspace: Workspace, object_type: str, limit: int = 50
) -> list[dict[str, Any]]:
    """Groups of likely duplicates, best first: ``{"score", "reasons", "records"}`` where each
    record is ``{"id", "title", "subtitle"}``."""
    if object_type not in ("contact", "company"):
        raise ValidationError({"object_type": ["Must be contact or company."]})
    pairs = _pairs(workspace, object_type)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[str, Group] = defaultdict(Group)
    for (a, b), (score, reasons) in pairs.items():
        group = groups[find(a)]
        group.ids |= {a, b}
        group.score = max(group.score, score)
        group.reasons |= reasons
    ranked = sorted(groups.values(), key=lambda g: (-g.score, -len(g.ids), min(g.ids)))[:limit]
    shown = {g_id: sorted(g.ids)[:GROUP_RECORDS] for g_id, g in enumerate(ranked)}
    records = _describe(workspace, object_type, {i for ids in shown.values() for i in ids})
    return [
        {
            "score": round(g.score, 2),
            "reasons": sorted(g.reasons),
            "size": len(g.ids),
            "records": sorted(
                (records[i] for i in shown[g_id] if i in records), key=lambda r: r["created_at"]
            ),
        }
        for g_id, g in enumerate(ranked)
    ]


def _describe(workspace: Workspace, object_type: str, ids: set[str]) -> dict[str, dict[str, Any]]:
    if object_type == "contact":
        rows = Contact.objects.for_workspace(workspace).filter(pk__in=ids).select_related("company")
        return {
            str(c.pk): {
                "id": str(c.pk),
                "title": c.display_name,
                "subtitle": " · ".join(
                    x for x in (c.email, c.company.name if c.company else "") if x
                ),
                "created_at": c.created_at.isoformat(),
            }
            for c in rows
        }
    return {
        str(c.pk): {
            "id": str(c.pk),
            "title": c.name,
            "subtitle": c.domain,
            "created_at": c.created_at.isoformat(),
        }
        for c in Company.objects.for_workspace(workspace).filter(pk__in=ids)
    }


def not_duplicate_mark(
    *, workspace: Workspace, actor: Actor, object_type: str, ids: list[Any]
) -> int:
    """Remember that these records are different people (or companies); returns how many
    pairs were recorded."""
    model = {"contact": Contact, "company": Company}.get(object_type)
    if model is None:
        raise ValidationError({"object_type": ["Must be contact or company."]})
    found = sorted(
        str(pk)
        for pk in model.objects.for_workspace(workspace)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    if len(found) < 2 or len(found) != len(set(map(str, ids))):
        raise ValidationError({"ids": ["Give two or more records of this workspace."]})
    rows = [
        NotDuplicate(
            workspace=workspace,
            object_type=object_type,
            first_id=a,
            second_id=b,
            created_by=actor.user,
        )
        for i, a in enumerate(found)
        for b in found[i + 1 :]
    ]
    NotDuplicate.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def likely_duplicates(
    *, workspace: Workspace, object_type: str, data: dict[str, Any], limit: int = 5
) -> list[dict[str, Any]]:
    """Existing records a new one (``data`` as given to the create service) probably repeats:
    same email or phone, or a similar name at the same company (for companies: a similar
    name or the same phone). Each ``{"id", "title", "subtitle", "reasons"}``."""
    from django.contrib.postgres.search import TrigramSimilarity
    from django.db.models.functions import Lower

    from crm.normalize import normalize_email, normalize_phone

    reasons: dict[str, set[str]] = defaultdict(set)

    def values(key: str, many: str, normalize: Any) -> list[str]:
        raw = [data.get(key)] + [
            item.get("value") if isinstance(item, dict) else item for item in data.get(many) or []
        ]
        out = []
        for value in raw:
            if not value:
                continue
            try:
                out.append(normalize(str(value)))
            except ValidationError:
                continue
        return out

    phones = values("phone", "phones", normalize_phone)
    if object_type == "contact":
        emails = [e.lower() for e in values("email", "emails", normalize_email)]
        if emails:
            matches = (
                ContactEmail.objects.for_workspace(workspace)
                .annotate(lowered=Lower("value"))
                .filter(lowered__in=emails)
                .values_list("contact_id", flat=True)[:limit]
            )
            for pk in matches:
                reasons[str(pk)].add("same email")
        if phones:
            for pk in (
                Contact.objects.for_workspace(workspace)
                .filter(phones__value__in=phones)
                .values_list("pk", flat=True)[:limit]
            ):
                reasons[str(pk)].add("same phone")
        name = f"{data.get('first_name') or ''} {data.get('last_name') or ''}".strip().lower()
        company = data.get("company")
        company_id = getattr(company, "pk", company)
        if name and company_id:
            similar = (
                Contact.objects.for_workspace(workspace)
                .filter(company_id=company_id)
                .annotate(similarity=TrigramSimilarity(Lower("full_name"), name))
                .filter(similarity__gte=SIMILARITY)
                .values_list("pk", flat=True)[:limit]
            )
            for pk in similar:
                reasons[str(pk)].add("similar name, same company")
    else:
        name = (data.get("name") or "").strip().lower()
        if name:
            similar = (
                Company.objects.for_workspace(workspace)
                .annotate(similarity=TrigramSimilarity(Lower("name"), name))
                .filter(similarity__gte=0.7)
                .order_by("-similarity")
                .values_list("pk", flat=True)[:limit]
            )
            for pk in similar:
                reasons[str(pk)].add("similar name")
        if phones:
            for pk in (
                Company.objects.for_workspace(workspace)
                .filter(phones__value__in=phones)
                .values_list("pk", flat=True)[:limit]
            ):
                reasons[str(pk)].add("same phone")
    if not reasons:
        return []
    described = _describe(workspace, object_type, set(reasons))
    return [
        {**{k: v for k, v in described[pk].items() if k != "created_at"}, "reasons": sorted(why)}
        for pk, why in reasons.items()
        if pk in described
    ][:limit]
