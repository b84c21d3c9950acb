"""Simple list filters of deals (query parameters) and of the board."""

from __future__ import annotations

import uuid

import django_filters
from django.db.models import Q, QuerySet

from crm.api.filters import WorkspaceFilterSet
from pipelines.models import Deal, DealContact, DealStatus


class DealFilter(WorkspaceFilterSet):
    pipeline = django_filters.UUIDFilter(field_name="pipeline_id")
    stage = django_filters.UUIDFilter(field_name="stage_id")
    status = django_filters.ChoiceFilter(choices=DealStatus.choices)
    owner = django_filters.CharFilter(method="filter_owner")
    contact = django_filters.UUIDFilter(method="filter_contact")
    company = django_filters.CharFilter(method="filter_company")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    close_after = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="gte")
    close_before = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="lte")
    tags = django_filters.CharFilter(method="filter_tags")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Deal
        fields: list[str] = []

    def filter_contact(self, queryset: QuerySet, name: str, value: uuid.UUID) -> QuerySet:
        return queryset.filter(
            pk__in=DealContact.objects.filter(contact_id=value).values("deal_id")
        )

    def filter_company(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """A company id, or part of its name."""
        try:
            return queryset.filter(company_id=uuid.UUID(value))
        except ValueError:
            return queryset.filter(Q(company__name__unaccent__icontains=value))


class BoardFilter(WorkspaceFilterSet):
    owner = django_filters.CharFilter(method="filter_owner")
    tags = django_filters.CharFilter(method="filter_tags")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Deal
        fields: list[str] = []
