"""Payments: start a payment, apply what the provider reports, refund, release escrow, pay out,
reconcile with Stripe.

Every function flushes and never commits: the view, API handler, webhook or CLI command commits
once. Each money movement is one balanced ledger entry written in the same transaction as the
status change it belongs to. Stripe calls carry idempotency keys derived from the object and
the step, so a retried request (or a transaction rolled back after the call) repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Organisation, User
from marketplace.core import audit, policy
from marketplace.core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.money import MINOR_UNITS
from marketplace.extensions import db
from marketplace.payments import gateway, ledger
from marketplace.payments.errors import EscrowProblem, PaymentConflict, RefundTooLarge
from marketplace.payments.models import (
    PAYMENT_TRANSITIONS,
    AccountKind,
    ConnectedAccount,
    JournalEntry,
    LedgerAccount,
    Payment,
    PaymentProvider,
    PaymentPurpose,
    PaymentStatus,
    Payout,
    PayoutMethod,
    PayoutStatus,
    Posting,
    Refund,
    WebhookEvent,
)
from marketplace.payments.providers import provider_for

if TYPE_CHECKING:
    from marketplace.deals.models import Deal, RoyaltyReport
    from marketplace.orders.models import ServiceOrder

PaymentHook = Callable[[Payment], None]
#: Called in the same transaction when a payment has been received and put in escrow; the
#: deals package registers one that marks the deal funded.
ON_PAYMENT_SUCCEEDED: list[PaymentHook] = []

#: Statuses in which the money has been received (some of it may have been refunded since).
RECEIVED = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)
AWAITING = frozenset({PaymentStatus.CREATED, PaymentStatus.FAILED})


# --- small helpers --------------------------------------------------------------------------------


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def lock(obj: Any) -> None:
    """Lock ``obj``'s row until the transaction ends (PostgreSQL) and reload it, so the checks
    that follow see what the winner of a race wrote. SQLite serialises writers anyway."""
    model = type(obj)
    query = sa.select(model).where(model.id == obj.id).execution_options(populate_existing=True)
    if _is_postgres():
        query = query.with_for_update()
    db.session.execute(query)


def move_payment(payment: Payment, new: PaymentStatus, *, actor: User | None, **after: Any) -> None:
    """:raises IllegalTransition: the step is not in :data:`PAYMENT_TRANSITIONS`."""
    if (payment.status, new) not in PAYMENT_TRANSITIONS:
        raise IllegalTransition(_("The payment cannot make that step now."))
    before = payment.status
    payment.status = new
    audit.record(
        f"payment.{new.value}",
        payment,
        actor=actor,
        organisation=None,
        before={"status": before},
        after={"status": new, **after},
    )


def _check_money(amount: object, currency: str) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = [_("The amount must be a positive whole number of fen.")]
    if currency not in MINOR_UNITS:
        errors["currency"] = [_("This currency is not supported.")]
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), fields=errors)


def escrow_account_code(payment: Payment) -> str:
    """Where a payment's money is held until it is paid out or refunded."""
    if payment.purpose is PaymentPurpose.DEAL_PRICE:
        assert payment.deal_id is not None
        return ledger.escrow_code("deal", payment.deal_id)
    if payment.purpose is PaymentPurpose.ROYALTY:
        assert payment.royalty_report_id is not None
        return ledger.escrow_code("royalty", payment.royalty_report_id)
    assert payment.order_id is not None
    return ledger.escrow_code("order", payment.order_id)


def payment_key(
    *,
    step: str,
    deal: Deal | None = None,
    order: ServiceOrder | None = None,
    royalty_report: RoyaltyReport | None = None,
) -> str:
    """``deal-12-price-1``: the idempotency key of a payment's create call."""
    if royalty_report is not None:
        return f"royalty-{royalty_report.id}-{step}"
    if deal is not None:
        return f"deal-{deal.id}-{step}"
    if order is not None:
        return f"order-{order.id}-{step}"
    raise ValueError("a payment is for a deal, a service order or a royalty report")


# --- money in -------------------------------------------------------------------------------------


