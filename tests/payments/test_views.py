"""The finance pages and API, for the operator's finance users only."""

from __future__ import annotations

import io

from marketplace.payments import custody, ledger, services
from marketplace.payments.models import PaymentProvider, PaymentPurpose, PayoutStatus
from tests.factories import bearer, make_token, make_user
from tests.payments.helpers import finance_user, make_deal


def _funded_deal(finance):
    deal = make_deal(price=300_000, platform_fee_bp=0)
    _payment, reference = services.start_payment(
        purpose=PaymentPurpose.DEAL_PRICE,
        payer=deal.buyer_org,
        amount=deal.price,
        deal=deal,
        step="price-1",
        provider=PaymentProvider.BANK_CUSTODY,
    )
    statement = f"date,amount,currency,reference\n2026-03-01,3000.00,CNY,{reference}\n"
    custody.import_statement(statement.encode(), actor=finance)
    return deal, reference


def test_finance_page_shows_escrow_and_confirms_a_payout(db, login_as):
    finance = finance_user()
    deal, _reference = _funded_deal(finance)
    client = login_as(finance)
    page = client.get("/finance").get_data(as_text=True)
    assert f"escrow:deal:{deal.id}" in page and deal.number in page

    [payout] = services.release_escrow(
        deal, splits=[(deal.seller_org, "seller", 300_000)], fee=0, actor=finance
    )
    page = client.get("/finance").get_data(as_text=True)
    assert f'data-payout-id="{payout.id}"' in page
    response = client.post(
        f"/finance/payouts/{payout.id}/confirm",
        data={f"payout-{payout.id}-bank_reference": "BOC-2026-1"},
    )
    assert response.status_code == 302
    db.session.refresh(payout)
    assert payout.status is PayoutStatus.PAID
    assert ledger.balance_of("custody_bank") == 0


def test_finance_page_imports_a_statement(db, login_as):
    finance = finance_user()
    deal = make_deal(price=10_000)
    _payment, reference = services.start_payment(
        purpose=PaymentPurpose.DEAL_PRICE,
        payer=deal.buyer_org,
        amount=deal.price,
        deal=deal,
        step="p",
        provider=PaymentProvider.BANK_CUSTODY,
    )
    data = f"date,amount,currency,reference\n2026-03-01,100.00,CNY,{reference}\n".encode()
    response = login_as(finance).post(
        "/finance/statements",
        data={"statement": (io.BytesIO(data), "statement.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert 'data-testid="matched-line"' in response.get_data(as_text=True)
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 10_000


def test_finance_pages_refused_to_anyone_else(db, login_as):
    deal = make_deal()
    client = login_as(make_user(deal.seller_org))
    assert client.get("/finance").status_code == 403
    assert client.post("/finance/payouts/1/confirm").status_code == 403


def test_finance_api(db, client):
    finance = finance_user()
    deal, reference = _funded_deal(finance)
    headers = bearer(make_token(finance))
    escrow = client.get("/api/v1/finance/escrow", headers=headers).get_json()
    assert {"code": f"escrow:deal:{deal.id}", "balance": 300_000}.items() <= escrow[0].items()

    [payout] = services.release_escrow(
        deal, splits=[(deal.seller_org, "seller", 300_000)], fee=0, actor=finance
    )
    listed = client.get("/api/v1/finance/payouts", headers=headers).get_json()
    assert [p["id"] for p in listed] == [payout.id]
    response = client.post(
        f"/api/v1/finance/payouts/{payout.id}/confirmation",
        json={"bank_reference": "CCB-77"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "paid"
    again = client.post(
        f"/api/v1/finance/payouts/{payout.id}/confirmation",
        json={"bank_reference": "CCB-77"},
        headers=headers,
    )
    assert again.status_code == 409

    data = f"date,amount,currency,reference\n2026-03-02,1.00,CNY,{reference}\n".encode()
    report = client.post(
        "/api/v1/finance/statements",
        data={"statement": (io.BytesIO(data), "s.csv")},
        content_type="multipart/form-data",
        headers=headers,
    ).get_json()
    assert [line["reason"] for line in report["unmatched"]] == ["amount_differs"]

    outsider = bearer(make_token(make_user(deal.buyer_org)))
    assert client.get("/api/v1/finance/escrow", headers=outsider).status_code == 403
    assert client.get("/api/v1/finance/payouts").status_code == 401


def test_the_operator_reaches_finance_deals_and_risk_sharing_from_the_navigation(db, login_as):
    client = login_as(finance_user())
    nav = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for href in ('href="/finance"', 'href="/deals"', 'href="/risk-sharing"'):
        assert href in nav
    for path in ("/finance", "/deals", "/risk-sharing"):
        assert client.get(path).status_code == 200, path
