"""Display labels of the market, in the UI's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.listings.models import DealType, DemandStatus, ListingStatus
from marketplace.rights.models import LicenceType

DEAL_TYPE_LABELS = {
    DealType.ASSIGNMENT: _l("Assignment"),
    DealType.EXCLUSIVE: _l("Exclusive licence"),
    DealType.SOLE: _l("Sole licence"),
    DealType.NON_EXCLUSIVE: _l("Non-exclusive licence"),
    DealType.OPEN_LICENCE: _l("Open licence"),
}

LICENCE_TYPE_LABELS = {
    LicenceType.EXCLUSIVE: _l("exclusive"),
    LicenceType.SOLE: _l("sole"),
    LicenceType.NON_EXCLUSIVE: _l("non-exclusive"),
    LicenceType.OPEN: _l("open"),
}

LISTING_STATUS_LABELS = {
    ListingStatus.DRAFT: _l("Draft"),
    ListingStatus.PUBLISHED: _l("Published"),
    ListingStatus.UNDER_NEGOTIATION: _l("Under negotiation"),
    ListingStatus.CLOSED: _l("Closed"),
    ListingStatus.WITHDRAWN: _l("Withdrawn"),
    ListingStatus.EXPIRED: _l("Expired"),
}

DEMAND_STATUS_LABELS = {
    DemandStatus.OPEN: _l("Seeking offers"),
    DemandStatus.FULFILLED: _l("Fulfilled"),
    DemandStatus.WITHDRAWN: _l("Withdrawn"),
}

INDUSTRY_LABELS = {
    "automotive": _l("Automotive"),
    "optoelectronics": _l("Optoelectronics"),
    "biomedicine": _l("Biomedicine"),
    "new_materials": _l("New materials"),
    "agriculture": _l("Agriculture"),
    "equipment": _l("Equipment manufacturing"),
    "big_data": _l("Big data"),
}
