"""Where service orders meet payments: the orderer pays the accepted quote's fee into the
order's escrow (``escrow:order:<id>``), the provider is told the money is held, and when the
orderer accepts the delivery the fee goes to the provider less the platform fee. A fee that
arrives for a cancelled order, or is held when the order is cancelled, is refunded in full.

Registered as payments and orders hooks when this module is imported (the order payment pages
import it when the app registers its blueprints).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.core import audit, policy
from marketplace.core.errors import Conflict, PermissionDenied
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus, ServiceOrder
from marketplace.orders.policy import is_orderer
from marketplace.payments import ledger
from marketplace.payments import services as payments
from marketplace.payments.models import Payment, PaymentPurpose, PaymentStatus, Payout

#: The platform's share of a service fee when the config sets no ``ORDER_PLATFORM_FEE_BP``.
DEFAULT_PLATFORM_FEE_BP = 300
#: The order's steps in which the accepted fee can be paid (after completion too: an orderer
#: who accepted the delivery before paying still owes the fee, released as soon as it arrives).
PAYABLE = frozenset(
    {
        OrderStatus.ACCEPTED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.DELIVERED,
        OrderStatus.DISPUTED,
        OrderStatus.COMPLETED,
    }
)
STEP = "fee"


def platform_fee_bp() -> int:
    return int(current_app.config.get("ORDER_PLATFORM_FEE_BP", DEFAULT_PLATFORM_FEE_BP))


def fee_payment(order: ServiceOrder) -> Payment | None:
    """The payment of the order's accepted fee, if the orderer has opened it."""
    key = payments.payment_key(step=STEP, order=order)
    return db.session.scalar(sa.select(Payment).where(Payment.idempotency_key == key))


def order_payouts(order: ServiceOrder) -> list[Payout]:
    # Payouts name their deal only; an order's are found by their idempotency key.
    return list(
        db.session.scalars(
            sa.select(Payout)
            .where(Payout.deal_id.is_(None), Payout.idempotency_key.like(f"order-{order.id}-%"))
            .order_by(Payout.id)
        )
    )


def is_paid(order: ServiceOrder) -> bool:
    payment = fee_payment(order)
    return payment is not None and payment.status in payments.RECEIVED


def can_pay(user: User, order: ServiceOrder) -> bool:
    return (
        is_orderer(user, order)
        and order.accepted_quote is not None
        and order.status in PAYABLE
        and not is_paid(order)
    )


@policy.action(ServiceOrder, "pay")
def _pay(user: User, order: ServiceOrder) -> bool:
    return can_pay(user, order)


def start_order_payment(order: ServiceOrder, *, actor: User) -> tuple[Payment, str]:
    """The orderer opens (or resumes) the payment of the accepted quote's fee.

    :raises PermissionDenied: not a member of the ordering organisation.
    :raises Conflict: no quote accepted yet, the order is cancelled, or the fee is paid.
    :raises PaymentProviderError: Stripe refused or could not be reached (nothing written).
    """
    if actor.organisation_id != order.orderer_org_id:
        raise PermissionDenied(_("Only the client pays the fee."))
    quote = order.accepted_quote
    if quote is None or order.status not in PAYABLE:
        raise Conflict(_("The fee is paid once a quote is accepted."))
    if is_paid(order):
        raise Conflict(_("The fee of this order has been paid."))
    return payments.start_payment(
        purpose=PaymentPurpose.SERVICE_FEE,
        payer=order.orderer_org,
        amount=quote.fee,
        currency=quote.currency,
        order=order,
        step=STEP,
    )


def release_fee(order: ServiceOrder, *, actor: User | None) -> list[Payout]:
    """Pay what the order's escrow holds to the provider, less the platform fee; nothing when
    the escrow is empty (not paid yet, or already released)."""
    payment = fee_payment(order)
    if payment is None or order.provider_org is None:
        return []
    escrow = ledger.escrow_code("order", order.id)
    held = ledger.balance_of(escrow, payment.currency)
    if held <= 0:
        return []
    fee, _commission, rest = payments.fee_split(
        held, platform_fee_bp=platform_fee_bp(), commission_bp=0
    )
    payouts = payments.release_funds(
        escrow,
        splits=[(order.provider_org, "provider", rest)],
        fee=fee,
        actor=actor,
        deal_id=None,
        currency=payment.currency,
        key_prefix=f"order-{order.id}",
    )
    audit.record(
        "order.fee_released",
        order,
        actor=actor,
        after={"payment": payment.id, "fee": fee, "provider": rest},
    )
    orders.tell(
        order.provider_org,
        lambda: _("The fee of order #%(id)d is released to you.", id=order.id),
        f"/orders/{order.id}",
    )
    return payouts


def _refund_all(order: ServiceOrder, *, actor: User | None, reason: str, step: str) -> None:
    payment = fee_payment(order)
    if payment is None or payment.status not in (
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PARTIALLY_REFUNDED,
    ):
        return
    left = payment.amount - payment.refunded
    if left:
        payments.refund(payment, left, reason=reason, step=step, actor=actor)


def _on_payment_succeeded(payment: Payment) -> None:
    """The fee arrived in escrow: record it and tell the provider; a fee for a cancelled order
    goes back at once, one for an order already accepted goes to the provider at once."""
    if payment.purpose is not PaymentPurpose.SERVICE_FEE or payment.order_id is None:
        return
    order = db.session.get(ServiceOrder, payment.order_id)
    if order is None:
        return
    audit.record(
        "order.fee_paid",
        order,
        actor=None,
        organisation=order.orderer_org,
        after={"payment": payment.id, "amount": payment.amount, "currency": payment.currency},
    )
    if order.status is OrderStatus.CANCELLED:
        _refund_all(order, actor=None, reason="order cancelled before payment", step="void")
        return
    orders.tell(
        order.provider_org,
        lambda: _("The fee of order #%(id)d is held in escrow.", id=order.id),
        f"/orders/{order.id}",
    )
    if order.status is OrderStatus.COMPLETED:
        release_fee(order, actor=None)


def _on_order_moved(order: ServiceOrder, before: OrderStatus, actor: User) -> None:
    if order.status is OrderStatus.COMPLETED:
        release_fee(order, actor=actor)
    elif order.status is OrderStatus.CANCELLED:
        _refund_all(order, actor=actor, reason="order cancelled", step="cancel")


payments.ON_PAYMENT_SUCCEEDED.append(_on_payment_succeeded)
orders.ON_MOVED.append(_on_order_moved)