def start_payment(
    *,
    purpose: PaymentPurpose,
    payer: Organisation,
    amount: int,
    currency: str = "CNY",
    deal: Deal | None = None,
    order: ServiceOrder | None = None,
    royalty_report: RoyaltyReport | None = None,
    step: str,
    provider: PaymentProvider = PaymentProvider.STRIPE,
) -> tuple[Payment, str]:
    """Open a payment, or return the one already opened for the same object and step.

    Returns the payment and what the payer needs: Stripe's client secret for Stripe.js, or the
    reference to quote on a bank transfer into the custody account.

    :raises ValidationFailed: a bad amount or currency, or a purpose without its object.
    :raises PaymentConflict: the same step was opened with other terms, or was cancelled.
    :raises PaymentProviderError: Stripe refused or could not be reached (nothing written).
    """
    _check_money(amount, currency)
    needs = {
        PaymentPurpose.DEAL_PRICE: deal,
        PaymentPurpose.ROYALTY: royalty_report,
        PaymentPurpose.SERVICE_FEE: order,
    }
    if needs[purpose] is None:
        raise ValidationFailed(_("This payment is not for anything."))
    deal_id = deal.id if deal is not None else None
    if royalty_report is not None:
        deal_id = royalty_report.deal_id
    key = payment_key(step=step, deal=deal, order=order, royalty_report=royalty_report)
    existing = _payment_by_key(key)
    if existing is None:
        payment = Payment(
            provider=provider,
            purpose=purpose,
            deal_id=deal_id,
            order_id=order.id if order is not None else None,
            royalty_report_id=royalty_report.id if royalty_report is not None else None,
            payer_org_id=payer.id,
            amount=amount,
            currency=currency,
            status=PaymentStatus.CREATED,
            refunded=0,
            idempotency_key=key,
        )
        try:
            # On PostgreSQL a concurrent twin waits here on the unique key until we commit.
            # A provider error rolls the insert back with it: nothing half-written.
            with db.session.begin_nested():
                db.session.add(payment)
                db.session.flush()
                secret = provider_for(provider).start(payment)
                db.session.flush()
        except IntegrityError:
            existing = _payment_by_key(key)
            if existing is None:
                raise
        else:
            audit.record(
                "payment.created",
                payment,
                actor=None,
                organisation=payer,
                after={"amount": amount, "currency": currency, "provider": provider},
            )
            return payment, secret
    if (
        existing.amount != amount
        or existing.currency != currency
        or existing.payer_org_id != payer.id
        or existing.provider is not provider
    ):
        raise PaymentConflict(_("This payment was already opened with other terms."))
    if existing.status is PaymentStatus.CANCELLED:
        raise PaymentConflict(_("This payment was cancelled; open a new one."))
    return existing, provider_for(existing.provider).resume(existing)


def _payment_by_key(key: str) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(Payment.idempotency_key == key))


def apply_received(payment: Payment, *, actor: User | None = None, **after: Any) -> JournalEntry:
    """The money has arrived: SUCCEEDED, into escrow (one entry), then the hooks. The caller
    holds the payment's row lock and has checked amount, currency and status."""
    source = provider_for(payment.provider).asset_account
    escrow = escrow_account_code(payment)
    entry = ledger.post(
        "charge",
        f"payment {payment.id} received into {escrow}",
        [(source, payment.amount), (escrow, -payment.amount)],
        deal=_deal(payment.deal_id),
        payment=payment,
        currency=payment.currency,
    )
    payment.succeeded_at = utcnow()
    move_payment(payment, PaymentStatus.SUCCEEDED, actor=actor, entry=entry.id, **after)
    for hook in ON_PAYMENT_SUCCEEDED:
        hook(payment)
    return entry


def cancel_payment(payment: Payment, *, actor: User | None) -> None:
    """Cancel a payment nothing was received for (and its PaymentIntent at Stripe)."""
    lock(payment)
    if payment.status not in AWAITING:
        raise IllegalTransition(_("The payment cannot make that step now."))
    if payment.provider is PaymentProvider.STRIPE and payment.provider_ref:
        intent = gateway.retrieve_payment_intent(payment.provider_ref)
        if intent.status != "canceled":
            gateway.cancel_payment_intent(payment.provider_ref)
    move_payment(payment, PaymentStatus.CANCELLED, actor=actor)


# --- webhooks -------------------------------------------------------------------------------------

SUCCEEDED_EVENT = "payment_intent.succeeded"
FAILED_EVENT = "payment_intent.payment_failed"


