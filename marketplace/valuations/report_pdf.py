"""The appraisal report as a Chinese PDF, built with reportlab's platypus.

The text is set in the Adobe CID font ``STSong-Light``, which every PDF reader supplies, so
nothing is downloaded or embedded. The same :class:`ReportContent` always gives the same bytes
(reportlab's invariant mode: fixed creation date and document id), so the SHA-256 recorded when
the report is signed identifies the file a bank downloads. New reportlab versions may change the
bytes: keep the signed file, do not re-render it to verify it.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from marketplace.valuations.charts import (
    SUBSCRIPTS,
    SUPERSCRIPTS,
    Chart,
    pdf_safe,
    register_cjk_font,
    to_drawing,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 20 * mm
#: What platypus leaves for the story: SimpleDocTemplate's frame pads each side by 6 points.
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X - 12
CHINESE_NUMERALS = "一二三四五六七八九十"

_HEADER_FILL = colors.HexColor("#eef2f7")
_RULE = colors.HexColor("#9aa5b1")
_INK = colors.HexColor("#1f2933")
_ACCENT = colors.HexColor("#1f4e79")
_MUTED = colors.HexColor("#52606d")


@dataclass(frozen=True)
class InputLine:
    """One input of a method: what it is, its value as shown, and where it comes from."""

    label: str
    value: str
    source: str


@dataclass(frozen=True)
class MethodSection:
    """One valuation method as applied: formula, inputs with sources, result and weight."""

    name: str
    formula: str
    inputs: tuple[InputLine, ...]
    result: str
    weight: str
    #: Schedule table (e.g. the yearly income and its present value); the first row is the header.
    schedule: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class ReportContent:
    """Everything a signed report shows, already formatted as text (money, rates and dates)."""

    number: str
    version: int
    #: Number of the report this version replaces, or None for a first version.
    supersedes: str | None
    title: str
    #: ``(label, value)`` facts about the right or rights appraised.
    right_lines: tuple[tuple[str, str], ...]
    orderer: str
    appraiser_org: str
    appraiser_person: str
    purpose: str
    basis: str
    value_date: str
    signed_at: str
    valid_until: str
    concluded_value: str
    value_range: str
    methods: tuple[MethodSection, ...]
    reconciliation: str
    charts: tuple[Chart, ...]
    limiting_conditions: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    cover: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    label: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle
    small: ParagraphStyle
    small_number: ParagraphStyle
    small_head: ParagraphStyle
    formula: ParagraphStyle
    conclusion: ParagraphStyle
    note: ParagraphStyle
    item: ParagraphStyle


def _styles(font: str) -> _Styles:
    def style(name: str, size: float, leading: float, **options: Any) -> ParagraphStyle:
        options.setdefault("textColor", _INK)
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **options
        )

    return _Styles(
        title=style("title", 22, 30, alignment=TA_CENTER, spaceAfter=10, textColor=_ACCENT),
        cover=style("cover", 11, 17, alignment=TA_CENTER, textColor=_MUTED),
        heading=style("heading", 13.5, 20, spaceBefore=14, spaceAfter=6, textColor=_ACCENT),
        subheading=style("subheading", 11.5, 17, spaceBefore=8, spaceAfter=4),
        body=style("body", 10, 16, firstLineIndent=20, spaceAfter=4),
        label=style("label", 9.5, 13.5, textColor=_MUTED),
        cell=style("cell", 9.5, 13.5),
        cell_head=style("cell_head", 9.5, 13.5, alignment=TA_CENTER),
        small=style("small", 8, 11),
        small_number=style("small_number", 8, 11, alignment=TA_RIGHT),
        small_head=style("small_head", 8, 11, alignment=TA_CENTER),
        formula=style(
            "formula",
            10,
            16,
            backColor=colors.HexColor("#f5f7fa"),
            borderColor=colors.HexColor("#d9e2ec"),
            borderWidth=0.5,
            borderPadding=(5, 6, 5, 6),
            leftIndent=6,
            rightIndent=6,
            spaceBefore=4,
            spaceAfter=8,
        ),
        conclusion=style("conclusion", 12.5, 18, textColor=_ACCENT),
        note=style("note", 8.5, 13, textColor=_MUTED, alignment=TA_LEFT),
        item=style("item", 10, 15.5, leftIndent=14, firstLineIndent=-14, spaceAfter=3),
    )


_SCRIPT_RUNS = re.compile(f"([{SUBSCRIPTS}]+)|([{SUPERSCRIPTS}]+)")
_SCRIPT_PLAIN = str.maketrans(SUBSCRIPTS + SUPERSCRIPTS, "0123456789+-=()" * 2)


def _script(match: re.Match[str]) -> str:
    tag = "sub" if match.group(1) else "super"
    return f"<{tag}>{match.group(0).translate(_SCRIPT_PLAIN)}</{tag}>"


def _text(value: str) -> str:
    """Plain text for a Paragraph, whose input is a small markup language: escaped, with the
    characters the font lacks substituted and sub- and superscripts (``R₁``) set as such."""
    marked = _SCRIPT_RUNS.sub(_script, escape(pdf_safe(value, scripts=False)))
    return marked.replace("\n", "<br/>")


def _p(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_text(value), style)


def _table_style(*, header: bool, label_column: bool = False) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), _HEADER_FILL))
    if label_column:
        commands.append(("BACKGROUND", (0, 0), (0, -1), _HEADER_FILL))
    return TableStyle(commands)


# --------------------------------------------------------------------------------------------
# Page furniture: header, footer, "page x of y"
# --------------------------------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """Defers each page until the total is known, then draws the header and footer on it."""

    def __init__(self, *args: Any, furniture: Callable[[Canvas, int, int], None], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._furniture = furniture
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's own, missing from its stubs

    def save(self) -> None:
        total = len(self._pages)
        for page, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._furniture(self, page, total)
            super().showPage()
        super().save()


def _furniture(content: ReportContent, font: str) -> Callable[[Canvas, int, int], None]:
    def draw(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setFillColor(_MUTED)
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        top = PAGE_HEIGHT - 14 * mm
        canvas.setFont(font, 8.5)
        canvas.drawString(MARGIN_X, top, pdf_safe(f"{content.title}　{content.appraiser_org}"))
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN_X,
            top,
            pdf_safe(f"报告编号：{content.number}　第 {content.version} 版"),
        )
        canvas.line(MARGIN_X, top - 4, PAGE_WIDTH - MARGIN_X, top - 4)
        bottom = 12 * mm
        canvas.line(MARGIN_X, bottom + 10, PAGE_WIDTH - MARGIN_X, bottom + 10)
        canvas.drawString(MARGIN_X, bottom, pdf_safe(f"报告编号：{content.number}"))
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, bottom, f"第 {page} 页　共 {total} 页")
        canvas.restoreState()

    return draw


# --------------------------------------------------------------------------------------------
# The story
# --------------------------------------------------------------------------------------------


def _heading(index: int, title: str, styles: _Styles) -> Paragraph:
    numeral = CHINESE_NUMERALS[index] if index < len(CHINESE_NUMERALS) else str(index + 1)
    return Paragraph(_text(f"{numeral}、{title}"), styles.heading)


def _pairs_table(
    pairs: Sequence[tuple[str, str]], styles: _Styles, *, emphasise_first: bool = False
) -> Table:
    rows = []
    for index, (label, value) in enumerate(pairs):
        value_style = styles.conclusion if emphasise_first and index == 0 else styles.cell
        rows.append([_p(label, styles.label), _p(value, value_style)])
    table = Table(rows, colWidths=[32 * mm, FRAME_WIDTH - 32 * mm], hAlign="LEFT")
    table.setStyle(_table_style(header=False, label_column=True))
    return table


def _cover(content: ReportContent, styles: _Styles) -> list[Flowable]:
    lines = [f"报告编号：{content.number}", f"版本：第 {content.version} 版"]
    if content.supersedes:
        lines.append(f"本版本替代报告：{content.supersedes}")
    return [
        Spacer(1, 6 * mm),
        _p(content.title, styles.title),
        *(_p(line, styles.cover) for line in lines),
        Spacer(1, 6 * mm),
    ]


def _summary(content: ReportContent, styles: _Styles) -> list[Flowable]:
    pairs = [
        ("评估结论", content.concluded_value),
        ("价值区间", content.value_range),
        ("价值类型", content.basis),
        ("评估目的", content.purpose),
        ("评估基准日", content.value_date),
        ("报告日期", content.signed_at),
        ("有效期至", content.valid_until),
        ("委托方", content.orderer),
        ("评估机构", content.appraiser_org),
        ("资产评估师", content.appraiser_person),
    ]
    return [_pairs_table(pairs, styles, emphasise_first=True)]


def _inputs_table(inputs: Sequence[InputLine], styles: _Styles) -> Table:
    rows: list[list[Flowable]] = [
        [_p("参数", styles.cell_head), _p("取值", styles.cell_head), _p("来源", styles.cell_head)]
    ]
    rows += [
        [_p(line.label, styles.cell), _p(line.value, styles.cell), _p(line.source, styles.cell)]
        for line in inputs
    ]
    # Values may carry a range ("4.00%（3.00% – 6.00%）"), so they get room and align left.
    widths = [0.26 * FRAME_WIDTH, 0.36 * FRAME_WIDTH, 0.38 * FRAME_WIDTH]
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(_table_style(header=True))
    return table


def _schedule_table(schedule: Sequence[Sequence[str]], styles: _Styles) -> Table:
    header, *body = schedule
    columns = max(len(row) for row in schedule)
    first = min(0.14 * FRAME_WIDTH, FRAME_WIDTH / columns)
    rest = (FRAME_WIDTH - first) / max(columns - 1, 1)
    widths = [first] + [rest] * (columns - 1) if columns > 1 else [FRAME_WIDTH]
    rows: list[list[Flowable | str]] = [[_p(cell, styles.small_head) for cell in header]]
    for line in body:
        rows.append(
            [
                _p(cell, styles.small if index == 0 else styles.small_number)
                for index, cell in enumerate(line)
            ]
        )
    for row in rows:  # ragged rows are padded so that the grid stays rectangular
        row.extend("" for _ in range(columns - len(row)))
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(_table_style(header=True))
    return table


def _method(index: int, method: MethodSection, styles: _Styles) -> list[Flowable]:
    numeral = CHINESE_NUMERALS[index] if index < len(CHINESE_NUMERALS) else str(index + 1)
    opening: list[Flowable] = [_p(f"（{numeral}）{method.name}", styles.subheading)]
    if method.formula:
        opening += [_p("计算公式：", styles.label), _p(method.formula, styles.formula)]
    if method.inputs:
        opening += [_p("输入参数及来源：", styles.label), Spacer(1, 2)]
        opening.append(_inputs_table(method.inputs, styles))
    # The method's name, formula and inputs start on the same page.
    story: list[Flowable] = [KeepTogether(opening)]
    outcome = Table(
        [
            [
                _p("计算结果", styles.label),
                _p(method.result, styles.cell),
                _p("权重", styles.label),
                _p(method.weight, styles.cell),
            ]
        ],
        colWidths=[32 * mm, FRAME_WIDTH - 82 * mm, 20 * mm, 30 * mm],
        hAlign="LEFT",
    )
    outcome.setStyle(_table_style(header=False, label_column=True))
    outcome.setStyle(TableStyle([("BACKGROUND", (2, 0), (2, 0), _HEADER_FILL)]))
    story += [Spacer(1, 6), outcome]
    if method.schedule:
        story += [Spacer(1, 6), _p("收益预测与折现：", styles.label), Spacer(1, 2)]
        story.append(_schedule_table(method.schedule, styles))
    return story


def _signature(content: ReportContent, styles: _Styles) -> Flowable:
    rows = [
        [_p("评估机构（盖章）：", styles.label), _p(content.appraiser_org, styles.cell)],
        [_p("资产评估师（签名）：", styles.label), _p(content.appraiser_person, styles.cell)],
        [_p("报告日期：", styles.label), _p(content.signed_at, styles.cell)],
        [
            _p("有效期：", styles.label),
            _p(
                f"自评估基准日 {content.value_date} 起一年，至 {content.valid_until} 止",
                styles.cell,
            ),
        ],
    ]
    table = Table(rows, colWidths=[40 * mm, FRAME_WIDTH - 40 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, _ACCENT),
            ]
        )
    )
    note = _p(
        "本报告为电子文件，出具时其 SHA-256 摘要已记入平台审计记录；"
        "可在平台的报告页面上传所持文件，核验其与出具的版本是否一致。",
        styles.note,
    )
    return KeepTogether([Spacer(1, 10 * mm), table, Spacer(1, 4 * mm), note])


def _story(content: ReportContent, styles: _Styles) -> list[Flowable]:
    story = _cover(content, styles)
    sections: list[tuple[str, list[Flowable]]] = [("评估结论摘要", _summary(content, styles))]
    if content.right_lines:
        sections.append(("评估对象", [_pairs_table(content.right_lines, styles)]))
    if content.methods:
        methods: list[Flowable] = []
        for index, method in enumerate(content.methods):
            methods += _method(index, method, styles)
        sections.append(("评估方法、参数及计算过程", methods))
    paragraphs = [line for line in content.reconciliation.splitlines() if line.strip()] or ["—"]
    sections.append(("评估结论的确定", [_p(line.strip(), styles.body) for line in paragraphs]))
    if content.charts:
        charts: list[Flowable] = []
        for chart in content.charts:
            drawing = to_drawing(chart, width=FRAME_WIDTH - 10, height=(FRAME_WIDTH - 10) / 2)
            drawing.hAlign = "CENTER"
            charts += [drawing, Spacer(1, 5 * mm)]
        sections.append(("图表", charts))
    if content.limiting_conditions:
        conditions: list[Flowable] = [
            _p(f"{index}. {condition}", styles.item)
            for index, condition in enumerate(content.limiting_conditions, start=1)
        ]
        sections.append(("评估假设和限制条件", conditions))
    for index, (title, flowables) in enumerate(sections):
        story.append(KeepTogether([_heading(index, title, styles), *flowables[:1]]))
        story += flowables[1:]
    story.append(_signature(content, styles))
    return story


def render_pdf(content: ReportContent) -> bytes:
    """The report as PDF bytes; the same content gives the same bytes.

    Layout: cover block (title, number, version, superseded report), summary table, the right(s)
    appraised, one section per method (formula, inputs with sources, result, weight, schedule),
    reconciliation, charts, limiting conditions, signature block; every page has a header with
    the title and the number and a footer with the number and "page x of y".
    """
    font = register_cjk_font()
    styles = _styles(font)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{content.title} {content.number}",
        author=content.appraiser_org,
        subject=content.number,
        keywords=[content.number],
        creator="IP Town",
        lang="zh-CN",
        invariant=1,
        initialFontName=font,
    )
    canvasmaker = functools.partial(_NumberedCanvas, furniture=_furniture(content, font))
    document.build(_story(content, styles), canvasmaker=canvasmaker)
    return buffer.getvalue()
