"""The duplicates review queue (included from crm/urls.py under /duplicates/)."""

from django.urls import path

from crm.web import duplicates as views

app_name = "duplicates"

urlpatterns = [
    path("", views.duplicates, name="list"),
    path("merge/", views.merge, name="merge"),
    path("not-duplicates/", views.not_duplicates, name="dismiss"),
    path("merges/<uuid:pk>/undo/", views.undo, name="undo"),
]
