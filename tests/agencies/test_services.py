"""Agency services: publishing rules, who may publish what, the directory, and an order placed
from the directory running the one service-order lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind, OrgStatus
from marketplace.agencies import services
from marketplace.agencies.models import AgencyService, AgencyServiceOrder
from marketplace.core.audit import history
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.orders import services as orders
from marketplace.orders.models import (
    PROVIDER_KINDS,
    OrderStatus,
    ServiceKind,
    ValuationPurpose,
)
from marketplace.rights.errors import RightNotVerified
from tests.factories import make_org, make_right, make_user

AGENCY_KINDS = [OrgKind.PATENT_AGENCY, OrgKind.APPRAISER, OrgKind.LAW_FIRM, OrgKind.BROKER]


def data(**overrides: Any) -> services.ServiceData:
    values: dict[str, Any] = {
        "kind": ServiceKind.FILING,
        "title_zh": "发明专利申请撰写与代理",
        "title_en": "Invention patent drafting",
        "description": "技术交底、检索、撰写与提交，代理审查意见答复。",
        "price_min": 600_000,
        "price_max": 1_200_000,
        "days_min": 20,
        "days_max": 30,
        "regions": ("长春新区",),
        "industries": ("automotive",),
    }
    return services.ServiceData(**{**values, **overrides})


def publish(p: dict[str, Any], who: str = "agency", **overrides: Any) -> AgencyService:
    return services.publish_service(p[who], data(**overrides), actor=p[f"{who}_user"])


def test_publish_stores_the_service_and_audits_it(parties):
    service = publish(
        parties, title_zh="  发明专利申请撰写与代理 ", regions=("长春新区", "长春新区")
    )
    assert service.active and service.provider_org_id == parties["agency"].id
    assert service.title_zh == "发明专利申请撰写与代理"
    assert service.regions == ["长春新区"]  # trimmed and de-duplicated
    assert (service.price_min, service.price_max, service.currency) == (600_000, 1_200_000, "CNY")
    entries = history("agency_services", service.id)
    assert [e.action for e in entries] == ["agency_service.published"]
    assert entries[0].after["price_max"] == 1_200_000
    assert entries[0].organisation_id == parties["agency"].id


def test_quote_on_request_has_no_prices(parties):
    service = publish(parties, price_min=None, price_max=None)
    assert service.quote_on_request and service.price_max is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": ServiceKind.VALUATION}, "kind"),
        ({"title_zh": "   "}, "title_zh"),
        ({"title_zh": "长" * 201}, "title_zh"),
        ({"title_en": "x" * 201}, "title_en"),
        ({"description": " "}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"price_min": None}, "price_min"),
        ({"price_max": None}, "price_max"),
        ({"price_min": 0, "price_max": 100}, "price_min"),
        ({"price_min": -500, "price_max": 100}, "price_min"),
        ({"price_min": 1.5, "price_max": 100}, "price_min"),
        ({"price_min": 500_000, "price_max": 400_000}, "price_max"),
        ({"price_max": services.MAX_PRICE_FEN + 1}, "price_max"),
        ({"days_min": 0}, "days_min"),
        ({"days_min": 30, "days_max": 20}, "days_max"),
        ({"days_max": services.MAX_DAYS + 1}, "days_max"),
        ({"regions": ()}, "regions"),
        ({"regions": ("  ",)}, "regions"),
        ({"regions": tuple(f"区{n}" for n in range(services.MAX_REGIONS + 1))}, "regions"),
        ({"regions": ("长" * 41,)}, "regions"),
        ({"industries": ("mining",)}, "industries"),
    ],
)
def test_each_publishing_rule(parties, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        publish(parties, **overrides)
    assert field in caught.value.fields, caught.value.fields
    assert db_count(AgencyService) == 0


def db_count(model: type) -> int:
    from marketplace.extensions import db

    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_all_problems_are_reported_at_once(parties):
    with pytest.raises(ValidationFailed) as caught:
        publish(parties, title_zh="", description="", days_min=0, regions=(), price_max=None)
    assert {"title_zh", "description", "days_min", "regions", "price_max"} <= set(
        caught.value.fields
    )


@pytest.mark.parametrize("org_kind", AGENCY_KINDS)
@pytest.mark.parametrize("kind", list(ServiceKind))
def test_only_allowed_provider_kinds_publish(db, org_kind, kind):
    org = make_org(org_kind)
    user = make_user(org)
    if org_kind in PROVIDER_KINDS[kind]:
        assert services.publish_service(org, data(kind=kind), actor=user).kind is kind
    else:
        with pytest.raises(ValidationFailed) as caught:
            services.publish_service(org, data(kind=kind), actor=user)
        assert "kind" in caught.value.fields


@pytest.mark.parametrize(
    "org_kind", [OrgKind.ENTERPRISE, OrgKind.UNIVERSITY, OrgKind.BANK, OrgKind.OPERATOR]
)
def test_organisations_that_are_not_agencies_cannot_publish(db, org_kind):
    org = make_org(org_kind)
    with pytest.raises(PermissionDenied):
        services.publish_service(org, data(), actor=make_user(org))


def test_unverified_agency_and_outsiders_cannot_publish(parties):
    pending = make_org(OrgKind.PATENT_AGENCY, status=OrgStatus.PENDING)
    with pytest.raises(PermissionDenied):
        services.publish_service(pending, data(), actor=make_user(pending))
    with pytest.raises(PermissionDenied):  # a member of another organisation
        services.publish_service(parties["agency"], data(), actor=parties["holder_user"])


@pytest.mark.parametrize(
    "values",
    [
        {"price_min": 500, "price_max": 400},
        {"price_min": 0, "price_max": 400},
        {"price_min": 500, "price_max": None},
        {"days_min": 0, "days_max": 3},
        {"days_min": 5, "days_max": 3},
    ],
)
def test_check_constraints_guard_money_and_days(parties, values):
    from marketplace.extensions import db

    row = {
        "provider_org_id": parties["agency"].id,
        "kind": ServiceKind.FILING,
        "title_zh": "直接写入",
        "price_min": 100,
        "price_max": 200,
        "days_min": 1,
        "days_max": 2,
        "regions": ["长春新区"],
        **values,
    }
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(AgencyService(**row))
        db.session.flush()


def test_update_audits_the_changed_fields(parties):
    service = publish(parties)
    services.update_service(
        service, data(price_min=700_000, description="新的说明"), actor=parties["agency_user"]
    )
    assert service.price_min == 700_000
    entry = history("agency_services", service.id)[-1]
    assert entry.action == "agency_service.updated"
    assert entry.before == {"price_min": 600_000, "description": data().description}
    assert entry.after == {"price_min": 700_000, "description": "新的说明"}


def test_only_the_agencys_members_change_its_services(parties):
    service = publish(parties)
    rival = make_org(OrgKind.PATENT_AGENCY)
    with pytest.raises(PermissionDenied):
        services.update_service(service, data(title_zh="改"), actor=make_user(rival))
    with pytest.raises(PermissionDenied):
        services.deactivate_service(service, actor=parties["holder_user"])
    assert service.title_zh == data().title_zh and service.active


def test_deactivate_and_reactivate(parties):
    service = publish(parties)
    services.deactivate_service(service, actor=parties["agency_user"])
    assert not service.active
    assert services.directory(services.DirectoryFilters()) == []
    services.reactivate_service(service, actor=parties["agency_user"])
    assert [e.service for e in services.directory(services.DirectoryFilters())] == [service]
    actions = [e.action for e in history("agency_services", service.id)]
    assert actions[-2:] == ["agency_service.deactivated", "agency_service.reactivated"]


# --- the directory -------------------------------------------------------------------------


def ids(filters: services.DirectoryFilters) -> list[int]:
    return [entry.service.id for entry in services.directory(filters)]


@pytest.fixture
def catalogue(parties):
    p = parties
    law = make_org(OrgKind.LAW_FIRM)
    law_user = make_user(law)
    filing = publish(p, industries=("automotive",), regions=("长春新区",))
    navigation = publish(
        p,
        kind=ServiceKind.PATENT_NAVIGATION,
        title_zh="产业专利导航",
        price_min=5_000_000,
        price_max=20_000_000,
        days_min=45,
        days_max=90,
        regions=("全国",),
        industries=(),
    )
    valuation = publish(
        p,
        "appraiser",
        kind=ServiceKind.VALUATION,
        title_zh="质押融资评估",
        price_min=800_000,
        price_max=3_000_000,
        days_min=10,
        days_max=20,
        regions=("长春市",),
        industries=("biomedicine", "automotive"),
    )
    opinion = services.publish_service(
        law,
        data(
            kind=ServiceKind.LEGAL_OPINION,
            title_zh="侵权风险法律意见",
            price_min=None,
            price_max=None,
            days_min=5,
            days_max=15,
            regions=("长春新区", "长春市"),
            industries=("optoelectronics",),
        ),
        actor=law_user,
    )
    return {
        "filing": filing,
        "navigation": navigation,
        "valuation": valuation,
        "opinion": opinion,
        "law": law,
    }


def test_directory_filters(catalogue):
    c = catalogue
    F = services.DirectoryFilters
    assert ids(F(kind=ServiceKind.VALUATION)) == [c["valuation"].id]
    # No industries means every industry.
    assert set(ids(F(industry="automotive"))) == {
        c["filing"].id,
        c["navigation"].id,
        c["valuation"].id,
    }
    assert set(ids(F(industry="optoelectronics"))) == {c["navigation"].id, c["opinion"].id}
    # 全国 serves every region.
    assert set(ids(F(region="长春市"))) == {c["navigation"].id, c["valuation"].id, c["opinion"].id}
    # A ceiling keeps services whose lowest price fits; quote-on-request ones are left out.
    assert set(ids(F(max_price=800_000))) == {c["filing"].id, c["valuation"].id}
    assert ids(F(max_price=599_999)) == []
    assert ids(F(kind=ServiceKind.FILING, region="长春市")) == []


def test_directory_sorts_by_price_and_delivery(catalogue):
    c = catalogue
    by_price = ids(services.DirectoryFilters(sort="price"))
    assert by_price == [c["filing"].id, c["valuation"].id, c["navigation"].id, c["opinion"].id]
    by_delivery = ids(services.DirectoryFilters(sort="delivery"))
    assert by_delivery == [c["opinion"].id, c["valuation"].id, c["filing"].id, c["navigation"].id]


def complete_and_rate(p: dict[str, Any], service: AgencyService, provider: str, stars: int) -> Any:
    """Order ``service`` from the directory and run the order to a rating of ``stars``."""
    right = make_right(p["holder"])
    order = services.order_service(
        service,
        p["holder"],
        services.ServiceOrderRequest(
            right_ids=[right.id],
            description="请评估",
            purpose=ValuationPurpose.PLEDGE if service.kind is ServiceKind.VALUATION else None,
        ),
        actor=p["holder_user"],
    )
    quote = orders.submit_quote(
        order,
        p[provider],
        actor=p[f"{provider}_user"],
        fee=service.price_min or 100_000,
        delivery_date=today() + timedelta(days=service.days_max),
    )
    orders.accept_quote(quote, actor=p["holder_user"])
    orders.start_work(order, actor=p[f"{provider}_user"])
    orders.deliver(order, actor=p[f"{provider}_user"])
    orders.accept_delivery(order, actor=p["holder_user"])
    orders.rate_order(order, actor=p["holder_user"], rating=stars, comment=None)
    return order


def test_directory_sorts_by_rating(parties, catalogue):
    c = catalogue
    complete_and_rate(parties, c["valuation"], "appraiser", 5)
    complete_and_rate(parties, c["filing"], "agency", 3)
    by_rating = services.directory(services.DirectoryFilters(sort="rating"))
    assert [e.service.id for e in by_rating] == [
        c["valuation"].id,  # 5 stars
        c["filing"].id,  # 3 stars, cheaper than the agency's other service
        c["navigation"].id,
        c["opinion"].id,  # no rating yet
    ]
    assert (by_rating[0].rating, by_rating[0].rating_count) == (5.0, 1)
    assert (by_rating[-1].rating, by_rating[-1].rating_count) == (None, 0)


def test_suspended_agency_leaves_the_directory(parties, catalogue):
    parties["appraiser"].status = OrgStatus.SUSPENDED
    assert catalogue["valuation"].id not in ids(services.DirectoryFilters())
    assert not services.is_orderable(catalogue["valuation"])


# --- ordering from the directory -----------------------------------------------------------


def test_order_from_the_directory_runs_the_order_lifecycle(parties):
    p = parties
    service = publish(p)
    right = make_right(p["holder"])
    order = services.order_service(
        service,
        p["holder"],
        services.ServiceOrderRequest(right_ids=[right.id], description="尽快提交"),
        actor=p["holder_user"],
    )
    assert order.kind is ServiceKind.FILING and order.status is OrderStatus.REQUESTED
    assert order.invited_org_id == p["agency"].id
    assert order.rights == [right]
    assert order.description.startswith(service.title_zh) and "尽快提交" in order.description
    assert services.service_for_order(order) is service
    assert history("agency_services", service.id)[-1].after["order_id"] == order.id
    # Only the invited agency quotes.
    rival = make_org(OrgKind.PATENT_AGENCY)
    assert not orders.can_quote(rival, order)
    quote = orders.submit_quote(
        order,
        p["agency"],
        actor=p["agency_user"],
        fee=900_000,
        delivery_date=today() + timedelta(days=25),
    )
    orders.accept_quote(quote, actor=p["holder_user"])
    assert order.provider_org_id == p["agency"].id
    orders.start_work(order, actor=p["agency_user"])
    orders.deliver(order, actor=p["agency_user"])
    orders.accept_delivery(order, actor=p["holder_user"])
    orders.rate_order(order, actor=p["holder_user"], rating=4, comment="撰写质量高")
    assert order.status is OrderStatus.COMPLETED
    [entry] = services.directory(services.DirectoryFilters())
    assert (entry.rating, entry.rating_count) == (4.0, 1)
    profile = services.agency_profile(p["agency"])
    assert (profile.rating, profile.rating_count, profile.completed_orders) == (4.0, 1, 1)
    assert profile.services == [service]


def test_a_deactivated_service_cannot_be_ordered(parties):
    service = publish(parties)
    services.deactivate_service(service, actor=parties["agency_user"])
    with pytest.raises(Conflict):
        services.order_service(
            service,
            parties["holder"],
            services.ServiceOrderRequest(right_ids=[make_right(parties["holder"]).id]),
            actor=parties["holder_user"],
        )


def test_ordering_keeps_the_order_rules(parties):
    p = parties
    valuation = publish(p, "appraiser", kind=ServiceKind.VALUATION, title_zh="质押融资评估")
    request = services.ServiceOrderRequest(right_ids=[make_right(p["holder"]).id])
    with pytest.raises(ValidationFailed) as caught:  # a valuation needs its purpose
        services.order_service(valuation, p["holder"], request, actor=p["holder_user"])
    assert "purpose" in caught.value.fields
    unverified = make_right(p["holder"], verified=False)
    with pytest.raises(RightNotVerified):
        services.order_service(
            valuation,
            p["holder"],
            replace(request, right_ids=[unverified.id], purpose=ValuationPurpose.PLEDGE),
            actor=p["holder_user"],
        )
    filing = publish(p)
    with pytest.raises(ValidationFailed) as caught:  # filing is about rights
        services.order_service(
            filing, p["holder"], services.ServiceOrderRequest(), actor=p["holder_user"]
        )
    assert "right_ids" in caught.value.fields
    assert db_count(AgencyServiceOrder) == 0


def test_demo_services_are_seeded_once(db):
    from marketplace.agencies.demo import DEMO_SERVICES, seed_agency_services
    from marketplace.demo.cli import seed_demo

    seed_demo()
    assert seed_agency_services() == len(DEMO_SERVICES) >= 10
    assert seed_agency_services() == 0
    listed = services.directory(services.DirectoryFilters())
    assert len(listed) == len(DEMO_SERVICES)
    assert {e.service.provider_org.name_zh for e in listed} == {
        "长春智衡专利代理事务所",
        "吉林正元资产评估有限公司",
        "吉林明正律师事务所",
        "长春技转通技术转移服务有限公司",
    }
