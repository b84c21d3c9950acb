"""Accounts in the browser's terms: sign up, password reset, invitations, workspace switching."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SESSION_KEY
from accounts.models import Invitation, Membership, Role, User, Workspace
from accounts.services.common import Actor, ConflictError, ServiceError
from accounts.services.invitations import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from pipelines.models import Pipeline
from tests.factories import InvitationFactory, MembershipFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-harbour-lantern-42"
SITE = "http://testserver/"
LINK_RE = re.compile(r"http://testserver(/accounts/invitations/([A-Za-z0-9_-]+)/)")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner_client(client, user, workspace):
    client.force_login(user)
    return client


def client_for(workspace, role) -> tuple[Client, User]:
    user = MembershipFactory(workspace=workspace, role=role).user
    client = Client()
    client.force_login(user)
    return client, user


def owner_actor(workspace, user) -> Actor:
    return Actor.for_membership(Membership.objects.get(workspace=workspace, user=user))


def link_path(body: str) -> str:
    match = LINK_RE.search(body)
    assert match, body
    return match.group(1)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Invitation emails leave when the transaction commits: run those callbacks."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


@pytest.fixture
def invite(capture, mailoutbox):
    """Invite through the service (as the workspace's owner ``user``); the link's path."""

    def send(workspace, user, email, role=Role.MEMBER, **kwargs) -> str:
        capture(
            lambda: invitation_create(
                workspace=workspace,
                actor=owner_actor(workspace, user),
                email=email,
                role=role,
                site_url=SITE,
                **kwargs,
            )
        )
        return link_path(mailoutbox[-1].body)

    return send


# --- Sign up ------------------------------------------------------------------------------------


def test_login_page_links_to_sign_up_and_password_reset(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("accounts:signup")}"' in html
    assert f'href="{reverse("accounts:password_reset")}">Forgot password?' in html


def test_signup_creates_an_owned_workspace_and_signs_in(client):
    # when someone signs up
    response = client.post(
        reverse("accounts:signup"),
        {
            "name": "Sam Founder",
            "email": "Sam@Example.com",
            "password": STRONG,
            "workspace_name": "Sam's Bakery",
        },
    )
    # then they own a new workspace, set up like every new one, and are signed in to it
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(email__iexact="sam@example.com")
    assert user.name == "Sam Founder" and user.check_password(STRONG)
    workspace = Workspace.objects.get(name="Sam's Bakery")
    assert Membership.objects.get(user=user, workspace=workspace).role == Role.OWNER
    assert Pipeline.objects.for_workspace(workspace).filter(is_default=True).exists()
    assert client.session[SESSION_KEY] == str(workspace.pk)
    html = client.get(reverse("home")).content.decode()
    assert '<h1 class="page-header__title">Sam&#x27;s Bakery</h1>' in html
    assert "is ready for you" in html


def test_signup_refuses_a_taken_email_whatever_its_case(client, user):
    # given owner@example.com has an account
    response = client.post(
        reverse("accounts:signup"),
        {
            "name": "Copy Cat",
            "email": "OWNER@example.COM",
            "password": STRONG,
            "workspace_name": "Second Shop",
        },
    )
    # then the error is next to the email field and what was typed stays
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert "already exists" in html
    assert 'value="Copy Cat"' in html and 'value="Second Shop"' in html
    assert STRONG not in html
    assert not Workspace.objects.filter(name="Second Shop").exists()
    assert User.objects.filter(email__iexact="owner@example.com").count() == 1


def test_signup_refuses_a_weak_password_next_to_the_field(client):
    response = client.post(
        reverse("accounts:signup"),
        {"name": "Pat", "email": "pat@example.com", "password": "12345", "workspace_name": "P"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_password_error"' in html
    assert "too short" in html and "entirely numeric" in html
    assert 'value="pat@example.com"' in html
    assert not User.objects.filter(email="pat@example.com").exists()


def test_signup_with_empty_fields_shows_each_error(client):
    response = client.post(reverse("accounts:signup"), {})
    html = response.content.decode()
    assert response.status_code == 422
    for name in ("name", "email", "password", "workspace_name"):
        assert f'id="id_{name}_error"' in html, name


def test_signup_page_sends_a_signed_in_user_home(owner_client):
    assert owner_client.get(reverse("accounts:signup"))["Location"] == reverse("home")


# --- Password reset -----------------------------------------------------------------------------


def test_password_reset_by_email_sets_a_new_password_and_signs_in(client, user, mailoutbox):
    # given the reset form, sent with the address in another case
    page = client.get(reverse("accounts:password_reset")).content.decode()
    assert 'name="email"' in page
    response = client.post(reverse("accounts:password_reset"), {"email": "Owner@Example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    # then an email with a one-time link went out
    [mail] = mailoutbox
    assert mail.to == [user.email]
    path = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.body).group(1)
    # when the link is opened (Django moves the token into the session) and a password chosen
    form_url = client.get(path)["Location"]
    assert "Choose a new password" in client.get(form_url).content.decode()
    response = client.post(form_url, {"new_password1": STRONG, "new_password2": STRONG})
    # then the password is changed and the user is signed in
    assert response["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert "You\u2019re signed in" in client.get(response["Location"]).content.decode()
    # and the link does not work twice
    assert "doesn\u2019t work any more" in Client().get(path, follow=True).content.decode()


def test_password_reset_does_not_tell_whether_an_account_exists(client, user, mailoutbox):
    known = client.post(reverse("accounts:password_reset"), {"email": user.email})
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mailoutbox) == 1
    done = client.get(unknown["Location"]).content.decode()
    assert "If an account uses that email address" in done


def test_password_reset_rejects_a_weak_new_password(client, user, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    path = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(path)["Location"]
    response = client.post(form_url, {"new_password1": "password", "new_password2": "password"})
    assert response.status_code == 200
    assert 'id="id_new_password2_error"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("password")  # unchanged (the factory's password)


def test_password_reset_link_with_a_bad_token_says_so(client, user):
    response = client.get(
        reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"]), follow=True
    )
    html = response.content.decode()
    assert "doesn\u2019t work any more" in html
    assert reverse("accounts:password_reset") in html


# --- Inviting (Settings → Members) --------------------------------------------------------------


def test_owner_invites_by_email_and_only_a_hash_of_the_token_is_kept(
    owner_client, workspace, mailoutbox, capture
):
    # when the owner sends an invitation
    response = capture(
        lambda: owner_client.post(
            reverse("settings:invitation_send"),
            {"invite-email": "new@example.com", "invite-role": "admin"},
        )
    )
    # then an email with the link went out, and the invitation is listed as pending
    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.to == ["new@example.com"]
    assert workspace.name in mail.subject and "as admin" in mail.body
    path = link_path(mail.body)
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(workspace=workspace)
    assert invitation.role == Role.ADMIN and invitation.is_pending
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.expires_at - timezone.now() > datetime.timedelta(days=6, hours=23)
    html = owner_client.get(reverse("settings:members")).content.decode()
    assert "Invitation sent to new@example.com." in html
    assert f'id="invitation-{invitation.pk}"' in html
    assert token not in html


def test_inviting_a_member_or_a_pending_address_is_refused_next_to_the_email(
    owner_client, workspace, member, mailoutbox, capture
):
    response = owner_client.post(
        reverse("settings:invitation_send"),
        {"invite-email": member.email.upper(), "invite-role": "member"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_invite-email_error"' in html and "already a member" in html
    assert f'value="{member.email.upper()}"' in html
    capture(
        lambda: owner_client.post(
            reverse("settings:invitation_send"),
            {"invite-email": "x@example.com", "invite-role": "member"},
        )
    )
    response = owner_client.post(
        reverse("settings:invitation_send"),
        {"invite-email": "X@example.com", "invite-role": "viewer"},
    )
    assert response.status_code == 422
    assert "already been invited" in response.content.decode()
    assert Invitation.objects.count() == 1 and len(mailoutbox) == 1


def test_invalid_invite_form_shows_errors(owner_client):
    response = owner_client.post(
        reverse("settings:invitation_send"), {"invite-email": "no", "invite-role": ""}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_invite-email_error"' in html and 'id="id_invite-role_error"' in html


def test_admin_invites_members_but_not_owners(workspace, mailoutbox, capture):
    client, admin_user = client_for(workspace, Role.ADMIN)
    html = client.get(reverse("settings:members")).content.decode()
    invite_form = html.split('id="id_invite-role"')[1].split("</select>")[0]
    assert 'value="owner"' not in invite_form
    response = client.post(
        reverse("settings:invitation_send"),
        {"invite-email": "boss@example.com", "invite-role": "owner"},
    )
    assert response.status_code == 422
    assert not Invitation.objects.exists()
    # and the service refuses too, whatever the form offers
    with pytest.raises(PermissionDenied):
        invitation_create(
            workspace=workspace,
            actor=Actor(user=admin_user),
            email="boss@example.com",
            role=Role.OWNER,
            site_url=SITE,
        )
    capture(
        lambda: client.post(
            reverse("settings:invitation_send"),
            {"invite-email": "m@example.com", "invite-role": "member"},
        )
    )
    assert Invitation.objects.get().invited_by == admin_user


def test_owner_may_invite_an_owner(owner_client, workspace, capture):
    capture(
        lambda: owner_client.post(
            reverse("settings:invitation_send"),
            {"invite-email": "co@example.com", "invite-role": "owner"},
        )
    )
    assert Invitation.objects.get().role == Role.OWNER


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_invite(workspace, role):
    client, user = client_for(workspace, role)
    response = client.post(
        reverse("settings:invitation_send"),
        {"invite-email": "x@example.com", "invite-role": "viewer"},
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        invitation_create(
            workspace=workspace,
            actor=Actor(user=user),
            email="x@example.com",
            role=Role.VIEWER,
            site_url=SITE,
        )
    assert not Invitation.objects.exists()


def test_resend_issues_a_new_link_and_the_old_one_stops_working(
    owner_client, client, user, workspace, mailoutbox, capture, invite
):
    # given an invitation
    old = invite(workspace, user, "late@example.com")
    invitation = Invitation.objects.get()
    # when the owner resends it
    response = capture(
        lambda: owner_client.post(reverse("settings:invitation_resend", args=[invitation.pk]))
    )
    # then a second email has a new link; the first link is no longer valid
    assert response.status_code == 302
    assert len(mailoutbox) == 2
    new = link_path(mailoutbox[1].body)
    assert new != old
    assert Invitation.objects.count() == 1
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_an_expired_invitation_can_be_sent_again(user, workspace, invite):
    invite(workspace, user, "slow@example.com")
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    path = invite(workspace, user, "slow@example.com")
    assert Invitation.objects.get().is_pending
    assert Client().get(path).status_code == 200


def test_revoke_asks_first_then_the_link_is_dead(owner_client, user, workspace, invite):
    path = invite(workspace, user, "gone@example.com")
    invitation = Invitation.objects.get()
    url = reverse("settings:invitation_revoke", args=[invitation.pk])
    members = owner_client.get(reverse("settings:members")).content.decode()
    assert f'href="{url}"' in members
    # when the owner opens "Revoke…": a question, nothing revoked yet
    page = owner_client.get(url).content.decode()
    assert "Revoke the invitation for gone@example.com?" in page
    assert Invitation.objects.get().revoked_at is None
    # when they confirm
    response = owner_client.post(url)
    assert response["Location"] == reverse("settings:members")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert (
        f'id="invitation-{invitation.pk}"'
        not in owner_client.get(reverse("settings:members")).content.decode()
    )
    # then the link shows why it does not work
    response = Client().get(path)
    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.content.decode()


def test_admin_cannot_resend_or_revoke_an_owner_invitation(user, workspace, mailoutbox, invite):
    invite(workspace, user, "co@example.com", Role.OWNER)
    invitation = Invitation.objects.get()
    client, _ = client_for(workspace, Role.ADMIN)
    html = client.get(reverse("settings:members")).content.decode()
    assert reverse("settings:invitation_revoke", args=[invitation.pk]) not in html
    for name in ("invitation_resend", "invitation_revoke"):
        response = client.post(reverse(f"settings:{name}", args=[invitation.pk]))
        assert response.status_code == 403, name
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and len(mailoutbox) == 1


def test_another_workspaces_invitation_is_404(owner_client, other_workspace):
    theirs = InvitationFactory(workspace=other_workspace)
    for name in ("invitation_resend", "invitation_revoke"):
        url = reverse(f"settings:{name}", args=[theirs.pk])
        assert owner_client.post(url).status_code == 404
    revoke_page = owner_client.get(reverse("settings:invitation_revoke", args=[theirs.pk]))
    assert revoke_page.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_members_page_query_count_does_not_grow_with_invitations(owner_client, workspace, user):
    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            InvitationFactory(workspace=workspace, email=f"i{n}@example.com", invited_by=user)

    add(10, 0)
    owner_client.get(reverse("settings:members"))
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(reverse("settings:members")).status_code == 200
    add(190, 100)
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(reverse("settings:members"))
    assert response.content.decode().count('id="invitation-') == 200
    assert len(many) == len(few)


# --- Opening the link ---------------------------------------------------------------------------


def test_signed_in_invitee_joins_with_one_click_and_lands_in_the_workspace(user, workspace, invite):
    # given someone with a workspace of their own, invited to another one
    invitee = UserFactory(email="Guest@example.com")
    own = WorkspaceFactory(owner=invitee, name="Guest Own")
    path = invite(workspace, user, "guest@example.com")
    client = Client()
    client.force_login(invitee)
    client.get(reverse("home"))
    assert client.session[SESSION_KEY] == str(own.pk)
    # when they open the link: a page that says what they join, and a button
    page = client.get(path).content.decode()
    assert f"Join {workspace.name}" in page and "Member" in page
    assert Membership.objects.filter(user=invitee).count() == 1
    response = client.post(path)
    # then they are a member, in that workspace now
    assert response["Location"] == reverse("home")
    assert Membership.objects.get(user=invitee, workspace=workspace).role == Role.MEMBER
    assert client.session[SESSION_KEY] == str(workspace.pk)
    home = client.get(reverse("home")).content.decode()
    assert f"You joined {workspace.name}." in home
    # and with two workspaces, the switcher takes them back
    assert "Switch workspace" in home
    client.post(reverse("accounts:switch_workspace", args=[own.pk]))
    assert client.session[SESSION_KEY] == str(own.pk)
    # and the link is used up
    response = client.get(path)
    assert response.status_code == 410
    assert "already used" in response.content.decode()


def test_invitee_with_an_account_signs_in_first_and_comes_back(user, workspace, invite):
    invitee = UserFactory(email="back@example.com")
    path = invite(workspace, user, "back@example.com")
    client = Client()
    # when they open the link signed out
    response = client.get(path)
    # then they are asked to sign in, and come back to the link after
    login = reverse("accounts:login")
    assert response["Location"] == (
        f"{login}?next={path.replace('/', '%2F')}&email=back%40example.com"
    )
    page = client.get(response["Location"]).content.decode()
    assert f"Sign in as back@example.com to join {workspace.name}." in page
    assert 'value="back@example.com"' in page
    assert f'name="next" value="{path}"' in page
    response = client.post(login, {"username": invitee.email, "password": "password", "next": path})
    assert response["Location"] == path
    client.post(path)
    assert Membership.objects.filter(user=invitee, workspace=workspace).exists()


def test_invitee_without_an_account_sets_name_and_password_and_joins(user, workspace, invite):
    path = invite(workspace, user, "fresh@example.com", Role.VIEWER)
    client = Client()
    # the link shows a form for the new account
    page = client.get(path).content.decode()
    assert "fresh@example.com" in page and 'name="password"' in page
    # a weak password is refused next to its field, the name kept
    response = client.post(path, {"name": "Fresh Face", "password": "fresh"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_password_error"' in html and 'value="Fresh Face"' in html
    assert not User.objects.filter(email="fresh@example.com").exists()
    # a good one creates the account, joins, and signs in to the workspace
    response = client.post(path, {"name": "Fresh Face", "password": STRONG})
    assert response["Location"] == reverse("home")
    new = User.objects.get(email="fresh@example.com")
    assert new.name == "Fresh Face" and new.check_password(STRONG)
    assert Membership.objects.get(user=new, workspace=workspace).role == Role.VIEWER
    assert client.session[SESSION_KEY] == str(workspace.pk)
    assert f"You joined {workspace.name}." in client.get(reverse("home")).content.decode()


def test_signed_in_as_someone_else_the_link_offers_to_sign_out(user, workspace, member, invite):
    path = invite(workspace, user, "third@example.com")
    client = Client()
    client.force_login(member)
    response = client.get(path)
    assert response.status_code == 403
    html = response.content.decode()
    assert "This invitation is for another account" in html
    assert f'name="next" value="{path}"' in html
    assert client.post(path).status_code == 403
    assert Invitation.objects.get().is_pending
    with pytest.raises(PermissionDenied):
        invitation_accept(token=path.rstrip("/").rsplit("/", 1)[1], user=member)


def test_expired_and_unknown_links_say_so(user, workspace, invite):
    path = invite(workspace, user, "old@example.com")
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = Client().get(path)
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    response = Client().post(path, {"name": "Late", "password": STRONG})
    assert response.status_code == 410
    assert not User.objects.filter(email="old@example.com").exists()
    response = Client().get(reverse("accounts:invitation", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_accepting_as_a_member_already_keeps_their_role(user, workspace):
    admin_user = MembershipFactory(workspace=workspace, role=Role.ADMIN).user
    # invited before joining some other way; the invitation is still open
    invitation = Invitation.objects.create(
        workspace=workspace,
        email=admin_user.email,
        role=Role.VIEWER,
        token_hash=hashlib.sha256(b"tok").hexdigest(),
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    membership = invitation_accept(token="tok", user=admin_user)
    assert membership.role == Role.ADMIN
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    with pytest.raises(ServiceError):
        invitation_accept(token="tok", user=admin_user)


def test_revoking_an_accepted_invitation_is_refused(user, workspace):
    invitation = InvitationFactory(workspace=workspace, accepted_at=timezone.now())
    with pytest.raises(ServiceError):
        invitation_revoke(invitation=invitation, actor=owner_actor(workspace, user))


def test_conflict_error_names_the_pending_invitation(user, workspace, invite):
    invite(workspace, user, "dup@example.com")
    with pytest.raises(ConflictError) as raised:
        invite(workspace, user, "DUP@example.com")
    assert raised.value.field == "email"
    assert raised.value.conflict_id == Invitation.objects.get().pk


# --- Admin site ---------------------------------------------------------------------------------


def _admin_url(action: str, *args) -> str:
    return reverse(f"admin:accounts_invitation_{action}", args=args)


def test_invitations_are_in_the_admin_read_only_and_revocable(client, workspace, user):
    superuser = User.objects.create_superuser(email="root@example.com", password="password")
    client.force_login(superuser)
    invitation = InvitationFactory(workspace=workspace, invited_by=user)
    assert admin.site.is_registered(Invitation)
    assert client.get(_admin_url("changelist")).status_code == 200
    assert client.get(_admin_url("add")).status_code == 403
    response = client.get(_admin_url("change", invitation.pk))
    assert response.status_code == 200
    assert "token_hash" not in response.content.decode()
    client.post(_admin_url("changelist"), {"action": "revoke", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_staff_see_only_their_workspaces_invitations(client, workspace, other_workspace):
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    MembershipFactory(workspace=workspace, user=staff, role=Role.ADMIN)
    staff.user_permissions.add(Permission.objects.get(codename="view_invitation"))
    mine = InvitationFactory(workspace=workspace)
    InvitationFactory(workspace=other_workspace)
    client.force_login(staff)
    response = client.get(_admin_url("changelist"))
    assert [i.pk for i in response.context["cl"].result_list] == [mine.pk]


def test_admin_changelist_queries_do_not_grow(client, workspace, user):
    superuser = User.objects.create_superuser(email="root@example.com", password="password")
    client.force_login(superuser)
    for _ in range(3):
        InvitationFactory(workspace=workspace, invited_by=user)
    client.get(_admin_url("changelist"))
    with CaptureQueriesContext(connection) as few:
        client.get(_admin_url("changelist"))
    for _ in range(30):
        InvitationFactory(workspace=WorkspaceFactory(), invited_by=UserFactory())
    with CaptureQueriesContext(connection) as many:
        client.get(_admin_url("changelist"))
    assert len(many) == len(few)
