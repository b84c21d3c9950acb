"""Schemathesis against the published OpenAPI document, in-process (WSGI, no server).

Every operation gets a bounded, reproducible set of generated requests (schema-valid and
schema-violating ones), authenticated with a crm:write API key of a workspace holding one record
of every kind. A generated UUID path/body/query value that names a record kind is swapped for
that record's real id, so the operations reach past the 404 into the serializers, services and
queries. Checked: never a 5xx, and every 4xx has the API's error body ``{"code", "message"}``.

Each request runs inside a savepoint that is rolled back afterwards, so every example starts from
the same data (a DELETE does not starve the examples after it) and a database error in one
request cannot poison the test transaction.

Bounds: the coverage phase (schema edge cases: empty/huge/NUL/wrong-type values) plus
``MAX_EXAMPLES`` fuzzed examples per operation, derandomized (fixed seed), no deadline; no
stateful phase. About 9,000 requests: ~40-60 s with ``-n 2`` on an idle two-core machine.
Every operation is included (the multipart /attachments upload too: its files are tiny).
``FUZZ_MAX_EXAMPLES=200`` runs a deeper hunt.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
import uuid
from typing import Any

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from accounts.services.api_keys import api_key_create
from pipelines.models import LostReason
from tests.factories import (
    ActivityFactory,
    CompanyFactory,
    CompanyMembershipFactory,
    ContactFactory,
    CustomFieldFactory,
    DealFactory,
    ListFactory,
    NoteFactory,
    TagFactory,
    TaskFactory,
    default_stage,
)

# FUZZ_MAX_EXAMPLES=200 for a deeper (slower) hunt than the suite's default.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "15"))
# The API's exception handler logs an unexpected exception here before answering 500.
API_LOGGER = "crm.api"


def _schema_document() -> dict[str, Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


schema = schemathesis.openapi.from_dict(
    _schema_document(),
    config=SchemathesisConfig.from_dict(
        {
            "seed": 20260115,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                # The key is sent by the test; generated Authorization headers/cookies only
                # exercise the 401 path, which tests/api/test_errors.py covers.
                "with-security-parameters": False,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)

application = get_wsgi_application()

# The first path segment of /api/v1/<segment>/{id} → the record kind that id names.
SEGMENT_KINDS = {
    "activities": "activity",
    "attachments": "attachment",
    "bulk-jobs": "bulk_job",
    "companies": "company",
    "contacts": "contact",
    "custom-fields": "custom_field",
    "deals": "deal",
    "lists": "list",
    "notes": "note",
    "pipelines": "pipeline",
    "stages": "stage",
    "tags": "tag",
    "tasks": "task",
}
# Body/query keys holding an id of a known kind.
KEY_KINDS = {
    "company_id": "company",
    "company": "company",
    "contact_id": "contact",
    "contact": "contact",
    "stage_id": "stage",
    "stage": "stage",
    "move_deals_to": "stage",
    "pipeline": "pipeline",
    "pipeline_id": "pipeline",
    "owner": "user",
    "assignee": "user",
    "participants": "contact",
    "stage_ids": "stage",
}


class FuzzData:
    """One record of every kind in a fresh workspace, and a crm:write key for it."""

    def __init__(self, workspace, user) -> None:
        contact = ContactFactory(workspace=workspace)
        company = CompanyFactory(workspace=workspace)
        membership = CompanyMembershipFactory(contact=contact, company=company)
        deal = DealFactory(workspace=workspace, company=company)
        stage = default_stage(workspace)
        tag = TagFactory(workspace=workspace, name="vip")
        self.ids: dict[str, str] = {
            "user": user.pk,
            "contact": contact.pk,
            "company": company.pk,
            "membership": membership.pk,
            "deal": deal.pk,
            "stage": stage.pk,
            "pipeline": stage.pipeline_id,
            "lost_reason": LostReason.objects.create(
                workspace=workspace, pipeline=stage.pipeline, name="Fuzzed price"
            ).pk,
            "note": NoteFactory(contact=contact).pk,
            "task": TaskFactory(workspace=workspace).pk,
            "activity": ActivityFactory(contact=contact).pk,
            "tag": tag.pk,
            "list": ListFactory(workspace=workspace).pk,
            "custom_field": CustomFieldFactory(workspace=workspace, key="plan").pk,
        }
        self.ids = {kind: str(pk) for kind, pk in self.ids.items()}
        _, self.key = api_key_create(workspace=workspace, name="fuzz", scopes=["crm:write"])


@pytest.fixture
def fuzz_data(workspace, user, settings, tmp_path) -> FuzzData:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.MEDIA_ROOT = tmp_path
    return FuzzData(workspace, user)


@pytest.fixture
def server_errors():
    """Tracebacks of the exceptions the views raised (the 500 body never carries one).

    Like Django's test client, keep the test's connection (and transaction) open across
    requests: the WSGI handler would otherwise close it when each request finishes.
    """
    seen: list[str] = []

    def record(sender, request=None, **kwargs):
        seen.append(traceback.format_exc())

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info:
                seen.append("".join(traceback.format_exception(*record.exc_info)))

    handler = Recorder(level=logging.ERROR)
    api_logger = logging.getLogger(API_LOGGER)
    api_logger.addHandler(handler)
    got_request_exception.connect(record, weak=False)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield seen
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        got_request_exception.disconnect(record)
        api_logger.removeHandler(handler)


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _swap(value: Any, kind: str | None, ids: dict[str, str], *, always: bool = False) -> Any:
    """A generated UUID for ``kind`` becomes the real record's id (lists element-wise)."""
    if kind is None or kind not in ids:
        return value
    if _is_uuid(value) or (always and isinstance(value, str)):
        return ids[kind]
    if isinstance(value, list):
        return [ids[kind] if _is_uuid(item) else item for item in value]
    return value


