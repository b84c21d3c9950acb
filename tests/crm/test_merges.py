"""Merging contacts and companies (everything moves, nothing is lost) and undoing a merge."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.services.common import ServiceError
from crm.models import (
    Activity,
    Company,
    CompanyMembership,
    Contact,
    ListMember,
    Merge,
    Note,
    Task,
    TimelineEvent,
)
from crm.services.activity import activity_create, note_create, task_create
from crm.services.companies import company_create
from crm.services.contacts import company_membership_create, contact_create
from crm.services.lists import list_create, list_members_add
from crm.services.merges import MergeConflict, merge_undo, record_merge
from pipelines.models import Deal, DealContact
from pipelines.services.deals import deal_contact_add, deal_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(workspace, actor):
    """Two records of one person, each with its own rows, some of them the same."""
    acme = company_create(workspace=workspace, actor=actor, name="Acme", domain="acme.example")
    globex = company_create(workspace=workspace, actor=actor, name="Globex")
    a = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        last_name="",
        email="ada@acme.example",
        phones=["+14155550100"],
        tags=["vip"],
        company=acme,
        custom_fields=None,
    )
    b = contact_create(
        workspace=workspace,
        actor=actor,
        first_name="Ada",
        last_name="Lovelace",
        email="ada.lovelace@home.example",
        job_title="Countess",
        phones=["+14155550100", "+14155550199"],
        tags=["VIP", "poet"],
        company=globex,
    )
    company_membership_create(contact=b, company=acme, actor=actor, role="Advisor")
    newsletter = list_create(workspace=workspace, name="Newsletter", object_type="contact")
    vips = list_create(workspace=workspace, name="VIPs", object_type="contact")
    list_members_add(list_=newsletter, ids=[a.pk, b.pk])
    list_members_add(list_=vips, ids=[b.pk])
    note = note_create(
        workspace=workspace,
        actor=actor,
        subject_type="contact",
        subject_id=b.pk,
        body="Met at the ball",
    )
    task = task_create(
        workspace=workspace,
        actor=actor,
        title="Send letter",
        subject_type="contact",
        subject_id=b.pk,
    )
    call = activity_create(
        workspace=workspace,
        actor=actor,
        type="call",
        subject_type="contact",
        subject_id=b.pk,
        subject="Call",
    )
    deal = deal_create(workspace=workspace, actor=actor, title="Engine", amount=100)
    deal_contact_add(deal=deal, contact=b, actor=actor, role="Champion")
    return {
        "a": a,
        "b": b,
        "acme": acme,
        "globex": globex,
        "note": note,
        "task": task,
        "call": call,
        "deal": deal,
        "lists": (newsletter, vips),
    }


def test_contact_merge_moves_and_unites_everything(workspace, actor, pair):
    a, b = pair["a"], pair["b"]
    events_of_b = TimelineEvent.objects.filter(subject_id=b.pk).count()

    merged, merge = record_merge(
        workspace=workspace, actor=actor, object_type="contact", primary_id=a.pk, secondary_id=b.pk
    )

    assert not Contact.objects.filter(pk=b.pk).exists()
    assert merged.pk == a.pk
    # fields: the primary's, filled in from the secondary where empty
    assert (merged.first_name, merged.last_name, merged.job_title) == (
        "Ada",
        "Lovelace",
        "Countess",
    )
    assert merged.email == "ada@acme.example"
    assert merged.company_id == pair["acme"].pk
    # multi-valued: united, without repeats, the primary keeping its primaries
    emails = dict(merged.emails.values_list("value", "is_primary"))
    assert emails == {"ada@acme.example": True, "ada.lovelace@home.example": False}
    assert sorted(merged.phones.values_list("value", flat=True)) == ["+14155550100", "+14155550199"]
    assert merged.phones.filter(is_primary=True).count() == 1
    assert sorted(t.name for t in merged.tags.all()) == ["poet", "vip"]
    assert sorted(
        ListMember.objects.filter(contact=merged).values_list("list__name", flat=True)
    ) == ["Newsletter", "VIPs"]
    links = dict(
        CompanyMembership.objects.filter(contact=merged).values_list("company__name", "is_primary")
    )
    assert links == {"Acme": True, "Globex": False}
    # what hung off the secondary now hangs off the primary
    for row in (pair["note"], pair["task"], pair["call"]):
        row.refresh_from_db()
        assert row.subject_id == a.pk
    assert DealContact.objects.get(deal=pair["deal"]).contact_id == a.pk
    assert TimelineEvent.objects.filter(subject_id=a.pk, verb="merged").get().data[
        "merged_id"
    ] == str(b.pk)
    assert not TimelineEvent.objects.filter(subject_id=b.pk).exists()
    assert TimelineEvent.objects.filter(subject_id=a.pk).count() >= events_of_b
    assert merge.secondary_name == "Ada Lovelace"


def test_fields_can_be_picked_per_field_or_by_strategy(workspace, actor, pair):
    a, b = pair["a"], pair["b"]
    merged, _ = record_merge(
        workspace=workspace,
        actor=actor,
        object_type="contact",
        primary_id=a.pk,
        secondary_id=b.pk,
        strategy="prefer_secondary",
        fields={"email": "secondary", "company": "primary"},
    )
    assert merged.email == "ada.lovelace@home.example"
    assert merged.company_id == pair["acme"].pk
    assert merged.job_title == "Countess"
    assert merged.emails.get(is_primary=True).value == "ada@acme.example"  # the rows keep theirs


def test_undo_puts_everything_back(workspace, actor, pair):
    a, b = pair["a"], pair["b"]
    before_a = Contact.objects.values().get(pk=a.pk)
    before_b_phones = sorted(b.phones.values_list("value", flat=True))
    _, merge = record_merge(
        workspace=workspace,
        actor=actor,
        object_type="contact",
        primary_id=a.pk,
        secondary_id=b.pk,
        fields={"email": "secondary"},
    )

    restored = merge_undo(merge=merge, actor=actor)

    assert restored.pk == b.pk
    assert (restored.first_name, restored.last_name, restored.email) == (
        "Ada",
        "Lovelace",
        "ada.lovelace@home.example",
    )
    after_a = Contact.objects.values().get(pk=a.pk)
    for field in ("first_name", "last_name", "email", "job_title", "company_id"):
        assert after_a[field] == before_a[field], field
    assert sorted(restored.phones.values_list("value", flat=True)) == before_b_phones
    assert sorted(a.phones.values_list("value", flat=True)) == ["+14155550100"]
    assert dict(a.emails.values_list("value", "is_primary")) == {"ada@acme.example": True}
    assert sorted(t.name for t in restored.tags.all()) == ["poet", "vip"]
    assert [t.name for t in a.tags.all()] == ["vip"]
    assert sorted(
        ListMember.objects.filter(contact=restored).values_list("list__name", flat=True)
    ) == ["Newsletter", "VIPs"]
    assert ListMember.objects.filter(contact=a).count() == 1
    assert set(
        CompanyMembership.objects.filter(contact=restored).values_list(
            "company__name", "is_primary"
        )
    ) == {("Globex", True), ("Acme", False)}
    assert list(
        CompanyMembership.objects.filter(contact=a).values_list("company__name", flat=True)
    ) == ["Acme"]
    for row in (pair["note"], pair["task"], pair["call"]):
        row.refresh_from_db()
        assert row.subject_id == b.pk
    assert DealContact.objects.get(deal=pair["deal"]).contact_id == b.pk
    assert not TimelineEvent.objects.filter(verb="merged").exists()
    merge.refresh_from_db()
    assert merge.undone_at is not None
    with pytest.raises(MergeConflict, match="already been undone"):
        merge_undo(merge=merge, actor=actor)


def test_company_merge_repoints_people_and_deals_and_undo(workspace, actor):
    one = company_create(
        workspace=workspace,
        actor=actor,
        name="Initech",
        domain="initech.example",
        phones=["+14155550111"],
    )
    two = company_create(
        workspace=workspace,
        actor=actor,
        name="Initech Inc",
        industry="Software",
        phones=["+14155550111"],
    )
    person = contact_create(workspace=workspace, actor=actor, first_name="Peter", company=two)
    deal = deal_create(workspace=workspace, actor=actor, title="TPS", company=two)

    merged, merge = record_merge(
        workspace=workspace,
        actor=actor,
        object_type="company",
        primary_id=one.pk,
        secondary_id=two.pk,
    )
    assert (merged.name, merged.domain, merged.industry) == (
        "Initech",
        "initech.example",
        "Software",
    )
    person.refresh_from_db()
    assert person.company_id == one.pk
    assert CompanyMembership.objects.get(contact=person).company_id == one.pk
    assert Deal.objects.get(pk=deal.pk).company_id == one.pk
    assert merged.phones.count() == 1

    merge_undo(merge=merge, actor=actor)
    person.refresh_from_db()
    assert person.company_id == two.pk
    assert Deal.objects.get(pk=deal.pk).company_id == two.pk
    assert Company.objects.get(pk=two.pk).phones.count() == 1
    assert Company.objects.get(pk=one.pk).industry == ""


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"strategy": "newest"}, "merge_strategy"),
        ({"fields": {"email": "both"}}, "fields"),
        ({"fields": {"password": "primary"}}, "fields"),
        ({"object_type": "deal"}, "object_type"),
    ],
)
def test_bad_requests_are_refused(workspace, actor, pair, kwargs, field):
    options = {
        "object_type": "contact",
        "primary_id": pair["a"].pk,
        "secondary_id": pair["b"].pk,
        **kwargs,
    }
    with pytest.raises(ValidationError) as error:
        record_merge(workspace=workspace, actor=actor, **options)
    assert field in error.value.message_dict
    assert Contact.objects.filter(pk=pair["b"].pk).exists()


def test_a_record_cannot_merge_into_itself_or_across_workspaces(
    workspace, actor, pair, other_workspace
):
    with pytest.raises(ServiceError, match="into itself"):
        record_merge(
            workspace=workspace,
            actor=actor,
            object_type="contact",
            primary_id=pair["a"].pk,
            secondary_id=pair["a"].pk,
        )
    stranger = Contact.objects.create(workspace=other_workspace, first_name="Eve")
    with pytest.raises(MergeConflict):
        record_merge(
            workspace=workspace,
            actor=actor,
            object_type="contact",
            primary_id=pair["a"].pk,
            secondary_id=stranger.pk,
        )
    assert Contact.objects.filter(pk=stranger.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_merges_of_the_same_record_at_once_one_waits_then_fails_cleanly(workspace, actor):
    a = contact_create(workspace=workspace, actor=actor, first_name="A")
    c = contact_create(workspace=workspace, actor=actor, first_name="C")
    b = contact_create(workspace=workspace, actor=actor, first_name="B")
    note_create(
        workspace=workspace, actor=actor, subject_type="contact", subject_id=b.pk, body="keep me"
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def merge_into(primary):
        try:
            barrier.wait()
            record_merge(
                workspace=workspace,
                actor=actor,
                object_type="contact",
                primary_id=primary.pk,
                secondary_id=b.pk,
            )
            outcomes.append("merged")
        except MergeConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=merge_into, args=(p,)) for p in (a, c)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "merged"]
    assert not Contact.objects.filter(pk=b.pk).exists()
    note = Note.objects.get(body="keep me")
    assert note.subject_id in (a.pk, c.pk)
    assert Merge.objects.count() == 1
    assert Task.objects.count() == Activity.objects.count() == 0


def test_admin_merge_selected_then_undo(client, workspace, actor, user, pair):
    from django.urls import reverse

    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    a, b = pair["a"], pair["b"]
    response = client.post(
        reverse("admin:crm_contact_changelist"),
        {"action": "merge_selected", "_selected_action": [str(a.pk), str(b.pk)]},
        follow=True,
    )
    assert "Merged 1 into" in response.content.decode()
    assert not Contact.objects.filter(pk=b.pk).exists()
    merge = Merge.objects.get()
    response = client.post(
        reverse("admin:crm_merge_changelist"),
        {"action": "undo_merges", "_selected_action": [str(merge.pk)]},
        follow=True,
    )
    assert "1 merge undone" in response.content.decode()
    assert Contact.objects.filter(pk=b.pk).exists()
