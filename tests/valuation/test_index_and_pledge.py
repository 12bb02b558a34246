"""Patent value index and pledge capacity."""

import pytest

from valuation import (
    INDICATORS,
    PRESETS,
    HaircutTable,
    IndexWeights,
    PledgePolicy,
    patent_value_index,
    pledge_capacity,
)

ALL_CODES = [indicator.code for indicator in INDICATORS]
LEGAL_CODES = [i.code for i in INDICATORS if i.dimension == "legal"]
TECHNICAL_CODES = [i.code for i in INDICATORS if i.dimension == "technical"]
ECONOMIC_CODES = [i.code for i in INDICATORS if i.dimension == "economic"]

# -- patent value index ----------------------------------------------------------------------


def test_indicator_system_has_the_published_structure():
    # 7 legal, 6 technical and 5 economic indicators, as the 2012 index manual lists them.
    assert (len(LEGAL_CODES), len(TECHNICAL_CODES), len(ECONOMIC_CODES)) == (7, 6, 5)
    assert len(set(ALL_CODES)) == 18


def test_pvd_is_the_weighted_sum_of_the_dimensions():
    # By hand: LVD = 8, TVD = 6, EVD = 5; licensing preset 0.3 / 0.3 / 0.4 →
    # 0.3 × 8 + 0.3 × 6 + 0.4 × 5 = 6.2.
    scores = {code: 8 for code in LEGAL_CODES}
    scores |= {code: 6 for code in TECHNICAL_CODES}
    scores |= {code: 5 for code in ECONOMIC_CODES}
    result = patent_value_index(scores)
    assert (result.lvd, result.tvd, result.evd) == (8, 6, 5)
    assert result.pvd == pytest.approx(6.2)
    assert result.complete
    assert result.weights.label == "licensing (illustrative)"
    pledge = patent_value_index(scores, weights="pledge")
    assert pledge.pvd == pytest.approx(0.45 * 8 + 0.25 * 6 + 0.3 * 5)


def test_dimension_score_is_the_mean_of_its_indicators():
    scores = dict.fromkeys(ALL_CODES, 5.0) | {"stability": 10.0, "remaining_term": 3.0}
    result = patent_value_index(scores)
    assert result.lvd == pytest.approx((10 + 3 + 5 * 5) / 7)


def test_custom_indicator_weights():
    weights = IndexWeights(legal=0.5, technical=0.25, economic=0.25, indicators={"stability": 3.0})
    scores = dict.fromkeys(ALL_CODES, 4.0) | {"stability": 10.0}
    result = patent_value_index(scores, weights=weights)
    # stability counts 3, the six other legal indicators 1 each: (30 + 24) / 9 = 6.
    assert result.lvd == pytest.approx(6.0)
    assert result.pvd == pytest.approx(0.5 * 6 + 0.25 * 4 + 0.25 * 4)


def test_missing_dimension_is_left_out_and_weights_rescaled():
    # Only what a registry knows: legal indicators. PVD is then the legal score alone.
    result = patent_value_index({"remaining_term": 6.0, "multi_country": 2.0})
    assert result.lvd == 4.0
    assert result.tvd is None and result.evd is None
    assert result.pvd == 4.0
    assert result.dimension_weights == {"legal": 1.0, "technical": 0.0, "economic": 0.0}
    assert not result.complete
    assert "stability" in result.missing and "remaining_term" not in result.missing


def test_presets_are_labelled_illustrative():
    for preset in PRESETS.values():
        assert "illustrative" in preset.label
        assert preset.legal + preset.technical + preset.economic == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: patent_value_index({}), "at least one indicator"),
        (lambda: patent_value_index({"beauty": 5}), "unknown indicator 'beauty'"),
        (lambda: patent_value_index({"stability": 11}), "between 0 and 10"),
        (lambda: patent_value_index({"stability": -1}), "between 0 and 10"),
        (lambda: patent_value_index({"stability": 5}, weights="bank"), "unknown weights preset"),
        (lambda: patent_value_index([5]), "scores must map"),
        (lambda: IndexWeights(legal=0.5, technical=0.5, economic=0.5), "must sum to 1"),
        (lambda: IndexWeights(legal=-0.5, technical=1, economic=0.5), "legal weight must not"),
        (
            lambda: IndexWeights(legal=1, technical=0, economic=0, indicators={"x": 1}),
            "unknown indicator 'x'",
        ),
        (
            lambda: patent_value_index(
                {"market_use": 5}, weights=IndexWeights(legal=1, technical=0, economic=0)
            ),
            "weight 0",
        ),
    ],
)
def test_index_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- pledge capacity -------------------------------------------------------------------------

