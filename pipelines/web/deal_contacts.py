"""The people on a deal, managed from the deal's page: add a contact with a role, change the
role, remove with confirmation. A :class:`~crm.web.records_related.RelatedSection` over
``DealContact``, written through ``pipelines.services.deals``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from crm.models import SubjectType
from crm.web.records_related import RelatedSection, section_context
from pipelines.models import Deal, DealContact
from pipelines.services.deals import deal_contact_add, deal_contact_remove, deal_contact_update

ROLE_SUGGESTIONS = (
    "Decision maker",
    "Champion",
    "Economic buyer",
    "Influencer",
    "Technical evaluator",
    "User",
    "Blocker",
)

DEAL_CONTACTS = RelatedSection(
    key="deal-people",
    url_name="pipelines:deal_contacts",
    title="People",
    template="pipelines/_deal_contacts.html",
    subject_type=SubjectType.DEAL,
    record_model=Deal,
    link_model=DealContact,
    record_field="deal",
    target_field="contact",
    target_kind="contact",
    target_noun="person",
    order_by=("contact__full_name", "pk"),
    add=lambda *, record, target, actor, data: deal_contact_add(
        deal=record, contact=target, actor=actor, role=data["role"]
    ),
    update=lambda *, link, actor, data: deal_contact_update(
        link=link, actor=actor, role=data["role"]
    ),
    remove=lambda *, link, actor: deal_contact_remove(link=link, actor=actor),
    role_max_length=DealContact._meta.get_field("role").max_length,
    role_placeholder="e.g. Decision maker",
    role_suggestions=ROLE_SUGGESTIONS,
    added_message="Added {name} to the deal.",
    removed_message="Removed {name} from the deal.",
)


def deal_contacts_context(request: HttpRequest, deal: Deal) -> dict[str, Any]:
    """A deal page's People card."""
    return {"related_people": section_context(request, DEAL_CONTACTS, deal)}
