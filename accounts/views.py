from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.forms import EmailAuthenticationForm
from accounts.middleware import SESSION_KEY
from accounts.models import Membership


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires) and say so on the sign-in page."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return response


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
