"""The import wizard's pages (included from crm/urls.py under /imports/)."""

from django.urls import path

from crm.web import imports as views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("<uuid:pk>/", views.import_detail, name="detail"),
    path("<uuid:pk>/mapping/", views.import_mapping, name="mapping"),
    path("<uuid:pk>/run/", views.import_run, name="run"),
    path("<uuid:pk>/cancel/", views.import_cancel_view, name="cancel"),
    path("<uuid:pk>/revert/", views.import_revert_view, name="revert"),
    path("<uuid:pk>/errors.csv", views.import_errors, name="errors"),
]
