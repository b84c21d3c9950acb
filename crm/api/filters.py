"""Simple list filters (query parameters), one FilterSet per model; ``query=`` and ``q`` are
shared by every list."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError

from crm.models import Company, Contact, ContactSource, ContactStatus, Lifecycle, Relationship


def owner_q(value: str, user: Any, field: str = "owner") -> Q:
    """``owner=me|unassigned|<user id>``."""
    if value == "me":
        if user is None or not getattr(user, "is_authenticated", False):
            raise ValidationError({field: ["'me' needs a signed-in user, not an API key."]})
        return Q(**{f"{field}_id": user.pk})
    if value == "unassigned":
        return Q(**{f"{field}__isnull": True})
    try:
        return Q(**{f"{field}_id": uuid.UUID(value)})
    except ValueError:
        raise ValidationError({field: ["Use a user id, 'me' or 'unassigned'."]}) from None


def all_tags_q(model: type, names: str) -> Q:
    """Records that carry every one of the comma-separated tag names."""
    q = Q()
    through = model.tags.through
    column = f"{model._meta.model_name}_id"
    for name in {n.strip().lower() for n in names.split(",") if n.strip()}:
        q &= Q(pk__in=through.objects.filter(tag__name__iexact=name).values(column))
    return q


def text_search_q(text: str) -> Q:
    """Full-text match with prefix matching on every word (type-ahead)."""
    words = [
        w for w in "".join(c if c.isalnum() or c in "@.-_" else " " for c in text).split() if w
    ]
    if not words:
        return Q()
    expression = " & ".join(f"{w.replace(':', '')}:*" for w in words[:10])
    return Q(search_vector=SearchQuery(expression, config="simple", search_type="raw"))


class WorkspaceFilterSet(django_filters.FilterSet):
    """Filters that need the request (``owner=me``)."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def filter_owner(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(owner_q(value, self.user))

    def filter_tags(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(all_tags_q(queryset.model, value))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(text_search_q(value))


class ContactFilter(WorkspaceFilterSet):
    status = django_filters.ChoiceFilter(choices=ContactStatus.choices)
    source = django_filters.ChoiceFilter(choices=ContactSource.choices)
    owner = django_filters.CharFilter(method="filter_owner")
    tags = django_filters.CharFilter(method="filter_tags")
    company = django_filters.CharFilter(
        field_name="company__name", lookup_expr="unaccent__icontains"
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Contact
        fields: list[str] = []


class CompanyFilter(WorkspaceFilterSet):
    relationship = django_filters.ChoiceFilter(choices=Relationship.choices)
    lifecycle = django_filters.ChoiceFilter(choices=Lifecycle.choices)
    owner = django_filters.CharFilter(method="filter_owner")
    tags = django_filters.CharFilter(method="filter_tags")
    domain = django_filters.CharFilter(field_name="domain", lookup_expr="iexact")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Company
        fields: list[str] = []


def apply_filters(
    filterset_class: type[django_filters.FilterSet], queryset: QuerySet, params: Any, user: Any
) -> QuerySet:
    """Filter ``queryset`` by the query parameters; invalid values are a 400 naming them."""
    filterset = filterset_class(params, queryset=queryset, user=user)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs
