"""Monte Carlo simulation and tornado sensitivity."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import (
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
    monte_carlo,
    profit_split,
    profit_split_model,
    relief_from_royalty,
    relief_from_royalty_model,
    sensitivity,
)

ROYALTY_INPUTS = {
    "revenue": Triangular(8_000_000, 10_000_000, 13_000_000),
    "growth": Normal(0.05, 0.02),
    "royalty_rate": Uniform(0.03, 0.05),
    "tax_rate": 0.25,
    "discount_rate": Triangular(0.10, 0.12, 0.16),
}


def sum_model(**inputs):
    return sum(inputs.values())


def test_same_seed_same_result():
    model = relief_from_royalty_model(10)
    first = monte_carlo(model, ROYALTY_INPUTS, trials=20_000, seed=7)
    second = monte_carlo(model, ROYALTY_INPUTS, trials=20_000, seed=7)
    assert first == second
    assert np.array_equal(first.samples, second.samples)


def test_different_seeds_differ():
    model = relief_from_royalty_model(10)
    first = monte_carlo(model, ROYALTY_INPUTS, trials=5_000, seed=1)
    second = monte_carlo(model, ROYALTY_INPUTS, trials=5_000, seed=2)
    assert first.mean != second.mean


def test_seed_none_is_recorded_and_reproduces_the_run():
    model = relief_from_royalty_model(5)
    first = monte_carlo(model, ROYALTY_INPUTS, trials=2_000)
    again = monte_carlo(model, ROYALTY_INPUTS, trials=2_000, seed=first.seed)
    assert first == again


def test_adding_an_input_keeps_the_other_inputs_draws():
    # Each input has its own stream keyed by its name, so scenarios stay comparable.
    alone = monte_carlo(lambda *, a: a, {"a": Normal(0, 1)}, trials=1_000, seed=3)
    paired = monte_carlo(
        lambda *, a, b: a + 0 * b, {"a": Normal(0, 1), "b": Uniform(0, 1)}, trials=1_000, seed=3
    )
    assert np.array_equal(alone.samples, paired.samples)


def test_percentiles_are_ordered_and_histogram_counts_every_trial():
    result = monte_carlo(relief_from_royalty_model(10), ROYALTY_INPUTS, trials=50_000, seed=11)
    assert isinstance(result, Distribution)
    ordered = [result.minimum, result.p5, result.p10, result.p25, result.p50]
    ordered += [result.p75, result.p90, result.p95, result.maximum]
    assert ordered == sorted(ordered)
    histogram = result.histogram
    assert len(histogram.edges) == len(histogram.counts) + 1 == 41
    assert sum(histogram.counts) + histogram.below + histogram.above == 50_000
    assert histogram.below == histogram.above == 250  # 0.5 % in each tail
    assert list(result.percentiles()) == ["p5", "p10", "p25", "p50", "p75", "p90", "p95"]
    assert result.percentile(50) == pytest.approx(result.p50)


def test_samples_are_read_only():
    result = monte_carlo(sum_model, {"x": Uniform(0, 1)}, trials=10, seed=0)
    with pytest.raises(ValueError, match="read-only"):
        result.samples[0] = 1.0


@pytest.mark.parametrize(
    ("spec", "mean", "std"),
    [
        (Triangular(1, 4, 10), 5.0, math.sqrt((1 + 16 + 100 - 4 - 10 - 40) / 18)),
        (Uniform(2, 6), 4.0, 4 / math.sqrt(12)),
        (Normal(5, 2), 5.0, 2.0),
        (LogNormal(10, 3), 10.0, 3.0),
        (Fixed(3.5), 3.5, 0.0),
    ],
)
def test_distributions_have_their_textbook_moments(spec, mean, std):
    # Triangular: mean (a + b + c) / 3, variance (a² + b² + c² − ab − ac − bc) / 18.
    result = monte_carlo(lambda *, x: x, {"x": spec}, trials=200_000, seed=5)
    assert result.mean == pytest.approx(mean, rel=0.01)
    assert result.std == pytest.approx(std, rel=0.02, abs=1e-9)


def test_fixed_inputs_give_a_single_value():
    result = monte_carlo(sum_model, {"a": 2.0, "b": Fixed(3.0)}, trials=100, seed=0)
    assert result.p5 == result.p95 == result.mean == 5.0
    assert result.std == 0.0


def test_scalar_model_result_is_broadcast():
    result = monte_carlo(lambda **_: 42.0, {"a": Uniform(0, 1)}, trials=10, seed=0)
    assert result.mean == 42.0


@settings(database=None, derandomize=True, max_examples=50, deadline=None)
@given(
    revenue=st.floats(min_value=1, max_value=1e8),
    growth=st.floats(min_value=-1.0, max_value=0.5),
    royalty=st.floats(min_value=0.0, max_value=0.3),
    tax=st.floats(min_value=0.0, max_value=0.5),
    rate=st.floats(min_value=0.0, max_value=0.4),
    mid_year=st.booleans(),
    tab_years=st.sampled_from([None, 5, 15]),
    life=st.sampled_from([None, 0.5, 3.7, 10.0, 30.0]),
)
def test_vectorised_royalty_model_equals_the_scalar_method(
    revenue, growth, royalty, tax, rate, mid_year, tab_years, life
):
    model = relief_from_royalty_model(10, mid_year=mid_year, tab_years=tab_years, life_years=life)
    vectorised = model(
        revenue=np.array([revenue]),
        growth=np.array([growth]),
        royalty_rate=np.array([royalty]),
        tax_rate=np.array([tax]),
        discount_rate=np.array([rate]),
    )[0]
    revenues = [revenue * (1 + growth) ** t for t in range(10)]
    scalar = relief_from_royalty(
        revenues, royalty, tax, rate, mid_year=mid_year, tab_years=tab_years, life_years=life
    )
    assert vectorised == pytest.approx(scalar.value, rel=1e-9, abs=1e-9)


@settings(database=None, derandomize=True, max_examples=50, deadline=None)
@given(
    profit=st.floats(min_value=-1e6, max_value=1e8),
    growth=st.floats(min_value=-2.0, max_value=0.5),
    split=st.floats(min_value=0.0, max_value=1.0),
    rate=st.floats(min_value=0.0, max_value=0.4),
    life=st.sampled_from([None, 2.5, 8.0]),
)
def test_vectorised_profit_split_model_equals_the_scalar_method(profit, growth, split, rate, life):
    model = profit_split_model(8, life_years=life)
    vectorised = model(
        profit=np.array([profit]),
        growth=np.array([growth]),
        split_rate=np.array([split]),
        discount_rate=np.array([rate]),
    )[0]
    profits = [profit * (1 + growth) ** t for t in range(8)]
    scalar = profit_split(profits, split, rate, life_years=life)
    assert vectorised == pytest.approx(scalar.value, rel=1e-9, abs=1e-9)


def test_monte_carlo_mean_is_near_the_deterministic_value_for_linear_inputs():
    # Revenue and royalty enter linearly and independently, so E[value] = value at the means
    # when the discount rate is fixed.
    model = relief_from_royalty_model(5)
    inputs = {
        "revenue": Uniform(900, 1100),
        "growth": 0.0,
        "royalty_rate": Triangular(0.02, 0.04, 0.06),
        "tax_rate": 0.25,
        "discount_rate": 0.1,
    }
    expected = relief_from_royalty([1000] * 5, 0.04, 0.25, 0.1).value
    result = monte_carlo(model, inputs, trials=100_000, seed=2)
    assert result.mean == pytest.approx(expected, rel=0.005)


# -- sensitivity -----------------------------------------------------------------------------


def test_tornado_rows_sorted_by_spread():
    rows = sensitivity(relief_from_royalty_model(10), ROYALTY_INPUTS)
    spreads = [row.spread for row in rows]
    assert spreads == sorted(spreads, reverse=True)
    assert {row.name for row in rows} == set(ROYALTY_INPUTS)
    by_name = {row.name: row for row in rows}
    # Value rises with revenue and falls with the discount rate.
    assert by_name["revenue"].high > by_name["revenue"].base > by_name["revenue"].low
    assert by_name["discount_rate"].high < by_name["discount_rate"].low
    assert by_name["revenue"].input_low == pytest.approx(8_000_000)
    assert by_name["revenue"].input_high == pytest.approx(12_000_000)


def test_tornado_base_case_uses_each_distributions_centre():
    rows = sensitivity(sum_model, {"a": Triangular(0, 3, 4), "b": Uniform(2, 4), "c": 1.0})
    assert rows[0].base == pytest.approx(3 + 3 + 1)
    # a swings by ±0.6, b by ±0.6, c by ±0.2.
    assert [round(row.spread, 6) for row in rows] == [1.2, 1.2, 0.4]


def test_tornado_linear_model_by_hand():
    # value = 2a + b: a = 10 ± 10 % → 18 … 22 around b = 5, i.e. 23 … 27.
    rows = sensitivity(lambda *, a, b: 2 * a + b, {"a": 10.0, "b": 5.0}, swing=0.1)
    assert (rows[0].name, rows[0].low, rows[0].high) == ("a", 23.0, 27.0)
    assert (rows[1].name, rows[1].low, rows[1].high) == ("b", 24.5, 25.5)


def test_tornado_exclude_keeps_the_input_at_base():
    rows = sensitivity(relief_from_royalty_model(10), ROYALTY_INPUTS, exclude={"tax_rate"})
    assert "tax_rate" not in {row.name for row in rows}


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: monte_carlo("model", {"a": 1.0}), "model must be a vectorised function"),
        (lambda: monte_carlo(sum_model, {}), "inputs must map at least one"),
        (
            lambda: monte_carlo(relief_from_royalty_model(5), {"revenue": 1.0}, trials=10),
            "inputs do not fit the model's arguments: missing a required",
        ),
        (
            lambda: sensitivity(lambda *, a: a, {"a": 1.0, "b": 2.0}),
            "inputs do not fit the model's arguments: got an unexpected keyword argument 'b'",
        ),
        (lambda: monte_carlo(sum_model, {"a": "x"}), r"inputs\['a'\] must be a number"),
        (lambda: monte_carlo(sum_model, {"not valid": 1.0}), "Python identifiers"),
        (lambda: monte_carlo(sum_model, {"a": 1.0}, trials=0), "trials must be greater"),
        (lambda: monte_carlo(sum_model, {"a": 1.0}, seed=-1), "seed must be a whole number"),
        (lambda: monte_carlo(sum_model, {"a": 1.0}, bins=0), "bins must be greater"),
        (
            lambda: monte_carlo(lambda **_: np.zeros(3), {"a": 1.0}, trials=10),
            "one value per trial",
        ),
        (
            lambda: monte_carlo(lambda *, a: np.log(a - a), {"a": 1.0}, trials=10),
            "non-finite values",
        ),
        (lambda: Triangular(1, 5, 3), "Triangular needs mode ≤ high"),
        (lambda: Triangular(2, 2, 2), "Triangular needs low < high"),
        (lambda: Uniform(3, 3), "Uniform needs low < high"),
        (lambda: Normal(0, 0), "Normal std must be greater"),
        (lambda: LogNormal(-1, 1), "LogNormal mean must be greater"),
        (lambda: Fixed(float("nan")), "Fixed value must be a finite number"),
        (lambda: sensitivity(sum_model, {"a": 1.0}, swing=0), "swing must be greater"),
        (lambda: sensitivity(sum_model, {"a": 1.0}, swing=1.5), "swing must be at most 1"),
        (lambda: sensitivity(sum_model, {"a": 1.0}, exclude={"b"}), "do not exist: b"),
        (lambda: relief_from_royalty_model(0), "years must be greater"),
        (lambda: relief_from_royalty_model(10, tab_years=0), "tab_years must be greater"),
        (lambda: profit_split_model(10, life_years=0), "life_years must be greater"),
    ],
)
def test_invalid_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_percentile_validation():
    result = monte_carlo(sum_model, {"a": Uniform(0, 1)}, trials=10, seed=0)
    with pytest.raises(ValueError, match="q must be between 0 and 100"):
        result.percentile(101)
