"""Display labels of the deal room, in the UI's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.deals.models import (
    DealStatus,
    OfferStatus,
    PaymentStructure,
    RecordalKind,
    RecordalStatus,
    ReportingPeriod,
    RoyaltyReportStatus,
)
from marketplace.payments.models import PaymentStatus, PayoutStatus

DEAL_STATUS_LABELS = {
    DealStatus.NEGOTIATING: _l("Negotiating"),
    DealStatus.AGREED: _l("Agreed, awaiting signatures"),
    DealStatus.SIGNED: _l("Signed, awaiting payment"),
    DealStatus.FUNDED: _l("Paid into escrow"),
    DealStatus.RECORDAL_FILED: _l("Recordal filed"),
    DealStatus.COMPLETED: _l("Completed"),
    DealStatus.CANCELLED: _l("Cancelled"),
}

OFFER_STATUS_LABELS = {
    OfferStatus.OPEN: _l("Open"),
    OfferStatus.COUNTERED: _l("Countered"),
    OfferStatus.ACCEPTED: _l("Accepted"),
    OfferStatus.WITHDRAWN: _l("Withdrawn"),
    OfferStatus.REJECTED: _l("Declined"),
}

PAYMENT_STRUCTURE_LABELS = {
    PaymentStructure.LUMP_SUM: _l("Lump sum"),
    PaymentStructure.INSTALMENTS: _l("Instalments"),
    PaymentStructure.UPFRONT_AND_ROYALTY: _l("Upfront fee and running royalty"),
    PaymentStructure.MILESTONES: _l("Milestones"),
}

REPORTING_PERIOD_LABELS = {
    ReportingPeriod.QUARTER: _l("Quarterly"),
    ReportingPeriod.HALF_YEAR: _l("Half-yearly"),
    ReportingPeriod.YEAR: _l("Yearly"),
}

RECORDAL_KIND_LABELS = {
    RecordalKind.ASSIGNMENT_REGISTRATION: _l("Assignment registration"),
    RecordalKind.ASSIGNMENT_APPROVAL: _l("Assignment approval and publication"),
    RecordalKind.LICENCE_RECORDAL: _l("Licence contract recordal"),
    RecordalKind.COPYRIGHT_CONTRACT: _l("Copyright contract registration"),
}

RECORDAL_STATUS_LABELS = {
    RecordalStatus.PREPARED: _l("To be filed"),
    RecordalStatus.FILED: _l("Filed, awaiting the authority"),
    RecordalStatus.ACCEPTED: _l("Accepted by the authority"),
    RecordalStatus.REFUSED: _l("Refused by the authority"),
}

ROYALTY_STATUS_LABELS = {
    RoyaltyReportStatus.DUE: _l("Awaiting the report"),
    RoyaltyReportStatus.REPORTED: _l("Reported, awaiting payment"),
    RoyaltyReportStatus.PAID: _l("Royalty paid"),
    RoyaltyReportStatus.LATE: _l("Late"),
}

PAYOUT_ROLE_LABELS = {
    "seller": _l("Seller"),
    "broker": _l("Broker's commission"),
    "pledgee": _l("Pledgee bank (disposal)"),
    "licensor": _l("Licensor"),
    "provider": _l("Service provider"),
}

PAYMENT_STATUS_LABELS = {
    PaymentStatus.CREATED: _l("Awaiting payment"),
    PaymentStatus.SUCCEEDED: _l("Received, held in escrow"),
    PaymentStatus.FAILED: _l("Payment failed"),
    PaymentStatus.CANCELLED: _l("Payment cancelled"),
    PaymentStatus.PARTIALLY_REFUNDED: _l("Partly refunded"),
    PaymentStatus.REFUNDED: _l("Refunded"),
}

PAYOUT_STATUS_LABELS = {
    PayoutStatus.PENDING: _l("Awaiting the bank transfer"),
    PayoutStatus.PAID: _l("Paid out"),
}
