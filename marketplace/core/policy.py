"""Permissions in one place: "may this user do this to this object?".

Each model registers two kinds of rule here: *visibility* (may the user know the object exists)
and *actions* (may the user do X to it). :func:`authorize` answers 404 when the object is not
visible, so object ids leak nothing across organisations, and 403 only when a visible object's
action is refused. Global actions (no object) are registered with ``model=None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import gettext as _

from marketplace.core.errors import NotFound, PermissionDenied

Rule = Callable[[Any, Any], bool]
F = TypeVar("F", bound=Rule)

_visibility: dict[type, Rule] = {}
_actions: dict[tuple[type | None, str], Rule] = {}


def visibility(model: type) -> Callable[[F], F]:
    def decorator(rule: F) -> F:
        _visibility[model] = rule
        return rule

    return decorator


def action(model: type | None, *names: str) -> Callable[[F], F]:
    def decorator(rule: F) -> F:
        for name in names:
            _actions[(model, name)] = rule
        return rule

    return decorator


def _signed_in(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def is_visible(user: Any, obj: Any) -> bool:
    if not _signed_in(user):
        return False
    rule = _visibility.get(type(obj))
    if rule is None:
        raise LookupError(f"no visibility rule for {type(obj).__name__}")
    return rule(user, obj)


def can(user: Any, name: str, obj: Any = None) -> bool:
    """True when ``user`` may do ``name`` to ``obj`` (or globally, when ``obj`` is None)."""
    if not _signed_in(user):
        return False
    model = None if obj is None else type(obj)
    rule = _actions.get((model, name))
    if rule is None:
        raise LookupError(f"no rule for {name!r} on {model.__name__ if model else 'platform'}")
    if obj is not None and not is_visible(user, obj):
        return False
    return rule(user, obj)


def authorize(user: Any, name: str, obj: Any = None) -> None:
    """Raise :class:`NotFound` if ``obj`` is invisible to ``user``, :class:`PermissionDenied` if
    the action is refused; return quietly when allowed."""
    if obj is not None and not is_visible(user, obj):
        raise NotFound(_("Not found."))
    if not can(user, name, obj):
        raise PermissionDenied(_("You are not allowed to do that."))


def get_visible_or_404(user: Any, model: type, object_id: Any) -> Any:
    """Load ``model`` by primary key for ``user``: missing and invisible look the same."""
    from marketplace.extensions import db

    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None or not is_visible(user, obj):
        raise NotFound(_("Not found."))
    return obj
