"""Issue 4's "Done when" in the browser: a rights holder orders an appraisal, an appraiser
quotes, the holder accepts, the appraiser works the inputs in the workbench and delivers a
report with a range and charts, and the holder downloads the Chinese PDF whose hash the
platform verifies."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from marketplace.accounts.models import OrgKind, Role
from tests.browser.helpers import expect_flash, log_in, submit
from tests.factories import make_org, make_right, make_user

pytestmark = pytest.mark.browser

INPUTS = {
    "revenue": ("20000000", "16000000", "24000000", "委托方2025年审计报告"),
    "growth": ("5", "0", "10", "行业研究报告"),
    "royalty_rate": ("4", "3", "6", "许可费率数据库"),
    "tax_rate": ("25", None, None, "企业所得税法"),
    "discount_rate": ("12", "10", "15", "CAPM"),
    "years": ("8", None, None, "剩余经济寿命"),
}


def test_order_quote_workbench_report_and_verified_pdf(
    new_page, live_server, committing_db, tmp_path
):
    holder = make_org(OrgKind.ENTERPRISE, name_zh="长春新驰汽车热管理科技有限公司")
    holder_user = make_user(holder, role=Role.ADMIN)
    appraiser = make_org(OrgKind.APPRAISER, name_zh="吉林正元资产评估有限公司")
    appraiser_user = make_user(appraiser)
    right = make_right(holder, title_zh="一种动力电池液冷热管理系统")
    holder_email, appraiser_email, right_id = holder_user.email, appraiser_user.email, right.id
    committing_db.session.commit()
    committing_db.session.remove()

    # The holder orders a pledge valuation from the right's page.
    page = new_page(locale="zh-CN")
    page.goto("/")
    log_in(page, holder_email)
    page.goto(f"/rights/{right_id}")
    expect(page.get_by_test_id("indicative-disclaimer")).to_be_visible()
    page.get_by_test_id("order-appraisal").click()
    submit(page, "order-form", purpose="pledge", description="拟申请质押融资")
    expect_flash(page)
    order_url = page.url

    # The appraiser quotes.
    agent = new_page(locale="zh-CN")
    agent.goto("/")
    log_in(agent, appraiser_email)
    agent.locator("header nav a[href='/orders']").click()
    agent.get_by_test_id("open-order-row").first.get_by_role("link").first.click()
    submit(agent, "quote-form", fee="12000", delivery_date="2030-01-31", note="10个工作日")
    expect_flash(agent)

    # The holder accepts the quote.
    page.goto(order_url)
    expect(page.get_by_test_id("quote-row")).to_contain_text("12,000.00")
    page.get_by_test_id("accept-quote").click()
    expect_flash(page)

    # The appraiser fills the workbench: every input with its source, ranges for the uncertain.
    agent.goto(order_url)
    agent.get_by_test_id("open-workbench").click()
    form = agent.get_by_test_id("workbench-form")
    form.locator("select[name=basis]").select_option("pledge_value")
    form.locator("input[name='relief_from_royalty.weight']").fill("100")
    for name, (value, low, high, source) in INPUTS.items():
        prefix = f"relief_from_royalty.{name}"
        form.locator(f"input[name='{prefix}.value']").fill(value)
        if low is not None:
            form.locator(f"input[name='{prefix}.low']").fill(low)
            form.locator(f"input[name='{prefix}.high']").fill(high)
        form.locator(f"input[name='{prefix}.source']").fill(source)
    agent.get_by_test_id("save-draft").click()
    expect(agent.get_by_test_id("value-range")).to_be_visible()
    expect(agent.locator("figure.chart svg")).to_have_count(3)
    agent.get_by_test_id("sign-report").click()
    expect_flash(agent)
    expect(agent).to_have_url(re.compile(r"/reports/\d+$"))

    # The holder sees the delivered report with its range and charts, downloads the PDF and
    # has the platform check the downloaded file.
    page.goto(order_url)
    page.get_by_test_id("report-link").get_by_role("link").click()
    expect(page.get_by_test_id("report-range")).to_contain_text("–")
    expect(page.locator(".report-body svg")).to_have_count(3)
    sha256 = page.get_by_test_id("report-sha256").inner_text().strip()
    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    pdf_path = tmp_path / "report.pdf"
    download_info.value.save_as(pdf_path)
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == sha256
    page.get_by_test_id("verify-form").locator("input[name=file]").set_input_files(str(pdf_path))
    page.get_by_test_id("verify-form").locator("[type=submit]").click()
    expect(page.get_by_test_id("verify-result")).to_have_attribute("data-matches", "yes")

    # A tampered copy is caught.
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(data.replace(b"%%EOF", b"%%EOF\n", 1))
    page.get_by_test_id("verify-form").locator("input[name=file]").set_input_files(str(tampered))
    page.get_by_test_id("verify-form").locator("[type=submit]").click()
    expect(page.get_by_test_id("verify-result")).to_have_attribute("data-matches", "no")

    # The holder accepts the delivery.
    page.goto(order_url)
    page.get_by_test_id("accept-delivery").click()
    expect(page.get_by_test_id("order-status")).to_have_class(re.compile("status-order-completed"))
