"""Signing in and out, signing up, resetting a password, joining by invitation, switching
workspace. Every write goes through ``accounts.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import (
    EmailAuthenticationForm,
    InvitationSignupForm,
    PasswordResetRequestForm,
    SignupForm,
    add_service_errors,
)
from accounts.middleware import SESSION_KEY
from accounts.models import Invitation, InvitationStatus, Membership, User
from accounts.selectors import invitation_by_token
from accounts.services.common import PermissionDenied, ServiceError, ValidationError
from accounts.services.invitations import invitation_accept, invitation_accept_new_user
from accounts.services.signups import account_signup

# The one authentication backend of the project; named because ``login`` after a sign-up
# has no ``authenticate`` call to say which backend vouched for the user.
BACKEND = "django.contrib.auth.backends.ModelBackend"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_initial(self) -> dict:
        # ``?email=`` fills in the address, e.g. when an invitation sends its invitee here.
        initial = super().get_initial()
        if email := self.request.GET.get("email", "")[:254]:
            initial["username"] = email
        return initial


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires) and say so on the sign-in page."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return response


def _enter(request: HttpRequest, user: User, membership: Membership) -> None:
    """Sign ``user`` in (if not already) with ``membership``'s workspace as the current one."""
    if request.user != user:
        login(request, user, backend=BACKEND)
    request.session[SESSION_KEY] = str(membership.workspace_id)


# --- Sign up ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """A new account with a workspace of its own; the new owner lands on its home page."""
    if request.user.is_authenticated:
        return redirect("home")
    status = 200
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                user, workspace = account_signup(**form.cleaned_data)
            except (ValidationError, ServiceError) as error:
                add_service_errors(form, error)
            else:
                _enter(request, user, workspace.memberships.get(user=user))
                messages.success(request, f"Welcome! {workspace.name} is ready for you.")
                return redirect("home")
        status = 422
    else:
        form = SignupForm()
    return render(request, "accounts/signup.html", {"form": form}, status=status)


# --- Password reset -----------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """Always answers "check your inbox", whether or not the address has an account."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetRequestForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the email: choose a new password, then carry on signed in."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = True
    post_reset_login_backend = BACKEND


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- Invitations --------------------------------------------------------------------------------

_CLOSED = {
    InvitationStatus.ACCEPTED: (
        "This invitation was already used",
        "Someone has joined with this link already. If that was you, sign in to get to the "
        "workspace.",
    ),
    InvitationStatus.REVOKED: (
        "This invitation was withdrawn",
        "The workspace's admins cancelled it. Ask them to invite you again if you still "
        "need access.",
    ),
    InvitationStatus.EXPIRED: (
        "This invitation has expired",
        "Invitation links work for 7 days. Ask the person who invited you to send a new one.",
    ),
}


def _closed_page(request: HttpRequest, invitation: Invitation | None) -> HttpResponse:
    if invitation is None:
        title, text = (
            "This invitation link is not valid",
            "Check that you opened the whole link from the email. A link stops working "
            "when a newer invitation is sent to the same address.",
        )
        status = 404
    else:
        title, text = _CLOSED[InvitationStatus(invitation.status)]
        status = 410
    return render(
        request, "accounts/invitation_closed.html", {"title": title, "text": text}, status=status
    )


def _joined(request: HttpRequest, user: User, membership: Membership) -> HttpResponse:
    _enter(request, user, membership)
    messages.success(request, f"You joined {membership.workspace.name}.")
    return redirect("home")


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link from an invitation email.

    Signed in as the invited address: one button to join. Signed in as someone else: a way
    to sign out. Not signed in: to the sign-in page and back if the address has an account,
    else a form for a name and a password that creates the account and joins.
    """
    found = invitation_by_token(token)
    if found is None or not found.is_pending:
        return _closed_page(request, found)
    context: dict = {"invitation": found, "workspace": found.workspace}
    status = 200
    if request.user.is_authenticated:
        if request.user.email.lower() != found.email.lower():
            return render(request, "accounts/invitation_other_user.html", context, status=403)
        if request.method == "POST":
            try:
                membership = invitation_accept(token=token, user=request.user)
            except (ServiceError, PermissionDenied):
                return _closed_page(request, invitation_by_token(token))
            return _joined(request, request.user, membership)
        return render(request, "accounts/invitation_accept.html", context)
    if User.objects.filter(email__iexact=found.email).exists():
        messages.info(request, f"Sign in as {found.email} to join {found.workspace.name}.")
        login_url = reverse("accounts:login")
        query = urlencode({"next": request.path, "email": found.email})
        return redirect(f"{login_url}?{query}")
    form = InvitationSignupForm(request.POST or None, email=found.email)
    if request.method == "POST":
        if form.is_valid():
            try:
                membership = invitation_accept_new_user(token=token, **form.cleaned_data)
            except (ValidationError, ServiceError) as error:
                add_service_errors(form, error)
            else:
                return _joined(request, membership.user, membership)
        status = 422
    context["form"] = form
    return render(request, "accounts/invitation_signup.html", context, status=status)


# --- Workspaces ---------------------------------------------------------------------------------


@login_required
@require_POST
def switch_workspace(request: HttpRequest, workspace_id: str) -> HttpResponse:
    """Make one of the user's own workspaces the current one; any other id is a 404."""
    membership = (
        Membership.objects.filter(user=request.user, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )
    if membership is None:
        raise Http404("No such workspace.")
    request.session[SESSION_KEY] = str(membership.workspace_id)
    messages.success(request, f"Switched to {membership.workspace.name}.")
    return redirect("home")
