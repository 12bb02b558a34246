"""The Chinese appraisal report PDF: same bytes for the same content, the number, every section."""

from __future__ import annotations

import dataclasses
import hashlib
import io

import pytest
from pypdf import PdfReader

import valuation
from marketplace.valuations.charts import cash_flow_chart, histogram_chart, tornado_chart
from marketplace.valuations.report_pdf import InputLine, MethodSection, ReportContent, render_pdf

NUMBER = "IPT-PG-2025-000123"


def wan(amount: float) -> str:
    return f"{amount / 10_000:,.2f} 万元"


def sample_content() -> ReportContent:
    """A relief-from-royalty appraisal for a pledge, computed with the valuation library."""
    revenues = [12_000_000 * 1.06**year for year in range(8)]
    income = valuation.relief_from_royalty(revenues, 0.045, 0.15, 0.13, tab_years=None)
    model = valuation.relief_from_royalty_model(8)
    inputs: dict[str, valuation.InputDistribution | float] = {
        "revenue": valuation.Triangular(10_000_000, 12_000_000, 15_000_000),
        "growth": valuation.Triangular(0.02, 0.06, 0.09),
        "royalty_rate": valuation.Triangular(0.035, 0.045, 0.055),
        "tax_rate": 0.15,
        "discount_rate": valuation.Triangular(0.11, 0.13, 0.16),
    }
    distribution = valuation.monte_carlo(model, inputs, trials=20_000, seed=2025)
    rows = valuation.sensitivity(model, inputs, exclude=("tax_rate",))
    labels = {
        "revenue": "首年销售收入",
        "growth": "收入年增长率",
        "royalty_rate": "许可费率",
        "discount_rate": "折现率",
    }
    schedule: list[tuple[str, ...]] = [
        (
            "年度",
            "销售收入（万元）",
            "许可费（万元）",
            "税后许可费（万元）",
            "折现系数",
            "现值（万元）",
        )
    ]
    for row in income.schedule:
        assert isinstance(row, valuation.RoyaltyRow)
        schedule.append(
            (
                f"第 {row.year} 年",
                f"{row.revenue / 10_000:,.2f}",
                f"{row.royalty / 10_000:,.2f}",
                f"{row.after_tax_royalty / 10_000:,.2f}",
                f"{row.discount_factor:.4f}",
                f"{row.present_value / 10_000:,.2f}",
            )
        )
    schedule.append(("合计", "", "", "", "", f"{income.value / 10_000:,.2f}"))
    cost = valuation.cost_approach(3_200_000, physical=0.0, functional=0.25, economic=0.1)
    return ReportContent(
        number=NUMBER,
        version=2,
        supersedes="IPT-PG-2025-000098",
        title="知识产权价值评估报告",
        right_lines=(
            ("知识产权名称", "一种玉米秸秆生物降解地膜及其制备方法"),
            ("类型", "发明专利"),
            ("专利号", "ZL201910123457.4"),
            ("权利人", "长春新区某某农业科技有限公司"),
            ("法律状态", "有效（年费已缴至 2026 年 3 月）"),
            ("剩余法定保护期", "13.3 年；经济寿命按 8 年计"),
            ("许可情况", "无独占许可；普通许可 1 项（已备案）"),
        ),
        orderer="长春新区某某农业科技有限公司",
        appraiser_org="吉林某某资产评估有限公司",
        appraiser_person="王某某（资产评估师，会员编号 22000000）",
        purpose="知识产权质押融资",
        basis="市场价值；质押参考价值取蒙特卡洛模拟 P25",
        value_date="2025 年 10 月 31 日",
        signed_at="2025 年 11 月 25 日",
        valid_until="2026 年 10 月 30 日",
        concluded_value=wan(income.value),
        value_range=f"{wan(distribution.p10)} — {wan(distribution.p90)}（P10—P90）",
        methods=(
            MethodSection(
                name="收益法——许可费节省法",
                formula="V = Σ R_t × k × (1 − T) / (1 + r)^t，t = 1 … 8",
                inputs=(
                    InputLine(
                        "首年销售收入 R₁", "1,200.00 万元", "委托方 2024 年审计报告 <附件3> & 订单"
                    ),
                    InputLine("收入年增长率 g", "6.0%", "行业研究报告（2025），取中值"),
                    InputLine("许可费率 k", "4.5%", "平台可比许可交易 5 宗的中位数"),
                    InputLine("所得税率 T", "15%", "高新技术企业优惠税率"),
                    InputLine("折现率 r", "13.0%", "无风险利率 1.9% + 风险溢价 11.1%，累加法"),
                    InputLine("收益期限", "8 年", "经济寿命短于剩余法定保护期"),
                ),
                result=wan(income.value),
                weight="80%",
                schedule=tuple(schedule),
            ),
            MethodSection(
                name="成本法",
                formula=(
                    "V = 重置成本 × (1 − 实体性贬值率) × (1 − 功能性贬值率) × (1 − 经济性贬值率)"
                ),
                inputs=(
                    InputLine("重置成本", "320.00 万元", "研发台账及人工、材料、试验费用重估"),
                    InputLine("功能性贬值率", "25%", "替代技术比较"),
                    InputLine("经济性贬值率", "10%", "产能利用率"),
                ),
                result=wan(cost),
                weight="20%",
            ),
        ),
        reconciliation=(
            "收益法反映了专利在委托方产品中的获利能力，参数有可比许可交易及审计数据支持，"
            "故赋予 80% 权重；成本法仅反映研发投入，赋予 20% 权重。"
            "蒙特卡洛模拟 20,000 次给出价值区间，供质权人确定质押率时参考。\n"
            "经综合分析，确定评估对象于评估基准日的市场价值如上。"
        ),
        charts=(
            histogram_chart(distribution, title="价值分布（蒙特卡洛模拟 20,000 次）"),
            tornado_chart(rows, title="敏感性分析（各参数 ±20%）", labels=labels),
            cash_flow_chart(income, title="收益预测与现值"),
        ),
        limiting_conditions=(
            "本报告仅用于载明的评估目的，不得用于其他目的。",
            "评估结论以委托方提供的财务资料及权属证明真实、完整为前提。",
            "评估结论未考虑质押、担保等他项权利对价值的影响。",
            "未来经营环境、产业政策及市场状况如发生重大变化，评估结论需相应调整。",
            "本报告的使用有效期为自评估基准日起一年。",
        ),
    )


