"""Monte Carlo simulation and one-at-a-time sensitivity (tornado) analysis.

A *model* is a vectorised function: it receives each input as a keyword argument holding a NumPy
array (one element per trial) and returns an array of values of the same length. The factories
:func:`relief_from_royalty_model` and :func:`profit_split_model` build such models for the income
methods; any other NumPy expression works too::

    def model(*, revenue, margin):
        return revenue * margin

    monte_carlo(model, {"revenue": Triangular(80, 100, 130), "margin": 0.2}, seed=1)
"""

from __future__ import annotations

import inspect
import itertools
import math
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from valuation import _checks

FloatArray: TypeAlias = npt.NDArray[np.float64]
#: A vectorised model: keyword arrays in, one array of values out.
Model: TypeAlias = Callable[..., Any]

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


@dataclass(frozen=True)
class Fixed:
    """An input known exactly."""

    value: float

    def __post_init__(self) -> None:
        _checks.number("Fixed value", self.value)

    @property
    def base(self) -> float:
        return float(self.value)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, float(self.value))


@dataclass(frozen=True)
class Uniform:
    """Every value between ``low`` and ``high`` equally likely; base case the midpoint."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _ordered("Uniform", ("low", self.low), ("high", self.high), strict=True)

    @property
    def base(self) -> float:
        return (self.low + self.high) / 2.0

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.uniform(self.low, self.high, size)


@dataclass(frozen=True)
class Triangular:
    """Minimum, most likely and maximum — the usual way to ask an expert; base case the mode."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        _ordered("Triangular", ("low", self.low), ("mode", self.mode), ("high", self.high))
        if not self.low < self.high:
            raise ValueError(f"Triangular needs low < high, got {self.low!r} and {self.high!r}")

    @property
    def base(self) -> float:
        return float(self.mode)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.triangular(self.low, self.mode, self.high, size)


@dataclass(frozen=True)
class Normal:
    """Normal with the given mean and standard deviation; base case the mean."""

    mean: float
    std: float

    def __post_init__(self) -> None:
        _checks.number("Normal mean", self.mean)
        _checks.positive("Normal std", self.std)

    @property
    def base(self) -> float:
        return float(self.mean)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.normal(self.mean, self.std, size)


@dataclass(frozen=True)
class LogNormal:
    """Lognormal given by the mean and standard deviation of the variable itself (not of its log).

    ``σ² = ln(1 + (std / mean)²)`` and ``μ = ln(mean) − σ² / 2``; always positive, skewed to the
    right, as revenues and market sizes are. Base case the mean.
    """

    mean: float
    std: float

    def __post_init__(self) -> None:
        _checks.positive("LogNormal mean", self.mean)
        _checks.positive("LogNormal std", self.std)

    @property
    def base(self) -> float:
        return float(self.mean)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        sigma2 = math.log1p((self.std / self.mean) ** 2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2), size)


InputDistribution: TypeAlias = Fixed | Uniform | Triangular | Normal | LogNormal
_DISTRIBUTIONS = (Fixed, Uniform, Triangular, Normal, LogNormal)


@dataclass(frozen=True)
class Histogram:
    """Counts of the samples in equal bins between the 0.5th and 99.5th percentiles.

    ``edges`` has one more element than ``counts``; the samples outside the edges are counted in
    ``below`` and ``above``, so ``sum(counts) + below + above`` is the number of trials.
    """

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    below: int
    above: int


@dataclass(frozen=True)
class Distribution:
    """Result of :func:`monte_carlo`: the value's percentiles, mean, spread and histogram."""

    trials: int
    #: The seed used; pass it back to :func:`monte_carlo` to reproduce this run exactly.
    seed: int
    mean: float
    std: float
    p5: float
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float
    p95: float
    minimum: float
    maximum: float
    histogram: Histogram
    #: The simulated values in trial order (read-only).
    samples: FloatArray = field(repr=False, compare=False)

    def percentile(self, q: float) -> float:
        """Any percentile ``q`` in [0, 100], by linear interpolation."""
        share = _checks.number("q", q)
        if not 0 <= share <= 100:
            raise ValueError(f"q must be between 0 and 100, got {share!r}")
        return float(np.percentile(self.samples, share))

    def percentiles(self) -> dict[str, float]:
        """``{"p5": …, …, "p95": …}`` for tables and charts."""
        return {f"p{q}": float(getattr(self, f"p{q}")) for q in PERCENTILES}


