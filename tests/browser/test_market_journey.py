"""Issue 5's "Done when" in the browser: a seller publishes a listing in the editor and is refused,
with the reason, for a lapsed and an unverified right; a visitor searches the market in Chinese
(a quoted phrase, highlights, facets), must accept the NDA before seeing the confidential
details, and a buyer's demand post shows ranked matches with their explanations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from marketplace.accounts.models import OrgKind, Role
from marketplace.core.clock import today
from marketplace.listings import services
from marketplace.listings.models import DealType
from marketplace.rights.models import RightStatus
from marketplace.search.engine import get_engine
from tests.browser.helpers import expect_flash, log_in, submit
from tests.factories import PASSWORD, make_org, make_right, make_user

pytestmark = pytest.mark.browser

SECRET = "核心参数：压缩机转速曲线与电子膨胀阀开度对照表（保密）"
PUMP_TITLE = "车用热泵空调专利转让"
THERMAL_TITLE = "动力电池液冷热管理专利普通许可"


@pytest.fixture
def market(live_server: Any, committing_db: Any) -> dict[str, Any]:
    """A seller with a verified right in force, a lapsed one and an unverified one; another
    seller whose licence listing is already on the market; a buyer. All committed, and the
    search index empty before the other seller's listing is published (indexed after commit)."""
    get_engine(live_server.app).clear()
    seller = make_org(OrgKind.ENTERPRISE, name_zh="长春新驰汽车热管理科技有限公司")
    seller_user = make_user(seller, role=Role.ADMIN)
    pump = make_right(
        seller,
        title_zh="车用热泵空调系统及其控制方法",
        ipc_codes=["B60H 1/00"],
        abstract="低温环境下热泵空调制热效率提升30%",
    )
    lapsed = make_right(
        seller,
        title_zh="一种电动汽车充电桩散热装置",
        ipc_codes=["B60L 53/302"],
        status=RightStatus.LAPSED,
    )
    unverified = make_right(
        seller, title_zh="一种车载电池包加热膜", ipc_codes=["H01M 10/657"], verified=False
    )

    other = make_org(OrgKind.ENTERPRISE, name_zh="吉林省长光电池材料有限公司")
    other_user = make_user(other)
    thermal = make_right(
        other,
        title_zh="一种动力电池液冷热管理系统",
        ipc_codes=["H01M 10/613", "B60L 58/26"],
        abstract="电池包温差控制在3℃以内",
    )
    thermal_listing = services.create_listing(
        other,
        services.ListingData(
            title=THERMAL_TITLE,
            teaser="适用于新能源汽车的动力电池液冷热管理方案",
            deal_type=DealType.NON_EXCLUSIVE,
            right_ids=[thermal.id],
            asking_price=500_000_00,
            licence_starts_on=today(),
            licence_ends_on=today() + timedelta(days=3 * 365),
            industry="automotive",
            region="长春新区",
        ),
        actor=other_user,
    )
    services.publish_listing(thermal_listing, actor=other_user)

    buyer = make_org(OrgKind.ENTERPRISE, name_zh="长春重工智能装备有限公司")
    buyer_user = make_user(buyer)
    data = {
        "seller_email": seller_user.email,
        "buyer_email": buyer_user.email,
        "pump_label": f"{pump.number} {pump.title_zh}",
        "lapsed_label": f"{lapsed.number} {lapsed.title_zh}",
        "lapsed_number": lapsed.number,
        "unverified_label": f"{unverified.number} {unverified.title_zh}",
        "unverified_number": unverified.number,
    }
    committing_db.session.commit()
    committing_db.session.remove()
    return data


def open_editor(page: Page) -> None:
    page.locator("header nav a[href='/listings/mine']").click()
    page.locator("main a[href='/listings/new']").click()


def fill_listing(page: Page, *, right_label: str, title: str, teaser: str) -> None:
    """The editor's form, with the one right chosen by its visible label."""
    form = page.get_by_test_id("listing-form")
    form.locator("select[name=right_ids]").select_option(label=right_label)
    submit(
        page,
        "listing-form",
        title=title,
        deal_type="assignment",
        teaser=teaser,
        publish=True,
    )


