"""Guessing which field each column of an uploaded file holds, from its header.

Headers are compared in a normal form (lowercase words, no punctuation), so ``E-mail 1 - Value``,
``e_mail_1_value`` and ``E-Mail 1 Value`` are the same. The table covers our own export and the
exports of HubSpot, Salesforce, Pipedrive, Nimble, Google Contacts and Outlook.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORDS = re.compile(r"[^0-9a-z]+")


def normal(header: str) -> str:
    """``"E-mail 1 - Value"`` → ``"e mail 1 value"``; ``"Prénom"`` → ``"prenom"``."""
    text = unicodedata.normalize("NFKD", (header or "").lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _WORDS.sub(" ", text).strip()


def _table(pairs: dict[str, Iterable[str]]) -> dict[str, str]:
    return {normal(alias): target for target, aliases in pairs.items() for alias in aliases}


_ADDRESS = {
    "address.street": (
        "street",
        "street address",
        "address",
        "address line 1",
        "mailing street",
        "billing street",
        "address 1 street",
        "home street",
        "business street",
        "organization address",
        "person address",
    ),
    "address.city": (
        "city",
        "town",
        "ville",
        "stadt",
        "ciudad",
        "mailing city",
        "billing city",
        "address 1 city",
        "home city",
        "business city",
    ),
    "address.state": (
        "state",
        "state region",
        "region",
        "province",
        "county",
        "mailing state province",
        "billing state province",
        "address 1 region",
        "home state",
        "business state",
    ),
    "address.zip": (
        "zip",
        "zip code",
        "postal code",
        "postcode",
        "mailing zip postal code",
        "billing zip postal code",
        "address 1 postal code",
        "home postal code",
        "business postal code",
    ),
    "address.country": (
        "country",
        "country region",
        "pays",
        "land",
        "pais",
        "mailing country",
        "billing country",
        "address 1 country",
        "home country",
        "business country",
    ),
}

CONTACT_HEADERS = _table(
    {
        "first_name": (
            "first name",
            "firstname",
            "given name",
            "first",
            "forename",
            "prenom",
            "vorname",
            "nombre",
        ),
        "last_name": (
            "last name",
            "lastname",
            "family name",
            "surname",
            "last",
            "nom",
            "nachname",
            "apellido",
            "apellidos",
        ),
        "full_name": (
            "name",
            "full name",
            "contact name",
            "person name",
            "person",
            "contact",
            "display name",
        ),
        "email": (
            "email",
            "e mail",
            "email address",
            "e mail address",
            "primary email",
            "work email",
            "email 1",
            "e mail 1 value",
            "email 1 value",
            "email work",
            "person email",
            "person email work",
            "courriel",
        ),
        "email_2": (
            "email 2",
            "e mail 2 value",
            "email 2 value",
            "secondary email",
            "other email",
            "personal email",
            "email home",
            "email personal",
            "e mail 2 address",
        ),
        "phone": (
            "phone",
            "phone number",
            "telephone",
            "tel",
            "work phone",
            "business phone",
            "phone 1 value",
            "phone work",
            "primary phone",
            "person phone",
            "person phone work",
            "telephone",
            "telefon",
            "telefono",
        ),
        "mobile_phone": (
            "mobile",
            "mobile phone",
            "mobile phone number",
            "cell",
            "cell phone",
            "phone mobile",
            "phone 2 value",
            "person phone mobile",
        ),
        "job_title": (
            "job title",
            "title",
            "position",
            "role",
            "job",
            "organization 1 title",
            "person job title",
        ),
        "company.name": (
            "company",
            "company name",
            "organization",
            "organisation",
            "organization name",
            "organization 1 name",
            "account name",
            "account",
            "employer",
            "associated company",
            "person organization",
            "societe",
            "entreprise",
            "firma",
            "empresa",
        ),
        "company.domain": (
            "company domain",
            "company domain name",
            "website",
            "company website",
            "web page",
            "web site",
            "url",
            "domain",
        ),
        "status": ("status", "lead status", "lifecycle stage", "contact status"),
        "source": ("source", "lead source", "original source", "contact source"),
        "tags": (
            "tags",
            "tag",
            "labels",
            "label",
            "person labels",
            "groups",
            "group membership",
            "categories",
        ),
        "owner": (
            "owner",
            "contact owner",
            "owner email",
            "record owner",
            "assigned to",
            "person owner",
        ),
        **{t: a for t, a in _ADDRESS.items()},
    }
)

COMPANY_HEADERS = _table(
    {
        "name": (
            "name",
            "company",
            "company name",
            "organization",
            "organisation",
            "organization name",
            "account name",
            "account",
        ),
        "domain": (
            "domain",
            "company domain",
            "company domain name",
            "website",
            "website url",
            "web site",
            "url",
            "organization website",
        ),
        "industry": ("industry", "sector", "organization industry"),
        "relationship": ("relationship", "type", "account type", "company type"),
        "size": (
            "size",
            "employees",
            "number of employees",
            "employee count",
            "company size",
            "organization employees",
        ),
        "annual_revenue": ("annual revenue", "revenue", "annualrevenue"),
        "phone": ("phone", "phone number", "company phone", "main phone", "organization phone"),
        "tags": ("tags", "tag", "labels", "label"),
        "owner": ("owner", "company owner", "account owner", "owner email", "record owner"),
        **{t: a for t, a in _ADDRESS.items()},
    }
)

DEAL_HEADERS = _table(
    {
        "title": ("title", "deal name", "deal title", "deal", "opportunity name", "name"),
        "amount": ("amount", "value", "deal value", "deal amount", "opportunity amount"),
        "currency": ("currency", "deal currency", "currency code", "value currency"),
        "pipeline": ("pipeline", "deal pipeline"),
        "stage": ("stage", "deal stage", "opportunity stage", "status"),
        "expected_close_date": (
            "close date",
            "expected close date",
            "closing date",
            "deal close date",
            "deal expected close date",
        ),
        "owner": ("owner", "deal owner", "opportunity owner", "owner email"),
        "company.name": (
            "company",
            "company name",
            "organization",
            "organisation",
            "organization name",
            "account name",
            "associated company",
        ),
        "company.domain": ("company domain", "website", "domain"),
        "contact.email": ("contact email", "person email", "email", "associated contact email"),
        "tags": ("tags", "labels", "label"),
    }
)

_ADDRESS_TARGETS = [
    ("address.street", "Street"),
    ("address.city", "City"),
    ("address.state", "State / region"),
    ("address.zip", "Postal code"),
    ("address.country", "Country"),
]
# What a column can be imported into, in the order the mapping step lists them.
TARGETS: dict[str, list[tuple[str, str]]] = {
    "contact": [
        ("first_name", "First name"),
        ("last_name", "Last name"),
        ("full_name", "Full name (split into first and last)"),
        ("email", "Email"),
        ("email_2", "Second email"),
        ("phone", "Phone"),
        ("mobile_phone", "Mobile phone"),
        ("job_title", "Job title"),
        ("company.name", "Company name"),
        ("company.domain", "Company domain or website"),
        ("status", "Status"),
        ("source", "Source"),
        ("tags", "Tags"),
        ("owner", "Owner (member's email or name)"),
        *_ADDRESS_TARGETS,
    ],
    "company": [
        ("name", "Name"),
        ("domain", "Domain or website"),
        ("industry", "Industry"),
        ("relationship", "Relationship"),
        ("size", "Employees"),
        ("annual_revenue", "Annual revenue"),
        ("phone", "Phone"),
        ("tags", "Tags"),
        ("owner", "Owner (member's email or name)"),
        *_ADDRESS_TARGETS,
    ],
}

HEADERS = {"contact": CONTACT_HEADERS, "company": COMPANY_HEADERS, "deal": DEAL_HEADERS}


def guess_mapping(
    headers: list[str], object_type: str, custom_fields: dict[str, str] | None = None
) -> dict[str, str]:
    """``{header: target}`` for each header we recognise; each target is used once (the first
    column that claims it wins). Custom fields (``{key: label}``) match by key or label and map
    to ``custom.<key>``."""
    known = HEADERS[object_type]
    custom: dict[str, str] = {}
    for key, label in (custom_fields or {}).items():
        custom[normal(label)] = custom[normal(key)] = f"custom.{key}"
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = normal(header)
        # The workspace's own fields first: a custom "Region" is meant, not the address's.
        target = custom.get(key) or custom.get(key.removeprefix("custom ")) or known.get(key)
        if target and target not in taken:
            mapping[header] = target
            taken.add(target)
    return mapping
