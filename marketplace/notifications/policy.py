"""Only the recipient sees a notification."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.core import policy
from marketplace.notifications.models import Notification


@policy.visibility(Notification)
def _visible(user: User, note: Notification) -> bool:
    return note.user_id == user.id


@policy.action(Notification, "read")
def _read(user: User, note: Notification) -> bool:
    return True
