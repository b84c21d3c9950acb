"""List behaviour shared by the record resources (contacts, companies, deals)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api.serializers import check_fields, sparse
from accounts.api.viewsets import WorkspaceViewSet
from crm.api.filters import apply_filters
from crm.query import compile_query

LIST_PARAMETERS = [
    OpenApiParameter("limit", int, description="Page size, 1-100 (default 25)"),
    OpenApiParameter("cursor", str, description="From meta.next_cursor of the previous page"),
    OpenApiParameter("sort", str, description="Field, '-' for descending, comma-separated"),
    OpenApiParameter("fields", str, description="Sparse fieldset, comma-separated"),
    OpenApiParameter("query", str, description="JSON query expression (URL-encoded)"),
]


class RecordViewSet(WorkspaceViewSet):
    """Lists with simple filters, ``query=`` (or a POST body), ``sort``, ``fields`` and cursor
    paging; single objects with ETags."""

    object_type: ClassVar[str] = ""
    filterset_class: ClassVar[Any] = None
    serializer_class: ClassVar[Any] = None
    output_fields: ClassVar[set[str]] = set()

    def list_queryset(self, expression: Any = None) -> QuerySet:
        queryset = self.get_queryset()
        if self.filterset_class is not None:
            queryset = apply_filters(
                self.filterset_class, queryset, self.request.query_params, self.credential.user
            )
        if expression is None:
            raw = self.request.query_params.get("query")
            if raw:
                expression = raw
        if expression is not None:
            queryset = queryset.filter(
                compile_query(
                    expression,
                    object_type=self.object_type,
                    workspace=self.workspace,
                    user=self.credential.user,
                )
            )
        return queryset

    def serialize_many(self, rows: list[Any]) -> list[dict[str, Any]]:
        fields = self.requested_fields()
        serializer = self.serializer_class()
        return [sparse(serializer.to_representation(row), fields) for row in rows]

    def serialize_one(self, obj: Any) -> dict[str, Any]:
        return sparse(self.serializer_class().to_representation(obj), self.requested_fields())

    def records_list(self, expression: Any = None) -> Response:
        check_fields(self.requested_fields(), self.output_fields)
        return self.list_response(self.list_queryset(expression), self.serialize_many)

    def query_body(self) -> Any:
        """The expression POSTed to ``…/query``: the body itself, or ``{"query": …}``."""
        body = self.request.data
        if isinstance(body, dict) and set(body) == {"query"}:
            body = body["query"]
        if not isinstance(body, dict | str):
            raise ValidationError({"query": ["Send the query expression as a JSON object."]})
        return json.dumps(body) if isinstance(body, dict) else body
