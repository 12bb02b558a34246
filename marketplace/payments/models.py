"""Payments: money in (Stripe PaymentIntents or a bank custody account), held in escrow, and out
(refunds, payouts), every movement one balanced journal entry of a double-entry ledger in fen.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db

# --- the ledger ----------------------------------------------------------------------------------


class AccountKind(enum.StrEnum):
    ASSET = "asset"  # money the platform holds (clearing at Stripe, the custody account)
    LIABILITY = "liability"  # money it owes (escrow per deal, payables)
    REVENUE = "revenue"  # the platform's fees


class LedgerAccount(db.Model):
    """One account; ``balance`` is the running sum of its postings in the account's normal
    direction (debit for assets, credit for liabilities and revenue), so it is never negative
    unless the account allows it -- a CHECK constraint refuses the rest."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        sa.CheckConstraint("balance >= 0 OR may_go_negative", name="balance"),
        sa.UniqueConstraint("code", "currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``escrow:deal:12``, ``seller_payable:org:5``, ``broker_payable:org:9``,
    #: ``platform_revenue``, ``stripe_clearing``, ``custody_bank``, ``refunds_payable`` …
    code: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[AccountKind] = mapped_column(enum_type(AccountKind))
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    may_go_negative: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JournalEntry(db.Model):
    """One money movement: postings that sum to zero (debits positive, credits negative)."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``charge``, ``refund``, ``payout``, ``fee``, ``commission``, ``royalty`` …
    kind: Mapped[str] = mapped_column(sa.String(30))
    memo: Mapped[str] = mapped_column(sa.String(300))
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    postings: Mapped[list[Posting]] = relationship(
        back_populates="entry", order_by="Posting.id", cascade="all, delete-orphan"
    )


class Posting(db.Model):
    __tablename__ = "postings"
    __table_args__ = (sa.CheckConstraint("amount <> 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"), index=True)
    #: Signed fen: debit positive, credit negative.
    amount: Mapped[int] = mapped_column(sa.BigInteger)

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()


# --- payments in -------------------------------------------------------------------------------


class PaymentProvider(enum.StrEnum):
    STRIPE = "stripe"
    BANK_CUSTODY = "bank_custody"  # 资金监管账户


class PaymentPurpose(enum.StrEnum):
    DEAL_PRICE = "deal_price"
    ROYALTY = "royalty"
    SERVICE_FEE = "service_fee"  # appraisal and other service orders


class PaymentStatus(enum.StrEnum):
    CREATED = "created"  # intent created / reference issued, nothing received
    SUCCEEDED = "succeeded"  # received and held
    FAILED = "failed"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


PAYMENT_TRANSITIONS: frozenset[tuple[PaymentStatus, PaymentStatus]] = frozenset(
    {
        (PaymentStatus.CREATED, PaymentStatus.SUCCEEDED),
        (PaymentStatus.CREATED, PaymentStatus.FAILED),
        (PaymentStatus.CREATED, PaymentStatus.CANCELLED),
        (PaymentStatus.FAILED, PaymentStatus.SUCCEEDED),  # a retry with another card
        (PaymentStatus.FAILED, PaymentStatus.CANCELLED),
        (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED),
        (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED),
        (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.PARTIALLY_REFUNDED),
        (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED),
    }
)


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.CheckConstraint("refunded >= 0 AND refunded <= amount", name="refunded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[PaymentProvider] = mapped_column(enum_type(PaymentProvider))
    purpose: Mapped[PaymentPurpose] = mapped_column(enum_type(PaymentPurpose))
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_orders.id"), index=True)
    royalty_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("royalty_reports.id"))
    payer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    status: Mapped[PaymentStatus] = mapped_column(
        enum_type(PaymentStatus), default=PaymentStatus.CREATED, index=True
    )
    refunded: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: Stripe's PaymentIntent id, or the custody reference the buyer quotes on the transfer.
    provider_ref: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    #: The idempotency key of the create call: derived from the deal (or order) and the step.
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded_at: Mapped[datetime | None]


class Refund(db.Model):
    __tablename__ = "refunds"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(300))
    provider_ref: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship()


class PayoutMethod(enum.StrEnum):
    STRIPE_TRANSFER = "stripe_transfer"  # Stripe Connect transfer to a connected account
    BANK_TRANSFER = "bank_transfer"  # an instruction the finance user confirms


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"  # a bank-transfer instruction awaiting the finance user
    PAID = "paid"


class Payout(db.Model):
    """Money paid out of escrow to a seller, a broker or (in a disposal) the pledgee bank."""

    __tablename__ = "payouts"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    payee_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: ``seller``, ``broker``, ``pledgee``, ``licensor``, ``provider``.
    role: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    method: Mapped[PayoutMethod] = mapped_column(enum_type(PayoutMethod))
    status: Mapped[PayoutStatus] = mapped_column(
        enum_type(PayoutStatus), default=PayoutStatus.PENDING, index=True
    )
    provider_ref: Mapped[str | None] = mapped_column(sa.String(100))
    bank_reference: Mapped[str | None] = mapped_column(sa.String(100))
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConnectedAccount(db.Model):
    """An organisation's Stripe Connect account, for payouts by transfer."""

    __tablename__ = "connected_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), unique=True)
    stripe_account_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEvent(db.Model):
    """Every Stripe event id processed once: replays are ignored."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    type: Mapped[str] = mapped_column(sa.String(80))
    #: ``applied``, ``ignored: <why>`` or ``rejected: <why>``.
    outcome: Mapped[str] = mapped_column(sa.String(300))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatementLine(db.Model):
    """A credit line of an imported custody-account statement and what it matched."""

    __tablename__ = "statement_lines"
    __table_args__ = (sa.UniqueConstraint("statement_sha256", "line_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_sha256: Mapped[str] = mapped_column(sa.String(64))
    line_number: Mapped[int]
    booked_on: Mapped[date]
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    reference: Mapped[str] = mapped_column(sa.String(200))
    counterparty: Mapped[str] = mapped_column(sa.String(200), default="")
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"))
    #: Why it matched nothing (never guessed): ``no_reference``, ``amount_differs`` …
    unmatched_reason: Mapped[str | None] = mapped_column(sa.String(100))
    imported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
