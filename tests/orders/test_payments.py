"""A service order's fee through the payments module and the local Stripe sandbox: the orderer
pays the accepted quote into the order's escrow, accepting the delivery pays the provider less
the platform fee, cancelling refunds, and only the orderer can pay."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import OrgKind
from marketplace.core.audit import history
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, PermissionDenied
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification
from marketplace.orders import payments as order_payments
from marketplace.orders import services
from marketplace.orders.models import OrderStatus, ServiceKind, ValuationPurpose
from marketplace.payments import ledger
from marketplace.payments.models import PaymentStatus, PayoutMethod, PayoutStatus
from tests.factories import make_org, make_right, make_user
from tests.payments.helpers import pay_with_card
from tests.stripe_sandbox import *  # noqa: F403  (the Stripe sandbox fixtures)

WEBHOOK = "/payments/stripe/webhook"
FEE = 800_000  # ¥8,000.00


@pytest.fixture
def parties(db):
    holder = make_org(OrgKind.ENTERPRISE)
    appraiser = make_org(OrgKind.APPRAISER)
    stranger = make_org(OrgKind.ENTERPRISE)
    return {
        "holder": holder,
        "holder_user": make_user(holder),
        "appraiser": appraiser,
        "appraiser_user": make_user(appraiser),
        "stranger_user": make_user(stranger),
    }


def accepted_order(p, fee=FEE):
    order = services.create_order(
        p["holder"],
        services.OrderRequest(
            kind=ServiceKind.VALUATION,
            right_ids=[make_right(p["holder"]).id],
            purpose=ValuationPurpose.LICENCE_PRICING,
        ),
        actor=p["holder_user"],
    )
    quote = services.submit_quote(
        order,
        p["appraiser"],
        actor=p["appraiser_user"],
        fee=fee,
        delivery_date=today() + timedelta(days=10),
    )
    services.accept_quote(quote, actor=p["holder_user"])
    return order


def delivered(order, p):
    services.start_work(order, actor=p["appraiser_user"])
    services.deliver(order, actor=p["appraiser_user"])


def pay(order, p, client, stripe_sandbox, webhook_inbox):
    payment, _secret = order_payments.start_order_payment(order, actor=p["holder_user"])
    assert pay_with_card(stripe_sandbox.url, payment.provider_ref)["status"] == "succeeded"
    delivery = webhook_inbox.wait_for("payment_intent.succeeded", payment.provider_ref)
    response = client.post(
        WEBHOOK,
        data=delivery.body,
        headers={
            "Stripe-Signature": delivery.headers["Stripe-Signature"],
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    _db.session.refresh(payment)
    return payment


def test_fee_paid_into_escrow_then_released_to_the_provider_less_the_platform_fee(
    parties, client, stripe_app, stripe_sandbox, webhook_inbox
):
    order = accepted_order(parties)
    payment = pay(order, parties, client, stripe_sandbox, webhook_inbox)
    assert payment.status is PaymentStatus.SUCCEEDED and payment.amount == FEE
    assert payment.order_id == order.id and payment.deal_id is None
    escrow = f"escrow:order:{order.id}"
    assert ledger.balance_of(escrow) == FEE
    assert history("service_orders", order.id)[-1].action == "order.fee_paid"
    told = _db.session.scalars(
        sa.select(Notification.title).where(Notification.user_id == parties["appraiser_user"].id)
    ).all()
    with force_locale("zh"):
        expected = _("The fee of order #%(id)d is held in escrow.", id=order.id)
    assert expected in told
    assert not order_payments.order_payouts(order)  # held until the delivery is accepted

    delivered(order, parties)
    assert ledger.balance_of(escrow) == FEE
    services.accept_delivery(order, actor=parties["holder_user"])
    assert order.status is OrderStatus.COMPLETED

    [payout] = order_payments.order_payouts(order)
    platform_fee = FEE * order_payments.DEFAULT_PLATFORM_FEE_BP // 10_000
    assert payout.role == "provider" and payout.payee_org_id == parties["appraiser"].id
    assert payout.amount == FEE - platform_fee == 776_000
    assert payout.method is PayoutMethod.BANK_TRANSFER and payout.status is PayoutStatus.PENDING
    assert ledger.balance_of(escrow) == 0
    assert ledger.balance_of("platform_revenue") == platform_fee
    assert ledger.balance_of(f"provider_payable:org:{parties['appraiser'].id}") == payout.amount
    assert ledger.trial_balance().ok
    # Accepting once more moves nothing: the escrow is empty.
    assert order_payments.release_fee(order, actor=parties["holder_user"]) == []
    assert len(order_payments.order_payouts(order)) == 1


def test_a_fee_paid_after_the_delivery_was_accepted_is_released_at_once(
    parties, client, stripe_app, stripe_sandbox, webhook_inbox
):
    order = accepted_order(parties)
    delivered(order, parties)
    services.accept_delivery(order, actor=parties["holder_user"])
    assert order_payments.order_payouts(order) == []
    pay(order, parties, client, stripe_sandbox, webhook_inbox)
    [payout] = order_payments.order_payouts(order)
    assert payout.amount == 776_000
    assert ledger.balance_of(f"escrow:order:{order.id}") == 0
    assert ledger.trial_balance().ok


def test_cancelling_a_paid_order_refunds_the_fee(
    parties, client, stripe_app, stripe_sandbox, webhook_inbox
):
    order = accepted_order(parties)
    payment = pay(order, parties, client, stripe_sandbox, webhook_inbox)
    services.cancel_order(order, actor=parties["holder_user"])
    _db.session.refresh(payment)
    assert payment.status is PaymentStatus.REFUNDED and payment.refunded == FEE
    assert ledger.balance_of(f"escrow:order:{order.id}") == 0
    assert order_payments.order_payouts(order) == []
    assert ledger.trial_balance().ok


def test_only_the_orderer_pays_and_only_after_a_quote_is_accepted(parties, stripe_app):
    order = accepted_order(parties)
    with pytest.raises(PermissionDenied):
        order_payments.start_order_payment(order, actor=parties["appraiser_user"])
    assert not order_payments.can_pay(parties["appraiser_user"], order)
    assert order_payments.can_pay(parties["holder_user"], order)
    unquoted = services.create_order(
        parties["holder"],
        services.OrderRequest(
            kind=ServiceKind.VALUATION,
            right_ids=[make_right(parties["holder"]).id],
            purpose=ValuationPurpose.PLEDGE,
        ),
        actor=parties["holder_user"],
    )
    with pytest.raises(Conflict):
        order_payments.start_order_payment(unquoted, actor=parties["holder_user"])
    assert order_payments.fee_payment(unquoted) is None


def test_pay_page_for_the_orderer_and_refused_to_everyone_else(
    parties, client, login_as, stripe_app
):
    order = accepted_order(parties)
    _db.session.commit()
    login_as(parties["appraiser_user"])
    assert client.get(f"/orders/{order.id}/pay").status_code == 403
    client.post("/logout")
    login_as(parties["stranger_user"])
    assert client.get(f"/orders/{order.id}/pay").status_code == 404
    client.post("/logout")

    login_as(parties["holder_user"])
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="order-fee"' in page and 'data-status="unpaid"' in page
    assert f"/orders/{order.id}/pay" in page
    response = client.get(f"/orders/{order.id}/pay")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    payment = order_payments.fee_payment(order)
    assert payment is not None and payment.amount == FEE
    assert 'data-testid="card-form"' in html and f"/payments/{payment.id}/card" in html
    assert f'href="/orders/{order.id}"' in html
    # Reopening the page resumes the same payment.
    client.get(f"/orders/{order.id}/pay")
    assert order_payments.fee_payment(order).id == payment.id
