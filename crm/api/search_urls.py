"""URLs of this part of the API (included from crm/api_urls.py)."""

from django.urls import path

from crm.api.search import DashboardView, SearchView

urlpatterns: list = [
    path("search", SearchView.as_view(), name="search"),
    path("dashboard", DashboardView.as_view(), name="dashboard"),
]
