"""Related records managed from record pages: a contact's companies, a company's people and
a deal's people — add, edit, remove (after asking), with htmx and as plain posts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.services.common import Actor
from crm.models import CompanyMembership, TimelineEvent, Verb
from crm.services.contacts import company_membership_create
from pipelines.models import DealContact
from pipelines.services.deals import deal_contact_add, deal_create
from tests.factories import CompanyFactory, ContactFactory, DealFactory, MembershipFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def on_page(address: str) -> dict[str, str]:
    """htmx's headers for a request made from the page at ``address``."""
    return {**HTMX, "HX-Current-URL": f"http://testserver{address}"}


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(client, workspace):
    membership = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    client.force_login(membership.user)
    return client


@pytest.fixture
def ada(workspace):
    return ContactFactory(workspace=workspace, first_name="Ada", last_name="Lovelace")


@pytest.fixture
def acme(workspace):
    return CompanyFactory(workspace=workspace, name="Acme Analytical", domain="acme.test")


@pytest.fixture
def deal(workspace, actor):
    return deal_create(workspace=workspace, actor=actor, title="Engine order", amount=12000)


def url(name, *args):
    return reverse(name, args=args)


def verbs(record):
    return list(
        TimelineEvent.objects.filter(subject_id=record.pk)
        .order_by("created_at")
        .values_list("verb", flat=True)
    )


# --- A contact's companies ------------------------------------------------------------------


def test_contact_page_shows_the_companies_card_with_its_add_form(signed_in, ada, acme, actor):
    company_membership_create(contact=ada, company=acme, actor=actor, role="Analyst")
    html = signed_in.get(url("crm:contact_detail", ada.pk)).content.decode()
    assert 'id="related-companies"' in html
    assert "Acme Analytical" in html and "Analyst" in html and "Primary" in html
    assert url("crm:contact_companies_add", ada.pk) in html
    assert url("crm:related_pick", "company") in html
    assert "js/related.js" in html


def test_link_a_company_with_htmx_returns_the_card_and_the_timeline(signed_in, ada, acme):
    # when
    response = signed_in.post(
        url("crm:contact_companies_add", ada.pk),
        {"company": str(acme.pk), "query": "Acme", "role": "Analyst"},
        headers=on_page(url("crm:contact_detail", ada.pk)),
    )

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('id="related-companies"') == 1
    assert "Linked Acme Analytical." in html and "Analyst" in html
    assert 'id="timeline"' in html and 'hx-swap-oob="outerHTML"' in html
    link = CompanyMembership.objects.get(contact=ada, company=acme)
    assert link.role == "Analyst" and link.is_primary  # a person's first company
    assert Verb.COMPANY_LINKED in verbs(ada) and Verb.CONTACT_LINKED in verbs(acme)


