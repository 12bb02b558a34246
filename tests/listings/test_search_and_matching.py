"""Listings in the search index (written after commit, never for a rolled-back listing), the
market search page, and demand matching with explanations and announcements."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind
from marketplace.core.clock import today
from marketplace.extensions import db as _db
from marketplace.listings import matching, services
from marketplace.listings.models import DealType, FieldFollow, MatchNotice
from marketplace.notifications.models import Notification
from marketplace.search.engine import SearchQuery, get_engine
from tests.factories import make_org, make_right, make_user


@pytest.fixture
def market(app, committing_db):
    get_engine(app).clear()
    seller = make_org(OrgKind.ENTERPRISE, name_zh="长春新驰汽车热管理科技有限公司")
    seller_user = make_user(seller)
    buyer = make_org(OrgKind.ENTERPRISE, name_zh="长春重工智能装备有限公司")
    buyer_user = make_user(buyer)
    broker = make_org(OrgKind.BROKER, name_zh="技转通")
    broker_user = make_user(broker)
    _db.session.add(FieldFollow(org_id=broker.id, industry="automotive"))
    rights = {
        "thermal": make_right(
            seller,
            title_zh="一种动力电池液冷热管理系统",
            ipc_codes=["H01M 10/613"],
            abstract="电池包温差控制在3℃以内",
        ),
        "pump": make_right(
            seller,
            title_zh="车用热泵空调系统及其控制方法",
            ipc_codes=["B60H 1/00"],
            abstract="低温环境制热效率提升",
        ),
        "laser": make_right(
            seller,
            title_zh="激光雷达光学发射模组",
            ipc_codes=["G01S 7/481"],
            abstract="车载激光雷达",
        ),
    }
    listings = {}
    for key, right in rights.items():
        listing = services.create_listing(
            seller,
            services.ListingData(
                title=right.title_zh + "转让",
                teaser=right.abstract,
                deal_type=DealType.ASSIGNMENT,
                right_ids=[right.id],
                asking_price=1_000_000_00,
                industry="automotive",
                region="长春新区",
            ),
            actor=seller_user,
        )
        services.publish_listing(listing, actor=seller_user)
        listings[key] = listing
    _db.session.commit()
    ids = {key: listing.id for key, listing in listings.items()}
    return {
        "seller_user": seller_user,
        "buyer": buyer,
        "buyer_user": buyer_user,
        "broker_user": broker_user,
        "ids": ids,
        "app": app,
    }


def search(app, text, **kw):
    return get_engine(app).search(SearchQuery(text=text, doc_type="listing", **kw))


def test_published_listings_are_found_after_commit(market):
    result = search(market["app"], "热管理")
    assert [h.doc_id for h in result.hits] == [market["ids"]["thermal"]]
    assert "<mark>" in str(result.hits[0].title_html)


def test_quoted_phrase_finds_only_the_phrase(market):
    hits = {h.doc_id for h in search(market["app"], '"热泵空调"').hits}
    assert hits == {market["ids"]["pump"]}
    assert not search(market["app"], '"空调热泵"').hits


def test_rolled_back_listing_never_appears(market, app):
    seller_user = market["seller_user"]
    right = make_right(seller_user.organisation, title_zh="一种玉米单倍体诱导育种方法")
    _db.session.commit()
    listing = services.create_listing(
        seller_user.organisation,
        services.ListingData(
            title="玉米育种专利",
            teaser="玉米育种",
            deal_type=DealType.ASSIGNMENT,
            right_ids=[right.id],
        ),
        actor=seller_user,
    )
    services.publish_listing(listing, actor=seller_user)
    _db.session.rollback()
    assert not search(app, "玉米育种").hits


def test_withdrawn_listing_leaves_the_index(market, app):
    from marketplace.listings.models import Listing

    listing = _db.session.get(Listing, market["ids"]["laser"])
    services.withdraw_listing(listing, actor=market["seller_user"])
    _db.session.commit()
    assert not search(app, "激光雷达").hits


def test_search_page_shows_facets_and_highlights(market, app):
    client = app.test_client()  # not the rolled-back ``client``: these rows really committed
    html = client.get("/market/search", query_string={"q": "热管理"}).get_data(as_text=True)
    assert 'data-testid="search-hit"' in html and "<mark>" in html
    assert 'data-testid="facet-kind"' in html
    assert client.get("/market/search", query_string={"q": '"unbalanced AND ('}).status_code == 200


def test_demand_matches_are_ranked_with_reasons_and_announced_once(market, app):
    buyer, buyer_user = market["buyer"], market["buyer_user"]
    demand = services.post_demand(
        buyer,
        services.DemandData(
            title="寻求动力电池热管理技术",
            description="需要电池包液冷热管理方案，控制温差",
            budget_min=50_000_000,
            budget_max=2_000_000_00,
            industry="automotive",
            ipc_codes=("H01M 10/613",),
            region="长春新区",
            deadline=today() + timedelta(days=30),
        ),
        actor=buyer_user,
    )
    _db.session.commit()
    matches = matching.matches_for_demand(demand)
    assert matches[0].listing.id == market["ids"]["thermal"]
    assert matches[0].score >= matching.GOOD_MATCH
    assert any("IPC" in r for r in matches[0].reasons)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)

    assert matching.announce_good_matches(demand) >= 1
    _db.session.commit()
    assert matching.announce_good_matches(demand) == 0  # never twice
    notified = set(_db.session.scalars(sa.select(Notification.user_id)))
    assert {buyer_user.id, market["seller_user"].id, market["broker_user"].id} <= notified
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(MatchNotice)) >= 1


def test_agencies_only_demand_is_hidden_from_the_public(market, app):
    client = app.test_client()
    buyer, buyer_user = market["buyer"], market["buyer_user"]
    from marketplace.listings.models import DemandVisibility

    demand = services.post_demand(
        buyer,
        services.DemandData(
            title="保密需求：激光焊接检测",
            description="仅对认证服务机构可见",
            visibility=DemandVisibility.AGENCIES,
        ),
        actor=buyer_user,
    )
    _db.session.commit()
    public = get_engine(app).search(SearchQuery(text="激光焊接", doc_type="demand"))
    agencies = get_engine(app).search(
        SearchQuery(text="激光焊接", doc_type="demand", visibility=("public", "agencies"))
    )
    assert not public.hits and [h.doc_id for h in agencies.hits] == [demand.id]
    assert client.get(f"/demands/{demand.id}").status_code == 404


def test_chinese_quotation_marks_make_a_phrase(market, app):
    client = app.test_client()
    html = client.get("/market/search", query_string={"q": "“热泵空调”"}).get_data(as_text=True)
    assert html.count('data-testid="search-hit"') == 1
    reversed_phrase = client.get("/market/search", query_string={"q": "“空调热泵”"})
    assert 'data-testid="search-hit"' not in reversed_phrase.get_data(as_text=True)
