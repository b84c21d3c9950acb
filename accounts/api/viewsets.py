"""The base of every API view: tenancy that cannot be forgotten, scopes, ETags, idempotency,
sparse fieldsets and the list envelope."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from typing import Any, ClassVar

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.credentials import Credential
from accounts.api.errors import error_body
from accounts.api.pagination import EnvelopeSchema, paginate, parse_sort
from accounts.api.permissions import HasScope
from accounts.models import IdempotencyKey, Workspace
from accounts.services.common import Actor

IDEMPOTENCY_TTL = datetime.timedelta(hours=24)
_REPLAYED_HEADERS = ("Content-Type", "ETag", "Location")


class _Replay(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def etag_for(obj: Model) -> str:
    """A strong ETag from the row's identity and last change."""
    stamp = getattr(obj, "updated_at", None)
    digest = hashlib.sha256(f"{obj.pk}:{stamp.isoformat() if stamp else ''}".encode())
    return f'"{digest.hexdigest()[:32]}"'


class WorkspaceViewSet(viewsets.GenericViewSet):
    """Every query starts from the credential's workspace.

    Subclasses may not override ``get_queryset`` or ``get_object`` (the class refuses to be
    defined); they narrow with ``scope_queryset``. Ids are UUIDs; an id that is not one, or
    that belongs to another workspace, is a 404.
    """

    permission_classes: ClassVar = [HasScope]
    pagination_class = EnvelopeSchema
    model: ClassVar[type[Model] | None] = None
    scope_resource: ClassVar[str] = ""
    required_scopes: ClassVar[dict[str, str]] = {}
    sortable: ClassVar[dict[str, str]] = {}
    default_sort: ClassVar[str] = "-created_at"
    lookup_value_regex = "[^/]+"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("get_queryset", "get_object"):
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} must not override {name}; implement scope_queryset()."
                )

    # --- who and where -------------------------------------------------------------------
    @property
    def credential(self) -> Credential:
        return self.request.auth

    @property
    def workspace(self) -> Workspace:
        return self.credential.workspace

    @property
    def actor(self) -> Actor:
        return self.credential.actor

    def required_scope(self, request: Request) -> str | None:
        for name in (getattr(self, "action", None), request.method):
            if name and name in self.required_scopes:
                return self.required_scopes[name]
        if not self.scope_resource:
            return None
        return f"{self.scope_resource}:{'read' if request.method in SAFE_METHODS else 'write'}"

    # --- tenancy ---------------------------------------------------------------------------
    def get_queryset(self) -> QuerySet:
        assert self.model is not None, f"{type(self).__name__} needs a model"
        return self.scope_queryset(self.model.objects.for_workspace(self.workspace))

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_object(self) -> Model:
        value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        try:
            pk = uuid.UUID(str(value))
        except ValueError:
            raise Http404 from None
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise Http404
        self.check_object_permissions(self.request, obj)
        return obj

    def get_related(self, model: type[Model], value: Any, field: str) -> Model:
        """A record named in the request body, in this workspace; else a 404."""
        try:
            pk = uuid.UUID(str(value))
        except ValueError:
            raise exceptions.ValidationError({field: ["Must be a UUID."]}) from None
        obj = model.objects.for_workspace(self.workspace).filter(pk=pk).first()
        if obj is None:
            raise Http404(f"No such {model._meta.verbose_name}.")
        return obj

    # --- lists -----------------------------------------------------------------------------
    def list_response(self, queryset: QuerySet, serialize) -> Response:
        keys = parse_sort(
            self.request.query_params.get("sort"), allowed=self.sortable, default=self.default_sort
        )
        page = paginate(queryset, self.request, keys)
        return Response({"data": serialize(page.rows), "meta": page.meta})

    def requested_fields(self) -> set[str] | None:
        raw = self.request.query_params.get("fields")
        if not raw:
            return None
        return {f.strip() for f in raw.split(",") if f.strip()}

    # --- ETag / If-Match -------------------------------------------------------------------
    def check_if_match(self, obj: Model) -> None:
        expected = self.request.headers.get("If-Match")
        if not expected:
            return
        candidates = {tag.strip() for tag in expected.split(",")}
        current = etag_for(obj)
        if "*" not in candidates and current not in candidates and f"W/{current}" not in candidates:
            raise PreconditionFailed()

    def object_response(
        self, obj: Model, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        response = Response(data, status=status, headers=headers)
        response["ETag"] = etag_for(obj)
        return response

    # --- Idempotency-Key ---------------------------------------------------------------------
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._idempotency: IdempotencyKey | None = None
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return
        if len(key) > 255:
            raise exceptions.ValidationError({"Idempotency-Key": ["At most 255 characters."]})
        digest = hashlib.sha256(
            b"\n".join([request.method.encode(), request.get_full_path().encode(), request.body])
        ).hexdigest()
        identity = self.credential.identity
        now = timezone.now()
        IdempotencyKey.objects.filter(
            credential=identity, key=key, created_at__lt=now - IDEMPOTENCY_TTL
        ).delete()
        try:
            with transaction.atomic():
                self._idempotency = IdempotencyKey.objects.create(
                    credential=identity, key=key, request_hash=digest
                )
            return
        except IntegrityError:
            pass
        stored = IdempotencyKey.objects.filter(credential=identity, key=key).first()
        if stored is None:  # expired between the two statements
            raise exceptions.Throttled(wait=1)
        if stored.request_hash != digest:
            raise IdempotencyMismatch()
        if stored.status_code is None:
            raise IdempotencyInProgress()
        response = Response(status=stored.status_code)
        response.content = bytes(stored.response_body)
        for name, value in stored.response_headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        raise _Replay(response)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "_idempotency", None)
        if record is not None:
            if response.status_code >= 500:
                record.delete()  # let the client retry a failure of ours
            else:
                response.render()
                record.status_code = response.status_code
                record.response_body = response.content
                record.response_headers = {
                    name: response[name] for name in _REPLAYED_HEADERS if response.has_header(name)
                }
                record.save(update_fields=["status_code", "response_body", "response_headers"])
        return response


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = "The record changed since you read it (If-Match does not match its ETag)."


class IdempotencyMismatch(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used with a different request."


class IdempotencyInProgress(exceptions.APIException):
    status_code = 409
    default_detail = "A request with this Idempotency-Key is still in progress."


__all__ = ["WorkspaceViewSet", "error_body", "etag_for"]
