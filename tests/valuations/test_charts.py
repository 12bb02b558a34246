"""Charts from real valuation results, as inline SVG and as reportlab drawings; no app needed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from markupsafe import Markup
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, String

import valuation
from marketplace.valuations.charts import (
    CHART_TEXT_EN,
    CashFlowChart,
    Chart,
    HistogramChart,
    TornadoChart,
    cash_flow_chart,
    format_number,
    histogram_chart,
    nice_ticks,
    to_drawing,
    to_svg,
    tornado_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
MODEL = valuation.relief_from_royalty_model(10)
INPUTS: dict[str, valuation.InputDistribution | float] = {
    "revenue": valuation.Triangular(8_000_000, 10_000_000, 13_000_000),
    "growth": valuation.Triangular(0.0, 0.05, 0.10),
    "royalty_rate": valuation.Triangular(0.03, 0.05, 0.07),
    "tax_rate": 0.25,
    "discount_rate": valuation.Triangular(0.10, 0.12, 0.15),
}
LABELS = {
    "revenue": "首年销售收入",
    "growth": "收入增长率",
    "royalty_rate": "许可费率",
    "discount_rate": "折现率",
}


@pytest.fixture(scope="module")
def distribution() -> valuation.Distribution:
    return valuation.monte_carlo(MODEL, INPUTS, trials=5_000, seed=42)


@pytest.fixture(scope="module")
def rows() -> list[valuation.SensitivityRow]:
    return valuation.sensitivity(MODEL, INPUTS, exclude=("tax_rate",))


@pytest.fixture(scope="module")
def income() -> valuation.IncomeValuation:
    revenues = [10_000_000 * 1.05**year for year in range(10)]
    return valuation.relief_from_royalty(revenues, 0.05, 0.25, 0.12)


def pdf_of(drawing: Drawing) -> bytes:
    data: object = renderPDF.drawToString(drawing)  # bytes, though the stubs say str
    assert isinstance(data, bytes)
    return data


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]


def assert_safe(svg: Markup) -> None:
    source = str(svg).lower()
    assert "<script" not in source
    assert "style=" not in source
    assert "<style" not in source
    assert "href" not in source
    assert "url(" not in source
    assert " on" not in source.replace(" one", "")  # no event handler attributes


def test_histogram_chart_scales_to_wan_yuan_and_marks_p10_p50_p90(
    distribution: valuation.Distribution,
) -> None:
    chart = histogram_chart(distribution, title="价值分布")

    assert chart.counts == distribution.histogram.counts
    assert chart.edges[0] == pytest.approx(distribution.histogram.edges[0] / 10_000)
    assert [label for label, _ in chart.markers] == ["P10", "P50", "P90"]
    assert chart.markers[1][1] == pytest.approx(distribution.p50 / 10_000)
    assert chart.unit == "万元"


def test_histogram_svg_has_one_bar_per_bin_and_the_markers(
    distribution: valuation.Distribution,
) -> None:
    chart = histogram_chart(distribution, title="价值分布（蒙特卡洛）")
    svg = to_svg(chart)
    root = parse(svg)

    assert isinstance(svg, Markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "价值分布（蒙特卡洛）"
    assert "P50" in (root.findtext(f"{SVG}desc") or "")
    assert len(bars(root)) == len(distribution.histogram.counts)
    labels = texts(root)
    assert any(label.startswith("P10 ") for label in labels)
    assert any(label.startswith("P90 ") for label in labels)
    assert "万元" in labels
    assert_safe(svg)


def test_axis_ticks_are_round_readable_numbers(distribution: valuation.Distribution) -> None:
    root = parse(to_svg(histogram_chart(distribution, title="t")))
    numbers = [label for label in texts(root) if label.replace(",", "").isdigit()]

    assert "0" in numbers  # the count axis starts at zero
    assert len(numbers) >= 6
    assert all(float(label.replace(",", "")) % 1 == 0 for label in numbers)


def test_tornado_svg_keeps_the_given_order_and_escapes_labels(
    rows: list[valuation.SensitivityRow],
) -> None:
    labels = {**LABELS, "royalty_rate": "许可费率 <k> & 分成"}
    chart = tornado_chart(rows, title="敏感性 <±20%> & 基准", labels=labels)
    svg = to_svg(chart)
    root = parse(svg)

    assert [label for label, _, _ in chart.rows] == [labels[row.name] for row in rows]
    assert chart.base == pytest.approx(rows[0].base / 10_000)
    row_labels = [label for label in texts(root) if label in set(labels.values())]
    assert row_labels == [labels[row.name] for row in rows]
    assert "许可费率 &lt;k&gt; &amp; 分成" in str(svg)
    assert "<k>" not in str(svg)
    assert root.findtext(f"{SVG}title") == "敏感性 <±20%> & 基准"
    assert len(bars(root)) == 2 * len(rows)
    assert_safe(svg)


def test_tornado_bars_extend_from_the_base_to_each_value(
    rows: list[valuation.SensitivityRow],
) -> None:
    root = parse(to_svg(tornado_chart(rows, title="t", labels=LABELS)))
    first_low, first_high = bars(root)[:2]
    low_end = float(first_low.get("x", "0"))
    high_start = float(first_high.get("x", "0"))
    # Revenue low lowers the value: the red bar ends where the blue one starts, at the base.
    assert low_end + float(first_low.get("width", "0")) == pytest.approx(high_start, abs=0.02)


def test_cash_flow_chart_reads_the_discounted_stream(income: valuation.IncomeValuation) -> None:
    chart = cash_flow_chart(income, title="收益预测")

    assert chart.years == tuple(range(1, 11))
    first = income.schedule[0]
    assert isinstance(first, valuation.RoyaltyRow)
    assert chart.income[0] == pytest.approx(first.after_tax_royalty / 10_000)
    assert chart.present_value[-1] == pytest.approx(income.schedule[-1].present_value / 10_000)
    assert chart.income_label == "税后许可费"
    root = parse(to_svg(chart))
    assert len(bars(root)) == 2 * 10
    assert "税后许可费" in texts(root)


def test_cash_flow_chart_of_a_profit_split() -> None:
    result = valuation.profit_split([10_000_000] * 3, 0.3, 0.10)
    chart = cash_flow_chart(result, title="利润分成", scale=1, unit="元")

    assert chart.income == (3_000_000.0,) * 3
    assert chart.income_label == "许可方分成收益"
    assert sum(chart.present_value) == pytest.approx(result.value)


def test_english_words_for_the_browser(income: valuation.IncomeValuation) -> None:
    chart = cash_flow_chart(income, title="Income", income_label="After-tax royalty", unit="")
    labels = texts(parse(to_svg(chart, text=CHART_TEXT_EN)))

    assert "Present value" in labels
    assert "After-tax royalty" in labels


DEGENERATE: list[Chart] = [
    HistogramChart(title="全为零", edges=(0.0, 1.0, 2.0), counts=(0, 0), markers=(), unit="万元"),
    HistogramChart(
        title="单一区间", edges=(5.0, 5.0), counts=(100,), markers=(("P50", 5.0),), unit="万元"
    ),
    HistogramChart(title="无区间", edges=(), counts=(), markers=(), unit=""),
    TornadoChart(title="零宽", base=10.0, rows=(("甲", 10.0, 10.0), ("乙", 10.0, 10.0)), unit=""),
    TornadoChart(title="无输入", base=0.0, rows=(), unit="万元"),
    TornadoChart(title="同侧", base=10.0, rows=(("丙", 12.0, 15.0),), unit="万元"),
    CashFlowChart(title="无收益", years=(), income=(), present_value=(), unit="万元"),
    CashFlowChart(
        title="全为零", years=(1, 2), income=(0.0, 0.0), present_value=(0.0, 0.0), unit=""
    ),
    CashFlowChart(
        title="负值", years=(1, 2), income=(-3.0, 4.0), present_value=(-2.7, 3.3), unit="万元"
    ),
]


@pytest.mark.parametrize("chart", DEGENERATE, ids=lambda chart: chart.title)
def test_degenerate_charts_render(chart: Chart) -> None:
    svg = to_svg(chart)
    root = parse(svg)

    assert root.findtext(f"{SVG}title") == chart.title
    assert_safe(svg)
    for element in root.iter():
        for name in ("x", "y", "width", "height", "x1", "x2", "y1", "y2"):
            value = element.get(name)
            if value is not None:
                assert float(value) >= -1e-9 or name in ("x", "x1", "x2")
                assert "nan" not in value and "inf" not in value
    drawing = to_drawing(chart)
    assert pdf_of(drawing).startswith(b"%PDF-")


def test_all_zero_histogram_still_draws_each_bin() -> None:
    root = parse(to_svg(DEGENERATE[0]))
    assert len(bars(root)) == 2


def test_empty_charts_say_so() -> None:
    assert "无数据" in texts(parse(to_svg(DEGENERATE[2])))
    assert "无数据" in texts(parse(to_svg(DEGENERATE[4])))


def test_tornado_of_no_rows_from_the_library() -> None:
    chart = tornado_chart([], title="空")
    assert chart.rows == ()
    assert chart.base == 0.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: HistogramChart(title="t", edges=(0.0, 1.0), counts=(1, 2), markers=(), unit=""),
        lambda: HistogramChart(title="t", edges=(0.0, 1.0), counts=(-1,), markers=(), unit=""),
        lambda: HistogramChart(title="t", edges=(1.0, 0.0), counts=(1,), markers=(), unit=""),
        lambda: TornadoChart(title="t", base=float("nan"), rows=(), unit=""),
        lambda: CashFlowChart(title="t", years=(1,), income=(), present_value=(), unit=""),
    ],
)
def test_inconsistent_specs_are_refused(make: Callable[[], Chart]) -> None:
    with pytest.raises(ValueError):
        make()


def test_histogram_refuses_a_zero_scale(distribution: valuation.Distribution) -> None:
    with pytest.raises(ValueError, match="scale"):
        histogram_chart(distribution, title="t", scale=0)


def test_svg_ids_are_stable_and_distinct(
    distribution: valuation.Distribution, income: valuation.IncomeValuation
) -> None:
    histogram = histogram_chart(distribution, title="t")
    flows = cash_flow_chart(income, title="t")

    assert to_svg(histogram) == to_svg(histogram)
    assert parse(to_svg(histogram)).get("aria-labelledby") != parse(to_svg(flows)).get(
        "aria-labelledby"
    )


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1000, [0, 200, 400, 600, 800, 1000]),
        (0, 7, [0, 2, 4, 6, 8]),
        (145.2, 421.9, [100, 200, 300, 400, 500]),
        (0, 0.9, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (5, 5, [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]),
    ],
)
def test_nice_ticks(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(expected)


def test_nice_ticks_inside_stay_within_the_range() -> None:
    ticks = nice_ticks(145.2, 421.9, target=6, inside=True)
    assert ticks == [150, 200, 250, 300, 350, 400]


def test_format_number() -> None:
    assert format_number(1234.5, 1) == "1,234.5"
    assert format_number(-0.001, 2) == "0.00"
    assert format_number(-3, 0) == "-3"


@pytest.mark.parametrize("kind", ["histogram", "tornado", "cash_flow"])
def test_drawing_renders_to_pdf_in_the_cjk_font(
    kind: str,
    distribution: valuation.Distribution,
    rows: list[valuation.SensitivityRow],
    income: valuation.IncomeValuation,
) -> None:
    makers: dict[str, Callable[[], Chart]] = {
        "histogram": lambda: histogram_chart(distribution, title="价值分布"),
        "tornado": lambda: tornado_chart(rows, title="敏感性 <&>", labels=LABELS),
        "cash_flow": lambda: cash_flow_chart(income, title="收益预测"),
    }
    chart = makers[kind]()
    drawing = to_drawing(chart)

    assert isinstance(drawing, Drawing)
    assert (drawing.width, drawing.height) == (460, 230)
    strings = [item for item in drawing.contents if isinstance(item, String)]
    assert strings[0].text == chart.title
    assert {item.fontName for item in strings} == {"STSong-Light"}
    pdf = pdf_of(drawing)
    assert pdf.startswith(b"%PDF-")
    assert b"STSong-Light" in pdf
