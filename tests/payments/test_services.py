"""Payments against the real local Stripe sandbox (localstripe): card payments, signed webhooks,
refunds, escrow release and payouts; the ledger sums to zero after every flow."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from marketplace.config import SANDBOX_WEBHOOK_SECRET
from marketplace.core.errors import IllegalTransition, PermissionDenied
from marketplace.extensions import db as _db
from marketplace.payments import gateway, ledger, services
from marketplace.payments.errors import EscrowProblem, PaymentConflict, RefundTooLarge
from marketplace.payments.models import (
    JournalEntry,
    Payment,
    PaymentPurpose,
    PaymentStatus,
    PayoutMethod,
    PayoutStatus,
    Refund,
    WebhookEvent,
)
from tests.factories import make_user
from tests.payments.helpers import connect, finance_user, make_deal, pay_with_card, signed

WEBHOOK = "/payments/stripe/webhook"


def _open(deal, step="price-1"):
    return services.start_payment(
        purpose=PaymentPurpose.DEAL_PRICE,
        payer=deal.buyer_org,
        amount=deal.price,
        currency=deal.currency,
        deal=deal,
        step=step,
    )


def _deliver(client, delivery_or_body, headers=None):
    body = getattr(delivery_or_body, "body", delivery_or_body)
    if headers is None:
        headers = {
            "Stripe-Signature": delivery_or_body.headers["Stripe-Signature"],
            "Content-Type": "application/json",
        }
    return client.post(WEBHOOK, data=body, headers=headers)


def _paid(deal, stripe_sandbox, webhook_inbox, client):
    """A deal's price paid by card, with localstripe's own signed webhook delivered."""
    payment, _secret = _open(deal)
    pay_with_card(stripe_sandbox.url, payment.provider_ref)
    delivery = webhook_inbox.wait_for("payment_intent.succeeded", payment.provider_ref)
    response = _deliver(client, delivery)
    assert response.status_code == 200, response.get_data(as_text=True)
    _db.session.refresh(payment)
    return payment, delivery


def _entries() -> int:
    return _db.session.scalar(sa.select(sa.func.count(JournalEntry.id)))


# --- the real webhook, delivered over HTTP --------------------------------------------------------


def test_card_payment_lands_in_escrow_through_the_real_webhook(
    payments_live_server, stripe_sandbox
):
    deal = make_deal(price=1_234_500)
    funded: list[int] = []
    services.ON_PAYMENT_SUCCEEDED.append(lambda payment: funded.append(payment.id))
    try:
        payment, secret = _open(deal)
        _db.session.commit()
        assert secret.startswith(f"{payment.provider_ref}_secret_")
        intent = pay_with_card(stripe_sandbox.url, payment.provider_ref)
        assert intent["status"] == "succeeded"

        payment_id = payment.id
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status = _db.session.get(Payment, payment_id, populate_existing=True).status
            # End the read transaction: on SQLite it would block the live server's commit.
            _db.session.rollback()
            if status is PaymentStatus.SUCCEEDED:
                break
            time.sleep(0.1)
        payment = _db.session.get(Payment, payment_id)
        assert payment.status is PaymentStatus.SUCCEEDED
        assert funded == [payment_id]
        assert ledger.balance_of(f"escrow:deal:{deal.id}") == 1_234_500
        assert ledger.balance_of("stripe_clearing") == 1_234_500
        assert ledger.trial_balance().ok
        event = _db.session.scalar(sa.select(WebhookEvent))
        assert (event.type, event.outcome) == ("payment_intent.succeeded", "applied")
    finally:
        services.ON_PAYMENT_SUCCEEDED.pop()


# --- webhooks replayed from localstripe's own deliveries ------------------------------------------


def test_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    deal = make_deal()
    payment, _secret = _open(deal)
    pay_with_card(stripe_sandbox.url, payment.provider_ref)
    delivery = webhook_inbox.wait_for("payment_intent.succeeded", payment.provider_ref)

    forged = signed(delivery.body, "whsec_not_the_secret")
    assert _deliver(client, delivery.body, forged).status_code == 400
    tampered = delivery.body.replace(b'"amount": ', b'"amount": 1', 1)
    assert (
        _deliver(
            client,
            tampered,
            {**forged, **{"Stripe-Signature": delivery.headers["Stripe-Signature"]}},
        ).status_code
        == 400
    )
    stale = signed(delivery.body, SANDBOX_WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    assert _deliver(client, delivery.body, stale).status_code == 400
    assert client.post(WEBHOOK, data=delivery.body).status_code == 400  # no signature at all

    _db.session.refresh(payment)
    assert payment.status is PaymentStatus.CREATED
    assert _db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 0
    assert _entries() == 0


def test_replayed_event_is_ignored(db, client, stripe_app, stripe_sandbox, webhook_inbox):
    deal = make_deal(price=500_000)
    payment, delivery = _paid(deal, stripe_sandbox, webhook_inbox, client)
    assert payment.status is PaymentStatus.SUCCEEDED

    again = _deliver(client, delivery)
    assert again.status_code == 200
    assert again.get_json()["outcome"] == "ignored: already processed"
    assert _entries() == 1
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 500_000


def test_failed_event_after_succeeded_does_not_undo_it(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    deal = make_deal()
    payment, delivery = _paid(deal, stripe_sandbox, webhook_inbox, client)
    # The same intent's payment_failed, arriving late (another event id, validly signed).
    event = delivery.event
    event.update(id=event["id"] + "late", type="payment_intent.payment_failed")
    body = json.dumps(event).encode()
    response = _deliver(client, body, signed(body, SANDBOX_WEBHOOK_SECRET))
    assert response.get_json()["outcome"] == "ignored: payment is succeeded"
    _db.session.refresh(payment)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == deal.price

    # And a second succeeded (another id) for a payment already received adds nothing.
    event.update(id=event["id"] + "twice", type="payment_intent.succeeded")
    body = json.dumps(event).encode()
    response = _deliver(client, body, signed(body, SANDBOX_WEBHOOK_SECRET))
    assert response.get_json()["outcome"] == "ignored: already succeeded"
    assert _entries() == 1


def test_declined_card_marks_the_payment_failed(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    deal = make_deal()
    payment, _secret = _open(deal)
    pay_with_card(stripe_sandbox.url, payment.provider_ref, "pm_card_chargeCustomerFail")
    delivery = webhook_inbox.wait_for("payment_intent.payment_failed", payment.provider_ref)
    assert _deliver(client, delivery).get_json()["outcome"] == "applied"
    _db.session.refresh(payment)
    assert payment.status is PaymentStatus.FAILED
    assert _entries() == 0


@pytest.mark.parametrize(
    ("field", "value"), [("amount", 1), ("currency", "usd"), ("amount_received", 1)]
)
def test_event_whose_amount_or_currency_differs_is_rejected(
    db, client, stripe_app, stripe_sandbox, webhook_inbox, field, value
):
    deal = make_deal()
    payment, _secret = _open(deal)
    pay_with_card(stripe_sandbox.url, payment.provider_ref)
    event = webhook_inbox.wait_for("payment_intent.succeeded", payment.provider_ref).event
    event["data"]["object"][field] = value
    body = json.dumps(event).encode()
    outcome = _deliver(client, body, signed(body, SANDBOX_WEBHOOK_SECRET)).get_json()["outcome"]
    assert outcome.startswith("rejected: amount")
    _db.session.refresh(payment)
    assert payment.status is PaymentStatus.CREATED
    assert _entries() == 0
    recorded = _db.session.scalar(sa.select(WebhookEvent))
    assert recorded.outcome == outcome


def test_event_for_an_unknown_intent_is_ignored(db, client, stripe_app):
    event = {
        "id": "evt_unknown",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_nobody", "amount": 100, "currency": "cny"}},
    }
    body = json.dumps(event).encode()
    response = _deliver(client, body, signed(body, SANDBOX_WEBHOOK_SECRET))
    assert response.get_json()["outcome"] == "ignored: unknown payment intent"


# --- idempotent creates at the stripe client's HTTP boundary -------------------------------------


def test_opening_the_same_payment_twice_creates_one_intent_with_its_idempotency_key(
    db, stripe_http
):
    deal = make_deal()
    first, secret = _open(deal)
    again, secret_again = _open(deal)
    assert again.id == first.id and secret_again == secret
    creates = stripe_http.sent("POST", "/v1/payment_intents")
    assert len(creates) == 1
    assert creates[0].headers["Idempotency-Key"] == f"deal-{deal.id}-price-1"
    assert creates[0].form["amount"] == [str(deal.price)]
    assert creates[0].form["currency"] == ["cny"]
    assert _db.session.scalar(sa.select(sa.func.count(Payment.id))) == 1

    with pytest.raises(PaymentConflict):
        services.start_payment(
            purpose=PaymentPurpose.DEAL_PRICE,
            payer=deal.buyer_org,
            amount=deal.price + 1,
            deal=deal,
            step="price-1",
        )


def test_provider_error_writes_nothing(db, app):
    deal = make_deal()
    with pytest.raises(gateway.PaymentProviderError):  # nothing listens on the test config's base
        _open(deal)
    assert _db.session.scalar(sa.select(sa.func.count(Payment.id))) == 0


# --- refunds --------------------------------------------------------------------------------------


def test_partial_then_full_refund_keeps_the_ledger_balanced(
    db, client, empty_stripe, stripe_http, stripe_sandbox, webhook_inbox
):
    deal = make_deal(price=800_000)
    payment, _delivery = _paid(deal, stripe_sandbox, webhook_inbox, client)
    escrow = f"escrow:deal:{deal.id}"

    part = services.refund(payment, 300_000, reason="contract clause 9", step="cancel-1")
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert ledger.balance_of(escrow) == 500_000
    assert ledger.balance_of("stripe_clearing") == 500_000
    assert ledger.trial_balance().ok
    assert part.provider_ref.startswith("re_")

    # The same step again: the same refund, no second call to Stripe.
    assert services.refund(payment, 300_000, reason="again", step="cancel-1").id == part.id
    posts = stripe_http.sent("POST", "/v1/refunds")
    assert len(posts) == 1
    assert posts[0].headers["Idempotency-Key"] == f"payment-{payment.id}-refund-cancel-1"

    with pytest.raises(RefundTooLarge):
        services.refund(payment, 500_001, reason="too much", step="cancel-2")
    assert ledger.balance_of(escrow) == 500_000

    services.refund(payment, 500_000, reason="rest", step="cancel-2")
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded == 800_000
    assert ledger.balance_of(escrow) == 0
    assert ledger.trial_balance().ok
    stripe_refunds = gateway.list_refunds(payment.provider_ref)
    assert sorted(r.amount for r in stripe_refunds) == [300_000, 500_000]
    assert services.reconcile() == []


def test_refund_refused_beyond_what_is_left_in_escrow(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    deal = make_deal(price=100_000, platform_fee_bp=0)
    payment, _delivery = _paid(deal, stripe_sandbox, webhook_inbox, client)
    services.release_escrow(deal, splits=[(deal.seller_org, "seller", 100_000)], fee=0, actor=None)
    with pytest.raises(RefundTooLarge):
        services.refund(payment, 1, reason="after payout", step="late")
    assert _db.session.scalar(sa.select(sa.func.count(Refund.id))) == 0
    assert payment.status is PaymentStatus.SUCCEEDED


def test_refund_of_a_payment_never_received_is_refused(db, stripe_app):
    payment, _secret = _open(make_deal())
    with pytest.raises(IllegalTransition):
        services.refund(payment, 100, reason="nothing", step="x")


# --- release and payouts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "fee_bp", "commission_bp", "expected"),
    [
        (1_000_000, 300, 500, (30_000, 50_000, 920_000)),
        (999_999, 300, 500, (29_999, 49_999, 920_001)),
        (1, 300, 500, (0, 0, 1)),
        (0, 300, 0, (0, 0, 0)),
        (123_457, 2000, 3000, (24_691, 37_037, 61_729)),
    ],
)
def test_fee_split_floors_fee_and_commission_and_sums_to_the_price(
    price, fee_bp, commission_bp, expected
):
    split = services.fee_split(price, platform_fee_bp=fee_bp, commission_bp=commission_bp)
    assert split == expected
    assert sum(split) == price


def test_release_splits_fee_commission_and_seller_into_bank_payouts(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    deal = make_deal(price=1_000_000, broker=True, commission_bp=500, platform_fee_bp=300)
    _paid(deal, stripe_sandbox, webhook_inbox, client)
    fee, commission, seller = services.fee_split(
        deal.price, platform_fee_bp=deal.platform_fee_bp, commission_bp=deal.commission_bp
    )
    with pytest.raises(EscrowProblem):
        services.release_escrow(
            deal, splits=[(deal.seller_org, "seller", seller)], fee=fee, actor=None
        )
    payouts = services.release_escrow(
        deal,
        splits=[(deal.seller_org, "seller", seller), (deal.broker_org, "broker", commission)],
        fee=fee,
        actor=None,
    )
    assert [(p.role, p.amount, p.method, p.status) for p in payouts] == [
        ("seller", 920_000, PayoutMethod.BANK_TRANSFER, PayoutStatus.PENDING),
        ("broker", 50_000, PayoutMethod.BANK_TRANSFER, PayoutStatus.PENDING),
    ]
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 0
    assert ledger.balance_of("platform_revenue") == 30_000
    assert ledger.balance_of(f"seller_payable:org:{deal.seller_org_id}") == 920_000
    assert ledger.balance_of(f"broker_payable:org:{deal.broker_org_id}") == 50_000
    assert ledger.trial_balance().ok
    with pytest.raises(EscrowProblem):  # nothing left to release
        services.release_escrow(deal, splits=[], fee=0, actor=None)

    outsider = make_user(deal.seller_org)
    with pytest.raises(PermissionDenied):
        services.confirm_payout(payouts[0], bank_reference="CMB-1", actor=outsider)
    finance = finance_user()
    services.confirm_payout(payouts[0], bank_reference="CMB20260101-77", actor=finance)
    assert payouts[0].status is PayoutStatus.PAID
    assert payouts[0].bank_reference == "CMB20260101-77"
    assert payouts[0].confirmed_by_id == finance.id
    assert ledger.balance_of(f"seller_payable:org:{deal.seller_org_id}") == 0
    assert ledger.balance_of("stripe_clearing") == 1_000_000 - 920_000
    with pytest.raises(IllegalTransition):
        services.confirm_payout(payouts[0], bank_reference="again", actor=finance)
    assert ledger.trial_balance().ok


def test_connected_seller_is_paid_by_a_connect_transfer(
    db, client, stripe_http, stripe_sandbox, webhook_inbox
):
    deal = make_deal(price=200_000, platform_fee_bp=300)
    connect(deal.seller_org, "acct_1SellerTest")
    _paid(deal, stripe_sandbox, webhook_inbox, client)
    stripe_http.canned[("POST", "/v1/transfers")] = (
        200,
        {
            "id": "tr_1TestTransfer",
            "object": "transfer",
            "amount": 194_000,
            "currency": "cny",
            "destination": "acct_1SellerTest",
        },
    )
    fee, _commission, seller = services.fee_split(200_000, platform_fee_bp=300, commission_bp=0)
    [payout] = services.release_escrow(
        deal, splits=[(deal.seller_org, "seller", seller)], fee=fee, actor=None
    )
    assert (payout.method, payout.status) == (PayoutMethod.STRIPE_TRANSFER, PayoutStatus.PAID)
    assert payout.provider_ref == "tr_1TestTransfer"
    [sent] = stripe_http.sent("POST", "/v1/transfers")
    assert sent.headers["Idempotency-Key"] == payout.idempotency_key
    assert sent.form["amount"] == ["194000"]
    assert sent.form["destination"] == ["acct_1SellerTest"]
    assert sent.form["currency"] == ["cny"]
    assert ledger.balance_of(f"seller_payable:org:{deal.seller_org_id}") == 0
    assert ledger.balance_of("stripe_clearing") == fee
    assert ledger.trial_balance().ok


def test_refused_transfer_writes_nothing(db, client, stripe_http, stripe_sandbox, webhook_inbox):
    deal = make_deal(price=200_000, platform_fee_bp=0)
    connect(deal.seller_org)
    _paid(deal, stripe_sandbox, webhook_inbox, client)
    stripe_http.canned[("POST", "/v1/transfers")] = (
        400,
        {"error": {"type": "invalid_request_error", "message": "Insufficient funds"}},
    )
    entries = _entries()
    with pytest.raises(gateway.PaymentProviderError):
        services.release_escrow(
            deal, splits=[(deal.seller_org, "seller", 200_000)], fee=0, actor=None
        )
    assert _entries() == entries
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 200_000


# --- reconciliation -------------------------------------------------------------------------------


def test_reconciliation_finds_a_planted_difference(
    db, client, empty_stripe, stripe_app, stripe_sandbox, webhook_inbox
):
    deal = make_deal(price=400_000)
    payment, _delivery = _paid(deal, stripe_sandbox, webhook_inbox, client)
    unpaid, _secret = _open(make_deal(price=10_000))
    assert services.reconcile() == []

    _db.session.execute(sa.update(Payment).where(Payment.id == payment.id).values(amount=400_001))
    _db.session.expire_all()
    differences = {(d.subject, d.field) for d in services.reconcile()}
    subject = f"payment {payment.id} ({payment.provider_ref})"
    assert (subject, "amount") in differences
    assert (subject, "ledger") in differences

    _db.session.execute(sa.update(Payment).where(Payment.id == payment.id).values(amount=400_000))
    _db.session.execute(
        sa.update(Payment).where(Payment.id == unpaid.id).values(status=PaymentStatus.SUCCEEDED)
    )
    _db.session.execute(sa.update(Payment).where(Payment.id == payment.id).values(refunded=1))
    _db.session.expire_all()
    differences = {(d.subject, d.field) for d in services.reconcile()}
    assert (f"payment {unpaid.id} ({unpaid.provider_ref})", "status") in differences
    assert (subject, "refunded") in differences
    assert (subject, "refund rows") in differences