POLICY = PledgePolicy(
    base_rates={"invention": 0.4, "utility_model": 0.3, "trademark": 0.3},
    min_remaining_years={"invention": 3, "utility_model": 2},
    buffer_years=2,
    haircuts=HaircutTable(
        remaining_term=((0, 0.6), (5, 0.8), (10, 1.0)),
        legal_score=((0, 0.5), (6, 0.9), (8, 1.0)),
        legal_score_unknown=0.8,
        concentration=((0, 0.9), (3, 1.0)),
        exclusive_licence=0.7,
    ),
    max_amount=50_000_000,
    name="example bank",
)


def test_capacity_multiplies_base_rate_and_haircuts():
    # By hand: 10,000,000 × 0.4 (invention) × 0.8 (7 years left) × 0.9 (legal 7) × 0.9 (one
    # right) = 2,592,000.
    result = pledge_capacity(
        10_000_000,
        kind="invention",
        remaining_years=7,
        loan_years=3,
        policy=POLICY,
        legal_score=7,
    )
    assert result.eligible
    assert round(result.amount, 2) == 2_592_000.00
    assert result.pledge_rate == pytest.approx(0.2592)
    assert [(f.code, f.factor) for f in result.factors] == [
        ("base_rate", 0.4),
        ("remaining_term", 0.8),
        ("legal_score", 0.9),
        ("concentration", 0.9),
    ]
    assert all(f.explanation for f in result.factors)
    assert "7 years" in result.factors[1].explanation
    assert result.refusals == ()


def test_exclusive_licence_and_bundle_and_unknown_score():
    # 10,000,000 × 0.4 × 1.0 (12 years) × 0.8 (no score) × 1.0 (3 rights) × 0.7 = 2,240,000.
    result = pledge_capacity(
        10_000_000,
        kind="invention",
        remaining_years=12,
        loan_years=3,
        policy=POLICY,
        rights_in_bundle=3,
        exclusive_licence_outstanding=True,
    )
    assert round(result.amount, 2) == 2_240_000.00
    codes = [f.code for f in result.factors]
    assert codes == [
        "base_rate",
        "remaining_term",
        "legal_score",
        "concentration",
        "exclusive_licence",
    ]
    assert "no legal score" in result.factors[2].explanation


def test_loan_outliving_the_right_less_buffer_gets_nothing():
    # 6 years left less a 2-year buffer leaves 4: a 5-year loan is refused, a 4-year one is not.
    refused = pledge_capacity(
        1_000_000, kind="invention", remaining_years=6, loan_years=5, policy=POLICY
    )
    assert refused.amount == 0 and not refused.eligible
    assert "would outlive the right" in refused.refusals[0]
    allowed = pledge_capacity(
        1_000_000, kind="invention", remaining_years=6, loan_years=4, policy=POLICY
    )
    assert allowed.eligible and allowed.amount > 0


def test_below_minimum_remaining_term_gets_nothing():
    result = pledge_capacity(
        1_000_000, kind="invention", remaining_years=2.5, loan_years=0.25, policy=POLICY
    )
    assert result.amount == 0
    assert "below the policy's minimum of 3 years" in result.refusals[0]


def test_kind_not_in_policy_gets_nothing():
    result = pledge_capacity(
        1_000_000, kind="geographical_indication", remaining_years=20, loan_years=1, policy=POLICY
    )
    assert result.amount == 0
    assert result.refusals == ("the policy does not accept geographical_indication as collateral",)


def test_maximum_amount_caps_the_loan():
    result = pledge_capacity(
        1_000_000_000,
        kind="invention",
        remaining_years=15,
        loan_years=3,
        policy=POLICY,
        legal_score=9,
        rights_in_bundle=5,
    )
    assert result.amount == 50_000_000
    assert result.capped
    last = result.factors[-1]
    assert last.code == "max_amount"
    assert "50,000,000.00" in last.explanation
    product = result.conservative_value
    for factor in result.factors:
        product *= factor.factor
    assert product == pytest.approx(50_000_000)


