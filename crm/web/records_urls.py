"""Contact and company pages, and the timeline/notes/tasks/activities of any record
(included from crm/urls.py). Names match crm.registry's url_name ("crm:contact_detail")."""

from django.urls import path

from crm.web import exports, lists, records, records_related, records_timeline

app_name = "crm"

SUBJECT = "records/<str:subject_type>/<uuid:pk>"

urlpatterns = [
    path("contacts/", records.contact_list, name="contact_list"),
    path("contacts/new/", records.contact_create_view, name="contact_create"),
    path(
        "contacts/columns/",
        lists.list_columns,
        {"spec": records.CONTACT_LIST},
        name="contact_columns",
    ),
    path("contacts/bulk/", lists.list_bulk, {"spec": records.CONTACT_LIST}, name="contact_bulk"),
    path(
        "contacts/export.csv",
        lists.list_export,
        {"spec": records.CONTACT_LIST},
        name="contact_export",
    ),
    path(
        "contacts/export/",
        exports.export_start,
        {"spec": records.CONTACT_LIST},
        name="contact_export_start",
    ),
    path("contacts/<uuid:pk>/", records.contact_detail, name="contact_detail"),
    path("contacts/<uuid:pk>/summary/", records.contact_summary, name="contact_summary"),
    path("contacts/<uuid:pk>/delete/", records.contact_delete_view, name="contact_delete"),
    path("companies/", records.company_list, name="company_list"),
    path("companies/new/", records.company_create_view, name="company_create"),
    path(
        "companies/columns/",
        lists.list_columns,
        {"spec": records.COMPANY_LIST},
        name="company_columns",
    ),
    path("companies/bulk/", lists.list_bulk, {"spec": records.COMPANY_LIST}, name="company_bulk"),
    path(
        "companies/export.csv",
        lists.list_export,
        {"spec": records.COMPANY_LIST},
        name="company_export",
    ),
    path(
        "companies/export/",
        exports.export_start,
        {"spec": records.COMPANY_LIST},
        name="company_export_start",
    ),
    path("companies/<uuid:pk>/", records.company_detail, name="company_detail"),
    path("companies/<uuid:pk>/summary/", records.company_summary, name="company_summary"),
    path("companies/<uuid:pk>/delete/", records.company_delete_view, name="company_delete"),
    path(f"{SUBJECT}/timeline/", records_timeline.timeline, name="record_timeline"),
    path(f"{SUBJECT}/notes/", records_timeline.add, {"kind": "note"}, name="record_note"),
    path(f"{SUBJECT}/tasks/", records_timeline.add, {"kind": "task"}, name="record_task"),
    path(
        f"{SUBJECT}/activities/",
        records_timeline.add,
        {"kind": "activity"},
        name="record_activity",
    ),
    path("records/markdown-preview/", records_timeline.markdown_preview, name="markdown_preview"),
    *records_related.CONTACT_COMPANIES.urls("contacts/<uuid:pk>/companies/"),
    *records_related.COMPANY_PEOPLE.urls("companies/<uuid:pk>/people/"),
    path("records/pick/<str:kind>/", records_related.related_pick, name="related_pick"),
]
