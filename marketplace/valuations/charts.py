"""Valuation charts without JavaScript: inline SVG for the browser, reportlab drawings for the PDF.

A chart is first a neutral, frozen spec (:class:`HistogramChart`, :class:`TornadoChart`,
:class:`CashFlowChart`) built from the results of the :mod:`valuation` library. One layout step
turns a spec into a handful of positioned rectangles, lines and texts; two small back ends write
those as SVG (:func:`to_svg`) or as a reportlab :class:`~reportlab.graphics.shapes.Drawing`
(:func:`to_drawing`), so the page and the PDF show the same picture.

The SVG passes a ``style-src 'self'`` Content-Security-Policy: it uses presentation attributes
(``fill="…"``) only, no ``style`` attribute, no ``<style>`` element, no script and no external
reference. Every text is escaped.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from markupsafe import Markup, escape
from reportlab.graphics import shapes
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

import valuation

#: The Adobe CID font with Chinese glyphs that every PDF reader has; nothing is downloaded or
#: embedded, which also keeps the PDF small and its bytes reproducible.
CJK_FONT = "STSong-Light"
SVG_FONT_FAMILY = (
    "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', 'Source Han Sans SC', sans-serif"
)

_INK = "#222222"
_MUTED = "#666666"
_AXIS = "#555555"
_GRID = "#e3e3e3"
_BLUE = "#4c78a8"
_LIGHT_BLUE = "#9ecae9"
_RED = "#e45756"
_MARKER = "#333333"


# Characters that STSong-Light (Adobe-GB1 through the UniGB-UCS2-H encoding) lacks, with the
# nearest character it has; without this they print as empty boxes.
_PDF_SUBSTITUTES = str.maketrans(
    {
        "\u2212": "-",  # minus sign
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u00b7": "\u30fb",  # middle dot → katakana middle dot
        "\u2022": "\u30fb",
        "\u2219": "\u30fb",
        "\u22c5": "\u30fb",
        "\u2027": "\u30fb",
        "\u00a0": " ",  # the spaces Babel puts into formatted numbers and currencies
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u00bd": "1/2",
        "\u00bc": "1/4",
        "\u00be": "3/4",
    }
)
SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎"
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾"
_PLAIN_SCRIPTS = str.maketrans(SUBSCRIPTS + SUPERSCRIPTS, "0123456789+-=()" * 2)


def pdf_safe(text: str, *, scripts: bool = True) -> str:
    """``text`` with the characters the PDF font lacks replaced by their nearest equivalents.

    With ``scripts`` sub- and superscript digits (``R₁``, ``m²``) become plain digits too; the
    report's paragraphs turn them into ``<sub>``/``<super>`` markup instead.
    """
    text = text.translate(_PDF_SUBSTITUTES)
    return text.translate(_PLAIN_SCRIPTS) if scripts else text


def register_cjk_font() -> str:
    """Register :data:`CJK_FONT` with reportlab once and return its name."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


# --------------------------------------------------------------------------------------------
# Chart specs
# --------------------------------------------------------------------------------------------


def _text_fields(spec: object, *names: str) -> None:
    # Titles often arrive as lazily translated strings; the layout measures and slices plain str.
    for name in names:
        object.__setattr__(spec, name, str(getattr(spec, name)))


def _finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class HistogramChart:
    """Value distribution of a Monte Carlo run: bins, counts and percentile markers."""

    title: str
    #: Bin edges in display units; one more than ``counts`` (or empty when there are no bins).
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    #: Vertical marker lines, e.g. ``(("P10", 512.3), ("P50", 640.0), ("P90", 801.2))``.
    markers: tuple[tuple[str, float], ...]
    #: Unit of the value axis, e.g. ``"万元"``.
    unit: str

    def __post_init__(self) -> None:
        _text_fields(self, "title", "unit")
        object.__setattr__(self, "markers", tuple((str(m), v) for m, v in self.markers))
        if self.counts and len(self.edges) != len(self.counts) + 1:
            raise ValueError(
                f"a histogram needs one more edge than counts, got {len(self.edges)} edges "
                f"and {len(self.counts)} counts"
            )
        for index, edge in enumerate(self.edges):
            _finite(f"edges[{index}]", edge)
        if any(b < a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError("histogram edges must not decrease")
        for index, count in enumerate(self.counts):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"counts[{index}] must be a whole number ≥ 0, got {count!r}")
        for label, value in self.markers:
            _finite(f"marker {label!r}", value)


