"""Money under real concurrency (PostgreSQL, one connection per thread): two deliveries of the
same event, or two different events for the same payment, credit escrow once."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from marketplace.config import SANDBOX_WEBHOOK_SECRET
from marketplace.extensions import db as _db
from marketplace.payments import ledger, services
from marketplace.payments.models import JournalEntry, Payment, PaymentPurpose, PaymentStatus
from tests.conftest import is_postgres
from tests.payments.helpers import make_deal, pay_with_card, signed

pytestmark = pytest.mark.skipif(
    not is_postgres(), reason="concurrent connections are proven on PostgreSQL"
)


def _race(app, bodies):
    barrier = threading.Barrier(len(bodies))
    outcomes: list[str] = []

    def run(body):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/payments/stripe/webhook", data=body, headers=signed(body, SANDBOX_WEBHOOK_SECRET)
        )
        outcomes.append(response.get_json()["outcome"])

    threads = [threading.Thread(target=run, args=(body,)) for body in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.parametrize("same_event", [True, False])
def test_concurrent_deliveries_credit_escrow_once(
    app, committing_db, stripe_app, stripe_sandbox, webhook_inbox, same_event
):
    deal = make_deal(price=700_000)
    payment, _secret = services.start_payment(
        purpose=PaymentPurpose.DEAL_PRICE,
        payer=deal.buyer_org,
        amount=deal.price,
        deal=deal,
        step="price-1",
    )
    _db.session.commit()
    deal_id, payment_id = deal.id, payment.id
    pay_with_card(stripe_sandbox.url, payment.provider_ref)
    event = webhook_inbox.wait_for("payment_intent.succeeded", payment.provider_ref).event
    _db.session.remove()

    first = json.dumps(event).encode()
    second = first if same_event else json.dumps({**event, "id": event["id"] + "b"}).encode()
    outcomes = _race(app, [first, second])
    expected = "ignored: already processed" if same_event else "ignored: already succeeded"
    assert outcomes == sorted(["applied", expected])

    assert _db.session.get(Payment, payment_id).status is PaymentStatus.SUCCEEDED
    charges = _db.session.scalar(
        sa.select(sa.func.count(JournalEntry.id)).where(JournalEntry.payment_id == payment_id)
    )
    assert charges == 1
    assert ledger.balance_of(f"escrow:deal:{deal_id}") == 700_000
    assert ledger.trial_balance().ok
