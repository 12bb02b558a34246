"""Option approach: a patent as a call option on developing its product (real option)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from valuation import _checks


@dataclass(frozen=True)
class OptionValuation:
    """Value of the patent as a call option.

    ``d1``, ``d2``, ``n_d1`` and ``n_d2`` are those of the Black–Scholes–Merton formula on the same
    inputs; a binomial result carries them too, for reference, and records its ``steps``.
    """

    value: float
    d1: float
    d2: float
    n_d1: float
    n_d2: float
    #: ``"black_scholes"`` or ``"binomial"``.
    method: str
    #: The yield used (cost of delay), ``1 / years`` unless given.
    yield_rate: float
    steps: int | None = None
    american: bool = False


@dataclass(frozen=True)
class _Inputs:
    asset: float
    cost: float
    years: float
    rate: float
    volatility: float
    yield_rate: float


def _inputs(
    asset_value: float,
    exercise_cost: float,
    years: float,
    risk_free_rate: float,
    volatility: float,
    yield_rate: float | None,
) -> _Inputs:
    term = _checks.positive("years", years)
    return _Inputs(
        asset=_checks.positive("asset_value", asset_value),
        cost=_checks.positive("exercise_cost", exercise_cost),
        years=term,
        rate=_checks.non_negative("risk_free_rate", risk_free_rate),
        volatility=_checks.positive("volatility", volatility),
        yield_rate=1.0 / term
        if yield_rate is None
        else _checks.non_negative("yield_rate", yield_rate),
    )


def _normal_cdf(x: float) -> float:
    # erfc keeps its precision far in the lower tail, where 1 + erf(x) would cancel to 0.
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _closed_form(inputs: _Inputs) -> tuple[float, float, float, float, float]:
    sigma_root_t = inputs.volatility * math.sqrt(inputs.years)
    d1 = (
        math.log(inputs.asset / inputs.cost)
        + (inputs.rate - inputs.yield_rate + inputs.volatility**2 / 2.0) * inputs.years
    ) / sigma_root_t
    d2 = d1 - sigma_root_t
    n_d1 = _normal_cdf(d1)
    n_d2 = _normal_cdf(d2)
    value = (
        inputs.asset * math.exp(-inputs.yield_rate * inputs.years) * n_d1
        - inputs.cost * math.exp(-inputs.rate * inputs.years) * n_d2
    )
    return max(value, 0.0), d1, d2, n_d1, n_d2


def black_scholes_option(
    asset_value: float,
    exercise_cost: float,
    years: float,
    risk_free_rate: float,
    volatility: float,
    *,
    yield_rate: float | None = None,
) -> OptionValuation:
    """Black–Scholes–Merton value of a patent as a call option with a continuous yield.

    ``C = S·e^(−yT)·N(d1) − K·e^(−rT)·N(d2)``, ``d1 = [ln(S/K) + (r − y + σ²/2)·T] / (σ√T)``,
    ``d2 = d1 − σ√T``, where ``S`` is the present value of the cash flows from developing the
    product now (``asset_value``), ``K`` the cost of developing it (``exercise_cost``), ``T`` the
    remaining patent life, ``r`` the riskless rate, ``σ`` the volatility of ``S`` and ``y`` the cost
    of delay — each year of waiting loses a year of protected income, so ``y = 1 / T`` by default.

    Example (Damodaran's Avonex patent): S = 3,422, K = 2,875 (US$ million), T = 17, r = 6.7 %,
    σ² = 0.224 → d1 = 1.1362, value ≈ 907.

    Reference: Black & Scholes (1973), Merton (1973); Damodaran, *Investment Valuation* (real
    options: valuing a patent) and *Damodaran on Valuation*, illustration 12.5.

    :raises ValueError: when a value, cost, term or volatility is ≤ 0 or a rate is negative.
    """
    inputs = _inputs(asset_value, exercise_cost, years, risk_free_rate, volatility, yield_rate)
    value, d1, d2, n_d1, n_d2 = _closed_form(inputs)
    return OptionValuation(
        value=value,
        d1=d1,
        d2=d2,
        n_d1=n_d1,
        n_d2=n_d2,
        method="black_scholes",
        yield_rate=inputs.yield_rate,
    )


def binomial_option(
    asset_value: float,
    exercise_cost: float,
    years: float,
    risk_free_rate: float,
    volatility: float,
    *,
    yield_rate: float | None = None,
    steps: int = 500,
    american: bool = False,
) -> OptionValuation:
    """Cox–Ross–Rubinstein binomial value of the same call option.

    With ``Δt = T / n``: ``u = e^(σ√Δt)``, ``d = 1 / u``, risk-neutral ``p = (e^((r − y)Δt) − d) /
    (u − d)``; terminal payoffs ``max(S·u^j·d^(n−j) − K, 0)`` are rolled back with
    ``V = e^(−rΔt)·(p·V_up + (1 − p)·V_down)``. ``american=True`` also allows developing the product
    at any node (``max(continuation, S_node − K)``), which is worth more when the cost of delay is
    high. As ``steps`` grows the European value converges to :func:`black_scholes_option`.

    Reference: Cox, Ross & Rubinstein, "Option pricing: a simplified approach", *Journal of
    Financial Economics* 7 (1979); Hull, *Options, Futures, and Other Derivatives*, ch. 13.

    :raises ValueError: as :func:`black_scholes_option`, and when ``steps`` is not a whole number
        ≥ 1 or is too few for a valid risk-neutral probability.
    """
    inputs = _inputs(asset_value, exercise_cost, years, risk_free_rate, volatility, yield_rate)
    count = _checks.positive_int("steps", steps)
    _, d1, d2, n_d1, n_d2 = _closed_form(inputs)

    dt = inputs.years / count
    log_up = inputs.volatility * math.sqrt(dt)
    up, down = math.exp(log_up), math.exp(-log_up)
    p = (math.exp((inputs.rate - inputs.yield_rate) * dt) - down) / (up - down)
    if not 0.0 < p < 1.0:
        raise ValueError(
            f"steps={count} gives a risk-neutral probability of {p:.4f} outside (0, 1); "
            "use more steps"
        )
    discount = math.exp(-inputs.rate * dt)
    log_asset = math.log(inputs.asset)

    def node_prices(level: int) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
        ups = np.arange(level + 1, dtype=np.float64)
        return np.exp(log_asset + (2.0 * ups - level) * log_up)

    values = np.maximum(node_prices(count) - inputs.cost, 0.0)
    for level in range(count - 1, -1, -1):
        values = discount * (p * values[1:] + (1.0 - p) * values[:-1])
        if american:
            values = np.maximum(values, node_prices(level) - inputs.cost)
    return OptionValuation(
        value=float(values[0]),
        d1=d1,
        d2=d2,
        n_d1=n_d1,
        n_d2=n_d2,
        method="binomial",
        yield_rate=inputs.yield_rate,
        steps=count,
        american=bool(american),
    )