@dataclass(frozen=True)
class TornadoChart:
    """One-at-a-time sensitivity: the value with each input at its low and at its high."""

    title: str
    #: The value with every input at its base case, in display units.
    base: float
    #: ``(input label, value at the input's low, value at its high)``, drawn top to bottom as given.
    rows: tuple[tuple[str, float, float], ...]
    unit: str

    def __post_init__(self) -> None:
        _text_fields(self, "title", "unit")
        object.__setattr__(self, "rows", tuple((str(n), low, high) for n, low, high in self.rows))
        _finite("base", self.base)
        for label, low, high in self.rows:
            _finite(f"low of {label!r}", low)
            _finite(f"high of {label!r}", high)


@dataclass(frozen=True)
class CashFlowChart:
    """An income schedule: per year, the income valued and its present value."""

    title: str
    years: tuple[int, ...]
    income: tuple[float, ...]
    present_value: tuple[float, ...]
    unit: str
    #: Legend for the income bars (``"税后许可费"``, ``"超额收益"`` …); None uses the generic word.
    income_label: str | None = None

    def __post_init__(self) -> None:
        _text_fields(self, "title", "unit")
        if self.income_label is not None:
            _text_fields(self, "income_label")
        if not len(self.years) == len(self.income) == len(self.present_value):
            raise ValueError(
                "years, income and present_value must have the same length, got "
                f"{len(self.years)}, {len(self.income)} and {len(self.present_value)}"
            )
        for year, income, present in zip(self.years, self.income, self.present_value, strict=True):
            _finite(f"income of year {year}", income)
            _finite(f"present value of year {year}", present)


Chart: TypeAlias = HistogramChart | TornadoChart | CashFlowChart


@dataclass(frozen=True)
class ChartText:
    """The words a chart draws by itself (titles, units and input labels come from the spec)."""

    frequency: str = "频数"
    base: str = "基准值"
    low: str = "输入取低值"
    high: str = "输入取高值"
    income: str = "年收益"
    present_value: str = "现值"
    year: str = "年"
    no_data: str = "无数据"


#: Chinese, the default (and the report's language).
CHART_TEXT_ZH = ChartText()
CHART_TEXT_EN = ChartText(
    frequency="Trials",
    base="Base",
    low="Input low",
    high="Input high",
    income="Income",
    present_value="Present value",
    year="Year",
    no_data="No data",
)


def _scale(scale: float) -> float:
    value = _finite("scale", scale)
    if value <= 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    return value


def histogram_chart(
    distribution: valuation.Distribution,
    *,
    title: str,
    scale: float = 10_000,
    unit: str = "万元",
) -> HistogramChart:
    """The histogram of a :func:`valuation.monte_carlo` run with P10, P50 and P90 marked.

    Amounts are divided by ``scale`` (10,000 turns yuan into 万元). The samples beyond the
    histogram's 0.5th–99.5th percentile range are not drawn.
    """
    divisor = _scale(scale)
    histogram = distribution.histogram
    return HistogramChart(
        title=title,
        edges=tuple(edge / divisor for edge in histogram.edges),
        counts=tuple(histogram.counts),
        markers=(
            ("P10", distribution.p10 / divisor),
            ("P50", distribution.p50 / divisor),
            ("P90", distribution.p90 / divisor),
        ),
        unit=unit,
    )


def tornado_chart(
    rows: Sequence[valuation.SensitivityRow],
    *,
    title: str,
    base: float | None = None,
    labels: Mapping[str, str] | None = None,
    scale: float = 10_000,
    unit: str = "万元",
) -> TornadoChart:
    """A tornado chart of :func:`valuation.sensitivity` rows, in their order (widest first).

    ``base`` is the base-case value in the library's units (before ``scale``); by default the
    rows' own base value. ``labels`` maps input names (``royalty_rate``) to display labels.
    """
    divisor = _scale(scale)
    names = labels or {}
    if base is None:
        base = rows[0].base if rows else 0.0
    return TornadoChart(
        title=title,
        base=_finite("base", base) / divisor,
        rows=tuple(
            (names.get(row.name, row.name), row.low / divisor, row.high / divisor) for row in rows
        ),
        unit=unit,
    )


_INCOME_LABELS: dict[type[valuation.ScheduleRow], str] = {
    valuation.RoyaltyRow: "税后许可费",
    valuation.ProfitSplitRow: "许可方分成收益",
    valuation.ExcessEarningsRow: "超额收益",
}


