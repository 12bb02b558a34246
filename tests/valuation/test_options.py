"""The patent as a call option: Black–Scholes–Merton and the binomial tree.

Published examples are matched to the precision they are printed with (no rounding tables are
involved: these books compute N(d) exactly).
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import binomial_option, black_scholes_option


def test_damodaran_avonex_patent():
    # Damodaran, "Valuing a Patent: Avonex" (Damodaran on Valuation, illustration 12.5; also in
    # Investment Valuation): S = 3.422 bn, K = 2.875 bn, 17 years, riskless 6.7 %, variance
    # 0.224, cost of delay 1/17 → d1 = 1.1362, value $907 million.
    result = black_scholes_option(3_422, 2_875, 17, 0.067, math.sqrt(0.224))
    assert result.yield_rate == pytest.approx(1 / 17)
    assert round(result.d1, 4) == 1.1362
    assert round(result.n_d1, 3) == 0.872
    assert round(result.value) == 907
    assert result.method == "black_scholes"


def test_hull_european_call_without_yield():
    # Hull, Options, Futures, and Other Derivatives, Black–Scholes–Merton worked example:
    # S = 42, K = 40, r = 10 %, σ = 20 %, T = 0.5 → d1 = 0.7693, d2 = 0.6278, c = 4.76.
    result = black_scholes_option(42, 40, 0.5, 0.10, 0.20, yield_rate=0.0)
    assert round(result.d1, 4) == 0.7693
    assert round(result.d2, 4) == 0.6278
    assert round(result.value, 2) == 4.76


def test_hull_index_option_with_dividend_yield():
    # Hull, European call on a stock index: S = 930, K = 900, r = 8 %, q = 3 %, σ = 20 %,
    # T = 2 months → d1 = 0.5444, d2 = 0.4628, N(d1) = 0.7069, N(d2) = 0.6782, c = 51.83.
    result = black_scholes_option(930, 900, 2 / 12, 0.08, 0.20, yield_rate=0.03)
    # Hull truncates to 4 decimals (exact: d1 = 0.544479, N(d2) = 0.678256), so the d values are
    # matched within 1e-4 and the price to the cent.
    assert result.d1 == pytest.approx(0.5444, abs=1e-4)
    assert result.d2 == pytest.approx(0.4628, abs=1e-4)
    assert result.n_d1 == pytest.approx(0.7069, abs=1e-4)
    assert result.n_d2 == pytest.approx(0.6782, abs=1e-4)
    assert round(result.value, 2) == 51.83


def test_default_yield_is_one_over_the_life():
    result = black_scholes_option(100, 100, 20, 0.03, 0.3)
    assert result.yield_rate == pytest.approx(0.05)


def test_binomial_matches_hull_example():
    result = binomial_option(42, 40, 0.5, 0.10, 0.20, yield_rate=0.0, steps=2000)
    assert round(result.value, 2) == 4.76
    assert result.method == "binomial"
    assert result.steps == 2000


def test_binomial_carries_the_closed_form_d_values():
    closed = black_scholes_option(3_422, 2_875, 17, 0.067, math.sqrt(0.224))
    tree = binomial_option(3_422, 2_875, 17, 0.067, math.sqrt(0.224))
    assert (tree.d1, tree.d2, tree.n_d1, tree.n_d2) == (
        closed.d1,
        closed.d2,
        closed.n_d1,
        closed.n_d2,
    )
    assert tree.steps == 500


def test_one_step_tree_by_hand():
    # One step, by hand: u = e^0.2, d = e^-0.2, p = (1 − d) / (u − d) with r = y = 0;
    # payoff up = 100·e^0.2 − 100 = 22.14, down = 0 → value p · 22.14.
    up, down = math.exp(0.2), math.exp(-0.2)
    p = (1 - down) / (up - down)
    result = binomial_option(100, 100, 1, 0.0, 0.2, yield_rate=0.0, steps=1)
    assert result.value == pytest.approx(p * (100 * up - 100))


def test_american_is_worth_at_least_the_european():
    european = binomial_option(3_422, 2_875, 17, 0.067, math.sqrt(0.224))
    american = binomial_option(3_422, 2_875, 17, 0.067, math.sqrt(0.224), american=True)
    assert american.value >= european.value
    # With a high cost of delay developing at once (S − K) can beat waiting.
    assert american.value >= 3_422 - 2_875
    assert american.american is True


def test_american_without_yield_equals_european():
    # Without a cost of delay a call is never exercised early (Merton 1973).
    european = binomial_option(100, 90, 2, 0.05, 0.3, yield_rate=0.0)
    american = binomial_option(100, 90, 2, 0.05, 0.3, yield_rate=0.0, american=True)
    assert american.value == pytest.approx(european.value, rel=1e-12)


@settings(database=None, derandomize=True, max_examples=100, deadline=None)
@given(
    asset=st.floats(min_value=10, max_value=1_000),
    moneyness=st.floats(min_value=0.5, max_value=2.0),
    years=st.floats(min_value=0.5, max_value=20),
    rate=st.floats(min_value=0.0, max_value=0.1),
    volatility=st.floats(min_value=0.1, max_value=0.8),
)
def test_binomial_converges_to_black_scholes(asset, moneyness, years, rate, volatility):
    cost = asset * moneyness
    closed = black_scholes_option(asset, cost, years, rate, volatility)
    tree = binomial_option(asset, cost, years, rate, volatility, steps=2000)
    assert abs(tree.value - closed.value) <= 2e-3 * asset


def test_binomial_error_shrinks_with_more_steps():
    # The CRR price oscillates around the limit as steps change, so compare the worst error over
    # a window of step counts: the envelope shrinks roughly like 1 / steps.
    closed = black_scholes_option(100, 110, 5, 0.04, 0.35).value

    def worst_error(first):
        return max(
            abs(binomial_option(100, 110, 5, 0.04, 0.35, steps=steps).value - closed)
            for steps in range(first, first + 10)
        )

    assert worst_error(10) > worst_error(100) > worst_error(1000)
    assert worst_error(1000) < 0.02


@settings(database=None, derandomize=True, max_examples=100, deadline=None)
@given(
    asset=st.floats(min_value=10, max_value=1_000),
    volatility=st.floats(min_value=0.05, max_value=0.8),
    step=st.floats(min_value=0.01, max_value=0.5),
)
def test_call_value_rises_with_volatility_and_asset_value(asset, volatility, step):
    # Far out of the money the value is ~1e-15 and rounding noise; allow 1e-12 of slack.
    base = black_scholes_option(asset, 500, 10, 0.03, volatility).value - 1e-12
    assert black_scholes_option(asset, 500, 10, 0.03, volatility + step).value >= base
    assert black_scholes_option(asset * (1 + step), 500, 10, 0.03, volatility).value >= base


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: black_scholes_option(0, 100, 10, 0.03, 0.3), "asset_value must be greater"),
        (lambda: black_scholes_option(100, 0, 10, 0.03, 0.3), "exercise_cost must be greater"),
        (lambda: black_scholes_option(100, 100, 0, 0.03, 0.3), "years must be greater"),
        (lambda: black_scholes_option(100, 100, 10, -0.01, 0.3), "risk_free_rate must not"),
        (lambda: black_scholes_option(100, 100, 10, 0.03, 0), "volatility must be greater"),
        (lambda: black_scholes_option(100, 100, 10, 0.03, -0.2), "volatility must be greater"),
        (
            lambda: black_scholes_option(100, 100, 10, 0.03, 0.3, yield_rate=-0.1),
            "yield_rate must not be negative",
        ),
        (lambda: binomial_option(100, 100, 10, 0.03, 0.3, steps=0), "steps must be greater"),
        (lambda: binomial_option(100, 100, 10, 0.03, 0.3, steps=2.5), "steps must be a whole"),
        (
            lambda: binomial_option(100, 100, 10, 0.5, 0.01, yield_rate=0.0, steps=2),
            "risk-neutral probability",
        ),
    ],
)
def test_invalid_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_deep_out_of_the_money_value_is_tiny_but_accurate():
    # N(d) uses erfc, so the lower tail keeps its precision: N(−8) = 6.22e−16.
    result = black_scholes_option(50, 500, 1, 0.0, 0.1, yield_rate=0.0)
    assert result.n_d1 > 0
    assert 0 <= result.value < 1e-12
