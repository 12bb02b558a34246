"""The service-order lifecycle: one table of steps, quotes, acceptance, delivery, rating."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts.models import OrgKind
from marketplace.core.audit import history
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from marketplace.orders import services
from marketplace.orders.models import (
    ORDER_TRANSITIONS,
    OrderStatus,
    QuoteStatus,
    ServiceKind,
    ServiceOrder,
    ValuationPurpose,
)
from marketplace.rights.errors import RightNotVerified
from tests.factories import make_org, make_right, make_user


@pytest.fixture
def parties(db):
    holder = make_org(OrgKind.ENTERPRISE)
    appraiser = make_org(OrgKind.APPRAISER)
    other = make_org(OrgKind.APPRAISER)
    return {
        "holder": holder,
        "holder_user": make_user(holder),
        "appraiser": appraiser,
        "appraiser_user": make_user(appraiser),
        "other": other,
        "other_user": make_user(other),
    }


def order_for(p, **kw) -> ServiceOrder:
    right = kw.pop("right", None) or make_right(p["holder"])
    values = {
        "kind": ServiceKind.VALUATION,
        "right_ids": [right.id],
        "purpose": ValuationPurpose.LICENCE_PRICING,
        **kw,
    }
    return services.create_order(
        p["holder"], services.OrderRequest(**values), actor=p["holder_user"]
    )


def quote(p, order, who="appraiser", fee=500_000):
    return services.submit_quote(
        order, p[who], actor=p[f"{who}_user"], fee=fee, delivery_date=today() + timedelta(days=10)
    )


ALL_STEPS = [(a, b) for a in OrderStatus for b in OrderStatus if a is not b]


@pytest.mark.parametrize(("old", "new"), ALL_STEPS)
def test_order_transition_table(parties, old, new):
    order = order_for(parties)
    order.status = old
    if (old, new) in ORDER_TRANSITIONS:
        services.move_order(order, new, actor=parties["holder_user"])
        assert order.status is new
        assert history("service_orders", order.id)[-1].after["status"] == new.value
    else:
        with pytest.raises(IllegalTransition):
            services.move_order(order, new, actor=parties["holder_user"])
        assert order.status is old


def test_valuation_needs_verified_rights_and_a_purpose(parties):
    unverified = make_right(parties["holder"], verified=False)
    with pytest.raises(RightNotVerified):
        order_for(parties, right=unverified)
    with pytest.raises(ValidationFailed) as caught:
        order_for(parties, purpose=None)
    assert "purpose" in caught.value.fields


def test_cannot_order_for_someone_elses_right(parties):
    foreign = make_right(make_org())
    with pytest.raises(ValidationFailed) as caught:
        order_for(parties, right=foreign)
    assert "right_ids" in caught.value.fields


def test_quotes_then_acceptance_engages_one_provider(parties):
    order = order_for(parties)
    assert order.status is OrderStatus.REQUESTED
    first = quote(parties, order)
    second = quote(parties, order, "other", fee=400_000)
    assert order.status is OrderStatus.QUOTED
    revised = quote(parties, order, fee=450_000)  # a provider revises its own quote
    assert revised.id == first.id and first.fee == 450_000
    services.accept_quote(second, actor=parties["holder_user"])
    assert order.status is OrderStatus.ACCEPTED
    assert order.provider_org_id == parties["other"].id
    assert first.status is QuoteStatus.DECLINED and second.status is QuoteStatus.ACCEPTED
    assert order.accepted_quote is second
    with pytest.raises(Conflict):
        services.accept_quote(first, actor=parties["holder_user"])


def test_only_providers_of_the_right_kind_quote(parties):
    order = order_for(parties)
    lawyer = make_org(OrgKind.LAW_FIRM)
    with pytest.raises(PermissionDenied):
        services.submit_quote(order, lawyer, actor=make_user(lawyer), fee=1, delivery_date=today())
    with pytest.raises(ValidationFailed):
        quote(parties, order, fee=0)


def test_invited_provider_is_the_only_one_who_quotes(parties):
    order = order_for(parties, invited_org_id=parties["appraiser"].id)
    with pytest.raises(PermissionDenied):
        quote(parties, order, "other")
    quote(parties, order)


def test_delivery_acceptance_and_one_rating(parties):
    order = order_for(parties)
    services.accept_quote(quote(parties, order), actor=parties["holder_user"])
    services.start_work(order, actor=parties["appraiser_user"])
    services.deliver(order, actor=parties["appraiser_user"])
    with pytest.raises(ValidationFailed):
        services.dispute_delivery(order, actor=parties["holder_user"], reason=" ")
    services.dispute_delivery(order, actor=parties["holder_user"], reason="折现率依据不足")
    services.resume_work(order, actor=parties["appraiser_user"])
    services.deliver(order, actor=parties["appraiser_user"])
    services.accept_delivery(order, actor=parties["holder_user"])
    assert order.status is OrderStatus.COMPLETED
    with pytest.raises(ValidationFailed):
        services.rate_order(order, actor=parties["holder_user"], rating=6, comment=None)
    services.rate_order(order, actor=parties["holder_user"], rating=5, comment="专业")
    with pytest.raises(Conflict):
        services.rate_order(order, actor=parties["holder_user"], rating=4, comment=None)
    assert services.provider_rating(parties["appraiser"]) == (5.0, 1)


def test_cancel_declines_open_quotes(parties):
    order = order_for(parties)
    q = quote(parties, order)
    services.cancel_order(order, actor=parties["holder_user"])
    assert order.status is OrderStatus.CANCELLED and q.status is QuoteStatus.DECLINED
