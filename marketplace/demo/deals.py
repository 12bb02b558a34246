"""Demo deals on the published demo listings, one in each stage a visitor should see: under
negotiation with a counter-offer, agreed and awaiting the buyer's signature, signed and awaiting
payment (a visitor pays it by card in the sandbox), funded, and completed with its payouts
waiting for the finance user on ``/finance``.

Everything goes through the deal, payment and recordal services. Funding takes the bank custody
path (a custody payment matched by an imported statement line) so seeding needs no Stripe
sandbox. Listings and buyers are chosen by querying the demo market, never by number; a
listing the deal rules refuse (a pledged right without the pledgee's consent) is skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrgCategory, User
from marketplace.core.clock import today
from marketplace.core.errors import DomainError
from marketplace.deals import recordals
from marketplace.deals import services as deals
from marketplace.deals.models import Deal
from marketplace.demo.data import DEMO_DOMAIN, DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.listings.models import DealType, Listing, ListingStatus
from marketplace.payments import custody
from marketplace.payments import services as payments
from marketplace.payments.models import PaymentProvider, PaymentPurpose
from marketplace.pledges.models import Pledge

IP = "127.0.0.1"


class _Unsuitable(Exception):
    """This listing cannot carry the demo deal (say, no recordal to file): try the next."""


def _member(org: Organisation) -> User:
    return min(org.members, key=lambda u: u.id)


def _candidates() -> list[Listing]:
    disposals = sa.select(Pledge.disposal_listing_id).where(Pledge.disposal_listing_id.is_not(None))
    return list(
        db.session.scalars(
            sa.select(Listing)
            .where(
                Listing.status == ListingStatus.PUBLISHED,
                Listing.deal_type != DealType.OPEN_LICENCE,
                Listing.asking_price.is_not(None),
                Listing.id.not_in(disposals),
            )
            .order_by(Listing.id)
        )
    )


def _buyers() -> list[Organisation]:
    orgs = db.session.scalars(sa.select(Organisation).order_by(Organisation.id))
    return [
        o for o in orgs if o.is_verified and o.category is OrgCategory.RIGHTS_HOLDER and o.members
    ]


def _round(fen: int) -> int:
    """To whole thousands of yuan, as people bargain."""
    return max(100_000, fen // 100_000 * 100_000)


def _terms(listing: Listing, percent: int, note: str) -> deals.OfferData:
    price = _round((listing.asking_price or 0) * percent // 100)
    if not listing.deal_type.is_licence:
        return deals.OfferData(price=price, note=note)
    return deals.OfferData(
        price=price,
        territory="吉林省",
        field_of_use="新能源汽车及零部件" if listing.industry == "automotive" else "全部领域",
        starts_on=today() + timedelta(days=7),
        ends_on=listing.licence_ends_on,
        note=note,
    )


def _negotiate(listing: Listing, buyer: Organisation) -> Deal:
    """The buyer offers 80 %, the seller counters at 95 %."""
    deal = deals.open_deal(
        listing,
        buyer,
        actor=_member(buyer),
        offer=_terms(listing, 80, "我方已完成技术评估，希望以该价格达成合作。"),
    )
    deals.counter(
        deal,
        _terms(listing, 95, "考虑到量产验证成本，我方可在挂牌价基础上小幅让利。"),
        actor=_member(listing.seller_org),
    )
    return deal


def _agree(listing: Listing, buyer: Organisation) -> Deal:
    """Negotiated, and the buyer accepts the seller's counter-offer: the contract is ready."""
    deal = _negotiate(listing, buyer)
    deals.accept_offer(deal.offers[-1], actor=_member(buyer))
    return deal


def _sign(deal: Deal, *orgs: Organisation) -> None:
    for org in orgs:
        deals.sign_contract(
            deal.contract, actor=_member(org), password=DEMO_PASSWORD, ip_address=IP
        )


def _signed(listing: Listing, buyer: Organisation) -> Deal:
    deal = _agree(listing, buyer)
    _sign(deal, deal.seller_org, buyer)
    return deal


def _awaiting_buyer(listing: Listing, buyer: Organisation) -> Deal:
    deal = _agree(listing, buyer)
    _sign(deal, deal.seller_org)
    return deal


def _statement(deals_to_fund: list[Deal]) -> bytes:
    """The custody bank's statement crediting each deal's price with its payment reference."""
    lines = ["date,amount,currency,reference,counterparty"]
    for deal in deals_to_fund:
        payment, reference = payments.start_payment(
            purpose=PaymentPurpose.DEAL_PRICE,
            payer=deal.buyer_org,
            amount=deal.price or 0,
            currency=deal.currency,
            deal=deal,
            step="price",
            provider=PaymentProvider.BANK_CUSTODY,
        )
        amount = f"{payment.amount // 100}.{payment.amount % 100:02d}"
        memo = f"{deal.number} 合同价款 {reference}"
        lines.append(f"{today().isoformat()},{amount},CNY,{memo},{deal.buyer_org.name_zh}")
    return ("\n".join(lines) + "\n").encode()


def _complete(deal: Deal) -> None:
    """The seller files the recordal and records the authority's acceptance: the deal settles
    and its payouts wait for the finance user's bank transfer."""
    filings = recordals.recordals_of(deal)
    seller = _member(deal.seller_org)
    for number, recordal in enumerate(filings, start=1):
        recordals.file_recordal(recordal, actor=seller)
        recordals.confirm_recordal(
            recordal,
            number=f"{today().year}22{deal.id:05d}{number:02d}",
            on=today(),
            actor=seller,
        )


Stage = Callable[[Listing, Organisation], Deal]


def _place(stage: Stage, listings: Iterator[Listing], buyers: list[Organisation]) -> Deal | None:
    """Run ``stage`` on the next listing that takes it (each in a savepoint, so a refused one
    leaves nothing behind), with the first buyer that is not the seller."""
    for listing in listings:
        buyer = next((b for b in buyers if b.id != listing.seller_org_id), None)
        if buyer is None:
            continue
        try:
            with db.session.begin_nested():
                deal = stage(listing, buyer)
                if stage is _signed and not _has_recordal(listing, deal):
                    raise _Unsuitable
        except (DomainError, _Unsuitable):
            continue
        # The next stage goes to another buyer, so the demo shows several companies.
        buyers.append(buyers.pop(buyers.index(buyer)))
        return deal
    return None


def _has_recordal(listing: Listing, deal: Deal) -> bool:
    return all(recordals.recordal_kind(r, deal.deal_type) is not None for r in listing.rights)


def seed_deals() -> int:
    """Idempotent: nothing happens once any deal exists. Returns the number of deals."""
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Deal)) or 0
    if existing:
        return existing
    operator = db.session.scalar(sa.select(User).where(User.email == f"operator@{DEMO_DOMAIN}"))
    buyers = _buyers()
    listings = iter(_candidates())
    _place(_negotiate, listings, buyers)
    _place(_awaiting_buyer, listings, buyers)
    _place(_signed, listings, buyers)  # a visitor pays this one with the test card
    to_fund = [d for d in (_place(_signed, listings, buyers) for _ in range(2)) if d is not None]
    if to_fund and operator is not None:
        report = custody.import_statement(_statement(to_fund), actor=operator)
        assert len(report.matched) == len(to_fund), report.unmatched
        _complete(to_fund[-1])
    db.session.flush()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Deal)) or 0
