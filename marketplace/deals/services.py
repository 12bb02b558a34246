"""The deal room: a buyer's offer on a listing, counter-offers, agreement with its exclusivity
rule, the contract and both parties' signatures, messages and shared documents; an open
licence taken at its published terms in one step.

Every function flushes and never commits; the caller commits once. Every status change goes
through :func:`marketplace.deals.lifecycle.move_deal` and is in the audit trail.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, OrgCategory, User
from marketplace.accounts.services import check_password
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import (
    Conflict,
    IllegalTransition,
    PermissionDenied,
    ValidationFailed,
)
from marketplace.core.models import utcnow
from marketplace.deals import contracts
from marketplace.deals.errors import ContractTampered, DealRefused, DocumentRejected
from marketplace.deals.lifecycle import move_deal
from marketplace.deals.models import (
    OPEN_DEAL_STATUSES,
    Contract,
    Deal,
    DealDocument,
    DealMessage,
    DealStatus,
    Offer,
    OfferStatus,
    PaymentStructure,
    ReportingPeriod,
    Signature,
)
from marketplace.extensions import db
from marketplace.listings import services as listings
from marketplace.listings.errors import ListingRefused
from marketplace.listings.models import DealType, Demand, DemandStatus, Listing, ListingStatus
from marketplace.notifications.services import notify, user_locale
from marketplace.rights import evidence
from marketplace.rights import services as rights_services
from marketplace.rights.errors import EvidenceRejected
from marketplace.rights.models import EVERYWHERE

#: Deal types of which only one deal per listing can be agreed: the listing is held by it.
EXCLUSIVE_DEAL_TYPES = frozenset({DealType.ASSIGNMENT, DealType.EXCLUSIVE, DealType.SOLE})
#: Cancelling a funded deal needs its money back first. The payments module registers its refund
#: here: ``hook(deal, actor=..., reason=...)``; with none registered, cancellation is refused.
ON_CANCEL_FUNDED: list[Callable[..., None]] = []
MAX_MESSAGE = 5000
MAX_NOTE = 2000


# --- input --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instalment:
    """One payment of a schedule: an instalment has a due date, a milestone a description."""

    amount: int
    due_on: date | None = None
    milestone: str = ""


@dataclass(frozen=True)
class OfferData:
    """Terms proposed by one side. Money in fen, rates in basis points."""

    price: int
    payment_structure: PaymentStructure = PaymentStructure.LUMP_SUM
    schedule: Sequence[Instalment] = field(default=())
    royalty_rate_bp: int | None = None
    reporting_period: ReportingPeriod | None = None
    territory: str = EVERYWHERE
    field_of_use: str = EVERYWHERE
    starts_on: date | None = None
    ends_on: date | None = None
    refund_on_cancel_bp: int = 10_000
    note: str = ""


def earliest_expiry(listing: Listing) -> date | None:
    """The day the first of the listing's rights ends: no licence term may go beyond it."""
    return min((e for r in listing.rights if (e := rights_services.expiry_of(r))), default=None)


