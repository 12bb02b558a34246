"""Display labels of pledge financing, in the UI's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.pledges.models import (
    AlertCode,
    ApplicationStatus,
    ConsentGround,
    FilingKind,
    PledgeStatus,
    ReviewStatus,
    TransferConsentStatus,
)

APPLICATION_STATUS_LABELS = {
    ApplicationStatus.DRAFT: _l("Draft"),
    ApplicationStatus.SUBMITTED: _l("Sent to banks"),
    ApplicationStatus.ACCEPTED: _l("Offer accepted"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
}

REVIEW_STATUS_LABELS = {
    ReviewStatus.SUBMITTED: _l("Awaiting decision"),
    ReviewStatus.INFO_REQUESTED: _l("Information requested"),
    ReviewStatus.AWAITING_SECOND_APPROVAL: _l("Awaiting second approver"),
    ReviewStatus.APPROVED: _l("Approved"),
    ReviewStatus.REJECTED: _l("Rejected"),
    ReviewStatus.ACCEPTED: _l("Offer accepted"),
    ReviewStatus.CLOSED: _l("No longer open"),
}

PLEDGE_STATUS_LABELS = {
    PledgeStatus.AGREED: _l("Agreed, to be filed"),
    PledgeStatus.FILED: _l("Registration filed"),
    PledgeStatus.REGISTERED: _l("Pledge registered"),
    PledgeStatus.RELEASED: _l("Released"),
    PledgeStatus.DEFAULTED: _l("In default"),
    PledgeStatus.DISPOSING: _l("Collateral offered for sale"),
    PledgeStatus.DISPOSED: _l("Collateral sold"),
    PledgeStatus.CANCELLED: _l("Cancelled"),
}

FILING_KIND_LABELS = {
    FilingKind.REGISTRATION: _l("Pledge registration"),
    FilingKind.CHANGE: _l("Change of pledge"),
    FilingKind.RELEASE: _l("Release of pledge"),
}

CONSENT_GROUND_LABELS = {
    ConsentGround.CO_OWNER: _l("Co-owner's consent"),
    ConsentGround.UNDER_INVALIDATION: _l("Informed consent: under invalidation"),
    ConsentGround.SAME_DAY_PAIR: _l("Informed consent: same-day pair"),
}

ALERT_CODE_LABELS = {
    AlertCode.FEE_DUE: _l("Annual fee due soon"),
    AlertCode.FEE_MISSED: _l("Annual fee missed"),
    AlertCode.STATUS_CHANGED: _l("Legal status changed"),
    AlertCode.EXPIRY_NEAR_MATURITY: _l("Expiry near loan maturity"),
    AlertCode.LOW_APPRAISAL: _l("Appraisal below threshold"),
}

TRANSFER_CONSENT_LABELS = {
    TransferConsentStatus.REQUESTED: _l("Consent requested"),
    TransferConsentStatus.GRANTED: _l("Consent granted"),
    TransferConsentStatus.REFUSED: _l("Consent refused"),
}
