from django.urls import path

from crm.api import attachments, imports, merges, views
from crm.api.base import BulkJobViewSet

contact_list = views.ContactViewSet.as_view({"get": "list", "post": "create"})
contact_detail = views.ContactViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "put": "update", "delete": "destroy"}
)
membership_list = views.CompanyMembershipViewSet.as_view({"get": "list", "post": "create"})
membership_detail = views.CompanyMembershipViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "put": "update", "delete": "destroy"}
)

attachment_list = attachments.AttachmentViewSet.as_view({"get": "list", "post": "create"})
attachment_detail = attachments.AttachmentViewSet.as_view({"get": "retrieve", "delete": "destroy"})
attachment_download = attachments.AttachmentViewSet.as_view({"get": "download"})

import_list = imports.ImportViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    path("imports", import_list, name="import-list"),
    path(
        "imports/<str:pk>", imports.ImportViewSet.as_view({"get": "retrieve"}), name="import-detail"
    ),
    path(
        "imports/<str:pk>/errors",
        imports.ImportViewSet.as_view({"get": "errors"}),
        name="import-errors",
    ),
    path(
        "imports/<str:pk>/cancel",
        imports.ImportViewSet.as_view({"post": "cancel"}),
        name="import-cancel",
    ),
    path(
        "imports/<str:pk>/revert",
        imports.ImportViewSet.as_view({"post": "revert"}),
        name="import-revert",
    ),
    path("attachments", attachment_list, name="attachment-list"),
    path("attachments/<str:pk>", attachment_detail, name="attachment-detail"),
    path("attachments/<str:pk>/download", attachment_download, name="attachment-download"),
    path("contacts", contact_list, name="contact-list"),
    path("contacts/query", views.ContactViewSet.as_view({"post": "query"}), name="contact-query"),
    path("contacts/bulk", views.ContactViewSet.as_view({"post": "bulk"}), name="contact-bulk"),
    path("contacts/merge", views.ContactViewSet.as_view({"post": "merge"}), name="contact-merge"),
    path("merges", merges.MergeJobViewSet.as_view({"post": "create"}), name="merge-list"),
    path(
        "merges/<str:pk>", merges.MergeJobViewSet.as_view({"get": "retrieve"}), name="merge-detail"
    ),
    path(
        "merges/<str:pk>/undo", merges.MergeJobViewSet.as_view({"post": "undo"}), name="merge-undo"
    ),
    path("duplicates", merges.DuplicateViewSet.as_view({"get": "list"}), name="duplicate-list"),
    path(
        "duplicates/not-duplicates",
        merges.DuplicateViewSet.as_view({"post": "not_duplicates"}),
        name="duplicate-dismiss",
    ),
    path(
        "contacts/bulk-update",
        views.ContactViewSet.as_view({"post": "bulk_update"}),
        name="contact-bulk-update",
    ),
    path(
        "contacts/bulk-delete",
        views.ContactViewSet.as_view({"post": "bulk_delete"}),
        name="contact-bulk-delete",
    ),
    path("bulk-jobs/<str:pk>", BulkJobViewSet.as_view({"get": "retrieve"}), name="bulk-job"),
    path("contacts/<str:pk>", contact_detail, name="contact-detail"),
    path(
        "contacts/<str:contact_pk>/company-memberships",
        membership_list,
        name="contact-membership-list",
    ),
    path(
        "contacts/<str:contact_pk>/company-memberships/<str:pk>",
        membership_detail,
        name="contact-membership-detail",
    ),
]