@dataclass(frozen=True)
class SensitivityRow:
    """One bar of a tornado chart: the model's value with one input at its low and its high."""

    name: str
    input_low: float
    input_base: float
    input_high: float
    #: Model value with this input at ``input_low`` (all others at their base case).
    low: float
    #: Model value with this input at ``input_high``.
    high: float
    #: Model value with every input at its base case.
    base: float

    @property
    def spread(self) -> float:
        """``|high − low|``, the length of the bar."""
        return abs(self.high - self.low)


def monte_carlo(
    model: Model,
    inputs: Mapping[str, InputDistribution | float],
    *,
    trials: int = 100_000,
    seed: int | None = None,
    bins: int = 40,
) -> Distribution:
    """Monte Carlo simulation of ``model`` over uncertain ``inputs``.

    Each input is drawn ``trials`` times from its distribution (a plain number is fixed), the model
    is evaluated once on the arrays, and the values are summarised: mean, standard deviation,
    percentiles P5 … P95 and a histogram. Each input has its own random stream derived from
    ``(seed, input name)``, so the same seed gives the same result, and adding an input does not
    change the draws of the others. With ``seed=None`` a seed is drawn from the operating system
    and returned in :attr:`Distribution.seed`.

    Reference: Vose, *Risk Analysis: A Quantitative Guide* (3rd ed., 2008); Damodaran,
    "Probabilistic Approaches: Scenario Analysis, Decision Trees and Simulations" (2007).

    :raises ValueError: on a non-callable model, no inputs, an input that is not a distribution or
        number, ``trials`` or ``bins`` < 1, a negative seed, or a model returning an array of the
        wrong shape or non-finite values.
    """
    if not callable(model):
        raise ValueError(f"model must be a vectorised function, got {model!r}")
    distributions = _distributions(inputs)
    count = _checks.positive_int("trials", trials)
    bin_count = _checks.positive_int("bins", bins)
    if seed is None:
        used_seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number ≥ 0 or None, got {seed!r}")
    else:
        used_seed = int(seed)

    samples = {
        name: distribution.sample(_stream(used_seed, name), count)
        for name, distribution in distributions.items()
    }
    values = _evaluate(model, samples, count)
    values.flags.writeable = False

    quantiles = np.percentile(values, [*PERCENTILES, 0.5, 99.5])
    p5, p10, p25, p50, p75, p90, p95, lower, upper = (float(q) for q in quantiles)
    counts, edges = np.histogram(values, bins=bin_count, range=(lower, upper))
    histogram = Histogram(
        edges=tuple(float(edge) for edge in edges),
        counts=tuple(int(n) for n in counts),
        below=int(np.count_nonzero(values < edges[0])),
        above=int(np.count_nonzero(values > edges[-1])),
    )
    return Distribution(
        trials=count,
        seed=used_seed,
        mean=float(values.mean()),
        std=float(values.std(ddof=1)) if count > 1 else 0.0,
        p5=p5,
        p10=p10,
        p25=p25,
        p50=p50,
        p75=p75,
        p90=p90,
        p95=p95,
        minimum=float(values.min()),
        maximum=float(values.max()),
        histogram=histogram,
        samples=values,
    )


