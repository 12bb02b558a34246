"""Cost approach and market approach."""

import datetime as dt

import pytest

from valuation import Comparable, MarketAdjustments, cost_approach, market_approach

# -- cost approach ---------------------------------------------------------------------------


def test_cost_approach_with_remaining_life_ratio_textbook():
    # 成本法 as in Chinese textbooks: 评估值 = 重置成本 × 成新率, 成新率 = remaining / total life.
    # Replacement cost 1,200,000, used 4 years, 6 remaining → 1,200,000 × 6/10 = 720,000.
    assert round(cost_approach(1_200_000, physical=4 / 10), 2) == 720_000.00


def test_cost_approach_applies_obsolescence_multiplicatively():
    # By hand: 1,000 × 1.2 × 0.9 × 0.8 × 0.5 = 432.
    value = cost_approach(1_000, physical=0.1, functional=0.2, economic=0.5, developer_profit=0.2)
    assert value == pytest.approx(432.0)


def test_cost_approach_without_obsolescence_is_the_cost():
    assert cost_approach(5_000) == 5_000
    assert cost_approach(0) == 0


def test_full_obsolescence_is_worth_nothing():
    assert cost_approach(5_000, economic=1.0) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replacement_cost": -1}, "replacement_cost must not be negative"),
        ({"replacement_cost": 1, "physical": 1.2}, "physical obsolescence must be a fraction"),
        ({"replacement_cost": 1, "functional": -0.1}, "functional obsolescence must not"),
        ({"replacement_cost": 1, "economic": float("inf")}, "economic obsolescence must be"),
        ({"replacement_cost": 1, "developer_profit": -0.1}, "developer_profit must not be"),
    ],
)
def test_cost_approach_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cost_approach(**kwargs)


# -- market approach -------------------------------------------------------------------------

DAY = dt.date(2024, 6, 30)


def deal(price, **kwargs):
    kwargs.setdefault("date", DAY)
    return Comparable(price=price, **kwargs)


def test_market_median_and_interquartile_range():
    # Linear interpolation (type 7) on 100, 200, 300, 400, 1000: P25 = 200, median 300, P75 = 400.
    result = market_approach([deal(p) for p in (300, 100, 1000, 200, 400)])
    assert (result.p25, result.median, result.p75) == (200, 300, 400)
    assert result.value == 300
    assert result.iqr == 200
    assert (result.low, result.high) == (100, 1000)
    assert len(result.comparables) == 5
    assert result.excluded == ()


def test_market_quartiles_interpolate_between_deals():
    result = market_approach([deal(p) for p in (100, 200, 300, 400)])
    assert (result.p25, result.median, result.p75) == (175, 250, 325)


def test_single_comparable():
    result = market_approach([deal(500)])
    assert (result.p25, result.median, result.p75, result.iqr) == (500, 500, 500, 0)


def test_time_adjustment_compounds_price_change():
    # A deal exactly two years (730.5 days) before the valuation date, prices rising 5 % a year.
    rules = MarketAdjustments(valuation_date=dt.date(2024, 1, 1), annual_price_change=0.05)
    result = market_approach([deal(1000, date=dt.date(2022, 1, 1))], adjustments=rules)
    years = (dt.date(2024, 1, 1) - dt.date(2022, 1, 1)).days / 365.25
    assert result.value == pytest.approx(1000 * 1.05**years)
    assert result.comparables[0].factors[0][0] == "time"


def test_remaining_term_adjustment_linear_and_annuity():
    linear = market_approach(
        [deal(1000, remaining_term=10)], adjustments=MarketAdjustments(remaining_term=5)
    )
    assert linear.value == pytest.approx(500)
    annuity = market_approach(
        [deal(1000, remaining_term=10)],
        adjustments=MarketAdjustments(remaining_term=5, term_discount_rate=0.10),
    )
    # (1 − 1.1^−5) / (1 − 1.1^−10) = 0.379079 / 0.614457 = 0.616933.
    assert annuity.value == pytest.approx(616.933, abs=1e-3)


