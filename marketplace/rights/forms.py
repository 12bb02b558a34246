"""Forms of the rights registry."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.core.forms import FiniteDecimalField
from marketplace.rights.kinds import RightKind
from marketplace.rights.labels import EVIDENCE_KIND_LABELS, RIGHT_KIND_LABELS
from marketplace.rights.models import EvidenceKind


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in RIGHT_KIND_LABELS.items()]


class RightForm(FlaskForm):
    kind = SelectField(_l("Kind of right"), choices=kind_choices())
    number = StringField(
        _l("Application or registration number"), validators=[DataRequired(), Length(max=40)]
    )
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=300)])
    title_en = StringField(
        _l("Title (English, optional)"), validators=[Optional(), Length(max=300)]
    )
    filing_date = DateField(_l("Filing date"), validators=[Optional()])
    grant_date = DateField(_l("Grant date"), validators=[Optional()])
    registration_date = DateField(_l("Registration date"), validators=[Optional()])
    paid_through = DateField(_l("Annual fees paid through"), validators=[Optional()])
    ipc_codes = StringField(_l("IPC codes (separated by ;)"), validators=[Optional()])
    nice_classes = StringField(_l("Nice classes (separated by ;)"), validators=[Optional()])
    inventors = StringField(_l("Inventors or authors (separated by ;)"), validators=[Optional()])
    claim_count = IntegerField(_l("Number of patent claims"), validators=[Optional()])
    abstract = TextAreaField(_l("Abstract"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save right"))


class ImportForm(FlaskForm):
    file = FileField(_l("Portfolio file (CSV or XLSX)"), validators=[FileRequired()])
    submit = SubmitField(_l("Import"))


class ClaimForm(FlaskForm):
    kind = SelectField(_l("Kind of right"), choices=kind_choices())
    number = StringField(
        _l("Application or registration number"), validators=[DataRequired(), Length(max=40)]
    )
    title_zh = StringField(
        _l("Title (only if the right is new to the registry)"),
        validators=[Optional(), Length(max=300)],
    )
    share = FiniteDecimalField(
        _l("Your share (%)"), default=100, places=2, validators=[NumberRange(0.01, 100)]
    )
    reviewer_org_id = SelectField(_l("Reviewer"), coerce=str)
    evidence_kind = SelectField(
        _l("What the evidence is"),
        choices=[SelectChoice(k.value, label) for k, label in EVIDENCE_KIND_LABELS.items()],
        default=EvidenceKind.CERTIFICATE.value,
    )
    evidence = MultipleFileField(_l("Evidence files (PDF, PNG or JPEG, at most 10 MB each)"))
    note = TextAreaField(_l("Note for the reviewer"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("File claim"))


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("verify", _l("Verify ownership")),
            SelectChoice("reject", _l("Reject")),
        ],
    )
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Length(max=1000)])
    submit = SubmitField(_l("Record decision"))


class ResolveDisputeForm(FlaskForm):
    upheld = SelectField(
        _l("Whose ownership stands"),
        choices=[
            SelectChoice("holder", _l("The current holder")),
            SelectChoice("claimant", _l("The claimant")),
        ],
    )
    resolution = TextAreaField(_l("Resolution"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Resolve dispute"))


__all__ = [
    "ClaimForm",
    "DecisionForm",
    "ImportForm",
    "ResolveDisputeForm",
    "RightForm",
    "RightKind",
]
