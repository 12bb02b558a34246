"""Money is integer minor units (fen) with a currency; this is the one place that formats it."""

from __future__ import annotations

from decimal import Decimal

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