def validate_offer(listing: Listing, data: OfferData) -> OfferData:
    """The terms, checked all at once and completed (a licence without an end date runs until
    the first right ends).

    :raises ValidationFailed: with every problem, by field.
    """
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    structure = data.payment_structure
    royalty = structure is PaymentStructure.UPFRONT_AND_ROYALTY
    licence = listing.deal_type.is_licence
    if not isinstance(data.price, int) or data.price < 0:
        problem("price", _("The price is a whole number of fen, zero or more."))
    elif data.price == 0 and not royalty:
        problem("price", _("The price must be more than zero."))
    if royalty:
        if not licence:
            problem("payment_structure", _("An assignment has no running royalty."))
        if data.royalty_rate_bp is None or not 0 < data.royalty_rate_bp <= 10_000:
            problem(
                "royalty_rate_bp",
                _("A royalty rate lies between %(min)s and %(max)s.", min="0.01 %", max="100 %"),
            )
        if data.reporting_period is None:
            problem("reporting_period", _("Choose how often the licensee reports sales."))
    elif data.royalty_rate_bp is not None:
        problem(
            "royalty_rate_bp",
            _("Only an upfront fee with a running royalty has a royalty rate."),
        )
    if structure in (PaymentStructure.INSTALMENTS, PaymentStructure.MILESTONES):
        _validate_schedule(data, problem)
    elif data.schedule:
        problem("schedule", _("Only instalments and milestones have a payment schedule."))
    if not 0 <= data.refund_on_cancel_bp <= 10_000:
        problem(
            "refund_on_cancel_bp",
            _("The refund share lies between %(min)s and %(max)s.", min="0 %", max="100 %"),
        )
    if len(data.note) > MAX_NOTE:
        problem("note", _("Keep the note under %(n)d characters.", n=MAX_NOTE))
    for name in ("territory", "field_of_use"):
        if len(getattr(data, name)) > 100:
            problem(name, _("Keep this under %(n)d characters.", n=100))
    starts_on, ends_on = data.starts_on, data.ends_on
    if licence:
        expiry = earliest_expiry(listing)
        ends_on = ends_on or expiry
        if starts_on is None:
            problem("starts_on", _("A licence needs its start date."))
        elif starts_on < today():
            problem("starts_on", _("The licence cannot start in the past."))
        if ends_on is None:
            problem("ends_on", _("A licence needs its end date."))
        elif starts_on and ends_on < starts_on:
            problem("ends_on", _("The licence cannot end before it starts."))
        elif expiry is not None and ends_on > expiry:
            problem(
                "ends_on",
                _(
                    "The licence term outlives the right, which ends on %(date)s.",
                    date=expiry.isoformat(),
                ),
            )
    else:
        starts_on = ends_on = None
        if (data.territory or EVERYWHERE) != EVERYWHERE or (
            data.field_of_use or EVERYWHERE
        ) != EVERYWHERE:
            problem("territory", _("An assignment is not limited to a territory or field."))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    return OfferData(
        price=data.price,
        payment_structure=structure,
        schedule=tuple(data.schedule),
        royalty_rate_bp=data.royalty_rate_bp if royalty else None,
        reporting_period=data.reporting_period if royalty else None,
        territory=(data.territory or EVERYWHERE).strip() if licence else EVERYWHERE,
        field_of_use=(data.field_of_use or EVERYWHERE).strip() if licence else EVERYWHERE,
        starts_on=starts_on,
        ends_on=ends_on,
        refund_on_cancel_bp=data.refund_on_cancel_bp,
        note=data.note.strip(),
    )


def _validate_schedule(data: OfferData, problem: Callable[[str, str], None]) -> None:
    instalments = data.payment_structure is PaymentStructure.INSTALMENTS
    if len(data.schedule) < (2 if instalments else 1):
        problem(
            "schedule",
            _("Instalments need at least two payments.")
            if instalments
            else _("Name at least one milestone."),
        )
        return
    previous: date | None = None
    for number, item in enumerate(data.schedule, start=1):
        if not isinstance(item.amount, int) or item.amount <= 0:
            problem("schedule", _("Payment %(n)d must be more than zero.", n=number))
        if instalments:
            if item.due_on is None:
                problem("schedule", _("Payment %(n)d needs its due date.", n=number))
            elif item.due_on < today() or (previous is not None and item.due_on < previous):
                problem(
                    "schedule",
                    _("Payment %(n)d is due before today or before the one above.", n=number),
                )
            previous = item.due_on or previous
        elif not item.milestone.strip():
            problem("schedule", _("Payment %(n)d needs its milestone.", n=number))
    total = sum(i.amount for i in data.schedule if isinstance(i.amount, int))
    if total != data.price:
        problem(
            "schedule",
            _(
                "The payments add up to %(total)s, not the price of %(price)s.",
                total=_money(total),
                price=_money(data.price),
            ),
        )


def _money(amount: int) -> str:
    from marketplace.core.money import format_money

    return format_money(amount)


def _schedule_json(data: OfferData) -> list[dict[str, Any]]:
    rows = []
    for item in data.schedule:
        row: dict[str, Any] = {"amount": item.amount}
        if item.due_on is not None:
            row["due_on"] = item.due_on.isoformat()
        if item.milestone.strip():
            row["milestone"] = item.milestone.strip()
        rows.append(row)
    return rows


