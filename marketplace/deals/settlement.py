"""Where deals meet payments: the buyer pays a signed deal's price into escrow, the received
money funds the deal (and prepares its recordal), a cancellation after funding refunds what the
contract says, and collected royalties go to the licensor. Registered as payments hooks when
the app loads (see ``marketplace/models.py``)."""

from __future__ import annotations

from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.core.errors import Conflict, PermissionDenied
from marketplace.deals import recordals
from marketplace.deals import services as deals
from marketplace.deals.lifecycle import move_deal
from marketplace.deals.models import Deal, DealStatus, RoyaltyReport, RoyaltyReportStatus
from marketplace.extensions import db
from marketplace.listings import stats
from marketplace.listings.models import DealType
from marketplace.payments import services as payments
from marketplace.payments.models import Payment, PaymentPurpose, PaymentStatus
from marketplace.rights.services import local_date

#: Refunds stay in escrow this long only in theory: a loser's payment is refunded at once.
REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)


def start_deal_payment(deal: Deal, *, actor: User) -> tuple[Payment, str]:
    """The buyer opens (or resumes) the payment of a signed deal's price.

    :raises PermissionDenied: not the buyer. :raises Conflict: not signed, or nothing to pay.
    """
    if actor.organisation_id != deal.buyer_org_id:
        raise PermissionDenied(_("Only the buyer pays the price."))
    if deal.status is not DealStatus.SIGNED:
        raise Conflict(_("The price is paid once both parties have signed."))
    if not deal.price:
        raise Conflict(_("This deal has no price to pay."))
    return payments.start_payment(
        purpose=PaymentPurpose.DEAL_PRICE,
        payer=deal.buyer_org,
        amount=deal.price,
        currency=deal.currency,
        deal=deal,
        step="price",
    )


def fund_without_payment(deal: Deal, *, actor: User) -> None:
    """A royalty-only deal (no fixed price) is funded once signed: nothing to hold.

    :raises PermissionDenied: not a party. :raises Conflict: a price to pay first.
    """
    if actor.organisation_id not in (deal.seller_org_id, deal.buyer_org_id):
        raise PermissionDenied(_("Only the parties proceed to the recordal."))
    if deal.price:
        raise Conflict(_("This deal's price must be paid first."))
    move_deal(deal, DealStatus.FUNDED, actor=actor)
    recordals.prepare_recordals(deal, actor=actor)


def deal_payments(deal: Deal) -> list[Payment]:
    return list(
        db.session.scalars(
            db.select(Payment).where(Payment.deal_id == deal.id).order_by(Payment.id)
        )
    )


def _on_payment_succeeded(payment: Payment) -> None:
    """The price arrived: a signed deal is funded and its recordal prepared; money for a deal
    that can no longer be funded (cancelled meanwhile, another deal won) is refunded at once."""
    if payment.purpose is PaymentPurpose.ROYALTY and payment.royalty_report_id:
        _royalty_collected(payment)
        return
    if payment.purpose is not PaymentPurpose.DEAL_PRICE or payment.deal_id is None:
        return
    deal = db.session.get(Deal, payment.deal_id)
    if deal is None:
        return
    if deal.status is DealStatus.SIGNED and payment.amount == deal.price:
        move_deal(deal, DealStatus.FUNDED, actor=None, payment=payment.id)
        recordals.prepare_recordals(deal, actor=None)
        deals._tell(
            [deal.seller_org, deal.buyer_org],
            lambda: _("The price of deal %(number)s is held in escrow", number=deal.number),
            deal,
        )
    elif deal.status is DealStatus.CANCELLED:
        payments.refund(
            payment, payment.amount, reason="deal cancelled before funding", step="void"
        )


def _refund_on_cancel(deal: Deal, *, actor: User, reason: str) -> None:
    """Cancelled after funding: the contract's refund share goes back to the buyer; what the
    contract lets the seller keep is paid out to the seller."""
    offer = deal.agreed_offer
    share = offer.refund_on_cancel_bp if offer is not None else 10_000
    for payment in deal_payments(deal):
        if payment.purpose is not PaymentPurpose.DEAL_PRICE or payment.status not in REFUNDABLE:
            continue
        left = payment.amount - payment.refunded
        back = left * share // 10_000
        if back:
            payments.refund(payment, back, reason=reason[:300], step="cancel", actor=actor)
        kept = left - back
        if kept:
            payments.release_escrow(
                deal, splits=[(deal.seller_org, "seller", kept)], fee=0, actor=actor
            )


def start_royalty_payment(report: RoyaltyReport, *, actor: User) -> tuple[Payment, str]:
    deal = db.session.get(Deal, report.deal_id)
    assert deal is not None
    if actor.organisation_id != deal.buyer_org_id:
        raise PermissionDenied(_("Only the licensee pays royalties."))
    if report.status is not RoyaltyReportStatus.REPORTED or not report.royalty:
        raise Conflict(_("Report the period first; a zero royalty needs no payment."))
    return payments.start_payment(
        purpose=PaymentPurpose.ROYALTY,
        payer=deal.buyer_org,
        amount=report.royalty,
        currency=deal.currency,
        royalty_report=report,
        step="royalty",
    )


def _royalty_collected(payment: Payment) -> None:
    report = db.session.get(RoyaltyReport, payment.royalty_report_id)
    if report is None or report.status is RoyaltyReportStatus.PAID:
        return
    deal = db.session.get(Deal, report.deal_id)
    assert deal is not None
    fee, commission, rest = payments.fee_split(
        payment.amount, platform_fee_bp=deal.platform_fee_bp, commission_bp=deal.commission_bp
    )
    splits = [(deal.seller_org, "licensor", rest)]
    if commission and deal.broker_org is not None:
        splits.append((deal.broker_org, "broker", commission))
    else:
        splits[0] = (deal.seller_org, "licensor", rest + commission)
    payments.release_royalty(report, splits=splits, fee=fee, actor=None)
    report.status = RoyaltyReportStatus.PAID


def _completed_open_licences() -> list[stats.ClosedDeal]:
    """Completed licence deals whose listing stays open (non-exclusive, open licence): the
    price statistics count each of them; exclusive deals count through their closed listing."""
    deals_done = db.session.scalars(
        db.select(Deal).where(
            Deal.status == DealStatus.COMPLETED,
            Deal.deal_type.in_([DealType.NON_EXCLUSIVE, DealType.OPEN_LICENCE]),
            Deal.completed_at.is_not(None),
        )
    )
    rows = []
    for deal in deals_done:
        offer = deal.agreed_offer
        row = stats.closed_deal_row(
            deal.listing,
            price=deal.price,
            royalty_rate=offer.royalty_rate_bp if offer else None,
            closed_on=local_date(deal.completed_at),  # type: ignore[arg-type]
        )
        if row is not None:
            rows.append(row)
    return rows


payments.ON_PAYMENT_SUCCEEDED.append(_on_payment_succeeded)
stats.EXTRA_SOURCES.append(_completed_open_licences)
deals.ON_CANCEL_FUNDED.append(_refund_on_cancel)
