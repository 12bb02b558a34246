"""Forms of the deal room. Money is entered in yuan, rates in percent; the views convert."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.core.forms import FiniteDecimalField
from marketplace.deals.labels import PAYMENT_STRUCTURE_LABELS, REPORTING_PERIOD_LABELS
from marketplace.deals.services import Instalment


class OfferForm(FlaskForm):
    price = FiniteDecimalField(
        _l("Price or upfront fee (yuan)"),
        places=2,
        validators=[DataRequired(message=_l("Enter the price.")), NumberRange(min=0)],
    )
    payment_structure = SelectField(
        _l("Payment structure"),
        choices=[SelectChoice(k.value, v) for k, v in PAYMENT_STRUCTURE_LABELS.items()],
    )
    schedule = TextAreaField(
        _l("Payment schedule (instalments or milestones)"),
        description=_l(
            "One payment a line: a due date (2027-01-31) or a milestone, a semicolon, the amount "
            "in yuan."
        ),
        validators=[Optional(), Length(max=4000)],
    )
    royalty_rate = FiniteDecimalField(
        _l("Running royalty, percent of net sales"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    reporting_period = SelectField(
        _l("Royalty reporting period"),
        choices=[SelectChoice("", "—")]
        + [SelectChoice(k.value, v) for k, v in REPORTING_PERIOD_LABELS.items()],
        default="",
    )
    territory = StringField(_l("Territory"), default="all", validators=[Length(max=100)])
    field_of_use = StringField(_l("Field of use"), default="all", validators=[Length(max=100)])
    starts_on = DateField(_l("Licence starts"), validators=[Optional()])
    ends_on = DateField(_l("Licence ends"), validators=[Optional()])
    refund_on_cancel = FiniteDecimalField(
        _l("Refund if cancelled after payment (percent)"),
        places=2,
        default=Decimal(100),
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    note = TextAreaField(_l("Other terms"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send the offer"))

    def instalments(self) -> tuple[Instalment, ...]:
        """The schedule lines as instalments; a bad line becomes an error on the field.

        :raises ValueError: at least one line cannot be read.
        """
        items = []
        for number, line in enumerate((self.schedule.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            when, _sep, amount = line.replace("；", ";").rpartition(";")
            try:
                fen = int(Decimal(amount.strip().replace(",", "")) * 100)
            except InvalidOperation:
                self.schedule.errors = [
                    *self.schedule.errors,
                    str(_l("Line %(n)d: write the date or milestone; the amount.", n=number)),
                ]
                continue
            label = when.strip()
            try:
                due_on = date.fromisoformat(label)
            except ValueError:
                items.append(Instalment(amount=fen, milestone=label))
            else:
                items.append(Instalment(amount=fen, due_on=due_on))
        if self.schedule.errors:
            raise ValueError("schedule")
        return tuple(items)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Send"))


class DocumentForm(FlaskForm):
    document = FileField(
        _l("Document (PDF, PNG or JPEG, at most 10 MB)"), validators=[FileRequired()]
    )
    submit = SubmitField(_l("Upload"))


class SignForm(FlaskForm):
    password = PasswordField(
        _l("Your password, to confirm your signature"), validators=[DataRequired()]
    )
    submit = SubmitField(_l("Sign the contract"))