def offer_terms(offer: Offer) -> dict[str, Any]:
    """The offer's terms as plain values, for the audit trail and the API."""
    return {
        "price": offer.price,
        "payment_structure": offer.payment_structure,
        "schedule": offer.schedule,
        "royalty_rate_bp": offer.royalty_rate_bp,
        "reporting_period": offer.reporting_period,
        "territory": offer.territory,
        "field_of_use": offer.field_of_use,
        "starts_on": offer.starts_on,
        "ends_on": offer.ends_on,
        "refund_on_cancel_bp": offer.refund_on_cancel_bp,
    }


# --- helpers ------------------------------------------------------------------------------------


def _tell(orgs: Sequence[Organisation | None], title: Callable[[], str], deal: Deal) -> None:
    """Notify every active member of each of ``orgs``, in their own language."""
    seen: set[int] = set()
    for org in orgs:
        if org is None or org.id in seen:
            continue
        seen.add(org.id)
        for user in org.members:
            if user.is_active:
                with force_locale(user_locale(user)):
                    notify(user, title=title(), link=f"/deals/{deal.id}")


def _others(deal: Deal, actor: User) -> list[Organisation | None]:
    """The deal's parties and broker other than the actor's organisation."""
    orgs = [deal.seller_org, deal.buyer_org, deal.broker_org]
    return [o for o in orgs if o is not None and o.id != actor.organisation_id]


def _side(deal: Deal, actor: User) -> int:
    """The actor's party (seller or buyer organisation id).

    :raises PermissionDenied: the actor is neither the seller nor the buyer.
    """
    org_id = actor.organisation_id
    if org_id not in (deal.seller_org_id, deal.buyer_org_id):
        raise PermissionDenied(_("Only the seller and the buyer can do this."))
    assert org_id is not None
    return org_id


def _require_negotiating(deal: Deal) -> None:
    if deal.status is DealStatus.CANCELLED:
        raise DealRefused(
            _("This deal was cancelled: %(reason)s", reason=deal.cancelled_reason or "—")
        )
    if deal.status is not DealStatus.NEGOTIATING:
        raise IllegalTransition(_("The terms of this deal are already agreed."))


def _require_buyer(listing: Listing, buyer_org: Organisation, actor: User) -> None:
    if actor.organisation_id != buyer_org.id:
        raise PermissionDenied(_("You can act only for your own organisation."))
    if buyer_org.id == listing.seller_org_id:
        raise Conflict(_("You cannot buy your own listing."))
    if not buyer_org.is_verified or buyer_org.category is not OrgCategory.RIGHTS_HOLDER:
        raise Conflict(_("Only verified companies, universities and institutes make offers."))


def _open_deal_of(listing: Listing, buyer_org: Organisation) -> Deal | None:
    return db.session.scalar(
        sa.select(Deal).where(
            Deal.listing_id == listing.id,
            Deal.buyer_org_id == buyer_org.id,
            Deal.status.in_(OPEN_DEAL_STATUSES),
        )
    )


def _new_deal(
    listing: Listing, buyer_org: Organisation, *, actor: User, demand: Demand | None
) -> Deal:
    mandates = listings.active_mandates(listing=listing)
    if demand is not None:
        mandates += listings.active_mandates(demand=demand)
    mandate = mandates[0] if mandates else None
    deal = Deal(
        # A placeholder until the id is known: the number is built from it.
        number=f"IPT-D-new-{secrets.token_hex(8)}",
        listing=listing,
        demand=demand,
        seller_org_id=listing.seller_org_id,
        buyer_org_id=buyer_org.id,
        mandate=mandate,
        broker_org_id=mandate.broker_org_id if mandate else None,
        commission_bp=mandate.commission_rate if mandate else 0,
        platform_fee_bp=current_app.config.get("DEAL_PLATFORM_FEE_BP", 300),
        deal_type=listing.deal_type,
        currency=listing.currency,
        created_by_id=actor.id,
        status=DealStatus.NEGOTIATING,
    )
    db.session.add(deal)
    db.session.flush()
    deal.number = f"IPT-D-{today().year}-{deal.id:06d}"
    db.session.flush()
    db.session.refresh(deal)
    return deal


