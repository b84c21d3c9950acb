"""A staff user who is not a superuser sees and picks only their workspaces' rows."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from accounts.models import Membership, User, Workspace
from crm.models import Company, Contact
from pipelines.models import Deal
from tests.admin.conftest import admin_url, form_data, grant
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    DealFactory,
    UserFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(workspace):
    return ContactFactory(workspace=workspace, first_name="Mine", last_name="Person")


@pytest.fixture
def theirs(other_workspace):
    return ContactFactory(workspace=other_workspace, first_name="Theirs", last_name="Person")


@pytest.fixture
def staff_client(client, staff_member):
    grant(
        staff_member,
        "crm.view_contact",
        "crm.change_contact",
        "crm.add_contact",
        "crm.view_company",
        "accounts.view_workspace",
        "accounts.view_user",
        "accounts.change_user",
        "pipelines.view_deal",
    )
    client.force_login(staff_member)
    return client


def test_changelist_shows_only_my_workspaces_rows(staff_client, mine, theirs):
    # given a contact in the staff user's workspace and one in another
    # when they open the contacts list
    response = staff_client.get(admin_url(Contact, "changelist"))
    # then they see theirs only
    assert response.status_code == 200
    shown = {c.pk for c in response.context["cl"].result_list}
    assert shown == {mine.pk}
    assert b"Mine Person" in response.content
    assert b"Theirs Person" not in response.content


def test_other_workspaces_record_does_not_exist_for_them(staff_client, theirs):
    # when they open a contact of another workspace by its id
    response = staff_client.get(admin_url(Contact, "change", theirs.pk))
    # then the admin answers as for a missing record (to the index, with a message)
    assert response.status_code == 302
    assert response.url == "/admin/"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "doesn\u2019t exist" in message  # Django's typographic apostrophe
    # and posting to it changes nothing
    response = staff_client.post(admin_url(Contact, "change", theirs.pk), {"job_title": "Hacked"})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.job_title == "Buyer"


def test_search_does_not_reach_other_workspaces(staff_client, mine, theirs):
    response = staff_client.get(admin_url(Contact, "changelist"), {"q": "Theirs"})
    assert list(response.context["cl"].result_list) == []


def test_workspace_filter_offers_only_my_workspaces(
    staff_client, staff_member, workspace, mine, theirs
):
    # given the staff user in a second workspace with a contact (a filter needs two choices)
    second = WorkspaceFactory(owner=staff_member)
    ContactFactory(workspace=second)
    response = staff_client.get(admin_url(Contact, "changelist"))
    choices = [
        str(choice["display"])
        for spec in response.context["cl"].filter_specs
        if spec.title == "workspace"
        for choice in spec.choices(response.context["cl"])
    ]
    assert {workspace.name, second.name} <= set(choices)
    assert theirs.workspace.name not in choices


def test_workspace_list_is_scoped(staff_client, workspace, other_workspace):
    response = staff_client.get(admin_url(Workspace, "changelist"))
    assert {w.pk for w in response.context["cl"].result_list} == {workspace.pk}


def test_user_list_shows_only_people_i_share_a_workspace_with(
    staff_client, staff_member, user, other_workspace
):
    stranger = Membership.objects.get(workspace=other_workspace).user
    response = staff_client.get(admin_url(User, "changelist"))
    shown = {u.pk for u in response.context["cl"].result_list}
    assert {staff_member.pk, user.pk} <= shown
    assert stranger.pk not in shown


def test_staff_cannot_grant_powers(staff_client, user):
    response = staff_client.get(admin_url(User, "change", user.pk))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    assert "email" in form.fields


def test_autocomplete_offers_only_my_workspaces_companies(staff_client, workspace, other_workspace):
    # given a company on each side with the same name
    CompanyFactory(workspace=workspace, name="Acme Mine")
    CompanyFactory(workspace=other_workspace, name="Acme Theirs")
    # when the contact form's company autocomplete is asked
    response = staff_client.get(
        "/admin/autocomplete/",
        {"term": "Acme", "app_label": "crm", "model_name": "contact", "field_name": "company"},
    )
    # then only their own workspace's company is offered
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Acme Mine"]


def test_cannot_pick_another_workspaces_company(staff_client, mine, other_workspace):
    foreign = CompanyFactory(workspace=other_workspace)
    response = staff_client.get(admin_url(Contact, "change", mine.pk))
    data = {**form_data(response), "company": str(foreign.pk)}
    response = staff_client.post(admin_url(Contact, "change", mine.pk), data)
    assert response.status_code == 200
    assert "company" in response.context["adminform"].form.errors
    mine.refresh_from_db()
    assert mine.company_id is None


def test_cannot_add_a_contact_to_another_workspace(staff_client, other_workspace):
    response = staff_client.get(admin_url(Contact, "add"))
    data = {
        **form_data(response),
        "workspace": str(other_workspace.pk),
        "first_name": "Sneaky",
    }
    response = staff_client.post(admin_url(Contact, "add"), data)
    assert response.status_code == 200
    assert "workspace" in response.context["adminform"].form.errors
    assert not Contact.objects.filter(first_name="Sneaky").exists()


def test_add_form_defaults_to_current_workspace(staff_client, workspace):
    response = staff_client.get(admin_url(Contact, "add"))
    assert response.context["adminform"].form.initial["workspace"] == workspace.pk


def test_staff_member_can_edit_own_workspaces_contact(staff_client, staff_member, mine):
    response = staff_client.get(admin_url(Contact, "change", mine.pk))
    data = {**form_data(response), "job_title": "Chief"}
    response = staff_client.post(admin_url(Contact, "change", mine.pk), data)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.job_title == "Chief"


def test_staff_without_permissions_sees_nothing(client, staff_member, mine):
    client.force_login(staff_member)
    assert client.get(admin_url(Contact, "changelist")).status_code == 403
    assert client.get(admin_url(Company, "changelist")).status_code == 403


def test_deals_are_scoped_too(staff_client, workspace, other_workspace):
    own = DealFactory(workspace=workspace)
    DealFactory(workspace=other_workspace)
    response = staff_client.get(admin_url(Deal, "changelist"))
    assert {d.pk for d in response.context["cl"].result_list} == {own.pk}


def test_superuser_sees_every_workspace(admin_client, mine, theirs):
    response = admin_client.get(admin_url(Contact, "changelist"))
    assert {mine.pk, theirs.pk} <= {c.pk for c in response.context["cl"].result_list}
    assert admin_client.get(admin_url(Contact, "change", theirs.pk)).status_code == 200


def test_staff_member_without_memberships_sees_no_rows(client, mine):
    loner = UserFactory(is_staff=True)
    grant(loner, "crm.view_contact")
    client.force_login(loner)
    response = client.get(admin_url(Contact, "changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_a_viewer_may_look_but_not_change(staff_client, staff_member, workspace, mine):
    # given the staff member is only a viewer of the workspace
    Membership.objects.filter(user=staff_member, workspace=workspace).update(role="viewer")
    # when they open and post the contact's change form
    page = staff_client.get(admin_url(Contact, "change", mine.pk))
    response = staff_client.post(
        admin_url(Contact, "change", mine.pk), {**form_data(page), "job_title": "Chief"}
    )
    # then the page is read-only, the post is refused and nothing changed
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.job_title != "Chief"
    assert staff_client.get(admin_url(Contact, "add")).status_code == 403
