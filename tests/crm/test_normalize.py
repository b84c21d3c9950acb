"""Canonical forms of emails, phones, domains, and the Markdown sanitiser."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from crm.normalize import normalize_domain, normalize_email, normalize_phone, render_markdown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM  ", "Ada.Lovelace@example.com"),
        ("x+tag@Sub.Example.org", "x+tag@sub.example.org"),
    ],
)
def test_normalize_email_trims_and_lowercases_the_domain(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "no-at-sign", "a@", "@example.com", "a b@example.com"])
def test_normalize_email_refuses_malformed_addresses(raw):
    with pytest.raises(ValidationError):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 415 555 0123", "+14155550123"),
        ("(415) 555-0123", "+14155550123"),  # read in the default region (US)
        ("+44 20 7946 0958", "+442079460958"),
        ("+49 (0)30 123456", "+4930123456"),
    ],
)
def test_normalize_phone_gives_e164(raw, expected):
    assert normalize_phone(raw) == expected


def test_normalize_phone_reads_national_numbers_in_the_given_region():
    assert normalize_phone("020 7946 0958", region="GB") == "+442079460958"


@pytest.mark.parametrize("raw", ["", "call me", "12", "+1 23"])
def test_normalize_phone_refuses_non_numbers(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("https://www.Example.com/x", "example.com"),
        ("http://WWW.EXAMPLE.COM/about?x=1#top", "example.com"),
        ("Example.com.", "example.com"),
        ("shop.example.co.uk:8443", "shop.example.co.uk"),
        ("  https://sub.example.io  ", "sub.example.io"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("", ""),
    ],
)
def test_normalize_domain(raw, expected):
    assert normalize_domain(raw) == expected


def test_equal_domains_in_different_spellings_normalise_alike():
    assert normalize_domain("https://www.Example.com/x") == normalize_domain("example.com")


@pytest.mark.parametrize(
    "raw", ["not a domain", "localhost", "http://", "www.", "-bad-.com", "a..b"]
)
def test_normalize_domain_refuses_invalid_domains(raw):
    with pytest.raises(ValidationError):
        normalize_domain(raw)


def test_render_markdown_renders_formatting():
    # when
    html = render_markdown("# Title\n\n**bold** and *em* and `code`\n\n- one\n- two")

    # then
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert "<li>one</li>" in html


def test_render_markdown_removes_script_tags_and_their_content():
    # when
    html = render_markdown("Hello <script>alert('x')</script> world")

    # then
    assert "<script" not in html
    assert "alert" not in html
    assert "Hello" in html and "world" in html


def test_render_markdown_removes_event_handler_attributes():
    # when
    html = render_markdown(
        '<img src="x" onerror="alert(1)"> <a href="https://ok.example" onclick="steal()">x</a>'
    )

    # then
    assert "onerror" not in html
    assert "onclick" not in html
    assert "alert" not in html
    assert "<img" not in html
    assert 'href="https://ok.example"' in html


def test_render_markdown_drops_javascript_links():
    # when
    html = render_markdown("[click](javascript:alert(1)) and <a href='JaVaScRiPt:alert(2)'>y</a>")

    # then
    assert "javascript" not in html.lower()
    assert "click" in html


def test_render_markdown_marks_links_noopener():
    # when
    html = render_markdown("[site](https://example.com)")

    # then
    assert 'href="https://example.com"' in html
    assert "noopener" in html
    assert "nofollow" in html
