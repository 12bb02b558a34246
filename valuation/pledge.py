"""Pledge capacity: how much a bank may lend against an IP right under its own policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from valuation import _checks

#: Highest legal score (the legal value degree of :func:`valuation.patent_value_index`).
MAX_LEGAL_SCORE = 10.0


def _bands(name: str, bands: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    checked = tuple(
        (
            _checks.non_negative(f"{name} threshold", threshold),
            _checks.fraction(f"{name} factor", factor),
        )
        for threshold, factor in bands
    )
    if checked and min(threshold for threshold, _ in checked) != 0:
        raise ValueError(f"{name} bands must start at 0 so that every value falls in a band")
    if len({threshold for threshold, _ in checked}) != len(checked):
        raise ValueError(f"{name} bands must have distinct thresholds")
    return tuple(sorted(checked))


def _band_factor(bands: tuple[tuple[float, float], ...], value: float) -> tuple[float, float]:
    """The ``(threshold, factor)`` of the highest band whose threshold is ≤ ``value``."""
    chosen = bands[0]
    for band in bands:
        if band[0] <= value:
            chosen = band
    return chosen


@dataclass(frozen=True)
class HaircutTable:
    """Multipliers (0–1) that reduce the base pledge rate.

    Each banded table is a sequence of ``(at least, factor)`` pairs starting at 0: the factor of the
    highest threshold not above the value applies. ``((0, 0.6), (3, 0.8), (5, 1.0))`` on remaining
    term means 0.6 below 3 years, 0.8 from 3 to 5 years and 1.0 from 5 years on. An empty table
    means no haircut.
    """

    remaining_term: Sequence[tuple[float, float]] = ()
    #: Banded on the legal score (0–10).
    legal_score: Sequence[tuple[float, float]] = ()
    #: Applied when no legal score is given (a cautious bank sets it below 1).
    legal_score_unknown: float = 1.0
    #: Banded on the number of rights pledged together; a lone right concentrates the risk.
    concentration: Sequence[tuple[float, float]] = ()
    #: Applied when an exclusive licence is outstanding: the licensee keeps using the right,
    #: so a buyer in a disposal gets less.
    exclusive_licence: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "remaining_term", _bands("remaining_term", self.remaining_term))
        object.__setattr__(self, "legal_score", _bands("legal_score", self.legal_score))
        object.__setattr__(self, "concentration", _bands("concentration", self.concentration))
        _checks.fraction("legal_score_unknown", self.legal_score_unknown)
        _checks.fraction("exclusive_licence", self.exclusive_licence)


@dataclass(frozen=True)
class PledgePolicy:
    """A bank's pledge policy in the terms of this library.

    ``base_rates`` maps each right kind the bank accepts (glossary codes: ``invention``,
    ``utility_model``, ``trademark`` …) to its base pledge rate (loan ÷ value); a kind absent from
    it is not accepted. ``min_remaining_years`` maps a kind to the shortest remaining term the bank
    accepts; ``buffer_years`` is how long the right must outlast the loan; ``max_amount`` caps any
    one loan (None: no cap).
    """

    base_rates: Mapping[str, float] = field(hash=False)
    min_remaining_years: Mapping[str, float] = field(default_factory=dict, hash=False)
    buffer_years: float = 0.0
    haircuts: HaircutTable = field(default_factory=HaircutTable)
    max_amount: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.base_rates, Mapping) or not self.base_rates:
            raise ValueError("base_rates must give the base pledge rate of at least one kind")
        for kind, rate in self.base_rates.items():
            _checks.fraction(f"base rate for {kind}", rate)
        for kind, years in self.min_remaining_years.items():
            _checks.non_negative(f"minimum remaining years for {kind}", years)
        _checks.non_negative("buffer_years", self.buffer_years)
        if not isinstance(self.haircuts, HaircutTable):
            raise ValueError(f"haircuts must be a HaircutTable, got {self.haircuts!r}")
        if self.max_amount is not None:
            _checks.positive("max_amount", self.max_amount)


@dataclass(frozen=True)
class PledgeFactor:
    """One step of the computation, with a sentence explaining it."""

    code: str
    factor: float
    explanation: str


@dataclass(frozen=True)
class PledgeCapacity:
    """The largest loan the policy allows against the right, and why."""

    amount: float
    eligible: bool
    conservative_value: float
    #: Factors in the order applied; ``amount = value × Π factors`` when eligible (a cap by the
    #: policy's maximum amount appears as the last factor, ``max_amount``).
    factors: tuple[PledgeFactor, ...]
    #: Why the right cannot secure the loan at all (empty when eligible).
    refusals: tuple[str, ...]
    #: True when the policy's maximum amount cut the result.
    capped: bool

    @property
    def pledge_rate(self) -> float:
        """Effective pledge rate (loan ÷ value); 0 when the value is 0."""
        return self.amount / self.conservative_value if self.conservative_value else 0.0


def pledge_capacity(
    conservative_value: float,
    *,
    kind: str,
    remaining_years: float,
    loan_years: float,
    policy: PledgePolicy,
    legal_score: float | None = None,
    rights_in_bundle: int = 1,
    exclusive_licence_outstanding: bool = False,
) -> PledgeCapacity:
    """Loan cap ``L = min(V · b_kind · h_term · h_legal · h_conc · h_excl, max_amount)``.

    ``V`` is a conservative value (for instance the P10–P25 of a Monte Carlo range), ``b_kind`` the
    policy's base pledge rate for the kind of right, and the ``h`` haircuts come from the policy's
    table for the remaining term, the legal score, the number of rights pledged together and an
    outstanding exclusive licence. The cap is zero when the kind is not accepted, when the
    remaining term is below the policy's minimum, or when the loan would outlive the right's
    remaining term less the buffer (``loan_years > remaining_years − buffer_years``): the bank
    must be able to sell the right while it still protects something.

    Reference: 中国银保监会、国家知识产权局、国家版权局《关于进一步加强知识产权质押融资工作的通知》
    (2019); 国家知识产权局《专利权质押登记办法》(2021).

    :raises ValueError: on a negative value or remaining term, ``loan_years`` ≤ 0, a legal score
        outside 0–10, ``rights_in_bundle`` < 1, an empty kind, or a policy that is not a
        :class:`PledgePolicy`.
    """
    value = _checks.non_negative("conservative_value", conservative_value)
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError(f"kind must name the kind of right, got {kind!r}")
    remaining = _checks.non_negative("remaining_years", remaining_years)
    loan = _checks.positive("loan_years", loan_years)
    if not isinstance(policy, PledgePolicy):
        raise ValueError(f"policy must be a PledgePolicy, got {policy!r}")
    score = None if legal_score is None else _checks.number("legal_score", legal_score)
    if score is not None and not 0.0 <= score <= MAX_LEGAL_SCORE:
        raise ValueError(f"legal_score must be between 0 and 10, got {score!r}")
    bundle = _checks.positive_int("rights_in_bundle", rights_in_bundle)
    haircuts = policy.haircuts

    factors: list[PledgeFactor] = []
    refusals: list[str] = []

    base_rate = policy.base_rates.get(kind)
    if base_rate is None:
        refusals.append(f"the policy does not accept {kind} as collateral")
        factors.append(PledgeFactor("base_rate", 0.0, f"no base pledge rate for {kind}"))
    else:
        factors.append(
            PledgeFactor("base_rate", base_rate, f"base pledge rate for {kind}: {base_rate:.0%}")
        )

    minimum = policy.min_remaining_years.get(kind, 0.0)
    if remaining < minimum:
        refusals.append(
            f"remaining term {remaining:g} years is below the policy's minimum of {minimum:g} "
            f"years for {kind}"
        )
    usable = remaining - policy.buffer_years
    if loan > usable:
        refusals.append(
            f"a {loan:g}-year loan would outlive the right: remaining term {remaining:g} years "
            f"less a {policy.buffer_years:g}-year buffer leaves {max(usable, 0.0):g} years"
        )

    if haircuts.remaining_term:
        threshold, factor = _band_factor(tuple(haircuts.remaining_term), remaining)
        factors.append(
            PledgeFactor(
                "remaining_term",
                factor,
                f"remaining term {remaining:g} years (band from {threshold:g} years): ×{factor:g}",
            )
        )
    if score is None:
        factors.append(
            PledgeFactor(
                "legal_score",
                haircuts.legal_score_unknown,
                f"no legal score given: ×{haircuts.legal_score_unknown:g}",
            )
        )
    elif haircuts.legal_score:
        threshold, factor = _band_factor(tuple(haircuts.legal_score), score)
        factors.append(
            PledgeFactor(
                "legal_score",
                factor,
                f"legal score {score:g} of 10 (band from {threshold:g}): ×{factor:g}",
            )
        )
    if haircuts.concentration:
        threshold, factor = _band_factor(tuple(haircuts.concentration), bundle)
        noun = "right" if bundle == 1 else "rights"
        factors.append(
            PledgeFactor(
                "concentration",
                factor,
                f"{bundle} {noun} pledged together (band from {threshold:g}): ×{factor:g}",
            )
        )
    if exclusive_licence_outstanding:
        factors.append(
            PledgeFactor(
                "exclusive_licence",
                haircuts.exclusive_licence,
                "an exclusive licence is outstanding, so a buyer on disposal could not use the "
                f"right: ×{haircuts.exclusive_licence:g}",
            )
        )

    amount = value
    for item in factors:
        amount *= item.factor
    capped = False
    if refusals:
        amount = 0.0
    elif policy.max_amount is not None and amount > policy.max_amount:
        capped = True
        factors.append(
            PledgeFactor(
                "max_amount",
                policy.max_amount / amount,
                f"capped at the policy's maximum loan of {policy.max_amount:,.2f}",
            )
        )
        amount = policy.max_amount
    return PledgeCapacity(
        amount=amount,
        eligible=not refusals,
        conservative_value=value,
        factors=tuple(factors),
        refusals=tuple(refusals),
        capped=capped,
    )
