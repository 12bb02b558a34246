"""``flask seed demo`` seeds deals in every stage a visitor should see, through the services and
without the Stripe sandbox (funding goes through the bank custody account), once.

The seed commits, so the module seeds once on real connections and empties every table after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.core.audit import AuditEntry, verify_chain
from marketplace.deals import recordals, settlement
from marketplace.deals.models import Deal, DealStatus, OfferStatus, RecordalStatus
from marketplace.demo.data import DEMO_DOMAIN, DEMO_PASSWORD
from marketplace.demo.deals import seed_deals
from marketplace.extensions import db as _db
from marketplace.payments import ledger
from marketplace.payments.models import (
    Payment,
    PaymentProvider,
    PaymentStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
    StatementLine,
)
from marketplace.rights.models import Licence


def _empty_all_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


def _seed(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.output


@pytest.fixture(scope="module")
def seeded(app: Flask) -> Iterator[str]:
    _empty_all_tables()
    try:
        yield _seed(app)
    finally:
        _db.session.remove()
        _empty_all_tables()


def _deal(status: DealStatus) -> Deal:
    deal = _db.session.scalar(sa.select(Deal).where(Deal.status == status).order_by(Deal.id))
    assert deal is not None, f"no {status.value} deal"
    return deal


def test_a_deal_in_each_stage_is_seeded(seeded: str) -> None:
    assert "5 deals" in seeded
    statuses = set(_db.session.scalars(sa.select(Deal.status)))
    assert statuses == {
        DealStatus.NEGOTIATING,
        DealStatus.AGREED,
        DealStatus.SIGNED,
        DealStatus.FUNDED,
        DealStatus.COMPLETED,
    }
    deals = list(_db.session.scalars(sa.select(Deal)))
    assert len({d.listing_id for d in deals}) == len(deals)
    assert len({d.buyer_org_id for d in deals}) >= 3


def test_the_negotiation_has_a_counter_offer(seeded: str) -> None:
    deal = _deal(DealStatus.NEGOTIATING)
    first, counter = deal.offers
    assert first.by_org_id == deal.buyer_org_id and first.status is OfferStatus.COUNTERED
    assert counter.by_org_id == deal.seller_org_id and counter.status is OfferStatus.OPEN
    assert counter.counters_id == first.id and counter.price > first.price


def test_the_agreed_deal_awaits_the_buyers_signature(seeded: str) -> None:
    deal = _deal(DealStatus.AGREED)
    assert deal.contract is not None
    assert [s.organisation_id for s in deal.contract.signatures] == [deal.seller_org_id]


def test_the_signed_deal_awaits_the_card_payment(seeded: str) -> None:
    deal = _deal(DealStatus.SIGNED)
    assert {s.organisation_id for s in deal.contract.signatures} == {
        deal.seller_org_id,
        deal.buyer_org_id,
    }
    assert deal.price and settlement.deal_payments(deal) == []


def test_funded_through_the_custody_account_and_completed_with_payouts_to_confirm(
    app: Flask, seeded: str
) -> None:
    funded, completed = _deal(DealStatus.FUNDED), _deal(DealStatus.COMPLETED)
    for deal in (funded, completed):
        [payment] = settlement.deal_payments(deal)
        assert payment.provider is PaymentProvider.BANK_CUSTODY
        assert payment.status is PaymentStatus.SUCCEEDED and payment.amount == deal.price
    matched = _db.session.scalars(
        sa.select(StatementLine.payment_id).where(StatementLine.payment_id.is_not(None))
    ).all()
    assert len(matched) == 2
    assert ledger.balance_of(f"escrow:deal:{funded.id}") == funded.price
    assert [r.status for r in recordals.recordals_of(funded)] == [RecordalStatus.PREPARED]

    assert all(r.status is RecordalStatus.ACCEPTED for r in recordals.recordals_of(completed))
    assert ledger.balance_of(f"escrow:deal:{completed.id}") == 0
    payouts = _db.session.scalars(sa.select(Payout).where(Payout.deal_id == completed.id)).all()
    assert payouts and all(
        p.status is PayoutStatus.PENDING and p.method is PayoutMethod.BANK_TRANSFER for p in payouts
    )
    fee = completed.price * completed.platform_fee_bp // 10_000
    assert sum(p.amount for p in payouts) + fee == completed.price
    if completed.deal_type.is_licence:
        assert _db.session.scalar(
            sa.select(Licence).where(Licence.licensee_org_id == completed.buyer_org_id)
        )
    assert ledger.trial_balance().ok

    waiting = len(payouts)
    _db.session.rollback()  # the read transaction ends before the page's request writes
    client = app.test_client()
    login = client.post(
        "/login", data={"email": f"operator@{DEMO_DOMAIN}", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 302
    page = client.get("/finance").get_data(as_text=True)
    assert page.count('data-testid="payout-row"') == waiting


def test_seeding_again_creates_nothing(app: Flask, seeded: str) -> None:
    models: tuple[Any, ...] = (Deal, Payment, Payout, StatementLine, AuditEntry)

    def counts() -> dict[str, int]:
        return {
            m.__name__: _db.session.scalar(sa.select(sa.func.count()).select_from(m)) or 0
            for m in models
        }

    before = counts()
    assert seed_deals() == before["Deal"] == 5
    _db.session.commit()
    _seed(app)
    assert counts() == before
    report = verify_chain()
    assert report.ok, report