def _add_offer(
    deal: Deal,
    data: OfferData,
    *,
    by_org_id: int,
    by_user_id: int,
    counters: Offer | None = None,
    status: OfferStatus = OfferStatus.OPEN,
) -> Offer:
    offer = Offer(
        deal=deal,
        by_org_id=by_org_id,
        by_user_id=by_user_id,
        counters_id=counters.id if counters else None,
        status=status,
        price=data.price,
        payment_structure=data.payment_structure,
        schedule=_schedule_json(data),
        royalty_rate_bp=data.royalty_rate_bp,
        reporting_period=data.reporting_period,
        territory=data.territory,
        field_of_use=data.field_of_use,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        refund_on_cancel_bp=data.refund_on_cancel_bp,
        note=data.note,
    )
    db.session.add(offer)
    db.session.flush()
    return offer


def open_offer(deal: Deal) -> Offer | None:
    return next((o for o in reversed(deal.offers) if o.status is OfferStatus.OPEN), None)


# --- negotiation --------------------------------------------------------------------------------


def open_deal(
    listing: Listing,
    buyer_org: Organisation,
    *,
    actor: User,
    offer: OfferData,
    demand: Demand | None = None,
) -> Deal:
    """The buyer opens a deal on a published listing with its first offer; the broker mandated
    on the listing (or on the buyer's demand post) is attached with its commission.

    :raises PermissionDenied: the actor is not a member of ``buyer_org``.
    :raises Conflict: the seller itself, an unverified buyer, an open licence, or the buyer
        already has an open deal on the listing.
    :raises DealRefused: the listing is not on offer.
    :raises ListingRefused: the listing cannot be offered as it stands (every reason).
    :raises ValidationFailed: every invalid term.
    """
    _require_buyer(listing, buyer_org, actor)
    if listing.deal_type is DealType.OPEN_LICENCE:
        raise Conflict(_("An open licence is taken at its published terms, without an offer."))
    if listing.status is not ListingStatus.PUBLISHED:
        raise DealRefused(_("This listing is not open for offers."))
    if _open_deal_of(listing, buyer_org) is not None:
        raise Conflict(_("Your organisation already has an open deal on this listing."))
    if demand is not None and (
        demand.org_id != buyer_org.id or demand.status is not DemandStatus.OPEN
    ):
        message = _("Choose one of your own open demand posts.")
        raise ValidationFailed(message, fields={"demand_id": [message]})
    terms = validate_offer(listing, offer)
    listings.check_listable(listing)
    deal = _new_deal(listing, buyer_org, actor=actor, demand=demand)
    first = _add_offer(deal, terms, by_org_id=buyer_org.id, by_user_id=actor.id)
    audit.record(
        "deal.opened",
        deal,
        actor=actor,
        organisation=buyer_org,
        after={
            "number": deal.number,
            "listing": listing.id,
            "demand": demand.id if demand else None,
            "broker": deal.broker_org_id,
            "commission_bp": deal.commission_bp,
            "offer": first.id,
            **offer_terms(first),
        },
    )
    _tell(
        _others(deal, actor),
        lambda: _(
            "New offer on your listing %(title)s: deal %(number)s",
            title=listing.title,
            number=deal.number,
        ),
        deal,
    )
    return deal


