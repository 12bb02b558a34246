"""The in-app inbox."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from marketplace.accounts.forms import ConfirmForm
from marketplace.core import policy
from marketplace.core.models import utcnow
from marketplace.core.views import safe_next
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.services import mark_read

bp = Blueprint("notifications", __name__)


@bp.get("/inbox")
@login_required
def inbox() -> str:
    query = (
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc())
    )
    return render_template(
        "notifications/inbox.html", page=db.paginate(query, per_page=20), form=ConfirmForm()
    )


@bp.post("/inbox/<int:note_id>/open")
@login_required
def open_notification(note_id: int) -> Any:
    note = policy.get_visible_or_404(current_user, Notification, note_id)
    policy.authorize(current_user, "read", note)
    mark_read(note)
    db.session.commit()
    return redirect(safe_next(note.link, url_for("notifications.inbox")))


@bp.post("/inbox/read-all")
@login_required
def read_all() -> Any:
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("notifications.inbox"))