def sensitivity(
    model: Model,
    inputs: Mapping[str, InputDistribution | float],
    *,
    swing: float = 0.2,
    exclude: Collection[str] = (),
) -> list[SensitivityRow]:
    """One-at-a-time sensitivity for a tornado chart.

    Every input is set to its base case (the mode of a triangular, the mean of a normal or
    lognormal, the midpoint of a uniform, the value of a fixed input); then each input in turn is
    moved to ``base × (1 − swing)`` and ``base × (1 + swing)`` with the others held at base, and
    the model's value is recorded. Rows are sorted by spread ``|high − low|``, widest first.
    Inputs named in ``exclude`` (a statutory tax rate, say) keep their base value and get no row.

    Reference: Clemen & Reilly, *Making Hard Decisions* (tornado diagrams); Vose, *Risk Analysis*.

    :raises ValueError: on ``swing`` outside (0, 1], an unknown name in ``exclude``, or the errors
        of :func:`monte_carlo`.
    """
    if not callable(model):
        raise ValueError(f"model must be a vectorised function, got {model!r}")
    distributions = _distributions(inputs)
    change = _checks.positive("swing", swing)
    if change > 1:
        raise ValueError(f"swing must be at most 1 (100 %), got {change!r}")
    unknown = sorted(set(exclude) - set(distributions))
    if unknown:
        raise ValueError(f"exclude names inputs that do not exist: {', '.join(unknown)}")
    names = [name for name in distributions if name not in exclude]
    base = {name: distribution.base for name, distribution in distributions.items()}
    # Column 0 is the base case; columns 2i+1 and 2i+2 swing input i down and up.
    size = 1 + 2 * len(names)
    arrays = {name: np.full(size, value) for name, value in base.items()}
    for index, name in enumerate(names):
        arrays[name][2 * index + 1] = base[name] * (1.0 - change)
        arrays[name][2 * index + 2] = base[name] * (1.0 + change)
    values = _evaluate(model, arrays, size)
    rows = [
        SensitivityRow(
            name=name,
            input_low=base[name] * (1.0 - change),
            input_base=base[name],
            input_high=base[name] * (1.0 + change),
            low=float(values[2 * index + 1]),
            high=float(values[2 * index + 2]),
            base=float(values[0]),
        )
        for index, name in enumerate(names)
    ]
    return sorted(rows, key=lambda row: -row.spread)


def relief_from_royalty_model(
    years: int,
    *,
    mid_year: bool = False,
    tab_years: int | None = None,
    life_years: float | None = None,
) -> Model:
    """A vectorised relief-from-royalty model for :func:`monte_carlo` and :func:`sensitivity`.

    Inputs: ``revenue`` (first-year revenue), ``growth`` (yearly growth of revenue),
    ``royalty_rate``, ``tax_rate`` and ``discount_rate``. Each trial's value equals
    :func:`valuation.relief_from_royalty` on the revenues ``revenue · (1 + growth) ** (t − 1)``,
    t = 1 … ``years``, with the same ``mid_year``, ``tab_years`` and ``life_years``.

    :raises ValueError: on ``years`` or ``tab_years`` not a whole number > 0, or ``life_years`` ≤ 0.
    """
    count = _checks.positive_int("years", years)
    tab = None if tab_years is None else _checks.positive_int("tab_years", tab_years)
    fraction, time = _timing(count, mid_year, life_years)

    def model(
        *,
        revenue: FloatArray,
        growth: FloatArray,
        royalty_rate: FloatArray,
        tax_rate: FloatArray,
        discount_rate: FloatArray,
    ) -> FloatArray:
        revenue, growth, royalty, tax, rate = _columns(
            revenue, growth, royalty_rate, tax_rate, discount_rate
        )
        value = _growing_stream(revenue * royalty * (1.0 - tax), growth, rate, fraction, time)
        if tab is not None:
            value = value * _tab_factors(tax, rate, tab, mid_year)
        return value

    return model


def profit_split_model(
    years: int, *, mid_year: bool = False, life_years: float | None = None
) -> Model:
    """A vectorised profit-split model for :func:`monte_carlo` and :func:`sensitivity`.

    Inputs: ``profit`` (first-year profit), ``growth``, ``split_rate`` and ``discount_rate``; each
    trial equals :func:`valuation.profit_split` on ``profit · (1 + growth) ** (t − 1)``.

    :raises ValueError: on ``years`` not a whole number > 0 or ``life_years`` ≤ 0.
    """
    count = _checks.positive_int("years", years)
    fraction, time = _timing(count, mid_year, life_years)

    def model(
        *,
        profit: FloatArray,
        growth: FloatArray,
        split_rate: FloatArray,
        discount_rate: FloatArray,
    ) -> FloatArray:
        profit, growth, split, rate = _columns(profit, growth, split_rate, discount_rate)
        return _growing_stream(profit * split, growth, rate, fraction, time)

    return model