def handle_event(event: Mapping[str, Any]) -> str:
    """Apply one verified Stripe event at most once; returns the recorded outcome:
    ``applied``, ``ignored: <why>`` or ``rejected: <why>``.

    An event id seen before is ignored (a concurrent twin waits on the unique event id until
    the first commits, then is ignored). The payment is row-locked; amount and currency must
    match it; a ``payment_failed`` after ``succeeded`` and a repeated ``succeeded`` change
    nothing.
    """
    event_id = str(event.get("id") or "")
    event_type = str(event.get("type") or "")
    if not event_id:
        return "ignored: no event id"
    record = WebhookEvent(event_id=event_id[:100], type=event_type[:80], outcome="processing")
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        return "ignored: already processed"
    outcome = _apply_event(event_type, (event.get("data") or {}).get("object") or {})
    record.outcome = outcome[:300]
    db.session.flush()
    return outcome


def _apply_event(event_type: str, obj: Mapping[str, Any]) -> str:
    if event_type not in (SUCCEEDED_EVENT, FAILED_EVENT):
        return f"ignored: {event_type or 'no type'}"
    intent_id = obj.get("id")
    query = sa.select(Payment).where(
        Payment.provider == PaymentProvider.STRIPE, Payment.provider_ref == intent_id
    )
    if _is_postgres():
        query = query.with_for_update()
    payment = db.session.scalar(query.execution_options(populate_existing=True))
    if payment is None:
        return "ignored: unknown payment intent"
    amount, currency = obj.get("amount"), str(obj.get("currency") or "").upper()
    if amount != payment.amount or currency != payment.currency:
        return (
            f"rejected: amount {amount} {currency} differs from {payment.amount} {payment.currency}"
        )
    if event_type == SUCCEEDED_EVENT:
        received = obj.get("amount_received")
        if received is not None and received != payment.amount:
            return f"rejected: amount received {received} differs from {payment.amount}"
        if payment.status in RECEIVED:
            return "ignored: already succeeded"
        if payment.status not in AWAITING:
            return f"rejected: payment is {payment.status.value}"
        apply_received(payment, intent=intent_id)
        return "applied"
    if payment.status is not PaymentStatus.CREATED:
        return f"ignored: payment is {payment.status.value}"
    error = obj.get("last_payment_error") or {}
    move_payment(
        payment,
        PaymentStatus.FAILED,
        actor=None,
        reason=str(error.get("message") or "")[:200] if isinstance(error, Mapping) else "",
    )
    return "applied"


# --- refunds --------------------------------------------------------------------------------------


def refund(
    payment: Payment, amount: int, *, reason: str, step: str, actor: User | None = None
) -> Refund:
    """Refund ``amount`` of a received payment out of its escrow; a repeat of the same step
    returns the first refund and sends nothing.

    :raises RefundTooLarge: more than is left of the payment or in its escrow.
    :raises IllegalTransition: nothing was received.
    :raises PaymentProviderError: Stripe refused (nothing written).
    """
    key = f"payment-{payment.id}-refund-{step}"
    existing: Refund | None = db.session.scalar(
        sa.select(Refund).where(Refund.idempotency_key == key)
    )
    if existing is not None:
        if existing.payment_id != payment.id or existing.amount != amount:
            raise PaymentConflict(_("This refund was already made with another amount."))
        return existing
    _check_money(amount, payment.currency)
    lock(payment)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise IllegalTransition(_("Only a received payment can be refunded."))
    left = payment.amount - payment.refunded
    escrow = escrow_account_code(payment)
    in_escrow = ledger.balance_of(escrow, payment.currency)
    if amount > left or amount > in_escrow:
        raise RefundTooLarge(
            _(
                "At most %(amount)s fen can be refunded: that is what is left of the payment "
                "and in its escrow.",
                amount=min(left, in_escrow),
            )
        )
    with db.session.begin_nested():
        return _refund(payment, amount, escrow=escrow, reason=reason, key=key, actor=actor)


