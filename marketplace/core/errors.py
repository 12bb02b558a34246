"""Domain errors and the one place that turns any error into a response.

Services raise :class:`DomainError` subclasses; the API answers them with the JSON envelope
``{"error": {"code", "message", "fields"}}`` and HTML views with a readable page or flash message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

FieldErrors = Mapping[str, list[str]]


class DomainError(Exception):
    """A business rule was broken. ``code`` is stable and machine-readable."""

    status = 400
    code = "domain_error"

    def __init__(self, message: str, *, fields: FieldErrors | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = {k: list(v) for k, v in (fields or {}).items()}


class ValidationFailed(DomainError):
    """One or more inputs are invalid; ``fields`` names each of them."""

    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    """The object does not exist *or* the actor may not know that it exists."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    """The actor can see the object but may not do this to it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request conflicts with the current state (duplicate, already done, ...)."""

    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    """A state machine was asked to make a step its transition table does not allow."""

    code = "illegal_transition"


def wants_json() -> bool:
    """API paths always answer JSON; elsewhere only a client that asks for JSON first."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_envelope(
    status: int, code: str, message: str, fields: Mapping[str, Any] | None = None
) -> tuple[Response, int]:
    body = {"error": {"code": code, "message": message, "fields": dict(fields or {})}}
    return jsonify(body), status


#: Stable codes for HTTP errors that do not come from a domain rule.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please sign in."),
        403: _("You are not allowed to do that."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("The request conflicts with the current state."),
        413: _("The request body is too large."),
        415: _("Send the request body as application/json."),
        422: _("Some fields are invalid."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. The error has been logged."),
    }
    return messages.get(status, _("The request failed."))


def _webargs_fields(exc: HTTPException) -> dict[str, list[str]]:
    """Flatten webargs/marshmallow messages ``{"json": {"name": [...]}}`` to ``{"name": [...]}``."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or {}
    fields: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            fields[prefix or "_schema"] = list(value)
        else:
            fields[prefix or "_schema"] = [str(value)]

    for _location, inner in messages.items():
        walk("", inner)
    return fields


def render_http_error(exc: HTTPException) -> tuple[Response | str, int]:
    status = exc.code or 500
    if wants_json():
        fields = _webargs_fields(exc) if status in (400, 422) else {}
        message = _http_message(status)
        if status == 400 and "json" in (getattr(exc, "data", None) or {}).get("messages", {}):
            message = _("The request body is not valid JSON.")
        return error_envelope(status, HTTP_CODES.get(status, "http_error"), message, fields)
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/error.html"
    return render_template(template, status=status, message=_http_message(status)), status


def render_csrf_error(exc: HTTPException) -> tuple[Response | str, int]:
    message = _("The form expired or came from another site. Reload the page and try again.")
    if wants_json():
        return error_envelope(400, "csrf_failed", message)
    return render_template("errors/error.html", status=400, message=message), 400


def render_domain_error(exc: DomainError) -> tuple[Response | str, int]:
    if wants_json():
        return error_envelope(exc.status, exc.code, exc.message, exc.fields)
    template = "errors/404.html" if exc.status == 404 else "errors/error.html"
    return render_template(template, status=exc.status, message=exc.message), exc.status


def render_unexpected(exc: Exception) -> tuple[Response | str, int]:
    from flask import current_app

    current_app.logger.exception("Unhandled error", exc_info=exc)
    from marketplace.extensions import db

    db.session.rollback()
    if wants_json():
        return error_envelope(500, "internal_error", _http_message(500))
    return render_template("errors/500.html", status=500, message=_http_message(500)), 500


def register_error_handlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(DomainError, render_domain_error)
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(Exception, render_unexpected)
