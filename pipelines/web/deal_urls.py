"""Deal list and record pages (included from crm/urls.py). Names match crm.registry's
url_name for deals ("pipelines:deal_detail")."""

from django.urls import path

from crm.web import exports, lists
from pipelines.web import deal_contacts, deals

app_name = "pipelines"

urlpatterns = [
    path("deals/", deals.deal_list, name="deal_list"),
    path("deals/new/", deals.deal_create_view, name="deal_create"),
    path("deals/columns/", lists.list_columns, {"spec": deals.DEAL_LIST}, name="deal_columns"),
    path("deals/bulk/", lists.list_bulk, {"spec": deals.DEAL_LIST}, name="deal_bulk"),
    path("deals/export.csv", lists.list_export, {"spec": deals.DEAL_LIST}, name="deal_export"),
    path(
        "deals/export/", exports.export_start, {"spec": deals.DEAL_LIST}, name="deal_export_start"
    ),
    path("deals/<uuid:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<uuid:pk>/summary/", deals.deal_summary, name="deal_summary"),
    path("deals/<uuid:pk>/delete/", deals.deal_delete_view, name="deal_delete"),
    *deal_contacts.DEAL_CONTACTS.urls("deals/<uuid:pk>/people/"),
]
