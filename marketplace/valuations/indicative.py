"""Instant indicative value of a right: a range from what the registry knows, never an appraisal.

Two ways to a value, both shown with every input and its source:

* **Comparable closed deals** (when the caller passes any): the market approach of the
  ``valuation`` library — the median of the deals' prices adjusted to the valuation date and
  the remaining term, with their interquartile range as the range.
* **Base value table** (until the platform has closed deals): an indicative median by kind and
  industry (:data:`BASE_VALUES_YUAN`), scaled by the patent value index score and by the share of
  the term left, with a range that widens for every indicator the registry does not know.

The patent value index (:func:`valuation.patent_value_index`) is scored only on the indicators the
registry can speak to (:data:`REGISTRY_INDICATORS`); the expert ones (market share, competition,
substitutability …) are left to an appraiser, and the library rescales to those scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import valuation
from marketplace.core.clock import today
from marketplace.core.money import format_money
from marketplace.rights import services, terms
from marketplace.rights.kinds import RightKind
from marketplace.rights.labels import RIGHT_KIND_LABELS, RIGHT_STATUS_LABELS
from marketplace.rights.models import Right, RightStatus

# Platform-calibrated placeholders, in yuan: the indicative median value of a right of each kind
# and industry with its whole term ahead and an index score of 5 / 10. They order the kinds and
# industries plausibly (invention > utility model > design; big data and biomedicine above
# equipment) but are no market statistic: replace them by the medians of closed deals on the
# platform as soon as there are enough. Industry keys are those of marketplace/demo/rights.py;
# "default" serves an unrecorded or other industry.
BASE_VALUES_YUAN: dict[RightKind, dict[str, int]] = {
    RightKind.INVENTION: {
        "big_data": 1_200_000,
        "biomedicine": 1_500_000,
        "optoelectronics": 1_000_000,
        "automotive": 800_000,
        "new_materials": 800_000,
        "equipment": 600_000,
        "agriculture": 500_000,
        "default": 600_000,
    },
    RightKind.UTILITY_MODEL: {
        "automotive": 120_000,
        "equipment": 120_000,
        "optoelectronics": 120_000,
        "default": 100_000,
    },
    RightKind.DESIGN: {"default": 50_000},
    RightKind.TRADEMARK: {"agriculture": 300_000, "default": 200_000},
    RightKind.SOFTWARE_COPYRIGHT: {"big_data": 300_000, "default": 150_000},
    RightKind.COPYRIGHT: {"default": 50_000},
    RightKind.PLANT_VARIETY: {"agriculture": 1_000_000, "default": 800_000},
}

INDUSTRY_LABELS = {
    "automotive": _l("Automotive"),
    "optoelectronics": _l("Optoelectronics"),
    "biomedicine": _l("Biomedicine"),
    "new_materials": _l("New materials"),
    "agriculture": _l("Agriculture"),
    "equipment": _l("Equipment manufacturing"),
    "big_data": _l("Big data"),
}

#: Index weights preset: an indicative value answers "what would a licensee or buyer pay".
INDEX_PRESET = "licensing"

#: The indicators of the index the registry can score, each from one registry fact:
#: stability ← kind and legal status; design_around ← patent claims; remaining_term ← term left;
#: multi_country ← foreign family members; licence_status ← licences (no records yet);
#: advancement ← forward citations; application_breadth ← IPC subclasses; maturity ← age.
REGISTRY_INDICATORS = (
    "stability",
    "design_around",
    "remaining_term",
    "multi_country",
    "licence_status",
    "advancement",
    "application_breadth",
    "maturity",
)

#: Statuses in which a right is still in force and gets a value; a fee in its grace period and
#: a pending invalidation lower the stability score instead. Suspended rights (ownership in
#: dispute) get none.
VALUED_STATUSES = frozenset(
    {RightStatus.IN_FORCE, RightStatus.GRACE_PERIOD, RightStatus.UNDER_INVALIDATION}
)

#: Stability by kind: examined on substance (invention, plant variety: DUS tests) scores higher
#: than registered without it (utility model, design) or a voluntary copyright registration.
STABILITY_BY_KIND: dict[RightKind, float] = {
    RightKind.INVENTION: 8.0,
    RightKind.PLANT_VARIETY: 8.0,
    RightKind.TRADEMARK: 7.0,
    RightKind.UTILITY_MODEL: 5.0,
    RightKind.DESIGN: 5.0,
    RightKind.SOFTWARE_COPYRIGHT: 4.0,
    RightKind.COPYRIGHT: 4.0,
}
GRACE_PERIOD_PENALTY = 2.0
UNDER_INVALIDATION_STABILITY = 2.0

#: Kinds whose term renews at a small fee: their value does not run down with the current term.
RENEWABLE_KINDS = frozenset({RightKind.TRADEMARK})
#: Kinds whose economic life is far shorter than their legal term: software is paid for over
#: about a decade of use, not over 50 years of copyright. Their value runs down over this life
#: (counted from first publication or completion), never below one year's share of it.
ECONOMIC_LIFE_YEARS: dict[RightKind, float] = {RightKind.SOFTWARE_COPYRIGHT: 10.0}
#: Kinds with patent claims and an IPC classification (designs have neither).
CLAIMED_KINDS = frozenset({RightKind.INVENTION, RightKind.UTILITY_MODEL})

#: Years of term left that score 10 for remaining_term.
FULL_TERM_SCORE_YEARS = 15.0
#: Forward citations that score 10 for advancement (logarithmic below).
FULL_CITATIONS = 30

#: The index factor is ``INDEX_FACTOR_BASE ** ((score − 5) / 5)``: ×1 at 5 / 10, ×3 at 10 and
#: ×1/3 at 0, clamped to the bounds below.
INDEX_FACTOR_BASE = 3.0
INDEX_FACTOR_BOUNDS = (0.3, 3.0)
#: Half-width of the range around the mid value: 35 % plus 5 % for each registry indicator not
#: known, at most 75 %.
BASE_SPREAD = 0.35
SPREAD_PER_MISSING = 0.05
MAX_SPREAD = 0.75
#: With comparables the range is their interquartile range, but at least ±20 % of the median, so
#: two or three close deals never suggest false precision.
MIN_MARKET_SPREAD = 0.20
#: Indicative values are rounded to this many significant figures.
SIGNIFICANT_FIGURES = 3

_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class IndicativeValue:
    """An indicative range for a right, with the index, the inputs and the method behind it."""

    #: Fen (integer minor units, CNY).
    low: int
    mid: int
    high: int
    index: valuation.IndexResult
    #: ``(label, value shown, source)`` for every input used, in the UI's language.
    inputs: tuple[tuple[str, str, str], ...]
    #: The method in one plain-language paragraph, in the UI's language.
    method: str
    #: Comparable closed deals used (0 when the base value table was used).
    comparables: int

    @property
    def scored_indicators(self) -> tuple[tuple[valuation.Indicator, float], ...]:
        """The index's indicators that were scored, with their 0–10 scores."""
        return tuple(
            (indicator, self.index.scores[indicator.code])
            for indicator in valuation.INDICATORS
            if indicator.code in self.index.scores
        )

    @property
    def unknown_indicators(self) -> tuple[valuation.Indicator, ...]:
        """Indicators the registry could score but does not know for this right."""
        return tuple(
            indicator
            for indicator in valuation.INDICATORS
            if indicator.code in REGISTRY_INDICATORS and indicator.code not in self.index.scores
        )


