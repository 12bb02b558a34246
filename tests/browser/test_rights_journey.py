"""Rights confirmation in the browser, as issue 3's "Done when" states it: a rights holder imports
a portfolio, claims a right with evidence, and sees it verified by a patent agency."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from marketplace.accounts.models import OrgKind, Role
from tests.browser.helpers import expect_flash, log_in, submit
from tests.factories import make_org, make_user

pytestmark = pytest.mark.browser

PORTFOLIO_CSV = """类型,申请号,名称,申请日,授权日,IPC
发明专利,201910349801.1,一种玉米单倍体诱导育种方法,2019-05-10,2021-06-01,A01H 1/02
实用新型,201420818800X,一种精量播种机排种器,2014-12-22,2015-06-10,A01C 7/04
外观设计,2016300227706,播种机外壳,2016-06-01,2016-12-01,
发明专利,201910349801.3,校验位错误的专利,2019-05-10,,
"""
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_import_claim_with_evidence_and_agency_verifies(
    new_page, live_server, committing_db, tmp_path
):
    holder = make_org(OrgKind.ENTERPRISE, name_zh="吉林丰禾种业有限公司")
    holder_user = make_user(holder, role=Role.ADMIN)
    agency = make_org(OrgKind.PATENT_AGENCY, name_zh="长春智衡专利代理事务所")
    agent = make_user(agency)
    holder_email, agent_email, agency_id = holder_user.email, agent.email, agency.id
    committing_db.session.commit()
    committing_db.session.remove()

    csv_file = tmp_path / "portfolio.csv"
    csv_file.write_text(PORTFOLIO_CSV, encoding="utf-8")
    certificate = tmp_path / "专利证书.pdf"
    certificate.write_bytes(PDF)

    # The rights holder imports the portfolio: three rows accepted, one rejected with its reason.
    page = new_page(locale="zh-CN")
    page.goto("/")
    log_in(page, holder_email)
    page.locator("header nav a[href='/rights']").click()
    page.locator("a[href='/rights/import']").first.click()
    page.get_by_test_id("import-form").locator("input[name=file]").set_input_files(str(csv_file))
    page.get_by_test_id("import-form").locator("[type=submit]").click()
    expect(page.get_by_test_id("accepted-row")).to_have_count(3)
    rejected = page.get_by_test_id("rejected-row")
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("5")  # the line number of the bad row
    expect(rejected).to_contain_text("201910349801.3")

    # The portfolio lists them; the invention is not verified yet.
    page.locator("header nav a[href='/rights']").click()
    expect(page.get_by_test_id("portfolio-row")).to_have_count(3)
    row = page.get_by_test_id("portfolio-row").filter(has_text="201910349801.1")
    row.locator("a[href^='/claims/new']").click()

    # Claim ownership with the certificate, reviewed by the patent agency.
    form = page.get_by_test_id("claim-form")
    expect(form.locator("input[name=number]")).to_have_value("201910349801.1")
    form.locator("select[name=reviewer_org_id]").select_option(str(agency_id))
    form.locator("input[name=evidence]").set_input_files(str(certificate))
    form.locator("[type=submit]").click()
    expect_flash(page)
    expect(page.get_by_test_id("claim-status")).to_have_class(re.compile("status-claim-submitted"))
    expect(page.get_by_test_id("evidence-row")).to_contain_text("专利证书.pdf")
    claim_url = page.url

    # The agency reviews the evidence and verifies the claim.
    agent_page = new_page(locale="zh-CN")
    agent_page.goto("/")
    log_in(agent_page, agent_email)
    agent_page.locator("header nav a[href='/claims']").click()
    agent_page.get_by_test_id("claim-row").filter(has_text="201910349801.1").get_by_role(
        "link"
    ).first.click()
    expect(agent_page).to_have_url(claim_url)
    submit(agent_page, "decision-form", decision="verify")
    expect_flash(agent_page)
    expect(agent_page.get_by_test_id("claim-status")).to_have_class(
        re.compile("status-claim-verified")
    )

    # The holder sees the right verified, in the portfolio and on the right's page.
    page.reload()
    expect(page.get_by_test_id("claim-status")).to_have_class(re.compile("status-claim-verified"))
    page.locator("header nav a[href='/rights']").click()
    row = page.get_by_test_id("portfolio-row").filter(has_text="201910349801.1")
    expect(row.locator(".status-verified")).to_have_count(1)
    row.locator("a[href^='/rights/']").click()
    expect(page.get_by_test_id("owner-row").locator(".status-verified")).to_have_count(1)
    expect(page.get_by_test_id("right-number")).to_have_text("ZL201910349801.1")
