from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from accounts.services.common import ServiceError
from accounts.services.signups import new_user_errors


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with an email address (``username`` keeps the name ``LoginView`` expects)."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        # The same words for an unknown email and a wrong password: no hint which one it was.
        "invalid_login": (
            "That email and password don't match an account. Check both and try again."
        ),
    }


def add_service_errors(form: forms.Form, error: Exception) -> None:
    """Show a service's refusal on the form: each message next to the field it names,
    anything else above the fields."""
    if isinstance(error, ServiceError):
        field = getattr(error, "field", None)
        form.add_error(field if field in form.fields else None, error.message)
    elif hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def _name_field() -> forms.CharField:
    return forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )


def _new_password_field() -> forms.CharField:
    return forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not a common password, not only digits, and not "
        "like your name or email.",
    )


class _NewUserChecks(forms.Form):
    """Says what the service would refuse (taken email, weak password) together with the
    form's own errors, so that one round trip shows every problem next to its field."""

    def new_user_email(self, data: dict) -> str:
        return data.get("email") or ""

    def clean(self) -> dict:
        data = super().clean()
        problems = new_user_errors(
            name=data.get("name") or "",
            email=self.new_user_email(data),
            password=data.get("password") or "",
        )
        for field, messages in problems.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages)
        return data


class SignupForm(_NewUserChecks):
    """A person and their first workspace; the service checks it all again when saving."""

    name = _name_field()
    email = forms.EmailField(
        label="Work email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )
    password = _new_password_field()
    workspace_name = forms.CharField(
        label="Workspace name",
        max_length=120,
        help_text="Usually your company or team. You can rename it later.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )


class InvitationSignupForm(_NewUserChecks):
    """The invitee's name and password; the email is the invited one."""

    name = _name_field()
    password = _new_password_field()

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def new_user_email(self, data: dict) -> str:
        return self.email


class PasswordResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "autocapitalize": "none"}
        ),
    )
