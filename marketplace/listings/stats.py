"""Price transparency: anonymised statistics of closed deals.

A cell (kind × IPC section × industry × region, any of them left open) is shown only once it
holds at least :data:`MIN_DEALS` closed deals, so that no single deal can be read off it. The
valuation module's market approach reads the same closed deals as comparables.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

import valuation
from marketplace.core.clock import today
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingStatus
from marketplace.rights import services as rights_services
from marketplace.rights.models import Right

#: Fewer closed deals than this in a cell and the cell is not shown.
MIN_DEALS = 3


@dataclass(frozen=True)
class DealStats:
    count: int
    #: Price in fen: median and interquartile range (None when fewer than MIN_DEALS prices).
    price_median: int | None
    price_q1: int | None
    price_q3: int | None
    #: Royalty rate in basis points.
    royalty_median: int | None
    royalty_q1: int | None
    royalty_q3: int | None


@dataclass(frozen=True)
class ClosedDeal:
    listing_id: int
    price: int | None
    royalty_rate: int | None
    kind: str
    ipc_section: str | None
    industry: str | None
    region: str
    deal_type: str
    closed_on: date
    remaining_years: float | None


#: Further sources of closed deals (the deals package adds completed non-exclusive licences,
#: whose listings stay open for the next licensee).
EXTRA_SOURCES: list[Callable[[], list[ClosedDeal]]] = []


def closed_deal_row(
    listing: Listing, *, price: int | None, royalty_rate: int | None, closed_on: date
) -> ClosedDeal | None:
    """One anonymous row for a deal closed on ``listing``'s first right."""
    first: Right | None = listing.rights[0] if listing.rights else None
    if first is None:
        return None
    try:
        remaining = rights_services.remaining(first, on=closed_on)
    except ValueError:
        remaining = None
    return ClosedDeal(
        listing_id=listing.id,
        price=price,
        royalty_rate=royalty_rate,
        kind=first.kind.value,
        ipc_section=first.ipc_codes[0][0] if first.ipc_codes else None,
        industry=listing.industry or first.industry,
        region=listing.region,
        deal_type=listing.deal_type.value,
        closed_on=closed_on,
        remaining_years=None if remaining is None else round(remaining.days / 365.25, 2),
    )


def closed_deals() -> list[ClosedDeal]:
    """Every closed deal as an anonymous row (no parties, no listing text)."""
    listings = db.session.scalars(
        sa.select(Listing).where(Listing.status == ListingStatus.CLOSED)
    ).all()
    rows = []
    for listing in listings:
        if listing.closed_at is None:
            continue
        row = closed_deal_row(
            listing,
            price=listing.closed_price,
            royalty_rate=listing.closed_royalty_rate,
            closed_on=rights_services.local_date(listing.closed_at),
        )
        if row is not None:
            rows.append(row)
    for source in EXTRA_SOURCES:
        rows.extend(source())
    return rows


def _quartiles(values: list[int]) -> tuple[int, int, int] | None:
    if len(values) < MIN_DEALS:
        return None
    q1, median, q3 = statistics.quantiles(sorted(values), n=4, method="inclusive")
    return round(q1), round(median), round(q3)


def deal_stats(
    *,
    kind: str | None = None,
    ipc_section: str | None = None,
    industry: str | None = None,
    region: str | None = None,
) -> DealStats | None:
    """Statistics of the closed deals in one cell, or None when it has fewer than MIN_DEALS."""
    rows = [
        row
        for row in closed_deals()
        if (kind is None or row.kind == kind)
        and (ipc_section is None or row.ipc_section == ipc_section)
        and (industry is None or row.industry == industry)
        and (region is None or row.region == region)
    ]
    if len(rows) < MIN_DEALS:
        return None
    prices = _quartiles([r.price for r in rows if r.price is not None])
    royalties = _quartiles([r.royalty_rate for r in rows if r.royalty_rate is not None])
    return DealStats(
        count=len(rows),
        price_q1=prices[0] if prices else None,
        price_median=prices[1] if prices else None,
        price_q3=prices[2] if prices else None,
        royalty_q1=royalties[0] if royalties else None,
        royalty_median=royalties[1] if royalties else None,
        royalty_q3=royalties[2] if royalties else None,
    )


def stats_for_listing(listing: Listing) -> tuple[str, DealStats] | None:
    """The most specific cell with enough deals for a listing's first right, and its label key:
    kind+industry, then kind+IPC section, then kind alone."""
    if not listing.rights:
        return None
    right = listing.rights[0]
    section = right.ipc_codes[0][0] if right.ipc_codes else None
    industry = listing.industry or right.industry
    for label, filters in (
        ("kind_industry", {"kind": right.kind.value, "industry": industry}),
        ("kind_ipc", {"kind": right.kind.value, "ipc_section": section}),
        ("kind", {"kind": right.kind.value}),
    ):
        if None in filters.values():
            continue
        stats = deal_stats(**filters)
        if stats is not None:
            return label, stats
    return None


def comparables_for(right: Right, *, limit: int = 30) -> list[valuation.Comparable]:
    """Closed platform deals of the same kind (and IPC section when known) as comparables for
    the market approach, newest first. Prices are in yuan, as the library works."""
    section = right.ipc_codes[0][0] if right.ipc_codes else None
    rows = [
        row
        for row in closed_deals()
        if row.kind == right.kind.value
        and row.price is not None
        and (section is None or row.ipc_section in (None, section))
        and row.closed_on <= today()
    ]
    if len(rows) < MIN_DEALS:  # too few to be a market, and too easy to de-anonymise
        return []
    rows.sort(key=lambda r: r.closed_on, reverse=True)
    return [
        valuation.Comparable(
            price=row.price / 100,  # type: ignore[operator]
            date=row.closed_on,
            kind=row.kind,
            ipc=row.ipc_section or "",
            remaining_term=row.remaining_years,
            exclusivity="assignment"
            if row.deal_type == "assignment"
            else ("non_exclusive" if row.deal_type == "open_licence" else row.deal_type),
            reference=f"IPT-L-{row.listing_id}",
        )
        for row in rows[:limit]
    ]