def _refund(
    payment: Payment, amount: int, *, escrow: str, reason: str, key: str, actor: User | None
) -> Refund:
    row = Refund(payment_id=payment.id, amount=amount, reason=reason[:300], idempotency_key=key)
    db.session.add(row)
    db.session.flush()
    source = provider_for(payment.provider).asset_account
    ledger.post(
        "refund",
        f"refund {row.id} of payment {payment.id}: {reason}",
        [(escrow, amount), (source, -amount)],
        deal=_deal(payment.deal_id),
        payment=payment,
        currency=payment.currency,
    )
    payment.refunded += amount
    new = (
        PaymentStatus.REFUNDED
        if payment.refunded == payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    move_payment(payment, new, actor=actor, refund=row.id, amount=amount, reason=reason[:200])
    # Last, once the ledger accepted it: a rollback after this call is repaired by the retry,
    # whose identical idempotency key makes Stripe answer with this same refund.
    row.provider_ref = provider_for(payment.provider).refund(payment, row)
    db.session.flush()
    return row


# --- money out ------------------------------------------------------------------------------------

Split = tuple[Organisation, str, int]


def fee_split(price: int, *, platform_fee_bp: int, commission_bp: int) -> tuple[int, int, int]:
    """``(platform fee, broker commission, seller)`` of ``price`` in fen: fee and commission
    are floored, the seller gets the rest, so the three always sum to ``price``."""
    if price < 0 or not 0 <= platform_fee_bp <= 10_000 or not 0 <= commission_bp <= 10_000:
        raise ValueError("price and rates must be non-negative, rates at most 10 000 bp")
    fee = price * platform_fee_bp // 10_000
    commission = price * commission_bp // 10_000
    if fee + commission > price:
        raise ValueError("fee and commission exceed the price")
    return fee, commission, price - fee - commission


def funding_asset(deal_id: int | None) -> str:
    """The asset account a deal's money came in through: the custody account if any of its
    payments was a bank transfer, else Stripe's clearing account."""
    if deal_id is not None:
        custody = db.session.scalar(
            sa.select(sa.func.count(Payment.id)).where(
                Payment.deal_id == deal_id,
                Payment.provider == PaymentProvider.BANK_CUSTODY,
                Payment.status.in_(RECEIVED),
            )
        )
        if custody:
            return ledger.CUSTODY_BANK
    return ledger.STRIPE_CLEARING


def release_escrow(
    deal: Deal, *, splits: Sequence[Split], fee: int, actor: User | None
) -> list[Payout]:
    """Pay out a deal's whole escrow: the platform fee to revenue and each split to its payee.

    ``splits`` are ``(organisation, role, amount)`` with roles ``seller``, ``broker``,
    ``pledgee``, ``licensor`` (a disposal pays the pledgee first). One balanced entry moves the
    escrow to the payables; then each payee with a Stripe connected account (and money that
    came in through Stripe) is paid by a Connect transfer at once, everyone else gets a
    bank-transfer instruction that the operator's finance user confirms.

    :raises EscrowProblem: nothing in escrow, or fee and splits do not add up to it.
    """
    return release_funds(
        ledger.escrow_code("deal", deal.id),
        splits=splits,
        fee=fee,
        actor=actor,
        deal_id=deal.id,
        currency=deal.currency,
        key_prefix=f"deal-{deal.id}",
    )


def release_royalty(
    report: RoyaltyReport, *, splits: Sequence[Split], fee: int, actor: User | None
) -> list[Payout]:
    """Pay out a royalty report's collected royalty (see :func:`release_escrow`)."""
    return release_funds(
        ledger.escrow_code("royalty", report.id),
        splits=splits,
        fee=fee,
        actor=actor,
        deal_id=report.deal_id,
        currency="CNY",
        key_prefix=f"royalty-{report.id}",
    )


def release_funds(
    escrow: str,
    *,
    splits: Sequence[Split],
    fee: int,
    actor: User | None,
    deal_id: int | None,
    currency: str,
    key_prefix: str,
) -> list[Payout]:
    with db.session.begin_nested():
        return _release(
            escrow,
            splits=splits,
            fee=fee,
            actor=actor,
            deal_id=deal_id,
            currency=currency,
            key_prefix=key_prefix,
        )


def _release(
    escrow: str,
    *,
    splits: Sequence[Split],
    fee: int,
    actor: User | None,
    deal_id: int | None,
    currency: str,
    key_prefix: str,
) -> list[Payout]:
    account = ledger.account(escrow, currency=currency)
    lock(account)
    held = account.balance
    if held <= 0:
        raise EscrowProblem(_("There is nothing in escrow to release."))
    if fee < 0 or any(amount < 0 for _org, _role, amount in splits):
        raise EscrowProblem(_("Fee and payouts cannot be negative."))
    if fee + sum(amount for _org, _role, amount in splits) != held:
        raise EscrowProblem(
            _("Fee and payouts must add up to the %(held)s fen held in escrow.", held=held)
        )
    lines: list[ledger.Line] = [(account, held)]
    if fee:
        lines.append((ledger.PLATFORM_REVENUE, -fee))
    paid = [(org, role, amount) for org, role, amount in splits if amount]
    for org, role, amount in paid:
        lines.append((ledger.payable_code(role, org.id), -amount))
    # Payout keys name the round: a second release of the same escrow (more money came in)
    # must not reuse the first one's transfer keys.
    round_ = 1 + int(
        db.session.scalar(
            sa.select(sa.func.count(Posting.id))
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(
                JournalEntry.kind == "release",
                Posting.account_id == account.id,
                Posting.amount > 0,
            )
        )
        or 0
    )
    deal = _deal(deal_id)
    ledger.post(
        "release", f"{escrow} released (round {round_})", lines, deal=deal, currency=currency
    )
    source = funding_asset(deal_id)
    payouts = []
    for org, role, amount in paid:
        connected = db.session.scalar(
            sa.select(ConnectedAccount).where(ConnectedAccount.organisation_id == org.id)
        )
        by_stripe = connected is not None and source == ledger.STRIPE_CLEARING
        payout = Payout(
            deal_id=deal_id,
            payee_org_id=org.id,
            role=role,
            amount=amount,
            currency=currency,
            method=PayoutMethod.STRIPE_TRANSFER if by_stripe else PayoutMethod.BANK_TRANSFER,
            status=PayoutStatus.PENDING,
            idempotency_key=f"{key_prefix}-payout-{round_}-{role}-org-{org.id}",
        )
        db.session.add(payout)
        db.session.flush()
        if by_stripe:
            assert connected is not None
            transfer = gateway.create_transfer(
                amount,
                currency,
                connected.stripe_account_id,
                idempotency_key=payout.idempotency_key,
                metadata={"payout_id": str(payout.id), "escrow": escrow},
            )
            payout.provider_ref = transfer.id
            _mark_paid(payout, source=ledger.STRIPE_CLEARING, actor=actor)
        payouts.append(payout)
    audit.record(
        "payments.release",
        ("ledger_accounts", account.id),
        actor=actor,
        after={"escrow": escrow, "fee": fee, "payouts": [p.id for p in payouts]},
    )
    return payouts


def _deal(deal_id: int | None) -> Deal | None:
    if deal_id is None:
        return None
    from marketplace.deals.models import Deal

    return db.session.get(Deal, deal_id)


def _mark_paid(payout: Payout, *, source: str, actor: User | None) -> None:
    ledger.post(
        "payout",
        f"payout {payout.id} to {payout.role} org {payout.payee_org_id}",
        [
            (ledger.payable_code(payout.role, payout.payee_org_id), payout.amount),
            (source, -payout.amount),
        ],
        deal=_deal(payout.deal_id),
        currency=payout.currency,
    )
    payout.status = PayoutStatus.PAID
    payout.paid_at = utcnow()
    audit.record(
        "payout.paid",
        payout,
        actor=actor,
        after={
            "method": payout.method,
            "amount": payout.amount,
            "provider_ref": payout.provider_ref,
            "bank_reference": payout.bank_reference,
        },
    )


def confirm_payout(payout: Payout, *, bank_reference: str, actor: User) -> Payout:
    """The operator's finance user confirms a bank-transfer payout with the bank's reference.

    :raises PermissionDenied: ``actor`` is not the operator's finance user.
    :raises IllegalTransition: already paid, or paid by Stripe.
    :raises ValidationFailed: no bank reference.
    """
    if not policy.can(actor, "payments.finance"):
        raise PermissionDenied(_("You are not allowed to do that."))
    reference = (bank_reference or "").strip()
    if not reference or len(reference) > 100:
        raise ValidationFailed(
            _("Enter the bank's reference of the transfer."),
            fields={"bank_reference": [_("Enter the bank's reference (at most 100 characters).")]},
        )
    lock(payout)
    if payout.status is not PayoutStatus.PENDING or payout.method is not PayoutMethod.BANK_TRANSFER:
        raise IllegalTransition(_("This payout is not waiting for a bank transfer."))
    payout.bank_reference = reference
    payout.confirmed_by_id = actor.id
    _mark_paid(payout, source=funding_asset(payout.deal_id), actor=actor)
    return payout


def get_payout(payout_id: int) -> Payout:
    payout = db.session.get(Payout, payout_id)
    if payout is None:
        raise NotFound(_("Not found."))
    return payout


# --- reconciliation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One thing the platform and Stripe (or the ledger and the payments) disagree on."""

    subject: str  # ``payment 12 (pi_…)``, ``ledger``, ``stripe pi_…``
    field: str  # ``amount``, ``status``, ``refunded``, ``ledger`` …
    platform: str
    provider: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.field} platform={self.platform} provider={self.provider}"


