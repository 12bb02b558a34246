"""The workbench engine (pure): method values, reconciliation, range, tornado, pledge value."""

from __future__ import annotations

import pytest

import valuation
from marketplace.valuations.workbench import (
    InputValue,
    MethodInput,
    WorkbenchError,
    WorkbenchInput,
    evaluate,
)

RFR = {
    "revenue": InputValue(20_000_000, "企业2025年销售收入", 16_000_000, 24_000_000),
    "growth": InputValue(0.05, "行业报告", 0.0, 0.10),
    "royalty_rate": InputValue(0.04, "许可费率数据库", 0.03, 0.06),
    "tax_rate": InputValue(0.25, "企业所得税法"),
    "discount_rate": InputValue(0.12, "CAPM", 0.10, 0.15),
    "years": InputValue(8, "剩余经济寿命"),
}
COST = {
    "replacement_cost": InputValue(3_000_000, "研发台账"),
    "developer_profit": InputValue(0.10, "行业平均"),
    "physical": InputValue(0.0, "无"),
    "functional": InputValue(0.20, "技术迭代"),
    "economic": InputValue(0.10, "市场需求"),
}


def bench(**kw) -> WorkbenchInput:
    methods = kw.pop(
        "methods",
        (MethodInput("relief_from_royalty", 0.7, RFR), MethodInput("cost_approach", 0.3, COST)),
    )
    return WorkbenchInput(methods=methods, **kw)


def test_methods_match_the_library_and_reconcile_by_weight():
    result = evaluate(bench())
    revenues = [20_000_000 * 1.05**t for t in range(8)]
    rfr = valuation.relief_from_royalty(revenues, 0.04, 0.25, 0.12).value
    cost = valuation.cost_approach(3_000_000, functional=0.2, economic=0.1, developer_profit=0.1)
    assert result.methods[0].value == pytest.approx(rfr)
    assert result.methods[1].value == pytest.approx(cost)
    assert result.reconciled == pytest.approx(0.7 * rfr + 0.3 * cost)


def test_range_and_tornado_come_from_the_appraisers_ranges():
    result = evaluate(bench())
    assert result.distribution is not None
    assert result.low < result.mid < result.high
    names = [row.name for row in result.tornado]
    assert set(names) == {
        "relief_from_royalty__revenue",
        "relief_from_royalty__growth",
        "relief_from_royalty__royalty_rate",
        "relief_from_royalty__discount_rate",
    }
    royalty = next(r for r in result.tornado if r.name.endswith("royalty_rate"))
    assert (royalty.input_low, royalty.input_high) == (0.03, 0.06)
    assert royalty.low < royalty.base < royalty.high
    spreads = [row.spread for row in result.tornado]
    assert spreads == sorted(spreads, reverse=True)


def test_same_inputs_same_range():
    assert evaluate(bench()).low == evaluate(bench()).low


def test_pledge_value_is_a_conservative_percentile():
    market = evaluate(bench())
    pledge = evaluate(bench(basis="pledge_value", pledge_percentile=15))
    assert pledge.concluded < market.concluded
    assert pledge.concluded == pytest.approx(
        min(market.reconciled, pledge.distribution.percentile(15))
    )
    with pytest.raises(WorkbenchError):
        evaluate(bench(basis="pledge_value", pledge_percentile=40))


def test_no_ranges_means_a_point_value():
    fixed = {k: InputValue(v.value, v.source) for k, v in RFR.items()}
    result = evaluate(bench(methods=(MethodInput("relief_from_royalty", 1.0, fixed),)))
    assert result.distribution is None and result.tornado == ()
    assert result.low == result.mid == result.high == result.concluded


def test_economic_life_shortens_the_stream():
    full = evaluate(bench()).methods[0].value
    short = evaluate(bench(life_years=3.5)).methods[0].value
    assert short < full


@pytest.mark.parametrize(
    ("methods", "field"),
    [
        ((MethodInput("relief_from_royalty", 0.5, RFR),), "weights"),
        (
            (
                MethodInput(
                    "relief_from_royalty",
                    1.0,
                    {**RFR, "royalty_rate": InputValue(0.04, " ", 0.03, 0.06)},
                ),
            ),
            "relief_from_royalty.royalty_rate",
        ),
        (
            (
                MethodInput(
                    "relief_from_royalty", 1.0, {**RFR, "growth": InputValue(0.2, "x", 0.0, 0.1)}
                ),
            ),
            "relief_from_royalty.growth",
        ),
        (
            (
                MethodInput(
                    "cost_approach", 1.0, {k: v for k, v in COST.items() if k != "physical"}
                ),
            ),
            "cost_approach.physical",
        ),
        ((), "methods"),
    ],
)
def test_every_input_needs_a_value_and_a_source(methods, field):
    with pytest.raises(WorkbenchError) as caught:
        evaluate(bench(methods=methods))
    assert field in caught.value.fields
