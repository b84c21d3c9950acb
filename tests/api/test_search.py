"""/api/v1/search: ranked, grouped, workspace-wide search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import ContactEmail
from tests.api.conftest import assert_error
from tests.factories import CompanyFactory, ContactFactory, DealFactory

pytestmark = pytest.mark.django_db


def search(client, q: str, **params):
    response = client.get("/api/v1/search", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def titles(hits: list[dict]) -> list[str]:
    return [h["title"] for h in hits]


def test_ranks_exact_before_prefix_before_fuzzy(reader, workspace):
    # given
    fuzzy = ContactFactory(workspace=workspace, first_name="Jon", last_name="Smith")
    prefix = ContactFactory(workspace=workspace, first_name="John", last_name="Smithson")
    exact = ContactFactory(workspace=workspace, first_name="John", last_name="Smith")
    ContactFactory(workspace=workspace, first_name="Mary", last_name="Jones")
    # when
    hits = search(reader, "john smith")["contacts"]
    # then
    assert [h["id"] for h in hits] == [str(exact.pk), str(prefix.pk), str(fuzzy.pk)]
    scores = [h["score"] for h in hits]
    assert scores[0] == 1.0
    assert 0.6 <= scores[1] < 1.0
    assert 0.0 < scores[2] <= 0.5
    assert all(isinstance(s, float) for s in scores)


def test_prefix_matches_while_typing(reader, workspace):
    ContactFactory(workspace=workspace, first_name="Johanna", last_name="Smithers")
    assert titles(search(reader, "joh smi")["contacts"]) == ["Johanna Smithers"]


def test_misspelling_finds_the_name(reader, workspace):
    john = ContactFactory(workspace=workspace, first_name="John", last_name="Smith")
    ContactFactory(workspace=workspace, first_name="Peter", last_name="Parker")
    hits = search(reader, "Jonh Smiht")["contacts"]
    assert [h["id"] for h in hits] == [str(john.pk)]
    assert hits[0]["score"] < 0.6


def test_email_matches_exactly_primary_and_secondary(reader, workspace):
    ada = ContactFactory(workspace=workspace, first_name="Ada", last_name="L", email="ada@x.io")
    ContactEmail.objects.create(workspace=workspace, contact=ada, value="countess@y.io")
    ContactFactory(workspace=workspace, first_name="Bob", email="bob@x.io")
    for q in ("ADA@x.io", "countess@y.io"):
        hits = search(reader, q)["contacts"]
        assert hits[0]["id"] == str(ada.pk)
        assert hits[0]["score"] == 1.0


def test_contact_title_and_subtitle(reader, workspace):
    company = CompanyFactory(workspace=workspace, name="Globex")
    ContactFactory(
        workspace=workspace,
        first_name="Hank",
        last_name="Scorpio",
        job_title="CEO",
        company=company,
    )
    ContactFactory(workspace=workspace, first_name="Hankie", last_name="", job_title="")
    hits = search(reader, "hank")["contacts"]
    assert hits[0] == {**hits[0], "title": "Hank Scorpio", "subtitle": "CEO · Globex"}
    assert hits[1]["title"] == "Hankie" and hits[1]["subtitle"].endswith("@example.org")


def test_companies_by_name_and_domain(reader, workspace):
    acme = CompanyFactory(workspace=workspace, name="Acme Rockets", domain="acme.io")
    CompanyFactory(workspace=workspace, name="Initech", domain="initech.com")
    by_domain = search(reader, "https://www.ACME.io/about")["companies"]
    assert by_domain[0] == {
        "id": str(acme.pk),
        "title": "Acme Rockets",
        "subtitle": "acme.io",
        "score": 1.0,
    }
    assert titles(search(reader, "acme")["companies"]) == ["Acme Rockets"]
    assert titles(search(reader, "Acne Rokets")["companies"]) == ["Acme Rockets"]


def test_deals_with_stage_and_amount(reader, workspace):
    deal = DealFactory(workspace=workspace, title="Rocket fuel renewal", amount=1234.5)
    body = search(reader, "rocket fuel")
    assert body["deals"] == [
        {
            "id": str(deal.pk),
            "title": "Rocket fuel renewal",
            "subtitle": f"{deal.stage.name} · 1234.50 USD",
            "score": body["deals"][0]["score"],
        }
    ]
    assert set(body) == {"contacts", "companies", "deals"}


def test_another_workspace_never_appears(reader, workspace, other_workspace):
    ContactFactory(workspace=other_workspace, first_name="John", last_name="Smith")
    CompanyFactory(workspace=other_workspace, name="John Smith Ltd")
    DealFactory(workspace=other_workspace, title="John Smith deal")
    ContactFactory(workspace=workspace, first_name="Mary", last_name="Jones")
    body = search(reader, "john smith")
    assert body == {"contacts": [], "companies": [], "deals": []}


def test_limit_per_group_and_clamped(reader, workspace):
    for n in range(25):
        ContactFactory(workspace=workspace, first_name="Sam", last_name=f"Person{n}")
    assert len(search(reader, "sam")["contacts"]) == 5
    assert len(search(reader, "sam", limit=3)["contacts"]) == 3
    assert len(search(reader, "sam", limit=500)["contacts"]) == 20


def test_types_restricts_the_groups(reader, workspace):
    ContactFactory(workspace=workspace, first_name="Zed", last_name="")
    assert set(search(reader, "zed", types="contact,deal")) == {"contacts", "deals"}


def test_groups_without_their_read_scope_are_left_out(make_client, workspace):
    ContactFactory(workspace=workspace, first_name="Zed", last_name="")
    body = search(make_client("contacts:read"), "zed")
    assert set(body) == {"contacts"}
    assert titles(body["contacts"]) == ["Zed"]


def test_no_readable_group_is_403_naming_the_scopes(make_client):
    body = assert_error(make_client("notes:read").get("/api/v1/search?q=zed"), 403)
    assert "contacts:read" in body["message"] and "deals:read" in body["message"]
    body = assert_error(make_client("contacts:read").get("/api/v1/search?q=zed&types=deal"), 403)
    assert "deals:read" in body["message"]


@pytest.mark.parametrize("q", ["", "a", "  b  "])
def test_empty_or_one_character_query_is_400_naming_q(reader, q):
    assert_error(reader.get("/api/v1/search", {"q": q}), 400, field="q")


def test_missing_q_is_400_naming_q(reader):
    assert_error(reader.get("/api/v1/search"), 400, field="q")


def test_unknown_type_or_bad_limit_is_400(reader):
    assert_error(reader.get("/api/v1/search?q=zed&types=contact,invoice"), 400, field="types")
    assert_error(reader.get("/api/v1/search?q=zed&limit=0"), 400, field="limit")
    assert_error(reader.get("/api/v1/search?q=zed&limit=x"), 400, field="limit")


def test_query_syntax_characters_are_harmless(reader, workspace):
    ContactFactory(workspace=workspace, first_name="O'Brien")
    for q in ("o'brien", "a & b | !c", "((:*", "'';--"):
        search(reader, q)


def test_no_credential_is_401(anonymous):
    assert_error(anonymous.get("/api/v1/search?q=zed"), 401)


def test_query_count_does_not_grow_with_matches(reader, workspace):
    reader.get("/api/v1/me")  # the key's last_used_at is written once, on first use

    def queries(n: int) -> int:
        company = CompanyFactory(workspace=workspace, name=f"Match Co {n}")
        for i in range(n):
            ContactFactory(
                workspace=workspace, first_name="Match", last_name=f"P{n}x{i}", company=company
            )
            CompanyFactory(workspace=workspace, name=f"Match Inc {n}x{i}")
            DealFactory(workspace=workspace, title=f"Match deal {n}x{i}")
        with CaptureQueriesContext(connection) as captured:
            body = search(reader, "match", limit=20)
        assert len(body["contacts"]) == min(20, n + (3 if n == 30 else 0))
        return len(captured)

    assert queries(3) == queries(30)
