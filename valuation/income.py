"""Income approach: relief from royalty, profit split and multi-period excess earnings.

Each method turns a yearly stream into a schedule (one row per year valued) and discounts it with
:func:`valuation.discounting.discount_factor`. Every method takes ``life_years``: the stream stops
at that economic life (a fractional last year is pro-rated and discounted at the end, or middle, of
the part-year), and it also stops at the first year whose income is zero or negative, because an
owner would stop exploiting a right that no longer earns anything.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from valuation import _checks
from valuation.discounting import discount_factor
from valuation.discounting import tab_factor as _tab_factor


@dataclass(frozen=True, kw_only=True)
class ScheduleRow:
    """One year of an income schedule; subclasses add the method's own columns."""

    #: 1 for the first year after the valuation date.
    year: int
    #: Share of the year valued: 1.0, or less in the last year of a fractional economic life.
    fraction: float
    #: Years over which ``cash_flow`` is discounted (``year``, ``year − 0.5`` at mid-year, or the
    #: end / middle of the part-year).
    time: float
    #: The income valued this year (after tax where the method applies a tax).
    cash_flow: float
    discount_factor: float
    present_value: float


@dataclass(frozen=True, kw_only=True)
class RoyaltyRow(ScheduleRow):
    """Relief from royalty: ``royalty = revenue × rate``, after tax ``royalty × (1 − T)``."""

    revenue: float
    royalty: float
    after_tax_royalty: float


@dataclass(frozen=True, kw_only=True)
class ProfitSplitRow(ScheduleRow):
    """Profit split: ``licensor_share = profit × split rate``."""

    profit: float
    licensor_share: float


@dataclass(frozen=True, kw_only=True)
class ExcessEarningsRow(ScheduleRow):
    """Multi-period excess earnings for one year (all amounts for the part of the year valued)."""

    revenue: float
    operating_profit: float
    tax: float
    after_tax_profit: float
    #: Each contributory asset's charge, as ``(name, amount)`` in the order given.
    charges: tuple[tuple[str, float], ...]
    contributory_charges: float
    excess_earnings: float


@dataclass(frozen=True)
class IncomeValuation:
    """Result of an income method.

    ``value = value_before_tab × tab_factor``; ``schedule`` holds one row per year valued.
    """

    method: str
    value: float
    value_before_tab: float
    #: 1.0 when no tax amortisation benefit was requested.
    tab_factor: float
    schedule: tuple[ScheduleRow, ...]
    discount_rate: float
    mid_year: bool
    #: Years actually valued (the sum of the rows' fractions).
    years_valued: float
    #: Why the stream stopped before its last year, or None when it ran to the end.
    stopped: str | None

    @property
    def tab(self) -> float:
        """The tax amortisation benefit itself: ``value − value_before_tab``."""
        return self.value - self.value_before_tab


@dataclass(frozen=True)
class _Period:
    year: int
    fraction: float
    time: float
    discount_factor: float


class _Stream:
    """Walks the years of a stream, applying the economic life and remembering why it stopped."""

    def __init__(
        self, length: int, discount_rate: float, mid_year: bool, life_years: float | None
    ) -> None:
        self.length = length
        self.rate = discount_rate
        self.mid_year = mid_year
        self.life = life_years
        self.stopped: str | None = None

    def periods(self) -> Iterator[_Period]:
        for year in range(1, self.length + 1):
            elapsed = year - 1
            if self.life is not None and elapsed >= self.life - 1e-12:
                self.stopped = f"economic life of {self.life:g} years reached after year {elapsed}"
                return
            fraction = 1.0 if self.life is None else min(1.0, self.life - elapsed)
            time = elapsed + (fraction / 2 if self.mid_year else fraction)
            yield _Period(year, fraction, time, discount_factor(self.rate, time))

    def stop_at_zero(self, year: int, income: float) -> None:
        self.stopped = f"income reached zero in year {year} ({income:g})"


def _life(life_years: float | None) -> float | None:
    return None if life_years is None else _checks.positive("life_years", life_years)


def _finish(
    method: str,
    rows: list[ScheduleRow],
    stream: _Stream,
    factor: float,
) -> IncomeValuation:
    before = math.fsum(row.present_value for row in rows)
    return IncomeValuation(
        method=method,
        value=before * factor,
        value_before_tab=before,
        tab_factor=factor,
        schedule=tuple(rows),
        discount_rate=stream.rate,
        mid_year=stream.mid_year,
        years_valued=math.fsum(row.fraction for row in rows),
        stopped=stream.stopped,
    )


def _tab(tax_rate: float, discount_rate: float, tab_years: int | None, mid_year: bool) -> float:
    if tab_years is None:
        return 1.0
    years = _checks.positive_int("tab_years", tab_years)
    return _tab_factor(tax_rate, discount_rate, years, mid_year=mid_year)


