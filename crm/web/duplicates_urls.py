"""The duplicates review queue (included from crm/urls.py under /duplicates/)."""

from django.urls import path

from crm.web import duplicates as views

app_name = "duplicates"

urlpatterns = [
    path("", views.duplicates, name="list"),
    path("merge/", views.merge, name="merge"),
    path("not-duplicates/", views.not_duplicates, name="dismiss"),
    path("merge-all/", views.merge_all, name="merge_all"),
    path("jobs/<uuid:pk>/", views.merge_job, name="job"),
    path("jobs/<uuid:pk>/undo/", views.merge_job_undo_view, name="job_undo"),
    path("merges/<uuid:pk>/undo/", views.undo, name="undo"),
]
