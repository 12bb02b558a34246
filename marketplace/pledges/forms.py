"""Forms of loan applications, bank reviews and lending policies.

Field names follow the services' (``amount``, ``rate_bp``, ``right_ids``, ...) so that a
:class:`~marketplace.core.errors.ValidationFailed` lands on the right input, although people type
yuan and percentages; the views convert them to fen and basis points.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.core.forms import FiniteDecimalField
from marketplace.pledges.labels import CONSENT_GROUND_LABELS
from marketplace.rights.kinds import RightKind
from marketplace.rights.labels import RIGHT_KIND_LABELS

#: The largest amount a form accepts, in yuan: far above any loan, far below the column's range.
MAX_YUAN = 10**11
#: The kinds a lending policy can accept, in the order the form lists them.
PLEDGEABLE_KINDS = tuple(kind for kind in RightKind if kind.rule.pledgeable)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes. No "required" validator: it would mark every box
    required; the services say what is missing."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _yuan(label: Any, *validators: Any) -> FiniteDecimalField:
    return FiniteDecimalField(
        label, places=2, validators=[*validators, NumberRange(min=0, max=MAX_YUAN)]
    )


class ApplicationForm(FlaskForm):
    right_ids = MultiCheckboxField(_l("Rights to pledge"), coerce=int)
    amount = _yuan(_l("Loan amount (yuan)"), InputRequired())
    term_months = IntegerField(
        _l("Term (months)"), validators=[InputRequired(), NumberRange(min=1, max=120)]
    )
    purpose = TextAreaField(_l("Purpose of the loan"), validators=[Length(max=2000)])
    report_ids = MultiCheckboxField(_l("Appraisal reports"), coerce=int)
    bank_ids = MultiCheckboxField(_l("Banks to ask"), coerce=int)
    submit = SubmitField(_l("Save the draft"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Send the answer"))


class ConsentForm(FlaskForm):
    right_id = IntegerField(validators=[InputRequired()])
    ground = SelectField(
        choices=[SelectChoice(g.value, label) for g, label in CONSENT_GROUND_LABELS.items()]
    )


class ApprovalForm(FlaskForm):
    amount = _yuan(_l("Loan amount (yuan)"), InputRequired())
    rate_bp = FiniteDecimalField(
        _l("Annual interest rate (%)"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    term_months = IntegerField(
        _l("Term (months)"), validators=[InputRequired(), NumberRange(min=1, max=120)]
    )
    conditions = TextAreaField(_l("Conditions"), validators=[Optional(), Length(max=4000)])
    right_ids = MultiCheckboxField(_l("Rights accepted as collateral"), coerce=int)
    submit = SubmitField(_l("Approve"))


class QuestionForm(FlaskForm):
    reasons = TextAreaField(_l("What do you need to know?"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Request information"))


class RejectForm(FlaskForm):
    reasons = TextAreaField(_l("Reasons for the rejection"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Reject"))


class PolicyForm(FlaskForm):
    """A bank's lending policy; a ``rate_<kind>`` and ``months_<kind>`` pair per pledgeable kind
    is added below. Service errors keyed ``haircuts.<name>`` land on ``haircuts_<name>``."""

    buffer_months = IntegerField(
        _l("Buffer (months)"), validators=[InputRequired(), NumberRange(min=0, max=1200)]
    )
    haircuts_remaining_term = StringField(
        _l("Remaining-term haircuts (years: percent kept)"), validators=[Length(max=500)]
    )
    haircuts_legal_score = StringField(
        _l("Legal-score haircuts (score: percent kept)"), validators=[Length(max=500)]
    )
    haircuts_concentration = StringField(
        _l("Concentration haircuts (rights in the bundle: percent kept)"),
        validators=[Length(max=500)],
    )
    haircuts_legal_score_unknown = FiniteDecimalField(
        _l("Kept when the legal score is unknown (%)"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    haircuts_exclusive_licence = FiniteDecimalField(
        _l("Kept when an exclusive licence is outstanding (%)"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    max_amount = _yuan(_l("Largest loan (yuan)"), InputRequired())
    max_term_months = IntegerField(
        _l("Longest term (months)"), validators=[InputRequired(), NumberRange(min=1, max=1200)]
    )
    second_approval_above = _yuan(_l("Second approver above (yuan)"), InputRequired())
    value_percentile = IntegerField(
        _l("Percentile of a market-value range lent against (P10–P25)"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    alert_coverage_bp = FiniteDecimalField(
        _l("Alert when collateral ÷ outstanding falls below (%)"),
        validators=[InputRequired(), NumberRange(min=0, max=100_000)],
    )
    submit = SubmitField(_l("Save the policy"))


for _kind in PLEDGEABLE_KINDS:
    setattr(
        PolicyForm,
        f"rate_{_kind.value}",
        FiniteDecimalField(
            _l("Base pledge rate of %(kind)s (%%)", kind=RIGHT_KIND_LABELS[_kind]),
            validators=[Optional(), NumberRange(min=0, max=100)],
        ),
    )
    setattr(
        PolicyForm,
        f"months_{_kind.value}",
        IntegerField(
            _l("Minimum remaining term of %(kind)s (months)", kind=RIGHT_KIND_LABELS[_kind]),
            validators=[Optional(), NumberRange(min=0, max=1200)],
        ),
    )
del _kind