@pytest.fixture(scope="module")
def content() -> ReportContent:
    return sample_content()


@pytest.fixture(scope="module")
def pdf(content: ReportContent) -> bytes:
    return render_pdf(content)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def test_render_pdf_returns_a_pdf(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_same_content_gives_the_same_bytes(content: ReportContent, pdf: bytes) -> None:
    again = render_pdf(sample_content())

    assert again == pdf
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(pdf).hexdigest()


def test_different_content_gives_different_bytes(content: ReportContent, pdf: bytes) -> None:
    assert render_pdf(dataclasses.replace(content, version=3)) != pdf


def test_the_number_is_in_the_metadata_and_on_every_page(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))

    assert NUMBER.encode("ascii") in pdf  # the subject of the document information
    assert reader.metadata is not None
    assert NUMBER in (reader.metadata.title or "")
    assert reader.metadata.subject == NUMBER
    texts = page_texts(pdf)
    assert len(texts) >= 2
    assert all(NUMBER in text for text in texts)


def test_pages_are_numbered_page_x_of_y(pdf: bytes) -> None:
    texts = page_texts(pdf)
    total = len(texts)
    for page, text in enumerate(texts, start=1):
        assert f"第 {page} 页" in text
        assert f"共 {total} 页" in text


def test_every_section_and_the_chinese_text_are_there(content: ReportContent, pdf: bytes) -> None:
    text = "".join(page_texts(pdf)).replace("\n", "")
    for expected in [
        "知识产权价值评估报告",
        "第 2 版",
        "IPT-PG-2025-000098",
        "评估结论摘要",
        "评估对象",
        "收益法——许可费节省法",
        "成本法",
        "评估结论的确定",
        "图表",
        "评估假设和限制条件",
        "资产评估师",
        "ZL201910123457.4",
        content.concluded_value,
        "委托方 2024 年审计报告 <附件3> & 订单",
    ]:
        assert expected.replace(" ", "") in text.replace(" ", ""), expected


def test_a_minimal_first_version_renders(content: ReportContent) -> None:
    bare = dataclasses.replace(
        content,
        version=1,
        supersedes=None,
        right_lines=(),
        methods=(MethodSection(name="市场法", formula="", inputs=(), result="—", weight="100%"),),
        reconciliation="",
        charts=(),
        limiting_conditions=(),
    )
    pdf = render_pdf(bare)

    text = "".join(page_texts(pdf))
    assert pdf.startswith(b"%PDF-")
    assert "本版本替代" not in text
    assert "市场法" in text


def test_a_long_unbroken_chinese_text_wraps_without_error(content: ReportContent) -> None:
    long = "评估对象的技术先进性与市场前景" * 60
    pdf = render_pdf(dataclasses.replace(content, reconciliation=long, limiting_conditions=(long,)))
    assert pdf.startswith(b"%PDF-")
