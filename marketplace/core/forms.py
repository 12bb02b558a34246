"""Show a service's :class:`DomainError` on the form that caused it."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from marketplace.core.errors import DomainError


def show_error(form: FlaskForm | None, exc: DomainError) -> None:
    """Attach each field message to its form field; anything else becomes a flash message."""
    unplaced = []
    for name, messages in exc.fields.items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), *messages]
        else:
            unplaced.extend(messages)
    flash(exc.message, "error")
    for message in unplaced:
        if message != exc.message:
            flash(message, "error")