def counter(deal: Deal, offer_data: OfferData, *, actor: User) -> Offer:
    """One side answers the other side's open offer with new terms (that offer becomes
    COUNTERED), or makes a new offer when none is open.

    :raises PermissionDenied: not the seller or the buyer.
    :raises Conflict: the actor's own offer is still open.
    :raises IllegalTransition: the deal is past negotiation.
    :raises ValidationFailed: every invalid term.
    """
    side = _side(deal, actor)
    _require_negotiating(deal)
    previous = open_offer(deal)
    if previous is not None and previous.by_org_id == side:
        raise Conflict(_("Your offer is still open: wait for the answer or withdraw it."))
    terms = validate_offer(deal.listing, offer_data)
    if previous is not None:
        previous.status = OfferStatus.COUNTERED
    offer = _add_offer(deal, terms, by_org_id=side, by_user_id=actor.id, counters=previous)
    audit.record(
        "deal.countered" if previous else "deal.offered",
        deal,
        actor=actor,
        after={
            "offer": offer.id,
            "counters": previous.id if previous else None,
            **offer_terms(offer),
        },
    )
    _tell(
        _others(deal, actor),
        lambda: _("New terms proposed in deal %(number)s", number=deal.number),
        deal,
    )
    return offer


def reject_offer(offer: Offer, *, actor: User, reason: str = "") -> Offer:
    """The other side declines the open offer; the deal stays open for a new offer.

    :raises PermissionDenied: not the other side. :raises IllegalTransition: not open.
    """
    deal = offer.deal
    side = _side(deal, actor)
    if side == offer.by_org_id:
        raise PermissionDenied(_("Withdraw your own offer instead."))
    _require_negotiating(deal)
    if offer.status is not OfferStatus.OPEN:
        raise IllegalTransition(_("This offer is no longer open."))
    offer.status = OfferStatus.REJECTED
    audit.record(
        "deal.offer_rejected",
        deal,
        actor=actor,
        after={"offer": offer.id, "reason": reason.strip()[:500]},
    )
    _tell(
        _others(deal, actor),
        lambda: _("Your offer in deal %(number)s was declined", number=deal.number),
        deal,
    )
    return offer


def withdraw_offer(offer: Offer, *, actor: User) -> Offer:
    """The side that made an open offer takes it back.

    :raises PermissionDenied: not the side that made it. :raises IllegalTransition: not open.
    """
    deal = offer.deal
    side = _side(deal, actor)
    if side != offer.by_org_id:
        raise PermissionDenied(_("Only the side that made the offer can withdraw it."))
    _require_negotiating(deal)
    if offer.status is not OfferStatus.OPEN:
        raise IllegalTransition(_("This offer is no longer open."))
    offer.status = OfferStatus.WITHDRAWN
    audit.record("deal.offer_withdrawn", deal, actor=actor, after={"offer": offer.id})
    _tell(
        _others(deal, actor),
        lambda: _("An offer in deal %(number)s was withdrawn", number=deal.number),
        deal,
    )
    return offer


def accept_offer(offer: Offer, *, actor: User) -> Deal:
    """The side that did not make the offer accepts it: the terms are agreed.

    Under row locks on the listing's rights, the listing is re-checked against every refusal
    rule (pledgee consent included) and, for an assignment or an exclusive or sole licence,
    against the one-deal-per-listing rule: this deal then holds the listing, the listing goes
    under negotiation and every other open deal on it is cancelled with the reason. Then the
    contract is generated and the deal is AGREED.

    :raises PermissionDenied: the actor made the offer or is not a party.
    :raises IllegalTransition: the offer is no longer open or the deal is past negotiation.
    :raises DealRefused: another deal holds the listing, the listing is no longer on offer, or
        this deal was cancelled meanwhile.
    :raises ListingRefused: the listing can no longer be offered (every reason).
    """
    deal = offer.deal
    side = _side(deal, actor)
    if side == offer.by_org_id:
        raise PermissionDenied(_("The other side accepts your offer, not you."))
    listing = deal.listing
    # Locks first, before anything is written: concurrent agreements on the same rights queue
    # here, and each sees what the one before it committed.
    listings.lock_rights(listing.rights)
    db.session.refresh(listing)
    db.session.refresh(deal)
    db.session.refresh(offer)
    _require_negotiating(deal)
    if offer.status is not OfferStatus.OPEN:
        raise IllegalTransition(_("This offer is no longer open."))
    _take_listing(deal, actor=actor)
    offer.status = OfferStatus.ACCEPTED
    return _agree(deal, offer, actor=actor)


