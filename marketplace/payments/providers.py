"""The small interface between the payment services and a way money comes in.

Two providers: Stripe (cards now; Alipay and WeChat Pay with live keys) for cross-border buyers
and licensees, and the bank custody account (资金监管账户, ``custody.py``) for domestic deals,
since holding buyers' funds in mainland China requires a licensed payment institution or a bank
custody account.
"""

from __future__ import annotations

from typing import Protocol

from marketplace.payments import gateway, ledger
from marketplace.payments.models import Payment, PaymentProvider, Refund


class Provider(Protocol):
    #: The asset account money received through this provider lands on.
    asset_account: str

    def start(self, payment: Payment) -> str:
        """Open the payment with the provider (sets ``payment.provider_ref``) and return what
        the payer needs: Stripe's client secret, or the reference to quote on a transfer."""

    def resume(self, payment: Payment) -> str:
        """The same for a payment already started (an idempotent repeat)."""

    def refund(self, payment: Payment, refund: Refund) -> str | None:
        """Send the money back; returns the provider's id of the refund, if it has one."""


class StripeProvider:
    asset_account = ledger.STRIPE_CLEARING

    def start(self, payment: Payment) -> str:
        intent = gateway.create_payment_intent(
            payment.amount,
            payment.currency,
            idempotency_key=payment.idempotency_key,
            metadata=_metadata(payment),
        )
        payment.provider_ref = intent.id
        return intent.client_secret or ""

    def resume(self, payment: Payment) -> str:
        if payment.provider_ref is None:
            return self.start(payment)
        return gateway.retrieve_payment_intent(payment.provider_ref).client_secret or ""

    def refund(self, payment: Payment, refund: Refund) -> str | None:
        assert payment.provider_ref is not None
        return gateway.create_refund(
            payment.provider_ref,
            refund.amount,
            idempotency_key=refund.idempotency_key,
            metadata={"refund_id": str(refund.id), "payment_id": str(payment.id)},
        ).id


def _metadata(payment: Payment) -> dict[str, str]:
    data = {"platform": "iptown", "payment_id": str(payment.id), "purpose": payment.purpose.value}
    if payment.deal_id:
        data["deal_id"] = str(payment.deal_id)
    if payment.order_id:
        data["order_id"] = str(payment.order_id)
    if payment.royalty_report_id:
        data["royalty_report_id"] = str(payment.royalty_report_id)
    return data


def provider_for(kind: PaymentProvider) -> Provider:
    if kind is PaymentProvider.STRIPE:
        return StripeProvider()
    from marketplace.payments.custody import BankCustodyProvider

    return BankCustodyProvider()
