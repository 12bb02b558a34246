"""The one module that talks to Stripe (and the only one that imports ``stripe``).

Configured from the app: ``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE`` (the local sandbox's URL, or
None for the real Stripe), ``STRIPE_WEBHOOK_SECRET``. Every create call carries an idempotency
key chosen by the caller from the object and the step, so a retry never charges, refunds or
transfers twice. Since stripe 15 its objects are not dicts: we read attributes and hand plain
values and dicts to the rest of the platform.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import stripe
from flask import current_app
from flask_babel import gettext as _

from marketplace.core.errors import DomainError

#: Stripe's recommended tolerance for the signature's timestamp, seconds.
WEBHOOK_TOLERANCE = 300


class PaymentProviderError(DomainError):
    """Stripe refused the call or could not be reached."""

    status = 502
    code = "payment_provider_error"


class BadSignature(Exception):
    """A webhook payload whose signature does not verify."""


@dataclass(frozen=True)
class Intent:
    id: str
    amount: int
    currency: str
    status: str
    client_secret: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class StripeRefund:
    id: str
    payment_intent: str | None
    amount: int
    currency: str
    status: str


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    currency: str
    destination: str


def client() -> stripe.StripeClient:
    config = current_app.config
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise PaymentProviderError(_("Card payments are not configured."))
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else {},
        max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 1)),
    )


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as exc:
        current_app.logger.warning("Stripe call failed: %s", exc)
        raise PaymentProviderError(
            _("The payment provider refused the request: %(error)s", error=exc.user_message or "")
        ) from exc


def _plain(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    return dict(obj.to_dict()) if hasattr(obj, "to_dict") else dict(obj)


def _intent(obj: Any) -> Intent:
    return Intent(
        id=obj.id,
        amount=int(obj.amount),
        currency=str(obj.currency).upper(),
        status=str(obj.status),
        client_secret=getattr(obj, "client_secret", None),
        metadata={str(k): str(v) for k, v in _plain(getattr(obj, "metadata", None)).items()},
    )


def _refund(obj: Any) -> StripeRefund:
    return StripeRefund(
        id=obj.id,
        payment_intent=getattr(obj, "payment_intent", None),
        amount=int(obj.amount),
        currency=str(obj.currency).upper(),
        status=str(obj.status),
    )


def create_payment_intent(
    amount: int,
    currency: str,
    *,
    idempotency_key: str,
    metadata: Mapping[str, str],
    capture: Literal["automatic", "manual"] = "automatic",
) -> Intent:
    """A card PaymentIntent for ``amount`` minor units; the buyer confirms it with Stripe.js."""
    obj = _call(
        client().v1.payment_intents.create,
        params={
            "amount": amount,
            "currency": currency.lower(),
            "capture_method": capture,
            "payment_method_types": ["card"],
            "metadata": dict(metadata),
        },
        options={"idempotency_key": idempotency_key},
    )
    return _intent(obj)


def retrieve_payment_intent(intent_id: str) -> Intent:
    return _intent(_call(client().v1.payment_intents.retrieve, intent_id))


def confirm_with_card(intent_id: str, *, token: str, card: str) -> Intent:
    """Server-side confirmation with the card Stripe.js tokenised in the buyer's browser (card
    data never reaches the platform). Real Stripe takes the token as ``payment_method_data``;
    the local sandbox, which has no token payment methods, takes the token's card object.
    ``requires_action`` means the browser must finish 3-D Secure with ``confirmCardPayment``."""
    sandbox = bool(current_app.config.get("STRIPE_API_BASE"))
    intents = client().v1.payment_intents
    if sandbox:
        _call(intents.update, intent_id, params={"payment_method": card})
        obj = _call(intents.confirm, intent_id)
    else:
        obj = _call(
            intents.confirm,
            intent_id,
            params={"payment_method_data": {"type": "card", "card": {"token": token}}},
        )
    return _intent(obj)


def cancel_payment_intent(intent_id: str) -> Intent:
    return _intent(_call(client().v1.payment_intents.cancel, intent_id))


def create_refund(
    payment_intent: str, amount: int, *, idempotency_key: str, metadata: Mapping[str, str]
) -> StripeRefund:
    obj = _call(
        client().v1.refunds.create,
        params={"payment_intent": payment_intent, "amount": amount, "metadata": dict(metadata)},
        options={"idempotency_key": idempotency_key},
    )
    return _refund(obj)


def create_transfer(
    amount: int,
    currency: str,
    destination: str,
    *,
    idempotency_key: str,
    metadata: Mapping[str, str],
) -> Transfer:
    """A Connect transfer from the platform's balance to a connected account."""
    obj = _call(
        client().v1.transfers.create,
        params={
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "metadata": dict(metadata),
        },
        options={"idempotency_key": idempotency_key},
    )
    return Transfer(
        id=obj.id,
        amount=int(obj.amount),
        currency=str(obj.currency).upper(),
        destination=str(obj.destination),
    )


def list_payment_intents() -> Iterator[Intent]:
    """Every PaymentIntent of the account, page after page."""
    page = _call(client().v1.payment_intents.list, params={"limit": 100})
    for obj in page.auto_paging_iter():
        yield _intent(obj)


def list_refunds(payment_intent: str) -> list[StripeRefund]:
    page = _call(client().v1.refunds.list, params={"payment_intent": payment_intent, "limit": 100})
    return [_refund(obj) for obj in page.auto_paging_iter()]


def construct_event(payload: bytes, sig_header: str | None) -> dict[str, Any]:
    """The verified event as plain JSON. :raises BadSignature: missing or wrong signature, or a
    timestamp outside the tolerance."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not sig_header:
        raise BadSignature("missing signature or secret")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), sig_header, secret, WEBHOOK_TOLERANCE
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise BadSignature(str(exc)) from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise BadSignature("not JSON") from exc
    if not isinstance(event, dict):
        raise BadSignature("not an event")
    return event


def stripe_js_url() -> str:
    """Stripe.js: the configured URL, else the sandbox's stand-in when the API is the sandbox,
    else Stripe's own."""
    config = current_app.config
    if config.get("STRIPE_JS_URL"):
        return str(config["STRIPE_JS_URL"])
    if config.get("STRIPE_API_BASE"):
        return str(config["STRIPE_API_BASE"]).rstrip("/") + "/js.stripe.com/v3/"
    return "https://js.stripe.com/v3/"
