"""The bank custody account (资金监管账户): the domestic way in.

The buyer pays by bank transfer quoting the payment's reference (``IPT-P-000123-7``: the
payment's number and a Luhn check digit, so a mistyped reference matches nothing). The
operator's finance user imports the bank's statement as CSV; a credit line matches a payment
only when the reference *and* the amount agree exactly, and then takes the same path as a
Stripe webhook (custody account → escrow). Everything else is listed with its reason, never
guessed. A statement is identified by its SHA-256: importing it again does nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.core import audit, policy
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.models import (
    Payment,
    PaymentProvider,
    PaymentStatus,
    Refund,
    StatementLine,
)

REFERENCE_PREFIX = "IPT-P-"
_REFERENCE = re.compile(r"IPT[\s-]*P[\s-]*(\d{6,})[\s-]*(\d)", re.IGNORECASE)

#: Accepted column names (lower-cased), English first, then what Chinese banks print.
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "booked_on", "交易日期", "日期", "记账日期"),
    "amount": ("amount", "金额", "贷方金额", "收入金额", "交易金额"),
    "currency": ("currency", "币种"),
    "reference": ("reference", "memo", "附言", "摘要", "用途", "备注"),
    "counterparty": ("counterparty", "对方户名", "付款人", "付款人名称"),
}
CURRENCY_ALIASES = {"RMB": "CNY", "人民币": "CNY", "CNY": "CNY"}


def luhn_digit(digits: str) -> int:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def payment_reference(payment_id: int) -> str:
    number = f"{payment_id:06d}"
    return f"{REFERENCE_PREFIX}{number}-{luhn_digit(number)}"


def find_reference(text: str) -> str | None:
    """The first well-formed reference in a memo, normalised; None if there is none or its
    check digit is wrong."""
    match = _REFERENCE.search(text or "")
    if match is None:
        return None
    number, check = match.groups()
    if luhn_digit(number) != int(check):
        return None
    return f"{REFERENCE_PREFIX}{number}-{check}"


class BankCustodyProvider:
    asset_account = ledger.CUSTODY_BANK

    def start(self, payment: Payment) -> str:
        payment.provider_ref = payment_reference(payment.id)
        return payment.provider_ref

    def resume(self, payment: Payment) -> str:
        return payment.provider_ref or self.start(payment)

    def refund(self, payment: Payment, refund: Refund) -> str | None:
        # The finance user sends the money back from the custody account; the refund row and
        # its ledger entry are the instruction.
        return None


@dataclass(frozen=True)
class ReportLine:
    line_number: int
    booked_on: date | None
    amount: int | None
    currency: str
    reference: str
    counterparty: str
    payment_id: int | None = None
    #: ``no_reference``, ``unknown_reference``, ``amount_differs``, ``currency_differs``,
    #: ``already_paid``, ``unreadable``, ``debit`` (not a credit: not ours to match).
    reason: str | None = None


@dataclass
class ImportReport:
    sha256: str
    already_imported: bool = False
    matched: list[ReportLine] = field(default_factory=list)
    unmatched: list[ReportLine] = field(default_factory=list)
    skipped: list[ReportLine] = field(default_factory=list)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                found[key] = names.index(alias)
                break
    missing = [key for key in ("date", "amount", "reference") if key not in found]
    if missing:
        raise ValidationFailed(
            _("The statement has no %(columns)s column.", columns=", ".join(missing)),
            fields={"statement": [_("Columns needed: date, amount, currency, reference.")]},
        )
    return found


def _parse_date(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _parse_fen(text: str) -> int:
    """Yuan as printed (``1,234.56``, ``¥1234.5``) to exact fen; more than 2 decimals fails."""
    cleaned = text.strip().replace(",", "").replace("¥", "").replace("￥", "")
    value = Decimal(cleaned)
    fen = value * 100
    if not fen.is_finite() or fen != fen.to_integral_value():
        raise InvalidOperation(text)
    return int(fen)


def import_statement(data: bytes, *, actor: User) -> ImportReport:
    """Import a custody-account statement (CSV, UTF-8 or GB18030) and apply what matches.

    :raises PermissionDenied: ``actor`` is not the operator's finance user.
    :raises ValidationFailed: not a CSV with date, amount and reference columns.
    :raises Conflict: the same statement is being imported at this moment.
    """
    if not policy.can(actor, "payments.finance"):
        raise PermissionDenied(_("You are not allowed to do that."))
    sha = hashlib.sha256(data).hexdigest()
    report = ImportReport(sha256=sha)
    seen = db.session.scalar(
        sa.select(sa.func.count(StatementLine.id)).where(StatementLine.statement_sha256 == sha)
    )
    if seen:
        report.already_imported = True
        return report
    try:
        rows = list(csv.reader(io.StringIO(_decode(data))))
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(_("The statement is not a readable CSV file.")) from exc
    if not rows:
        raise ValidationFailed(_("The statement is empty."))
    columns = _columns(rows[0])
    with db.session.begin_nested():
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            _import_line(report, number, row, columns, actor)
    audit.record(
        "payments.statement_imported",
        ("statements", sha[:60]),
        actor=actor,
        after={
            "sha256": sha,
            "matched": [line.payment_id for line in report.matched],
            "unmatched": len(report.unmatched),
        },
    )
    return report


def _cell(row: list[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    return row[index].strip() if index is not None and index < len(row) else ""


def _import_line(
    report: ImportReport, number: int, row: list[str], columns: dict[str, int], actor: User
) -> None:
    text = _cell(row, columns, "reference")
    counterparty = _cell(row, columns, "counterparty")[:200]
    raw_currency = _cell(row, columns, "currency").upper() or "CNY"
    currency = CURRENCY_ALIASES.get(raw_currency, raw_currency)[:3]
    try:
        booked_on = _parse_date(_cell(row, columns, "date"))
        amount = _parse_fen(_cell(row, columns, "amount"))
    except (ValueError, InvalidOperation):
        report.unmatched.append(
            ReportLine(number, None, None, currency, text, counterparty, reason="unreadable")
        )
        return
    if amount <= 0:
        report.skipped.append(
            ReportLine(number, booked_on, amount, currency, text, counterparty, reason="debit")
        )
        return
    reference = find_reference(text)
    payment: Payment | None = None
    reason: str | None = None
    if reference is None:
        reason = "no_reference"
    else:
        query = sa.select(Payment).where(
            Payment.provider == PaymentProvider.BANK_CUSTODY, Payment.provider_ref == reference
        )
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        payment = db.session.scalar(query.execution_options(populate_existing=True))
        if payment is None:
            reason = "unknown_reference"
        elif currency != payment.currency:
            reason = "currency_differs"
        elif amount != payment.amount:
            reason = "amount_differs"
        elif payment.status not in (PaymentStatus.CREATED, PaymentStatus.FAILED):
            reason = "already_paid"
    line = StatementLine(
        statement_sha256=report.sha256,
        line_number=number,
        booked_on=booked_on,
        amount=amount,
        currency=currency,
        reference=text[:200],
        counterparty=counterparty,
        payment_id=payment.id if payment is not None and reason is None else None,
        unmatched_reason=reason,
        imported_by_id=actor.id,
        detail={"row": row[:20]},
    )
    try:
        with db.session.begin_nested():
            db.session.add(line)
    except IntegrityError as exc:
        raise Conflict(_("This statement is being imported right now.")) from exc
    result = ReportLine(
        number,
        booked_on,
        amount,
        currency,
        text,
        counterparty,
        payment_id=line.payment_id,
        reason=reason,
    )
    if reason is not None:
        report.unmatched.append(result)
        return
    assert payment is not None
    from marketplace.payments.services import apply_received

    apply_received(payment, actor=actor, statement=report.sha256, line=number)
    report.matched.append(result)
