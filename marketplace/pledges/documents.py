"""Pledge documents (collateral dossier, pledge contract, registration filing) as Chinese PDFs.

The services write the content as a :class:`Document` of plain text; this module only lays it out,
with the font, styles, tables and page furniture of the appraisal report
(:mod:`marketplace.valuations.report_pdf`), so the documents a bank receives look alike. As there,
the same :class:`Document` always gives the same bytes (reportlab's invariant mode), so a digest
taken when a document is issued identifies the file; keep the issued file rather than re-render it,
as a new reportlab version may change the bytes.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab import platypus
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer, TableStyle

from marketplace.valuations.charts import pdf_safe, register_cjk_font
from marketplace.valuations.report_pdf import (
    _ACCENT,
    _MUTED,
    _RULE,
    CHINESE_NUMERALS,
    FRAME_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    _NumberedCanvas,
    _p,
    _pairs_table,
    _Styles,
    _styles,
    _table_style,
)

__all__ = ["Document", "Section", "Table", "render_document"]


@dataclass(frozen=True)
class Table:
    """A table with a header row; cells wrap, and the header repeats on every page it spans."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    #: relative column widths (optional; equal when empty)
    widths: Sequence[float] = ()


@dataclass(frozen=True)
class Section:
    """A numbered section: heading, then key/value pairs, paragraphs and tables in that order."""

    heading: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[Table] = ()
    #: (label, value) pairs shown as a two-column key/value table before the paragraphs
    pairs: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Document:
    """Everything a pledge document shows, already formatted as text."""

    title: str
    #: reference printed in the header of every page, e.g. "IPT-P-2026-000001"
    number: str
    #: printed under the title on the first page
    subtitle: str = ""
    sections: Sequence[Section] = ()
    #: signature blocks at the end: each a (party label, name) pair, e.g. ("出质人（盖章）",
    #: "长春某某公司"); rendered with a blank line to sign and a date line
    signatures: Sequence[tuple[str, str]] = ()
    #: small print on every page, e.g. "IP Town 知识产权生态小镇 · 生成于 2026-11-25"
    footer: str = ""


def _numeral(number: int) -> str:
    """一 … 九十九: a contract easily has more than the report's ten sections."""
    if number <= 10:
        return CHINESE_NUMERALS[number - 1]
    if number >= 100:
        return str(number)
    tens, units = divmod(number, 10)
    return (
        ("" if tens == 1 else CHINESE_NUMERALS[tens - 1])
        + "十"
        + (CHINESE_NUMERALS[units - 1] if units else "")
    )


def _grid(table: Table, styles: _Styles) -> platypus.Table | None:
    columns = max([len(table.header), *(len(row) for row in table.rows)])
    if columns == 0:
        return None
    weights = list(table.widths) or [1.0] * columns
    if len(weights) != columns or any(weight <= 0 for weight in weights):
        raise ValueError(f"widths {list(table.widths)} do not fit a table of {columns} columns")
    widths = [FRAME_WIDTH * weight / sum(weights) for weight in weights]
    rows: list[list[Flowable | str]] = []
    if table.header:
        rows.append([_p(cell, styles.cell_head) for cell in table.header])
    rows += [[_p(cell, styles.cell) for cell in row] for row in table.rows]
    for row in rows:  # ragged rows are padded so that the grid stays rectangular
        row.extend("" for _ in range(columns - len(row)))
    grid = platypus.Table(
        rows, colWidths=widths, repeatRows=1 if table.header else 0, hAlign="LEFT"
    )
    grid.setStyle(_table_style(header=bool(table.header)))
    return grid


def _section(index: int, section: Section, styles: _Styles) -> list[Flowable]:
    body: list[Flowable] = []
    if section.pairs:
        body += [_pairs_table(section.pairs, styles), Spacer(1, 6)]
    body += [_p(paragraph, styles.body) for paragraph in section.paragraphs]
    for table in section.tables:
        grid = _grid(table, styles)
        if grid is not None:
            body += [Spacer(1, 4), grid, Spacer(1, 6)]
    heading = _p(f"{_numeral(index)}、{section.heading}", styles.heading)
    # A heading never ends a page: it starts on the same page as what follows it.
    return [KeepTogether([heading, *body[:1]]), *body[1:]]


def _signature(label: str, name: str, styles: _Styles) -> list[Flowable]:
    line = platypus.Table(
        [[_p("签字：", styles.label), ""]],
        colWidths=[14 * mm, FRAME_WIDTH / 2 - 34 * mm],
        rowHeights=[12 * mm],
        hAlign="LEFT",
    )
    line.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (1, 0), (1, 0), 0.5, _RULE),
            ]
        )
    )
    return [
        _p(f"{label}：", styles.label),
        _p(name, styles.cell),
        line,
        Spacer(1, 4),
        _p("日期：　　　　年　　月　　日", styles.label),
    ]


def _signatures(signatures: Sequence[tuple[str, str]], styles: _Styles) -> Flowable:
    blocks = [_signature(label, name, styles) for label, name in signatures]
    rows = [blocks[start : start + 2] for start in range(0, len(blocks), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append([])
    grid = platypus.Table(rows, colWidths=[FRAME_WIDTH / 2] * 2, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8 * mm),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, _ACCENT),
                ("TOPPADDING", (0, 0), (-1, 0), 5 * mm),
            ]
        )
    )
    return KeepTogether([Spacer(1, 10 * mm), grid])


def _furniture(document: Document, font: str) -> Callable[[Canvas, int, int], None]:
    def draw(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setFillColor(_MUTED)
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        top = PAGE_HEIGHT - 14 * mm
        canvas.setFont(font, 8.5)
        canvas.drawString(MARGIN_X, top, pdf_safe(document.title))
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top, pdf_safe(f"编号：{document.number}"))
        canvas.line(MARGIN_X, top - 4, PAGE_WIDTH - MARGIN_X, top - 4)
        bottom = 12 * mm
        canvas.line(MARGIN_X, bottom + 10, PAGE_WIDTH - MARGIN_X, bottom + 10)
        canvas.drawString(MARGIN_X, bottom, pdf_safe(document.footer))
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, bottom, f"第 {page} 页 / 共 {total} 页")
        canvas.restoreState()

    return draw


def _story(document: Document, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [Spacer(1, 6 * mm), _p(document.title, styles.title)]
    if document.subtitle:
        story.append(_p(document.subtitle, styles.cover))
    story.append(Spacer(1, 6 * mm))
    for index, section in enumerate(document.sections, start=1):
        story += _section(index, section, styles)
    if document.signatures:
        story.append(_signatures(document.signatures, styles))
    return story


def render_document(document: Document) -> bytes:
    """The document as A4 PDF bytes; the same document gives the same bytes.

    Text is plain (``&``, ``<`` and ``>`` print as such; a newline breaks the line). The title
    and number in the header and the footer are single lines that do not wrap, so keep them
    short. A table cell taller than a page cannot be laid out (reportlab raises LayoutError).

    :raises ValueError: if a table's ``widths`` do not match its number of columns.
    """
    font = register_cjk_font()
    styles = _styles(font)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{document.title} {document.number}",
        author="IP Town",
        subject=document.number,
        keywords=[document.number],
        creator="IP Town",
        lang="zh-CN",
        invariant=1,
        initialFontName=font,
    )
    canvasmaker = functools.partial(_NumberedCanvas, furniture=_furniture(document, font))
    template.build(_story(document, styles), canvasmaker=canvasmaker)
    return buffer.getvalue()
