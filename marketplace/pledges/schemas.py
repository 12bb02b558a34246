"""marshmallow schemas of the pledge-financing API. Money is integer fen, rates and haircuts are
basis points (10 000 = 100 %), dates ISO 8601.

Some output depends on who asks (a bank's internal assessment is not shown to the applicant, a
bank sees no other bank's review): the API handler puts what the caller may see on transient
``visible_*`` attributes, as the listings API does with ``visible_details``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from marketplace.pledges.models import (
    AlertCode,
    ApplicationStatus,
    ConsentGround,
    FilingKind,
    PledgeStatus,
    ReviewStatus,
    TransferConsentStatus,
)
from marketplace.pledges.services import ground_labels
from marketplace.rights.models import LicenceType, RightStatus

FEN = {"description": "fen (1/100 yuan)"}
BP = {"description": "basis points (10 000 = 100 %)"}


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError(_("This field cannot be blank."))


def _text(max_length: int, **kwargs: Any) -> fields.Str:
    return fields.Str(validate=[validate.Length(max=max_length), not_blank], **kwargs)


# --- input --------------------------------------------------------------------------------------


class ApplicationInSchema(Schema):
    amount = fields.Int(strict=True, required=True, validate=validate.Range(min=1), metadata=FEN)
    term_months = fields.Int(strict=True, required=True, validate=validate.Range(min=1, max=120))
    purpose = _text(2000, required=True)
    right_ids = fields.List(fields.Int(strict=True), required=True, validate=validate.Length(min=1))
    bank_ids = fields.List(fields.Int(strict=True), required=True, validate=validate.Length(min=1))
    report_ids = fields.List(fields.Int(strict=True), load_default=list)


class ConsentInSchema(Schema):
    right_id = fields.Int(strict=True, required=True)
    ground = fields.Enum(ConsentGround, by_value=True, required=True)


class ApprovalInSchema(Schema):
    amount = fields.Int(strict=True, required=True, validate=validate.Range(min=1), metadata=FEN)
    rate_bp = fields.Int(
        strict=True, required=True, validate=validate.Range(min=0, max=3600), metadata=BP
    )
    term_months = fields.Int(strict=True, required=True, validate=validate.Range(min=1, max=120))
    conditions = fields.Str(load_default="", validate=validate.Length(max=5000))
    right_ids = fields.List(
        fields.Int(strict=True),
        load_default=list,
        metadata={"description": "the rights accepted as collateral; empty: all of them"},
    )


class QuestionInSchema(Schema):
    question = _text(5000, required=True)


class AnswerInSchema(Schema):
    answer = _text(5000, required=True)


class RejectionInSchema(Schema):
    reasons = _text(5000, required=True)


class AcceptanceInSchema(Schema):
    number = _text(60, required=True, metadata={"description": "the authority's number"})
    on = fields.Date(required=True)


class RefusalInSchema(Schema):
    reason = _text(1000, required=True)


class RepaymentInSchema(Schema):
    principal = fields.Int(strict=True, required=True, validate=validate.Range(min=0), metadata=FEN)
    interest = fields.Int(strict=True, load_default=0, validate=validate.Range(min=0), metadata=FEN)
    paid_on = fields.Date(required=True)


class ChangeInSchema(Schema):
    principal = fields.Int(strict=True, required=True, validate=validate.Range(min=1), metadata=FEN)
    matures_on = fields.Date(required=True)


class DisposalInSchema(Schema):
    asking_price = fields.Int(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"description": "fen; null or absent: negotiable"},
    )


class TransferDecisionInSchema(Schema):
    grant = fields.Bool(required=True)
    note = fields.Str(load_default="", validate=validate.Length(max=1000))


class ReviewQuerySchema(Schema):
    status = fields.Enum(ReviewStatus, by_value=True, load_default=None)


class PledgeQuerySchema(Schema):
    status = fields.Enum(PledgeStatus, by_value=True, load_default=None)


class PolicyInSchema(Schema):
    """A bank's whole lending policy (PUT replaces it); the service checks every value."""

    base_rates = fields.Dict(
        keys=fields.Str(),
        values=fields.Int(strict=True),
        required=True,
        metadata={"description": "{kind: bp}; a kind absent is not accepted"},
    )
    min_remaining_months = fields.Dict(
        keys=fields.Str(),
        values=fields.Int(strict=True),
        required=True,
        metadata={"description": "{kind: months}: the shortest remaining term accepted"},
    )
    buffer_months = fields.Int(strict=True, required=True)
    haircuts = fields.Dict(
        keys=fields.Str(),
        required=True,
        metadata={
            "description": '{"remaining_term": [[years, bp], ...], "legal_score": [[score, bp], '
            '...], "legal_score_unknown": bp, "concentration": [[rights, bp], ...], '
            '"exclusive_licence": bp}'
        },
    )
    max_amount = fields.Int(strict=True, required=True, metadata=FEN)
    max_term_months = fields.Int(strict=True, required=True)
    second_approval_above = fields.Int(strict=True, required=True, metadata=FEN)
    value_percentile = fields.Int(strict=True, load_default=20)
    alert_coverage_bp = fields.Int(strict=True, load_default=20_000, metadata=BP)


