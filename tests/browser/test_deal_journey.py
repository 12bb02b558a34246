"""Issue 7's "Done when" in the browser: a buyer makes an offer on a licence listing, the seller
counters, both agree and sign, the buyer pays with the test card 4242 4242 4242 4242 against the
local Stripe sandbox (its stand-in Stripe.js card element; the signed webhook funds the deal),
the recordal is filed and confirmed, the seller's payout appears minus the platform fee and the
broker's commission, and the right's page shows the new licence."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from marketplace.accounts.models import OrgKind, Role
from marketplace.core.clock import today
from marketplace.listings import services as listings
from marketplace.listings.models import DealType
from marketplace.payments.sandbox import register_webhook
from tests.browser.helpers import expect_flash, log_in, log_out
from tests.factories import PASSWORD, make_org, make_right, make_user
from tests.stripe_sandbox import *  # noqa: F403  (the Stripe sandbox fixtures)
from tests.stripe_sandbox import pointed_at

pytestmark = pytest.mark.browser


def fill(page: Page, form_testid: str, **fields: str) -> None:
    form = page.get_by_test_id(form_testid)
    for name, value in fields.items():
        form.locator(f"[name$='{name}']").fill(value)


def send(page: Page, form_testid: str) -> None:
    page.get_by_test_id(form_testid).locator("[type=submit]").first.click()


def test_offer_counter_sign_pay_record_and_settle(
    new_page, live_server, committing_db, stripe_sandbox
):
    seller = make_org(OrgKind.UNIVERSITY, name_zh="吉林光电大学")
    seller_user = make_user(seller, role=Role.ADMIN)
    buyer = make_org(OrgKind.ENTERPRISE, name_zh="长春新驰汽车热管理科技有限公司")
    buyer_user = make_user(buyer, role=Role.ADMIN)
    broker = make_org(OrgKind.BROKER, name_zh="长春技术转移中心")
    right = make_right(seller, title_zh="一种车载激光雷达光学窗口加热方法")
    listing = listings.create_listing(
        seller,
        listings.ListingData(
            title="激光雷达窗口加热专利普通许可",
            teaser="车规级激光雷达除雾除冰",
            deal_type=DealType.NON_EXCLUSIVE,
            right_ids=[right.id],
            asking_price=300_000_00,
            licence_starts_on=today(),
        ),
        actor=seller_user,
    )
    listings.publish_listing(listing, actor=seller_user)
    listings.grant_mandate(actor=seller_user, broker=broker, commission_rate=500, listing=listing)
    ids = {"listing": listing.id, "right": right.id}
    emails = {"seller": seller_user.email, "buyer": buyer_user.email}
    committing_db.session.commit()
    committing_db.session.remove()

    webhook = f"{live_server.url}/payments/stripe/webhook"
    register_webhook(stripe_sandbox.url, webhook, endpoint_id="browser")
    try:
        with pointed_at(live_server.app, stripe_sandbox.url):
            _journey(new_page, ids, emails)
    finally:
        register_webhook(stripe_sandbox.url, webhook, endpoint_id="browser", events=[])


def _journey(new_page, ids, emails):
    ends = (today() + timedelta(days=3 * 365)).isoformat()

    # The buyer makes an offer on the licence listing.
    buyer = new_page(locale="zh-CN")
    buyer.goto("/")
    log_in(buyer, emails["buyer"])
    buyer.goto(f"/listings/{ids['listing']}")
    buyer.get_by_test_id("make-offer").get_by_role("link").click()
    fill(buyer, "offer-form", price="250000", territory="吉林省", field_of_use="新能源汽车")
    fill(buyer, "offer-form", starts_on=today().isoformat(), ends_on=ends)
    send(buyer, "offer-form")
    expect_flash(buyer)
    deal_url = buyer.url
    log_out(buyer)

    # The seller counters at ¥280,000.
    seller = new_page(locale="zh-CN")
    seller.goto("/")
    log_in(seller, emails["seller"])
    seller.goto(deal_url)
    fill(seller, "counter-form", price="280000", territory="吉林省", field_of_use="新能源汽车")
    fill(seller, "counter-form", starts_on=today().isoformat(), ends_on=ends)
    send(seller, "counter-form")
    expect_flash(seller)

    # The buyer accepts; both sign after re-entering their passwords.
    log_in(buyer, emails["buyer"])
    buyer.goto(deal_url)
    buyer.get_by_test_id("accept-form").locator("[type=submit]").click()
    expect_flash(buyer)
    expect(buyer.get_by_test_id("contract-sha256")).to_be_visible()
    fill(buyer, "sign-form", password=PASSWORD)
    send(buyer, "sign-form")
    expect_flash(buyer)
    seller.goto(deal_url)
    fill(seller, "sign-form", password=PASSWORD)
    send(seller, "sign-form")
    expect_flash(seller)
    expect(seller.get_by_test_id("signature")).to_have_count(2)

    # The buyer pays with the test card in the sandbox's card element.
    buyer.goto(deal_url)
    buyer.get_by_test_id("pay-link").click()
    element = buyer.get_by_test_id("card-element")
    element.locator("input[placeholder=number]").fill("4242424242424242")
    element.locator("input[placeholder=exp_month]").fill("12")
    element.locator("input[placeholder=exp_year]").fill("34")
    element.locator("input[placeholder=cvc]").fill("123")
    element.locator("input[placeholder=postal_code]").fill("130000")
    buyer.get_by_test_id("pay-button").click()
    buyer.wait_for_url(f"{deal_url}#settlement")
    # The signed webhook arrives about a second later and funds the deal.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        buyer.goto(deal_url)
        if buyer.get_by_test_id("recordal").count():
            break
        time.sleep(0.5)
    expect(buyer.get_by_test_id("payment")).to_have_attribute("data-status", "succeeded")

    # The seller files the licence recordal and records CNIPA's acceptance.
    seller.goto(deal_url)
    send(seller, "recordal-file-form")
    expect_flash(seller)
    fill(seller, "recordal-accept-form", number="2026990000777", accepted_on=today().isoformat())
    send(seller, "recordal-accept-form")
    expect_flash(seller)
    expect(seller.get_by_test_id("deal-status")).to_contain_text("已完成")

    # Payouts: ¥280,000 less 3 % platform fee (¥8,400) and 5 % commission (¥14,000).
    seller_payout = seller.locator("[data-testid=payout][data-role=seller]")
    expect(seller_payout.get_by_test_id("payout-amount")).to_contain_text("257,600.00")
    broker_payout = seller.locator("[data-testid=payout][data-role=broker]")
    expect(broker_payout.get_by_test_id("payout-amount")).to_contain_text("14,000.00")

    # The right's page shows the new licence.
    seller.goto(f"/rights/{ids['right']}")
    licence = seller.get_by_test_id("licence-row")
    expect(licence).to_contain_text("长春新驰汽车热管理科技有限公司")
    expect(licence).to_contain_text("吉林省")
