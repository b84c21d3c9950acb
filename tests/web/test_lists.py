"""Contact, company and deal lists: the column chooser (custom fields included), bulk actions
on the selected rows, and the CSV export of the filtered list."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from crm.models import Contact, ListMember, TimelineEvent, Verb
from crm.web import lists
from pipelines.models import Deal
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    CustomFieldFactory,
    DealFactory,
    ListFactory,
    MembershipFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "record-list"}


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


def _client_as(client, workspace, role):
    membership = MembershipFactory(workspace=workspace, role=role)
    client.force_login(membership.user)
    return client


@pytest.fixture
def viewer_client(client, workspace):
    return _client_as(client, workspace, Role.VIEWER)


@pytest.fixture
def member_client(client, workspace):
    return _client_as(client, workspace, Role.MEMBER)


def _html(response) -> str:
    return response.content.decode()


def _headers(html: str) -> list[str]:
    """The column headers of the list's table (after the selection box)."""
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html, re.S)
    ]


def _csv(response) -> tuple[str, list[list[str]]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return body, list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def _choose(client, url_name: str, *keys: str, **extra):
    return client.post(reverse(url_name), {"columns": list(keys), **extra})


@pytest.fixture
def fields(workspace):
    """A custom field of each display type, on contacts."""
    make = CustomFieldFactory
    return {
        "score": make(workspace=workspace, key="score", label="Score", type="number"),
        "budget": make(workspace=workspace, key="budget", label="Budget", type="currency"),
        "renewal": make(workspace=workspace, key="renewal", label="Renewal", type="date"),
        "vip": make(workspace=workspace, key="vip", label="VIP", type="boolean"),
        "site": make(workspace=workspace, key="site", label="Site", type="url"),
        "sizes": make(
            workspace=workspace,
            key="sizes",
            label="Sizes",
            type="multi_select",
            options=["S", "M", "L"],
        ),
    }


# --- Column chooser ---------------------------------------------------------------------------


def test_column_menu_lists_built_ins_and_this_kinds_custom_fields(signed_in, workspace, fields):
    # given: a contact, and a company field that must not be offered on contacts
    ContactFactory(workspace=workspace)
    CustomFieldFactory(workspace=workspace, object_type="company", label="Tier")

    # when
    html = _html(signed_in.get(reverse("crm:contact_list")))

    # then
    assert 'name="columns" value="job_title"' in html
    assert 'name="columns" value="cf:score"> Score</label>' in html
    assert "Tier" not in html
    assert ">Score</th>" not in html  # custom fields start hidden


def test_chosen_custom_field_columns_render_by_type(signed_in, workspace, fields):
    # given
    ContactFactory(
        workspace=workspace,
        first_name="Ada",
        custom_fields={
            "score": 12345,
            "budget": "2500.50",
            "renewal": "2025-03-07",
            "vip": True,
            "site": "https://ada.example/path",
            "sizes": ["S", "L"],
        },
    )
    ContactFactory(workspace=workspace, first_name="Bob", custom_fields={})

    # when
    response = _choose(signed_in, "crm:contact_columns", "name", *(f"cf:{k}" for k in fields))

    # then: back to the list, which shows the fields, formatted (the others are gone)
    assert response.status_code == 302 and response["Location"] == reverse("crm:contact_list")
    html = _html(signed_in.get(reverse("crm:contact_list")))
    assert _headers(html) == ["", "Name", "Budget", "Renewal", "Score", "Site", "Sizes", "VIP"]
    assert "12,345" in html
    assert "2,500.50" in html
    assert "Mar 7, 2025" in html
    assert ">Yes<" in html
    assert 'href="https://ada.example/path" rel="noopener noreferrer"' in html
    assert '<span class="list-option">S</span><span class="list-option">L</span>' in html
    assert "mailto:" not in html
    assert "Ada" in html and "Bob" in html


def test_column_choice_is_kept_whatever_the_url_and_per_list(signed_in, workspace, fields):
    ContactFactory(workspace=workspace, first_name="Ada", custom_fields={"score": 7})
    CompanyFactory(workspace=workspace, name="Acme")
    _choose(signed_in, "crm:contact_columns", "cf:score", "email")

    filtered = _html(signed_in.get(reverse("crm:contact_list"), {"q": "ada", "sort": "name"}))
    assert _headers(filtered) == ["", "Name", "Email", "Score"]
    companies = _html(signed_in.get(reverse("crm:company_list")))
    assert "Domain" in _headers(companies)  # companies keep their defaults


def test_column_choice_is_per_user(client, workspace, user, fields):
    ContactFactory(workspace=workspace, custom_fields={"score": 99})
    client.force_login(user)
    _choose(client, "crm:contact_columns", "cf:score")
    assert "Score" in _headers(_html(client.get(reverse("crm:contact_list"))))

    other = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(other)
    assert "Score" not in _headers(_html(client.get(reverse("crm:contact_list"))))


def test_reset_and_unknown_or_deleted_columns(signed_in, workspace, fields):
    ContactFactory(workspace=workspace, email="ada@example.org", custom_fields={"score": 5})
    _choose(signed_in, "crm:contact_columns", "cf:score", "shoe_size")
    html = _html(signed_in.get(reverse("crm:contact_list")))
    assert "ada@example.org" not in html

    # a deleted field drops out by itself
    fields["score"].delete()
    assert signed_in.get(reverse("crm:contact_list")).status_code == 200

    # reset: the default columns again
    signed_in.post(reverse("crm:contact_columns"), {"reset": "1"})
    assert "ada@example.org" in _html(signed_in.get(reverse("crm:contact_list")))


def test_column_choice_keeps_the_filters_and_answers_htmx_with_the_list(signed_in, workspace):
    ContactFactory(workspace=workspace, first_name="Ada", job_title="CTO")
    url = reverse("crm:contact_columns")

    response = signed_in.post(url, {"columns": ["job_title"], "list_params": "q=ada&sort=name"})
    assert response["Location"] == reverse("crm:contact_list") + "?q=ada&sort=name"

    response = signed_in.post(url, {"columns": ["job_title"], "list_params": "q=ada"}, **HTMX)
    html = _html(response)
    assert response.status_code == 200
    assert "<html" not in html and 'id="record-list"' in html and ">CTO<" in html


def test_viewer_may_choose_columns(viewer_client, workspace):
    assert _choose(viewer_client, "crm:contact_columns", "email").status_code == 302


def test_columns_needs_post(signed_in):
    assert signed_in.get(reverse("crm:contact_columns")).status_code == 405


@pytest.mark.parametrize(
    ("url_name", "make", "object_type", "columns"),
    [
        ("crm:contact_list", "contacts", "contact", ["company", "owner", "tags", "cf:score"]),
        ("crm:company_list", "companies", "company", ["owner", "tags", "cf:score"]),
        ("pipelines:deal_list", "deals", "deal", ["company", "stage", "tags", "cf:score"]),
    ],
)
def test_list_query_count_is_constant_with_custom_columns(
    signed_in, workspace, user, url_name, make, object_type, columns
):
    # given: custom-field and tag columns shown
    CustomFieldFactory(workspace=workspace, object_type=object_type, key="score", type="number")
    tag = TagFactory(workspace=workspace, name="hot")
    spec_prefix = url_name.removesuffix("_list")
    _choose(signed_in, f"{spec_prefix}_columns", *columns)

    def add(n):
        for i in range(n):
            company = CompanyFactory(workspace=workspace, owner=user, custom_fields={"score": i})
            company.tags.add(tag)
            if make == "contacts":
                contact = ContactFactory(
                    workspace=workspace, company=company, owner=user, custom_fields={"score": i}
                )
                contact.tags.add(tag)
            elif make == "deals":
                deal = DealFactory(
                    workspace=workspace, company=company, owner=user, custom_fields={"score": i}
                )
                deal.tags.add(tag)

    add(10)
    signed_in.get(reverse(url_name))
    with CaptureQueriesContext(connection) as few:
        assert signed_in.get(reverse(url_name)).status_code == 200
    add(190)
    with CaptureQueriesContext(connection) as many:
        assert signed_in.get(reverse(url_name)).status_code == 200

    assert len(many) == len(few)


# --- Bulk actions -----------------------------------------------------------------------------


def _bulk(client, url_name="crm:contact_bulk", headers=None, **data):
    return client.post(reverse(url_name), data, **(headers or {}))


def test_writer_sees_checkboxes_and_the_bulk_bar(signed_in, workspace):
    ContactFactory(workspace=workspace)
    html = _html(signed_in.get(reverse("crm:contact_list")))
    assert "data-select-all" in html and "data-select-row" in html and "data-bulk-bar" in html
    assert 'value="delete"' in html  # the owner may delete in bulk


def test_viewer_sees_no_bulk_bar_and_gets_403(viewer_client, workspace):
    contact = ContactFactory(workspace=workspace)
    html = _html(viewer_client.get(reverse("crm:contact_list")))
    assert "data-bulk-bar" not in html and "data-select-row" not in html
    for action in ("tag", "owner", "list", "delete"):
        response = _bulk(viewer_client, ids=[contact.pk], action=action, tag="x", confirm="1")
        assert response.status_code == 403
    assert not contact.tags.exists() and Contact.objects.filter(pk=contact.pk).exists()


def test_add_tag_to_selected_rows_keeps_filters_and_says_how_many(signed_in, workspace):
    # given
    ada, bob, cid = ContactFactory.create_batch(3, workspace=workspace)

    # when
    response = _bulk(
        signed_in, ids=[ada.pk, bob.pk], action="tag", tag="  vip ", list_params="q=a&sort=name"
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:contact_list") + "?q=a&sort=name"
    assert [t.name for t in ada.tags.all()] == ["vip"] and bob.tags.filter(name="vip").exists()
    assert not cid.tags.exists()
    # and: the timeline says so, once per record, through the service
    events = TimelineEvent.objects.filter(subject_id__in=[ada.pk, bob.pk], verb=Verb.UPDATED)
    assert events.count() == 2
    html = _html(signed_in.get(response["Location"]))
    assert "Tag “vip” added to 2 contacts." in html


def test_assign_and_unassign_owner(signed_in, workspace, user, member):
    ada, bob = ContactFactory.create_batch(2, workspace=workspace, owner=user)

    response = _bulk(signed_in, ids=[ada.pk, bob.pk], action="owner", owner=str(member.pk))
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.owner_id == member.pk
    assert "2 contacts assigned to" in _html(signed_in.get(reverse("crm:contact_list")))

    _bulk(signed_in, ids=[ada.pk], action="owner", owner="unassigned")
    ada.refresh_from_db()
    assert ada.owner_id is None


def test_refused_action_shows_the_error_and_keeps_the_selection(signed_in, workspace):
    ada = ContactFactory(workspace=workspace, first_name="Ada", last_name="L")
    bob = ContactFactory(workspace=workspace, first_name="Bob", last_name="M")
    outsider = UserFactory()

    response = _bulk(signed_in, ids=[ada.pk], action="owner", owner=str(outsider.pk))
    assert response.status_code == 422
    html = _html(response)
    assert "Choose who will own them." in html
    assert (
        f'value="{ada.pk}" data-select-row aria-label="Select {ada.display_name}" checked' in html
    )
    assert f'value="{bob.pk}" data-select-row aria-label="Select {bob.display_name}">' in html
    # links still lead to the list, not to the action's URL
    assert f'href="{reverse("crm:contact_list")}?sort=' in html

    response = _bulk(signed_in, ids=[ada.pk], action="tag", tag="   ")
    assert response.status_code == 422 and "Type the tag to add." in _html(response)
    response = _bulk(signed_in, ids=[ada.pk], action="tag", tag="x" * 65)
    assert "at most 64 characters" in _html(response)
    response = _bulk(signed_in, ids=[ada.pk], action="dance")
    assert "Choose what to do" in _html(response)
    response = _bulk(signed_in, ids=[], action="tag", tag="vip")
    assert "Select at least one contact." in _html(response)
    response = _bulk(signed_in, ids=["not-a-uuid"], action="tag", tag="vip")
    assert response.status_code == 422 and "Select the contacts again." in _html(response)


def test_another_workspaces_ids_are_ignored(signed_in, workspace, other_workspace):
    # given: one of ours and one of theirs
    ours = ContactFactory(workspace=workspace)
    theirs = ContactFactory(workspace=other_workspace)

    # when: both are posted
    response = _bulk(signed_in, ids=[ours.pk, theirs.pk], action="tag", tag="vip")

    # then: only ours changed
    assert response.status_code == 302
    assert ours.tags.filter(name="vip").exists() and not theirs.tags.exists()
    assert "Tag “vip” added to 1 contact." in _html(signed_in.get(reverse("crm:contact_list")))

    # and: theirs alone is refused, and never deleted
    response = _bulk(signed_in, ids=[theirs.pk], action="tag", tag="vip")
    assert response.status_code == 422 and not theirs.tags.exists()
    _bulk(signed_in, ids=[theirs.pk], action="delete", confirm="1")
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_add_to_an_existing_list_or_a_new_one(signed_in, workspace, other_workspace):
    ada, bob = ContactFactory.create_batch(2, workspace=workspace)
    campaign = ListFactory(workspace=workspace, name="Spring campaign")
    ListMember.objects.create(workspace=workspace, list=campaign, contact=ada)
    foreign = ListFactory(workspace=other_workspace, name="Theirs")

    html = _html(signed_in.get(reverse("crm:contact_list")))
    assert "Spring campaign" in html and "Theirs" not in html

    response = _bulk(signed_in, ids=[ada.pk, bob.pk], action="list", list=str(campaign.pk))
    assert response.status_code == 302
    assert ListMember.objects.filter(list=campaign).count() == 2
    html = _html(signed_in.get(reverse("crm:contact_list")))
    assert "1 contact added to “Spring campaign”. 1 contact was on it already." in html

    _bulk(signed_in, ids=[ada.pk], action="list", list="", list_name="Autumn")
    assert ListMember.objects.filter(list__name="Autumn", contact=ada).exists()

    response = _bulk(signed_in, ids=[ada.pk], action="list", list_name="Autumn")
    assert response.status_code == 422 and "exists" in _html(response)
    response = _bulk(signed_in, ids=[ada.pk], action="list", list=str(foreign.pk))
    assert response.status_code == 422 and "Choose a list" in _html(response)
    assert not ListMember.objects.filter(list=foreign).exists()


def test_deals_have_no_list_action(signed_in, workspace):
    deal = DealFactory(workspace=workspace)
    html = _html(signed_in.get(reverse("pipelines:deal_list")))
    assert 'value="list"' not in html
    response = _bulk(signed_in, "pipelines:deal_bulk", ids=[deal.pk], action="list", list_name="X")
    assert response.status_code == 422 and "cannot be put on lists" in _html(response)


def test_bulk_delete_asks_first_with_the_count(signed_in, workspace):
    ada, bob, cid = ContactFactory.create_batch(3, workspace=workspace)

    # when: delete is asked for
    response = _bulk(signed_in, ids=[ada.pk, bob.pk], action="delete", list_params="q=x")

    # then: a confirmation, nothing deleted yet
    html = _html(response)
    assert response.status_code == 200 and "Delete 2 contacts?" in html
    assert ada.display_name in html and 'name="confirm"' in html
    assert f'href="{reverse("crm:contact_list")}?q=x"' in html  # Cancel keeps the filters
    assert Contact.objects.filter(pk__in=[ada.pk, bob.pk]).count() == 2

    # when: confirmed
    response = _bulk(signed_in, ids=[ada.pk, bob.pk], action="delete", confirm="1")

    # then
    assert response.status_code == 302
    assert list(Contact.objects.for_workspace(workspace)) == [cid]
    assert "2 contacts deleted." in _html(signed_in.get(reverse("crm:contact_list")))


def test_bulk_delete_needs_the_admin_role_like_the_api(member_client, workspace):
    contact = ContactFactory(workspace=workspace)
    html = _html(member_client.get(reverse("crm:contact_list")))
    assert "data-bulk-bar" in html and 'value="delete"' not in html
    response = _bulk(member_client, ids=[contact.pk], action="delete", confirm="1")
    assert response.status_code == 403
    assert Contact.objects.filter(pk=contact.pk).exists()
    # the other actions are open to members
    assert _bulk(member_client, ids=[contact.pk], action="tag", tag="vip").status_code == 302


def test_htmx_bulk_action_answers_with_the_list_and_the_message(signed_in, workspace):
    ada = ContactFactory(workspace=workspace)

    response = _bulk(signed_in, ids=[ada.pk], action="tag", tag="vip", headers=HTMX)

    html = _html(response)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="record-list"' in html and "Tag “vip” added to 1 contact." in html
    assert '<span class="record-tag">vip</span>' in html

    # delete: the confirmation card, then the list again
    response = _bulk(signed_in, ids=[ada.pk], action="delete", headers=HTMX)
    html = _html(response)
    assert "<html" not in html and "Delete 1 contact?" in html and 'hx-post="' in html
    response = _bulk(signed_in, ids=[ada.pk], action="delete", confirm="1", headers=HTMX)
    assert "1 contact deleted." in _html(response) and "No contacts yet" in _html(response)

    # a refused action: the list with the error, status 200 so htmx swaps it in
    response = _bulk(signed_in, ids=[], action="tag", tag="vip", headers=HTMX)
    assert response.status_code == 200 and "Select at least one contact." in _html(response)


def test_bulk_on_companies_and_deals(signed_in, workspace, user):
    company = CompanyFactory(workspace=workspace)
    deal = DealFactory(workspace=workspace)

    _bulk(signed_in, "crm:company_bulk", ids=[company.pk], action="owner", owner=str(user.pk))
    company.refresh_from_db()
    assert company.owner_id == user.pk

    _bulk(signed_in, "pipelines:deal_bulk", ids=[deal.pk], action="tag", tag="q3")
    assert deal.tags.filter(name="q3").exists()
    _bulk(signed_in, "pipelines:deal_bulk", ids=[deal.pk], action="delete", confirm="1")
    assert not Deal.objects.filter(pk=deal.pk).exists()


def test_bulk_needs_post(signed_in):
    assert signed_in.get(reverse("crm:contact_bulk")).status_code == 405


# --- CSV export -------------------------------------------------------------------------------


def test_export_streams_the_filtered_sorted_list_in_the_chosen_columns(
    signed_in, workspace, other_workspace, fields
):
    # given
    vip = TagFactory(workspace=workspace, name="vip")
    zed = ContactFactory(
        workspace=workspace, first_name="Zed", last_name="Ä", status="customer",
        custom_fields={"score": 3, "budget": "10.00", "sizes": ["S", "M"]},
    )  # fmt: skip
    zed.tags.add(vip)
    ContactFactory(workspace=workspace, first_name="Amy", last_name="B", status="customer")
    ContactFactory(workspace=workspace, first_name="Lead", last_name="Only", status="lead")
    ContactFactory(workspace=other_workspace, first_name="Their", status="customer")
    _choose(signed_in, "crm:contact_columns", "email", "tags", "cf:score", "cf:budget", "cf:sizes")

    # when
    response = signed_in.get(
        reverse("crm:contact_export"), {"status": "customer", "sort": "-name", "cursor": "x"}
    )

    # then
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    body, rows = _csv(response)
    assert body.startswith("\ufeffName,Email,Tags,Budget,Score,Sizes\r\n")
    assert [r[0] for r in rows[1:]] == ["Zed Ä", "Amy B"]
    assert rows[1][2:] == ["vip", "10.00", "3", "S, M"]
    assert rows[2][2:] == ["", "", "", ""]


def test_export_neutralises_formulas(signed_in, workspace):
    CustomFieldFactory(workspace=workspace, key="note", label="@label", type="text")
    ContactFactory(
        workspace=workspace,
        first_name="=HYPERLINK(1)",
        last_name="",
        email="",
        job_title="+1",
        custom_fields={"note": "-2+3"},
    )
    _choose(signed_in, "crm:contact_columns", "job_title", "cf:note")
    _, rows = _csv(signed_in.get(reverse("crm:contact_export")))
    assert rows == [["Name", "Job title", "'@label"], ["'=HYPERLINK(1)", "'+1", "'-2+3"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (None, ""),
        (True, "Yes"),
        (-5, -5),
        (datetime.date(2025, 3, 7), "2025-03-07"),
    ],
)
def test_csv_cell(value, expected):
    assert lists.csv_cell(value) == expected


def test_export_of_deals_keeps_numbers_as_numbers(signed_in, workspace):
    DealFactory(workspace=workspace, title="Big", amount=12500)
    _, rows = _csv(signed_in.get(reverse("pipelines:deal_export")))
    assert rows[0] == ["Title", "Company", "Stage", "Amount", "Owner", "Expected close"]
    assert rows[1][0] == "Big" and rows[1][3] == "12500.00"


def test_export_with_a_bad_filter_goes_back_to_the_list(signed_in):
    response = signed_in.get(reverse("crm:contact_export"), {"sort": "shoe_size"})
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:contact_list") + "?sort=shoe_size"


def test_viewer_may_export_and_anonymous_may_not(viewer_client, workspace, client):
    ContactFactory(workspace=workspace, first_name="Ada", last_name="L")
    _, rows = _csv(viewer_client.get(reverse("crm:contact_export")))
    assert rows[1][0] == "Ada L"
    client.logout()
    assert client.get(reverse("crm:contact_export")).status_code == 302


@pytest.mark.parametrize(
    ("url_name", "make"),
    [("crm:contact_export", "contacts"), ("pipelines:deal_export", "deals")],
)
def test_export_query_count_does_not_grow_with_rows(signed_in, workspace, user, url_name, make):
    object_type = "contact" if make == "contacts" else "deal"
    CustomFieldFactory(workspace=workspace, object_type=object_type, key="score", type="number")
    tag = TagFactory(workspace=workspace, name="hot")
    _choose(signed_in, url_name.replace("_export", "_columns"), "company", "tags", "cf:score")

    def add(n):
        for i in range(n):
            company = CompanyFactory(workspace=workspace, owner=user)
            model = ContactFactory if make == "contacts" else DealFactory
            record = model(
                workspace=workspace, company=company, owner=user, custom_fields={"score": i}
            )
            record.tags.add(tag)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            _, rows = _csv(signed_in.get(reverse(url_name)))
        return len(queries), len(rows) - 1

    add(10)
    few, rows_few = count()
    add(190)
    many, rows_many = count()
    assert (rows_few, rows_many) == (10, 200)
    assert many == few


def test_export_reads_in_chunks_with_constant_queries_per_chunk(signed_in, workspace, monkeypatch):
    monkeypatch.setattr(lists, "EXPORT_CHUNK", 7)
    tag = TagFactory(workspace=workspace, name="hot")
    _choose(signed_in, "crm:contact_columns", "tags")
    counts = []
    for _ in range(3):
        for contact in ContactFactory.create_batch(7, workspace=workspace):
            contact.tags.add(tag)
        with CaptureQueriesContext(connection) as queries:
            _, rows = _csv(signed_in.get(reverse("crm:contact_export"), {"sort": "created"}))
        counts.append(len(queries))
    assert len(rows) == 22
    created = Contact.objects.for_workspace(workspace).order_by("created_at", "id")
    assert [r[0] for r in rows[1:]] == [c.display_name for c in created]
    assert counts[2] - counts[1] == counts[1] - counts[0] > 0
