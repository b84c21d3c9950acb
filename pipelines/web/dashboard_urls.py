"""Page URLs of this part of the web app (included from crm/urls.py)."""

from django.urls import path

from pipelines.web import dashboard

urlpatterns: list = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
]