def _take_listing(deal: Deal, *, actor: User) -> None:
    """Re-check the listing (rights already locked); an exclusive deal takes hold of it."""
    listing = deal.listing
    exclusive = deal.deal_type in EXCLUSIVE_DEAL_TYPES
    if exclusive:
        holder = db.session.scalar(
            sa.select(Deal.number).where(
                Deal.listing_id == listing.id, Deal.holds_listing, Deal.id != deal.id
            )
        )
        if holder is not None or listing.status is not ListingStatus.PUBLISHED:
            raise DealRefused(
                _("Another buyer's deal already holds this listing: it is no longer on offer.")
            )
    elif listing.status not in (ListingStatus.PUBLISHED, ListingStatus.UNDER_NEGOTIATION):
        raise DealRefused(_("This listing is no longer on offer."))
    reasons = listings.refusal_reasons(listing)
    if reasons:
        raise ListingRefused(
            _("The terms cannot be agreed as the listing stands."), fields={"rights": reasons}
        )
    if not exclusive:
        return
    try:
        # The partial unique index is the last word if the locks were ever bypassed.
        with db.session.begin_nested():
            deal.holds_listing = True
            db.session.flush()
    except IntegrityError:
        deal.holds_listing = False
        raise DealRefused(
            _("Another buyer's deal already holds this listing: it is no longer on offer.")
        ) from None
    listings.start_negotiation(listing, actor=actor)
    others = db.session.scalars(
        sa.select(Deal).where(
            Deal.listing_id == listing.id,
            Deal.id != deal.id,
            Deal.status.in_(OPEN_DEAL_STATUSES),
        )
    ).all()
    for other in others:
        reason = _(
            "Another buyer agreed terms for this listing first (deal %(number)s).",
            number=deal.number,
        )
        _cancel(other, actor=actor, reason=reason)


def _agree(deal: Deal, offer: Offer, *, actor: User) -> Deal:
    deal.price = offer.price
    deal.agreed_at = utcnow()
    contract = contracts.generate_contract(deal, offer, actor=actor)
    move_deal(
        deal,
        DealStatus.AGREED,
        actor=actor,
        offer=offer.id,
        price=offer.price,
        holds_listing=deal.holds_listing,
        contract=contract.id,
        contract_sha256=contract.sha256,
    )
    _tell(
        [deal.seller_org, deal.buyer_org, deal.broker_org],
        lambda: _(
            "Terms agreed in deal %(number)s: the contract is ready to sign", number=deal.number
        ),
        deal,
    )
    return deal


def take_open_licence(listing: Listing, buyer_org: Organisation, *, actor: User) -> Deal:
    """Accept an open licence at its published terms: the deal is AGREED at once with its
    contract (price = asking price, royalty = the listing's royalty, reported quarterly).

    :raises Conflict: not an open licence on offer, the seller itself, an unverified buyer, or
        the buyer already has a deal on this open licence.
    :raises ListingRefused: the right can no longer carry it (every reason).
    """
    _require_buyer(listing, buyer_org, actor)
    if listing.deal_type is not DealType.OPEN_LICENCE or listing.status is not (
        ListingStatus.PUBLISHED
    ):
        raise Conflict(_("This listing is not an open licence on offer."))
    taken = db.session.scalar(
        sa.select(Deal.id).where(
            Deal.listing_id == listing.id,
            Deal.buyer_org_id == buyer_org.id,
            Deal.status != DealStatus.CANCELLED,
        )
    )
    if taken is not None:
        raise Conflict(_("Your organisation already holds or is taking this open licence."))
    royalty = listing.royalty_rate
    terms = OfferData(
        price=listing.asking_price or 0,
        payment_structure=PaymentStructure.UPFRONT_AND_ROYALTY
        if royalty
        else PaymentStructure.LUMP_SUM,
        royalty_rate_bp=royalty or None,
        reporting_period=ReportingPeriod.QUARTER if royalty else None,
        territory=listing.territory,
        field_of_use=listing.field_of_use,
        starts_on=max(listing.licence_starts_on or today(), today()),
        ends_on=listing.licence_ends_on,
        note=(listing.open_terms or "").strip()[:MAX_NOTE],
    )
    terms = validate_offer(listing, terms)
    listings.lock_rights(listing.rights)
    deal = _new_deal(listing, buyer_org, actor=actor, demand=None)
    _take_listing(deal, actor=actor)
    published = _add_offer(
        deal,
        terms,
        by_org_id=listing.seller_org_id,
        by_user_id=listing.created_by_id,
        status=OfferStatus.ACCEPTED,
    )
    audit.record(
        "deal.open_licence_taken",
        deal,
        actor=actor,
        organisation=buyer_org,
        after={"number": deal.number, "listing": listing.id, **offer_terms(published)},
    )
    return _agree(deal, published, actor=actor)


