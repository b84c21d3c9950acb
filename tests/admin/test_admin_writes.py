"""Admin writes go through the services: the timeline is written, refusals are form errors."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from crm.models import (
    Company,
    CompanyMembership,
    Contact,
    ContactEmail,
    TimelineEvent,
    Verb,
)
from pipelines.models import Deal, Pipeline, Stage, StageHistory
from tests.admin.conftest import admin_url, form_data
from tests.factories import CompanyFactory, ContactFactory, default_stage

pytestmark = pytest.mark.django_db


def events(subject, verb=None):
    queryset = TimelineEvent.objects.filter(subject_id=subject.pk).order_by("created_at", "id")
    return list(queryset.filter(verb=verb) if verb else queryset)


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def add_form(client, model, **values):
    """The data of the empty add form of ``model``, with ``values`` filled in."""
    response = client.get(admin_url(model, "add"))
    assert response.status_code == 200
    return {**form_data(response), **values}


def change_form(client, obj, **values):
    response = client.get(admin_url(type(obj), "change", obj.pk))
    assert response.status_code == 200
    return {**form_data(response), **values}


# --- Contacts -----------------------------------------------------------------------------------


def test_add_contact_records_created_event(admin_client, workspace, user):
    # given the add form filled in, with an email and a phone in the inlines
    data = add_form(
        admin_client,
        Contact,
        workspace=str(workspace.pk),
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
        owner=str(user.pk),
        **{
            "phones-TOTAL_FORMS": "1",
            "phones-0-value": "(415) 555-0199",
            "phones-0-label": "mobile",
            "emails-TOTAL_FORMS": "1",
            "emails-0-value": "g.hopper@example.org",
            "emails-0-label": "home",
        },
    )
    # when it is posted
    response = admin_client.post(admin_url(Contact, "add"), data)
    # then the service made the contact, normalised its phone and wrote the timeline
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact = Contact.objects.get(email="grace@example.com")
    assert contact.workspace == workspace
    assert contact.owner == user
    assert [p.value for p in contact.phones.all()] == ["+14155550199"]
    assert sorted(e.value for e in contact.emails.all()) == [
        "g.hopper@example.org",
        "grace@example.com",
    ]
    [created] = events(contact)
    assert created.verb == Verb.CREATED
    assert created.actor.email == "root@example.com"
    assert response.url == admin_url(Contact, "changelist")


def test_change_contact_records_field_change(admin_client, records):
    # given a contact whose job title is changed in the admin
    contact = records[Contact]
    data = change_form(admin_client, contact, job_title="CTO")
    # when the form is posted
    response = admin_client.post(admin_url(Contact, "change", contact.pk), data)
    # then the timeline has the change, and nothing else changed
    assert response.status_code == 302
    [updated] = events(contact, Verb.UPDATED)
    assert updated.changes == [{"field": "job_title", "from": "", "to": "CTO"}]
    contact.refresh_from_db()
    assert contact.job_title == "CTO"
    assert contact.email == "ada@example.com"


def test_unchanged_contact_form_writes_nothing(admin_client, records):
    contact = records[Contact]
    before = len(events(contact))
    response = admin_client.post(
        admin_url(Contact, "change", contact.pk), change_form(admin_client, contact)
    )
    assert response.status_code == 302
    assert len(events(contact)) == before


def test_change_contact_emails_inline_goes_through_contact_update(admin_client, records):
    # given a second email added in the inline, marked primary
    contact = records[Contact]
    data = change_form(
        admin_client,
        contact,
        **{
            "emails-TOTAL_FORMS": "2",
            "emails-0-is_primary": "",
            "emails-1-value": "ada@analytical.example",
            "emails-1-label": "work",
            "emails-1-is_primary": "on",
        },
    )
    data.pop("emails-0-is_primary")
    # when posted
    response = admin_client.post(admin_url(Contact, "change", contact.pk), data)
    # then the new one is the contact's primary email, and the timeline says so
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.email == "ada@analytical.example"
    [updated] = events(contact, Verb.UPDATED)
    fields = {change["field"]: change for change in updated.changes}
    assert fields["email"] == {
        "field": "email",
        "from": "ada@example.com",
        "to": "ada@analytical.example",
    }
    assert fields["emails"]["to"] == ["ada@example.com", "ada@analytical.example"]


def test_company_membership_inline_links_through_service(admin_client, records, workspace):
    # given another company linked in the contact's companies inline
    contact = records[Contact]
    other = CompanyFactory(workspace=workspace, name="Initech")
    data = change_form(
        admin_client,
        contact,
        **{
            "memberships-TOTAL_FORMS": "2",
            "memberships-1-company": str(other.pk),
            "memberships-1-role": "Advisor",
        },
    )
    response = admin_client.post(admin_url(Contact, "change", contact.pk), data)
    # then the link exists, on both timelines
    assert response.status_code == 302
    link = CompanyMembership.objects.get(contact=contact, company=other)
    assert link.role == "Advisor"
    assert not link.is_primary
    assert events(contact, Verb.COMPANY_LINKED)[-1].data["name"] == "Initech"
    assert events(other, Verb.CONTACT_LINKED)[-1].data["name"] == "Ada Lovelace"


def test_duplicate_contact_email_on_add_is_a_form_error(admin_client, records, workspace):
    # given a contact with ada@example.com / when another is added with it (other case)
    data = add_form(
        admin_client,
        Contact,
        workspace=str(workspace.pk),
        first_name="Imposter",
        email="ADA@example.com",
    )
    response = admin_client.post(admin_url(Contact, "add"), data)
    # then the form is shown again with a readable error, and nothing was written
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["email"] == ["A contact with the email ADA@example.com exists."]
    assert b"A contact with the email ADA@example.com exists." in response.content
    assert not Contact.objects.filter(first_name="Imposter").exists()
    # The form keeps what was typed.
    assert form["first_name"].value() == "Imposter"


def test_duplicate_contact_email_on_change_is_a_form_error(admin_client, records, workspace):
    # given two contacts (Ada's from records) / when the second gets Ada's email
    other = ContactFactory(workspace=workspace, email="bob@example.com")
    data = change_form(admin_client, other, email="ada@example.com", job_title="Spy")
    response = admin_client.post(admin_url(Contact, "change", other.pk), data)
    # then: an error on the email field; the job title was not saved either (one transaction)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A contact with the email ada@example.com exists."
    ]
    other.refresh_from_db()
    assert (other.email, other.job_title) == ("bob@example.com", "Buyer")
    assert events(other) == []


def test_duplicate_email_via_standalone_email_admin(admin_client, records, workspace):
    # The email rows' own admin goes through contact_update too.
    other = ContactFactory(workspace=workspace, email="bob@example.com")
    data = add_form(
        admin_client,
        ContactEmail,
        contact=str(other.pk),
        value="ada@example.com",
        label="work",
        is_primary="on",
    )
    response = admin_client.post(admin_url(ContactEmail, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "A contact with the email ada@example.com exists." in str(errors)
    assert other.emails.count() == 1


def test_standalone_email_admin_adds_through_contact_update(admin_client, records):
    contact = records[Contact]
    data = add_form(
        admin_client, ContactEmail, contact=str(contact.pk), value="ada@home.example", label="home"
    )
    response = admin_client.post(admin_url(ContactEmail, "add"), data)
    assert response.status_code == 302
    assert sorted(contact.emails.values_list("value", flat=True)) == [
        "ada@example.com",
        "ada@home.example",
    ]
    [updated] = events(contact, Verb.UPDATED)
    assert updated.changes[0]["field"] == "emails"


def test_invalid_phone_is_a_form_error(admin_client, records):
    contact = records[Contact]
    data = change_form(
        admin_client,
        contact,
        **{"phones-TOTAL_FORMS": "2", "phones-1-value": "not a phone", "phones-1-label": "work"},
    )
    response = admin_client.post(admin_url(Contact, "change", contact.pk), data)
    assert response.status_code == 200
    assert "is not a phone number" in str(response.context["adminform"].form.non_field_errors())


def test_delete_contact_through_service(admin_client, records):
    # given a contact with a timeline and a note / when deleted in the admin
    contact = records[Contact]
    response = admin_client.post(admin_url(Contact, "delete", contact.pk), {"post": "yes"})
    # then contact_delete removed what hangs off it
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert events(contact) == []


# --- Companies ----------------------------------------------------------------------------------


def test_add_company_records_created_event(admin_client, workspace):
    data = add_form(
        admin_client,
        Company,
        workspace=str(workspace.pk),
        name="Globex",
        domain="https://www.Globex.example/about",
        **{
            "phones-TOTAL_FORMS": "1",
            "phones-0-value": "+1 415 555 0142",
            "phones-0-label": "work",
        },
    )
    response = admin_client.post(admin_url(Company, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    company = Company.objects.get(name="Globex")
    assert company.domain == "globex.example"  # normalised by the service
    assert [p.value for p in company.phones.all()] == ["+14155550142"]
    assert [e.verb for e in events(company)] == [Verb.CREATED]


def test_change_company_records_field_change(admin_client, records):
    company = records[Company]
    data = change_form(admin_client, company, industry="Rockets", lifecycle="inactive")
    response = admin_client.post(admin_url(Company, "change", company.pk), data)
    assert response.status_code == 302
    [updated] = events(company, Verb.UPDATED)
    assert sorted(updated.changes, key=lambda c: c["field"]) == [
        {"field": "industry", "from": "", "to": "Rockets"},
        {"field": "lifecycle", "from": "active", "to": "inactive"},
    ]


def test_duplicate_company_domain_is_a_form_error(admin_client, records, workspace):
    data = add_form(
        admin_client, Company, workspace=str(workspace.pk), name="Copy", domain="ACME.example"
    )
    response = admin_client.post(admin_url(Company, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["domain"] == [
        "A company with the domain acme.example exists."
    ]


# --- Deals --------------------------------------------------------------------------------------


def test_add_deal_records_created_event(admin_client, records, workspace):
    contact = records[Contact]
    data = add_form(
        admin_client,
        Deal,
        workspace=str(workspace.pk),
        title="Rocket sale",
        amount="5000",
        **{
            "deal_contacts-TOTAL_FORMS": "1",
            "deal_contacts-0-contact": str(contact.pk),
            "deal_contacts-0-role": "Buyer",
        },
    )
    response = admin_client.post(admin_url(Deal, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    deal = Deal.objects.get(title="Rocket sale")
    # No stage given: the first stage of the default pipeline; the workspace's currency.
    assert deal.stage == default_stage(workspace)
    assert deal.currency == workspace.default_currency
    assert list(deal.deal_contacts.values_list("contact_id", "role")) == [(contact.pk, "Buyer")]
    assert [e.verb for e in events(deal)] == [Verb.CREATED]
    assert deal.stage_history.count() == 1


def test_change_deal_records_field_change(admin_client, records):
    deal = records[Deal]
    data = change_form(admin_client, deal, title="Bigger deal", probability="60")
    response = admin_client.post(admin_url(Deal, "change", deal.pk), data)
    assert response.status_code == 302
    [updated] = events(deal, Verb.UPDATED)
    assert sorted(updated.changes, key=lambda c: c["field"]) == [
        {"field": "probability", "from": None, "to": 60},
        {"field": "title", "from": "Big deal", "to": "Bigger deal"},
    ]


def test_change_deal_stage_moves_it(admin_client, records, workspace):
    # given a deal in the first stage / when its stage is set to Lost with a reason
    deal = records[Deal]
    lost = default_stage(workspace, "lost")
    data = change_form(admin_client, deal, stage=str(lost.pk), lost_reason="Price")
    response = admin_client.post(admin_url(Deal, "change", deal.pk), data)
    # then deal_move did it: status, history and a stage_changed event
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.lost_reason) == (lost, "lost", "Price")
    assert deal.closed_at is not None
    [moved] = events(deal, Verb.STAGE_CHANGED)
    assert moved.data["to_stage"] == "Lost"
    assert moved.data["lost_reason"] == "Price"
    assert StageHistory.objects.filter(deal=deal).count() == 2


def test_stage_of_another_workspace_is_refused(admin_client, records, other_workspace):
    deal = records[Deal]
    foreign = default_stage(other_workspace)
    data = change_form(admin_client, deal, stage=str(foreign.pk))
    response = admin_client.post(admin_url(Deal, "change", deal.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    deal.refresh_from_db()
    assert deal.stage != foreign


def test_deal_contact_inline_role_change(admin_client, records):
    deal = records[Deal]
    data = change_form(admin_client, deal, **{"deal_contacts-0-role": "Decision maker"})
    response = admin_client.post(admin_url(Deal, "change", deal.pk), data)
    assert response.status_code == 302
    assert deal.deal_contacts.get().role == "Decision maker"
    [updated] = events(deal, Verb.UPDATED)
    assert updated.changes[0]["to"] == "Decision maker"


# --- Refusals on delete, pipelines, memberships -------------------------------------------------


def test_deleting_the_default_pipeline_is_an_error_message(admin_client, workspace):
    # given a workspace's default pipeline (no deals) / when deleted in the admin
    pipeline = Pipeline.objects.get(workspace=workspace, is_default=True)
    response = admin_client.post(admin_url(Pipeline, "delete", pipeline.pk), {"post": "yes"})
    # then pipeline_delete refuses, shown as a message on the pipeline's page
    assert response.status_code == 302
    assert response.url == admin_url(Pipeline, "change", pipeline.pk)
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
    assert any("default pipeline cannot be deleted" in m for m in page_messages(response))


def test_bulk_delete_is_all_or_nothing(admin_client, workspace):
    # given another pipeline (deleted first) and the default one, both selected
    default = Pipeline.objects.get(workspace=workspace, is_default=True)
    other = Pipeline.objects.create(workspace=workspace, name="Other", position=0)
    response = admin_client.post(
        admin_url(Pipeline, "changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk, default.pk], "post": "yes"},
    )
    # then the default one is refused, and the other one is kept too
    assert response.status_code == 302
    assert Pipeline.objects.filter(pk__in=[default.pk, other.pk]).count() == 2
    assert any("default pipeline" in m for m in page_messages(response))


def test_last_stage_of_a_pipeline_cannot_be_deleted(admin_client, workspace):
    pipeline = Pipeline.objects.create(workspace=workspace, name="Tiny", position=5)
    stage = Stage.objects.create(workspace=workspace, pipeline=pipeline, name="Only")
    response = admin_client.post(admin_url(Stage, "delete", stage.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Stage.objects.filter(pk=stage.pk).exists()
    assert any("A pipeline needs at least one stage." in m for m in page_messages(response))


def test_stage_with_deals_is_protected(admin_client, records):
    # Deals protect their stage: the admin says so before any service is asked.
    stage = records[Deal].stage
    response = admin_client.post(admin_url(Stage, "delete", stage.pk), {"post": "yes"})
    assert response.status_code == 200
    assert response.context["protected"]
    assert Stage.objects.filter(pk=stage.pk).exists()


def test_add_pipeline_with_stages_from_the_inline(admin_client, workspace):
    data = add_form(
        admin_client,
        Pipeline,
        workspace=str(workspace.pk),
        name="Hiring",
        **{
            "stages-TOTAL_FORMS": "2",
            "stages-0-name": "Applied",
            "stages-0-kind": "open",
            "stages-0-probability": "10",
            "stages-0-color": "#3b82f6",
            "stages-1-name": "Hired",
            "stages-1-kind": "won",
            "stages-1-probability": "100",
            "stages-1-color": "#22c55e",
        },
    )
    response = admin_client.post(admin_url(Pipeline, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    pipeline = Pipeline.objects.get(workspace=workspace, name="Hiring")
    assert list(pipeline.stages.order_by("position").values_list("name", flat=True)) == [
        "Applied",
        "Hired",
    ]
    assert pipeline.lost_reasons.count() == 5  # none given: the defaults


def test_reorder_stages_in_the_pipeline_inline(admin_client, records):
    pipeline = records[Pipeline]
    data = change_form(admin_client, pipeline, **{"stages-0-position": "9"})
    response = admin_client.post(admin_url(Pipeline, "change", pipeline.pk), data)
    assert response.status_code == 302
    names = list(pipeline.stages.order_by("position").values_list("name", flat=True))
    assert names == ["Qualified", "Proposal", "Negotiation", "Won", "Lost", "Lead in"]


def test_last_owner_cannot_be_demoted(admin_client, records, workspace):
    membership = records[workspace.memberships.model]
    data = change_form(admin_client, membership, role="member")
    response = admin_client.post(admin_url(type(membership), "change", membership.pk), data)
    assert response.status_code == 200
    assert "A workspace needs at least one owner." in str(
        response.context["adminform"].form.non_field_errors()
    )
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_timeline_and_stage_history_are_read_only(admin_client, records):
    event = records[TimelineEvent]
    response = admin_client.post(admin_url(TimelineEvent, "change", event.pk), {"verb": "merged"})
    assert response.status_code == 403
    response = admin_client.post(admin_url(StageHistory, "delete", records[StageHistory].pk))
    assert response.status_code == 403