def test_exclusivity_adjustment_uses_the_appraisers_factors():
    rules = MarketAdjustments(
        exclusivity="non_exclusive",
        exclusivity_factors={"exclusive": 1.0, "sole": 0.8, "non_exclusive": 0.4},
    )
    result = market_approach(
        [deal(1000, exclusivity="exclusive"), deal(600, exclusivity="sole")], adjustments=rules
    )
    assert sorted(item.adjusted_price for item in result.comparables) == pytest.approx([300, 400])


def test_comparables_own_factors_apply():
    result = market_approach([deal(1000, factors={"technology": 1.1, "market": 0.9})])
    assert result.value == pytest.approx(990)
    assert result.comparables[0].factors == (("technology", 1.1), ("market", 0.9))


def test_screening_by_kind_ipc_age_and_date():
    rules = MarketAdjustments(
        valuation_date=dt.date(2024, 6, 30),
        kind="invention",
        ipc_prefix="H01M",
        max_age_years=3,
    )
    kept = deal(1000, kind="invention", ipc="H01M 10/052")
    deals = [
        kept,
        deal(2000, kind="utility_model", ipc="H01M 10/052"),
        deal(3000, kind="invention", ipc="A01B 1/00"),
        deal(4000, kind="invention", ipc="H01M 4/00", date=dt.date(2019, 1, 1)),
        deal(5000, kind="invention", ipc="H01M 4/00", date=dt.date(2024, 7, 1)),
    ]
    result = market_approach(deals, adjustments=rules)
    assert [item.comparable for item in result.comparables] == [kept]
    reasons = [reason for _, reason in result.excluded]
    assert reasons == [
        "kind utility_model is not the subject's invention",
        "IPC A01B 1/00 is outside H01M",
        "deal is older than 3 years",
        "deal is dated after the valuation date",
    ]


def test_unknown_term_or_exclusivity_is_screened_out():
    rules = MarketAdjustments(
        remaining_term=5, exclusivity="exclusive", exclusivity_factors={"exclusive": 1.0}
    )
    result = market_approach(
        [deal(1, remaining_term=5, exclusivity="exclusive"), deal(2), deal(3, remaining_term=4)],
        adjustments=rules,
    )
    assert [reason for _, reason in result.excluded] == [
        "remaining term of the deal is unknown",
        "exclusivity of the deal is unknown",
    ]


def test_order_of_comparables_does_not_change_the_value():
    prices = [120, 80, 95, 300, 150, 60]
    forward = market_approach([deal(p) for p in prices])
    backward = market_approach([deal(p) for p in reversed(prices)])
    assert (forward.p25, forward.median, forward.p75) == (
        backward.p25,
        backward.median,
        backward.p75,
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: market_approach([]), "at least one comparable"),
        (lambda: market_approach([{"price": 1}]), r"comparables\[0\] must be a Comparable"),
        (lambda: market_approach(deal(1)), "got a single one"),
        (lambda: deal(0), "comparable price must be greater than zero"),
        (lambda: deal(-5), "comparable price must be greater than zero"),
        (lambda: Comparable(price=1, date="2024-01-01"), "comparable date must be a date"),
        (lambda: deal(1, remaining_term=0), "comparable remaining_term must be greater"),
        (lambda: deal(1, factors={"x": 0}), "comparable factor 'x' must be greater"),
        (lambda: MarketAdjustments(annual_price_change=0.05), "needs the valuation_date"),
        (lambda: MarketAdjustments(annual_price_change=-1, valuation_date=DAY), "above -1"),
        (lambda: MarketAdjustments(remaining_term=-1), "remaining_term must be greater"),
        (lambda: MarketAdjustments(exclusivity="sole"), "must give a factor for the subject"),
        (
            lambda: market_approach(
                [deal(1, exclusivity="open_licence")],
                adjustments=MarketAdjustments(
                    exclusivity="sole", exclusivity_factors={"sole": 1.0}
                ),
            ),
            "no factor for 'open_licence'",
        ),
        (
            lambda: market_approach(
                [deal(1, kind="design")], adjustments=MarketAdjustments(kind="invention")
            ),
            "no comparable is left after screening",
        ),
        (lambda: market_approach([deal(1)], adjustments={"kind": "x"}), "MarketAdjustments"),
    ],
)
def test_market_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()
