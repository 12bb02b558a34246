"""The double-entry ledger: balanced entries only, balances in their normal direction, and a
balance that may not go negative cannot (the database refuses it)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.payments import ledger
from marketplace.payments.models import AccountKind, JournalEntry, LedgerAccount, Posting


def test_balanced_entry_moves_balances_in_their_normal_direction(db):
    ledger.post("charge", "in", [("stripe_clearing", 5_000), ("escrow:deal:1", -5_000)])
    ledger.post(
        "release",
        "out",
        [("escrow:deal:1", 5_000), ("platform_revenue", -150), ("seller_payable:org:7", -4_850)],
    )
    assert ledger.balance_of("stripe_clearing") == 5_000
    assert ledger.balance_of("escrow:deal:1") == 0
    assert ledger.balance_of("platform_revenue") == 150
    assert ledger.balance_of("seller_payable:org:7") == 4_850
    assert ledger.trial_balance().ok


@pytest.mark.parametrize(
    "lines",
    [
        [("stripe_clearing", 100), ("escrow:deal:1", -99)],
        [("stripe_clearing", 100)],
        [("stripe_clearing", 100), ("escrow:deal:1", 0), ("escrow:deal:2", -100)],
        [("stripe_clearing", 100.0), ("escrow:deal:1", -100.0)],
    ],
)
def test_unbalanced_or_malformed_entry_refused(db, lines):
    with pytest.raises(ValueError):
        ledger.post("charge", "bad", lines)
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id))) == 0


def test_entry_mixing_currencies_refused(db):
    usd = ledger.account("escrow:deal:1", currency="USD")
    with pytest.raises(ValueError, match="currencies"):
        ledger.post("charge", "mixed", [("stripe_clearing", 100), (usd, -100)])


def test_negative_balance_refused_by_the_database_and_nothing_written(db):
    ledger.post("charge", "in", [("stripe_clearing", 1_000), ("escrow:deal:3", -1_000)])
    with pytest.raises(ledger.NegativeBalance):
        ledger.post("refund", "too much", [("escrow:deal:3", 1_500), ("stripe_clearing", -1_500)])
    assert ledger.balance_of("escrow:deal:3") == 1_000
    assert ledger.balance_of("stripe_clearing") == 1_000
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id))) == 1
    assert ledger.trial_balance().ok


def test_check_constraint_itself_refuses_a_negative_balance(db):
    """Even code that bypasses post() cannot store a negative balance."""
    account = ledger.account("escrow:deal:4")
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.update(LedgerAccount).where(LedgerAccount.id == account.id).values(balance=-1)
        )


def test_account_that_may_go_negative_may(db):
    ledger.account("platform_revenue", may_go_negative=True)
    ledger.post("fee", "reverse a fee", [("platform_revenue", 100), ("seller_payable:org:2", -100)])
    assert ledger.balance_of("platform_revenue") == -100


def test_account_get_or_create_returns_one_row(db):
    first = ledger.account("escrow:deal:9")
    again = ledger.account("escrow:deal:9", AccountKind.LIABILITY)
    assert first.id == again.id
    with pytest.raises(ValueError):
        ledger.account("escrow:deal:9", AccountKind.ASSET)
    with pytest.raises(ValueError):
        ledger.account("mystery")


def test_trial_balance_finds_a_tampered_balance(db):
    ledger.post("charge", "in", [("stripe_clearing", 700), ("escrow:deal:5", -700)])
    db.session.execute(
        sa.update(LedgerAccount).where(LedgerAccount.code == "escrow:deal:5").values(balance=600)
    )
    trial = ledger.trial_balance()
    assert not trial.ok
    assert trial.mismatches == [("escrow:deal:5", "CNY", 600, 700)]
    assert db.session.scalar(sa.select(sa.func.sum(Posting.amount))) == 0
