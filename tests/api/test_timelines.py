"""GET /contacts|companies|deals/{id}/timeline: newest first, cursor-paged, with who did it;
the record's read scope; another workspace's record is a 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services.common import Actor
from crm.services.timeline import timeline_record
from tests.api.conftest import assert_error
from tests.factories import CompanyFactory, ContactFactory, DealFactory

pytestmark = pytest.mark.django_db


def record_events(workspace, subject_type: str, subject_id, n: int, actor=None) -> None:
    for index in range(n):
        timeline_record(
            workspace=workspace,
            subject_type=subject_type,
            subject_id=subject_id,
            verb="updated",
            actor=actor or Actor.system(),
            changes=[{"field": "job_title", "from": str(index), "to": str(index + 1)}],
            data={"index": index},
        )


def test_timeline_is_newest_first_and_pages_through_every_event(api, workspace):
    # given 30 events (more than one default page of 25)
    contact = ContactFactory(workspace=workspace)
    record_events(workspace, "contact", contact.pk, 30)
    # when
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/contacts/{contact.pk}/timeline" + (f"?cursor={cursor}" if cursor else "")
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["meta"]["total"] == 30 and body["meta"]["limit"] == 25
        seen += body["data"]
        pages += 1
        cursor = body["meta"]["next_cursor"]
        if not body["meta"]["has_more"]:
            assert cursor is None
            break
    # then
    assert pages == 2
    assert len({event["id"] for event in seen}) == 30
    assert [event["data"]["index"] for event in seen] == list(range(29, -1, -1))
    stamps = [event["created_at"] for event in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert all(stamp.endswith("Z") for stamp in stamps)
    first = seen[0]
    assert first["verb"] == "updated"
    assert first["subject_type"] == "contact" and first["subject_id"] == str(contact.pk)
    assert first["changes"] == [{"field": "job_title", "from": "29", "to": "30"}]
    assert first["actor"] == {"type": "system", "id": None, "name": "System"}


def test_timeline_names_the_actor(api, workspace, actor, user):
    # given a user's change, then an API key's (a note created through the API)
    contact = ContactFactory(workspace=workspace)
    record_events(workspace, "contact", contact.pk, 1, actor=actor)
    response = api.post(f"/api/v1/contacts/{contact.pk}/notes", {"body": "Hi"}, format="json")
    assert response.status_code == 201
    # when
    events = api.get(f"/api/v1/contacts/{contact.pk}/timeline").json()["data"]
    # then
    assert events[0]["verb"] == "note_added"
    assert events[0]["actor"]["type"] == "api_key"
    assert events[0]["actor"]["name"] == "API key test key"
    assert events[0]["data"]["excerpt"] == "Hi"
    assert events[1]["actor"] == {"type": "user", "id": str(user.pk), "name": "Olive Owner"}


def test_timeline_shows_only_that_records_events(api, workspace):
    contact = ContactFactory(workspace=workspace)
    other = ContactFactory(workspace=workspace)
    company = CompanyFactory(workspace=workspace)
    record_events(workspace, "contact", contact.pk, 2)
    record_events(workspace, "contact", other.pk, 3)
    record_events(workspace, "company", company.pk, 4)
    assert api.get(f"/api/v1/contacts/{contact.pk}/timeline").json()["meta"]["total"] == 2
    assert api.get(f"/api/v1/companies/{company.pk}/timeline").json()["meta"]["total"] == 4


def test_company_and_deal_timelines(api, workspace):
    company = CompanyFactory(workspace=workspace)
    deal = DealFactory(workspace=workspace)
    record_events(workspace, "company", company.pk, 2)
    record_events(workspace, "deal", deal.pk, 3)
    rows = api.get(f"/api/v1/companies/{company.pk}/timeline").json()["data"]
    assert [r["subject_type"] for r in rows] == ["company", "company"]
    rows = api.get(f"/api/v1/deals/{deal.pk}/timeline?limit=2").json()
    assert [r["subject_id"] for r in rows["data"]] == [str(deal.pk)] * 2
    assert rows["meta"]["has_more"] is True and rows["meta"]["total"] == 3


def test_timeline_bad_paging_parameters_are_400(api, workspace):
    contact = ContactFactory(workspace=workspace)
    url = f"/api/v1/contacts/{contact.pk}/timeline"
    assert_error(api.get(f"{url}?cursor=!!!"), 400, field="cursor")
    assert_error(api.get(f"{url}?sort=verb"), 400, field="sort")
    assert_error(api.get(f"{url}?fields=id,secret"), 400, field="fields")


SUBJECTS = {
    "contacts": ("contacts:read", ContactFactory, "contact"),
    "companies": ("companies:read", CompanyFactory, "company"),
    "deals": ("deals:read", DealFactory, "deal"),
}


@pytest.mark.parametrize("collection", SUBJECTS)
def test_timeline_needs_the_records_read_scope(collection, make_client, workspace):
    scope, factory, _ = SUBJECTS[collection]
    record = factory(workspace=workspace)
    url = f"/api/v1/{collection}/{record.pk}/timeline"
    assert make_client(scope).get(url).status_code == 200
    body = assert_error(make_client("notes:read").get(url), 403)
    assert scope in body["message"]


@pytest.mark.parametrize("collection", SUBJECTS)
def test_another_workspaces_timeline_is_404(collection, api, other_workspace):
    _, factory, subject_type = SUBJECTS[collection]
    theirs = factory(workspace=other_workspace)
    record_events(other_workspace, subject_type, theirs.pk, 2)
    assert_error(api.get(f"/api/v1/{collection}/{theirs.pk}/timeline"), 404)
    assert_error(api.get(f"/api/v1/{collection}/not-a-uuid/timeline"), 404)


@pytest.mark.parametrize("collection", SUBJECTS)
def test_timeline_without_credential_is_401(collection, anonymous, workspace):
    _, factory, _ = SUBJECTS[collection]
    record = factory(workspace=workspace)
    assert_error(anonymous.get(f"/api/v1/{collection}/{record.pk}/timeline"), 401)


def test_a_contact_id_is_not_a_company_timeline(api, workspace):
    contact = ContactFactory(workspace=workspace)
    assert_error(api.get(f"/api/v1/companies/{contact.pk}/timeline"), 404)


@pytest.mark.parametrize("collection", SUBJECTS)
def test_timeline_queries_do_not_grow_with_events(collection, api, workspace, actor):
    _, factory, subject_type = SUBJECTS[collection]
    record = factory(workspace=workspace)
    url = f"/api/v1/{collection}/{record.pk}/timeline"

    def count() -> int:
        assert api.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        return len(queries.captured_queries)

    record_events(workspace, subject_type, record.pk, 3, actor=actor)
    few = count()
    record_events(workspace, subject_type, record.pk, 27, actor=actor)
    assert count() == few
