"""Stripe configuration: the CSP of a card page allows exactly the Stripe.js origin, production
refuses the sandbox, and the reconciliation command exits 1 on a difference."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.config import ProductionConfig
from marketplace.core import security
from marketplace.payments import services
from marketplace.payments.models import Payment, PaymentPurpose
from tests.conftest import make_config
from tests.payments.helpers import make_deal


@pytest.mark.parametrize(
    ("overrides", "origin"),
    [
        ({"STRIPE_API_BASE": "http://127.0.0.1:8420"}, "http://127.0.0.1:8420"),
        ({"STRIPE_API_BASE": None}, "https://js.stripe.com"),
        ({"STRIPE_JS_URL": "https://js.stripe.com/v3/"}, "https://js.stripe.com"),
    ],
)
def test_card_page_csp_allows_exactly_the_stripe_js_origin(db, overrides, origin):
    app = create_app(make_config(**overrides))

    @app.get("/_test/card")
    def card() -> str:
        return security.allow_stripe_js()

    client = app.test_client()
    response = client.get("/_test/card")
    assert response.get_data(as_text=True).startswith(origin + "/")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("script-src", "frame-src", "connect-src"):
        assert f"{directive} 'self' {origin}" in csp or f"{directive} {origin}" in csp
    assert csp.count(origin) == 3
    other = client.get("/").headers["Content-Security-Policy"]
    assert origin not in other and "frame-src" not in other


def test_production_refuses_the_stripe_sandbox():
    sandboxed = type(
        "Prod",
        (ProductionConfig,),
        {"SECRET_KEY": "x" * 64, "STRIPE_API_BASE": "http://127.0.0.1:8420"},
    )
    with pytest.raises(RuntimeError, match="sandbox"):
        create_app(sandboxed)
    half = type(
        "Prod", (ProductionConfig,), {"SECRET_KEY": "x" * 64, "STRIPE_SECRET_KEY": "sk_live_x"}
    )
    with pytest.raises(RuntimeError, match="webhook secret"):
        create_app(half)
    real = type(
        "Prod",
        (ProductionConfig,),
        {
            "SECRET_KEY": "x" * 64,
            "STRIPE_SECRET_KEY": "sk_live_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_live",
            "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
        },
    )
    assert create_app(real).config["STRIPE_API_BASE"] is None


def test_reconcile_command_exits_1_on_a_difference(db, app, empty_stripe, stripe_app):
    runner = app.test_cli_runner()
    deal = make_deal(price=10_000)
    payment, _secret = services.start_payment(
        purpose=PaymentPurpose.DEAL_PRICE, payer=deal.buyer_org, amount=10_000, deal=deal, step="p"
    )
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "No differences." in result.output

    db.session.execute(sa.update(Payment).where(Payment.id == payment.id).values(amount=9_999))
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 1
    assert f"payment {payment.id} ({payment.provider_ref}): amount" in result.output
