"""Forms of the market."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.core.forms import FiniteDecimalField
from marketplace.listings.labels import DEAL_TYPE_LABELS, INDUSTRY_LABELS


def industry_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(k, v) for k, v in INDUSTRY_LABELS.items()]


class ListingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    right_ids = SelectMultipleField(_l("Rights offered"), coerce=int, validators=[DataRequired()])
    deal_type = SelectField(
        _l("Deal type"),
        choices=[SelectChoice(k.value, v) for k, v in DEAL_TYPE_LABELS.items()],
    )
    teaser = TextAreaField(
        _l("Public description (teaser)"), validators=[DataRequired(), Length(max=2000)]
    )
    details = TextAreaField(
        _l("Confidential details (shown after the NDA)"), validators=[Optional(), Length(max=10000)]
    )
    asking_price = FiniteDecimalField(
        _l("Asking price or licence fee (yuan; empty = negotiable)"),
        places=2,
        validators=[Optional(), NumberRange(min=0.01)],
    )
    royalty_rate = FiniteDecimalField(
        _l("Running royalty, percent of net sales"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    territory = StringField(_l("Territory"), default="all", validators=[Length(max=100)])
    field_of_use = StringField(_l("Field of use"), default="all", validators=[Length(max=100)])
    licence_starts_on = DateField(_l("Licence starts"), validators=[Optional()])
    licence_ends_on = DateField(_l("Licence ends"), validators=[Optional()])
    open_terms = TextAreaField(
        _l("Standard terms of the open licence"), validators=[Optional(), Length(max=5000)]
    )
    industry = SelectField(_l("Industry"), choices=industry_choices(), default="")
    region = StringField(_l("Region"), default="长春新区", validators=[Length(max=100)])
    expires_on = DateField(_l("Listing expires"), validators=[Optional()])
    publish = BooleanField(_l("Publish now"))
    submit = SubmitField(_l("Save listing"))


class DemandForm(FlaskForm):
    title = StringField(
        _l("What technology do you need?"), validators=[DataRequired(), Length(max=200)]
    )
    description = TextAreaField(
        _l("Describe the need"), validators=[DataRequired(), Length(max=5000)]
    )
    budget_min = FiniteDecimalField(_l("Budget from (yuan)"), places=2, validators=[Optional()])
    budget_max = FiniteDecimalField(_l("Budget up to (yuan)"), places=2, validators=[Optional()])
    industry = SelectField(_l("Industry"), choices=industry_choices(), default="")
    ipc_codes = StringField(_l("IPC codes (separated by ;)"), validators=[Optional()])
    region = StringField(_l("Region"), default="长春新区", validators=[Length(max=100)])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    visibility = SelectField(
        _l("Who may see it"),
        choices=[
            SelectChoice("public", _l("Everyone")),
            SelectChoice("agencies", _l("Verified agencies only")),
        ],
    )
    submit = SubmitField(_l("Post demand"))


class CloseForm(FlaskForm):
    buyer_org_id = SelectField(_l("Buyer or licensee"), coerce=int)
    price = FiniteDecimalField(_l("Agreed price (yuan)"), places=2, validators=[Optional()])
    royalty_rate = FiniteDecimalField(
        _l("Agreed royalty, percent"), places=2, validators=[Optional()]
    )
    submit = SubmitField(_l("Record the closed deal"))


class MandateForm(FlaskForm):
    broker_org_id = SelectField(_l("Technology broker"), coerce=int)
    commission_rate = FiniteDecimalField(
        _l("Commission, percent of the deal price"),
        places=2,
        validators=[DataRequired(), NumberRange(0.01, 30)],
    )
    submit = SubmitField(_l("Grant mandate"))
