"""Who sees and acts on a service order: the orderer, the providers that may quote or were
engaged, and nobody else (appraisals are confidential; not even the operator reads them)."""

from __future__ import annotations

from marketplace.accounts.models import OrgCategory, User
from marketplace.core import policy
from marketplace.orders.models import OrderStatus, Quote, QuoteStatus, ServiceKind, ServiceOrder
from marketplace.orders.services import OPEN_STATUSES, can_quote


def _org(user: User):  # type: ignore[no-untyped-def]
    org = user.organisation
    return org if org is not None and org.is_verified else None


def is_orderer(user: User, order: ServiceOrder) -> bool:
    return _org(user) is not None and user.organisation_id == order.orderer_org_id


def is_provider(user: User, order: ServiceOrder) -> bool:
    return _org(user) is not None and user.organisation_id == order.provider_org_id


@policy.visibility(ServiceOrder)
def _order_visible(user: User, order: ServiceOrder) -> bool:
    org = _org(user)
    if org is None:
        return False
    if org.id in (order.orderer_org_id, order.provider_org_id):
        return True
    if any(q.provider_org_id == org.id for q in order.quotes):
        return True
    return can_quote(org, order)


@policy.action(ServiceOrder, "view")
def _view(user: User, order: ServiceOrder) -> bool:
    return True


@policy.action(ServiceOrder, "quote")
def _quote(user: User, order: ServiceOrder) -> bool:
    return can_quote(_org(user), order)


@policy.action(ServiceOrder, "work")
def _work(user: User, order: ServiceOrder) -> bool:
    return is_provider(user, order) and order.status in (
        OrderStatus.ACCEPTED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.DISPUTED,
    )


@policy.action(ServiceOrder, "appraise")
def _appraise(user: User, order: ServiceOrder) -> bool:
    """The engaged appraiser works on a valuation order's appraisal while the work is open."""
    return (
        order.kind is ServiceKind.VALUATION
        and is_provider(user, order)
        and order.status in (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS)
    )


@policy.action(ServiceOrder, "cancel")
def _cancel(user: User, order: ServiceOrder) -> bool:
    return is_orderer(user, order) and order.status in (*OPEN_STATUSES, OrderStatus.ACCEPTED)


@policy.action(ServiceOrder, "accept_delivery", "dispute")
def _accept_delivery(user: User, order: ServiceOrder) -> bool:
    return is_orderer(user, order) and order.status is OrderStatus.DELIVERED


@policy.action(ServiceOrder, "rate")
def _rate(user: User, order: ServiceOrder) -> bool:
    return (
        is_orderer(user, order) and order.status is OrderStatus.COMPLETED and order.rating is None
    )


@policy.visibility(Quote)
def _quote_visible(user: User, quote: Quote) -> bool:
    return is_orderer(user, quote.order) or user.organisation_id == quote.provider_org_id


@policy.action(Quote, "accept")
def _accept(user: User, quote: Quote) -> bool:
    return (
        is_orderer(user, quote.order)
        and quote.status is QuoteStatus.OFFERED
        and quote.order.status is OrderStatus.QUOTED
    )


@policy.action(None, "orders.create")
def _create(user: User, _: None) -> bool:
    org = _org(user)
    return org is not None and org.category is OrgCategory.RIGHTS_HOLDER


@policy.action(None, "orders.list")
def _list(user: User, _: None) -> bool:
    org = _org(user)
    return org is not None and org.category in (OrgCategory.RIGHTS_HOLDER, OrgCategory.AGENCY)