def test_link_a_company_with_a_plain_post_redirects_to_the_contact(signed_in, ada, acme):
    response = signed_in.post(
        url("crm:contact_companies_add", ada.pk), {"company": str(acme.pk), "role": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == url("crm:contact_detail", ada.pk)
    html = signed_in.get(response["Location"]).content.decode()
    assert "Linked Acme Analytical." in html


def test_without_a_script_the_typed_name_is_looked_up(signed_in, workspace, ada, acme):
    CompanyFactory(workspace=workspace, name="Acme Rockets", domain="rockets.test")
    add = url("crm:contact_companies_add", ada.pk)

    # when: a name matching several companies, none exactly
    response = signed_in.post(add, {"query": "acme", "role": ""})

    # then: the page asks which one, offering them
    html = response.content.decode()
    assert response.status_code == 200
    assert "Which company do you mean?" in html
    assert "Acme Analytical" in html and "Acme Rockets" in html
    assert f'type="radio" name="company" value="{acme.pk}"' in html
    assert not CompanyMembership.objects.exists()

    # when: nothing matches
    response = signed_in.post(add, {"query": "Zeppelin Works", "role": ""})
    assert "No company matches “Zeppelin Works”." in response.content.decode()

    # when: nothing typed
    response = signed_in.post(add, {"query": "", "role": ""})
    assert "Choose a company to link." in response.content.decode()

    # when: the exact name (any case) — or a chosen candidate
    response = signed_in.post(add, {"query": "acme analytical", "role": "CTO"})
    assert response.status_code == 302
    assert CompanyMembership.objects.get(contact=ada).company == acme


def test_linking_the_same_company_twice_is_explained(signed_in, ada, acme, actor):
    company_membership_create(contact=ada, company=acme, actor=actor)
    response = signed_in.post(
        url("crm:contact_companies_add", ada.pk),
        {"company": str(acme.pk), "query": "Acme Analytical", "role": "CTO"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "already linked to the company" in html
    assert '<details class="related__add" open>' in html  # the form stays open
    assert 'value="Acme Analytical"' in html and 'value="CTO"' in html  # and keeps input
    assert CompanyMembership.objects.count() == 1


def test_too_long_a_title_is_a_field_error(signed_in, ada, acme):
    response = signed_in.post(
        url("crm:contact_companies_add", ada.pk),
        {"company": str(acme.pk), "role": "x" * 151},
        headers=HTMX,
    )
    assert "at most 150 characters" in response.content.decode()
    assert not CompanyMembership.objects.exists()


def test_edit_a_title_and_the_primary_company(signed_in, workspace, ada, acme, actor):
    other = CompanyFactory(workspace=workspace, name="Babbage Ltd")
    first = company_membership_create(contact=ada, company=acme, actor=actor, role="Analyst")
    second = company_membership_create(contact=ada, company=other, actor=actor)
    edit = url("crm:contact_companies_edit", ada.pk, second.pk)

    # when: the row is opened for editing (htmx), then without a script
    html = signed_in.get(edit, headers=HTMX).content.decode()
    assert "related__row--editing" in html and "Primary company" in html
    assert "<html" not in html
    page = signed_in.get(edit).content.decode()
    assert "<html" in page and "related__row--editing" in page

    # when: saved
    response = signed_in.post(edit, {"role": "Advisor", "is_primary": "on"}, headers=HTMX)

    # then
    assert response.status_code == 200 and "Saved." in response.content.decode()
    second.refresh_from_db()
    first.refresh_from_db()
    ada.refresh_from_db()
    assert second.role == "Advisor" and second.is_primary and not first.is_primary
    assert ada.company_id == other.pk
    assert Verb.UPDATED in verbs(ada)

    # and: an invalid title is shown next to the field, nothing saved
    response = signed_in.post(edit, {"role": "y" * 200}, headers=HTMX)
    assert "at most 150 characters" in response.content.decode()
    second.refresh_from_db()
    assert second.role == "Advisor"


def test_remove_asks_first_then_unlinks(signed_in, ada, acme, actor):
    link = company_membership_create(contact=ada, company=acme, actor=actor)
    remove = url("crm:contact_companies_remove", ada.pk, link.pk)

    # when: asked (htmx: in the row; without a script: a page)
    html = signed_in.get(remove, headers=HTMX).content.decode()
    assert "Unlink <strong>Acme Analytical</strong> from Ada Lovelace?" in html
    assert CompanyMembership.objects.exists()
    assert "<html" in signed_in.get(remove).content.decode()

    # when: confirmed
    response = signed_in.post(remove, headers=HTMX)

    # then
    html = response.content.decode()
    assert "Unlinked Acme Analytical." in html and "Not linked to a company." in html
    assert not CompanyMembership.objects.exists()
    assert Verb.COMPANY_UNLINKED in verbs(ada) and Verb.CONTACT_UNLINKED in verbs(acme)
    ada.refresh_from_db()
    assert ada.company_id is None


def test_remove_with_a_plain_post_redirects(signed_in, ada, acme, actor):
    link = company_membership_create(contact=ada, company=acme, actor=actor)
    response = signed_in.post(url("crm:contact_companies_remove", ada.pk, link.pk))
    assert response.status_code == 302
    assert response["Location"] == url("crm:contact_detail", ada.pk)
    assert not CompanyMembership.objects.exists()


def test_cancel_gets_the_card_back(signed_in, ada, acme, actor):
    company_membership_create(contact=ada, company=acme, actor=actor)
    response = signed_in.get(url("crm:contact_companies", ada.pk), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Acme Analytical" in html and "related__row--editing" not in html


# --- A company's people ---------------------------------------------------------------------


def test_company_people_add_edit_and_remove(signed_in, ada, acme):
    add = url("crm:company_people_add", acme.pk)
    html = signed_in.get(url("crm:company_detail", acme.pk)).content.decode()
    assert 'id="related-people"' in html and add in html and "New person" in html

    # when: a person is added
    response = signed_in.post(add, {"contact": str(ada.pk), "role": "Analyst"}, headers=HTMX)

    # then
    assert "Linked Ada Lovelace." in response.content.decode()
    link = CompanyMembership.objects.get(contact=ada, company=acme)
    assert link.role == "Analyst"
    assert Verb.CONTACT_LINKED in verbs(acme)

    # when: the title is changed
    signed_in.post(
        url("crm:company_people_edit", acme.pk, link.pk), {"role": "Chief Analyst"}, headers=HTMX
    )
    link.refresh_from_db()
    assert link.role == "Chief Analyst" and link.is_primary  # untouched from this side

    # when: removed
    response = signed_in.post(url("crm:company_people_remove", acme.pk, link.pk), headers=HTMX)
    assert "Unlinked Ada Lovelace." in response.content.decode()
    assert not CompanyMembership.objects.exists()


def test_company_people_duplicate_is_explained(signed_in, ada, acme, actor):
    company_membership_create(contact=ada, company=acme, actor=actor)
    response = signed_in.post(
        url("crm:company_people_add", acme.pk), {"contact": str(ada.pk)}, headers=HTMX
    )
    assert "already linked to the company" in response.content.decode()
    assert CompanyMembership.objects.count() == 1


# --- A deal's people ------------------------------------------------------------------------


def test_deal_people_add_with_a_role_change_it_and_remove(signed_in, deal, ada):
    add = url("pipelines:deal_contacts_add", deal.pk)
    html = signed_in.get(url("pipelines:deal_detail", deal.pk)).content.decode()
    assert 'id="related-deal-people"' in html and add in html
    assert '<option value="Decision maker">' in html  # role suggestions

    # when
    response = signed_in.post(
        add,
        {"contact": str(ada.pk), "role": "Decision maker"},
        headers=on_page(url("pipelines:deal_detail", deal.pk)),
    )

    # then
    html = response.content.decode()
    assert "Added Ada Lovelace to the deal." in html and "Decision maker" in html
    assert 'id="timeline"' in html
    link = DealContact.objects.get(deal=deal, contact=ada)
    assert link.role == "Decision maker"
    assert Verb.CONTACT_LINKED in verbs(deal)

    # when: the role changes
    response = signed_in.post(
        url("pipelines:deal_contacts_edit", deal.pk, link.pk), {"role": "Champion"}, headers=HTMX
    )
    html = response.content.decode()
    assert "Saved." in html
    assert 'id="timeline"' not in html  # asked from elsewhere than the deal's page
    link.refresh_from_db()
    assert link.role == "Champion"

    # when: removed, after asking
    remove = url("pipelines:deal_contacts_remove", deal.pk, link.pk)
    html = signed_in.get(remove, headers=HTMX).content.decode()
    assert "Remove <strong>Ada Lovelace</strong> from this deal?" in html
    response = signed_in.post(remove)
    assert response.status_code == 302
    assert response["Location"] == url("pipelines:deal_detail", deal.pk)
    assert not DealContact.objects.exists()
    assert Verb.CONTACT_UNLINKED in verbs(deal)


def test_deal_people_errors(signed_in, deal, ada, actor):
    deal_contact_add(deal=deal, contact=ada, actor=actor, role="Champion")
    add = url("pipelines:deal_contacts_add", deal.pk)
    response = signed_in.post(add, {"contact": str(ada.pk), "role": "User"}, headers=HTMX)
    assert "already on the deal" in response.content.decode()
    response = signed_in.post(add, {"contact": "not-a-uuid", "role": "User"}, headers=HTMX)
    assert "Enter a valid UUID." in response.content.decode()
    link = DealContact.objects.get()
    response = signed_in.post(
        url("pipelines:deal_contacts_edit", deal.pk, link.pk), {"role": "r" * 101}, headers=HTMX
    )
    assert "at most 100 characters" in response.content.decode()
    link.refresh_from_db()
    assert link.role == "Champion" and DealContact.objects.count() == 1


def test_contact_page_lists_deals_with_stage_and_amount(signed_in, deal, ada, actor):
    deal_contact_add(deal=deal, contact=ada, actor=actor, role="Champion")
    html = signed_in.get(url("crm:contact_detail", ada.pk)).content.decode()
    assert 'id="related-deals"' in html
    assert "Engine order" in html and deal.stage.name in html and "12,000 USD" in html
    assert "Champion" in html


# --- The type-ahead -------------------------------------------------------------------------


def test_picker_offers_this_workspaces_records_of_one_kind(
    signed_in, workspace, other_workspace, ada, acme
):
    CompanyFactory(workspace=other_workspace, name="Acme Abroad")
    html = signed_in.get(url("crm:related_pick", "company"), {"query": "acme"}).content.decode()
    assert "Acme Analytical" in html and f'data-id="{acme.pk}"' in html
    assert "Acme Abroad" not in html and "Ada" not in html
    html = signed_in.get(url("crm:related_pick", "contact"), {"query": "ada lov"}).content.decode()
    assert f'data-id="{ada.pk}"' in html and 'role="option"' in html
    html = signed_in.get(url("crm:related_pick", "company"), {"query": "a"}).content.decode()
    assert "Keep typing" in html
    html = signed_in.get(url("crm:related_pick", "company"), {"query": "qqqqq"}).content.decode()
    assert "No company matches" in html
    assert signed_in.get(url("crm:related_pick", "planet"), {"query": "ac"}).status_code == 404


# --- Access ---------------------------------------------------------------------------------


def test_viewer_sees_the_cards_but_cannot_change_them(viewer_client, deal, ada, acme, actor):
    membership = company_membership_create(contact=ada, company=acme, actor=actor)
    link = deal_contact_add(deal=deal, contact=ada, actor=actor)
    html = viewer_client.get(url("crm:contact_detail", ada.pk)).content.decode()
    assert "Acme Analytical" in html
    assert url("crm:contact_companies_add", ada.pk) not in html
    assert url("crm:contact_companies_remove", ada.pk, membership.pk) not in html
    assert viewer_client.get(url("crm:contact_companies", ada.pk)).status_code == 200
    writes = [
        url("crm:contact_companies_add", ada.pk),
        url("crm:contact_companies_edit", ada.pk, membership.pk),
        url("crm:contact_companies_remove", ada.pk, membership.pk),
        url("crm:company_people_add", acme.pk),
        url("crm:company_people_remove", acme.pk, membership.pk),
        url("pipelines:deal_contacts_add", deal.pk),
        url("pipelines:deal_contacts_edit", deal.pk, link.pk),
        url("pipelines:deal_contacts_remove", deal.pk, link.pk),
    ]
    for address in writes:
        assert viewer_client.post(address, {"company": str(acme.pk)}).status_code == 403
        if not address.endswith("/add/"):
            assert viewer_client.get(address).status_code == 403
    assert CompanyMembership.objects.count() == 1 and DealContact.objects.count() == 1


def test_other_workspaces_records_are_404(signed_in, other_workspace):
    system = Actor.system()
    their_contact = ContactFactory(workspace=other_workspace)
    their_company = CompanyFactory(workspace=other_workspace)
    their_deal = DealFactory(workspace=other_workspace)
    membership = company_membership_create(
        contact=their_contact, company=their_company, actor=system
    )
    link = deal_contact_add(deal=their_deal, contact=their_contact, actor=system)
    for name, record, link_pk in (
        ("crm:contact_companies", their_contact, membership.pk),
        ("crm:company_people", their_company, membership.pk),
        ("pipelines:deal_contacts", their_deal, link.pk),
    ):
        assert signed_in.get(url(name, record.pk)).status_code == 404
        assert signed_in.post(url(f"{name}_add", record.pk)).status_code == 404
        for action in ("edit", "remove"):
            address = url(f"{name}_{action}", record.pk, link_pk)
            assert signed_in.get(address).status_code == 404
            assert signed_in.post(address, {"role": "x"}).status_code == 404
    assert CompanyMembership.objects.count() == 1 and DealContact.objects.count() == 1


def test_linking_another_workspaces_record_is_404(
    signed_in, other_workspace, deal, ada, acme, actor
):
    their_contact = ContactFactory(workspace=other_workspace)
    their_company = CompanyFactory(workspace=other_workspace)
    for address, data in (
        (url("crm:contact_companies_add", ada.pk), {"company": str(their_company.pk)}),
        (url("crm:company_people_add", acme.pk), {"contact": str(their_contact.pk)}),
        (url("pipelines:deal_contacts_add", deal.pk), {"contact": str(their_contact.pk)}),
    ):
        assert signed_in.post(address, data, headers=HTMX).status_code == 404
    assert not CompanyMembership.objects.exists() and not DealContact.objects.exists()


def test_another_records_link_is_404(signed_in, workspace, ada, acme, actor):
    # a link of this workspace, but of another contact
    bob = ContactFactory(workspace=workspace, first_name="Bob")
    theirs = company_membership_create(contact=bob, company=acme, actor=actor)
    address = url("crm:contact_companies_remove", ada.pk, theirs.pk)
    assert signed_in.get(address).status_code == 404
    assert signed_in.post(address).status_code == 404
    assert CompanyMembership.objects.filter(pk=theirs.pk).exists()


# --- Query counts ---------------------------------------------------------------------------


def _count_queries(client, address):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.parametrize("kind", ["contact", "company", "deal"])
def test_record_page_query_count_does_not_grow_with_links(signed_in, workspace, deal, kind):
    ada = ContactFactory(workspace=workspace)
    acme = CompanyFactory(workspace=workspace)

    def add(n):
        if kind == "contact":
            companies = CompanyFactory.create_batch(n, workspace=workspace)
            CompanyMembership.objects.bulk_create(
                CompanyMembership(workspace=workspace, contact=ada, company=c, role="Advisor")
                for c in companies
            )
            deals = DealFactory.create_batch(n, workspace=workspace)
            DealContact.objects.bulk_create(
                DealContact(workspace=workspace, deal=d, contact=ada, role="User") for d in deals
            )
        else:
            contacts = ContactFactory.create_batch(n, workspace=workspace)
            if kind == "company":
                CompanyMembership.objects.bulk_create(
                    CompanyMembership(workspace=workspace, contact=c, company=acme, role="Buyer")
                    for c in contacts
                )
            else:
                DealContact.objects.bulk_create(
                    DealContact(workspace=workspace, deal=deal, contact=c, role="User")
                    for c in contacts
                )

    address = {
        "contact": url("crm:contact_detail", ada.pk),
        "company": url("crm:company_detail", acme.pk),
        "deal": url("pipelines:deal_detail", deal.pk),
    }[kind]
    add(10)
    signed_in.get(address)  # the first request stores the workspace in the session
    few = _count_queries(signed_in, address)
    add(190)
    response = signed_in.get(address)
    many = _count_queries(signed_in, address)
    assert many == few
    assert "Showing the first 50 of 200." in response.content.decode()


def test_card_query_count_does_not_grow_with_links(signed_in, workspace, deal):
    contacts = ContactFactory.create_batch(10, workspace=workspace)
    DealContact.objects.bulk_create(
        DealContact(workspace=workspace, deal=deal, contact=c) for c in contacts
    )
    address = url("pipelines:deal_contacts", deal.pk)
    signed_in.get(address, headers=HTMX)
    with CaptureQueriesContext(connection) as few:
        signed_in.get(address, headers=HTMX)
    contacts = ContactFactory.create_batch(190, workspace=workspace)
    DealContact.objects.bulk_create(
        DealContact(workspace=workspace, deal=deal, contact=c) for c in contacts
    )
    with CaptureQueriesContext(connection) as many:
        signed_in.get(address, headers=HTMX)
    assert len(many) == len(few)
