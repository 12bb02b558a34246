"""Forms of service orders."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.core.forms import FiniteDecimalField


class OrderForm(FlaskForm):
    kind = SelectField(_l("Service"), default="valuation")
    right_ids = SelectMultipleField(_l("Rights"), coerce=int, validators=[Optional()])
    purpose = SelectField(_l("Purpose of the valuation"))
    invited_org_id = SelectField(_l("Provider"), coerce=str)
    wanted_by = DateField(_l("Wanted by"), validators=[Optional()])
    description = TextAreaField(_l("What you need"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Place order"))


class QuoteForm(FlaskForm):
    fee = FiniteDecimalField(
        _l("Fee (yuan)"), places=2, validators=[DataRequired(), NumberRange(min=0.01)]
    )
    delivery_date = DateField(_l("Delivery date"), validators=[DataRequired()])
    note = TextAreaField(_l("Note to the client"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Send quote"))


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong with the delivery"), validators=[DataRequired(), Length(max=1000)]
    )
    submit = SubmitField(_l("Dispute delivery"))


class RatingForm(FlaskForm):
    rating = SelectField(
        _l("Rating"),
        coerce=int,
        choices=[SelectChoice(str(n), "★" * n) for n in range(5, 0, -1)],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Rate"))


__all__ = ["DisputeForm", "OrderForm", "QuoteForm", "RatingForm"]