# --- output -------------------------------------------------------------------------------------


class RightBriefSchema(Schema):
    id = fields.Int()
    kind = fields.Str(attribute="kind.value")
    number = fields.Str(attribute="display_number")
    title_zh = fields.Str()
    status = fields.Enum(RightStatus, by_value=True)


class ReportBriefSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    concluded_value = fields.Int(metadata=FEN)
    valid_until = fields.Date()


class ConsentSchema(Schema):
    id = fields.Int()
    right_id = fields.Int()
    organisation_id = fields.Int()
    organisation = fields.Str(attribute="organisation.name_zh")
    ground = fields.Enum(ConsentGround, by_value=True)
    created_at = fields.DateTime()


class ReviewBriefSchema(Schema):
    id = fields.Int()
    bank_org_id = fields.Int()
    bank = fields.Str(attribute="bank_org.name_zh")
    status = fields.Enum(ReviewStatus, by_value=True)


class ApplicationSchema(Schema):
    id = fields.Int()
    number = fields.Str(allow_none=True)
    status = fields.Enum(ApplicationStatus, by_value=True)
    applicant_org_id = fields.Int()
    applicant = fields.Str(attribute="applicant_org.name_zh")
    amount = fields.Int(metadata=FEN)
    currency = fields.Str()
    term_months = fields.Int()
    purpose = fields.Str()
    rights = fields.List(fields.Nested(RightBriefSchema))
    reports = fields.List(fields.Nested(ReportBriefSchema))
    #: The applicant sees every bank's review; a bank only its own; a co-owner none.
    reviews = fields.List(fields.Nested(ReviewBriefSchema), attribute="visible_reviews")
    consents = fields.List(fields.Nested(ConsentSchema), attribute="visible_consents")
    submitted_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class AssessmentSchema(Schema):
    """The bank's own view of its decision: not shown to the applicant."""

    suggested_amount = fields.Int(allow_none=True, metadata=FEN)
    risk_grade = fields.Str(allow_none=True)
    decided_by_id = fields.Int(allow_none=True)
    second_approver_id = fields.Int(allow_none=True)


