"""Root URLs."""

from django.contrib import admin
from django.urls import include, path

from crm import views
from crm.health import healthz

admin.site.site_header = "CRM administration"
admin.site.site_title = "CRM admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("", include("crm.web.records_urls")),
    path("", include("crm.web.search_urls")),
    path("settings/", include("crm.web.settings_urls")),
    path("imports/", include("crm.web.imports_urls")),
    path("duplicates/", include("crm.web.duplicates_urls")),
    path("exports/", include("crm.web.exports_urls")),
    path("", include("pipelines.web.board_urls")),
    path("", include("pipelines.web.deal_urls")),
    path("", include("pipelines.web.dashboard_urls")),
    path("admin/", admin.site.urls),
    path("api/", include("crm.api_urls")),
]

handler404 = "crm.views.page_not_found"
handler403 = "crm.views.permission_denied"
handler500 = "crm.views.server_error"
handler400 = "crm.views.bad_request"