def indicative_value(
    right: Right,
    *,
    on: date | None = None,
    comparables: Sequence[valuation.Comparable] = (),
) -> IndicativeValue | None:
    """An indicative value of ``right`` on ``on`` (today in Beijing by default).

    With ``comparables`` (closed deals of similar rights, chosen by the caller), the value is
    their market-approach median and the range their interquartile range (at least ±20 %);
    deals the market approach screens out are ignored, and when none is left the base value
    table is used. Without, ``mid = base(kind, industry) × f(PVD) × term share`` where
    ``f(PVD) = 3 ** ((PVD − 5) / 5)`` bounded to 0.3–3.0, and the range is
    ``mid × (1 ± min(35 % + 5 % × unknown registry indicators, 75 %))``. Amounts are rounded to
    three significant figures and returned in fen.

    Whether the right may be shown a value (verified ownership, who asks) is the caller's rule.

    :returns: None for geographical indications, rights not in force on ``on`` (by the
        registry's status and by the clock), and rights whose term the registry's dates cannot
        give.
    :raises TypeError: when an item of ``comparables`` is not a :class:`valuation.Comparable`.
    """
    for item in comparables:
        if not isinstance(item, valuation.Comparable):
            raise TypeError(f"comparables must be valuation.Comparable, got {item!r}")
    on = on or today()
    if right.kind not in BASE_VALUES_YUAN or right.status not in VALUED_STATUSES:
        return None
    try:
        status = services.computed_status(right, on=on)
        remaining = services.remaining(right, on=on)
    except terms.InvalidTermFacts:
        return None
    if status not in VALUED_STATUSES or (remaining is not None and remaining.expired):
        return None

    facts = _Facts.of(right, remaining=remaining, status=status, on=on)
    index = valuation.patent_value_index(facts.scores(), weights=INDEX_PRESET)
    inputs = facts.inputs()

    if comparables:
        market = _market(facts, comparables, on=on)
        if market is not None:
            median = market.median
            low = min(market.p25, median * (1 - MIN_MARKET_SPREAD))
            high = max(market.p75, median * (1 + MIN_MARKET_SPREAD))
            used = len(market.comparables)
            inputs.append(
                (
                    _("Comparable closed deals"),
                    format_decimal(used),
                    _("Closed deals on the platform"),
                )
            )
            if facts.term_adjusts_comparables(comparables):
                method = _(
                    "The median price of %(count)s comparable closed deals, each adjusted to the "
                    "valuation date and to this right's remaining term; the range is their "
                    "interquartile range, at least ±%(spread)s. The index score is shown for "
                    "information.",
                    count=format_decimal(used),
                    spread=format_percent(MIN_MARKET_SPREAD),
                )
            else:
                method = _(
                    "The median price of %(count)s comparable closed deals, adjusted to the "
                    "valuation date; the range is their interquartile range, at least "
                    "±%(spread)s. The index score is shown for information.",
                    count=format_decimal(used),
                    spread=format_percent(MIN_MARKET_SPREAD),
                )
            return IndicativeValue(
                low=_fen(low),
                mid=_fen(median),
                high=_fen(high),
                index=index,
                inputs=tuple(inputs),
                method=method,
                comparables=used,
            )

    base = facts.base_value()
    factor = index_factor(index.pvd)
    mid = base * factor * facts.term_share
    missing = sum(1 for code in REGISTRY_INDICATORS if code not in index.scores)
    spread = min(BASE_SPREAD + SPREAD_PER_MISSING * missing, MAX_SPREAD)
    inputs.append(
        (
            _("Base value"),
            format_money(_fen(base)),
            _("Platform placeholder table by kind and industry, until closed deals replace it"),
        )
    )
    method = _(
        "The platform's indicative median for this kind of right in this industry (%(base)s with "
        "a whole term ahead), multiplied by %(factor)s for a patent value index of %(score)s / 10 "
        "(×1 at 5, ×3 at 10, ×1/3 at 0) and by %(share)s for the share of the term left. The "
        "range is ±%(spread)s: %(base_spread)s, plus %(step)s for each registry indicator not "
        "known (%(missing)s).",
        base=format_money(_fen(base)),
        factor=format_decimal(round(factor, 2)),
        score=format_decimal(round(index.pvd, 1)),
        share=format_percent(round(facts.term_share, 2)),
        spread=format_percent(spread),
        base_spread=format_percent(BASE_SPREAD),
        step=format_percent(SPREAD_PER_MISSING),
        missing=format_decimal(missing),
    )
    return IndicativeValue(
        low=_fen(mid * (1 - spread)),
        mid=_fen(mid),
        high=_fen(mid * (1 + spread)),
        index=index,
        inputs=tuple(inputs),
        method=method,
        comparables=0,
    )


