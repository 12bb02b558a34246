"""Deal room pages: an offer from the listing page, counter, accept, sign with the password,
messages, documents, and who may see the room."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind
from marketplace.core.clock import today
from marketplace.deals import services
from marketplace.deals.models import Deal, DealStatus, OfferStatus, Signature
from marketplace.extensions import db as _db
from marketplace.listings import services as listings
from marketplace.listings.models import DealType
from tests.deals.helpers import party, published_listing, terms
from tests.factories import make_operator

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(db):
    seller = party(name_zh="卖方公司")
    buyer = party(name_zh="买方公司")
    listing = published_listing(seller, DealType.EXCLUSIVE)
    return {"seller": seller, "buyer": buyer, "listing": listing}


@pytest.fixture
def switch(client, login_as):
    def as_user(user):
        client.post("/logout")
        return login_as(user)

    return as_user


def offer_form(**fields):
    values = {
        "price": "400000.00",
        "payment_structure": "lump_sum",
        "territory": "吉林省",
        "field_of_use": "新能源汽车",
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=700)).isoformat(),
        "refund_on_cancel": "100",
        "note": "",
    }
    values.update(fields)
    return values


def only_deal() -> Deal:
    return _db.session.scalars(sa.select(Deal)).one()


def test_listing_page_offers_make_an_offer_to_other_verified_orgs(client, switch, world):
    url = f"/listings/{world['listing'].id}"
    assert 'data-testid="make-offer"' not in client.get(url).get_data(as_text=True)
    switch(world["seller"][1])
    assert 'data-testid="make-offer"' not in client.get(url).get_data(as_text=True)
    switch(world["buyer"][1])
    html = client.get(url).get_data(as_text=True)
    assert 'data-testid="make-offer"' in html
    assert "/deals" in html  # the navigation entry


def test_offer_counter_accept_and_sign_in_the_browser(client, switch, world):
    listing, seller, buyer = world["listing"], world["seller"], world["buyer"]
    switch(buyer[1])
    form_page = client.get(f"/listings/{listing.id}/offer").get_data(as_text=True)
    assert 'data-testid="offer-form"' in form_page
    response = client.post(f"/listings/{listing.id}/offer", data=offer_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    deal = only_deal()
    assert response.headers["Location"].endswith(f"/deals/{deal.id}")
    assert deal.offers[0].price == 40_000_000 and deal.offers[0].territory == "吉林省"

    switch(seller[1])
    room = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert 'data-testid="counter-form"' in room and 'data-testid="accept-form"' in room
    response = client.post(f"/deals/{deal.id}/offers", data=offer_form(price="450000"))
    assert response.status_code == 302
    _db.session.refresh(deal)
    assert [o.status for o in deal.offers] == [OfferStatus.COUNTERED, OfferStatus.OPEN]

    switch(buyer[1])
    counter_offer = deal.offers[-1]
    assert client.post(f"/deals/{deal.id}/offers/{counter_offer.id}/accept").status_code == 302
    _db.session.refresh(deal)
    assert deal.status is DealStatus.AGREED and deal.price == 45_000_000
    pdf = client.get(f"/deals/{deal.id}/contract.pdf")
    assert pdf.status_code == 200 and pdf.data == deal.contract.pdf
    room = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert deal.contract.sha256 in room and 'data-testid="sign-form"' in room

    client.post(f"/deals/{deal.id}/contract/sign", data={"password": "wrong-password-9"})
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 0
    client.post(f"/deals/{deal.id}/contract/sign", data={"password": "correct-horse-42"})
    switch(seller[1])
    client.post(f"/deals/{deal.id}/contract/sign", data={"password": "correct-horse-42"})
    _db.session.refresh(deal)
    assert deal.status is DealStatus.SIGNED
    room = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert room.count('data-testid="signature"') == 2


def test_invalid_offer_shows_every_problem_on_the_form(client, switch, world):
    switch(world["buyer"][1])
    response = client.post(
        f"/listings/{world['listing'].id}/offer",
        data=offer_form(
            price="300000",
            payment_structure="instalments",
            schedule=f"{today()}; 100000\n{today() + timedelta(days=30)}; 100000",
            refund_on_cancel="100",
            ends_on=(today() + timedelta(days=365 * 40)).isoformat(),
        ),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "300,000.00" in html or "300000" in html
    assert html.count("field-error") >= 2
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Deal)) == 0


def test_instalments_entered_as_lines(client, switch, world):
    switch(world["buyer"][1])
    first, second = today() + timedelta(days=10), today() + timedelta(days=40)
    response = client.post(
        f"/listings/{world['listing'].id}/offer",
        data=offer_form(
            price="300000",
            payment_structure="instalments",
            schedule=f"{first.isoformat()}; 100000\n{second.isoformat()}；200,000.00",
        ),
    )
    assert response.status_code == 302
    assert only_deal().offers[0].schedule == [
        {"amount": 10_000_000, "due_on": first.isoformat()},
        {"amount": 20_000_000, "due_on": second.isoformat()},
    ]


def test_outsiders_get_404_and_the_operator_sees_the_room(client, switch, world):
    deal = services.open_deal(
        world["listing"], world["buyer"][0], actor=world["buyer"][1], offer=terms()
    )
    doc = services.add_document(
        deal,
        services.evidence.Upload(filename="报告.pdf", stream=io.BytesIO(PDF)),
        actor=world["buyer"][1],
    )
    switch(party()[1])
    assert client.get(f"/deals/{deal.id}").status_code == 404
    assert client.get(f"/deals/{deal.id}/documents/{doc.id}").status_code == 404
    assert client.post(f"/deals/{deal.id}/messages", data={"body": "hi"}).status_code == 404
    assert client.get("/deals").status_code == 200
    assert deal.number not in client.get("/deals").get_data(as_text=True)
    switch(make_operator())
    assert client.get(f"/deals/{deal.id}").status_code == 200
    switch(world["seller"][1])
    assert deal.number in client.get("/deals").get_data(as_text=True)
    download = client.get(f"/deals/{deal.id}/documents/{doc.id}")
    assert download.status_code == 200 and download.data == PDF


def test_messages_and_documents_from_the_room(client, switch, world):
    deal = services.open_deal(
        world["listing"], world["buyer"][0], actor=world["buyer"][1], offer=terms()
    )
    switch(world["seller"][1])
    client.post(f"/deals/{deal.id}/messages", data={"body": "请提供贵司资质"})
    client.post(
        f"/deals/{deal.id}/documents",
        data={"document": (io.BytesIO(PDF), "资质.pdf")},
        content_type="multipart/form-data",
    )
    room = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "请提供贵司资质" in room and "资质.pdf" in room
    assert 'data-testid="deal-timeline"' in room and "deal.document_added" in room


def test_open_licence_button_creates_an_agreed_deal(client, switch, db):
    seller = party(OrgKind.UNIVERSITY)
    listing = published_listing(
        seller,
        DealType.OPEN_LICENCE,
        asking_price=None,
        royalty_rate=200,
        open_terms="按销售额2%",
        licence_ends_on=today() + timedelta(days=365),
    )
    switch(party()[1])
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert f"/listings/{listing.id}/open-licence/deal" in html
    response = client.post(f"/listings/{listing.id}/open-licence/deal")
    assert response.status_code == 302
    deal = only_deal()
    assert deal.status is DealStatus.AGREED and deal.contract is not None
    assert response.headers["Location"].endswith(f"/deals/{deal.id}")


def test_cancel_from_the_room_needs_a_reason(client, switch, world):
    deal = services.open_deal(
        world["listing"], world["buyer"][0], actor=world["buyer"][1], offer=terms()
    )
    switch(world["buyer"][1])
    client.post(f"/deals/{deal.id}/cancel", data={"reason": ""})
    _db.session.refresh(deal)
    assert deal.status is DealStatus.NEGOTIATING
    client.post(f"/deals/{deal.id}/cancel", data={"reason": "预算调整"})
    _db.session.refresh(deal)
    assert deal.status is DealStatus.CANCELLED and deal.cancelled_reason == "预算调整"


def test_mandated_broker_sees_the_room_with_its_commission(client, switch, world):
    broker = party(OrgKind.BROKER, name_zh="经纪公司")
    listings.grant_mandate(
        actor=world["seller"][1], broker=broker[0], commission_rate=500, listing=world["listing"]
    )
    deal = services.open_deal(
        world["listing"], world["buyer"][0], actor=world["buyer"][1], offer=terms()
    )
    switch(broker[1])
    room = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert 'data-testid="deal-broker"' in room and "5.00 %" in room
    assert 'data-testid="accept-form"' not in room and 'data-testid="message-form"' in room
    assert deal.number in client.get("/deals").get_data(as_text=True)
