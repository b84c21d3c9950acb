"""The deal fields of the query language, registered into ``crm.query`` from ``ready()``.

``crm`` must not import ``pipelines``; this module is how deals become filterable with the
same JSON expressions as contacts and companies (``custom.<key>`` comes for free).
"""

from __future__ import annotations

from crm.query import QueryField, QueryType, register_query_fields
from pipelines.models import DealStatus

DEAL_FIELDS: tuple[QueryField, ...] = (
    QueryField("id", QueryType.REFERENCE, "pk"),
    QueryField("title", QueryType.TEXT, "title"),
    QueryField("pipeline", QueryType.REFERENCE, "pipeline"),
    QueryField("stage", QueryType.REFERENCE, "stage"),
    QueryField("status", QueryType.CHOICE, "status", choices=tuple(DealStatus.values)),
    QueryField("amount", QueryType.DECIMAL, "amount"),
    QueryField("currency", QueryType.TEXT, "currency"),
    QueryField("probability", QueryType.NUMBER, "probability"),
    QueryField("expected_close_date", QueryType.DATE, "expected_close_date"),
    QueryField("closed_at", QueryType.DATETIME, "closed_at"),
    QueryField("stage_entered_at", QueryType.DATETIME, "stage_entered_at"),
    QueryField("last_activity_at", QueryType.DATETIME, "last_activity_at"),
    QueryField("lost_reason", QueryType.TEXT, "lost_reason"),
    QueryField("owner", QueryType.USER, "owner"),
    QueryField("company", QueryType.REFERENCE, "company"),
    QueryField("company_name", QueryType.TEXT, "company__name"),
    # Through DealContact: a to-many path, so compiled as a subquery (no duplicate deals).
    QueryField("contact", QueryType.REFERENCE, "deal_contacts__contact"),
    QueryField("tags", QueryType.TAGS, "tags__name"),
    QueryField("created_at", QueryType.DATETIME, "created_at"),
    QueryField("updated_at", QueryType.DATETIME, "updated_at"),
    QueryField("any", QueryType.ANY, ("title", "company__name")),
)


def register_deal_query_fields() -> None:
    register_query_fields("deal", DEAL_FIELDS)