def relief_from_royalty(
    revenues: Sequence[float],
    royalty_rate: float,
    tax_rate: float,
    discount_rate: float,
    *,
    mid_year: bool = False,
    tab_years: int | None = None,
    life_years: float | None = None,
) -> IncomeValuation:
    """Relief-from-royalty method (许可费节省法 / 收入分成法).

    The right is worth the royalties its owner is spared from paying:
    ``V = TAB × Σ R_t · k · (1 − T) / (1 + r) ** t`` with revenue ``R_t``, royalty rate ``k``, tax
    rate ``T``, discount rate ``r``, and ``TAB = tab_factor(T, r, tab_years)`` (1 when
    ``tab_years`` is None).

    Reference: Smith & Parr, *Valuation of Intellectual Property and Intangible Assets*; 资产评估
    教材 无形资产评估章 (销售收入分成率); Reilly & Schweihs, *Guide to Intangible Asset Valuation*.

    :raises ValueError: on an empty or negative revenue stream, rates outside their ranges, or
        ``tab_years`` / ``life_years`` ≤ 0.
    """
    revenue_stream = _checks.stream("revenues", revenues, allow_negative=False)
    rate = _checks.fraction("royalty_rate", royalty_rate)
    tax = _checks.fraction("tax_rate", tax_rate, allow_one=False)
    discount = _checks.non_negative("discount_rate", discount_rate)
    stream = _Stream(len(revenue_stream), discount, mid_year, _life(life_years))
    factor = _tab(tax, discount, tab_years, mid_year)
    rows: list[ScheduleRow] = []
    for period in stream.periods():
        revenue = revenue_stream[period.year - 1]
        if revenue * rate <= 0:
            stream.stop_at_zero(period.year, revenue * rate)
            break
        revenue *= period.fraction
        royalty = revenue * rate
        after_tax = royalty * (1.0 - tax)
        rows.append(
            RoyaltyRow(
                year=period.year,
                fraction=period.fraction,
                time=period.time,
                cash_flow=after_tax,
                discount_factor=period.discount_factor,
                present_value=after_tax * period.discount_factor,
                revenue=revenue,
                royalty=royalty,
                after_tax_royalty=after_tax,
            )
        )
    return _finish("relief_from_royalty", rows, stream, factor)


def profit_split_rate(
    ip_replacement_cost: float,
    ip_cost_profit_margin: float,
    licensee_replacement_cost: float,
    licensee_cost_profit_margin: float,
) -> float:
    """Profit split rate by equivalent investment (约当投资分成法).

    ``split = EI_ip / (EI_ip + EI_licensee)`` with ``EI = replacement cost × (1 + cost-profit
    margin)`` for the IP and for the licensee's assets that work with it. Example: IP replacement
    cost 1,000,000 at a 500 % margin, licensee's assets 80,000,000 at 12.5 % → 6,000,000 /
    (6,000,000 + 90,000,000) = 6.25 %.

    Reference: 中国资产评估协会《资产评估实务（二）》无形资产评估, 约当投资分成法.

    :raises ValueError: on a non-positive replacement cost or a negative margin.
    """
    ip_cost = _checks.positive("ip_replacement_cost", ip_replacement_cost)
    ip_margin = _checks.non_negative("ip_cost_profit_margin", ip_cost_profit_margin)
    licensee_cost = _checks.positive("licensee_replacement_cost", licensee_replacement_cost)
    licensee_margin = _checks.non_negative(
        "licensee_cost_profit_margin", licensee_cost_profit_margin
    )
    ip_equivalent = ip_cost * (1.0 + ip_margin)
    licensee_equivalent = licensee_cost * (1.0 + licensee_margin)
    return ip_equivalent / (ip_equivalent + licensee_equivalent)


def profit_split(
    profits: Sequence[float],
    split_rate: float,
    discount_rate: float,
    *,
    mid_year: bool = False,
    life_years: float | None = None,
) -> IncomeValuation:
    """Profit split method (利润分成法 / 超额收益分成).

    ``V = Σ P_t · s / (1 + r) ** t`` with the profit ``P_t`` the right helps to earn (on the basis
    the discount rate matches, usually after tax), split rate ``s`` and discount rate ``r``.
    Example: excess profit 10,000,000 a year, 30 % to the licensor, 3 years at 10 % →
    7,460,555.97 (exam answers print 7,460,700: they use the 4-decimal table factor 2.4869).

    Reference: 中国资产评估协会《资产评估实务（二）》无形资产评估, 收益法; Smith & Parr,
    *Valuation of Intellectual Property and Intangible Assets* (profit split).

    :raises ValueError: on an empty profit stream, a split rate outside [0, 1], a negative discount
        rate or ``life_years`` ≤ 0.
    """
    profit_stream = _checks.stream("profits", profits)
    split = _checks.fraction("split_rate", split_rate)
    discount = _checks.non_negative("discount_rate", discount_rate)
    stream = _Stream(len(profit_stream), discount, mid_year, _life(life_years))
    rows: list[ScheduleRow] = []
    for period in stream.periods():
        profit = profit_stream[period.year - 1]
        if profit * split <= 0:
            stream.stop_at_zero(period.year, profit * split)
            break
        profit *= period.fraction
        share = profit * split
        rows.append(
            ProfitSplitRow(
                year=period.year,
                fraction=period.fraction,
                time=period.time,
                cash_flow=share,
                discount_factor=period.discount_factor,
                present_value=share * period.discount_factor,
                profit=profit,
                licensor_share=share,
            )
        )
    return _finish("profit_split", rows, stream, 1.0)