def index_factor(score: float) -> float:
    """How the index scales the base value: ×1 at 5 / 10, increasing, bounded to 0.3–3.0."""
    lowest, highest = INDEX_FACTOR_BOUNDS
    return min(max(math.pow(INDEX_FACTOR_BASE, (score - 5.0) / 5.0), lowest), highest)


# --- registry facts and their scores ------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What the registry knows about a right, read once, with the term arithmetic done."""

    right: Right
    status: RightStatus
    remaining: terms.RemainingTerm | None
    #: Years of protection left; None when the law sets no end.
    years_left: float | None
    #: Share of the whole term still ahead (1 for renewable kinds and rights with no fixed end).
    term_share: float
    #: Years since filing (or the earliest date the registry has); None without any date.
    age_years: float | None

    @classmethod
    def of(
        cls,
        right: Right,
        *,
        remaining: terms.RemainingTerm | None,
        status: RightStatus,
        on: date,
    ) -> _Facts:
        start = _term_start(right)
        years_left = None if remaining is None else remaining.days / _DAYS_PER_YEAR
        age = None if start is None else max((on - start).days, 0) / _DAYS_PER_YEAR
        share = 1.0
        life = ECONOMIC_LIFE_YEARS.get(right.kind)
        if life is not None and age is not None:
            share = max(life - age, 1.0) / life
            if years_left is not None:
                share = min(share, years_left / life)
        elif remaining is not None and start is not None and right.kind not in RENEWABLE_KINDS:
            whole = (remaining.expires_on - start).days + 1
            share = min(max(remaining.days / whole, 0.0), 1.0) if whole > 0 else 0.0
        return cls(right, status, remaining, years_left, share, age)

    @property
    def ipc_subclasses(self) -> list[str]:
        """Distinct IPC subclasses (``H01M``), in the order first recorded."""
        seen: dict[str, None] = {}
        for code in self.right.ipc_codes or []:
            subclass = code.replace(" ", "").upper()[:4]
            if subclass:
                seen.setdefault(subclass)
        return list(seen)

    def scores(self) -> dict[str, float]:
        """Indicator code → 0–10 score for every indicator the registry knows."""
        right = self.right
        scores: dict[str, float] = {"stability": self._stability()}
        if right.kind in RENEWABLE_KINDS or self.years_left is None:
            scores["remaining_term"] = 10.0
        else:
            scores["remaining_term"] = _capped(10.0 * self.years_left / FULL_TERM_SCORE_YEARS)
        if self.age_years is not None:
            scores["maturity"] = _capped(3.0 + self.age_years)
        if right.kind.is_patent:
            scores["multi_country"] = _capped(3.0 + 1.5 * len(right.family_members or []))
            scores["advancement"] = _capped(
                2.0 + 8.0 * math.log1p(right.forward_citations) / math.log1p(FULL_CITATIONS)
            )
        if right.kind in CLAIMED_KINDS:
            if right.claim_count is not None:
                scores["design_around"] = _capped(right.claim_count / 2.0)
            if self.ipc_subclasses:
                scores["application_breadth"] = _capped(2.0 + 2.0 * len(self.ipc_subclasses))
        # licence_status: the platform has no licence records yet, so it stays unknown.
        return scores

    def _stability(self) -> float:
        score = STABILITY_BY_KIND[self.right.kind]
        if self.status is RightStatus.UNDER_INVALIDATION:
            return min(score, UNDER_INVALIDATION_STABILITY)
        if self.status is RightStatus.GRACE_PERIOD:
            return score - GRACE_PERIOD_PENALTY
        return score

    def base_value(self) -> float:
        table = BASE_VALUES_YUAN[self.right.kind]
        return float(table.get(self.right.industry or "", table["default"]))

    def term_adjusts_comparables(self, comparables: Sequence[valuation.Comparable]) -> bool:
        """Whether the comparables can be adjusted to this right's remaining term."""
        return (
            self.right.kind not in RENEWABLE_KINDS
            and self.years_left is not None
            and self.years_left > 0
            and all(c.remaining_term is not None for c in comparables)
        )

    def inputs(self) -> list[tuple[str, str, str]]:
        """``(label, value shown, source)`` for each registry fact read."""
        right = self.right
        registry = _("IP registry")
        term_source = _("Computed from the registry's dates and the statutory term")
        not_recorded = _("Not recorded")
        industry = INDUSTRY_LABELS.get(right.industry or "")
        rows: list[tuple[str, str, str]] = [
            (_("Kind"), str(RIGHT_KIND_LABELS[right.kind]), registry),
            (
                _("Industry"),
                str(industry) if industry else _("Other or not recorded"),
                registry,
            ),
            (_("Legal status"), str(RIGHT_STATUS_LABELS[self.status]), registry),
        ]
        if self.remaining is None:
            rows.append((_("Remaining term"), _("No fixed end"), term_source))
        else:
            years, months = self.remaining.years_months
            rows.append((_("Remaining term"), _("%(y)d y %(m)d m", y=years, m=months), term_source))
        share_source = term_source
        if right.kind in RENEWABLE_KINDS:
            share_shown = _("Renewable: not reduced")
        else:
            share_shown = format_percent(round(self.term_share, 2))
        if right.kind in ECONOMIC_LIFE_YEARS:
            share_source = _(
                "An economic life of %(years)s years from first publication or completion, "
                "shorter than the legal term",
                years=format_decimal(ECONOMIC_LIFE_YEARS[right.kind]),
            )
        rows.append((_("Share of the term left"), share_shown, share_source))
        if self.age_years is not None:
            rows.append(
                (
                    _("Age"),
                    _("%(years)s years", years=format_decimal(round(self.age_years, 1))),
                    registry,
                )
            )
        if right.kind.is_patent:
            rows.append(
                (_("Family members"), format_decimal(len(right.family_members or [])), registry)
            )
            rows.append((_("Forward citations"), format_decimal(right.forward_citations), registry))
        if right.kind in CLAIMED_KINDS:
            claims = right.claim_count
            rows.append(
                (
                    _("Patent claims"),
                    not_recorded if claims is None else format_decimal(claims),
                    registry,
                )
            )
            subclasses = self.ipc_subclasses
            rows.append(
                (
                    _("IPC subclasses"),
                    f"{format_decimal(len(subclasses))} ({', '.join(subclasses)})"
                    if subclasses
                    else not_recorded,
                    registry,
                )
            )
        rows.append((_("Licences"), _("Unknown"), _("No licence records on the platform yet")))
        return rows


