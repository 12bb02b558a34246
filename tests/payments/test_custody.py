"""The bank custody account: references with a check digit, statement import matching by
reference and amount exactly, unmatched lines listed with their reason, re-import a no-op."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db as _db
from marketplace.payments import custody, ledger, services
from marketplace.payments.models import (
    Payment,
    PaymentProvider,
    PaymentPurpose,
    PaymentStatus,
    PayoutMethod,
    StatementLine,
)
from tests.factories import make_user
from tests.payments.helpers import connect, finance_user, make_deal


def _open(deal, step="price-1"):
    return services.start_payment(
        purpose=PaymentPurpose.DEAL_PRICE,
        payer=deal.buyer_org,
        amount=deal.price,
        deal=deal,
        step=step,
        provider=PaymentProvider.BANK_CUSTODY,
    )


def test_reference_carries_a_check_digit():
    reference = custody.payment_reference(123)
    assert reference == "IPT-P-000123-" + str(custody.luhn_digit("000123"))
    assert custody.find_reference(f"货款 {reference.lower()} 谢谢") == reference
    assert custody.find_reference(reference.replace("-", " ")) == reference
    wrong = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    assert custody.find_reference(wrong) is None
    assert custody.find_reference("no reference here") is None


def test_custody_payment_issues_its_reference_once(db):
    deal = make_deal(price=250_000)
    payment, reference = _open(deal)
    assert reference == custody.payment_reference(payment.id) == payment.provider_ref
    again, reference_again = _open(deal)
    assert (again.id, reference_again) == (payment.id, reference)


def test_statement_import_matches_reference_and_amount_exactly(db):
    finance = finance_user()
    deal = make_deal(price=250_000)
    other = make_deal(price=90_000)
    payment, reference = _open(deal)
    other_payment, other_reference = _open(other)
    lines = [
        "交易日期,金额,币种,附言,对方户名",
        f'2026-03-01,"2,500.00",人民币,货款 {reference},长春某科技有限公司',
        f"2026-03-01,900.01,CNY,{other_reference},吉林某大学",
        "2026-03-02,100.00,CNY,IPT-P-999999-" + str(custody.luhn_digit("999999")) + ",某公司",
        "2026-03-02,50.00,CNY,服务费,某公司",
        "2026-03-03,-20.00,CNY,手续费,银行",
        "2026-03-04,abc,CNY,?,?",
    ]
    data = "\n".join(lines).encode("gb18030")
    report = custody.import_statement(data, actor=finance)

    assert [(line.line_number, line.payment_id) for line in report.matched] == [(2, payment.id)]
    assert {line.line_number: line.reason for line in report.unmatched} == {
        3: "amount_differs",
        4: "unknown_reference",
        5: "no_reference",
        7: "unreadable",
    }
    assert [line.reason for line in report.skipped] == ["debit"]
    assert payment.status is PaymentStatus.SUCCEEDED
    assert other_payment.status is PaymentStatus.CREATED
    assert ledger.balance_of(f"escrow:deal:{deal.id}") == 250_000
    assert ledger.balance_of("custody_bank") == 250_000
    assert ledger.balance_of(f"escrow:deal:{other.id}") == 0
    assert ledger.trial_balance().ok

    again = custody.import_statement(data, actor=finance)
    assert again.already_imported and not again.matched
    assert ledger.balance_of("custody_bank") == 250_000
    assert _db.session.scalar(sa.select(sa.func.count(StatementLine.id))) == 4

    # The same credit in another statement cannot pay the payment twice.
    later = "date,amount,currency,reference\n2026-03-05,2500.00,CNY," + reference
    report = custody.import_statement(later.encode(), actor=finance)
    assert [line.reason for line in report.unmatched] == ["already_paid"]
    assert ledger.balance_of("custody_bank") == 250_000


def test_custody_funded_deal_is_paid_out_by_bank_transfer_from_the_custody_account(db):
    finance = finance_user()
    deal = make_deal(price=100_000, platform_fee_bp=300)
    connect(deal.seller_org)  # a Stripe account cannot be paid from the custody account
    payment, reference = _open(deal)
    statement = f"date,amount,currency,reference\n2026-03-01,1000.00,CNY,{reference}\n"
    custody.import_statement(statement.encode(), actor=finance)
    [payout] = services.release_escrow(
        deal, splits=[(deal.seller_org, "seller", 97_000)], fee=3_000, actor=finance
    )
    assert payout.method is PayoutMethod.BANK_TRANSFER
    services.confirm_payout(payout, bank_reference="ICBC-0001", actor=finance)
    assert ledger.balance_of("custody_bank") == 3_000
    assert ledger.trial_balance().ok
    assert _db.session.get(Payment, payment.id).status is PaymentStatus.SUCCEEDED


def test_statement_import_is_for_the_finance_user_only(db):
    deal = make_deal()
    with pytest.raises(PermissionDenied):
        custody.import_statement(b"date,amount,reference\n", actor=make_user(deal.buyer_org))


def test_statement_without_the_needed_columns_is_refused(db):
    with pytest.raises(ValidationFailed):
        custody.import_statement(b"when,how much\n2026-01-01,1.00\n", actor=finance_user())
