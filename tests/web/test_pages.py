"""The server-rendered pages: sign in and out, home, workspace switching, error pages, CSP."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from accounts.middleware import SESSION_KEY
from accounts.models import Role
from accounts.services.common import Actor, PermissionDenied
from crm import urls as crm_urls
from crm.services.activity import note_create
from crm.services.companies import company_create
from crm.services.contacts import contact_create
from crm.views import server_error
from pipelines.services.deals import deal_create, deal_move
from tests.factories import (
    MembershipFactory,
    TaskFactory,
    UserFactory,
    WorkspaceFactory,
    default_stage,
)

pytestmark = pytest.mark.django_db


# A URL configuration with two extra views, to reach the 403 and 500 handlers.
def _forbidden(request):
    raise PermissionDenied


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("test-forbidden/", _forbidden),
    path("test-boom/", _boom),
    *crm_urls.urlpatterns,
]
handler403 = crm_urls.handler403
handler404 = crm_urls.handler404
handler500 = crm_urls.handler500


@pytest.fixture
def signed_in(client, user, workspace):
    client.force_login(user)
    return client


def stat_value(html: str, label: str) -> str:
    match = re.search(
        rf"{label}</dt>\s*<dd class=\"stat__value\">([^<]*)</dd>", html, flags=re.IGNORECASE
    )
    assert match, f"no {label} card"
    return match.group(1)


def assert_csp_nonce_used(response) -> None:
    """The policy carries a nonce, every inline script has it, and nothing is inline-styled."""
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce, policy
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    inline = [attrs for attrs in scripts if "src=" not in attrs]
    assert inline, "the page has its inline bootstrap script"
    for attrs in inline:
        assert f'nonce="{nonce.group(1)}"' in attrs
    assert not re.search(r"<[a-z][^>]*\sstyle=", html)
    assert "<style" not in html


# --- Sign in and out -----------------------------------------------------------------------


def test_login_page_renders(client):
    # when
    response = client.get(reverse("accounts:login"))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="email"' in html and 'name="username"' in html
    assert 'type="password"' in html
    assert '<label for="id_username">Email' in html
    assert_csp_nonce_used(response)


def test_login_with_wrong_password_shows_error_and_keeps_email(client, user):
    # when
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": "not-the-password"}
    )
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "match an account. Check both" in html
    assert f'value="{user.email}"' in html
    assert "not-the-password" not in html
    assert "_auth_user_id" not in client.session


def test_login_with_missing_fields_shows_errors_next_to_fields(client):
    response = client.post(reverse("accounts:login"), {"username": "", "password": ""})
    html = response.content.decode()
    assert 'id="id_username_error"' in html and 'id="id_password_error"' in html
    assert 'aria-invalid="true"' in html


def test_correct_login_redirects_home(client, user, workspace):
    # when
    response = client.post(
        reverse("accounts:login"), {"username": "OWNER@example.com", "password": "password"}
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_login_keeps_next_and_follows_it(client, user, workspace):
    # given an anonymous visit to a page that needs a sign-in
    redirect = client.get(reverse("home") + "?tab=1")
    login_url = redirect["Location"]
    # when the sign-in page is shown, then sent
    form = client.get(login_url).content.decode()
    assert 'name="next" value="/?tab=1"' in form
    response = client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": "password", "next": "/?tab=1"},
    )
    # then
    assert response["Location"] == "/?tab=1"


def test_login_ignores_an_offsite_next(client, user, workspace):
    response = client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": "password", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=/")


def test_logout_is_a_post_from_the_user_menu(user, workspace):
    # given a signed-in browser that enforces CSRF, on the home page
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    form = re.search(
        r'<form method="post" action="/accounts/logout/">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
    )
    assert form, "the user menu has a sign-out form"
    # when
    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": form.group(1)})
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("home")).status_code == 302
    assert "You have signed out." in client.get(reverse("accounts:login")).content.decode()


def test_logout_by_get_is_refused(signed_in):
    response = signed_in.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert signed_in.get(reverse("home")).status_code == 200


# --- Home ----------------------------------------------------------------------------------


def test_home_shows_this_workspaces_counts_and_events(signed_in, user, workspace, actor):
    # given records in this workspace, and in another workspace
    for name in ["Ada", "Grace", "Katherine"]:
        contact_create(workspace=workspace, actor=actor, first_name=name, last_name="Example")
    company_create(workspace=workspace, actor=actor, name="Analytical Engines")
    TaskFactory(workspace=workspace, title="Call Ada")
    other = WorkspaceFactory(owner=UserFactory())
    outsider = Actor(user=None, role=Role.OWNER)
    contact_create(workspace=other, actor=outsider, first_name="Mallory", last_name="Outsider")
    company_create(workspace=other, actor=outsider, name="Elsewhere Ltd")
    # when
    response = signed_in.get(reverse("home"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert stat_value(html, "Contacts") == "3"
    assert stat_value(html, "Companies") == "1"
    assert stat_value(html, "Open tasks") == "1"
    assert stat_value(html, "Open deals") == "0"
    assert "Ada Example" in html and "Analytical Engines" in html
    assert "Mallory" not in html and "Elsewhere Ltd" not in html
    # the feed says who did what, in words, and when
    assert re.search(r'<span class="feed__actor">You</span>\s*created\s*<span', html)
    assert '<span class="feed__kind">company</span>' in html
    assert re.search(r"<time datetime=[^>]*>(now|(a|\d+)\W+seconds?\W+ago)</time>", html)
    assert_csp_nonce_used(response)


def test_home_names_other_actors(signed_in, workspace, member):
    # given an event written by another member
    contact_create(
        workspace=workspace,
        actor=Actor(user=member, role=Role.MEMBER),
        first_name="Linus",
    )
    # when
    html = signed_in.get(reverse("home")).content.decode()
    # then
    assert f'<span class="feed__actor">{member.name}</span>' in html


def test_home_describes_notes_and_stage_moves_in_words(signed_in, workspace, actor):
    # given a note on a contact and a deal moved to Won
    ada = contact_create(workspace=workspace, actor=actor, first_name="Ada", last_name="Example")
    note_create(
        workspace=workspace, actor=actor, subject_type="contact", subject_id=ada.pk, body="Hi"
    )
    deal = deal_create(workspace=workspace, actor=actor, title="Big rollout")
    deal_move(deal=deal, actor=actor, stage=default_stage(workspace, kind="won"))
    # when
    html = signed_in.get(reverse("home")).content.decode()
    # then
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "You added a note to contact Ada Example" in text
    assert "You moved deal Big rollout to Won" in text


def test_home_empty_state_says_what_to_do(signed_in, workspace):
    html = signed_in.get(reverse("home")).content.decode()
    assert "No activity yet" in html
    assert "Add your first contact, company or deal" in html
    assert stat_value(html, "Contacts") == "0"


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries)


def test_home_queries_do_not_grow_with_events(signed_in, workspace, actor):
    # given two contact and company events
    contact_create(workspace=workspace, actor=actor, first_name="First")
    company_create(workspace=workspace, actor=actor, name="First Co")
    signed_in.get(reverse("home"))  # the first visit stores the workspace in the session
    few = _home_queries(signed_in)
    # and then fifteen and more
    for n in range(15):
        contact_create(workspace=workspace, actor=actor, first_name=f"Person {n}")
        company_create(workspace=workspace, actor=actor, name=f"Company {n}")
    many = _home_queries(signed_in)
    # then
    assert many == few
    # session, user, membership, four counts, events, one per subject kind, memberships menu
    assert many <= 11


def test_user_without_workspace_sees_what_to_do(client):
    # given a user who belongs to no workspace
    loner = UserFactory(email="loner@example.com")
    client.force_login(loner)
    # when
    response = client.get(reverse("home"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "not in a workspace yet</h1>" in html
    assert "loner@example.com" in html
    assert 'action="/accounts/logout/"' in html
    assert_csp_nonce_used(response)


def test_shell_has_landmarks_and_nav(signed_in, user):
    html = signed_in.get(reverse("home")).content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<nav class="nav" aria-label="Main">' in html
    assert 'aria-current="page"' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    # only pages that exist are in the navigation; Admin only for staff
    assert "Admin site" not in html
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    assert "Admin site" in signed_in.get(reverse("home")).content.decode()


# --- Workspaces ----------------------------------------------------------------------------


def test_workspace_switcher_lists_only_with_several_workspaces(signed_in, user, workspace):
    html = signed_in.get(reverse("home")).content.decode()
    assert "Switch workspace" not in html
    second = WorkspaceFactory(owner=user, name="Second Workspace")
    html = signed_in.get(reverse("home")).content.decode()
    assert "Switch workspace" in html
    assert reverse("accounts:switch_workspace", args=[second.pk]) in html


def test_switch_to_own_workspace(signed_in, user, workspace):
    # given a second workspace of the user's
    second = WorkspaceFactory(owner=user, name="Second Workspace")
    # when
    response = signed_in.post(reverse("accounts:switch_workspace", args=[second.pk]))
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in.session[SESSION_KEY] == str(second.pk)
    html = signed_in.get(reverse("home")).content.decode()
    assert '<h1 class="page-header__title">Second Workspace</h1>' in html
    assert "Switched to Second Workspace." in html


def test_switch_to_foreign_workspace_is_404(signed_in, workspace, other_workspace):
    response = signed_in.post(reverse("accounts:switch_workspace", args=[other_workspace.pk]))
    assert response.status_code == 404
    assert signed_in.session[SESSION_KEY] == str(workspace.pk)


def test_switch_workspace_needs_post(signed_in, workspace):
    response = signed_in.get(reverse("accounts:switch_workspace", args=[workspace.pk]))
    assert response.status_code == 405


def test_member_sees_the_shared_workspace(client, member, workspace):
    client.force_login(member)
    html = client.get(reverse("home")).content.decode()
    assert f'<h1 class="page-header__title">{workspace.name}</h1>' in html


def test_membership_from_another_workspace_does_not_leak(client, workspace, other_workspace):
    # given a member of only the other workspace, with this workspace's id in the session
    outsider = MembershipFactory(workspace=other_workspace).user
    client.force_login(outsider)
    session = client.session
    session[SESSION_KEY] = str(workspace.pk)
    session.save()
    # when
    html = client.get(reverse("home")).content.decode()
    # then
    assert f'<h1 class="page-header__title">{other_workspace.name}</h1>' in html


# --- Error pages ---------------------------------------------------------------------------


def test_unknown_url_is_404_in_the_apps_look(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "find that page</h1>" in html
    assert "/static/css/app.css" in html
    assert 'href="/accounts/login/"' in html
    assert_csp_nonce_used(response)


def test_unknown_url_signed_in_keeps_the_shell(signed_in):
    response = signed_in.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<nav class="nav" aria-label="Main">' in html
    assert "find that page</h1>" in html
    assert_csp_nonce_used(response)


@pytest.mark.urls("tests.web.test_pages")
def test_403_page(signed_in):
    response = signed_in.get("/test-forbidden/")
    assert response.status_code == 403
    assert "have access to this</h1>" in response.content.decode()
    assert_csp_nonce_used(response)


@pytest.mark.urls("tests.web.test_pages")
def test_500_page_renders_without_the_database(client, django_assert_num_queries):
    # when rendered by the handler directly
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    # then
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    # and through the whole stack
    client.raise_request_exception = False
    response = client.get("/test-boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Content-Security-Policy" in response
