"""What the search index holds of listings and demand posts: public text and filter fields only
(never the NDA-gated details)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.listings.models import (
    VISIBLE_STATUSES,
    Demand,
    DemandStatus,
    Listing,
)
from marketplace.search.engine import SearchDocument


def listing_document(listing: Listing) -> SearchDocument:
    ipc = tuple(dict.fromkeys(code for right in listing.rights for code in right.ipc_codes))
    body = "\n".join(
        [
            listing.teaser,
            *(r.title_zh for r in listing.rights),
            *((r.abstract or "") for r in listing.rights),
        ]
    )
    return SearchDocument(
        doc_type="listing",
        doc_id=listing.id,
        title=listing.title,
        body=body,
        ipc=ipc,
        kinds=tuple(dict.fromkeys(r.kind.value for r in listing.rights)),
        deal_type=listing.deal_type.value,
        status=" ".join(dict.fromkeys(r.status.value for r in listing.rights)),
        region=listing.region,
        industry=listing.industry,
        price=listing.asking_price,
        created_at=listing.published_at or listing.created_at,
    )


def demand_document(demand: Demand) -> SearchDocument:
    return SearchDocument(
        doc_type="demand",
        doc_id=demand.id,
        title=demand.title,
        body=demand.description,
        ipc=tuple(demand.ipc_codes),
        kinds=(),
        deal_type=None,
        status="open",
        region=demand.region,
        industry=demand.industry,
        price=demand.budget_max,
        created_at=demand.created_at,
        visibility=demand.visibility.value,
    )


def load_listing(doc_id: int) -> SearchDocument | None:
    """The listing as indexed, or None when it must leave the index (not visible any more)."""
    listing = db.session.get(Listing, doc_id)
    if listing is None or listing.status not in VISIBLE_STATUSES:
        return None
    return listing_document(listing)


def load_demand(doc_id: int) -> SearchDocument | None:
    demand = db.session.get(Demand, doc_id)
    if demand is None or demand.status is not DemandStatus.OPEN:
        return None
    return demand_document(demand)


def all_listings() -> Iterator[SearchDocument]:
    query = sa.select(Listing).where(Listing.status.in_(VISIBLE_STATUSES)).order_by(Listing.id)
    for listing in db.session.scalars(query):
        yield listing_document(listing)


def all_demands() -> Iterator[SearchDocument]:
    query = sa.select(Demand).where(Demand.status == DemandStatus.OPEN).order_by(Demand.id)
    for demand in db.session.scalars(query):
        yield demand_document(demand)
