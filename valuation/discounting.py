"""Discounting: present value, discount and annuity factors, tax amortisation benefit.

Conventions used throughout the library: rates are fractions (``0.10`` for 10 %); the cash flow
of year *t* arrives at the end of that year, i.e. is discounted over *t* years, unless
``mid_year=True``, in which case it arrives mid-year and is discounted over *t − 0.5* years.
"""

from __future__ import annotations

from collections.abc import Iterable

from valuation import _checks


def discount_factor(
    discount_rate: float, year: float, *, mid_year: bool = False, decimals: int | None = None
) -> float:
    """Present value of 1 received in year ``year``: ``(1 + r) ** -t``.

    ``t = year`` (end of year) or ``year - 0.5`` (``mid_year=True``). ``decimals`` rounds the factor
    the way printed compound-interest tables do (Chinese exam answers use 4 decimals); leave it
    ``None`` for the exact factor.

    Reference: Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 2 (discount factors).

    :raises ValueError: on a negative rate, a year ≤ 0 or a negative number of decimals.
    """
    rate = _checks.non_negative("discount_rate", discount_rate)
    period = _checks.positive("year", year)
    time = period - 0.5 if mid_year else period
    factor = float((1.0 + rate) ** -time)
    return _rounded(factor, decimals)


def annuity_factor(
    discount_rate: float, years: int, *, mid_year: bool = False, decimals: int | None = None
) -> float:
    """Present value of 1 a year for ``years`` years: ``Σ (1 + r) ** -t`` for t = 1 … n.

    Equal to ``(1 - (1 + r) ** -n) / r`` at year end, times ``(1 + r) ** 0.5`` at mid-year, and to
    ``n`` when ``r = 0``. ``decimals`` rounds the result like a printed annuity table (P/A, r, n).

    Reference: Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 2 (annuities).

    :raises ValueError: on a negative rate or ``years`` that is not a whole number > 0.
    """
    rate = _checks.non_negative("discount_rate", discount_rate)
    count = _checks.positive_int("years", years)
    factor = sum(discount_factor(rate, year, mid_year=mid_year) for year in range(1, count + 1))
    return _rounded(factor, decimals)


def present_value(
    cash_flows: Iterable[float], discount_rate: float, *, mid_year: bool = False
) -> float:
    """Present value of yearly cash flows: ``PV = Σ CF_t / (1 + r) ** t`` for t = 1 … n.

    With ``mid_year=True`` each flow is discounted over ``t − 0.5`` years. Example (annuity of
    200,000 a year for 10 years at 18 %): ``present_value([200_000] * 10, 0.18)`` = 898,817.26.

    Reference: Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 2; 资产评估 textbooks,
    收益法 chapter (复利现值系数).

    :raises ValueError: on an empty stream, a non-finite flow or a negative rate.
    """
    flows = _checks.stream("cash_flows", cash_flows)
    rate = _checks.non_negative("discount_rate", discount_rate)
    return sum(
        flow * discount_factor(rate, year, mid_year=mid_year)
        for year, flow in enumerate(flows, start=1)
    )


def tab_factor(
    tax_rate: float, discount_rate: float, years: int, *, mid_year: bool = False
) -> float:
    """Tax amortisation benefit (TAB) factor: ``1 / (1 − T · AF(r, n) / n)``.

    ``T`` is the tax rate, ``n`` the tax amortisation period in years and ``AF(r, n)`` the annuity
    factor at the discount rate (same timing convention as the cash flows). The value of an
    intangible including the tax saving on amortising it is ``value before TAB × factor``: the buyer
    deducts ``V / n`` a year for ``n`` years, saving ``T · V / n`` of tax each year, so
    ``V = V₀ + T · V / n · AF`` and hence ``V = V₀ / (1 − T · AF / n)``.

    Example: flows worth 61.45 (10 a year, 10 years at 10 %), tax 30 %, 10-year amortisation →
    factor 1.2260, TAB 13.89, value 75.33.

    Reference: AICPA Accounting and Valuation Guide, *Assets Acquired to Be Used in Research and
    Development Activities* (2013), tax amortisation benefit; Reilly & Schweihs, *Guide to
    Intangible Asset Valuation* (2nd ed., 2016).

    :raises ValueError: on a tax rate outside [0, 1), a negative discount rate or ``years`` ≤ 0.
    """
    tax = _checks.fraction("tax_rate", tax_rate, allow_one=False)
    rate = _checks.non_negative("discount_rate", discount_rate)
    count = _checks.positive_int("years", years)
    annuity = annuity_factor(rate, count, mid_year=mid_year)
    return 1.0 / (1.0 - tax * annuity / count)


def _rounded(value: float, decimals: int | None) -> float:
    if decimals is None:
        return value
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be a whole number ≥ 0 or None, got {decimals!r}")
    return round(value, decimals)
