"""Workspace-wide search: contacts, companies and (registered by ``pipelines``) deals, ranked
and grouped.

Each group is one SQL query that matches three ways, and ranks them in three tiers so that a
better kind of match always comes first (``score`` is a float in 0..1):

* exact — the whole name, an email address or a company domain, ignoring case: ``1.0``;
* full text — every word as a prefix (``jo:* & sm:*``, type-ahead) over the generated
  ``simple``-dictionary ``search_vector`` column (GIN index): ``0.6``-``0.9``, by ``SearchRank``
  and closeness of the name;
* fuzzy — ``pg_trgm`` similarity of ``lower(name)`` (GIN trigram index) for misspellings
  ("Jonh Smiht" finds "John Smith"): ``0``-``0.5``.

``crm`` must not import ``pipelines``: the deal group is registered from
``pipelines/dashboard.py`` with :func:`register_search_group`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connection, transaction
from django.db.models import (
    Case,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Greatest, Lower

from accounts.models import Workspace
from crm.models import Company, Contact, ContactEmail
from crm.normalize import normalize_domain

MIN_QUERY_LENGTH = 2
DEFAULT_LIMIT = 5
MAX_LIMIT = 20
# pg_trgm's defaults (0.3 / 0.6) miss two transposed letters in a short name ("Jonh Smiht" is
# 0.29 similar to "John Smith"); these are set for the search transaction only (set_config
# with is_local), so the `%` and `%>` operators can still use the trigram indexes.
SIMILARITY_THRESHOLD = 0.25
WORD_SIMILARITY_THRESHOLD = 0.5


@dataclass(frozen=True)
class SearchTerms:
    """One search request's text, prepared once for every group."""

    text: str  # stripped
    lowered: str
    full_text: SearchQuery | None  # None when no word is left (e.g. only punctuation)
    domain: str  # the text as a company domain, or ""

    @classmethod
    def parse(cls, text: str) -> SearchTerms:
        text = " ".join(text.split())
        words = re.findall(r"[\w@.+-]+", text)
        # Characters with a meaning in tsquery syntax are dropped from each word.
        cleaned = [re.sub(r"[&|!():*<>'\\]", "", word) for word in words[:10]]
        cleaned = [word for word in cleaned if word]
        full_text = (
            SearchQuery(
                " & ".join(f"{word}:*" for word in cleaned), config="simple", search_type="raw"
            )
            if cleaned
            else None
        )
        try:
            domain = normalize_domain(text) if "." in text and " " not in text else ""
        except Exception:  # not a domain: it is simply not matched as one
            domain = ""
        return cls(text=text, lowered=text.lower(), full_text=full_text, domain=domain)


@dataclass(frozen=True)
class SearchGroup:
    """A kind of record that search covers: ``key`` in the response, ``type`` in ``types=``,
    the scope a credential needs to see it, and the function that finds hits."""

    key: str
    type: str
    scope: str
    search: Callable[[Workspace, SearchTerms, int], list[dict[str, Any]]]


_groups: dict[str, SearchGroup] = {}


def register_search_group(
    key: str,
    *,
    type: str,
    scope: str,
    search: Callable[[Workspace, SearchTerms, int], list[dict[str, Any]]],
) -> None:
    _groups[type] = SearchGroup(key=key, type=type, scope=scope, search=search)


def search_groups() -> dict[str, SearchGroup]:
    """Registered groups by type, in response order (contacts, companies, deals)."""
    return dict(_groups)