def _swap_body(body: Any, segment_kind: str | None, ids: dict[str, str]) -> Any:
    if isinstance(body, list):
        return [_swap_body(item, segment_kind, ids) for item in body]
    if not isinstance(body, dict):
        return body
    out = {}
    subject_kind = body.get("subject_type") if isinstance(body.get("subject_type"), str) else None
    for key, value in body.items():
        if key == "subject_id":
            out[key] = _swap(value, subject_kind, ids)
        elif key in ("ids", "primary_id", "secondary_id", "id"):
            out[key] = _swap(value, segment_kind, ids)
        elif key in KEY_KINDS:
            out[key] = _swap(value, KEY_KINDS[key], ids)
        else:
            out[key] = _swap_body(value, segment_kind, ids)
    return out


def _use_real_ids(case, ids: dict[str, str]) -> None:
    parts = case.path.split("/")  # ["", "api", "v1", segment, ...]
    segment_kind = SEGMENT_KINDS.get(parts[3]) if len(parts) > 3 else None
    if case.path_parameters:
        # Path ids are plain strings in the schema: a schema-valid one is always the real id,
        # a schema-violating one is kept (it must answer 404, or 400).
        path = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
        positive = path is None or path.mode == GenerationMode.POSITIVE
        params = dict(case.path_parameters)
        for name in params:
            if name == "contact_pk":
                kind = "contact"
            elif name == "pipeline_pk":
                kind = "pipeline"
            elif "company-memberships" in case.path:
                kind = "membership"
            elif "lost-reasons" in case.path:
                kind = "lost_reason"
            else:
                kind = segment_kind
            params[name] = _swap(params[name], kind, ids, always=positive)
        case.path_parameters = params
    if case.query:
        case.query = {
            key: _swap(value, KEY_KINDS.get(key), ids) for key, value in case.query.items()
        }
    if isinstance(case.body, dict | list):
        case.body = _swap_body(case.body, segment_kind, ids)


def _body(response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_api_never_answers_5xx(case, fuzz_data, server_errors):
    _use_real_ids(case, fuzz_data.ids)
    server_errors.clear()
    savepoint = transaction.savepoint_create()
    try:
        response = case.call(app=application, headers={"Authorization": f"Bearer {fuzz_data.key}"})
    finally:
        transaction.savepoint_rollback(savepoint)
    request = f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}"
    tracebacks = "\n".join(server_errors)
    assert response.status_code < 500, f"{response.status_code} for {request}\n{tracebacks}"
    if response.status_code >= 400:
        body = _body(response)
        assert isinstance(body, dict) and body.get("code") == response.status_code, (
            f"{response.status_code} without the error format for {request}: {response.content!r}"
        )
        assert isinstance(body.get("message"), str) and body["message"], request
