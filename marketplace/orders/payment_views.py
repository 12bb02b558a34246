"""Paying a service order's fee: the orderer's card page (the deals' Stripe.js card page, card
data goes from the browser to Stripe only) and what the order page shows of the payment."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core import policy
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.forms import show_error
from marketplace.core.security import allow_stripe_js
from marketplace.extensions import db
from marketplace.orders import payments
from marketplace.orders.models import ServiceOrder
from marketplace.orders.policy import is_orderer, is_provider

bp = Blueprint("order_payments", __name__)


@bp.app_template_global()
def order_fee(order: ServiceOrder) -> dict[str, Any]:
    """What the order page shows of the fee's payment and payout (to the two parties only)."""
    party = is_orderer(current_user, order) or is_provider(current_user, order)
    return {
        "shown": party and order.accepted_quote is not None,
        "payment": payments.fee_payment(order) if party else None,
        "payouts": payments.order_payouts(order) if party else [],
        "can_pay": payments.can_pay(current_user, order),
    }


@bp.get("/orders/<int:order_id>/pay")
@login_required
def pay(order_id: int) -> Any:
    order: ServiceOrder = policy.get_visible_or_404(current_user, ServiceOrder, order_id)
    if not is_orderer(current_user, order):
        raise PermissionDenied(_("Only the client pays the fee."))
    back = f"/orders/{order.id}"
    try:
        payment, secret = payments.start_order_payment(order, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        show_error(None, exc)
        return redirect(back)
    db.session.commit()
    return render_template(
        "deals/pay.html",
        deal=None,
        back_url=back,
        back_label=_("Order #%(id)d", id=order.id),
        held_note=_("the platform’s escrow, held until you accept the delivery"),
        payment=payment,
        title=_("Pay the fee of order #%(id)d", id=order.id),
        client_secret=secret,
        stripe_js=allow_stripe_js(),
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
        confirm_url=f"/payments/{payment.id}/card",
        done_url=back,
    )
