"""Market approach (市场法): comparable transactions adjusted to the subject right."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from valuation import _checks

#: Days in an average year, used to turn the time between a deal and the valuation date into years.
_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Comparable:
    """One comparable transaction: an assignment or licence of a similar right.

    ``kind`` uses the glossary codes (``invention``, ``utility_model`` …), ``exclusivity`` is
    ``assignment``, ``exclusive``, ``sole`` or ``non_exclusive``, ``remaining_term`` is in years.
    ``factors`` holds any further adjustment the appraiser makes to this deal (for instance
    ``{"technology": 1.10}`` when the subject is 10 % better), each a multiplier of the price.
    """

    price: float
    date: dt.date
    kind: str = ""
    ipc: str = ""
    remaining_term: float | None = None
    exclusivity: str = ""
    #: Where the deal is recorded (a platform deal number, a public registry entry).
    reference: str = ""
    factors: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        _checks.positive("comparable price", self.price)
        if not isinstance(self.date, dt.date):
            raise ValueError(f"comparable date must be a date, got {self.date!r}")
        if self.remaining_term is not None:
            _checks.positive("comparable remaining_term", self.remaining_term)
        for name, factor in self.factors.items():
            _checks.positive(f"comparable factor {name!r}", factor)


@dataclass(frozen=True)
class MarketAdjustments:
    """How comparables are screened and adjusted to the subject right.

    Screens: ``kind`` and ``ipc_prefix`` keep only deals of the subject's kind and IPC class;
    ``max_age_years`` drops deals older than that before ``valuation_date``.
    Adjustments (multipliers of each price):

    - time: ``(1 + annual_price_change) ** years`` from the deal to ``valuation_date``;
    - remaining term: ``subject term / deal term``, or with ``term_discount_rate`` the ratio of
      annuity factors ``(1 − (1 + r) ** −n_subject) / (1 − (1 + r) ** −n_deal)``;
    - exclusivity: ``exclusivity_factors[subject] / exclusivity_factors[deal]`` — the relative
      worth of each licence type, which the appraiser supplies; the library has no default.
    """

    valuation_date: dt.date | None = None
    annual_price_change: float = 0.0
    kind: str | None = None
    ipc_prefix: str | None = None
    max_age_years: float | None = None
    remaining_term: float | None = None
    term_discount_rate: float | None = None
    exclusivity: str | None = None
    exclusivity_factors: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.valuation_date is not None and not isinstance(self.valuation_date, dt.date):
            raise ValueError(f"valuation_date must be a date, got {self.valuation_date!r}")
        change = _checks.number("annual_price_change", self.annual_price_change)
        if change <= -1:
            raise ValueError(f"annual_price_change must be above -1, got {change!r}")
        if (change != 0 or self.max_age_years is not None) and self.valuation_date is None:
            raise ValueError("a time adjustment or max_age_years needs the valuation_date")
        if self.max_age_years is not None:
            _checks.positive("max_age_years", self.max_age_years)
        if self.remaining_term is not None:
            _checks.positive("remaining_term", self.remaining_term)
        if self.term_discount_rate is not None:
            _checks.positive("term_discount_rate", self.term_discount_rate)
        for name, factor in self.exclusivity_factors.items():
            _checks.positive(f"exclusivity_factors[{name!r}]", factor)
        if self.exclusivity is not None and self.exclusivity not in self.exclusivity_factors:
            raise ValueError(
                f"exclusivity_factors must give a factor for the subject's exclusivity "
                f"{self.exclusivity!r}"
            )


@dataclass(frozen=True)
class AdjustedComparable:
    """A comparable used in the valuation, with each factor applied to its price."""

    comparable: Comparable
    adjusted_price: float
    #: ``(name, multiplier)`` in the order applied; their product turns price into adjusted_price.
    factors: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class MarketValuation:
    """Adjusted comparable prices summarised by their median and interquartile range.

    Quartiles use linear interpolation between order statistics (Hyndman & Fan type 7, the
    default of spreadsheets and NumPy).
    """

    value: float
    median: float
    p25: float
    p75: float
    low: float
    high: float
    comparables: tuple[AdjustedComparable, ...]
    #: Comparables screened out, each with the reason.
    excluded: tuple[tuple[Comparable, str], ...]

    @property
    def iqr(self) -> float:
        """Interquartile range ``p75 − p25``."""
        return self.p75 - self.p25


def market_approach(
    comparables: Iterable[Comparable], *, adjustments: MarketAdjustments | None = None
) -> MarketValuation:
    """Market approach: ``V = median_i (P_i · Π_j a_ij)`` over the comparables kept.

    Each comparable price ``P_i`` is multiplied by its adjustment factors ``a_ij`` (time, remaining
    term, exclusivity, and the appraiser's own factors on the comparable); the value is the median
    of the adjusted prices, reported with the interquartile range and the comparables used and
    screened out.

    Reference: 中国资产评估协会《专利资产评估指导意见》(2017), 市场法; IVSC, *International
    Valuation Standards*, IVS 105 (market approach) and IVS 210 (intangible assets).

    :raises ValueError: when no comparable is given, an item is not a :class:`Comparable`, an
        exclusivity has no factor, or every comparable is screened out.
    """
    if isinstance(comparables, Comparable):
        raise ValueError("comparables must be a list of Comparable, got a single one")
    deals = list(comparables)
    if not deals:
        raise ValueError("comparables must contain at least one comparable transaction")
    for index, deal in enumerate(deals):
        if not isinstance(deal, Comparable):
            raise ValueError(f"comparables[{index}] must be a Comparable, got {deal!r}")
    if adjustments is not None and not isinstance(adjustments, MarketAdjustments):
        raise ValueError(f"adjustments must be MarketAdjustments or None, got {adjustments!r}")
    rules = adjustments or MarketAdjustments()

    used: list[AdjustedComparable] = []
    excluded: list[tuple[Comparable, str]] = []
    for deal in deals:
        reason = _screen(deal, rules)
        if reason is not None:
            excluded.append((deal, reason))
            continue
        factors = _factors(deal, rules)
        price = deal.price
        for _, factor in factors:
            price *= factor
        used.append(AdjustedComparable(comparable=deal, adjusted_price=price, factors=factors))
    if not used:
        reasons = "; ".join(sorted({reason for _, reason in excluded}))
        raise ValueError(f"no comparable is left after screening: {reasons}")

    prices = sorted(item.adjusted_price for item in used)
    if len(prices) == 1:
        p25 = median = p75 = prices[0]
    else:
        p25, median, p75 = statistics.quantiles(prices, n=4, method="inclusive")
    return MarketValuation(
        value=median,
        median=median,
        p25=p25,
        p75=p75,
        low=prices[0],
        high=prices[-1],
        comparables=tuple(used),
        excluded=tuple(excluded),
    )


def _years_between(start: dt.date, end: dt.date) -> float:
    return (_as_date(end) - _as_date(start)).days / _DAYS_PER_YEAR


def _as_date(value: dt.date) -> dt.date:
    # A datetime is a date too; compare calendar days only.
    return value.date() if isinstance(value, dt.datetime) else value


def _screen(deal: Comparable, rules: MarketAdjustments) -> str | None:
    if rules.kind is not None and deal.kind != rules.kind:
        return f"kind {deal.kind or 'unknown'!s} is not the subject's {rules.kind}"
    if rules.ipc_prefix is not None:
        wanted = rules.ipc_prefix.replace(" ", "").upper()
        if not deal.ipc.replace(" ", "").upper().startswith(wanted):
            return f"IPC {deal.ipc or 'unknown'} is outside {rules.ipc_prefix}"
    if rules.valuation_date is not None:
        age = _years_between(deal.date, rules.valuation_date)
        if age < 0:
            return "deal is dated after the valuation date"
        if rules.max_age_years is not None and age > rules.max_age_years:
            return f"deal is older than {rules.max_age_years:g} years"
    if rules.remaining_term is not None and deal.remaining_term is None:
        return "remaining term of the deal is unknown"
    if rules.exclusivity is not None:
        if not deal.exclusivity:
            return "exclusivity of the deal is unknown"
        if deal.exclusivity not in rules.exclusivity_factors:
            raise ValueError(
                f"exclusivity_factors has no factor for {deal.exclusivity!r} "
                f"(comparable {deal.reference or deal.date.isoformat()})"
            )
    return None


def _factors(deal: Comparable, rules: MarketAdjustments) -> tuple[tuple[str, float], ...]:
    factors: list[tuple[str, float]] = []
    if rules.valuation_date is not None and rules.annual_price_change != 0:
        years = _years_between(deal.date, rules.valuation_date)
        factors.append(("time", (1.0 + rules.annual_price_change) ** years))
    if rules.remaining_term is not None and deal.remaining_term is not None:
        factors.append(
            ("remaining_term", _term_ratio(rules.remaining_term, deal.remaining_term, rules))
        )
    if rules.exclusivity is not None:
        subject = rules.exclusivity_factors[rules.exclusivity]
        factors.append(("exclusivity", subject / rules.exclusivity_factors[deal.exclusivity]))
    factors.extend((name, float(factor)) for name, factor in deal.factors.items())
    return tuple(factors)


def _term_ratio(subject: float, deal: float, rules: MarketAdjustments) -> float:
    rate = rules.term_discount_rate
    if rate is None:
        return subject / deal
    return float((1.0 - (1.0 + rate) ** -subject) / (1.0 - (1.0 + rate) ** -deal))