def cash_flow_chart(
    valuation_result: valuation.IncomeValuation,
    *,
    title: str,
    scale: float = 10_000,
    unit: str = "万元",
    income_label: str | None = None,
) -> CashFlowChart:
    """Income and present value per year of an income method's schedule.

    The income drawn is the stream the method discounts (``cash_flow``): the after-tax royalty
    of relief from royalty, the licensor's share of a profit split, the excess earnings of
    MPEEM. The present values are before any tax amortisation benefit. ``income_label``
    defaults to the Chinese name of that column.
    """
    divisor = _scale(scale)
    schedule = valuation_result.schedule
    if income_label is None and schedule:
        income_label = _INCOME_LABELS.get(type(schedule[0]))
    return CashFlowChart(
        title=title,
        years=tuple(row.year for row in schedule),
        income=tuple(row.cash_flow / divisor for row in schedule),
        present_value=tuple(row.present_value / divisor for row in schedule),
        unit=unit,
        income_label=income_label,
    )


# --------------------------------------------------------------------------------------------
# Layout: a chart becomes positioned primitives (origin top left, y down, as in SVG)
# --------------------------------------------------------------------------------------------

Anchor: TypeAlias = Literal["start", "middle", "end"]
Measure: TypeAlias = Callable[[str, float], float]


@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    css_class: str | None = None
    tip: str | None = None
    opacity: float = 1.0


@dataclass(frozen=True)
class _Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0
    dash: tuple[float, ...] | None = None


@dataclass(frozen=True)
class _Text:
    x: float
    y: float  # baseline
    text: str
    size: float
    anchor: Anchor = "start"
    fill: str = _INK
    css_class: str | None = None


_Item: TypeAlias = _Rect | _Line | _Text


@dataclass
class _Scene:
    width: float
    height: float
    title: str
    desc: str
    kind: str
    items: list[_Item] = field(default_factory=list)


def estimate_text_width(text: str, size: float) -> float:
    """Rough width of ``text`` in a sans-serif font: wide (CJK) characters 1 em, others 0.56 em."""
    wide = sum(1 for char in text if unicodedata.east_asian_width(char) in "WF")
    return (wide + 0.56 * (len(text) - wide)) * size


def _decimals_for(step: float) -> int:
    for decimals in range(7):
        if abs(round(step, decimals) - step) <= 1e-9 * max(abs(step), 1e-12):
            return decimals
    return 6


def format_number(value: float, decimals: int) -> str:
    """``1234.5, 1`` → ``"1,234.5"``; never ``"-0"``."""
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and not any(char in "123456789" for char in text):
        text = text[1:]
    return text


def format_value(value: float) -> str:
    """A value label with sensible precision: 1,234 · 612.3 · 0.57."""
    magnitude = abs(value)
    return format_number(value, 0 if magnitude >= 1000 else 1 if magnitude >= 1 else 2)


def _axis(low: float, high: float, target: int, integer: bool) -> tuple[float, float, float]:
    """``(low, high, step)``: the range (a zero-width one widened) and a round step for it."""
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(target, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= raw * 0.999)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    return low, high, step


