"""Pledge documents as PDF: numbered sections, long tables, signatures, same bytes every time."""

from __future__ import annotations

import dataclasses
import io

import pytest
from pypdf import PdfReader

from marketplace.pledges.documents import Document, Section, Table, render_document

NUMBER = "IPT-P-2026-000001"


def sample_document() -> Document:
    rights = Table(
        header=("序号", "专利号", "名称", "法律状态"),
        rows=[
            (str(n), f"ZL2019101234{n:02d}.4", f"一种农机传动装置（实施例 {n}）" * 2, "有效")
            for n in range(1, 81)
        ],
        widths=(1, 3, 5, 2),
    )
    return Document(
        title="专利权质押合同",
        number=NUMBER,
        subtitle="合同编号：IPT-P-2026-000001",
        sections=[
            Section(
                heading="合同当事人",
                pairs=[("出质人", "长春某某公司"), ("质权人", "吉林某某银行 A&B <x> 支行")],
                paragraphs=["出质人以其依法享有的专利权出质，为主合同项下债务提供担保。"],
            ),
            Section(heading="质押财产清单", tables=[rights]),
        ],
        signatures=[("出质人（盖章）", "长春某某公司"), ("质权人（盖章）", "吉林某某银行")],
        footer="IP Town 知识产权生态小镇 · 生成于 2026-11-25",
    )


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_document(sample_document())


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def squashed(pdf: bytes) -> str:
    return "".join(page_texts(pdf)).replace("\n", "").replace(" ", "")


def test_the_text_is_all_there(pdf: bytes) -> None:
    text = squashed(pdf)
    for expected in [
        "专利权质押合同",
        "一、合同当事人",
        "二、质押财产清单",
        "ZL201910123480.4",  # a cell of the last row
        "出质人（盖章）",
        "质权人（盖章）",
        "日期：",
        NUMBER,
    ]:
        assert expected in text, expected


def test_a_long_table_spans_pages_numbered_x_of_y(pdf: bytes) -> None:
    texts = page_texts(pdf)
    total = len(texts)
    assert total > 1
    assert "第 1 页" in texts[0]
    for page, text in enumerate(texts, start=1):
        assert f"第 {page} 页 / 共 {total} 页" in text
        assert NUMBER in text
        assert "专利号" in text.replace(" ", "")  # the header row repeats on every page


def test_same_document_gives_the_same_bytes(pdf: bytes) -> None:
    assert render_document(sample_document()) == pdf
    assert render_document(dataclasses.replace(sample_document(), number="IPT-P-2026-2")) != pdf


def test_markup_characters_print_literally(pdf: bytes) -> None:
    assert "A&B<x>" in squashed(pdf)


def test_sections_beyond_ten_are_numbered_in_chinese() -> None:
    document = Document(
        title="专利权质押合同",
        number=NUMBER,
        sections=[Section(heading=f"条款{n}") for n in range(1, 22)],
    )
    text = squashed(render_document(document))
    assert "十、条款10" in text
    assert "十一、条款11" in text
    assert "二十一、条款21" in text


def test_widths_that_do_not_match_the_columns_are_refused() -> None:
    table = Table(header=("甲", "乙"), rows=[("1", "2")], widths=(1, 2, 3))
    document = Document(title="质押登记", number=NUMBER, sections=[Section("表", tables=[table])])
    with pytest.raises(ValueError, match="widths"):
        render_document(document)
