"""Discounting, annuity and tax amortisation benefit factors.

Convention notes: "exact" tests use the full-precision factor ``(1 + r) ** -t`` and round the
result to the cent; "table" tests reproduce printed answers that use compound-interest tables
rounded to 4 decimals, as Chinese textbooks and the asset appraiser (资产评估师) exam do.
"""

import pytest

from valuation import annuity_factor, discount_factor, present_value, tab_factor


def test_annuity_of_200000_for_10_years_at_18_percent_exact():
    # Exact convention. Published answer 898,817.26; one textbook prints 898,264 (a typo: the
    # 4-decimal table factor 4.4941 gives 898,820, not 898,264).
    assert round(present_value([200_000] * 10, 0.18), 2) == 898_817.26


def test_annuity_of_200000_for_10_years_at_18_percent_table():
    # Table convention: (P/A, 18 %, 10) = 4.4941.
    assert annuity_factor(0.18, 10, decimals=4) == 4.4941
    assert round(200_000 * annuity_factor(0.18, 10, decimals=4), 2) == 898_820.00


def test_annuity_factor_matches_closed_form():
    # Exact convention: (1 − 1.1 ** −3) / 0.1 = 2.486851991.
    assert annuity_factor(0.10, 3) == pytest.approx((1 - 1.1**-3) / 0.1, rel=1e-15)
    assert annuity_factor(0.10, 3, decimals=4) == 2.4869


def test_annuity_factor_at_zero_rate_is_the_number_of_years():
    assert annuity_factor(0.0, 7) == 7.0


def test_discount_factor_printed_tables():
    # Table convention: (P/F, 10 %, 3) = 0.7513 and (P/F, 12 %, 5) = 0.5674.
    assert discount_factor(0.10, 3, decimals=4) == 0.7513
    assert discount_factor(0.12, 5, decimals=4) == 0.5674


def test_mid_year_discounts_half_a_year_less():
    # Mid-year convention: a flow in year 1 is discounted over 0.5 years.
    assert discount_factor(0.21, 1, mid_year=True) == pytest.approx(1 / 1.1)
    assert present_value([121.0], 0.21, mid_year=True) == pytest.approx(110.0)


def test_present_value_of_uneven_flows_hand_computed():
    # Exact convention, by hand: 100/1.1 + 200/1.21 + 300/1.331 = 90.909 + 165.289 + 225.394.
    assert round(present_value([100, 200, 300], 0.10), 2) == 481.59


def test_tax_amortisation_benefit_published_example():
    # Exact convention. Cash flows of 10 a year for 10 years at 10 % are worth 61.45; with a 30 %
    # tax rate and 10-year amortisation the TAB is 13.89 and the value with it 75.33.
    before = present_value([10.0] * 10, 0.10)
    factor = tab_factor(0.30, 0.10, 10)
    assert round(before, 2) == 61.45
    assert round(before * factor - before, 2) == 13.89
    assert round(before * factor, 2) == 75.33


def test_tab_factor_formula():
    annuity = annuity_factor(0.12, 15)
    assert tab_factor(0.25, 0.12, 15) == pytest.approx(1 / (1 - 0.25 * annuity / 15))


def test_tab_factor_without_tax_is_one():
    assert tab_factor(0.0, 0.10, 15) == 1.0


def test_tab_factor_mid_year_is_larger():
    # Mid-year amortisation arrives earlier, so the tax saving is worth more.
    assert tab_factor(0.25, 0.10, 15, mid_year=True) > tab_factor(0.25, 0.10, 15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: present_value([], 0.1), "at least one year"),
        (lambda: present_value([100], -0.01), "discount_rate must not be negative"),
        (lambda: present_value([100, float("nan")], 0.1), r"cash_flows\[1\] must be a finite"),
        (lambda: present_value("100", 0.1), "sequence of numbers"),
        (lambda: present_value([100, "x"], 0.1), r"cash_flows\[1\] must be a number"),
        (lambda: present_value(5, 0.1), "sequence of numbers"),
        (lambda: annuity_factor(0.1, 0), "years must be greater than zero"),
        (lambda: annuity_factor(0.1, 2.5), "years must be a whole number"),
        (lambda: discount_factor(0.1, 0), "year must be greater than zero"),
        (lambda: discount_factor(0.1, 1, decimals=-1), "decimals"),
        (lambda: tab_factor(1.0, 0.1, 10), "tax_rate must be a fraction below 1"),
        (lambda: tab_factor(-0.1, 0.1, 10), "tax_rate must not be negative"),
        (lambda: tab_factor(0.25, 0.1, -5), "years must be greater than zero"),
        (lambda: tab_factor(0.25, None, 5), "discount_rate must be a number"),
    ],
)
def test_invalid_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