# --- cancellation -------------------------------------------------------------------------------


def cancel_deal(deal: Deal, *, actor: User, reason: str) -> Deal:
    """A party (or the operator) cancels the deal before it completes, with a reason. A deal
    whose price is held in escrow is refunded first through :data:`ON_CANCEL_FUNDED`.

    :raises PermissionDenied: not a party or the operator. :raises ValidationFailed: no reason.
    :raises Conflict: funded and no refund path registered. :raises IllegalTransition: done.
    """
    if not actor.is_operator:
        _side(deal, actor)
    text = reason.strip()
    if not text:
        message = _("Give the reason for cancelling.")
        raise ValidationFailed(message, fields={"reason": [message]})
    if deal.status in (DealStatus.FUNDED, DealStatus.RECORDAL_FILED):
        if not ON_CANCEL_FUNDED:
            raise Conflict(_("The price is held in escrow: the deal is cancelled by a refund."))
        for hook in ON_CANCEL_FUNDED:
            hook(deal, actor=actor, reason=text)
    _cancel(deal, actor=actor, reason=text[:1000])
    return deal


def _cancel(deal: Deal, *, actor: User | None, reason: str) -> None:
    deal.cancelled_reason = reason
    if deal.holds_listing:
        deal.holds_listing = False
        if deal.listing.status is ListingStatus.UNDER_NEGOTIATION:
            listings.move_listing(deal.listing, ListingStatus.PUBLISHED, actor=actor)
    move_deal(deal, DealStatus.CANCELLED, actor=actor, reason=reason)
    _tell(
        [deal.seller_org, deal.buyer_org, deal.broker_org],
        lambda: _("Deal %(number)s is cancelled: %(reason)s", number=deal.number, reason=reason),
        deal,
    )


# --- messages and documents ---------------------------------------------------------------------


def _require_participant(deal: Deal, actor: User) -> None:
    if actor.organisation_id not in deal.party_ids():
        raise PermissionDenied(_("Only the parties and their broker can do this."))


def post_message(deal: Deal, *, actor: User, body: str) -> DealMessage:
    """:raises ValidationFailed: empty or too long. :raises PermissionDenied: not a party."""
    _require_participant(deal, actor)
    text = body.strip()
    if not text or len(text) > MAX_MESSAGE:
        message = _("Write a message of at most %(n)d characters.", n=MAX_MESSAGE)
        raise ValidationFailed(message, fields={"body": [message]})
    message_row = DealMessage(deal_id=deal.id, user_id=actor.id, body=text)
    db.session.add(message_row)
    db.session.flush()
    audit.record(
        "deal.message", deal, actor=actor, after={"message": message_row.id, "length": len(text)}
    )
    _tell(
        _others(deal, actor),
        lambda: _("New message in deal %(number)s", number=deal.number),
        deal,
    )
    return message_row


def documents_dir() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "deals"
    path.mkdir(parents=True, exist_ok=True)
    return path


def document_path(document: DealDocument) -> Path:
    return documents_dir() / document.stored_name