class LoanReviewSchema(Schema):
    id = fields.Int()
    application_id = fields.Int()
    application_number = fields.Str(attribute="application.number", allow_none=True)
    applicant = fields.Str(attribute="application.applicant_org.name_zh")
    bank_org_id = fields.Int()
    bank = fields.Str(attribute="bank_org.name_zh")
    status = fields.Enum(ReviewStatus, by_value=True)
    requested_amount = fields.Int(attribute="application.amount", metadata=FEN)
    requested_term_months = fields.Int(attribute="application.term_months")
    approved_amount = fields.Int(allow_none=True, metadata=FEN)
    rate_bp = fields.Int(allow_none=True, metadata=BP)
    approved_term_months = fields.Int(allow_none=True)
    conditions = fields.Str(allow_none=True)
    collateral_right_ids = fields.List(fields.Int(), allow_none=True)
    reasons = fields.Str(
        allow_none=True,
        metadata={"description": "a rejection's reasons, or an information request's question"},
    )
    answer = fields.Str(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    second_approved_at = fields.DateTime(allow_none=True)
    pledge_id = fields.Function(lambda r: r.pledge.id if r.pledge else None, allow_none=True)
    assessment = fields.Nested(AssessmentSchema, attribute="visible_assessment", allow_none=True)
    created_at = fields.DateTime()


# --- the dossier ----------------------------------------------------------------------------------


class GroundSchema(Schema):
    code = fields.Str()
    label = fields.Function(lambda g: ground_labels().get(g.code, g.code))
    outcome = fields.Str(attribute="outcome.value")
    message = fields.Str()


class FeeSchema(Schema):
    status = fields.Str()
    next_due = fields.Date(allow_none=True)
    fee_year = fields.Int(allow_none=True)
    fee = fields.Int(metadata=FEN)
    surcharge = fields.Int(metadata=FEN)
    grace_ends = fields.Date(allow_none=True)


class ActivePledgeSchema(Schema):
    pledgee = fields.Str(attribute="pledgee_org.name_zh")
    status = fields.Enum(PledgeStatus, by_value=True)
    registered_on = fields.Date(allow_none=True)
    matures_on = fields.Date()


class LicenceSchema(Schema):
    licensee = fields.Str(attribute="licensee_name")
    licence_type = fields.Enum(LicenceType, by_value=True)
    territory = fields.Str()
    field_of_use = fields.Str()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)


class ReportCheckSchema(Schema):
    id = fields.Int(attribute="report.id")
    number = fields.Str(attribute="report.number")
    basis = fields.Str(attribute="report.basis.value")
    concluded_value = fields.Int(attribute="report.concluded_value", metadata=FEN)
    valid_until = fields.Date(attribute="report.valid_until")
    intact = fields.Bool(metadata={"description": "the PDF still matches its signed SHA-256"})
    conservative_value = fields.Int(attribute="value", metadata=FEN)


class RightDossierSchema(Schema):
    right = fields.Nested(RightBriefSchema)
    status = fields.Enum(RightStatus, by_value=True, metadata={"description": "as of today"})
    expires_on = fields.Date(allow_none=True)
    remaining_years = fields.Float(allow_none=True)
    fee = fields.Nested(FeeSchema, allow_none=True)
    pledges = fields.List(fields.Nested(ActivePledgeSchema))
    licences = fields.List(fields.Nested(LicenceSchema))
    open_disputes = fields.Function(lambda d: len(d.disputes))
    consents = fields.List(fields.Nested(ConsentSchema))
    reports = fields.List(fields.Nested(ReportCheckSchema))
    index_score = fields.Float(allow_none=True)
    legal_score = fields.Float(allow_none=True)
    grounds = fields.List(fields.Nested(GroundSchema))


class FactorSchema(Schema):
    code = fields.Str()
    factor = fields.Float()
    explanation = fields.Str()


class CollateralUnitSchema(Schema):
    report_id = fields.Function(lambda u: u.report.id if u.report else None, allow_none=True)
    report_number = fields.Function(
        lambda u: u.report.number if u.report else None, allow_none=True
    )
    right_ids = fields.Function(lambda u: [r.id for r in u.rights])
    value = fields.Int(metadata=FEN)
    amount = fields.Int(metadata=FEN)
    eligible = fields.Bool()
    factors = fields.List(fields.Nested(FactorSchema))
    refusals = fields.List(fields.Str())


class DossierTotalsSchema(Schema):
    value = fields.Int(metadata={"description": "conservative value of the eligible collateral"})
    suggested = fields.Int(metadata=FEN)
    requested = fields.Int(metadata=FEN)
    ltv_bp = fields.Int(allow_none=True, metadata=BP)
    grade = fields.Str(metadata={"description": "A (best) to E"})
    grade_reasons = fields.List(fields.Str())


