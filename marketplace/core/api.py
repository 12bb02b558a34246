"""The API edge under ``/api/v1``: request checks, Bearer-token authentication, docs page.

API calls authenticate with personal API tokens only, never with the browser session, so the
API needs no CSRF token and a forged cross-site request carries no credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import gettext as _

from marketplace.core.errors import error_envelope

API_PREFIX = "/api/"
BODY_METHODS = {"POST", "PUT", "PATCH"}

api_blueprint = Blueprint("api_pages", __name__, url_prefix="/api/v1")


def check_api_request() -> Any:
    """Before every request to ``/api/``: size and content type, then the Bearer token."""
    if not request.path.startswith(API_PREFIX):
        return None
    if request.method in BODY_METHODS:
        length = request.content_length
        has_body = bool(length) or request.headers.get("Transfer-Encoding") == "chunked"
        multipart = request.mimetype == "multipart/form-data" and _view_accepts_multipart()
        if has_body and not (request.is_json or multipart):
            abort(415)
        if (
            length is not None
            and length > current_app.config["API_MAX_JSON_BYTES"]
            and not multipart
        ):
            abort(413)
    g.api_user = _bearer_user()
    return None


F = TypeVar("F", bound=Callable[..., Any])


def accepts_multipart(method: F) -> F:
    """Mark an API method that takes ``multipart/form-data`` (file uploads) besides JSON."""
    method.accepts_multipart = True  # type: ignore[attr-defined]
    return method


def _view_accepts_multipart() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class else view
    return bool(getattr(method, "accepts_multipart", False))


def _bearer_user() -> Any:
    from marketplace.accounts.services import user_for_token

    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return user_for_token(secret.strip())


def api_user() -> Any:
    """The token's user, or a 401 in the error envelope."""
    user = g.get("api_user")
    if user is None:
        response, status = error_envelope(
            401,
            "unauthenticated",
            _("Send a valid personal API token as 'Authorization: Bearer'."),
        )
        response.status_code = status
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        abort(response)
    return user


@api_blueprint.get("/docs")
def docs() -> str:
    """A readable page of the OpenAPI document, rendered on the server (no CDN, no script)."""
    from marketplace.extensions import api

    spec = api.spec.to_dict()
    return render_template("core/api_docs.html", spec=spec)
