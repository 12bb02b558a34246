"""Forms of the operator's finance pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length


class ConfirmPayoutForm(FlaskForm):
    bank_reference = StringField(
        _l("Bank reference of the transfer"), validators=[InputRequired(), Length(max=100)]
    )
    submit = SubmitField(_l("Confirm payout"))


class StatementForm(FlaskForm):
    statement = FileField(_l("Custody account statement (CSV)"), validators=[FileRequired()])
    submit = SubmitField(_l("Import statement"))
