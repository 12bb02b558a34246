"""HTML forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.accounts.models import OrgKind, OrgStatus, Role

ORG_KIND_LABELS = {
    OrgKind.ENTERPRISE: _l("Enterprise"),
    OrgKind.UNIVERSITY: _l("University"),
    OrgKind.RESEARCH_INSTITUTE: _l("Research institute"),
    OrgKind.INDIVIDUAL_INVENTOR: _l("Individual inventor"),
    OrgKind.BANK: _l("Bank"),
    OrgKind.PATENT_AGENCY: _l("Patent agency"),
    OrgKind.APPRAISER: _l("Appraiser"),
    OrgKind.LAW_FIRM: _l("Law firm"),
    OrgKind.BROKER: _l("Technology broker"),
    OrgKind.OPERATOR: _l("Operator"),
}
ORG_STATUS_LABELS = {
    OrgStatus.PENDING: _l("Pending verification"),
    OrgStatus.VERIFIED: _l("Verified"),
    OrgStatus.REJECTED: _l("Rejected"),
    OrgStatus.SUSPENDED: _l("Suspended"),
}
ROLE_LABELS = {Role.ADMIN: _l("Admin"), Role.MEMBER: _l("Member")}


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    accept_terms = BooleanField(_l("I accept the user agreement"))
    accept_privacy = BooleanField(
        _l("I accept the privacy notice and the processing of my personal information")
    )
    invitation = HiddenField()
    submit = SubmitField(_l("Sign up"))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    submit = SubmitField(_l("Set new password"))


class OrganisationForm(FlaskForm):
    kind = SelectField(
        _l("Kind of organisation"),
        choices=[
            SelectChoice(kind.value, label)
            for kind, label in ORG_KIND_LABELS.items()
            if kind is not OrgKind.OPERATOR
        ],
        validators=[DataRequired()],
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English, optional)"), validators=[Optional(), Length(max=200)])
    region = StringField(_l("Region"), validators=[DataRequired(), Length(max=100)])
    identity_number = StringField(
        _l("Unified Social Credit Code (or resident identity number for an individual)"),
        validators=[DataRequired(), Length(max=30)],
    )
    submit = SubmitField(_l("Register organisation"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Colleague's email"), validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=_role_choices(), default="member")
    submit = SubmitField(_l("Send invitation"))


class ReviewOrganisationForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("verified", _l("Verify")),
            SelectChoice("rejected", _l("Reject")),
            SelectChoice("suspended", _l("Suspend")),
        ],
    )
    reason = TextAreaField(
        _l("Reason (required to reject or suspend)"), validators=[Length(max=500)]
    )
    submit = SubmitField(_l("Record decision"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_role_choices())
    submit = SubmitField(_l("Change role"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])
    days = IntegerField(
        _l("Valid for (days)"), default=90, validators=[DataRequired(), NumberRange(1, 365)]
    )
    submit = SubmitField(_l("Create token"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Confirm with your password"), validators=[DataRequired()])
    submit = SubmitField(_l("Delete my account"))


class ConfirmForm(FlaskForm):
    """A bare form for buttons that change state: it carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))