def add_document(deal: Deal, upload: evidence.Upload, *, actor: User) -> DealDocument:
    """Share a PDF, PNG or JPEG (judged by content, at most 10 MB) in the deal room; stored
    outside the web root under a random name with its SHA-256.

    :raises DocumentRejected: empty, too large or another format. :raises PermissionDenied.
    """
    _require_participant(deal, actor)
    try:
        data, content_type = evidence.read_checked(upload)
    except EvidenceRejected as exc:
        raise DocumentRejected(exc.message, fields={"document": [exc.message]}) from None
    stored_name = secrets.token_hex(24)
    target = documents_dir() / stored_name
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    document = DealDocument(
        deal_id=deal.id,
        uploaded_by_id=actor.id,
        original_name=os.path.basename(upload.filename or "")[:200] or "upload",
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        "deal.document_added",
        deal,
        actor=actor,
        after={
            "document": document.id,
            "name": document.original_name,
            "size": document.size,
            "sha256": document.sha256,
        },
    )
    _tell(
        _others(deal, actor),
        lambda: _(
            "New document in deal %(number)s: %(name)s",
            number=deal.number,
            name=document.original_name,
        ),
        deal,
    )
    return document


# --- signatures ---------------------------------------------------------------------------------


def sign_contract(
    contract: Contract, *, actor: User, password: str, ip_address: str | None
) -> Signature:
    """A party signs the contract after re-entering the password: the signature records the
    signer, time, address and the SHA-256 recomputed from the stored PDF. When both parties
    have signed, the deal is SIGNED.

    :raises PermissionDenied: not the seller or the buyer.
    :raises ValidationFailed: wrong password (nothing is written).
    :raises Conflict: already signed for this organisation, or not the deal's current contract.
    :raises ContractTampered: the stored PDF does not match its recorded SHA-256.
    :raises IllegalTransition: the deal is not awaiting signatures.
    """
    deal = contract.deal
    side = _side(deal, actor)
    if deal.status is not DealStatus.AGREED:
        raise IllegalTransition(_("This contract is not awaiting signatures."))
    if deal.contract is not contract:
        raise Conflict(_("This is not the deal's current contract."))
    if not check_password(actor, password):
        message = _("The password is not correct.")
        raise ValidationFailed(message, fields={"password": [message]})
    if any(s.organisation_id == side for s in contract.signatures):
        raise Conflict(_("Your organisation has already signed this contract."))
    digest = hashlib.sha256(contract.pdf).hexdigest()
    if digest != contract.sha256:
        raise ContractTampered(_("The stored contract does not match its fingerprint."))
    signature = Signature(
        contract_id=contract.id,
        organisation_id=side,
        user_id=actor.id,
        ip_address=ip_address[:45] if ip_address else None,
        sha256=digest,
        signed_at=utcnow(),
    )
    db.session.add(signature)
    db.session.flush()
    db.session.refresh(contract)
    audit.record(
        "contract.signed",
        contract,
        actor=actor,
        after={
            "deal": deal.id,
            "organisation": side,
            "ip": signature.ip_address,
            "sha256": digest,
        },
    )
    signed = {s.organisation_id for s in contract.signatures}
    if {deal.seller_org_id, deal.buyer_org_id} <= signed:
        move_deal(deal, DealStatus.SIGNED, actor=actor, contract_sha256=digest)
        _tell(
            [deal.seller_org, deal.buyer_org, deal.broker_org],
            lambda: _("Deal %(number)s is signed by both parties", number=deal.number),
            deal,
        )
    else:
        _tell(
            _others(deal, actor),
            lambda: _("The contract of deal %(number)s awaits your signature", number=deal.number),
            deal,
        )
    return signature


# --- reading ------------------------------------------------------------------------------------


def deals_for(user: User) -> list[Deal]:
    """The deals the user's organisation is a party or the broker of (all, for the operator)."""
    query = sa.select(Deal).order_by(Deal.created_at.desc(), Deal.id.desc())
    if not user.is_operator:
        org_id = user.organisation_id
        if org_id is None:
            return []
        query = query.where(
            sa.or_(
                Deal.seller_org_id == org_id,
                Deal.buyer_org_id == org_id,
                Deal.broker_org_id == org_id,
            )
        )
    return list(db.session.scalars(query.limit(500)))


def timeline(deal: Deal) -> list[audit.AuditEntry]:
    """The deal's audit trail: its own entries and its contracts'."""
    entries = audit.history("deals", deal.id)
    for contract in deal.contracts:
        entries += audit.history("contracts", contract.id)
    return sorted(entries, key=lambda e: e.id)
