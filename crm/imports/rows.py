"""One row of an uploaded file → the stored values of one record, by the API's rules.

The cleaner is built once per import (it caches the workspace's members, custom fields and the
phone numbers it has already parsed) and then called for every row, so it keeps per-row work to
a few dictionary lookups and the validators themselves.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Workspace
from crm.models import ContactSource, ContactStatus, CustomField, FieldType, Relationship
from crm.normalize import normalize_domain, normalize_email, normalize_phone
from crm.services.custom_fields import custom_value_coerce

TAG_SPLIT = re.compile(r"\s*(?::::|[;,|])\s*")
MULTI_SPLIT = re.compile(r"\s*[;,|]\s*")
ADDRESS_PARTS = ("street", "city", "state", "zip", "country")

# Values other CRMs export, read as ours. Anything else is refused with the accepted list.
STATUS_WORDS = {
    **{s: s for s in ContactStatus.values},
    "new": "lead",
    "open": "lead",
    "subscriber": "lead",
    "marketing qualified lead": "lead",
    "marketingqualifiedlead": "lead",
    "attempted to contact": "lead",
    "contacted": "lead",
    "prospect": "lead",
    "in progress": "active",
    "connected": "active",
    "open deal": "active",
    "qualified": "active",
    "sales qualified lead": "active",
    "salesqualifiedlead": "active",
    "opportunity": "active",
    "evangelist": "customer",
    "client": "customer",
    "won": "customer",
    "unqualified": "inactive",
    "bad timing": "inactive",
    "lost": "churned",
    "former customer": "churned",
}
SOURCE_WORDS = {
    **{s: s for s in ContactSource.values},
    "web": "website",
    "web form": "website",
    "organic search": "website",
    "direct traffic": "website",
    "paid ads": "paid_ads",
    "paid search": "paid_ads",
    "paid social": "paid_ads",
    "advertisement": "paid_ads",
    "social media": "social",
    "organic social": "social",
    "linkedin": "social",
    "twitter": "social",
    "partner referral": "referral",
    "employee referral": "referral",
    "external referral": "referral",
    "word of mouth": "referral",
    "offline sources": "manual",
    "offline": "manual",
    "trade show": "manual",
    "other": "manual",
    "integration": "api",
    "email marketing": "website",
}
RELATIONSHIP_WORDS = {
    **{r: r for r in Relationship.values},
    "customer direct": "customer",
    "customer channel": "customer",
    "client": "customer",
    "supplier": "vendor",
    "reseller": "partner",
    "channel partner": "partner",
    "competitor": "prospect",
    "other": "prospect",
}

LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "job_title": 150,
    "name": 200,
    "industry": 100,
    "company_name": 200,
    "title": 200,
}
LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Name",
    "email": "Email",
    "email_2": "Second email",
    "phone": "Phone",
    "mobile_phone": "Mobile phone",
    "job_title": "Job title",
    "company.name": "Company",
    "company.domain": "Company domain",
    "name": "Name",
    "domain": "Domain",
    "industry": "Industry",
    "relationship": "Relationship",
    "size": "Employees",
    "annual_revenue": "Annual revenue",
    "status": "Status",
    "source": "Source",
    "tags": "Tags",
    "owner": "Owner",
}


class RowError(Exception):
    """Why one row is refused, as the user will read it in the error file."""


@dataclass(frozen=True)
class Column:
    index: int
    target: str


def label(target: str, custom: dict[str, CustomField]) -> str:
    if target.startswith("custom."):
        field = custom.get(target.removeprefix("custom."))
        return field.label if field else target
    if target.startswith("address."):
        return target.removeprefix("address.").capitalize()
    return LABELS.get(target, target.replace("_", " ").capitalize())


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


class RowCleaner:
    """``clean(values)`` → the record's values as a dict, or raises RowError."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        object_type: str,
        headers: list[str],
        mapping: dict[str, str],
        extra_tags: list[str] | None = None,
    ) -> None:
        self.object_type = object_type
        self.custom = {
            f.key: f
            for f in CustomField.objects.for_workspace(workspace).filter(object_type=object_type)
        }
        positions = {header: i for i, header in enumerate(headers)}
        self.columns = [
            Column(positions[header], target)
            for header, target in mapping.items()
            if target and header in positions
        ]
        self.width = len(headers)
        self.extra_tags = [t.strip() for t in extra_tags or [] if t and t.strip()]
        self.members: dict[str, Any] = {}
        for membership in workspace.memberships.select_related("user"):
            user = membership.user
            self.members[user.email.lower()] = user.pk
            if user.name:
                self.members.setdefault(user.name.strip().lower(), user.pk)
        self._phones: dict[str, str] = {}
        self._special: dict[str, Callable[..., None]] = {
            "email": self._email,
            "email_2": self._email,
            "phone": self._phone,
            "mobile_phone": self._phone,
            "company.domain": self._domain,
            "domain": self._domain,
            "status": self._choice(STATUS_WORDS, ContactStatus.values),
            "source": self._choice(SOURCE_WORDS, ContactSource.values),
            "relationship": self._choice(RELATIONSHIP_WORDS, Relationship.values),
            "tags": self._tags,
            "owner": self._owner,
            "size": self._size,
            "annual_revenue": self._revenue,
        }

    # --- one row -----------------------------------------------------------------------

    def clean(self, values: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        count = len(values)
        for column in self.columns:
            if column.index >= count:
                continue
            text = values[column.index].strip()
            if not text:
                continue
            target = column.target
            if "\x00" in text:
                raise RowError(f"{label(target, self.custom)}: contains a NUL character.")
            try:
                if target.startswith("custom."):
                    self._custom(target.removeprefix("custom."), text, out)
                elif target.startswith("address."):
                    if len(text) > 200:
                        raise ValidationError("Must be at most 200 characters.")
                    out.setdefault("address", {})[target.removeprefix("address.")] = text
                elif target in self._special:
                    self._special[target](text, out, target)
                else:
                    limit = LIMITS.get(target.replace(".", "_"), 10_000)
                    if len(text) > limit:
                        raise ValidationError(f"Must be at most {limit} characters.")
                    out[target] = text
            except ValidationError as error:
                raise RowError(f"{label(target, self.custom)}: {_messages(error)}") from None
        if self.extra_tags:
            out["tags"] = list(dict.fromkeys([*out.get("tags", []), *self.extra_tags]))
        if self.object_type == "contact":
            self._contact_rules(out)
        elif self.object_type == "company" and not out.get("name"):
            raise RowError("Name: a company needs a name.")
        return out

    def _contact_rules(self, out: dict[str, Any]) -> None:
        full = out.pop("full_name", "")
        if full and not (out.get("first_name") or out.get("last_name")):
            first, _, last = full.partition(" ")
            if len(first) > 100 or len(last) > 100:
                raise RowError("Name: must be at most 100 characters per part.")
            out["first_name"], out["last_name"] = first, last.strip()
        if not (out.get("first_name") or out.get("last_name") or out.get("email")):
            raise RowError("A contact needs a first or last name, or an email.")
        if (
            out.get("email_2")
            and out.get("email")
            and out["email_2"].lower() == out["email"].lower()
        ):
            del out["email_2"]
        if out.get("mobile_phone") and out.get("phone") and out["mobile_phone"] == out["phone"]:
            del out["mobile_phone"]

    # --- one cell ----------------------------------------------------------------------

    @staticmethod
    def _email(text: str, out: dict[str, Any], target: str) -> None:
        if len(text) > 254:
            raise ValidationError("Must be at most 254 characters.")
        out[target] = normalize_email(text)

    def _phone(self, text: str, out: dict[str, Any], target: str) -> None:
        phone = self._phones.get(text)
        if phone is None:
            phone = normalize_phone(text)
            if len(self._phones) < 100_000:
                self._phones[text] = phone
        out[target] = phone

    @staticmethod
    def _domain(text: str, out: dict[str, Any], target: str) -> None:
        out[target] = normalize_domain(text)

    @staticmethod
    def _choice(words: dict[str, str], allowed: list[str]) -> Callable[..., None]:
        def choose(text: str, out: dict[str, Any], target: str) -> None:
            value = words.get(" ".join(text.lower().replace("_", " ").split()))
            if value is None:
                value = words.get(text.lower())
            if value is None:
                raise ValidationError(f"{text!r} is not one of {', '.join(allowed)}.")
            out[target] = value

        return choose

    @staticmethod
    def _tags(text: str, out: dict[str, Any], target: str) -> None:
        tags = []
        for part in TAG_SPLIT.split(text):
            name = part.removeprefix("* ").strip()
            if not name:
                continue
            if len(name) > 64:
                raise ValidationError("A tag has at most 64 characters.")
            tags.append(name)
        out["tags"] = list(dict.fromkeys(tags))

    def _owner(self, text: str, out: dict[str, Any], target: str) -> None:
        owner = self.members.get(text.lower())
        if owner is None:
            raise ValidationError(f"{text!r} is not a member of this workspace.")
        out["owner_id"] = owner

    @staticmethod
    def _size(text: str, out: dict[str, Any], target: str) -> None:
        digits = text.replace(",", "").replace(" ", "")
        if not digits.isdigit() or len(digits) > 9:
            raise ValidationError(f"{text!r} is not a whole number of employees.")
        out["size"] = int(digits)

    @staticmethod
    def _revenue(text: str, out: dict[str, Any], target: str) -> None:
        cleaned = re.sub(r"[^\d.\-]", "", text)
        try:
            amount = decimal.Decimal(cleaned).quantize(decimal.Decimal("0.01"))
        except decimal.InvalidOperation:
            raise ValidationError(f"{text!r} is not an amount.") from None
        if amount < 0 or amount >= 10**16:
            raise ValidationError(f"{text!r} is out of range.")
        out["annual_revenue"] = str(amount)

    def _custom(self, key: str, text: str, out: dict[str, Any]) -> None:
        field = self.custom.get(key)
        if field is None:
            raise ValidationError(f"Unknown custom field {key!r}.")
        value: Any = text
        if field.type == FieldType.MULTI_SELECT:
            value = [v for v in MULTI_SPLIT.split(text) if v]
        out.setdefault("custom", {})[key] = custom_value_coerce(field, value)

    @property
    def required_custom_keys(self) -> list[str]:
        return [key for key, field in self.custom.items() if field.required]


__all__ = ["ADDRESS_PARTS", "RowCleaner", "RowError", "label"]
