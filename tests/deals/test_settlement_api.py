"""The settlement API against the local Stripe sandbox: the buyer opens the payment, pays by
card, localstripe's signed webhook funds the deal, the recordal is filed and accepted, the deal
completes and the payouts are listed; royalties are reported and paid the same way. Refusals
come in the error envelope and write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.clock import today
from marketplace.deals import services as deals
from marketplace.deals.models import (
    DealStatus,
    PaymentStructure,
    Recordal,
    RecordalStatus,
    ReportingPeriod,
    RoyaltyReport,
)
from marketplace.extensions import db as _db
from marketplace.listings.models import DealType
from marketplace.payments import ledger
from marketplace.payments.models import Payment, Payout
from tests.core.test_api import assert_envelope
from tests.deals.helpers import party, published_listing, terms
from tests.deals.test_settlement import WEBHOOK, backdate_licence, signed_deal
from tests.factories import PASSWORD, bearer, make_operator, make_token, make_user
from tests.payments.helpers import pay_with_card
from tests.stripe_sandbox import *  # noqa: F403  (the Stripe sandbox fixtures)

PRICE = 40_000_000


def make_world(stripe_sandbox, webhook_inbox, **offer):
    deal, seller, buyer = signed_deal(price=PRICE, **offer)
    world = {
        "deal": deal,
        "seller": seller,
        "buyer": buyer,
        "seller_h": bearer(make_token(seller[1])),
        "buyer_h": bearer(make_token(buyer[1])),
        "sandbox": stripe_sandbox,
        "inbox": webhook_inbox,
    }
    if deal.broker_org is not None:
        world["broker_h"] = bearer(make_token(make_user(deal.broker_org)))
    return world


@pytest.fixture
def world(db, stripe_app, stripe_sandbox, webhook_inbox):
    return make_world(stripe_sandbox, webhook_inbox, broker_bp=500)


def url(world, path=""):
    return f"/api/v1/deals/{world['deal'].id}{path}"


def pay_opened(client, world, body):
    """The browser confirms the card with Stripe.js; Stripe's webhook is replayed to the app."""
    intent = _db.session.get(Payment, body["payment_id"]).provider_ref
    assert body["client_secret"].startswith(intent)
    assert pay_with_card(world["sandbox"].url, intent)["status"] == "succeeded"
    delivery = world["inbox"].wait_for("payment_intent.succeeded", intent)
    response = client.post(
        WEBHOOK,
        data=delivery.body,
        headers={
            "Stripe-Signature": delivery.headers["Stripe-Signature"],
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def fund(client, world):
    opened = client.post(url(world, "/payment"), headers=world["buyer_h"])
    assert opened.status_code == 201, opened.get_data(as_text=True)
    pay_opened(client, world, opened.get_json())
    [recordal] = client.get(url(world, "/recordals"), headers=world["buyer_h"]).get_json()
    return opened.get_json(), recordal


def test_paid_recorded_and_settled_through_the_api(app, client, world):
    opened = client.post(url(world, "/payment"), headers=world["buyer_h"])
    assert opened.status_code == 201, opened.get_data(as_text=True)
    body = opened.get_json()
    assert body["amount"] == PRICE and body["currency"] == "CNY" and body["status"] == "created"
    assert body["publishable_key"] == app.config["STRIPE_PUBLISHABLE_KEY"]
    resumed = client.post(url(world, "/payment"), headers=world["buyer_h"])
    assert resumed.status_code == 200
    assert resumed.get_json()["payment_id"] == body["payment_id"]
    assert resumed.get_json()["client_secret"] == body["client_secret"]

    pay_opened(client, world, body)
    [payment] = client.get(url(world, "/payments"), headers=world["broker_h"]).get_json()
    assert payment["status"] == "succeeded" and payment["amount"] == PRICE
    assert payment["purpose"] == "deal_price" and payment["id"] == body["payment_id"]
    deal = client.get(url(world), headers=world["seller_h"]).get_json()
    assert deal["status"] == "funded"

    [recordal] = client.get(url(world, "/recordals"), headers=world["buyer_h"]).get_json()
    assert recordal["status"] == "prepared" and recordal["kind"] == "licence_recordal"
    assert recordal["due_on"] > today().isoformat()
    assert recordal["data"]["deal_number"] == deal["number"]
    rid = recordal["id"]
    filed = client.post(url(world, f"/recordals/{rid}/filing"), json={}, headers=world["seller_h"])
    assert filed.status_code == 200 and filed.get_json()["status"] == "filed"
    accepted = client.post(
        url(world, f"/recordals/{rid}/acceptance"),
        json={"number": "2026990000123", "on": today().isoformat()},
        headers=world["seller_h"],
    )
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["accepted_number"] == "2026990000123"
    deal = client.get(url(world), headers=world["buyer_h"]).get_json()
    assert deal["status"] == "completed"

    payouts = client.get(url(world, "/payouts"), headers=world["seller_h"]).get_json()
    by_role = {p["role"]: p for p in payouts}
    fee = PRICE * deal["platform_fee_bp"] // 10_000
    commission = PRICE * deal["commission_bp"] // 10_000
    assert (fee, commission) == (1_200_000, 2_000_000)  # 3 % platform fee, 5 % commission
    assert by_role["broker"]["amount"] == commission
    assert by_role["broker"]["payee_org_id"] == deal["broker"]["id"]
    assert by_role["seller"]["amount"] == PRICE - fee - commission == 36_800_000
    assert by_role["seller"]["payee_org_id"] == deal["seller"]["id"]
    # No connected Stripe account: bank transfers the operator's finance user confirms.
    assert {(p["method"], p["status"]) for p in payouts} == {("bank_transfer", "pending")}
    assert ledger.balance_of(f"escrow:deal:{world['deal'].id}") == 0
    assert ledger.trial_balance().ok


def test_invalid_answers_are_422_and_write_nothing(client, world):
    _opened, recordal = fund(client, world)
    rid = recordal["id"]
    acceptance = url(world, f"/recordals/{rid}/acceptance")

    # The parties file once the foreign-licensee rule is met.
    world["buyer"][0].region = "境外·德国慕尼黑"
    _db.session.flush()
    error = assert_envelope(
        client.post(url(world, f"/recordals/{rid}/filing"), json={}, headers=world["buyer_h"]),
        422,
        "validation_failed",
    )
    assert "export_certificate" in error["fields"]
    assert _db.session.get(Recordal, rid, populate_existing=True).status is RecordalStatus.PREPARED
    filed = client.post(
        url(world, f"/recordals/{rid}/filing"),
        json={"export_certificate": "2026220000456"},
        headers=world["buyer_h"],
    )
    assert filed.status_code == 200 and filed.get_json()["export_certificate"] == "2026220000456"

    error = assert_envelope(
        client.post(
            acceptance,
            json={"number": "", "on": "not a date", "colour": "blue"},
            headers=world["seller_h"],
        ),
        422,
        "validation_failed",
    )
    assert set(error["fields"]) == {"number", "on", "colour"}
    tomorrow = (today() + timedelta(days=1)).isoformat()
    error = assert_envelope(
        client.post(acceptance, json={"number": "ZL1", "on": tomorrow}, headers=world["seller_h"]),
        422,
        "validation_failed",
    )
    assert set(error["fields"]) == {"on"}
    error = assert_envelope(
        client.post(
            url(world, f"/recordals/{rid}/refusal"),
            json={"reason": "   "},
            headers=world["buyer_h"],
        ),
        422,
        "validation_failed",
    )
    assert "reason" in error["fields"]

    recordal = _db.session.get(Recordal, rid, populate_existing=True)
    assert recordal.status is RecordalStatus.FILED and recordal.accepted_number is None
    _db.session.refresh(world["deal"])
    assert world["deal"].status is DealStatus.RECORDAL_FILED
    assert len(client.get(url(world, "/recordals"), headers=world["buyer_h"]).get_json()) == 1
    assert client.get(url(world, "/payouts"), headers=world["buyer_h"]).get_json() == []


def test_an_outsider_gets_404_everywhere(client, world):
    _opened, recordal = fund(client, world)
    rid = recordal["id"]
    outsider = bearer(make_token(party()[1]))
    for path in ("/payments", "/recordals", "/payouts", "/royalty-reports"):
        assert_envelope(client.get(url(world, path), headers=outsider), 404, "not_found")
    for path, body in (
        ("/payment", None),
        (f"/recordals/{rid}/filing", {}),
        (f"/recordals/{rid}/acceptance", {"number": "1", "on": today().isoformat()}),
        (f"/recordals/{rid}/refusal", {"reason": "x"}),
    ):
        response = client.post(url(world, path), json=body, headers=outsider)
        assert_envelope(response, 404, "not_found")
    assert _db.session.get(Recordal, rid, populate_existing=True).status is (
        RecordalStatus.PREPARED
    )
    assert_envelope(client.get(url(world, "/payments")), 401, "unauthenticated")
    operator = bearer(make_token(make_operator()))
    assert len(client.get(url(world, "/payments"), headers=operator).get_json()) == 1


def test_only_the_buyer_pays_and_only_the_parties_record(client, world):
    refused = client.post(url(world, "/payment"), headers=world["seller_h"])
    assert_envelope(refused, 403, "forbidden")
    assert_envelope(
        client.post(url(world, "/payment"), headers=world["broker_h"]), 403, "forbidden"
    )
    count = sa.select(sa.func.count(Payment.id)).where(Payment.deal_id == world["deal"].id)
    assert _db.session.scalar(count) == 0

    _opened, recordal = fund(client, world)
    # The broker reads the settlement but does not file for the parties.
    filing = url(world, f"/recordals/{recordal['id']}/filing")
    assert_envelope(client.post(filing, json={}, headers=world["broker_h"]), 403, "forbidden")
    again = client.post(url(world, "/payment"), headers=world["buyer_h"])
    assert_envelope(again, 409, "conflict")  # funded: nothing left to pay
    assert len(client.get(url(world, "/recordals"), headers=world["broker_h"]).get_json()) == 1


def test_a_royalty_reported_and_paid_through_the_api(
    client, stripe_app, stripe_sandbox, webhook_inbox
):
    world = make_world(
        stripe_sandbox,
        webhook_inbox,
        payment_structure=PaymentStructure.UPFRONT_AND_ROYALTY,
        royalty_rate_bp=500,
        reporting_period=ReportingPeriod.QUARTER,
    )
    deal = world["deal"]
    backdate_licence(deal, months=6)
    _opened, recordal = fund(client, world)
    for step, body in (("filing", {}), ("acceptance", {"number": "X1", "on": str(today())})):
        response = client.post(
            url(world, f"/recordals/{recordal['id']}/{step}"), json=body, headers=world["seller_h"]
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    reports = client.get(url(world, "/royalty-reports"), headers=world["seller_h"]).get_json()
    first = reports[0]
    assert first["status"] == "due" and first["period_end"] < today().isoformat()
    assert reports[-1]["period_end"] > today().isoformat()
    report_url = url(world, f"/royalty-reports/{first['id']}")
    error = assert_envelope(
        client.post(report_url, json={"units": -1, "net_sales": 1.5}, headers=world["buyer_h"]),
        422,
        "validation_failed",
    )
    assert set(error["fields"]) == {"units", "net_sales"}
    figures = {"units": 1_200, "net_sales": 2_000_000_00}
    assert_envelope(
        client.post(report_url, json=figures, headers=world["seller_h"]), 403, "forbidden"
    )
    assert _db.session.get(RoyaltyReport, first["id"]).royalty is None
    reported = client.post(report_url, json=figures, headers=world["buyer_h"])
    assert reported.status_code == 200, reported.get_data(as_text=True)
    assert reported.get_json()["royalty"] == 10_000_000  # 5 % of ¥2,000,000
    assert reported.get_json()["status"] == "reported"
    not_yet = client.post(
        url(world, f"/royalty-reports/{reports[-1]['id']}"), json=figures, headers=world["buyer_h"]
    )
    assert_envelope(not_yet, 409, "conflict")  # the last period has not ended

    assert_envelope(
        client.post(f"{report_url}/payment", headers=world["seller_h"]), 403, "forbidden"
    )
    opened = client.post(f"{report_url}/payment", headers=world["buyer_h"])
    assert opened.status_code == 201, opened.get_data(as_text=True)
    assert opened.get_json()["amount"] == 10_000_000
    assert client.post(f"{report_url}/payment", headers=world["buyer_h"]).status_code == 200
    pay_opened(client, world, opened.get_json())

    reports = client.get(url(world, "/royalty-reports"), headers=world["buyer_h"]).get_json()
    assert reports[0]["status"] == "paid"
    payments = client.get(url(world, "/payments"), headers=world["buyer_h"]).get_json()
    assert [(p["purpose"], p["status"]) for p in payments] == [
        ("deal_price", "succeeded"),
        ("royalty", "succeeded"),
    ]
    assert payments[1]["royalty_report_id"] == first["id"]
    licensor = _db.session.scalars(
        sa.select(Payout).where(Payout.deal_id == deal.id, Payout.role == "licensor")
    ).all()
    assert [p.amount for p in licensor] == [10_000_000 - 300_000]  # less the 3 % platform fee
    assert ledger.trial_balance().ok


def test_each_of_two_refused_filings_is_recorded(client, stripe_app, stripe_sandbox, webhook_inbox):
    from datetime import date

    from marketplace.deals import services as deals
    from marketplace.rights.kinds import RightKind
    from tests.deals.helpers import published_listing, terms
    from tests.factories import PASSWORD, make_right

    seller, buyer = party(), party()
    rights = [
        make_right(seller[0]),
        make_right(
            seller[0], kind=RightKind.TRADEMARK, number="T90001", registration_date=date(2020, 1, 1)
        ),
    ]
    listing = published_listing(seller, DealType.EXCLUSIVE, rights=rights)
    deal = deals.open_deal(listing, buyer[0], actor=buyer[1], offer=terms(DealType.EXCLUSIVE))
    deals.accept_offer(deal.offers[-1], actor=seller[1])
    for signer in (seller[1], buyer[1]):
        deals.sign_contract(deal.contract, actor=signer, password=PASSWORD, ip_address="127.0.0.1")
    world = {
        "deal": deal,
        "buyer_h": bearer(make_token(buyer[1])),
        "seller_h": bearer(make_token(seller[1])),
        "sandbox": stripe_sandbox,
        "inbox": webhook_inbox,
    }
    opened = client.post(url(world, "/payment"), headers=world["buyer_h"])
    pay_opened(client, world, opened.get_json())
    filings = client.get(url(world, "/recordals"), headers=world["buyer_h"]).get_json()
    assert sorted(f["authority"] for f in filings) == ["国家知识产权局", "国家知识产权局商标局"]
    for filing in filings:
        response = client.post(
            url(world, f"/recordals/{filing['id']}/filing"), json={}, headers=world["seller_h"]
        )
        assert response.status_code == 200
    for filing in filings:
        response = client.post(
            url(world, f"/recordals/{filing['id']}/refusal"),
            json={"reason": "合同缺少许可期限"},
            headers=world["seller_h"],
        )
        assert response.status_code == 200, response.get_data(as_text=True)
    statuses = [f["status"] for f in response.get_json()]
    assert statuses == ["refused", "refused", "prepared", "prepared"]
    assert client.get(url(world), headers=world["buyer_h"]).get_json()["status"] == "funded"


def test_a_deal_with_a_price_cannot_skip_its_payment_through_the_funding_endpoint(client, db):
    seller, buyer = party(), party()
    listing = published_listing(seller, DealType.EXCLUSIVE)
    deal = deals.open_deal(listing, buyer[0], actor=buyer[1], offer=terms(DealType.EXCLUSIVE))
    deals.accept_offer(deal.offers[-1], actor=seller[1])
    for signer in (seller[1], buyer[1]):
        deals.sign_contract(deal.contract, actor=signer, password=PASSWORD, ip_address="127.0.0.1")
    response = client.post(f"/api/v1/deals/{deal.id}/funding", headers=bearer(make_token(buyer[1])))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    _db.session.refresh(deal)
    assert deal.status is DealStatus.SIGNED
