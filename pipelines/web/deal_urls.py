"""Deal list and record pages (included from crm/urls.py). Names match crm.registry's
url_name for deals ("pipelines:deal_detail")."""

from django.urls import path

from pipelines.web import deals

app_name = "pipelines"

urlpatterns = [
    path("deals/", deals.deal_list, name="deal_list"),
    path("deals/new/", deals.deal_create_view, name="deal_create"),
    path("deals/<uuid:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<uuid:pk>/summary/", deals.deal_summary, name="deal_summary"),
    path("deals/<uuid:pk>/delete/", deals.deal_delete_view, name="deal_delete"),
]
