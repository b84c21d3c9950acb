"""URLs of this part of the API (included from crm/api_urls.py): companies, tags, lists and
custom field definitions."""

from django.urls import path

from crm.api.companies import CompanyViewSet
from crm.api.companies_custom_fields import CustomFieldViewSet
from crm.api.companies_tags import ListViewSet, TagViewSet

DETAIL = {"get": "retrieve", "patch": "partial_update", "put": "update", "delete": "destroy"}
COLLECTION = {"get": "list", "post": "create"}

urlpatterns = [
    path("companies", CompanyViewSet.as_view(COLLECTION), name="company-list"),
    path("companies/query", CompanyViewSet.as_view({"post": "query"}), name="company-query"),
    path("companies/merge", CompanyViewSet.as_view({"post": "merge"}), name="company-merge"),
    path(
        "companies/bulk-update",
        CompanyViewSet.as_view({"post": "bulk_update"}),
        name="company-bulk-update",
    ),
    path(
        "companies/bulk-delete",
        CompanyViewSet.as_view({"post": "bulk_delete"}),
        name="company-bulk-delete",
    ),
    path("companies/<str:pk>", CompanyViewSet.as_view(DETAIL), name="company-detail"),
    path(
        "companies/<str:pk>/contacts",
        CompanyViewSet.as_view({"get": "contacts"}),
        name="company-contacts",
    ),
    path("tags", TagViewSet.as_view(COLLECTION), name="tag-list"),
    path("tags/<str:pk>", TagViewSet.as_view(DETAIL), name="tag-detail"),
    path("lists", ListViewSet.as_view(COLLECTION), name="list-list"),
    path("lists/<str:pk>", ListViewSet.as_view(DETAIL), name="list-detail"),
    path(
        "lists/<str:pk>/members",
        ListViewSet.as_view({"get": "members", "post": "add_members", "delete": "remove_members"}),
        name="list-members",
    ),
    path("custom-fields", CustomFieldViewSet.as_view(COLLECTION), name="custom-field-list"),
    path("custom-fields/<str:pk>", CustomFieldViewSet.as_view(DETAIL), name="custom-field-detail"),
]