#: Stripe's PaymentIntent statuses each of our statuses is consistent with.
STRIPE_STATUSES: dict[PaymentStatus, frozenset[str]] = {
    PaymentStatus.CREATED: frozenset(
        {"requires_payment_method", "requires_confirmation", "requires_action", "processing"}
    ),
    PaymentStatus.FAILED: frozenset({"requires_payment_method", "requires_confirmation"}),
    PaymentStatus.CANCELLED: frozenset({"canceled"}),
    PaymentStatus.SUCCEEDED: frozenset({"succeeded"}),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset({"succeeded"}),
    PaymentStatus.REFUNDED: frozenset({"succeeded"}),
}


def reconcile() -> list[Difference]:
    """Compare the ledger with itself and with the payments, and the payments with Stripe's
    PaymentIntents and refunds; every difference is listed, none is repaired."""
    differences: list[Difference] = []
    trial = ledger.trial_balance()
    if trial.total:
        differences.append(Difference("ledger", "sum of postings", str(trial.total), "0"))
    for code, currency, stored, computed in trial.mismatches:
        differences.append(
            Difference(f"account {code} {currency}", "balance", str(stored), str(computed))
        )
    payments = list(db.session.scalars(sa.select(Payment).order_by(Payment.id)))
    differences.extend(_ledger_differences(payments))
    stripe_payments = [p for p in payments if p.provider is PaymentProvider.STRIPE]
    intents = {intent.id: intent for intent in gateway.list_payment_intents()}
    known = {p.provider_ref for p in stripe_payments}
    for payment in stripe_payments:
        differences.extend(_stripe_differences(payment, intents))
    for intent in intents.values():
        if intent.id not in known and intent.metadata.get("platform") == "iptown":
            differences.append(
                Difference(
                    f"stripe {intent.id}", "payment", "none", f"{intent.amount} {intent.status}"
                )
            )
    return differences


