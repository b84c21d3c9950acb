"""Workspace search as a page: ``/search/?q=…`` ranks contacts, companies and deals with
``crm.search`` (typo-tolerant) and groups them. The top bar's type-ahead asks the same URL
with ``HX-Request`` and gets only the dropdown (``#dropdown`` partial).

One query per group, whatever the number of records.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.search import MIN_QUERY_LENGTH, search_groups, workspace_search

DROPDOWN_LIMIT = 5
PAGE_LIMIT = 20
MAX_QUERY_LENGTH = 200
# Record pages by path (not URL name): they are built elsewhere and may come later.
PATHS = {"contacts": "/contacts/", "companies": "/companies/", "deals": "/deals/"}
LABELS = {"contacts": "Contacts", "companies": "Companies", "deals": "Deals"}
ICONS = {"contacts": "contacts", "companies": "companies", "deals": "deals"}


def results_for(workspace, text: str, limit: int) -> list[dict]:
    """Non-empty groups, each with its label, icon and hits (each hit with its ``url``)."""
    if len(text) < MIN_QUERY_LENGTH:
        return []
    found = workspace_search(
        workspace=workspace, text=text, types=list(search_groups()), limit=limit
    )
    groups = []
    for key, hits in found.items():
        if not hits:
            continue
        for item in hits:
            item["url"] = f"{PATHS.get(key, '/')}{item['id']}/"
        groups.append(
            {
                "key": key,
                "label": LABELS.get(key, key.title()),
                "icon": ICONS.get(key, "search"),
                "hits": hits,
            }
        )
    return groups


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    if not request.workspace:
        return render(request, "crm/no_workspace.html")
    text = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    dropdown = bool(request.htmx)
    groups = results_for(request.workspace, text, DROPDOWN_LIMIT if dropdown else PAGE_LIMIT)
    context = {
        "q": text,
        "groups": groups,
        "total": sum(len(group["hits"]) for group in groups),
        "too_short": 0 < len(text) < MIN_QUERY_LENGTH,
        "min_length": MIN_QUERY_LENGTH,
    }
    template = "crm/search/results.html#dropdown" if dropdown else "crm/search/results.html"
    return render(request, template, context)
