"""A deal end to end through the services and the local Stripe sandbox: agreed, signed, paid by
card (localstripe's own signed webhook), recorded, settled — and the ledger balances to zero
after every flow, refunds included."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind
from marketplace.core.clock import today
from marketplace.deals import recordals, settlement
from marketplace.deals import services as deals
from marketplace.deals.models import DealStatus, RecordalStatus
from marketplace.extensions import db as _db
from marketplace.listings import services as listings
from marketplace.listings.models import DealType, ListingStatus
from marketplace.payments import ledger
from marketplace.payments.models import Payment, PaymentStatus, Payout
from marketplace.rights.models import Licence
from tests.deals.helpers import party, published_listing, terms
from tests.factories import PASSWORD, make_org
from tests.payments.helpers import pay_with_card
from tests.stripe_sandbox import *  # noqa: F403  (the Stripe sandbox fixtures)

WEBHOOK = "/payments/stripe/webhook"


def signed_deal(deal_type=DealType.EXCLUSIVE, *, price=40_000_000, broker_bp=0, **offer):
    seller, buyer = party(), party()
    listing = published_listing(seller, deal_type)
    if broker_bp:
        broker = make_org(OrgKind.BROKER)
        listings.grant_mandate(
            actor=seller[1], broker=broker, commission_rate=broker_bp, listing=listing
        )
    deal = deals.open_deal(
        listing, buyer[0], actor=buyer[1], offer=terms(deal_type, price=price, **offer)
    )
    deals.accept_offer(deal.offers[-1], actor=seller[1])
    for signer in (seller[1], buyer[1]):
        deals.sign_contract(deal.contract, actor=signer, password=PASSWORD, ip_address="127.0.0.1")
    assert deal.status is DealStatus.SIGNED
    return deal, seller, buyer


def pay(deal, buyer, client, stripe_sandbox, webhook_inbox):
    payment, _secret = settlement.start_deal_payment(deal, actor=buyer[1])
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
    _db.session.refresh(deal)
    _db.session.refresh(payment)
    return payment


def test_a_licence_deal_paid_recorded_and_settled(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    deal, seller, buyer = signed_deal(DealType.EXCLUSIVE, broker_bp=500)
    assert deal.broker_org_id is not None and deal.commission_bp == 500
    payment = pay(deal, buyer, client, stripe_sandbox, webhook_inbox)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert deal.status is DealStatus.FUNDED
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 40_000_000
    [recordal] = recordals.recordals_of(deal)
    assert recordal.status is RecordalStatus.PREPARED
    assert recordal.due_on is not None and recordal.due_on > today()  # 3 months after signing
    recordals.file_recordal(recordal, actor=seller[1])
    assert deal.status is DealStatus.RECORDAL_FILED
    recordals.confirm_recordal(recordal, number="2026990000123", on=today(), actor=seller[1])
    assert deal.status is DealStatus.COMPLETED

    payouts = {
        p.role: p.amount
        for p in _db.session.scalars(sa.select(Payout).where(Payout.deal_id == deal.id))
    }
    # 3 % platform fee, 5 % commission, the rest to the seller.
    assert payouts == {"broker": 2_000_000, "seller": 36_800_000}
    assert ledger.balance_of("platform_revenue") == 1_200_000
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 0
    assert ledger.trial_balance().ok
    licence = _db.session.scalar(sa.select(Licence).where(Licence.licensee_org_id == buyer[0].id))
    assert licence is not None and licence.territory == "吉林省"
    assert deal.listing.status is ListingStatus.CLOSED


def test_an_assignment_changes_the_owner_on_settlement(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    deal, seller, buyer = signed_deal(DealType.ASSIGNMENT)
    pay(deal, buyer, client, stripe_sandbox, webhook_inbox)
    [recordal] = recordals.recordals_of(deal)
    assert recordal.due_on is None  # an assignment registers; no licence-recordal deadline
    recordals.file_recordal(recordal, actor=buyer[1])
    recordals.confirm_recordal(recordal, number="ZR2026001", on=today(), actor=buyer[1])
    right = deal.listing.rights[0]
    assert right.owner_row(buyer[0]) is not None and right.owner_row(seller[0]) is None
    assert ledger.trial_balance().ok


@pytest.mark.parametrize(("refund_bp", "refunded"), [(10_000, 40_000_000), (8_000, 32_000_000)])
def test_cancelling_a_funded_deal_refunds_what_the_contract_says(
    db, client, stripe_app, stripe_sandbox, webhook_inbox, refund_bp, refunded
):
    deal, _seller, buyer = signed_deal(refund_on_cancel_bp=refund_bp)
    payment = pay(deal, buyer, client, stripe_sandbox, webhook_inbox)
    deals.cancel_deal(deal, actor=buyer[1], reason="技术验证未通过")
    assert deal.status is DealStatus.CANCELLED
    _db.session.refresh(payment)
    assert payment.refunded == refunded
    assert payment.status is (
        PaymentStatus.REFUNDED if refunded == payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    )
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 0
    kept = payment.amount - refunded
    seller_payouts = _db.session.scalars(sa.select(Payout).where(Payout.deal_id == deal.id)).all()
    assert sum(p.amount for p in seller_payouts) == kept
    assert ledger.trial_balance().ok


def test_money_for_a_deal_cancelled_before_the_webhook_is_refunded_at_once(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    deal, _seller, buyer = signed_deal()
    payment, _secret = settlement.start_deal_payment(deal, actor=buyer[1])
    deals.cancel_deal(deal, actor=buyer[1], reason="改用其他方案")
    pay_with_card(stripe_sandbox.url, payment.provider_ref)
    delivery = webhook_inbox.wait_for("payment_intent.succeeded", payment.provider_ref)
    client.post(
        WEBHOOK,
        data=delivery.body,
        headers={"Stripe-Signature": delivery.headers["Stripe-Signature"]},
        content_type="application/json",
    )
    payment = _db.session.get(Payment, payment.id, populate_existing=True)
    assert payment.status is PaymentStatus.REFUNDED
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 0 and ledger.trial_balance().ok


def test_only_the_buyer_pays_and_only_once_signed(db, stripe_app):
    seller, buyer = party(), party()
    listing = published_listing(seller, DealType.EXCLUSIVE)
    deal = deals.open_deal(listing, buyer[0], actor=buyer[1], offer=terms(DealType.EXCLUSIVE))
    from marketplace.core.errors import Conflict, PermissionDenied

    with pytest.raises(Conflict):
        settlement.start_deal_payment(deal, actor=buyer[1])
    with pytest.raises(PermissionDenied):
        settlement.start_deal_payment(deal, actor=seller[1])


# --- running royalties ---------------------------------------------------------------------------


def backdate_licence(deal, *, months):
    """Move the agreed licence term's start ``months`` back. An offer cannot start in the
    past, so a licence whose first periods have already ended is made by backdating the agreed
    terms once both parties have signed (before settlement schedules the reporting periods)."""
    from marketplace.rights.terms import add_months

    offer = deal.agreed_offer
    offer.starts_on = add_months(today(), -months)
    _db.session.flush()
    return offer


def replay(client, webhook_inbox, intent_id):
    """Replay localstripe's signed ``payment_intent.succeeded`` to the app's webhook."""
    delivery = webhook_inbox.wait_for("payment_intent.succeeded", intent_id)
    response = client.post(
        WEBHOOK,
        data=delivery.body,
        headers={
            "Stripe-Signature": delivery.headers["Stripe-Signature"],
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_running_royalty_is_reported_paid_by_card_and_paid_out_to_the_licensor(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    from marketplace.deals.models import PaymentStructure, ReportingPeriod, RoyaltyReportStatus
    from marketplace.payments.models import PaymentPurpose

    deal, seller, buyer = signed_deal(
        DealType.EXCLUSIVE,
        broker_bp=500,
        payment_structure=PaymentStructure.UPFRONT_AND_ROYALTY,
        royalty_rate_bp=350,
        reporting_period=ReportingPeriod.QUARTER,
    )
    offer = backdate_licence(deal, months=6)  # two quarters ago: the first period has ended
    pay(deal, buyer, client, stripe_sandbox, webhook_inbox)
    [recordal] = recordals.recordals_of(deal)
    recordals.file_recordal(recordal, actor=seller[1])
    recordals.confirm_recordal(recordal, number="2026990000777", on=today(), actor=seller[1])
    assert deal.status is DealStatus.COMPLETED

    first, second, *later = sorted(deal_reports(deal), key=lambda r: r.period_start)
    assert first.period_start == offer.starts_on and first.period_end < second.period_end < today()
    assert later and later[0].period_end >= today()  # the current quarter is still running
    recordals.report_royalty(first, units=1_200, net_sales=12_345_678_90, actor=buyer[1])
    royalty = 12_345_678_90 * 350 // 10_000
    assert first.royalty == royalty == 43_209_876  # 3.5 %, rounded down to the fen

    payment, _secret = settlement.start_royalty_payment(first, actor=buyer[1])
    assert payment.purpose is PaymentPurpose.ROYALTY and payment.amount == royalty
    assert pay_with_card(stripe_sandbox.url, payment.provider_ref)["status"] == "succeeded"
    replay(client, webhook_inbox, payment.provider_ref)
    _db.session.refresh(first)
    _db.session.refresh(payment)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert first.status is RoyaltyReportStatus.PAID

    fee = royalty * deal.platform_fee_bp // 10_000
    commission = royalty * deal.commission_bp // 10_000
    paid_out = {
        p.role: p.amount
        for p in _db.session.scalars(
            sa.select(Payout).where(Payout.idempotency_key.startswith(f"royalty-{first.id}-"))
        )
    }
    assert paid_out == {"licensor": royalty - fee - commission, "broker": commission}
    assert (fee, commission) == (1_296_296, 2_160_493)  # 3 % platform fee, 5 % commission
    assert ledger.balance_of(f"escrow:royalty:{first.id}") == 0
    assert ledger.trial_balance().ok
    # The webhook replayed again changes nothing: the royalty is paid out once.
    replay(client, webhook_inbox, payment.provider_ref)
    royalty_payouts = sa.select(sa.func.count(Payout.id)).where(
        Payout.idempotency_key.startswith(f"royalty-{first.id}-")
    )
    assert _db.session.scalar(royalty_payouts) == 2


def deal_reports(deal):
    from marketplace.deals.models import RoyaltyReport

    return _db.session.scalars(sa.select(RoyaltyReport).where(RoyaltyReport.deal_id == deal.id))


def test_selling_defaulted_collateral_pays_the_pledgee_bank_first(
    db, client, stripe_app, stripe_sandbox, webhook_inbox
):
    from marketplace.pledges import services as pledges
    from marketplace.pledges.models import PledgeStatus
    from tests.pledges.helpers import make_bank, make_pledge

    owner = party()
    bank, banker = make_bank(name_zh="长春新区科技农商银行")
    pledge = make_pledge(owner[0], bank, principal=30_000_000, actor=owner[1])
    pledges.declare_default(pledge, actor=banker)
    listing = pledges.dispose_collateral(pledge, actor=banker, asking_price=40_000_000)
    buyer = party()
    deal = deals.open_deal(
        listing, buyer[0], actor=buyer[1], offer=terms(DealType.ASSIGNMENT, price=40_000_000)
    )
    deals.accept_offer(deal.offers[-1], actor=owner[1])
    for signer in (owner[1], buyer[1]):
        deals.sign_contract(deal.contract, actor=signer, password=PASSWORD, ip_address="127.0.0.1")
    pay(deal, buyer, client, stripe_sandbox, webhook_inbox)
    [recordal] = recordals.recordals_of(deal)
    recordals.file_recordal(recordal, actor=owner[1])
    recordals.confirm_recordal(recordal, number="ZR2026009", on=today(), actor=owner[1])

    payouts = {
        p.role: p.amount
        for p in _db.session.scalars(sa.select(Payout).where(Payout.deal_id == deal.id))
    }
    # ¥400,000 less the 3 % fee (¥12,000): the bank takes the ¥300,000 owed, the owner the rest.
    assert payouts == {"pledgee": 30_000_000, "seller": 8_800_000}
    assert pledge.status is PledgeStatus.DISPOSED and pledge.outstanding == 0
    right = listing.rights[0]
    assert right.owner_row(buyer[0]) is not None and right.owner_row(owner[0]) is None
    assert ledger.trial_balance().ok


def test_only_the_payer_confirms_a_card_for_a_payment(db, client, login_as, stripe_app):
    deal, seller, buyer = signed_deal()
    payment, _secret = settlement.start_deal_payment(deal, actor=buyer[1])
    body = {"token": "tok_x", "card": "card_x"}
    for outsider in (seller[1], party()[1]):
        response = login_as(outsider).post(f"/payments/{payment.id}/card", json=body)
        assert response.status_code == 404
    assert _db.session.get(Payment, payment.id).status is PaymentStatus.CREATED
