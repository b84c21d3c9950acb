"""Background list exports (included from crm/urls.py under /exports/)."""

from django.urls import path

from crm.web import exports as views

app_name = "exports"

urlpatterns = [
    path("<uuid:pk>/", views.export_detail, name="detail"),
    path("<uuid:pk>/download/", views.export_download, name="download"),
]
