"""Forms of the agency directory: publishing a service and ordering one."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from marketplace.agencies.labels import INDUSTRY_LABELS
from marketplace.core.forms import FiniteDecimalField


def industry_choices() -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in INDUSTRY_LABELS.items()]


def fen(yuan: Decimal | None) -> int | None:
    """A form's amount in yuan as whole fen, rounded half up."""
    if yuan is None:
        return None
    return int((yuan * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(amount: int | None) -> Decimal | None:
    return None if amount is None else Decimal(amount) / 100


class ServiceForm(FlaskForm):
    kind = SelectField(_l("Service"))
    title_zh = StringField(_l("Title (Chinese)"), validators=[Length(max=200)])
    title_en = StringField(
        _l("Title (English, optional)"), validators=[Optional(), Length(max=200)]
    )
    description = TextAreaField(_l("What the service includes"), validators=[Length(max=4000)])
    price_min = FiniteDecimalField(_l("Price from (yuan)"), places=2, validators=[Optional()])
    price_max = FiniteDecimalField(_l("Price up to (yuan)"), places=2, validators=[Optional()])
    days_min = IntegerField(_l("Delivery from (days)"), validators=[InputRequired()])
    days_max = IntegerField(_l("Delivery up to (days)"), validators=[InputRequired()])
    regions = StringField(_l("Regions served (separated by ;)"), validators=[Length(max=900)])
    industries = SelectMultipleField(
        _l("Industries (none chosen: all industries)"),
        choices=industry_choices(),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Publish service"))


class OrderServiceForm(FlaskForm):
    right_ids = SelectMultipleField(_l("Rights"), coerce=int, validators=[Optional()])
    purpose = SelectField(_l("Purpose of the valuation"))
    wanted_by = DateField(_l("Wanted by"), validators=[Optional()])
    description = TextAreaField(_l("What you need"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Place order"))


__all__ = ["OrderServiceForm", "ServiceForm", "fen", "industry_choices", "yuan"]