def nice_ticks(
    low: float, high: float, *, target: int = 5, integer: bool = False, inside: bool = False
) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 × 10ⁿ apart) for the range ``[low, high]``.

    By default the ticks cover the range and the first and last bound the axis; with
    ``inside=True`` they are the round values within it (the axis keeps the data's own range).
    A zero-width range is widened around its value.
    """
    low, high, step = _axis(low, high, target, integer)
    slack = step * 1e-9
    if inside:
        start = math.ceil((low - slack) / step) * step
        end = math.floor((high + slack) / step) * step
    else:
        start = math.floor((low + slack) / step) * step
        end = math.ceil((high - slack) / step) * step
    count = max(0, round((end - start) / step))
    digits = _decimals_for(step) + 2
    return [round(start + index * step, digits) + 0.0 for index in range(count + 1)]


def _step_decimals(low: float, high: float, target: int = 5) -> int:
    return _decimals_for(_axis(low, high, target, False)[2])


@dataclass(frozen=True)
class _Frame:
    """The plot area and the rows of text around it, for a font size ``size``."""

    width: float
    height: float
    size: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def title_size(self) -> float:
        return self.size * 1.25

    @property
    def title_baseline(self) -> float:
        return self.title_size + 2

    @property
    def legend_baseline(self) -> float:
        return self.title_baseline + self.size * 1.6


def _frame(width: float, height: float, size: float, left: float) -> _Frame:
    title_baseline = size * 1.25 + 2
    top = title_baseline + size * 3.2
    bottom = max(top + 10, height - size * 3.0)
    left = min(max(left, size * 2.5), width * 0.45)
    return _Frame(width, height, size, left, width - size * 1.2, top, bottom)


@dataclass(frozen=True)
class _Scaler:
    domain_low: float
    domain_high: float
    out_low: float
    out_high: float

    def __call__(self, value: float) -> float:
        span = self.domain_high - self.domain_low
        share = (value - self.domain_low) / span if span else 0.5
        return self.out_low + share * (self.out_high - self.out_low)


def _common(scene: _Scene, frame: _Frame, y_label: str, x_label: str) -> None:
    """Title, the value-axis label above the y ticks and the unit label under the x axis."""
    scene.items.append(
        _Text(2, frame.title_baseline, scene.title, frame.title_size, css_class="chart-title")
    )
    if y_label:
        scene.items.append(_Text(2, frame.legend_baseline, y_label, frame.size, fill=_MUTED))
    if x_label:
        scene.items.append(
            _Text(frame.right, frame.bottom + frame.size * 2.7, x_label, frame.size, "end", _MUTED)
        )


def _legend(
    scene: _Scene, frame: _Frame, entries: Sequence[tuple[str, str]], measure: Measure
) -> None:
    swatch = frame.size * 0.8
    x = frame.right
    for fill, label in reversed(entries):
        x -= measure(label, frame.size)
        scene.items.append(_Text(x, frame.legend_baseline, label, frame.size, fill=_MUTED))
        x -= swatch + 4
        scene.items.append(_Rect(x, frame.legend_baseline - swatch, swatch, swatch, fill))
        x -= frame.size * 1.2


def _no_data(scene: _Scene, frame: _Frame, text: ChartText) -> None:
    scene.items.append(
        _Text(
            (frame.left + frame.right) / 2,
            (frame.top + frame.bottom) / 2,
            text.no_data,
            frame.size,
            "middle",
            _MUTED,
        )
    )


def _y_ticks(
    scene: _Scene, frame: _Frame, ticks: Sequence[float], y: _Scaler, decimals: int
) -> None:
    for tick in ticks:
        position = y(tick)
        scene.items.append(_Line(frame.left, position, frame.right, position, _GRID))
        scene.items.append(
            _Text(
                frame.left - 6,
                position + frame.size * 0.35,
                format_number(tick, decimals),
                frame.size,
                "end",
                _MUTED,
            )
        )


def _x_ticks(
    scene: _Scene, frame: _Frame, ticks: Sequence[float], x: _Scaler, decimals: int, grid: bool
) -> None:
    for tick in ticks:
        position = x(tick)
        if grid:
            scene.items.append(_Line(position, frame.top, position, frame.bottom, _GRID))
        scene.items.append(_Line(position, frame.bottom, position, frame.bottom + 4, _AXIS))
        scene.items.append(
            _Text(
                position,
                frame.bottom + frame.size * 1.3,
                format_number(tick, decimals),
                frame.size,
                "middle",
                _MUTED,
            )
        )


def _tick_width(ticks: Sequence[float], decimals: int, size: float, measure: Measure) -> float:
    return max((measure(format_number(tick, decimals), size) for tick in ticks), default=0.0)


def _layout_histogram(
    chart: HistogramChart,
    width: float,
    height: float,
    size: float,
    measure: Measure,
    text: ChartText,
) -> _Scene:
    unit = f" {chart.unit}" if chart.unit else ""
    total = sum(chart.counts)
    markers = "; ".join(f"{label} = {format_value(value)}{unit}" for label, value in chart.markers)
    span = (
        f"{format_value(chart.edges[0])}–{format_value(chart.edges[-1])}{unit}"
        if chart.edges
        else text.no_data
    )
    desc = f"{span}; {len(chart.counts)} × {text.frequency}, Σ {total}" + (
        f"; {markers}" if markers else ""
    )
    scene = _Scene(width, height, chart.title, desc, "histogram")

    y_ticks = nice_ticks(0, max(max(chart.counts, default=0), 1), integer=True)
    values = [*chart.edges, *(value for _, value in chart.markers)]
    x_low, x_high, _ = _axis(min(values, default=0.0), max(values, default=1.0), 6, False)
    x_ticks = nice_ticks(x_low, x_high, target=6, inside=True)
    x_decimals = _step_decimals(x_low, x_high, 6)
    frame = _frame(width, height, size, _tick_width(y_ticks, 0, size, measure) + 10)
    x = _Scaler(x_low, x_high, frame.left, frame.right)
    y = _Scaler(y_ticks[0], y_ticks[-1], frame.bottom, frame.top)

    _common(scene, frame, text.frequency, chart.unit)
    _y_ticks(scene, frame, y_ticks, y, 0)
    _x_ticks(scene, frame, x_ticks, x, x_decimals, grid=False)
    if not chart.counts:
        _no_data(scene, frame, text)
    for index, count in enumerate(chart.counts):
        low, high = chart.edges[index], chart.edges[index + 1]
        left, right = x(low), x(high)
        if right - left > 3:
            right -= 1  # a hairline gap between neighbouring bars
        top = y(count)
        scene.items.append(
            _Rect(
                left,
                top,
                max(right - left, 0.5),
                frame.bottom - top,
                _BLUE,
                css_class="bar",
                tip=f"{format_value(low)}–{format_value(high)}{unit}: {count}",
            )
        )
    # Marker labels sit above the plot; a label that would overlap its left neighbour moves up a
    # row, so close percentiles stay readable.
    occupied: list[float] = [-math.inf, -math.inf]
    for label, value in sorted(chart.markers, key=lambda marker: marker[1]):
        position = x(value)
        caption = f"{label} {format_value(value)}"
        half = measure(caption, size * 0.9) / 2
        row = 0 if position - half > occupied[0] + 4 else 1
        occupied[row] = position + half
        baseline = frame.top - 4 - row * size * 1.15
        scene.items.append(
            _Line(position, frame.bottom, position, baseline + 2, _MARKER, 1.0, (4.0, 3.0))
        )
        scene.items.append(_Text(position, baseline, caption, size * 0.9, "middle", _MARKER))
    scene.items.append(_Line(frame.left, frame.bottom, frame.right, frame.bottom, _AXIS))
    return scene


def _layout_tornado(
    chart: TornadoChart, width: float, height: float, size: float, measure: Measure, text: ChartText
) -> _Scene:
    unit = f" {chart.unit}" if chart.unit else ""
    desc = f"{text.base} {format_value(chart.base)}{unit}; " + "; ".join(
        f"{label}: {format_value(low)} / {format_value(high)}" for label, low, high in chart.rows
    )
    scene = _Scene(width, height, chart.title, desc.rstrip("; "), "tornado")

    values = [chart.base, *(v for _, low, high in chart.rows for v in (low, high))]
    low_value, high_value = min(values), max(values)
    pad = (high_value - low_value) * 0.15  # room for the value labels at the bars' ends
    x_low, x_high, _ = _axis(low_value - pad, high_value + pad, 6, False)
    x_ticks = nice_ticks(x_low, x_high, target=6, inside=True)
    x_decimals = _step_decimals(x_low, x_high, 6)
    label_width = max((measure(label, size) for label, _, _ in chart.rows), default=0.0)
    frame = _frame(width, height, size, label_width + 12)
    x = _Scaler(x_low, x_high, frame.left, frame.right)

    _common(scene, frame, "", chart.unit)
    _legend(scene, frame, [(_RED, text.low), (_BLUE, text.high)], measure)
    _x_ticks(scene, frame, x_ticks, x, x_decimals, grid=True)
    if not chart.rows:
        _no_data(scene, frame, text)
    band = (frame.bottom - frame.top) / max(len(chart.rows), 1)
    thickness = min(band * 0.62, size * 2.2)
    base_x = x(chart.base)
    small = size * 0.85
    for index, (label, low, high) in enumerate(chart.rows):
        middle = frame.top + band * (index + 0.5)
        scene.items.append(
            _Text(
                frame.left - 8,
                middle + size * 0.35,
                _fit(label, frame.left - 12, size, measure),
                size,
                "end",
            )
        )
        same_side = (low - chart.base) * (high - chart.base) > 0
        bars = [(low, _RED, text.low), (high, _BLUE, text.high)]
        for slot, (value, fill, word) in enumerate(bars):
            if same_side:  # both on one side: split the bar lengthwise so that neither hides
                top, tall = middle - thickness / 2 + slot * thickness / 2, thickness / 2
            else:
                top, tall = middle - thickness / 2, thickness
            end = x(value)
            scene.items.append(
                _Rect(
                    min(base_x, end),
                    top,
                    abs(end - base_x),
                    tall,
                    fill,
                    css_class="bar",
                    tip=f"{label} · {word}: {format_value(value)}{unit}",
                )
            )
            if end != base_x:
                anchor: Anchor = "end" if end < base_x else "start"
                shift = -3 if end < base_x else 3
                scene.items.append(
                    _Text(
                        end + shift,
                        top + tall / 2 + small * 0.35,
                        format_value(value),
                        small,
                        anchor,
                        _MUTED,
                    )
                )
    scene.items.append(_Line(base_x, frame.top - 2, base_x, frame.bottom, _INK, 1.2))
    scene.items.append(
        _Text(
            base_x,
            frame.top - 5,
            f"{text.base} {format_value(chart.base)}",
            size * 0.9,
            "middle",
            _INK,
        )
    )
    scene.items.append(_Line(frame.left, frame.bottom, frame.right, frame.bottom, _AXIS))
    return scene


def _fit(label: str, room: float, size: float, measure: Measure) -> str:
    """``label``, cut with an ellipsis when it is wider than ``room``."""
    if measure(label, size) <= room:
        return label
    while label and measure(label + "…", size) > room:
        label = label[:-1]
    return label + "…"


def _layout_cash_flow(
    chart: CashFlowChart,
    width: float,
    height: float,
    size: float,
    measure: Measure,
    text: ChartText,
) -> _Scene:
    unit = f" {chart.unit}" if chart.unit else ""
    income_word = chart.income_label or text.income
    desc = "; ".join(
        f"{year}: {income_word} {format_value(income)}, {text.present_value} {format_value(pv)}"
        for year, income, pv in zip(chart.years, chart.income, chart.present_value, strict=True)
    )
    scene = _Scene(width, height, chart.title, desc or text.no_data, "cash-flow")

    values = [0.0, *chart.income, *chart.present_value]
    low_value, high_value = min(values), max(values)
    y_ticks = nice_ticks(low_value, high_value if high_value > low_value else 1.0)
    y_decimals = _decimals_for(y_ticks[1] - y_ticks[0]) if len(y_ticks) > 1 else 0
    frame = _frame(width, height, size, _tick_width(y_ticks, y_decimals, size, measure) + 10)
    y = _Scaler(y_ticks[0], y_ticks[-1], frame.bottom, frame.top)

    _common(scene, frame, chart.unit, text.year)
    _legend(scene, frame, [(_LIGHT_BLUE, income_word), (_BLUE, text.present_value)], measure)
    _y_ticks(scene, frame, y_ticks, y, y_decimals)
    if not chart.years:
        _no_data(scene, frame, text)
    count = len(chart.years)
    band = (frame.right - frame.left) / max(count, 1)
    bar = band * 0.34
    zero = y(0.0)
    widest = max((measure(str(year), size) for year in chart.years), default=0.0) + 6
    every = max(1, math.ceil(widest / band)) if count else 1
    series = [
        (chart.income, _LIGHT_BLUE, income_word),
        (chart.present_value, _BLUE, text.present_value),
    ]
    for index, year in enumerate(chart.years):
        centre = frame.left + band * (index + 0.5)
        for slot, (amounts, fill, word) in enumerate(series):
            value = amounts[index]
            top = min(y(value), zero)
            scene.items.append(
                _Rect(
                    centre - bar + slot * bar,
                    top,
                    bar,
                    abs(zero - y(value)),
                    fill,
                    css_class="bar",
                    tip=f"{year} · {word}: {format_value(value)}{unit}",
                )
            )
        if index % every == 0:
            scene.items.append(
                _Text(centre, frame.bottom + size * 1.3, str(year), size, "middle", _MUTED)
            )
    scene.items.append(_Line(frame.left, zero, frame.right, zero, _AXIS))
    return scene


def _layout(
    chart: Chart, width: float, height: float, size: float, measure: Measure, text: ChartText
) -> _Scene:
    if width <= 0 or height <= 0:
        raise ValueError(f"a chart needs a positive width and height, got {width!r} × {height!r}")
    if isinstance(chart, HistogramChart):
        return _layout_histogram(chart, width, height, size, measure, text)
    if isinstance(chart, TornadoChart):
        return _layout_tornado(chart, width, height, size, measure, text)
    if isinstance(chart, CashFlowChart):
        return _layout_cash_flow(chart, width, height, size, measure, text)
    raise TypeError(f"not a chart: {chart!r}")


# --------------------------------------------------------------------------------------------
# Back ends
# --------------------------------------------------------------------------------------------


def _n(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _svg_item(item: _Item) -> str:
    if isinstance(item, _Rect):
        css = f' class="{escape(item.css_class)}"' if item.css_class else ""
        opacity = f' fill-opacity="{_n(item.opacity)}"' if item.opacity != 1.0 else ""
        attributes = (
            f'x="{_n(item.x)}" y="{_n(item.y)}" width="{_n(item.width)}" '
            f'height="{_n(item.height)}" fill="{item.fill}"{opacity}{css}'
        )
        if item.tip:
            return f"<rect {attributes}><title>{escape(item.tip)}</title></rect>"
        return f"<rect {attributes}/>"
    if isinstance(item, _Line):
        dash = f' stroke-dasharray="{" ".join(_n(d) for d in item.dash)}"' if item.dash else ""
        return (
            f'<line x1="{_n(item.x1)}" y1="{_n(item.y1)}" x2="{_n(item.x2)}" y2="{_n(item.y2)}" '
            f'stroke="{item.stroke}" stroke-width="{_n(item.width)}"{dash}/>'
        )
    css = f' class="{escape(item.css_class)}"' if item.css_class else ""
    anchor = f' text-anchor="{item.anchor}"' if item.anchor != "start" else ""
    return (
        f'<text x="{_n(item.x)}" y="{_n(item.y)}" font-size="{_n(item.size)}" '
        f'fill="{item.fill}"{anchor}{css}>{escape(item.text)}</text>'
    )


def to_svg(
    chart: Chart, *, width: int = 640, height: int = 320, text: ChartText = CHART_TEXT_ZH
) -> Markup:
    """The chart as a self-contained inline ``<svg role="img">`` with ``<title>`` and ``<desc>``.

    The ``desc`` lists the figures drawn, for screen readers. Bars carry a ``<title>`` tooltip
    and the class ``bar``. Ids derive from the chart's content, so the output is stable.
    """
    scene = _layout(chart, width, height, 11.0, estimate_text_width, text)
    digest = hashlib.sha1(
        repr((chart, width, height, text)).encode("utf-8"), usedforsecurity=False
    ).hexdigest()[:10]
    ident = f"chart-{digest}"
    body = "".join(_svg_item(item) for item in scene.items)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="chart chart-{scene.kind}" '
        f'font-family="{escape(SVG_FONT_FAMILY)}" font-size="11">'
        f'<title id="{ident}-title">{escape(scene.title)}</title>'
        f'<desc id="{ident}-desc">{escape(scene.desc)}</desc>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        f"{body}</svg>"
    )


def to_drawing(
    chart: Chart, *, width: float = 460, height: float = 230, text: ChartText = CHART_TEXT_ZH
) -> shapes.Drawing:
    """The same chart as a reportlab drawing (a platypus flowable) in :data:`CJK_FONT`."""
    font = register_cjk_font()

    def measure(label: str, size: float) -> float:
        return float(pdfmetrics.stringWidth(label, font, size))

    scene = _layout(chart, width, height, 8.0, measure, text)
    drawing = shapes.Drawing(width, height)
    for item in scene.items:
        if isinstance(item, _Rect):
            rect = shapes.Rect(item.x, height - item.y - item.height, item.width, item.height)
            rect.fillColor = colors.HexColor(item.fill)
            rect.fillOpacity = item.opacity
            rect.strokeColor = None
            rect.strokeWidth = 0
            drawing.add(rect)
        elif isinstance(item, _Line):
            line = shapes.Line(item.x1, height - item.y1, item.x2, height - item.y2)
            line.strokeColor = colors.HexColor(item.stroke)
            line.strokeWidth = item.width
            if item.dash:
                line.strokeDashArray = list(item.dash)
            drawing.add(line)
        else:
            drawing.add(
                shapes.String(
                    item.x,
                    height - item.y,
                    pdf_safe(item.text),
                    fontName=font,
                    fontSize=item.size,
                    fillColor=colors.HexColor(item.fill),
                    textAnchor=item.anchor,
                )
            )
    return drawing
