"""The deal API: open with a first offer, counter, accept, decline, messages, the contract's
metadata and signatures; refusals in the error envelope."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from marketplace.core.clock import today
from marketplace.listings.models import DealType
from tests.core.test_api import assert_envelope
from tests.deals.helpers import party, published_listing
from tests.factories import PASSWORD, bearer, make_operator, make_token


@pytest.fixture
def world(db):
    seller = party(name_zh="卖方公司")
    buyer = party(name_zh="买方公司")
    return {
        "seller": seller,
        "buyer": buyer,
        "listing": published_listing(seller, DealType.SOLE),
        "seller_h": bearer(make_token(seller[1])),
        "buyer_h": bearer(make_token(buyer[1])),
    }


def offer(**fields):
    values = {
        "price": 30_000_000,
        "payment_structure": "upfront_and_royalty",
        "royalty_rate_bp": 300,
        "reporting_period": "quarter",
        "territory": "长春市",
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=730)).isoformat(),
        "refund_on_cancel_bp": 9_000,
    }
    values.update(fields)
    return values


def open_deal(client, world, **fields):
    response = client.post(
        "/api/v1/deals",
        json={"listing_id": world["listing"].id, "offer": offer(**fields)},
        headers=world["buyer_h"],
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_full_negotiation_through_the_api(client, world):
    deal = open_deal(client, world)
    assert deal["status"] == "negotiating" and deal["number"].startswith("IPT-D-")
    assert deal["offers"][0]["royalty_rate_bp"] == 300 and deal["contract"] is None
    deal_id = deal["id"]

    countered = client.post(
        f"/api/v1/deals/{deal_id}/offers",
        json=offer(price=35_000_000),
        headers=world["seller_h"],
    )
    assert countered.status_code == 201
    counter_id = countered.get_json()["id"]
    assert countered.get_json()["counters_id"] == deal["offers"][0]["id"]

    own = client.post(
        f"/api/v1/deals/{deal_id}/offers/{counter_id}/acceptance", headers=world["seller_h"]
    )
    assert_envelope(own, 403, "forbidden")
    accepted = client.post(
        f"/api/v1/deals/{deal_id}/offers/{counter_id}/acceptance", headers=world["buyer_h"]
    )
    assert accepted.status_code == 200
    body = accepted.get_json()
    assert body["status"] == "agreed" and body["price"] == 35_000_000 and body["holds_listing"]

    contract = client.get(f"/api/v1/deals/{deal_id}/contract", headers=world["buyer_h"])
    meta = contract.get_json()
    assert meta["template"] == "licence_sole" and meta["signatures"] == []
    pdf = client.get(f"/api/v1/deals/{deal_id}/contract/pdf", headers=world["buyer_h"]).data
    assert hashlib.sha256(pdf).hexdigest() == meta["sha256"]

    wrong = client.post(
        f"/api/v1/deals/{deal_id}/contract/signatures",
        json={"password": "not-the-password-1"},
        headers=world["buyer_h"],
    )
    assert_envelope(wrong, 422, "validation_failed")
    for headers in (world["buyer_h"], world["seller_h"]):
        signed = client.post(
            f"/api/v1/deals/{deal_id}/contract/signatures",
            json={"password": PASSWORD},
            headers=headers,
        )
        assert signed.status_code == 201 and signed.get_json()["sha256"] == meta["sha256"]
        assert "password" not in signed.get_json()
    final = client.get(f"/api/v1/deals/{deal_id}", headers=world["seller_h"]).get_json()
    assert final["status"] == "signed" and len(final["contract"]["signatures"]) == 2


def test_every_invalid_term_in_one_envelope(client, world):
    response = client.post(
        "/api/v1/deals",
        json={
            "listing_id": world["listing"].id,
            "offer": offer(
                royalty_rate_bp=None,
                reporting_period=None,
                refund_on_cancel_bp=-1,
                ends_on=(today() + timedelta(days=365 * 40)).isoformat(),
            ),
        },
        headers=world["buyer_h"],
    )
    error = assert_envelope(response, 422, "validation_failed")
    assert {"royalty_rate_bp", "reporting_period", "refund_on_cancel_bp", "ends_on"} <= set(
        error["fields"]
    )


def test_offer_terms_are_required_except_for_an_open_licence(client, world):
    response = client.post(
        "/api/v1/deals", json={"listing_id": world["listing"].id}, headers=world["buyer_h"]
    )
    assert_envelope(response, 422, "validation_failed")
    open_listing = published_listing(
        world["seller"],
        DealType.OPEN_LICENCE,
        asking_price=500_000,
        open_terms="标准条款",
        licence_ends_on=today() + timedelta(days=365),
    )
    taken = client.post(
        "/api/v1/deals", json={"listing_id": open_listing.id}, headers=world["buyer_h"]
    )
    assert taken.status_code == 201
    assert taken.get_json()["status"] == "agreed" and taken.get_json()["contract"]["sha256"]


def test_rejection_and_messages(client, world):
    deal = open_deal(client, world)
    offer_id = deal["offers"][0]["id"]
    rejected = client.post(
        f"/api/v1/deals/{deal['id']}/offers/{offer_id}/rejection",
        json={"reason": "价格太低"},
        headers=world["seller_h"],
    )
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    again = client.post(
        f"/api/v1/deals/{deal['id']}/offers/{offer_id}/acceptance", headers=world["seller_h"]
    )
    assert_envelope(again, 409, "illegal_transition")
    message = client.post(
        f"/api/v1/deals/{deal['id']}/messages", json={"body": "可以再谈"}, headers=world["buyer_h"]
    )
    assert message.status_code == 201 and message.get_json()["body"] == "可以再谈"


def test_outsiders_get_404_the_operator_reads(client, world):
    deal = open_deal(client, world)
    outsider = bearer(make_token(party()[1]))
    for path in (f"/api/v1/deals/{deal['id']}", f"/api/v1/deals/{deal['id']}/contract"):
        assert_envelope(client.get(path, headers=outsider), 404, "not_found")
    assert client.get("/api/v1/deals", headers=outsider).get_json() == []
    operator = bearer(make_token(make_operator()))
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=operator).status_code == 200
    mine = client.get("/api/v1/deals", headers=world["seller_h"]).get_json()
    assert [d["id"] for d in mine] == [deal["id"]]
    assert_envelope(client.get("/api/v1/deals"), 401, "unauthenticated")


def test_the_seller_cannot_open_a_deal_on_its_own_listing(client, world):
    response = client.post(
        "/api/v1/deals",
        json={"listing_id": world["listing"].id, "offer": offer()},
        headers=world["seller_h"],
    )
    assert_envelope(response, 409, "conflict")
