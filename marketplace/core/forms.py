"""Show a service's :class:`DomainError` on the form that caused it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DecimalField

from marketplace.core.errors import DomainError
from marketplace.core.money import hundredths


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


def commit_step(step: Callable[[], object], success: str, form: FlaskForm | None = None) -> bool:
    """Run one service call for a page: commit and flash ``success`` when it works; roll back
    and show the domain error (on ``form`` when given) when a rule refuses it."""
    from marketplace.extensions import db

    try:
        step()
    except DomainError as exc:
        db.session.rollback()
        show_error(form, exc)
        return False
    db.session.commit()
    flash(success, "success")
    return True


class FiniteDecimalField(DecimalField):
    """A decimal that must be a number: wtforms accepts ``NaN`` and ``sNaN``, and its
    ``NumberRange`` raises on ``sNaN`` instead of reporting an error. Every money or rate field
    uses this one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
        # Amounts become whole fen and rates whole basis points: a third decimal would be
        # silently cut off, so it is refused here, once, for every form.
        if self.data is not None and self.places == 2 and hundredths(self.data) is None:
            self.data = None
            raise ValueError(_("Enter a number with at most two decimals."))
