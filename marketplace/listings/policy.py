"""Who sees what in the market. Published listings and public demand posts are public (visitors
included); drafts and closed listings only to the seller and the operator; a demand post marked
for agencies only to verified agencies and its poster."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import OrgCategory, User
from marketplace.core import policy
from marketplace.listings.models import (
    Demand,
    DemandStatus,
    DemandVisibility,
    Listing,
    ListingStatus,
    Mandate,
)


def _org_id(user: Any) -> int | None:
    org = getattr(user, "organisation", None)
    return org.id if org is not None and org.is_verified else None


def listing_visible(user: Any, listing: Listing) -> bool:
    """Also answers for anonymous visitors (``user`` not signed in)."""
    if listing.is_visible:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_operator or _org_id(user) == listing.seller_org_id


def demand_visible(user: Any, demand: Demand) -> bool:
    signed_in = getattr(user, "is_authenticated", False)
    if signed_in and (user.is_operator or _org_id(user) == demand.org_id):
        return True
    if demand.status is not DemandStatus.OPEN:
        return False
    if demand.visibility is DemandVisibility.PUBLIC:
        return True
    org = getattr(user, "organisation", None) if signed_in else None
    return org is not None and org.is_verified and org.category is OrgCategory.AGENCY


@policy.visibility(Listing)
def _listing_visible(user: User, listing: Listing) -> bool:
    return listing_visible(user, listing)


@policy.action(Listing, "view")
def _view(user: User, listing: Listing) -> bool:
    return True


@policy.action(Listing, "edit", "publish", "withdraw", "close", "mandate")
def _manage(user: User, listing: Listing) -> bool:
    return _org_id(user) == listing.seller_org_id and listing.status not in (ListingStatus.CLOSED,)


@policy.action(Listing, "accept_nda", "contact")
def _nda(user: User, listing: Listing) -> bool:
    return _org_id(user) is not None and _org_id(user) != listing.seller_org_id


@policy.action(Listing, "accept_open_licence")
def _take_open(user: User, listing: Listing) -> bool:
    return _org_id(user) is not None and _org_id(user) != listing.seller_org_id


@policy.action(Listing, "consent")
def _consent(user: User, listing: Listing) -> bool:
    org_id = _org_id(user)
    return org_id is not None and any(r.owner_row(org_id) for r in listing.rights)


@policy.visibility(Demand)
def _demand_visible(user: User, demand: Demand) -> bool:
    return demand_visible(user, demand)


@policy.action(Demand, "view")
def _demand_view(user: User, demand: Demand) -> bool:
    return True


@policy.action(Demand, "manage", "mandate")
def _demand_manage(user: User, demand: Demand) -> bool:
    return _org_id(user) == demand.org_id


@policy.visibility(Mandate)
def _mandate_visible(user: User, mandate: Mandate) -> bool:
    return _org_id(user) is not None


@policy.action(Mandate, "end")
def _mandate_end(user: User, mandate: Mandate) -> bool:
    org_id = _org_id(user)
    return org_id is not None and org_id in (mandate.broker_org_id, mandate.principal_org_id)


@policy.action(None, "listings.create", "demands.create")
def _create(user: User, _: None) -> bool:
    org = user.organisation
    return org is not None and org.is_verified and org.category is OrgCategory.RIGHTS_HOLDER
