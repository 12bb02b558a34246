"""Data for the payments tests: deals with their parties, signed and ready to pay."""

from __future__ import annotations

import itertools
from typing import Any

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.deals.models import Deal, DealStatus
from marketplace.extensions import db
from marketplace.listings.models import DealType, Listing, ListingStatus
from marketplace.payments.models import ConnectedAccount
from tests.factories import make_operator, make_org, make_user

_serial = itertools.count(1)


def make_deal(
    *,
    price: int = 1_000_000,
    broker: bool = False,
    commission_bp: int = 0,
    platform_fee_bp: int = 300,
    status: DealStatus = DealStatus.SIGNED,
    **fields: Any,
) -> Deal:
    seller = make_org()
    buyer = make_org()
    seller_user = make_user(seller)
    listing = Listing(
        seller_org_id=seller.id,
        created_by_id=seller_user.id,
        title="一种动力电池热管理系统 实施许可",
        teaser="电池热管理",
        deal_type=DealType.NON_EXCLUSIVE,
        asking_price=price,
        status=ListingStatus.PUBLISHED,
    )
    db.session.add(listing)
    db.session.flush()
    broker_org = make_org(OrgKind.BROKER) if broker else None
    deal = Deal(
        number=f"IPT-D-2026-{next(_serial):06d}-{listing.id}",
        listing_id=listing.id,
        seller_org_id=seller.id,
        buyer_org_id=buyer.id,
        broker_org_id=broker_org.id if broker_org else None,
        commission_bp=commission_bp,
        platform_fee_bp=platform_fee_bp,
        deal_type=DealType.NON_EXCLUSIVE,
        status=status,
        currency="CNY",
        price=price,
        created_by_id=seller_user.id,
        **fields,
    )
    db.session.add(deal)
    db.session.flush()
    return deal


def connect(org: Organisation, account_id: str | None = None) -> ConnectedAccount:
    account = ConnectedAccount(
        organisation_id=org.id, stripe_account_id=account_id or f"acct_test{org.id:08d}"
    )
    db.session.add(account)
    db.session.flush()
    return account


def finance_user() -> User:
    return make_operator()


def pay_with_card(sandbox_url: str, intent_id: str, card: str = "pm_card_visa") -> dict[str, Any]:
    """What the buyer's browser does through Stripe.js: attach a test card to the intent and
    confirm it. ``pm_card_chargeCustomerFail`` makes the charge fail."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    from marketplace.config import SANDBOX_SECRET_KEY

    def call(path: str, data: dict[str, str]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{sandbox_url}{path}",
            data=urllib.parse.urlencode(data).encode(),
            headers={"Authorization": f"Bearer {SANDBOX_SECRET_KEY}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:  # a declined card answers 402
            return dict(json.loads(exc.read()))

    call(f"/v1/payment_intents/{intent_id}", {"payment_method": card})
    return call(f"/v1/payment_intents/{intent_id}/confirm", {})


def signed(payload: bytes, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a delivery signed as Stripe signs (to forge replays and bad signatures)."""
    import hashlib
    import hmac
    import time

    t = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), b"%d." % t + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={t},v1={signature}", "Content-Type": "application/json"}
