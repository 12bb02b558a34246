"""Money is integer minor units (fen) with a currency; this is the one place that formats it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import format_currency

#: Minor units per major unit, per currency the platform handles.
MINOR_UNITS = {"CNY": 100}


def to_major(amount: int, currency: str = "CNY") -> Decimal:
    if not isinstance(amount, int):
        raise TypeError("money amounts are integers of minor units (fen), never floats")
    return Decimal(amount) / MINOR_UNITS[currency]


def format_money(amount: int, currency: str = "CNY") -> str:
    """``120000`` fen → ``¥1,200.00`` in Chinese, ``CN¥1,200.00`` in English."""
    return str(format_currency(to_major(amount, currency), currency))


def fen_from_yuan(value: float) -> int:
    """A computed amount in yuan (a float from the valuation library) as whole fen, rounded
    half up; the one place where a float becomes money."""
    return int((Decimal(repr(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def hundredths(value: Decimal | None) -> int | None:
    """Yuan typed in a form as fen, or a percentage as basis points: ``value × 100``, which
    must be whole and finite (None otherwise; the caller reports it). Never rounds money."""
    if value is None:
        return None
    try:
        scaled = value * 100
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            return None
    except InvalidOperation:
        return None
    return int(scaled)
