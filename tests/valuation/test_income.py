"""Income methods: relief from royalty, profit split, excess earnings, economic life.

Each test says which convention it follows: "exact" (full-precision discount factors, result
rounded to the cent) or "table" (the 4-decimal factors printed in Chinese exam answers).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation import (
    ExcessEarningsRow,
    ProfitSplitRow,
    RoyaltyRow,
    annuity_factor,
    economic_life,
    excess_earnings,
    present_value,
    profit_split,
    profit_split_rate,
    relief_from_royalty,
    tab_factor,
)

# -- published examples ----------------------------------------------------------------------


def test_licence_excess_profit_split_exact():
    # Exact convention. Exam example: a licence brings the licensee 10,000,000 a year of excess
    # profit, 30 % goes to the licensor, for 3 years at 10 % → 7,460,555.97.
    result = profit_split([10_000_000] * 3, 0.30, 0.10)
    assert round(result.value, 2) == 7_460_555.97
    assert result.tab_factor == 1.0
    assert result.value == result.value_before_tab


def test_licence_excess_profit_split_table():
    # Table convention: the published answer 7,460,700 uses (P/A, 10 %, 3) = 2.4869.
    yearly_share = 10_000_000 * 0.30
    assert round(yearly_share * annuity_factor(0.10, 3, decimals=4), 2) == 7_460_700.00


def test_equivalent_investment_split_rate_textbook():
    # 约当投资分成法, classic textbook example: technology with replacement cost 1,000,000 and a
    # 500 % cost-profit margin; the partner's assets 80,000,000 at 12.5 % →
    # 6,000,000 / (6,000,000 + 90,000,000) = 6.25 %.
    assert profit_split_rate(1_000_000, 5.0, 80_000_000, 0.125) == pytest.approx(0.0625)


def test_relief_from_royalty_with_tab_published_example():
    # Exact convention. After-tax royalties of 10 a year for 10 years at 10 % (61.45) with a 30 %
    # tax rate and 10-year amortisation: TAB 13.89, value 75.33. Revenue 1000/7 at a 10 % royalty
    # gives 14.2857 of royalty and 10 after tax.
    result = relief_from_royalty([1000 / 7] * 10, 0.10, 0.30, 0.10, tab_years=10)
    assert round(result.value_before_tab, 2) == 61.45
    assert round(result.tab, 2) == 13.89
    assert round(result.value, 2) == 75.33
    assert result.tab_factor == pytest.approx(tab_factor(0.30, 0.10, 10))


# -- hand-computed examples ------------------------------------------------------------------


def test_relief_from_royalty_schedule_hand_computed():
    # Exact convention, by hand: revenues 1,000 / 1,200 / 1,500, royalty 5 %, tax 25 %, 12 %.
    # After-tax royalties 37.50 / 45.00 / 56.25; PV = 33.48 + 35.87 + 40.04 = 109.39.
    result = relief_from_royalty([1000, 1200, 1500], 0.05, 0.25, 0.12)
    assert round(result.value, 2) == 109.39
    assert result.tab_factor == 1.0
    rows = result.schedule
    assert all(isinstance(row, RoyaltyRow) for row in rows)
    assert [row.year for row in rows] == [1, 2, 3]
    assert [round(row.royalty, 2) for row in rows] == [50.00, 60.00, 75.00]
    assert [round(row.after_tax_royalty, 2) for row in rows] == [37.50, 45.00, 56.25]
    assert [round(row.discount_factor, 4) for row in rows] == [0.8929, 0.7972, 0.7118]
    assert [round(row.present_value, 2) for row in rows] == [33.48, 35.87, 40.04]
    assert result.years_valued == 3.0
    assert result.stopped is None


def test_relief_from_royalty_mid_year_hand_computed():
    # Mid-year convention: each flow discounted half a year less, so the value is × 1.12 ** 0.5.
    end = relief_from_royalty([1000, 1200, 1500], 0.05, 0.25, 0.12)
    mid = relief_from_royalty([1000, 1200, 1500], 0.05, 0.25, 0.12, mid_year=True)
    assert mid.value == pytest.approx(end.value * 1.12**0.5)
    assert mid.schedule[0].time == 0.5


def test_excess_earnings_hand_computed():
    # Exact convention, by hand: revenue 10,000 a year for 2 years, margin 30 %, tax 25 %,
    # contributory charges 2 % (working capital) + 3 % (fixed assets) of revenue.
    # After-tax profit 2,250, charges 500, excess earnings 1,750; PV at 15 % =
    # 1,750 × (0.869565 + 0.756144) = 2,844.99.
    result = excess_earnings(
        [10_000, 10_000],
        0.30,
        0.25,
        {"working capital": 0.02, "fixed assets": 0.03},
        0.15,
    )
    assert round(result.value, 2) == 2_844.99
    first = result.schedule[0]
    assert isinstance(first, ExcessEarningsRow)
    assert first.operating_profit == pytest.approx(3_000)
    assert first.tax == pytest.approx(750)
    assert first.after_tax_profit == pytest.approx(2_250)
    assert first.charges == (("working capital", pytest.approx(200)), ("fixed assets", 300))
    assert first.contributory_charges == pytest.approx(500)
    assert first.excess_earnings == pytest.approx(1_750)


def test_excess_earnings_with_tab():
    plain = excess_earnings([10_000] * 5, 0.3, 0.25, {"fixed assets": 0.03}, 0.15)
    with_tab = excess_earnings([10_000] * 5, 0.3, 0.25, {"fixed assets": 0.03}, 0.15, tab_years=5)
    assert with_tab.value == pytest.approx(plain.value * tab_factor(0.25, 0.15, 5))
    assert with_tab.value_before_tab == pytest.approx(plain.value)


def test_excess_earnings_without_contributory_assets():
    result = excess_earnings([100.0], 0.2, 0.0, {}, 0.0)
    assert result.value == pytest.approx(20.0)


def test_profit_split_rows():
    result = profit_split([100, 200], 0.25, 0.0)
    assert all(isinstance(row, ProfitSplitRow) for row in result.schedule)
    assert [row.licensor_share for row in result.schedule] == [25.0, 50.0]
    assert result.value == 75.0


# -- economic life and zero income -----------------------------------------------------------


def test_economic_life_is_the_shortest():
    assert economic_life(12.5) == 12.5
    assert economic_life(12.5, technical_years=8) == 8
    assert economic_life(12.5, technical_years=8, economic_years=6.5) == 6.5
    assert economic_life(3, technical_years=8, economic_years=6.5) == 3


def test_stream_stops_at_the_economic_life():
    result = relief_from_royalty([1000] * 10, 0.05, 0.25, 0.10, life_years=4)
    assert len(result.schedule) == 4
    assert result.value == pytest.approx(present_value([37.5] * 4, 0.10))
    assert "economic life of 4 years" in (result.stopped or "")


def test_fractional_life_prorates_the_last_year():
    # Life 2.5 years: year 3 counts half its income, discounted at t = 2.5 (end of the part-year)
    # or t = 2.25 (its middle).
    result = profit_split([100, 100, 100, 100], 1.0, 0.10, life_years=2.5)
    last = result.schedule[-1]
    assert (last.year, last.fraction, last.time, last.cash_flow) == (3, 0.5, 2.5, 50.0)
    assert result.years_valued == 2.5
    assert result.value == pytest.approx(100 / 1.1 + 100 / 1.1**2 + 50 / 1.1**2.5)
    mid = profit_split([100, 100, 100, 100], 1.0, 0.10, life_years=2.5, mid_year=True)
    assert mid.schedule[-1].time == 2.25


def test_life_longer_than_the_stream_values_the_whole_stream():
    result = profit_split([100, 100], 0.5, 0.1, life_years=20)
    assert len(result.schedule) == 2
    assert result.stopped is None


def test_stream_stops_where_income_reaches_zero():
    # Profits turn to zero in year 3; year 4's profit is not counted even though positive.
    result = profit_split([100, 80, 0, 50], 0.5, 0.0)
    assert [row.year for row in result.schedule] == [1, 2]
    assert result.value == 90.0
    assert "income reached zero in year 3" in (result.stopped or "")


def test_negative_profit_stops_the_stream():
    result = profit_split([100, -20, 50], 0.5, 0.0)
    assert result.value == 50.0


def test_excess_earnings_stop_when_charges_exceed_profit():
    # After-tax operating profit is 0.10 × 0.75 = 7.5 % of revenue, below the 8 % charge, so
    # there are no excess earnings from year 1 on and the right is worth nothing.
    result = excess_earnings([100, 100], 0.10, 0.25, {"workforce": 0.08}, 0.1)
    assert result.value == 0.0
    assert result.schedule == ()
    assert "year 1" in (result.stopped or "")


def test_zero_royalty_rate_is_worth_nothing():
    result = relief_from_royalty([1000, 1000], 0.0, 0.25, 0.1)
    assert result.value == 0.0


def test_zero_revenue_year_stops_relief_from_royalty():
    result = relief_from_royalty([1000, 0, 1000], 0.05, 0.0, 0.0)
    assert result.value == 50.0


# -- properties ------------------------------------------------------------------------------

revenues_strategy = st.lists(
    st.floats(min_value=1.0, max_value=1e9, allow_nan=False), min_size=1, max_size=20
)


@settings(database=None, derandomize=True, max_examples=200, deadline=None)
@given(
    revenues=revenues_strategy,
    low=st.floats(min_value=0.001, max_value=0.5),
    step=st.floats(min_value=0.001, max_value=0.5),
    tax=st.floats(min_value=0.0, max_value=0.5),
    rate=st.floats(min_value=0.0, max_value=0.5),
)
def test_value_rises_with_the_royalty_rate(revenues, low, step, tax, rate):
    lower = relief_from_royalty(revenues, low, tax, rate, tab_years=10)
    higher = relief_from_royalty(revenues, low + step, tax, rate, tab_years=10)
    assert higher.value > lower.value


@settings(database=None, derandomize=True, max_examples=200, deadline=None)
@given(
    revenues=revenues_strategy,
    royalty=st.floats(min_value=0.001, max_value=1.0),
    tax=st.floats(min_value=0.0, max_value=0.5),
    low=st.floats(min_value=0.0, max_value=0.5),
    step=st.floats(min_value=0.001, max_value=0.5),
    mid_year=st.booleans(),
)
def test_value_falls_with_the_discount_rate(revenues, royalty, tax, low, step, mid_year):
    lower_rate = relief_from_royalty(revenues, royalty, tax, low, mid_year=mid_year)
    higher_rate = relief_from_royalty(revenues, royalty, tax, low + step, mid_year=mid_year)
    assert higher_rate.value < lower_rate.value


@settings(database=None, derandomize=True, max_examples=200, deadline=None)
@given(
    revenues=revenues_strategy,
    royalty=st.floats(min_value=0.001, max_value=1.0),
    rate=st.floats(min_value=0.0, max_value=0.5),
    life=st.floats(min_value=0.1, max_value=25.0),
)
def test_shorter_life_is_never_worth_more(revenues, royalty, rate, life):
    full = relief_from_royalty(revenues, royalty, 0.25, rate)
    limited = relief_from_royalty(revenues, royalty, 0.25, rate, life_years=life)
    assert limited.value <= full.value * (1 + 1e-12)


@settings(database=None, derandomize=True, max_examples=100, deadline=None)
@given(
    revenues=revenues_strategy,
    royalty=st.floats(min_value=0.001, max_value=1.0),
    tax=st.floats(min_value=0.0, max_value=0.5),
    rate=st.floats(min_value=0.0, max_value=0.5),
)
def test_schedule_adds_up_to_the_value(revenues, royalty, tax, rate):
    result = relief_from_royalty(revenues, royalty, tax, rate)
    assert result.value == pytest.approx(sum(row.present_value for row in result.schedule))
    for row in result.schedule:
        assert row.present_value == pytest.approx(row.cash_flow * row.discount_factor)


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: relief_from_royalty([], 0.05, 0.25, 0.1), "revenues must contain"),
        (lambda: relief_from_royalty([-1], 0.05, 0.25, 0.1), r"revenues\[0\] must not be neg"),
        (lambda: relief_from_royalty([1], -0.05, 0.25, 0.1), "royalty_rate must not be neg"),
        (lambda: relief_from_royalty([1], 1.5, 0.25, 0.1), "royalty_rate must be a fraction"),
        (lambda: relief_from_royalty([1], 0.05, 1.0, 0.1), "tax_rate must be a fraction"),
        (lambda: relief_from_royalty([1], 0.05, 0.25, -0.1), "discount_rate must not be neg"),
        (lambda: relief_from_royalty([1], 0.05, 0.25, 0.1, tab_years=0), "tab_years must be"),
        (lambda: relief_from_royalty([1], 0.05, 0.25, 0.1, life_years=0), "life_years must be"),
        (lambda: profit_split([], 0.3, 0.1), "profits must contain"),
        (lambda: profit_split([1], 1.3, 0.1), "split_rate must be a fraction"),
        (lambda: profit_split([1], 0.3, -0.1), "discount_rate must not be negative"),
        (lambda: profit_split([1], 0.3, 0.1, life_years=-2), "life_years must be"),
        (lambda: profit_split_rate(0, 5, 100, 0.1), "ip_replacement_cost must be greater"),
        (lambda: profit_split_rate(1, -5, 100, 0.1), "ip_cost_profit_margin must not be"),
        (lambda: profit_split_rate(1, 5, -100, 0.1), "licensee_replacement_cost must be"),
        (lambda: profit_split_rate(1, 5, 100, -0.1), "licensee_cost_profit_margin must not"),
        (lambda: excess_earnings([1], 1.2, 0.25, {}, 0.1), "operating_margin must be a fract"),
        (lambda: excess_earnings([1], 0.2, 0.25, {"x": -0.1}, 0.1), "contributory_charges"),
        (lambda: excess_earnings([1], 0.2, 0.25, {"": 0.1}, 0.1), "names must be non-empty"),
        (lambda: excess_earnings([1], 0.2, 0.25, [0.1], 0.1), "must map each contributory"),
        (lambda: economic_life(0), "legal_years_remaining must be greater than zero"),
        (lambda: economic_life(10, technical_years=-1), "technical_years must be greater"),
        (lambda: economic_life(10, economic_years=0), "economic_years must be greater"),
    ],
)
def test_invalid_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
