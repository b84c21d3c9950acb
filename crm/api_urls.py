"""``/api/``: v1 resources of every app, the OpenAPI schema and its docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api.views import MeView
from crm.views import page_not_found

v1 = [
    path("me", MeView.as_view(), name="me"),
    path("", include("crm.api.urls")),
    path("", include("crm.api.companies_urls")),
    path("", include("crm.api.activity_urls")),
    path("", include("crm.api.search_urls")),
    path("", include("pipelines.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    # Anything else under /api/ is a JSON 404, never an HTML page.
    re_path(r"^.*$", page_not_found),
]
