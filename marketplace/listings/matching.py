"""Matching listings with demand posts: text similarity from the search index, IPC overlap,
region and price fit, each match with a short "why this match"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.extensions import db
from marketplace.listings import documents
from marketplace.listings.models import Demand, DemandStatus, Listing
from marketplace.listings.policy import demand_visible, listing_visible
from marketplace.search.engine import get_engine

#: Words too generic to show that two texts are about the same technology.
GENERIC_TERMS = frozenset(
    [
        "一种",
        "方法",
        "系统",
        "装置",
        "技术",
        "及其",
        "应用",
        "制备",
        "控制",
        "用于",
        "需要",
        "寻求",
        "求购",
        "可以",
        "进行",
        "提供",
        "实现",
        "基于",
        "设备",
        "结构",
        "产品",
        "生产",
        "工艺",
        "转让",
        "许可",
        "专利",
        "以及",
        "一个",
        "相关",
        "合作",
        "开发",
        "我们",
        "能够",
        "提升",
    ]
)

#: Weights of the four signals in the 0–100 score.
WEIGHTS = {"text": 50, "ipc": 25, "price": 15, "region": 10}
#: Matches at or above this score are "good": the parties and following brokers are told.
GOOD_MATCH = 60
CANDIDATES = 50


@dataclass(frozen=True)
class Match:
    listing: Listing | None
    demand: Demand | None
    score: int
    reasons: tuple[str, ...]
    #: Whether the technology itself is related (shared key terms or IPC), not only price and
    #: place: only such pairs are shown as matches.
    related: bool = True


def ipc_overlap(a: list[str] | tuple[str, ...], b: list[str] | tuple[str, ...]) -> float:
    """1 for a shared subclass (H01M), 0.7 for a shared class (H01), 0.4 for a section (H)."""
    best = 0.0
    for x in a:
        for y in b:
            if x[:4] == y[:4]:
                return 1.0
            if x[:3] == y[:3]:
                best = max(best, 0.7)
            elif x[:1] == y[:1]:
                best = max(best, 0.4)
    return best


def price_fit(price: int | None, budget_min: int | None, budget_max: int | None) -> float:
    """1 within budget, 0.6 when negotiable or no budget, 0.4 up to 20 % over, else 0."""
    if price is None or budget_max is None:
        return 0.6
    if price <= budget_max and (budget_min is None or price >= budget_min * 0.5):
        return 1.0
    if price <= budget_max * 1.2:
        return 0.4
    return 0.0


def key_terms(text: str) -> set[str]:
    """The significant words of ``text`` as the search index segments them."""
    from marketplace.search.analysis import tokens

    return {t for t in tokens(text) if t and len(t) >= 2 and t not in GENERIC_TERMS}


def text_similarity(a: set[str], b: set[str]) -> tuple[float, list[str]]:
    """Cosine similarity of two sets of key terms, and the terms they share."""
    shared = sorted(a & b)
    if not a or not b:
        return 0.0, shared
    return len(shared) / (len(a) * len(b)) ** 0.5, shared


def _listing_text(listing: Listing) -> str:
    return " ".join([listing.title, listing.teaser, *(r.title_zh for r in listing.rights)])


def _demand_text(demand: Demand) -> str:
    return f"{demand.title} {demand.description}"


def _score(listing: Listing, demand: Demand) -> Match:
    from marketplace.core.money import format_money

    text, shared = text_similarity(
        key_terms(_listing_text(listing)), key_terms(_demand_text(demand))
    )

    listing_ipc = [code for right in listing.rights for code in right.ipc_codes]
    ipc = ipc_overlap(listing_ipc, demand.ipc_codes)
    price = price_fit(listing.asking_price, demand.budget_min, demand.budget_max)
    region = 1.0 if listing.region == demand.region else 0.3
    score = round(
        WEIGHTS["text"] * text
        + WEIGHTS["ipc"] * ipc
        + WEIGHTS["price"] * price
        + WEIGHTS["region"] * region
    )
    reasons = []
    if shared:
        reasons.append(_("Shared key terms: %(terms)s.", terms="、".join(shared[:6])))
    if ipc == 1.0:
        reasons.append(_("Same IPC subclass."))
    elif ipc > 0:
        reasons.append(_("Related IPC class."))
    if price == 1.0:
        reasons.append(
            _(
                "The asking price %(price)s fits the budget.",
                price=format_money(listing.asking_price or 0),
            )
        )
    elif listing.asking_price is None:
        reasons.append(_("The price is negotiable."))
    elif price > 0:
        reasons.append(_("The asking price is a little over the budget."))
    if region == 1.0:
        reasons.append(_("Both in %(region)s.", region=listing.region))
    return Match(
        listing=listing,
        demand=demand,
        score=score,
        reasons=tuple(reasons),
        related=len(shared) >= 2 or ipc > 0,
    )


def _candidates(doc: Any, doc_type: str) -> list[int]:
    """Documents the index finds similar: the candidates; the score is computed here."""
    return [
        doc_id
        for doc_id, _score in get_engine(current_app).more_like(
            doc, doc_type=doc_type, limit=CANDIDATES
        )
    ]


def matches_for_demand(demand: Demand, *, viewer: Any = None, limit: int = 10) -> list[Match]:
    """Visible listings ranked for ``demand``, best first."""
    candidates = set(_candidates(documents.demand_document(demand), "listing"))
    if demand.ipc_codes:  # listings the text search missed but whose IPC fits
        for listing in db.session.scalars(
            sa.select(Listing).where(Listing.status.in_(documents.VISIBLE_STATUSES)).limit(500)
        ):
            if ipc_overlap([c for r in listing.rights for c in r.ipc_codes], demand.ipc_codes):
                candidates.add(listing.id)
    matches = []
    for listing_id in candidates:
        listing = db.session.get(Listing, listing_id)
        if listing is None or listing.seller_org_id == demand.org_id:
            continue
        if not listing_visible(viewer, listing) or not listing.is_visible:
            continue
        match = _score(listing, demand)
        if match.related:
            matches.append(match)
    matches.sort(key=lambda m: -m.score)
    return matches[:limit]


def matches_for_listing(listing: Listing, *, viewer: Any = None, limit: int = 10) -> list[Match]:
    """Open demand posts ranked for ``listing``, best first (only those ``viewer`` may see)."""
    matches = []
    for demand_id in _candidates(documents.listing_document(listing), "demand"):
        demand = db.session.get(Demand, demand_id)
        if demand is None or demand.status is not DemandStatus.OPEN:
            continue
        if demand.org_id == listing.seller_org_id or not demand_visible(viewer, demand):
            continue
        match = _score(listing, demand)
        if match.related:
            matches.append(match)
    matches.sort(key=lambda m: -m.score)
    return matches[:limit]


def announce_good_matches(obj: Listing | Demand) -> int:
    """Tell both parties, and the brokers following the industry, about each new good match of
    a just-published listing or just-posted demand (each pair once). Call after the commit that
    indexed ``obj``; returns how many matches were announced."""
    from marketplace.accounts.models import Organisation
    from marketplace.listings.models import FieldFollow, MatchNotice
    from marketplace.orders.services import tell

    matches = matches_for_demand(obj) if isinstance(obj, Demand) else matches_for_listing(obj)
    announced = 0
    for match in matches:
        if match.score < GOOD_MATCH or match.listing is None or match.demand is None:
            continue
        exists = db.session.scalar(
            sa.select(MatchNotice.id).where(
                MatchNotice.listing_id == match.listing.id, MatchNotice.demand_id == match.demand.id
            )
        )
        if exists:
            continue
        db.session.add(
            MatchNotice(listing_id=match.listing.id, demand_id=match.demand.id, score=match.score)
        )
        listing, demand = match.listing, match.demand
        tell(
            demand.org,
            lambda listing=listing: _(
                "A listing matches your demand: %(title)s", title=listing.title
            ),
            f"/listings/{listing.id}",
        )
        tell(
            listing.seller_org,
            lambda demand=demand: _(
                "A demand post matches your listing: %(title)s", title=demand.title
            ),
            f"/demands/{demand.id}",
        )
        industry = listing.industry or demand.industry
        if industry:
            followers = db.session.scalars(
                sa.select(Organisation)
                .join(FieldFollow, FieldFollow.org_id == Organisation.id)
                .where(FieldFollow.industry == industry)
            )
            for broker in followers:
                tell(
                    broker,
                    lambda listing=listing, demand=demand: _(
                        "New match in your field: %(listing)s ↔ %(demand)s",
                        listing=listing.title,
                        demand=demand.title,
                    ),
                    f"/demands/{demand.id}",
                )
        announced += 1
    db.session.flush()
    return announced
