"""Home page, health check, language switch and the development outbox."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, session
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def index() -> str:
    return render_template("core/index.html")


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed after a form, never another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.post("/lang/<code>")
def switch_language(code: str) -> Response:
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.get("/dev/outbox")
def dev_outbox() -> str:
    """Emails that were not sent over SMTP, for development and the demo only."""
    from marketplace.notifications.models import OutboxEmail

    if not current_app.config.get("SHOW_DEV_OUTBOX"):
        abort(404)
    emails = db.session.scalars(
        sa.select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(100)
    ).all()
    return render_template("core/outbox.html", emails=emails)