class DossierSchema(Schema):
    review_id = fields.Function(lambda d: d.application.review_by(d.bank).id)
    application_id = fields.Int(attribute="application.id")
    application_number = fields.Str(attribute="application.number", allow_none=True)
    bank_org_id = fields.Int(attribute="bank.id")
    loan_months = fields.Int()
    matures_on = fields.Date()
    rights = fields.List(fields.Nested(RightDossierSchema))
    units = fields.List(fields.Nested(CollateralUnitSchema))
    totals = fields.Function(lambda d: DossierTotalsSchema().dump(d))


# --- pledges ------------------------------------------------------------------------------------


class PledgeSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    status = fields.Enum(PledgeStatus, by_value=True)
    review_id = fields.Int()
    application_id = fields.Int()
    pledgor_org_id = fields.Int()
    pledgor = fields.Str(attribute="pledgor_org.name_zh")
    pledgee_org_id = fields.Int()
    pledgee = fields.Str(attribute="pledgee_org.name_zh")
    principal = fields.Int(metadata=FEN)
    outstanding = fields.Int(metadata=FEN)
    interest_paid = fields.Int(metadata=FEN)
    currency = fields.Str()
    rate_bp = fields.Int(metadata=BP)
    starts_on = fields.Date()
    matures_on = fields.Date()
    registration_number = fields.Str(allow_none=True)
    registered_on = fields.Date(allow_none=True)
    released_on = fields.Date(allow_none=True)
    defaulted_on = fields.Date(allow_none=True)
    disposal_listing_id = fields.Int(allow_none=True)
    created_at = fields.DateTime()


class FilingSchema(Schema):
    id = fields.Int()
    kind = fields.Enum(FilingKind, by_value=True)
    authority = fields.Str()
    sha256 = fields.Str(metadata={"description": "SHA-256 of the JSON package as downloaded"})
    filed_by_id = fields.Int()
    filed_at = fields.DateTime()
    accepted_number = fields.Str(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    refusal = fields.Str(allow_none=True)


class RepaymentSchema(Schema):
    id = fields.Int()
    pledge_id = fields.Int()
    paid_on = fields.Date()
    principal = fields.Int(metadata=FEN)
    interest = fields.Int(metadata=FEN)
    recorded_by_id = fields.Int()
    created_at = fields.DateTime()


class AlertSchema(Schema):
    id = fields.Int()
    right_id = fields.Int(allow_none=True)
    code = fields.Enum(AlertCode, by_value=True)
    detail = fields.Dict()
    raised_on = fields.Date()
    resolved_at = fields.DateTime(allow_none=True)


class HeldRightSchema(Schema):
    right = fields.Nested(RightBriefSchema)
    active = fields.Bool(metadata={"description": "held by this pledge now"})


class TransferConsentSchema(Schema):
    id = fields.Int()
    pledge_id = fields.Int()
    listing_id = fields.Int()
    status = fields.Enum(TransferConsentStatus, by_value=True)
    note = fields.Str(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class PledgeDetailSchema(PledgeSchema):
    contract_sha256 = fields.Str()
    contract_version = fields.Str()
    held = fields.List(fields.Nested(HeldRightSchema))
    filings = fields.List(fields.Nested(FilingSchema))
    repayments = fields.List(fields.Nested(RepaymentSchema))
    #: The monitor's alerts are the pledgee's; others get an empty list.
    alerts = fields.List(fields.Nested(AlertSchema), attribute="visible_alerts")
    transfer_consents = fields.List(
        fields.Nested(TransferConsentSchema), attribute="visible_transfer_consents"
    )


class LendingPolicySchema(PolicyInSchema):
    bank_org_id = fields.Int()
    saved = fields.Function(
        lambda p: p.id is not None,
        metadata={"description": "false: the defaults, not yet saved by the bank"},
    )
    updated_by_id = fields.Int(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
