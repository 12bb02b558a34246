"""Directory, profile, ordering and an agency's own services, through the pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind, OrgStatus
from marketplace.agencies import services
from marketplace.agencies.models import AgencyService
from marketplace.core.clock import today
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus, ServiceKind, ServiceOrder
from tests.agencies.test_services import data
from tests.factories import make_org, make_right, make_user


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def card_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-testid="service-card" data-service-id="(\d+)"', page)]


@pytest.fixture
def listed(parties: dict[str, Any]) -> dict[str, AgencyService]:
    filing = services.publish_service(parties["agency"], data(), actor=parties["agency_user"])
    valuation = services.publish_service(
        parties["appraiser"],
        data(
            kind=ServiceKind.VALUATION,
            title_zh="知识产权质押融资评估",
            price_min=800_000,
            price_max=3_000_000,
            days_min=10,
            days_max=20,
            regions=("全国",),
            industries=(),
        ),
        actor=parties["appraiser_user"],
    )
    return {"filing": filing, "valuation": valuation}


def test_directory_cards_show_agency_price_delivery_and_rating(client, login_as, parties, listed):
    login_as(parties["holder_user"])
    page = html(client.get("/agencies"))
    assert sorted(card_ids(page)) == sorted(s.id for s in listed.values())
    assert "长春测试专利代理事务所" in page and "发明专利申请撰写与代理" in page
    assert "¥6,000.00 – ¥12,000.00" in page
    assert "20–30" in page  # delivery days
    assert 'data-testid="order-service"' in page


def test_directory_filters_and_sorts_from_the_query_string(client, login_as, parties, listed):
    login_as(parties["holder_user"])
    assert card_ids(html(client.get("/agencies?kind=valuation"))) == [listed["valuation"].id]
    assert card_ids(html(client.get("/agencies?max_price=7000"))) == [listed["filing"].id]
    query = "/agencies?region=长春新区&industry=automotive&sort=price"
    assert card_ids(html(client.get(query))) == [
        listed["filing"].id,
        listed["valuation"].id,
    ]
    assert card_ids(html(client.get("/agencies?sort=delivery"))) == [
        listed["valuation"].id,
        listed["filing"].id,
    ]
    # Nonsense filters are ignored rather than failing.
    assert len(card_ids(html(client.get("/agencies?kind=x&max_price=abc&sort=y")))) == 2


def test_directory_needs_a_verified_organisation(client, login_as, db):
    assert client.get("/agencies").status_code == 302  # to the login page
    pending = make_org(OrgKind.ENTERPRISE, status=OrgStatus.PENDING)
    login_as(make_user(pending))
    assert client.get("/agencies").status_code == 403


def test_agencies_and_banks_browse_but_do_not_order(client, login_as, parties, listed):
    bank = make_org(OrgKind.BANK)
    login_as(make_user(bank))
    page = html(client.get("/agencies"))
    assert len(card_ids(page)) == 2 and 'data-testid="order-service"' not in page
    assert client.get(f"/agencies/services/{listed['filing'].id}/order").status_code == 403


def test_profile_lists_active_services_rating_and_completed_orders(
    client, login_as, parties, listed
):
    p = parties
    extra = services.publish_service(
        p["agency"], data(title_zh="已下架的服务"), actor=p["agency_user"]
    )
    services.deactivate_service(extra, actor=p["agency_user"])
    login_as(p["holder_user"])
    page = html(client.get(f"/agencies/{p['agency'].id}"))
    assert card_ids(page) == [listed["filing"].id]
    assert "已下架的服务" not in page
    assert 'data-testid="completed-orders">0<' in page
    # Not an agency, or no such organisation: 404.
    assert client.get(f"/agencies/{p['holder'].id}").status_code == 404
    assert client.get("/agencies/999999").status_code == 404


def test_ordering_through_the_directory(client, login_as, parties, listed):
    p = parties
    right = make_right(p["holder"], title_zh="一种动力电池热管理系统")
    unverified = make_right(p["holder"], verified=False, title_zh="尚未确权的专利")
    login_as(p["holder_user"])
    service = listed["filing"]
    form = html(client.get(f"/agencies/services/{service.id}/order"))
    assert 'data-testid="order-service-form"' in form
    assert "一种动力电池热管理系统" in form and "尚未确权的专利" not in form
    assert 'name="purpose"' not in form  # only valuations have a purpose
    # An unverified right is not a valid choice.
    refused = client.post(
        f"/agencies/services/{service.id}/order", data={"right_ids": [str(unverified.id)]}
    )
    assert refused.status_code == 422
    response = client.post(
        f"/agencies/services/{service.id}/order",
        data={
            "right_ids": [str(right.id)],
            "description": "希望一个月内提交",
            "wanted_by": (today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    order = db.session.scalar(sa.select(ServiceOrder).order_by(ServiceOrder.id.desc()))
    assert response.headers["Location"].endswith(f"/orders/{order.id}")
    assert order.invited_org_id == p["agency"].id and order.kind is ServiceKind.FILING
    assert order.orderer_org_id == p["holder"].id and order.rights == [right]
    assert client.get(f"/orders/{order.id}").status_code == 200

    # The agency quotes and the order runs its lifecycle; the rating reaches the directory.
    quote = orders.submit_quote(
        order,
        p["agency"],
        actor=p["agency_user"],
        fee=900_000,
        delivery_date=today() + timedelta(days=25),
    )
    orders.accept_quote(quote, actor=p["holder_user"])
    orders.start_work(order, actor=p["agency_user"])
    orders.deliver(order, actor=p["agency_user"])
    orders.accept_delivery(order, actor=p["holder_user"])
    orders.rate_order(order, actor=p["holder_user"], rating=4, comment="专业")
    assert order.status is OrderStatus.COMPLETED
    page = html(client.get("/agencies?sort=rating"))
    assert card_ids(page)[0] == service.id
    card = page.split(f'data-service-id="{service.id}"')[1].split("</article>")[0]
    assert re.search(r'data-testid="rating"[^>]*><span aria-hidden="true">★★★★☆</span> 4\.0<', card)
    assert re.search(r'data-testid="rating-count">\D*1\D', card)
    profile = html(client.get(f"/agencies/{p['agency'].id}"))
    assert 'data-testid="completed-orders">1<' in profile


def test_valuation_order_form_asks_the_purpose(client, login_as, parties, listed):
    right = make_right(parties["holder"])
    login_as(parties["holder_user"])
    url = f"/agencies/services/{listed['valuation'].id}/order"
    assert 'name="purpose"' in html(client.get(url))
    missing = client.post(url, data={"right_ids": [str(right.id)]})
    assert missing.status_code == 422 and "field-error" in html(missing)
    placed = client.post(url, data={"right_ids": [str(right.id)], "purpose": "pledge"})
    assert placed.status_code == 302


def test_deactivated_service_cannot_be_ordered_or_seen_by_others(client, login_as, parties, listed):
    service = listed["filing"]
    services.deactivate_service(service, actor=parties["agency_user"])
    login_as(parties["holder_user"])
    assert client.get(f"/agencies/services/{service.id}").status_code == 404
    assert client.get(f"/agencies/services/{service.id}/order").status_code == 404


# --- the agency's own services -------------------------------------------------------------


def test_publish_edit_and_deactivate_through_the_pages(client, login_as, parties):
    p = parties
    login_as(p["agency_user"])
    assert client.get("/agencies/mine").status_code == 200
    form = html(client.get("/agencies/services/new"))
    assert 'data-testid="service-form"' in form
    assert 'value="valuation"' not in form  # a patent agency does not value
    response = client.post(
        "/agencies/services/new",
        data={
            "kind": "filing",
            "title_zh": "实用新型专利申请代理",
            "description": "附图整理、权利要求撰写与提交。",
            "price_min": "2500",
            "price_max": "4000.50",
            "days_min": "10",
            "days_max": "15",
            "regions": "长春新区；长春市",
            "industries": ["automotive", "equipment"],
        },
    )
    assert response.status_code == 302
    service = db.session.scalar(sa.select(AgencyService).order_by(AgencyService.id.desc()))
    assert (service.price_min, service.price_max) == (250_000, 400_050)
    assert service.regions == ["长春新区", "长春市"]
    assert service.industries == ["automotive", "equipment"]

    edit = html(client.get(f"/agencies/services/{service.id}/edit"))
    assert "实用新型专利申请代理" in edit and "4000.50" in edit
    changed = client.post(
        f"/agencies/services/{service.id}/edit",
        data={
            "kind": "filing",
            "title_zh": "实用新型专利申请代理",
            "description": "附图整理、权利要求撰写与提交。",
            "days_min": "10",
            "days_max": "15",
            "regions": "长春新区",
        },
    )
    assert changed.status_code == 302
    db.session.refresh(service)  # the request changed it in its own session
    assert service.quote_on_request and service.industries == []

    assert client.post(f"/agencies/services/{service.id}/deactivate").status_code == 302
    db.session.refresh(service)
    assert not service.active
    mine = html(client.get("/agencies/mine"))
    assert 'data-testid="reactivate-service"' in mine
    assert client.post(f"/agencies/services/{service.id}/reactivate").status_code == 302
    db.session.refresh(service)
    assert service.active


def test_invalid_service_form_is_422_with_field_errors(client, login_as, parties):
    login_as(parties["agency_user"])
    response = client.post(
        "/agencies/services/new",
        data={
            "kind": "filing",
            "title_zh": "",
            "description": "说明",
            "price_min": "5000",
            "days_min": "30",
            "days_max": "10",
            "regions": "",
        },
    )
    assert response.status_code == 422
    page = html(response)
    for name in ("title_zh", "price_max", "days_max", "regions"):
        assert f'id="{name}-error"' in page, name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgencyService)) == 0


def test_someone_elses_service_is_404_to_edit(client, login_as, parties, listed):
    rival = make_org(OrgKind.PATENT_AGENCY)
    login_as(make_user(rival))
    service = listed["filing"]
    assert client.get(f"/agencies/services/{service.id}").status_code == 200  # listed: public
    assert client.get(f"/agencies/services/{service.id}/edit").status_code == 404
    assert (
        client.post(f"/agencies/services/{service.id}/edit", data={"title_zh": "抢注"}).status_code
        == 404
    )
    assert client.post(f"/agencies/services/{service.id}/deactivate").status_code == 404
    db.session.refresh(service)
    assert service.active and service.title_zh == data().title_zh


def test_rights_holders_have_no_service_management(client, login_as, parties):
    login_as(parties["holder_user"])
    assert client.get("/agencies/mine").status_code == 403
    assert client.get("/agencies/services/new").status_code == 403
