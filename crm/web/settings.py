"""Settings pages: API keys, workspace and members (pipelines live in settings_pipelines.py).

Every settings page is for a workspace's owners and admins; anyone else gets a 403, for
reading as for writing. Writes go through the services in ``accounts.services``.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import add_service_errors
from accounts.models import ApiKey, Invitation, Membership, Role
from accounts.scopes import ALL_SCOPES, UMBRELLA_SCOPES
from accounts.selectors import invitation_list_open
from accounts.services.api_keys import MAX_EXPIRY_DAYS, api_key_create, api_key_revoke
from accounts.services.common import Actor, PermissionDenied, ServiceError, ValidationError
from accounts.services.invitations import invitation_create, invitation_revoke
from accounts.services.workspaces import (
    membership_remove,
    membership_update_role,
    workspace_update,
)

ADMIN_ROLES = (Role.OWNER, Role.ADMIN)


def settings_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, in a workspace, as its owner or an admin; otherwise 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = request.membership
        if not membership or membership.role not in ADMIN_ROLES:
            raise PermissionDenied("Only the workspace's owners and admins can change settings.")
        return view(request, *args, **kwargs)

    return wrapper


def is_fetch(request: HttpRequest) -> bool:
    """A request from our own scripts (or htmx), which wants a small answer, not a page."""
    return request.headers.get("X-Requested-With") == "fetch" or bool(
        request.headers.get("HX-Request")
    )


# --- API keys -----------------------------------------------------------------------------------


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        help_text="Say what uses the key, e.g. “Zapier” or “Billing sync”.",
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        # The umbrellas first: most keys want one of them.
        choices=[
            (scope, f"{scope} — {label}")
            for scope, label in sorted(
                ALL_SCOPES.items(), key=lambda item: item[0] not in UMBRELLA_SCOPES
            )
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text="Leave empty for a key that does not expire.",
        widget=forms.NumberInput(attrs={"class": "input", "inputmode": "numeric"}),
    )


def _api_key_page(request: HttpRequest, form: ApiKeyForm, *, new_key: str = "", status=200):
    keys = ApiKey.objects.for_workspace(request.workspace).select_related("created_by")
    return render(
        request,
        "settings/api_keys.html",
        {"keys": keys, "form": form, "new_key": new_key, "settings_tab": "api_keys"},
        status=status,
    )


@settings_admin_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """The workspace's keys and a form for a new one; a new key's text is shown once only."""
    if request.method == "GET":
        return _api_key_page(request, ApiKeyForm(initial={"scopes": ["crm:read"]}))
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            key, raw = api_key_create(
                workspace=request.workspace,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"API key “{key.name}” created. Copy it now.")
            # Rendered, not redirected: the full key exists only in this response.
            return _api_key_page(
                request, ApiKeyForm(initial={"scopes": ["crm:read"]}), new_key=raw, status=201
            )
    return _api_key_page(request, form, status=422)


def _workspace_key(request: HttpRequest, key_id) -> ApiKey:
    key = ApiKey.objects.for_workspace(request.workspace).filter(pk=key_id).first()
    if key is None:
        raise Http404("No such API key.")
    return key


@settings_admin_required
@require_http_methods(["GET", "POST"])
def api_key_revoke_view(request: HttpRequest, key_id) -> HttpResponse:
    """Ask first (GET), then revoke (POST): programs using the key stop working at once."""
    key = _workspace_key(request, key_id)
    if request.method == "POST":
        api_key_revoke(api_key=key)
        messages.success(request, f"API key “{key.name}” revoked.")
        return redirect("settings:api_keys")
    return render(request, "settings/api_key_revoke.html", {"key": key, "settings_tab": "api_keys"})


# --- Workspace ----------------------------------------------------------------------------------


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"class": "input"}))
    default_currency = forms.CharField(
        label="Default currency",
        max_length=3,
        help_text="Three-letter ISO code, e.g. EUR. New deals start in it.",
        widget=forms.TextInput(attrs={"class": "input", "autocapitalize": "characters"}),
    )
    timezone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="An IANA name such as Europe/Berlin.",
        widget=forms.TextInput(attrs={"class": "input", "list": "timezones"}),
    )


@settings_admin_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    status = 200
    if request.method == "POST":
        form = WorkspaceForm(request.POST)
        if form.is_valid():
            try:
                workspace_update(workspace=workspace, data=form.cleaned_data)
            except (ValidationError, ServiceError) as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Workspace settings saved.")
                return redirect("settings:workspace")
        status = 422
    else:
        form = WorkspaceForm(
            initial={
                "name": workspace.name,
                "default_currency": workspace.default_currency,
                "timezone": workspace.timezone,
            }
        )
    return render(
        request,
        "settings/workspace.html",
        {
            "form": form,
            "settings_tab": "workspace",
            "timezones": sorted(zoneinfo.available_timezones()),
        },
        status=status,
    )


# --- Members ------------------------------------------------------------------------------------


class InvitationForm(forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(
            attrs={
                "class": "input",
                "autocomplete": "off",
                "autocapitalize": "none",
                "placeholder": "name@company.com",
            }
        ),
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args, inviter_role: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if inviter_role != Role.OWNER:
            # Only owners make owners; an admin's forged "owner" is an invalid choice.
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]
        self.fields["role"].widget.attrs["class"] = "input"


def _invitation_form(request: HttpRequest, data=None) -> InvitationForm:
    # Prefixed: the page has a "role" select per member as well.
    return InvitationForm(data, prefix="invite", inviter_role=request.membership.role)


def _members_page(
    request: HttpRequest,
    *,
    status: int = 200,
    errors: dict | None = None,
    invite_form: InvitationForm | None = None,
):
    memberships = (
        Membership.objects.filter(workspace=request.workspace)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    return render(
        request,
        "settings/members.html",
        {
            "memberships": memberships,
            "roles": Role.choices,
            "errors": errors or {},
            "invite_form": invite_form or _invitation_form(request),
            "invitations": invitation_list_open(workspace=request.workspace),
            "settings_tab": "members",
        },
        status=status,
    )


def _workspace_membership(request: HttpRequest, membership_id) -> Membership:
    membership = (
        Membership.objects.filter(workspace=request.workspace, pk=membership_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership


def _check_may_manage(request: HttpRequest, membership: Membership, role: str | None) -> None:
    """Only owners may touch owners or make someone an owner."""
    if request.membership.role == Role.OWNER:
        return
    if membership.role == Role.OWNER or role == Role.OWNER:
        raise PermissionDenied("Only an owner can change an owner's membership.")


@settings_admin_required
@require_http_methods(["GET"])
def members(request: HttpRequest) -> HttpResponse:
    return _members_page(request)


@settings_admin_required
@require_http_methods(["POST"])
def member_role(request: HttpRequest, membership_id) -> HttpResponse:
    membership = _workspace_membership(request, membership_id)
    role = request.POST.get("role", "")
    _check_may_manage(request, membership, role)
    try:
        membership_update_role(membership=membership, role=role)
    except ValidationError as error:
        return _members_page(request, status=422, errors={membership.pk: error.messages})
    except ServiceError as error:
        return _members_page(request, status=422, errors={membership.pk: [error.message]})
    who = membership.user.name or membership.user.email
    messages.success(request, f"{who} is now {membership.get_role_display().lower()}.")
    return redirect("settings:members")


@settings_admin_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, membership_id) -> HttpResponse:
    membership = _workspace_membership(request, membership_id)
    if request.method == "GET":
        return render(
            request,
            "settings/member_remove.html",
            {"membership": membership, "settings_tab": "members"},
        )
    _check_may_manage(request, membership, None)
    try:
        membership_remove(membership=membership)
    except ServiceError as error:
        return _members_page(request, status=422, errors={membership.pk: [error.message]})
    who = membership.user.name or membership.user.email
    messages.success(request, f"{who} no longer belongs to {request.workspace.name}.")
    if membership.user_id == request.user.pk:
        return redirect("home")
    return redirect("settings:members")


# --- Invitations ------------------------------------------------------------------------------


def _site_url(request: HttpRequest) -> str:
    """Where the links in emails point: this site, as the admin reached it."""
    return request.build_absolute_uri("/")


def _workspace_invitation(request: HttpRequest, invitation_id) -> Invitation:
    """An open (not accepted, not revoked) invitation of the current workspace, or 404."""
    invitation = (
        Invitation.objects.for_workspace(request.workspace).open().filter(pk=invitation_id).first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


@settings_admin_required
@require_http_methods(["POST"])
def invitation_send(request: HttpRequest) -> HttpResponse:
    """Invite an email address with a role; the invitee gets a link by email."""
    form = _invitation_form(request, request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(
                workspace=request.workspace,
                actor=Actor.for_membership(request.membership),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                site_url=_site_url(request),
            )
        except (ValidationError, ServiceError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("settings:members")
    return _members_page(request, status=422, invite_form=form)


@settings_admin_required
@require_http_methods(["POST"])
def invitation_resend(request: HttpRequest, invitation_id) -> HttpResponse:
    """A fresh link for 7 more days; the previous link stops working."""
    invitation = _workspace_invitation(request, invitation_id)
    try:
        invitation_create(
            workspace=request.workspace,
            actor=Actor.for_membership(request.membership),
            email=invitation.email,
            role=invitation.role,
            site_url=_site_url(request),
            resend=True,
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Invitation sent to {invitation.email} again.")
    return redirect("settings:members")


@settings_admin_required
@require_http_methods(["GET", "POST"])
def invitation_revoke_view(request: HttpRequest, invitation_id) -> HttpResponse:
    """Ask first (GET), then revoke (POST): the emailed link stops working at once."""
    invitation = _workspace_invitation(request, invitation_id)
    if request.method == "POST":
        try:
            invitation_revoke(invitation=invitation, actor=Actor.for_membership(request.membership))
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Invitation for {invitation.email} revoked.")
        return redirect("settings:members")
    return render(
        request,
        "settings/invitation_revoke.html",
        {"invitation": invitation, "settings_tab": "members"},
    )


@settings_admin_required
def settings_index(request: HttpRequest) -> HttpResponse:
    return redirect("settings:workspace")