def search_from(page: Page, form_testid: str, text: str) -> None:
    form = page.get_by_test_id(form_testid)
    form.locator("input[name=q]").fill(text)
    form.locator("[type=submit]").click()


def test_lapsed_or_unverified_right_is_refused_with_the_reason(new_page, market):
    page = new_page(locale="zh-CN")
    page.goto("/")
    log_in(page, market["seller_email"])
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: (
            statuses.append(r.status)
            if r.request.method == "POST" and r.url.endswith("/listings/new")
            else None
        ),
    )
    open_editor(page)

    # A lapsed right, "publish now" ticked: refused, with the right's number in the reason.
    fill_listing(
        page,
        right_label=market["lapsed_label"],
        title="充电桩散热专利转让",
        teaser="电动汽车充电桩散热装置",
    )
    expect(page.locator(".flashes .flash-error").first).to_be_visible()
    reasons = page.get_by_test_id("refusal-reasons")
    expect(reasons.locator("li")).to_have_count(1)
    expect(reasons).to_contain_text(market["lapsed_number"])
    expect(reasons).to_contain_text("失效")  # the right's legal status, the reason

    # The same form, now with a right whose ownership is not verified: refused too.
    fill_listing(
        page,
        right_label=market["unverified_label"],
        title="电池包加热膜专利转让",
        teaser="车载电池包加热膜",
    )
    reasons = page.get_by_test_id("refusal-reasons")
    expect(reasons).to_contain_text(market["unverified_number"])
    expect(reasons).to_contain_text("确权")  # ownership not verified
    expect(reasons).not_to_contain_text(market["lapsed_number"])
    assert statuses == [422, 422]

    # Nothing refused was saved, nor reached the market's search.
    page.locator("header nav a[href='/listings/mine']").click()
    expect(page.get_by_test_id("my-listing")).to_have_count(0)
    page.locator("header nav a[href='/market']").click()
    search_from(page, "market-search", "充电桩散热")
    expect(page.get_by_test_id("result-count")).to_contain_text("0")
    expect(page.get_by_test_id("search-hit")).to_have_count(0)


