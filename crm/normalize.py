"""Canonical forms of emails, phone numbers, domains and Markdown, used by every write path."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import markdown as markdown_lib
import nh3
import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

_email_validator = EmailValidator(message="Enter a valid email address.")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalize_email(value: str) -> str:
    """Trimmed, with the domain part lowercased; raises ValidationError when malformed."""
    value = (value or "").strip()
    _email_validator(value)
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_phone(value: str, region: str | None = None) -> str:
    """E.164 (``+14155550123``). Numbers without a country code are read in ``region``."""
    text = (value or "").strip()
    region = region or getattr(settings, "PHONE_DEFAULT_REGION", "US")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{text!r} is not a phone number.") from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(f"{text!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_domain(value: str) -> str:
    """``https://www.Example.com/about`` → ``example.com``; raises ValidationError if invalid."""
    text = (value or "").strip().lower()
    if not text:
        return ""
    if "://" not in text:
        text = "//" + text
    host = urlsplit(text).hostname or ""
    host = host.removeprefix("www.").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(f"{value!r} is not a valid domain.") from None
    if not _DOMAIN_RE.match(host):
        raise ValidationError(f"{value!r} is not a valid domain.")
    return host


_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to show: only harmless tags, links get rel=noopener."""
    html = markdown_lib.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists"])
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A cell for a CSV a person may open in Excel: text that would start a formula
    (``=cmd|…``, ``+``, ``-``, ``@``, tab, CR) gets a leading apostrophe, so it stays text."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
