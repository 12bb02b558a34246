"""Forms of the pledge pages: the pledgee bank's actions on a pledge, its filings and the
transfer consents asked of it. Amounts are typed in yuan and stored in fen."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.core.clock import today
from marketplace.core.forms import FiniteDecimalField
from marketplace.core.money import hundredths

#: No loan, repayment or price on the platform comes near this (10 000 billion yuan); larger
#: input is a typing slip and would not fit the database's integers.
MAX_YUAN = Decimal(10) ** 13


def fen(value: Decimal | None) -> int | None:
    """Yuan typed in a form as fen; None when it is not a finite amount with at most two
    decimals within :data:`MAX_YUAN` (the caller reports that)."""
    if value is None or not value.is_finite() or abs(value) > MAX_YUAN:
        return None
    return hundredths(value)


class AcceptanceForm(FlaskForm):
    """The registry authority accepted a filing: its registration (or notice) number and date."""

    number = StringField(
        _l("Number given by the authority"), validators=[DataRequired(), Length(max=60)]
    )
    accepted_on = DateField(_l("Date of the notice"), default=today, validators=[InputRequired()])
    submit = SubmitField(_l("Record acceptance"))


class RefusalForm(FlaskForm):
    reason = TextAreaField(
        _l("The authority's reason for refusing"), validators=[DataRequired(), Length(max=1000)]
    )
    submit = SubmitField(_l("Record refusal"))


class RepaymentForm(FlaskForm):
    principal = FiniteDecimalField(_l("Principal repaid (yuan)"), validators=[Optional()])
    interest = FiniteDecimalField(_l("Interest paid (yuan)"), validators=[Optional()])
    paid_on = DateField(_l("Paid on"), default=today, validators=[InputRequired()])
    submit = SubmitField(_l("Record repayment"))


class ChangeForm(FlaskForm):
    principal = FiniteDecimalField(_l("New secured amount (yuan)"), validators=[InputRequired()])
    matures_on = DateField(_l("New deadline of the debt"), validators=[InputRequired()])
    submit = SubmitField(_l("File the change"))


class DisposalForm(FlaskForm):
    asking_price = FiniteDecimalField(
        _l("Asking price (yuan; empty = negotiable)"), validators=[Optional()]
    )
    submit = SubmitField(_l("Offer the collateral for sale"))


class ConsentDecisionForm(FlaskForm):
    note = TextAreaField(_l("Note to the seller (optional)"), validators=[Length(max=1000)])
    grant = SubmitField(_l("Grant consent"))
    refuse = SubmitField(_l("Refuse consent"))