def ranked(
    queryset: QuerySet,
    terms: SearchTerms,
    *,
    name: str,
    exact: Q,
    limit: int,
) -> QuerySet:
    """``queryset`` narrowed to rows matching ``terms`` and ordered best first, each with a
    ``score``. ``name`` is the column whose ``lower()`` has a GIN trigram index; ``exact`` is
    what counts as an exact hit besides the whole name."""
    queryset = queryset.annotate(_name=Lower(name))
    exact = exact | Q(_name=terms.lowered)
    fuzzy_score = Greatest(
        TrigramSimilarity("_name", Value(terms.lowered)),
        TrigramWordSimilarity(Value(terms.lowered), "_name"),
        output_field=FloatField(),
    )
    matches = (
        exact
        | Q(_name__trigram_similar=terms.lowered)
        | Q(_name__trigram_word_similar=terms.lowered)
    )
    whens = [When(exact, then=Value(1.0))]
    if terms.full_text is not None:
        text_match = Q(search_vector=terms.full_text)
        matches |= text_match
        # ts_rank normalised with rank/(rank+1) (flag 32) is below 1.
        rank = SearchRank(F("search_vector"), terms.full_text, normalization=32)
        whens.append(
            When(
                text_match,
                then=Value(0.6) + Value(0.2) * rank + Value(0.1) * fuzzy_score,
            )
        )
    score = Case(*whens, default=Value(0.5) * fuzzy_score, output_field=FloatField())
    return (
        queryset.filter(matches)
        .annotate(score=Cast(score, FloatField()))
        .order_by("-score", "_name", "pk")[:limit]
    )


def _round(score: float | None) -> float:
    return round(min(max(float(score or 0.0), 0.0), 1.0), 4)


def hit(pk: Any, title: str, subtitle: str, score: float | None) -> dict[str, Any]:
    return {"id": str(pk), "title": title, "subtitle": subtitle, "score": _round(score)}


def _search_contacts(workspace: Workspace, terms: SearchTerms, limit: int) -> list[dict]:
    # lower(email) and email <> '' as in the partial unique index on (workspace, lower(email))
    # (iexact's upper() would not use it), so the planner can OR it with the GIN indexes.
    exact = Q(_email=terms.lowered) & ~Q(email="")
    if "@" in terms.text:
        # Secondary addresses too (index on workspace, lower(value)).
        exact |= Q(
            pk__in=ContactEmail.objects.for_workspace(workspace)
            .annotate(_value=Lower("value"))
            .filter(_value=terms.lowered)
            .values("contact_id")
        )
    rows = ranked(
        Contact.objects.for_workspace(workspace)
        .select_related("company")
        .annotate(_email=Lower("email")),
        terms,
        name="full_name",
        exact=exact,
        limit=limit,
    )
    hits = []
    for contact in rows:
        parts = [contact.job_title, contact.company.name if contact.company else ""]
        subtitle = " · ".join(part for part in parts if part)
        if not subtitle and contact.full_name:
            subtitle = contact.email
        hits.append(hit(contact.pk, contact.full_name or contact.email, subtitle, contact.score))
    return hits


def _search_companies(workspace: Workspace, terms: SearchTerms, limit: int) -> list[dict]:
    # As for emails: the shape of the partial unique index on (workspace, lower(domain)).
    exact = Q(_domain=terms.domain) & ~Q(domain="") if terms.domain else Q(pk__in=[])
    rows = ranked(
        Company.objects.for_workspace(workspace).annotate(_domain=Lower("domain")),
        terms,
        name="name",
        exact=exact,
        limit=limit,
    )
    return [hit(company.pk, company.name, company.domain, company.score) for company in rows]


register_search_group("contacts", type="contact", scope="contacts:read", search=_search_contacts)
register_search_group("companies", type="company", scope="companies:read", search=_search_companies)


def workspace_search(
    *, workspace: Workspace, text: str, types: list[str], limit: int = DEFAULT_LIMIT
) -> dict[str, list[dict[str, Any]]]:
    """The best ``limit`` hits of each group in ``types`` (registered types; the caller has
    checked scopes), one query per group."""
    terms = SearchTerms.parse(text)
    groups = [group for type_, group in _groups.items() if type_ in types]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true),"
                " set_config('pg_trgm.word_similarity_threshold', %s, true)",
                [str(SIMILARITY_THRESHOLD), str(WORD_SIMILARITY_THRESHOLD)],
            )
        return {group.key: group.search(workspace, terms, limit) for group in groups}
