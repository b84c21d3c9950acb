"""The signed-in home page and the error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from accounts.api.errors import json_error
from crm import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The current workspace at a glance: record counts and the latest timeline events.

    A user who belongs to no workspace gets a page that says how to join one.
    """
    workspace = request.workspace
    if not workspace:
        return render(request, "crm/no_workspace.html")
    context = {
        "counts": selectors.workspace_counts(workspace=workspace),
        "recent_events": selectors.recent_events(workspace=workspace, limit=15),
    }
    return render(request, "crm/home.html", context)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error(404)
    return render(request, "errors/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error(403)
    return render(request, "errors/403.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error(400)
    return HttpResponse("Bad request", status=400, content_type="text/plain")


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request or context processors, which may be what failed."""
    if _is_api(request):
        return json_error(500)
    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