def test_policy_without_haircuts_uses_base_rate_only():
    policy = PledgePolicy(base_rates={"trademark": 0.5})
    result = pledge_capacity(
        2_000, kind="trademark", remaining_years=8, loan_years=8, policy=policy, legal_score=3
    )
    assert result.amount == 1_000
    assert [f.code for f in result.factors] == ["base_rate"]


def test_zero_value_gives_zero_rate():
    result = pledge_capacity(0, kind="invention", remaining_years=15, loan_years=1, policy=POLICY)
    assert result.amount == 0 and result.pledge_rate == 0 and result.eligible


@pytest.mark.parametrize("remaining", [5.5, 7, 9.9, 10, 14, 20])
def test_longer_remaining_term_never_lowers_capacity(remaining):
    shorter = pledge_capacity(
        1_000_000, kind="invention", remaining_years=remaining, loan_years=3, policy=POLICY
    )
    longer = pledge_capacity(
        1_000_000, kind="invention", remaining_years=remaining + 1, loan_years=3, policy=POLICY
    )
    assert longer.amount >= shorter.amount


def test_each_haircut_lowers_the_capacity():
    base = {"kind": "invention", "remaining_years": 12, "loan_years": 3, "policy": POLICY}
    clean = pledge_capacity(1e6, legal_score=9, rights_in_bundle=3, **base).amount
    assert pledge_capacity(1e6, legal_score=5, rights_in_bundle=3, **base).amount < clean
    assert pledge_capacity(1e6, legal_score=9, rights_in_bundle=1, **base).amount < clean
    assert (
        pledge_capacity(
            1e6, legal_score=9, rights_in_bundle=3, exclusive_licence_outstanding=True, **base
        ).amount
        < clean
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: PledgePolicy(base_rates={}), "at least one kind"),
        (lambda: PledgePolicy(base_rates={"invention": 1.5}), "base rate for invention"),
        (lambda: PledgePolicy(base_rates={"invention": 0.3}, buffer_years=-1), "buffer_years"),
        (lambda: PledgePolicy(base_rates={"invention": 0.3}, max_amount=0), "max_amount"),
        (
            lambda: PledgePolicy(base_rates={"invention": 0.3}, min_remaining_years={"x": -1}),
            "minimum remaining years for x",
        ),
        (lambda: HaircutTable(remaining_term=((1, 0.5),)), "must start at 0"),
        (lambda: HaircutTable(legal_score=((0, 1.5),)), "legal_score factor must be"),
        (lambda: HaircutTable(concentration=((0, 0.5), (0, 0.6))), "distinct thresholds"),
        (lambda: HaircutTable(exclusive_licence=-0.1), "exclusive_licence must not be"),
        (
            lambda: pledge_capacity(
                -1, kind="invention", remaining_years=5, loan_years=1, policy=POLICY
            ),
            "conservative_value must not be negative",
        ),
        (
            lambda: pledge_capacity(1, kind="", remaining_years=5, loan_years=1, policy=POLICY),
            "kind must name",
        ),
        (
            lambda: pledge_capacity(
                1, kind="invention", remaining_years=-5, loan_years=1, policy=POLICY
            ),
            "remaining_years must not be negative",
        ),
        (
            lambda: pledge_capacity(
                1, kind="invention", remaining_years=5, loan_years=0, policy=POLICY
            ),
            "loan_years must be greater than zero",
        ),
        (
            lambda: pledge_capacity(
                1, kind="invention", remaining_years=5, loan_years=1, policy={"invention": 0.3}
            ),
            "policy must be a PledgePolicy",
        ),
        (
            lambda: pledge_capacity(
                1, kind="invention", remaining_years=5, loan_years=1, policy=POLICY, legal_score=12
            ),
            "legal_score must be between 0 and 10",
        ),
        (
            lambda: pledge_capacity(
                1,
                kind="invention",
                remaining_years=5,
                loan_years=1,
                policy=POLICY,
                rights_in_bundle=0,
            ),
            "rights_in_bundle must be greater than zero",
        ),
    ],
)
def test_pledge_validation(call, message):
    with pytest.raises(ValueError, match=message):
        call()
