"""Display labels of the deal room, in the UI's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.deals.models import DealStatus, OfferStatus, PaymentStructure, ReportingPeriod

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
