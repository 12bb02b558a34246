"""Issue 6's "Done when" in the browser: a company applies to two banks with a bundle of two
patents; a bank opens the dossier, sees a failing ground on one right (fee in grace) and the
suggested loan, approves with a second approver, registers, then releases on repayment. Another
loan defaults and its collateral appears as a disposal listing on the market."""

from __future__ import annotations

import dataclasses
import re

import pytest
from playwright.sync_api import Page, expect

from marketplace.accounts.models import OrgKind, Role
from marketplace.pledges import services as pledges
from marketplace.rights.models import RightStatus
from tests.browser.helpers import expect_flash, log_in, log_out
from tests.factories import make_org, make_right, make_user
from tests.pledges.helpers import make_bank, make_pledge, make_report

pytestmark = pytest.mark.browser


def tick(page: Page, form_testid: str, name: str, value: int) -> None:
    form = page.get_by_test_id(form_testid)
    form.locator(f"input[name$='{name}'][value='{value}']").check()


def fill(page: Page, form_testid: str, **fields: str) -> None:
    form = page.get_by_test_id(form_testid)
    for name, value in fields.items():
        form.locator(f"[name$='{name}']").fill(value)


def send(page: Page, form_testid: str) -> None:
    page.get_by_test_id(form_testid).locator("[type=submit]").click()


def test_apply_to_two_banks_dossier_four_eyes_register_release_and_disposal(
    new_page, live_server, committing_db
):
    holder = make_org(OrgKind.ENTERPRISE, name_zh="长春新驰汽车热管理科技有限公司")
    holder_user = make_user(holder, role=Role.ADMIN)
    sound = make_right(holder, title_zh="一种动力电池液冷热管理系统")
    in_grace = make_right(holder, title_zh="一种电池包热失控预警方法")
    in_grace.status = RightStatus.GRACE_PERIOD
    reports = [make_report(holder, holder_user, [r]) for r in (sound, in_grace)]
    bank, first_banker = make_bank(name_zh="长春新区科技农商银行")
    second_banker = make_user(bank)
    other_bank, _ = make_bank(name_zh="吉林松花江银行长春新区支行")
    pledges.save_policy(
        bank,
        dataclasses.replace(pledges.PolicyData.default(), second_approval_above=100_000_00),
        actor=first_banker,
    )
    # Another loan of the same bank, registered earlier, that will default.
    earlier = make_pledge(holder, bank, [make_right(holder, title_zh="一种热泵空调控制方法")])
    ids = {
        "sound": sound.id,
        "grace": in_grace.id,
        "reports": [r.id for r in reports],
        "bank": bank.id,
        "other_bank": other_bank.id,
        "earlier": earlier.id,
    }
    emails = {
        "holder": holder_user.email,
        "first": first_banker.email,
        "second": second_banker.email,
    }
    committing_db.session.commit()
    committing_db.session.remove()

    # The company applies with both patents and both reports, to two banks, and sends it.
    page = new_page(locale="zh-CN")
    page.goto("/")
    log_in(page, emails["holder"])
    page.goto("/pledges/applications/new")
    for right_id in (ids["sound"], ids["grace"]):
        tick(page, "application-form", "right_ids", right_id)
    for report_id in ids["reports"]:
        tick(page, "application-form", "report_ids", report_id)
    for bank_id in (ids["bank"], ids["other_bank"]):
        tick(page, "application-form", "bank_ids", bank_id)
    fill(page, "application-form", amount="500000", term_months="24", purpose="热管理产线扩产")
    send(page, "application-form")
    expect_flash(page)
    expect(page.get_by_test_id("application-right")).to_have_count(2)
    page.get_by_test_id("submit-application").click()
    expect_flash(page)
    expect(page.get_by_test_id("bank-review")).to_have_count(2)
    application_url = page.url
    log_out(page)

    # The first banker opens the dossier: the right in grace fails the fee ground.
    bank_page = new_page(locale="zh-CN")
    bank_page.goto("/")
    log_in(bank_page, emails["first"])
    bank_page.goto("/pledges/reviews?status=submitted")
    bank_page.get_by_role("link", name=re.compile("IPT-L-")).click()
    rights = bank_page.get_by_test_id("dossier-right")
    expect(rights).to_have_count(2)
    failing = bank_page.locator("[data-testid=ground-fees][data-outcome=fail]")
    expect(failing).to_have_count(1)
    expect(failing).to_contain_text("滞纳期")
    expect(bank_page.get_by_test_id("hash-intact")).to_have_count(2)
    suggested = bank_page.get_by_test_id("suggested-amount").inner_text()
    assert re.search(r"[1-9]", suggested)

    # It approves ¥500,000 on the sound right only: above the policy's threshold.
    form = bank_page.get_by_test_id("approve-form")
    for box in form.locator("input[name$='right_ids']").all():
        box.set_checked(box.get_attribute("value") == str(ids["sound"]))
    fill(bank_page, "approve-form", amount="500000", rate_bp="4.2", term_months="24")
    send(bank_page, "approve-form")
    expect_flash(bank_page)
    expect(bank_page.get_by_test_id("second-approval-form")).to_be_visible()
    bank_page.get_by_test_id("second-approve").click()  # the same person: refused
    expect_flash(bank_page, "error")
    review_url = bank_page.url
    log_out(bank_page)

    # A colleague confirms as second approver.
    log_in(bank_page, emails["second"])
    bank_page.goto(review_url)
    bank_page.get_by_test_id("second-approve").click()
    expect_flash(bank_page)
    log_out(bank_page)

    # The company sees the approval and accepts it.
    log_in(page, emails["holder"])
    page.goto(application_url)
    page.get_by_test_id("accept-offer").click()
    expect(page.get_by_test_id("pledge-status")).to_be_visible()
    pledge_url = page.url
    expect(page.get_by_test_id("collateral-right")).to_have_count(1)

    # The bank files the registration, records CNIPA's number, then repayment and release.
    log_in(bank_page, emails["first"])
    bank_page.goto(pledge_url)
    bank_page.get_by_test_id("file-registration").click()
    expect_flash(bank_page)
    answer = bank_page.get_by_test_id("filing-answer").locator("form").first
    answer.locator("[name$='number']").fill("Y2026220000123")
    answer.locator("[type=submit]").click()
    expect_flash(bank_page)
    expect(bank_page.get_by_test_id("registration-number")).to_contain_text("Y2026220000123")
    fill(bank_page, "repayment-form", principal="500000", interest="8750")
    send(bank_page, "repayment-form")
    expect_flash(bank_page)
    bank_page.get_by_test_id("release").click()
    expect_flash(bank_page)
    expect(bank_page.get_by_test_id("pledge-status")).to_contain_text("已注销")
    expect(bank_page.get_by_test_id("filing")).to_have_count(2)

    # The earlier loan defaults; its collateral is offered for sale on the market.
    bank_page.goto(f"/pledges/{ids['earlier']}")
    bank_page.get_by_test_id("declare-default").click()
    expect_flash(bank_page)
    fill(bank_page, "dispose-form", asking_price="900000")
    send(bank_page, "dispose-form")
    expect_flash(bank_page)
    bank_page.get_by_test_id("disposal-listing").click()
    expect(bank_page.locator("h1")).to_contain_text("质押物处置")
    expect(bank_page.locator("body")).to_contain_text("长春新驰汽车热管理科技有限公司")

    # The company's pledge page shows the release too.
    page.goto(pledge_url)
    expect(page.get_by_test_id("pledge-status")).to_contain_text("已注销")
