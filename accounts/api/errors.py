"""Every API error has one body: ``{"code", "message", "errors"?}`` (see API.md)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from accounts.services.common import ConflictError, ServiceError

logger = logging.getLogger("crm.api")

DEFAULT_MESSAGES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal server error",
}


def error_body(
    code: int, message: str | None = None, errors: Any = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message or DEFAULT_MESSAGES.get(code, "")}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """DRF/Django error details as ``{field: [messages]}`` (nested keys joined with '.')."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                name = "non_field_errors" if key == "__all__" else str(key)
                walk(f"{prefix}.{name}" if prefix else name, item)
        elif isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value):
            for index, item in enumerate(value):
                if item:
                    walk(f"{prefix}.{index}" if prefix else str(index), item)
        elif isinstance(value, list):
            out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return out


def django_validation_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return _field_errors(error.message_dict)
    return {"non_field_errors": list(error.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, speaking the API's error format for everything."""
    from crm.query import QueryError

    headers: dict[str, str] = {}
    if isinstance(exc, ConflictError):
        set_rollback()
        return Response(
            error_body(
                409, exc.message, {exc.field: [exc.message]}, conflict_id=str(exc.conflict_id)
            ),
            status=409,
        )
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response(error_body(exc.code, exc.message), status=exc.code)
    if isinstance(exc, QueryError):
        return Response(error_body(400, "Invalid query", {"query": [exc.message]}), status=400)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(
            error_body(400, "Validation failed", django_validation_errors(exc)), status=400
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    if isinstance(exc, exceptions.APIException):
        code = exc.status_code
        if isinstance(exc, exceptions.ValidationError):
            body = error_body(400, "Validation failed", _field_errors(exc.detail))
        elif isinstance(exc, exceptions.ParseError):
            body = error_body(400, f"Malformed request body: {exc.detail}")
        else:
            detail = exc.detail if isinstance(exc.detail, str) else None
            body = error_body(code, str(detail) if detail else None)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        set_rollback()
        return Response(body, status=code, headers=headers)

    # Anything else is a bug: log it with its traceback, answer without one.
    set_rollback()
    logger.exception("Unhandled API error", exc_info=exc)
    return Response(error_body(500), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def json_error(code: int, message: str | None = None) -> JsonResponse:
    """For the Django-level handlers (unknown URL, crash before DRF) under /api/."""
    return JsonResponse(error_body(code, message), status=code)