def _ledger_differences(payments: Sequence[Payment]) -> list[Difference]:
    """Each payment's charge and refund entries must match what it says was received."""
    differences = []
    refunds = dict(
        db.session.execute(
            sa.select(Refund.payment_id, sa.func.sum(Refund.amount)).group_by(Refund.payment_id)
        ).all()
    )
    net_by_payment = dict(
        db.session.execute(
            sa.select(JournalEntry.payment_id, sa.func.sum(Posting.amount))
            .join(Posting, Posting.entry_id == JournalEntry.id)
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .where(
                JournalEntry.payment_id.is_not(None),
                JournalEntry.kind.in_(("charge", "refund")),
                LedgerAccount.kind == AccountKind.ASSET,
            )
            .group_by(JournalEntry.payment_id)
        ).all()
    )
    for payment in payments:
        subject = f"payment {payment.id} ({payment.provider_ref})"
        received = payment.amount if payment.status in RECEIVED else 0
        expected = received - payment.refunded
        in_ledger = int(net_by_payment.get(payment.id) or 0)
        if in_ledger != expected:
            differences.append(Difference(subject, "ledger", str(expected), str(in_ledger)))
        refunded_rows = int(refunds.get(payment.id) or 0)
        if refunded_rows != payment.refunded:
            differences.append(
                Difference(subject, "refund rows", str(payment.refunded), str(refunded_rows))
            )
    return differences


def _stripe_differences(payment: Payment, intents: dict[str, gateway.Intent]) -> list[Difference]:
    subject = f"payment {payment.id} ({payment.provider_ref})"
    if payment.provider_ref is None:
        return [Difference(subject, "intent", "none", "none")]
    intent = intents.get(payment.provider_ref)
    if intent is None:
        try:
            intent = gateway.retrieve_payment_intent(payment.provider_ref)
        except gateway.PaymentProviderError:
            return [Difference(subject, "intent", payment.provider_ref, "missing")]
    differences = []
    if intent.amount != payment.amount:
        differences.append(Difference(subject, "amount", str(payment.amount), str(intent.amount)))
    if intent.currency != payment.currency:
        differences.append(Difference(subject, "currency", payment.currency, intent.currency))
    if intent.status not in STRIPE_STATUSES[payment.status]:
        differences.append(Difference(subject, "status", payment.status.value, intent.status))
    if intent.status == "succeeded" or payment.refunded:
        stripe_refunds = [
            r for r in gateway.list_refunds(intent.id) if r.status in ("succeeded", "pending")
        ]
        refunded = sum(r.amount for r in stripe_refunds)
        if refunded != payment.refunded:
            differences.append(
                Difference(subject, "refunded", str(payment.refunded), str(refunded))
            )
    return differences
