"""The appraiser's workbench as pure computation: methods, inputs with their sources, the
result of each method, the Monte Carlo range of the reconciled value, and the tornado.

No Flask and no database: the views parse a form into :class:`WorkbenchInput` and render a
:class:`WorkbenchResult`; the report freezes both. Amounts here are yuan (floats, as the
``valuation`` library works); the platform stores the conclusions as integer fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

import valuation

MethodKey = Literal["relief_from_royalty", "profit_split", "cost_approach"]
Basis = Literal["market_value", "pledge_value"]
InputKind = Literal["money", "rate", "years"]

#: Trials of the workbench's Monte Carlo: enough for stable P10/P90, fast enough to rerun on
#: every save (the 100 000-trial figure is in bench/valuation.py).
TRIALS = 20_000


@dataclass(frozen=True)
class InputSpec:
    name: str
    kind: InputKind
    #: Whether the appraiser may give a low–high range (Monte Carlo, tornado).
    uncertain: bool = True


@dataclass(frozen=True)
class MethodSpec:
    key: MethodKey
    inputs: tuple[InputSpec, ...]
    #: Formula shown in the workbench and printed in the report.
    formula: str


METHODS: dict[MethodKey, MethodSpec] = {
    "relief_from_royalty": MethodSpec(
        "relief_from_royalty",
        (
            InputSpec("revenue", "money"),
            InputSpec("growth", "rate"),
            InputSpec("royalty_rate", "rate"),
            InputSpec("tax_rate", "rate", uncertain=False),
            InputSpec("discount_rate", "rate"),
            InputSpec("years", "years", uncertain=False),
        ),
        "V = Σ R₁(1+g)^(t−1) · k · (1 − T) / (1 + r)^t,  t = 1…n",
    ),
    "profit_split": MethodSpec(
        "profit_split",
        (
            InputSpec("profit", "money"),
            InputSpec("growth", "rate"),
            InputSpec("split_rate", "rate"),
            InputSpec("discount_rate", "rate"),
            InputSpec("years", "years", uncertain=False),
        ),
        "V = Σ P₁(1+g)^(t−1) · s / (1 + r)^t,  t = 1…n",
    ),
    "cost_approach": MethodSpec(
        "cost_approach",
        (
            InputSpec("replacement_cost", "money"),
            InputSpec("developer_profit", "rate", uncertain=False),
            InputSpec("physical", "rate", uncertain=False),
            InputSpec("functional", "rate", uncertain=False),
            InputSpec("economic", "rate", uncertain=False),
        ),
        "V = C · (1 + p) · (1 − o_phys) · (1 − o_func) · (1 − o_econ)",
    ),
}


@dataclass(frozen=True)
class InputValue:
    """One input as the appraiser entered it: the value, an optional range, and its source."""

    value: float
    source: str
    low: float | None = None
    high: float | None = None

    @property
    def has_range(self) -> bool:
        return self.low is not None and self.high is not None and self.low < self.high


@dataclass(frozen=True)
class MethodInput:
    key: MethodKey
    weight: float
    inputs: Mapping[str, InputValue]


@dataclass(frozen=True)
class WorkbenchInput:
    methods: tuple[MethodInput, ...]
    basis: Basis = "market_value"
    #: For a pledge value: the percentile of the reconciled distribution (10–25).
    pledge_percentile: int = 20
    #: The right's economic life in years: income stops there.
    life_years: float | None = None
    seed: int = 2026


class WorkbenchError(ValueError):
    """Inputs that cannot be valued; ``fields`` maps ``method.input`` names to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class MethodResult:
    key: MethodKey
    weight: float
    value: float
    schedule: valuation.IncomeValuation | None = None


@dataclass(frozen=True)
class WorkbenchResult:
    methods: tuple[MethodResult, ...]
    #: Σ weight × value of each method, in yuan.
    reconciled: float
    distribution: valuation.Distribution | None
    tornado: tuple[valuation.SensitivityRow, ...]
    tornado_base: float
    basis: Basis
    pledge_percentile: int
    concluded: float
    low: float
    mid: float
    high: float
    notes: tuple[str, ...] = field(default=())


def _validate(data: WorkbenchInput) -> None:
    problems: dict[str, str] = {}
    if not data.methods:
        problems["methods"] = "choose at least one method"
    total = sum(m.weight for m in data.methods)
    if data.methods and abs(total - 1.0) > 1e-6:
        problems["weights"] = f"the methods' weights must add up to 100 %, not {total:.0%}"
    for method in data.methods:
        spec = METHODS[method.key]
        if method.weight < 0:
            problems[f"{method.key}.weight"] = "a weight cannot be negative"
        for item in spec.inputs:
            entered = method.inputs.get(item.name)
            name = f"{method.key}.{item.name}"
            if entered is None:
                problems[name] = "missing"
                continue
            if not entered.source.strip():
                problems[name] = "give the source of this input"
            if entered.has_range and not (entered.low <= entered.value <= entered.high):  # type: ignore[operator]
                problems[name] = "the value must lie between its low and its high"
            if (entered.low is None) != (entered.high is None):
                problems[name] = "give both the low and the high, or neither"
    if data.basis == "pledge_value" and not 10 <= data.pledge_percentile <= 25:
        problems["pledge_percentile"] = "a pledge value uses a percentile from P10 to P25"
    if problems:
        raise WorkbenchError(problems)


def _years(value: float) -> int:
    return max(1, round(value))