def test_publish_search_nda_and_demand_matches(new_page, market):
    # The seller publishes a listing of the verified right in the editor.
    seller = new_page(locale="zh-CN")
    seller.goto("/")
    log_in(seller, market["seller_email"])
    open_editor(seller)
    seller.get_by_test_id("listing-form").locator("select[name=right_ids]").select_option(
        label=market["pump_label"]
    )
    submit(
        seller,
        "listing-form",
        title=PUMP_TITLE,
        deal_type="assignment",
        teaser="面向新能源汽车的热泵空调系统，低温环境制热效率提升30%",
        details=SECRET,
        asking_price="1200000",
        industry="automotive",
        publish=True,
    )
    expect_flash(seller)
    expect(seller).to_have_url(re.compile(r"/listings/\d+$"))
    expect(seller.get_by_test_id("listing-status")).to_have_class(
        re.compile("status-listing-published")
    )
    expect(seller.get_by_test_id("refusal-reasons")).to_have_count(0)
    listing_url = seller.url

    # An anonymous visitor searches the market for a quoted phrase: the listing, highlighted.
    visitor = new_page(locale="zh-CN")
    visitor.goto("/")
    visitor.locator("header nav a[href='/market']").click()
    cards = visitor.get_by_test_id("listing-card")
    expect(cards.filter(has_text=PUMP_TITLE).first).to_be_visible()
    expect(cards.filter(has_text=THERMAL_TITLE).first).to_be_visible()
    search_from(visitor, "market-search", '"热泵空调"')
    expect(visitor).to_have_url(re.compile(r"/market/search\?"))
    hits = visitor.get_by_test_id("search-hit")
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text(PUMP_TITLE)
    expect(hits.locator("mark").first).to_be_visible()
    marked = "".join(hits.locator("mark").all_inner_texts())
    assert "热泵" in marked and "空调" in marked, marked
    expect(visitor.get_by_test_id("facets")).to_be_visible()
    expect(visitor.get_by_test_id("facet-deal_type")).to_have_count(1)

    # The same words in the wrong order are another phrase: nothing.
    search_from(visitor, "search-form", '"空调热泵"')
    expect(hits).to_have_count(0)
    expect(visitor.get_by_test_id("result-count")).to_contain_text("0")

    # Two words both listings share; the facets count them; a facet narrows the results.
    search_from(visitor, "search-form", "新能源汽车")
    expect(hits).to_have_count(2)
    facets = visitor.get_by_test_id("facets")
    assignment = facets.get_by_test_id("facet-deal_type").filter(
        has=visitor.locator("a[href*='deal_type=assignment']")
    )
    licence = facets.get_by_test_id("facet-deal_type").filter(
        has=visitor.locator("a[href*='deal_type=non_exclusive']")
    )
    expect(assignment).to_contain_text("(1)")
    expect(licence).to_contain_text("(1)")
    expect(facets.get_by_test_id("facet-industry")).to_contain_text("(2)")
    assignment.get_by_role("link").click()
    expect(visitor).to_have_url(re.compile(r"deal_type=assignment"))
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text(PUMP_TITLE)
    expect(hits).not_to_contain_text(THERMAL_TITLE)

    # The listing page: the teaser for everyone, the confidential details behind the NDA.
    hits.get_by_role("link").first.click()
    expect(visitor).to_have_url(listing_url)
    expect(visitor.get_by_test_id("teaser")).to_contain_text("低温环境制热效率")
    expect(visitor.get_by_test_id("nda-gate")).to_be_visible()
    expect(visitor.get_by_test_id("confidential-details")).to_have_count(0)
    expect(visitor.locator("body")).not_to_contain_text("压缩机转速曲线")

    # The visitor logs in as a member of another verified company, from the gate, and is
    # brought back to the listing; accepting the NDA shows the details.
    visitor.get_by_test_id("nda-gate").get_by_role("link").click()
    submit(visitor, "login-form", email=market["buyer_email"], password=PASSWORD)
    expect(visitor.get_by_test_id("account-link")).to_be_visible()
    expect(visitor).to_have_url(listing_url)
    expect(visitor.get_by_test_id("confidential-details")).to_have_count(0)
    visitor.get_by_test_id("accept-nda").click()
    expect_flash(visitor)
    expect(visitor.get_by_test_id("confidential-details")).to_contain_text(SECRET)
    expect(visitor.get_by_test_id("nda-gate")).to_have_count(0)

    # The buyer posts a technology demand; its page ranks the seller's listing first and
    # says why.
    visitor.locator("header nav a[href='/market']").click()
    visitor.locator("main a[href='/demands']").first.click()
    visitor.locator("main a[href='/demands/new']").click()
    submit(
        visitor,
        "demand-form",
        title="寻求车用热泵空调技术",
        description="我公司开发新能源汽车空调，需要热泵空调系统的专利技术，改善低温环境制热效率",
        budget_min="500000",
        budget_max="2000000",
        industry="automotive",
        ipc_codes="B60H 1/00",
        visibility="public",
    )
    expect_flash(visitor)
    expect(visitor).to_have_url(re.compile(r"/demands/\d+$"))
    matches = visitor.get_by_test_id("match")
    expect(matches).to_have_count(2)  # the pump first, then the battery (a related IPC class)
    first = matches.first
    expect(first.locator(f"a[href='{urlsplit(listing_url).path}']")).to_have_count(1)
    expect(first).to_contain_text(PUMP_TITLE)
    expect(matches.nth(1)).to_contain_text(THERMAL_TITLE)
    reasons = first.get_by_test_id("match-reasons")
    expect(reasons).to_contain_text("热泵")
    expect(reasons).to_contain_text("IPC")
    scores = [int(s) for s in matches.locator(".badge-score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True), scores
