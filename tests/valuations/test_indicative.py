"""Instant indicative value of a right (``marketplace.valuations.indicative``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale, gettext
from markupsafe import escape

import valuation
from marketplace.core.money import format_money
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import Right, RightStatus
from marketplace.valuations.indicative import (
    BASE_VALUES_YUAN,
    REGISTRY_INDICATORS,
    IndicativeValue,
    index_factor,
    indicative_value,
)
from tests.factories import make_org, make_right

#: The valuation date of every test: the default right (filed 2019-05-10, 20-year term) has
#: about 14 years left.
ON = date(2025, 6, 1)
#: Facts that leave no registry indicator unknown except licences.
COMPLETE = {"claim_count": 10, "ipc_codes": ["H01M 10/613", "B60L 58/26"]}


@pytest.fixture(autouse=True)
def english(app: Flask) -> Iterator[None]:
    """Inputs and methods are translated when computed: compare them with the English msgids."""
    with force_locale("en"):
        yield


@pytest.fixture
def org(db: Any) -> Any:
    return make_org()


def value_of(right: Right, **options: Any) -> IndicativeValue:
    result = indicative_value(right, on=ON, **options)
    assert result is not None
    return result


def spread(result: IndicativeValue) -> float:
    return (result.high - result.low) / (2 * result.mid)


# --- the range --------------------------------------------------------------------------------


def test_value_is_a_positive_range_of_integer_fen(org):
    result = value_of(make_right(org, **COMPLETE))

    for amount in (result.low, result.mid, result.high):
        assert type(amount) is int
    assert 0 < result.low < result.mid < result.high
    assert result.comparables == 0
    assert isinstance(result.index, valuation.IndexResult)
    assert result.method


def test_amounts_are_rounded_to_three_significant_figures(org):
    result = value_of(make_right(org, **COMPLETE))

    for amount in (result.low, result.mid, result.high):
        digits = str(amount // 100).rstrip("0")
        assert amount % 100 == 0 and len(digits) <= 3, amount


def test_base_value_follows_kind_and_industry(org):
    big_data = value_of(make_right(org, industry="big_data", **COMPLETE))
    equipment = value_of(make_right(org, industry="equipment", **COMPLETE))
    utility = value_of(
        make_right(org, kind=RightKind.UTILITY_MODEL, industry="big_data", **COMPLETE)
    )

    assert big_data.mid > equipment.mid
    # A utility model's 10-year term is half gone by now, on top of its lower base value.
    assert utility.mid < big_data.mid / 5
    assert (
        BASE_VALUES_YUAN[RightKind.DESIGN]["default"]
        < (BASE_VALUES_YUAN[RightKind.UTILITY_MODEL]["default"])
    )


def test_an_unknown_industry_uses_the_kind_default(org):
    other = value_of(make_right(org, industry="shipbuilding", **COMPLETE))
    unrecorded = value_of(make_right(org, industry=None, **COMPLETE))

    assert other.mid == unrecorded.mid


# --- what the index reads --------------------------------------------------------------------


def test_more_citations_family_and_claims_give_a_higher_mid(org):
    plain = value_of(make_right(org, forward_citations=0, **COMPLETE))
    cited = value_of(make_right(org, forward_citations=25, **COMPLETE))
    family = value_of(
        make_right(
            org, family_members=["US2021123456A1", "EP3900001A1", "JP2021500001A"], **COMPLETE
        )
    )
    claims = value_of(make_right(org, claim_count=25, ipc_codes=COMPLETE["ipc_codes"]))

    assert cited.mid > plain.mid
    assert family.mid > plain.mid
    assert claims.mid > plain.mid
    assert cited.index.scores["advancement"] > plain.index.scores["advancement"]
    assert family.index.scores["multi_country"] > plain.index.scores["multi_country"]
    assert claims.index.scores["design_around"] > plain.index.scores["design_around"]


def test_broader_ipc_gives_a_higher_mid(org):
    narrow = value_of(make_right(org, claim_count=10, ipc_codes=["H01M 10/613", "H01M 10/625"]))
    broad = value_of(
        make_right(org, claim_count=10, ipc_codes=["H01M 10/613", "B60L 58/26", "F28D 15/02"])
    )

    assert narrow.index.scores["application_breadth"] < broad.index.scores["application_breadth"]
    assert broad.mid > narrow.mid


def test_less_remaining_term_gives_a_lower_mid(org):
    recent = value_of(make_right(org, filing_date=date(2020, 4, 1), **COMPLETE))
    older = value_of(make_right(org, filing_date=date(2010, 4, 1), **COMPLETE))

    assert older.mid < recent.mid
    assert older.index.scores["remaining_term"] < recent.index.scores["remaining_term"]


def test_the_same_right_is_worth_less_as_its_term_runs_down(org):
    right = make_right(org, **COMPLETE)

    early = indicative_value(right, on=date(2022, 1, 1))
    late = indicative_value(right, on=date(2037, 1, 1))

    assert early is not None and late is not None
    assert late.mid < early.mid


def test_index_reads_only_the_registry_indicators(org):
    result = value_of(make_right(org, **COMPLETE))

    assert set(result.index.scores) <= set(REGISTRY_INDICATORS)
    # No licence records exist yet: unknown, so the index rescales without it.
    assert "licence_status" in result.index.missing
    assert [i.code for i in result.unknown_indicators] == ["licence_status"]
    assert result.index.evd is None
    assert all(0 <= score <= 10 for score in result.index.scores.values())


def test_a_pending_invalidation_or_an_overdue_fee_lowers_the_value(org):
    in_force = value_of(make_right(org, **COMPLETE))
    challenged = value_of(make_right(org, status=RightStatus.UNDER_INVALIDATION, **COMPLETE))

    assert challenged.mid < in_force.mid
    assert challenged.index.scores["stability"] < in_force.index.scores["stability"]


@pytest.mark.parametrize(("score", "factor"), [(0.0, 1 / 3), (5.0, 1.0), (10.0, 3.0)])
def test_index_factor_is_one_at_five_and_bounded(score, factor):
    assert index_factor(score) == pytest.approx(factor)


def test_index_factor_increases_with_the_score():
    factors = [index_factor(score / 2) for score in range(21)]

    assert factors == sorted(factors)
    assert len(set(factors)) == len(factors)
    assert min(factors) >= 0.3 and max(factors) <= 3.0


def test_missing_indicators_widen_the_range(org):
    complete = value_of(make_right(org, **COMPLETE))
    sparse = value_of(make_right(org))  # claims and IPC not recorded

    assert len(sparse.unknown_indicators) == len(complete.unknown_indicators) + 2
    assert spread(complete) == pytest.approx(0.40, abs=0.01)
    assert spread(sparse) == pytest.approx(0.50, abs=0.01)


# --- which rights get a value ----------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        RightStatus.LAPSED,
        RightStatus.EXPIRED,
        RightStatus.INVALIDATED,
        RightStatus.PENDING,
        RightStatus.SUSPENDED,
    ],
)
def test_a_right_not_in_force_has_no_value(org, status):
    assert indicative_value(make_right(org, status=status), on=ON) is None


def test_a_right_whose_term_has_run_out_has_no_value_even_before_the_status_job(org):
    right = make_right(org, filing_date=date(2003, 2, 1), grant_date=date(2006, 5, 1))

    assert right.status is RightStatus.IN_FORCE
    assert indicative_value(right, on=ON) is None


def test_a_geographical_indication_has_no_value(org):
    right = make_right(
        org,
        kind=RightKind.GEOGRAPHICAL_INDICATION,
        number="AGI2018-01-2345",
        filing_date=None,
        grant_date=None,
        registration_date=date(2018, 6, 1),
    )

    assert indicative_value(right, on=ON) is None


def test_a_trademark_is_valued_without_patent_inputs_and_without_term_run_down(org):
    right = make_right(
        org,
        kind=RightKind.TRADEMARK,
        number="12345678",
        filing_date=None,
        grant_date=None,
        registration_date=date(2016, 3, 7),
        nice_classes=[30],
        industry="agriculture",
    )

    result = value_of(right)

    labels = [label for label, _value, _source in result.inputs]
    assert "Patent claims" not in labels and "Forward citations" not in labels
    assert result.index.scores["remaining_term"] == 10
    assert 0 < result.low < result.mid < result.high
    # Fewer indicators known than for a patent: a wider range.
    assert spread(result) > 0.5


def test_a_plant_variety_is_valued(org):
    right = make_right(
        org,
        kind=RightKind.PLANT_VARIETY,
        number="CNA20191234.5",
        filing_date=None,
        grant_date=date(2021, 1, 1),
        industry="agriculture",
    )

    result = value_of(right)

    assert result.mid > 0
    assert result.comparables == 0


def test_software_is_valued_over_its_economic_life_not_its_legal_term(org):
    def software(published: date) -> IndicativeValue:
        return value_of(
            make_right(
                org,
                kind=RightKind.SOFTWARE_COPYRIGHT,
                number=f"{published.year}SR{published.toordinal() % 1_000_000:06d}",
                filing_date=None,
                grant_date=None,
                registration_date=published,
                first_publication_date=published,
                industry="big_data",
            )
        )

    new, old = software(date(2023, 6, 1)), software(date(2011, 6, 1))

    assert 0 < old.mid < new.mid
    shares = [dict((label, shown) for label, shown, _source in v.inputs) for v in (new, old)]
    assert [s["Share of the term left"] for s in shares] == ["80%", "10%"]


# --- comparable closed deals -----------------------------------------------------------------


def deals(*prices_yuan: float, **fields: Any) -> list[valuation.Comparable]:
    return [
        valuation.Comparable(price=price, date=date(2024, 1 + i, 15), kind="invention", **fields)
        for i, price in enumerate(prices_yuan)
    ]


def test_comparables_drive_the_mid_with_their_median(org):
    right = make_right(org, **COMPLETE)

    result = value_of(right, comparables=deals(1e6, 2e6, 3e6, 4e6, 5e6))

    assert result.comparables == 5
    assert result.mid == 300_000_000  # the median, 3 000 000 yuan, in fen
    assert (result.low, result.high) == (200_000_000, 400_000_000)  # the quartiles
    assert ("Comparable closed deals", "5", "Closed deals on the platform") in result.inputs
    assert isinstance(result.index, valuation.IndexResult)


def test_few_close_comparables_still_give_a_range(org):
    result = value_of(make_right(org, **COMPLETE), comparables=deals(1_000_000))

    assert result.comparables == 1
    assert result.low < result.mid == 100_000_000 < result.high


def test_comparables_are_adjusted_to_the_remaining_term(org):
    right = make_right(org, **COMPLETE)
    years_left = (date(2039, 5, 9) - ON).days / 365.25

    result = value_of(right, comparables=deals(2e6, 2e6, 2e6, remaining_term=2 * years_left))

    assert result.mid == pytest.approx(100_000_000, rel=0.005)


def test_comparables_dated_after_the_valuation_fall_back_to_the_base_table(org):
    right = make_right(org, **COMPLETE)
    later = [valuation.Comparable(price=9e6, date=date(2026, 1, 1))]

    assert value_of(right, comparables=later) == value_of(right)
    assert value_of(right, comparables=later).comparables == 0


def test_comparables_must_be_comparables(org):
    with pytest.raises(TypeError):
        indicative_value(make_right(org), on=ON, comparables=[3e6])  # type: ignore[list-item]


# --- the card --------------------------------------------------------------------------------

INCLUDE = '{% include "valuations/_indicative.html" %}'


def test_card_shows_range_label_method_indicators_and_inputs(app: Flask, org):
    right = make_right(org, **COMPLETE)
    with app.test_request_context(), force_locale("zh"):
        result = value_of(right)
        html = render_template_string(INCLUDE, indicative=result, right=right, current_locale="zh")
        label = gettext("Indicative, not an appraisal")
        money = [format_money(amount) for amount in (result.low, result.mid, result.high)]

    assert 'data-testid="indicative-value"' in html
    assert 'data-testid="indicative-disclaimer"' in html and label in html
    assert all(amount in html for amount in money)
    assert "稳定性" in html and "有效期" in html  # indicator names in Chinese
    assert "专利许可状况" in html  # licence status: shown as not known
    for label_shown, value_shown, source in result.inputs:
        assert all(str(escape(text)) in html for text in (label_shown, value_shown, source))


def test_card_names_indicators_in_english_for_english_readers(app: Flask, org):
    right = make_right(org, **COMPLETE)
    with app.test_request_context(), force_locale("en"):
        html = render_template_string(
            INCLUDE, indicative=value_of(right), right=right, current_locale="en"
        )

    assert "remaining term" in html and "有效期" not in html
    assert "Indicative, not an appraisal" in html


def test_card_explains_when_there_is_no_value(app: Flask, org):
    right = make_right(org, status=RightStatus.LAPSED)
    with app.test_request_context():
        html = render_template_string(INCLUDE, indicative=None, right=right, current_locale="zh")

    assert 'data-testid="indicative-value-none"' in html
    assert 'data-testid="indicative-value"' not in html