def _market(
    facts: _Facts, comparables: Sequence[valuation.Comparable], *, on: date
) -> valuation.MarketValuation | None:
    """The market approach over ``comparables``, or None when every deal is screened out."""
    adjusts_term = facts.term_adjusts_comparables(comparables)
    adjustments = valuation.MarketAdjustments(
        valuation_date=on, remaining_term=facts.years_left if adjusts_term else None
    )
    try:
        return valuation.market_approach(comparables, adjustments=adjustments)
    except ValueError:
        # Every deal screened out (dated after ``on``): fall back to the base value table.
        return None


def _term_start(right: Right) -> date | None:
    """The date a right's term and age count from: filing for patents, else the earliest date."""
    if right.kind.is_patent:
        return right.filing_date
    dates = [
        d
        for d in (
            right.filing_date,
            right.grant_date,
            right.registration_date,
            right.first_publication_date,
            right.completion_date,
        )
        if d is not None
    ]
    return min(dates) if dates else None


def _capped(score: float) -> float:
    return min(max(score, 0.0), 10.0)


def _fen(yuan: float) -> int:
    """Yuan (a float from the arithmetic) to whole fen, after rounding to three significant
    figures: an indicative value is not precise to the yuan. Decimal, so no float is stored."""
    if not math.isfinite(yuan) or yuan <= 0:
        raise ValueError(f"an indicative amount must be positive, got {yuan!r}")
    amount = Decimal(repr(yuan))
    exponent = amount.adjusted() - SIGNIFICANT_FIGURES + 1
    rounded = amount.scaleb(-exponent).quantize(Decimal(1)).scaleb(exponent)
    return int((rounded * 100).quantize(Decimal(1)))