def _model_inputs(method: MethodInput) -> tuple[dict[str, float], dict[str, Any]]:
    """Base values and Monte Carlo inputs of an income method, named ``<method>__<input>``:
    an input given with a low and a high is triangular, any other is fixed."""
    base: dict[str, float] = {}
    draws: dict[str, Any] = {}
    for name, entered in method.inputs.items():
        if name == "years":
            continue
        key = f"{method.key}__{name}"
        base[key] = entered.value
        draws[key] = (
            valuation.Triangular(entered.low, entered.value, entered.high)  # type: ignore[arg-type]
            if entered.has_range
            else entered.value
        )
    return base, draws


def _method_value(method: MethodInput, life: float | None) -> MethodResult:
    values = {name: entered.value for name, entered in method.inputs.items()}
    if method.key == "cost_approach":
        value = valuation.cost_approach(
            values["replacement_cost"],
            physical=values["physical"],
            functional=values["functional"],
            economic=values["economic"],
            developer_profit=values["developer_profit"],
        )
        return MethodResult(method.key, method.weight, value)
    years = _years(values["years"])
    growth = values["growth"]
    if method.key == "relief_from_royalty":
        revenues = [values["revenue"] * (1 + growth) ** t for t in range(years)]
        result = valuation.relief_from_royalty(
            revenues,
            values["royalty_rate"],
            values["tax_rate"],
            values["discount_rate"],
            life_years=life,
        )
    else:
        profits = [values["profit"] * (1 + growth) ** t for t in range(years)]
        result = valuation.profit_split(
            profits, values["split_rate"], values["discount_rate"], life_years=life
        )
    return MethodResult(method.key, method.weight, result.value, result)


def _income_model(method: MethodInput, life: float | None) -> valuation.Model:
    years = _years(method.inputs["years"].value)
    if method.key == "relief_from_royalty":
        return valuation.relief_from_royalty_model(years, life_years=life)
    return valuation.profit_split_model(years, life_years=life)


def reconciled_model(
    data: WorkbenchInput, results: tuple[MethodResult, ...]
) -> tuple[valuation.Model, dict[str, float], dict[str, Any]]:
    """One vectorised model of the weighted sum of every method, for Monte Carlo and tornado:
    income methods are simulated, the cost approach adds its fixed value at its weight."""
    parts: list[tuple[float, str, valuation.Model]] = []
    constant = 0.0
    base: dict[str, float] = {}
    draws: dict[str, Any] = {}
    for method, result in zip(data.methods, results, strict=True):
        if method.key == "cost_approach":
            constant += method.weight * result.value
            continue
        parts.append((method.weight, method.key, _income_model(method, data.life_years)))
        method_base, method_draws = _model_inputs(method)
        base.update(method_base)
        draws.update(method_draws)

    def model(**arrays: Any) -> Any:
        total: Any = constant
        for weight, key, part in parts:
            prefix = f"{key}__"
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            total = total + weight * part(**own)
        return total * np.ones_like(next(iter(arrays.values()))) if arrays else total

    return model, base, draws


def _tornado(
    model: valuation.Model, base: dict[str, float], ranges: dict[str, valuation.Triangular]
) -> tuple[valuation.SensitivityRow, ...]:
    """One-at-a-time sensitivity over the appraiser's own low and high of each uncertain input
    (rather than a fixed ±20 %), widest bar first."""
    names = list(ranges)
    size = 1 + 2 * len(names)
    arrays = {name: np.full(size, value, dtype=float) for name, value in base.items()}
    for index, name in enumerate(names):
        arrays[name][2 * index + 1] = ranges[name].low
        arrays[name][2 * index + 2] = ranges[name].high
    values = np.asarray(model(**arrays), dtype=float).reshape(-1)
    rows = [
        valuation.SensitivityRow(
            name=name,
            input_low=ranges[name].low,
            input_base=base[name],
            input_high=ranges[name].high,
            low=float(values[2 * index + 1]),
            high=float(values[2 * index + 2]),
            base=float(values[0]),
        )
        for index, name in enumerate(names)
    ]
    return tuple(sorted(rows, key=lambda row: -row.spread))


def evaluate(data: WorkbenchInput) -> WorkbenchResult:
    """Value each method, reconcile by weight, and simulate the reconciled value.

    The range is the P10–P90 of a Monte Carlo run of the weighted sum of every method, with a
    triangular distribution on every input given with a low and a high; the tornado shows how
    the reconciled value moves with each uncertain input.

    :raises WorkbenchError: missing inputs, sources or ranges, weights not adding up to 100 %.
    :raises ValueError: inputs the ``valuation`` library refuses (its message says why).
    """
    _validate(data)
    results = tuple(_method_value(m, data.life_years) for m in data.methods)
    reconciled = sum(r.weight * r.value for r in results)
    model, base, draws = reconciled_model(data, results)
    uncertain = [name for name, draw in draws.items() if not isinstance(draw, float | int)]
    distribution = None
    tornado: tuple[valuation.SensitivityRow, ...] = ()
    if uncertain:
        distribution = valuation.monte_carlo(model, draws, trials=TRIALS, seed=data.seed)
        tornado = _tornado(model, base, {name: draws[name] for name in uncertain})
    low, mid, high = (
        (distribution.p10, distribution.p50, distribution.p90)
        if distribution is not None
        else (reconciled, reconciled, reconciled)
    )
    concluded = reconciled
    notes: list[str] = []
    if data.basis == "pledge_value":
        if distribution is not None:
            concluded = min(reconciled, distribution.percentile(data.pledge_percentile))
        else:
            notes.append("no_range_for_pledge")
    return WorkbenchResult(
        methods=results,
        reconciled=reconciled,
        distribution=distribution,
        tornado=tornado,
        tornado_base=reconciled,
        basis=data.basis,
        pledge_percentile=data.pledge_percentile,
        concluded=concluded,
        low=low,
        mid=mid,
        high=high,
        notes=tuple(notes),
    )
