"""Market pages: the NDA gate, refusals shown with their reasons, editor, open licences."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts.models import OrgKind
from marketplace.core.clock import today
from marketplace.listings import services
from marketplace.listings.models import DealType, ListingStatus
from marketplace.rights.models import RightStatus
from tests.factories import make_org, make_right, make_user

SECRET = "量产工艺参数：保密"


@pytest.fixture
def listing(db):
    org = make_org(OrgKind.ENTERPRISE, name_zh="卖方公司")
    user = make_user(org)
    right = make_right(org)
    listing = services.create_listing(
        org,
        services.ListingData(
            title="车用热泵专利转让",
            teaser="成熟技术",
            details=SECRET,
            deal_type=DealType.ASSIGNMENT,
            right_ids=[right.id],
            asking_price=10_000_000,
        ),
        actor=user,
    )
    services.publish_listing(listing, actor=user)
    return listing


def test_visitor_sees_the_teaser_but_not_the_details(client, listing):
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "成熟技术" in html and SECRET not in html
    assert 'data-testid="nda-gate"' in html


def test_details_only_after_accepting_the_nda(client, login_as, listing):
    visitor = make_user(make_org(OrgKind.ENTERPRISE))
    login_as(visitor)
    assert SECRET not in client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert client.post(f"/listings/{listing.id}/nda").status_code == 302
    assert SECRET in client.get(f"/listings/{listing.id}").get_data(as_text=True)


def test_api_hides_details_until_nda(client, listing):
    from tests.factories import bearer, make_token

    visitor = make_user(make_org(OrgKind.ENTERPRISE))
    headers = bearer(make_token(visitor))
    assert (
        client.get(f"/api/v1/listings/{listing.id}", headers=headers).get_json()["details"] is None
    )
    assert (
        client.post(f"/api/v1/listings/{listing.id}/nda", headers=headers).get_json()["details"]
        == SECRET
    )


def test_draft_is_hidden_from_others(client, login_as, db):
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org)
    draft = services.create_listing(
        org,
        services.ListingData(
            title="草稿", teaser="x", deal_type=DealType.ASSIGNMENT, right_ids=[make_right(org).id]
        ),
        actor=user,
    )
    assert client.get(f"/listings/{draft.id}").status_code == 404
    login_as(user)
    assert client.get(f"/listings/{draft.id}").status_code == 200


def test_lapsed_right_cannot_be_listed_and_the_reason_is_shown(client, login_as, db):
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org)
    right = make_right(org, status=RightStatus.LAPSED)
    login_as(user)
    response = client.post(
        "/listings/new",
        data={
            "title": "失效专利",
            "right_ids": [right.id],
            "deal_type": "assignment",
            "teaser": "测试",
            "publish": "y",
            "territory": "all",
            "field_of_use": "all",
            "region": "长春新区",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-testid="refusal-reasons"' in html and right.number in html


def test_unverified_right_cannot_be_listed(client, login_as, db):
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org)
    right = make_right(org, verified=False)
    login_as(user)
    response = client.post(
        "/listings/new",
        data={
            "title": "未确权专利",
            "right_ids": [right.id],
            "deal_type": "assignment",
            "teaser": "测试",
            "publish": "y",
            "territory": "all",
            "field_of_use": "all",
            "region": "长春新区",
        },
    )
    assert response.status_code == 422
    assert right.number in response.get_data(as_text=True)


def test_editor_publishes_a_listing(client, login_as, db):
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org)
    right = make_right(org)
    login_as(user)
    response = client.post(
        "/listings/new",
        data={
            "title": "独占许可",
            "right_ids": [right.id],
            "deal_type": "exclusive",
            "teaser": "测试",
            "asking_price": "300000",
            "royalty_rate": "3",
            "licence_starts_on": today().isoformat(),
            "licence_ends_on": (today() + timedelta(days=700)).isoformat(),
            "publish": "y",
            "territory": "吉林省",
            "field_of_use": "all",
            "region": "长春新区",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    listing = services.db.session.scalars(services.sa.select(services.Listing)).one()
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.asking_price == 30_000_000 and listing.royalty_rate == 300


def test_open_licence_taken_from_the_page(client, login_as, db):
    org = make_org(OrgKind.UNIVERSITY)
    user = make_user(org)
    right = make_right(org)
    listing = services.create_listing(
        org,
        services.ListingData(
            title="开放许可",
            teaser="x",
            deal_type=DealType.OPEN_LICENCE,
            right_ids=[right.id],
            royalty_rate=200,
            open_terms="按销售额2%",
            licence_starts_on=today(),
            licence_ends_on=today() + timedelta(days=365),
        ),
        actor=user,
    )
    services.publish_listing(listing, actor=user)
    taker = make_user(make_org(OrgKind.ENTERPRISE))
    login_as(taker)
    assert client.post(f"/listings/{listing.id}/open-licence").status_code == 302
    from marketplace.rights.models import Licence

    licence = services.db.session.scalars(services.sa.select(Licence)).one()
    assert licence.licensee_org_id == taker.organisation_id


def test_stranger_cannot_close_or_withdraw(client, login_as, listing):
    login_as(make_user(make_org(OrgKind.ENTERPRISE)))
    assert client.post(f"/listings/{listing.id}/withdraw").status_code == 403
    assert (
        client.post(
            f"/listings/{listing.id}/close", data={"buyer_org_id": "1", "price": "1"}
        ).status_code
        == 403
    )


def test_contacting_the_seller_reaches_its_inbox(client, login_as, listing):
    from marketplace.notifications.models import Notification

    visitor = make_user(make_org(OrgKind.ENTERPRISE), email="buyer@example.cn")
    login_as(visitor)
    assert client.post(f"/listings/{listing.id}/contact", data={"message": " "}).status_code == 302
    assert not services.db.session.scalars(services.sa.select(Notification)).all()
    client.post(f"/listings/{listing.id}/contact", data={"message": "请提供许可报价"})
    note = services.db.session.scalars(services.sa.select(Notification)).one()
    assert "请提供许可报价" in note.body and "buyer@example.cn" in note.body


@pytest.mark.parametrize("price", ["sNaN", "NaN", "Infinity", "300000.005"])
def test_a_price_that_is_not_a_number_is_a_form_error_not_a_crash(client, login_as, db, price):
    org = make_org(OrgKind.ENTERPRISE)
    login_as(make_user(org))
    right = make_right(org)
    response = client.post(
        "/listings/new",
        data={
            "title": "转让",
            "right_ids": [right.id],
            "deal_type": "assignment",
            "teaser": "测试",
            "asking_price": price,
            "region": "长春新区",
        },
    )
    assert response.status_code in (200, 422)
    assert (
        services.db.session.scalar(
            services.sa.select(services.sa.func.count()).select_from(services.Listing)
        )
        == 0
    )