def _distributions(
    inputs: Mapping[str, InputDistribution | float],
) -> dict[str, InputDistribution]:
    if not isinstance(inputs, Mapping) or not inputs:
        raise ValueError("inputs must map at least one input name to a distribution or number")
    result: dict[str, InputDistribution] = {}
    for name, spec in inputs.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"input names must be Python identifiers, got {name!r}")
        if isinstance(spec, _DISTRIBUTIONS):
            result[name] = spec
        else:
            result[name] = Fixed(_checks.number(f"inputs[{name!r}]", spec))
    return result


def _ordered(kind: str, *values: tuple[str, float], strict: bool = False) -> None:
    checked = [(name, _checks.number(f"{kind} {name}", value)) for name, value in values]
    for (first, a), (second, b) in itertools.pairwise(checked):
        if a > b or (strict and a == b):
            relation = "<" if strict else "≤"
            raise ValueError(f"{kind} needs {first} {relation} {second}, got {a!r} and {b!r}")


def _stream(seed: int, name: str) -> np.random.Generator:
    # crc32 rather than hash(): Python salts str hashes per process, which would break seeds.
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def _evaluate(model: Model, arrays: Mapping[str, FloatArray], size: int) -> FloatArray:
    try:
        inspect.signature(model).bind(**arrays)
    except TypeError as error:
        raise ValueError(f"the inputs do not fit the model's arguments: {error}") from None
    except ValueError:
        pass  # some callables (builtins) have no signature; let the call itself decide
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = np.asarray(model(**arrays), dtype=np.float64)
    if result.shape == ():
        result = np.full(size, float(result))
    if result.shape != (size,):
        raise ValueError(
            f"the model must return one value per trial (shape ({size},)), got shape {result.shape}"
        )
    bad = int(np.count_nonzero(~np.isfinite(result)))
    if bad:
        raise ValueError(
            f"the model returned {bad} non-finite values; check that the inputs' ranges "
            "are valid for it (e.g. no negative discount rates)"
        )
    return result


def _columns(*arrays: FloatArray) -> tuple[FloatArray, ...]:
    return tuple(np.asarray(array, dtype=np.float64).reshape(-1, 1) for array in arrays)


def _timing(count: int, mid_year: bool, life_years: float | None) -> tuple[FloatArray, FloatArray]:
    elapsed = np.arange(count, dtype=np.float64)
    if life_years is None:
        fraction = np.ones(count)
    else:
        life = _checks.positive("life_years", life_years)
        fraction = np.clip(life - elapsed, 0.0, 1.0)
    time = elapsed + (fraction / 2.0 if mid_year else fraction)
    # A year beyond the life has no income; give it a harmless time so that nothing divides by 0.
    time = np.where(fraction > 0, time, elapsed + 1.0)
    return fraction, time


def _growing_stream(
    first: FloatArray, growth: FloatArray, rate: FloatArray, fraction: FloatArray, time: FloatArray
) -> FloatArray:
    """``Σ_t first · (1 + g) ** (t − 1) · fraction_t / (1 + r) ** time_t`` for each trial (row).

    Computed as one ``exp`` of ``(t − 1)·ln(1 + g) − time·ln(1 + r)`` per cell, which is several
    times faster than two powers. As in the scalar methods the stream stops at the first year whose
    income is zero or negative: never when ``first > 0`` and ``g > −1``; at once when
    ``first ≤ 0``; after year 1 when ``g ≤ −1``.
    """
    count = fraction.shape[0]
    elapsed = np.arange(count, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_growth = np.log1p(np.where(growth > -1.0, growth, 0.0))
        exponent = elapsed * log_growth - time * np.log1p(rate)
    cells = np.exp(exponent)
    if not np.all(fraction == 1.0):
        cells *= fraction
    result: FloatArray = first.reshape(-1) * cells.sum(axis=1)
    collapsed = (growth <= -1.0).reshape(-1)
    if collapsed.any():
        result[collapsed] = (first.reshape(-1) * cells[:, 0])[collapsed]
    result[first.reshape(-1) <= 0.0] = 0.0
    return result


def _tab_factors(tax: FloatArray, rate: FloatArray, years: int, mid_year: bool) -> FloatArray:
    periods = np.arange(1, years + 1, dtype=np.float64) - (0.5 if mid_year else 0.0)
    annuity = np.sum((1.0 + rate) ** -periods, axis=1, keepdims=True)
    factors: FloatArray = (1.0 / (1.0 - tax * annuity / years)).reshape(-1)
    return factors
