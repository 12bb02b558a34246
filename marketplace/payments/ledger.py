"""The double-entry ledger, in integer minor units (fen).

Every money movement is one :class:`JournalEntry` whose postings sum to zero (debits positive,
credits negative), written in the same transaction as the state change it belongs to. Each
account keeps a running ``balance`` in its normal direction: assets go up with debits,
liabilities and revenue with credits. A CHECK constraint (``balance >= 0 OR may_go_negative``)
makes a balance that may not go negative unable to, whatever the code above it does.

Accounts (one per code and currency):

==============================  =========  ===================================================
``stripe_clearing``             asset      money received through Stripe, not yet paid out
``custody_bank``                asset      money in the bank custody account (资金监管账户)
``escrow:deal:<id>``            liability  a deal's price held for the seller (and broker …)
``escrow:order:<id>``           liability  a service order's fee held for the provider
``escrow:royalty:<id>``         liability  a royalty report's payment held for the licensor
``<role>_payable:org:<id>``     liability  owed to an organisation: ``seller``, ``broker``,
                                           ``pledgee``, ``licensor``, ``provider``
``platform_revenue``            revenue    the platform's fees
==============================  =========  ===================================================

A refund moves money from escrow straight back out of the asset it came in through (no
separate refunds account: it is paid in the same call).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from marketplace.core.errors import Conflict
from marketplace.extensions import db
from marketplace.payments.models import AccountKind, JournalEntry, LedgerAccount, Payment, Posting

if TYPE_CHECKING:
    from marketplace.deals.models import Deal

STRIPE_CLEARING = "stripe_clearing"
CUSTODY_BANK = "custody_bank"
PLATFORM_REVENUE = "platform_revenue"
PAYABLE_ROLES = frozenset({"seller", "broker", "pledgee", "licensor", "provider"})
ESCROW_SUBJECTS = frozenset({"deal", "order", "royalty"})


class NegativeBalance(Conflict):
    """The movement would take an account below zero that may not go there."""

    code = "negative_balance"


def escrow_code(subject: str, subject_id: int) -> str:
    if subject not in ESCROW_SUBJECTS:
        raise ValueError(f"no escrow for {subject!r}")
    return f"escrow:{subject}:{subject_id}"


def payable_code(role: str, org_id: int) -> str:
    if role not in PAYABLE_ROLES:
        raise ValueError(f"no payable for role {role!r}")
    return f"{role}_payable:org:{org_id}"


def kind_of(code: str) -> AccountKind:
    """The kind an account code implies. :raises ValueError: an unknown code."""
    if code in (STRIPE_CLEARING, CUSTODY_BANK):
        return AccountKind.ASSET
    if code == PLATFORM_REVENUE:
        return AccountKind.REVENUE
    head, _sep, rest = code.partition(":")
    if head == "escrow" and rest.partition(":")[0] in ESCROW_SUBJECTS:
        return AccountKind.LIABILITY
    if head.endswith("_payable") and head.removesuffix("_payable") in PAYABLE_ROLES:
        return AccountKind.LIABILITY
    raise ValueError(f"unknown ledger account code {code!r}")


def _find(code: str, currency: str) -> LedgerAccount | None:
    return db.session.scalar(
        sa.select(LedgerAccount).where(
            LedgerAccount.code == code, LedgerAccount.currency == currency
        )
    )


def account(
    code: str,
    kind: AccountKind | None = None,
    *,
    currency: str = "CNY",
    may_go_negative: bool = False,
) -> LedgerAccount:
    """The account ``code`` in ``currency``, created if missing. Two transactions creating the
    same account at once both get the one row (``INSERT … ON CONFLICT DO NOTHING``).

    :raises ValueError: it exists with another kind, or ``kind`` contradicts the code.
    """
    kind = kind or kind_of(code)
    if kind is not kind_of(code):
        raise ValueError(f"{code!r} is not a {kind.value} account")
    found = _find(code, currency)
    if found is None:
        dialect = db.session.get_bind().dialect.name
        values = {
            "code": code,
            "kind": kind,
            "currency": currency,
            "balance": 0,
            "may_go_negative": may_go_negative,
        }
        if dialect in ("postgresql", "sqlite"):
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            db.session.execute(
                insert(LedgerAccount)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["code", "currency"])
            )
        else:  # pragma: no cover - the platform runs on PostgreSQL and SQLite only
            try:
                with db.session.begin_nested():
                    db.session.add(LedgerAccount(**values))
            except IntegrityError:
                pass
        found = _find(code, currency)
        assert found is not None
    if found.kind is not kind:
        raise ValueError(f"{code!r} exists as a {found.kind.value} account")
    return found


Line = tuple["str | LedgerAccount", int]


def post(
    kind: str,
    memo: str,
    lines: Sequence[Line],
    *,
    deal: Deal | None = None,
    payment: Payment | None = None,
    currency: str = "CNY",
) -> JournalEntry:
    """Write one balanced entry and move each account's balance; flushes, never commits.

    ``lines`` are ``(account or code, signed amount)``: debits positive, credits negative. The
    accounts are locked (``SELECT … FOR UPDATE`` in id order, so two entries touching the same
    accounts never deadlock) before their balances move.

    :raises ValueError: fewer than two lines, a zero or non-integer amount, a sum other than
        zero, or accounts in different currencies.
    :raises NegativeBalance: an account that may not go negative would; nothing is written.
    """
    if len(lines) < 2:
        raise ValueError("a journal entry needs at least two postings")
    resolved: list[tuple[LedgerAccount, int]] = []
    for target, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            raise ValueError(f"posting amounts are non-zero integers of fen, not {amount!r}")
        acct = account(target, currency=currency) if isinstance(target, str) else target
        resolved.append((acct, amount))
    if sum(amount for _acct, amount in resolved) != 0:
        raise ValueError("the postings of a journal entry must sum to zero")
    if len({acct.currency for acct, _amount in resolved}) != 1:
        raise ValueError("a journal entry cannot mix currencies")

    deltas: dict[int, int] = {}
    for acct, amount in resolved:
        sign = 1 if acct.kind is AccountKind.ASSET else -1
        deltas[acct.id] = deltas.get(acct.id, 0) + sign * amount
    ids = sorted(deltas)
    try:
        with db.session.begin_nested():
            if db.session.get_bind().dialect.name == "postgresql":
                db.session.execute(
                    sa.select(LedgerAccount.id)
                    .where(LedgerAccount.id.in_(ids))
                    .order_by(LedgerAccount.id)
                    .with_for_update()
                )
            entry = JournalEntry(
                kind=kind,
                memo=memo[:300],
                deal_id=deal.id if deal is not None else None,
                payment_id=payment.id if payment is not None else None,
            )
            entry.postings = [Posting(account_id=acct.id, amount=amt) for acct, amt in resolved]
            db.session.add(entry)
            db.session.flush()
            for account_id in ids:
                if deltas[account_id]:
                    db.session.execute(
                        sa.update(LedgerAccount)
                        .where(LedgerAccount.id == account_id)
                        .values(balance=LedgerAccount.balance + deltas[account_id])
                        .execution_options(synchronize_session=False)
                    )
    except IntegrityError as exc:
        raise NegativeBalance(
            _("This movement would take an account below zero; nothing was written.")
        ) from exc
    finally:
        for acct, _amount in resolved:
            db.session.expire(acct, ["balance"])
    return entry


def balance_of(code: str, currency: str = "CNY") -> int:
    """The account's balance in its normal direction; 0 for an account never used."""
    value = db.session.scalar(
        sa.select(LedgerAccount.balance).where(
            LedgerAccount.code == code, LedgerAccount.currency == currency
        )
    )
    return int(value or 0)


@dataclass(frozen=True)
class TrialBalance:
    #: The sum of every posting ever made: zero in a balanced ledger.
    total: int
    #: ``(code, currency, stored balance, balance from its postings)`` where they differ.
    mismatches: list[tuple[str, str, int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.total == 0 and not self.mismatches


def trial_balance() -> TrialBalance:
    """Check the whole ledger: postings sum to zero and each balance equals its postings."""
    total = int(db.session.scalar(sa.select(sa.func.sum(Posting.amount))) or 0)
    sums = dict(
        db.session.execute(
            sa.select(Posting.account_id, sa.func.sum(Posting.amount)).group_by(Posting.account_id)
        ).all()
    )
    mismatches = []
    for acct in db.session.scalars(sa.select(LedgerAccount).order_by(LedgerAccount.code)):
        debit_sum = int(sums.get(acct.id, 0))
        expected = debit_sum if acct.kind is AccountKind.ASSET else -debit_sum
        if expected != acct.balance:
            mismatches.append((acct.code, acct.currency, acct.balance, expected))
    return TrialBalance(total, mismatches)