def excess_earnings(
    revenues: Sequence[float],
    operating_margin: float,
    tax_rate: float,
    contributory_charges: Mapping[str, float],
    discount_rate: float,
    *,
    mid_year: bool = False,
    tab_years: int | None = None,
    life_years: float | None = None,
) -> IncomeValuation:
    """Multi-period excess earnings method (多期超额收益法, MPEEM).

    Each year: ``E_t = R_t · m · (1 − T) − R_t · Σ c_i`` — after-tax operating profit less the
    charges for the contributory assets (working capital, fixed assets, workforce, other
    intangibles), each charge ``c_i`` given as an after-tax fraction of revenue. Then
    ``V = TAB × Σ E_t / (1 + r) ** t``.

    Reference: The Appraisal Foundation, *VFR Valuation Advisory #1: Identification of Contributory
    Assets and Calculation of Economic Rents* (2010); Reilly & Schweihs, *Guide to Intangible Asset
    Valuation*; 中国资产评估协会《资产评估实务（二）》多期超额收益法.

    :raises ValueError: on an empty or negative revenue stream, a margin outside [0, 1], a negative
        or unnamed contributory charge, a negative discount rate, or ``tab_years`` /
        ``life_years`` ≤ 0.
    """
    revenue_stream = _checks.stream("revenues", revenues, allow_negative=False)
    margin = _checks.fraction("operating_margin", operating_margin)
    tax = _checks.fraction("tax_rate", tax_rate, allow_one=False)
    if not isinstance(contributory_charges, Mapping):
        raise ValueError(
            "contributory_charges must map each contributory asset's name to its charge "
            f"as a fraction of revenue, got {contributory_charges!r}"
        )
    charge_rates: list[tuple[str, float]] = []
    for name, charge in contributory_charges.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"contributory asset names must be non-empty text, got {name!r}")
        charge_rates.append((name, _checks.fraction(f"contributory_charges[{name!r}]", charge)))
    discount = _checks.non_negative("discount_rate", discount_rate)
    stream = _Stream(len(revenue_stream), discount, mid_year, _life(life_years))
    factor = _tab(tax, discount, tab_years, mid_year)
    total_rate = math.fsum(rate for _, rate in charge_rates)
    rows: list[ScheduleRow] = []
    for period in stream.periods():
        full_revenue = revenue_stream[period.year - 1]
        full_excess = full_revenue * (margin * (1.0 - tax) - total_rate)
        if full_excess <= 0:
            stream.stop_at_zero(period.year, full_excess)
            break
        revenue = full_revenue * period.fraction
        operating_profit = revenue * margin
        tax_amount = operating_profit * tax
        after_tax = operating_profit - tax_amount
        charges = tuple((name, revenue * rate) for name, rate in charge_rates)
        charge_total = math.fsum(amount for _, amount in charges)
        excess = after_tax - charge_total
        rows.append(
            ExcessEarningsRow(
                year=period.year,
                fraction=period.fraction,
                time=period.time,
                cash_flow=excess,
                discount_factor=period.discount_factor,
                present_value=excess * period.discount_factor,
                revenue=revenue,
                operating_profit=operating_profit,
                tax=tax_amount,
                after_tax_profit=after_tax,
                charges=charges,
                contributory_charges=charge_total,
                excess_earnings=excess,
            )
        )
    return _finish("excess_earnings", rows, stream, factor)


def economic_life(
    legal_years_remaining: float,
    *,
    technical_years: float | None = None,
    economic_years: float | None = None,
) -> float:
    """Remaining economic life: the shortest of the legal, technical and economic lives.

    ``life = min(legal, technical, economic)`` over those given. A patent earns no protected
    income after its legal term, nor after its technology is superseded, nor after its market
    is gone, whichever comes first.

    Reference: 中国资产评估协会《资产评估执业准则——无形资产》(2017), 收益期限;
    Reilly & Schweihs, *Guide to Intangible Asset Valuation*, remaining useful life analysis.

    :raises ValueError: when any life given is ≤ 0.
    """
    lives = [_checks.positive("legal_years_remaining", legal_years_remaining)]
    if technical_years is not None:
        lives.append(_checks.positive("technical_years", technical_years))
    if economic_years is not None:
        lives.append(_checks.positive("economic_years", economic_years))
    return min(lives)
