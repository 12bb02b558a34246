"""The service-order lifecycle: request, quotes, acceptance, work, delivery, rating.

Every function flushes and never commits; the caller commits once. Each step is in the audit
trail and tells the other party.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, OrgStatus, User
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.notifications.services import notify, user_locale
from marketplace.orders.models import (
    ORDER_TRANSITIONS,
    PROVIDER_KINDS,
    RIGHTS_REQUIRED,
    OrderStatus,
    Quote,
    QuoteStatus,
    ServiceKind,
    ServiceOrder,
    ValuationPurpose,
)
from marketplace.rights import services as rights_services
from marketplace.rights.models import Right

OPEN_STATUSES = frozenset({OrderStatus.REQUESTED, OrderStatus.QUOTED})

OrderHook = Callable[[ServiceOrder, OrderStatus, User], None]
#: Called in the same transaction after every step of an order with the status it left; the
#: order payments (``orders/payments.py``) pay the provider on completion, refund on cancel.
ON_MOVED: list[OrderHook] = []


def move_order(order: ServiceOrder, new: OrderStatus, *, actor: User, **after: object) -> None:
    """The one way an order changes status: refuses steps outside :data:`ORDER_TRANSITIONS`."""
    if (order.status, new) not in ORDER_TRANSITIONS:
        from marketplace.valuations.labels import ORDER_STATUS_LABELS

        raise IllegalTransition(
            _(
                "An order cannot go from %(old)s to %(new)s.",
                old=ORDER_STATUS_LABELS[order.status],
                new=ORDER_STATUS_LABELS[new],
            )
        )
    before = order.status
    order.status = new
    audit.record(
        f"order.{new.value}",
        order,
        actor=actor,
        before={"status": before},
        after={"status": new, **after},
    )
    for hook in ON_MOVED:
        hook(order, before, actor)


def tell(org: Organisation | None, title: Callable[[], str], link: str) -> None:
    """Notify every active member of ``org`` in their own language."""
    if org is None:
        return
    for user in org.members:
        if user.is_active:
            with force_locale(user_locale(user)):
                notify(user, title=title(), link=link)


def providers_for(kind: ServiceKind) -> list[Organisation]:
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.kind.in_(PROVIDER_KINDS[kind]),
                Organisation.status == OrgStatus.VERIFIED,
            )
            .order_by(Organisation.name_zh)
        )
    )


def can_quote(org: Organisation | None, order: ServiceOrder) -> bool:
    """Whether ``org`` may offer a quote on ``order`` (a verified provider of the right kind,
    the invited one if the order names one, while the order is open)."""
    return (
        org is not None
        and org.is_verified
        and org.kind in PROVIDER_KINDS[order.kind]
        and order.status in OPEN_STATUSES
        and (order.invited_org_id is None or order.invited_org_id == org.id)
    )


@dataclass(frozen=True)
class OrderRequest:
    kind: ServiceKind
    right_ids: Sequence[int]
    description: str = ""
    purpose: ValuationPurpose | None = None
    invited_org_id: int | None = None
    wanted_by: date | None = None


def create_order(org: Organisation, data: OrderRequest, *, actor: User) -> ServiceOrder:
    """Order a service on rights ``org`` owns (verified, for a valuation).

    :raises ValidationFailed: no rights, a right not the orderer's, no purpose for a valuation,
        a date in the past, an invited organisation that cannot provide this service.
    :raises RightNotVerified / RightDisputed: a valuation of an unconfirmed right.
    """
    problems: dict[str, list[str]] = {}
    rights = [db.session.get(Right, right_id) for right_id in dict.fromkeys(data.right_ids)]
    if not rights and data.kind in RIGHTS_REQUIRED:
        problems["right_ids"] = [_("Choose at least one right.")]
    if any(r is None or r.owner_row(org) is None for r in rights):
        problems["right_ids"] = [_("You can order services only for your own rights.")]
    if data.kind is ServiceKind.VALUATION and data.purpose is None:
        problems["purpose"] = [_("Say what the valuation is for.")]
    if data.wanted_by is not None and data.wanted_by < today():
        problems["wanted_by"] = [_("The date cannot be in the past.")]
    invited = db.session.get(Organisation, data.invited_org_id) if data.invited_org_id else None
    if data.invited_org_id is not None and (
        invited is None or invited not in providers_for(data.kind)
    ):
        problems["invited_org_id"] = [_("Choose a verified provider of this service.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    if data.kind is ServiceKind.VALUATION:
        for right in rights:
            rights_services.require_verified(right, org)  # type: ignore[arg-type]
    order = ServiceOrder(
        kind=data.kind,
        orderer_org_id=org.id,
        ordered_by_id=actor.id,
        purpose=data.purpose,
        description=data.description.strip(),
        invited_org_id=invited.id if invited else None,
        wanted_by=data.wanted_by,
    )
    order.rights.extend(r for r in rights if r is not None)
    db.session.add(order)
    db.session.flush()
    audit.record(
        "order.requested",
        order,
        actor=actor,
        organisation=org,
        after={
            "kind": data.kind,
            "rights": [r.id for r in order.rights],
            "purpose": data.purpose,
            "invited": order.invited_org_id,
        },
    )
    targets = [invited] if invited else providers_for(data.kind)
    for provider in targets:
        tell(
            provider,
            lambda: _("New service order #%(id)d to quote", id=order.id),
            f"/orders/{order.id}",
        )
    return order


def submit_quote(
    order: ServiceOrder,
    org: Organisation,
    *,
    actor: User,
    fee: int,
    delivery_date: date,
    note: str | None = None,
) -> Quote:
    """Offer (or revise) ``org``'s quote: a fee in fen and a delivery date.

    :raises PermissionDenied: ``org`` may not quote on this order.
    :raises ValidationFailed: a fee that is not a positive whole number of fen, a past date.
    """
    if not can_quote(org, order):
        raise PermissionDenied(_("Your organisation cannot quote on this order."))
    problems: dict[str, list[str]] = {}
    if not isinstance(fee, int) or fee <= 0:
        problems["fee"] = [_("The fee must be more than zero.")]
    if delivery_date < today():
        problems["delivery_date"] = [_("The delivery date cannot be in the past.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    quote = next((q for q in order.quotes if q.provider_org_id == org.id), None)
    if quote is None:
        quote = Quote(
            order=order,
            provider_org_id=org.id,
            quoted_by_id=actor.id,
            fee=fee,
            delivery_date=delivery_date,
            note=note,
        )
        db.session.add(quote)
    elif quote.status is not QuoteStatus.OFFERED:
        raise Conflict(_("This quote can no longer be changed."))
    else:
        quote.fee, quote.delivery_date, quote.note = fee, delivery_date, note
        quote.quoted_by_id = actor.id
    db.session.flush()
    audit.record(
        "quote.offered",
        quote,
        actor=actor,
        organisation=org,
        after={
            "order_id": order.id,
            "fee": fee,
            "currency": quote.currency,
            "delivery_date": delivery_date,
        },
    )
    if order.status is OrderStatus.REQUESTED:
        move_order(order, OrderStatus.QUOTED, actor=actor)
    tell(
        order.orderer_org,
        lambda: _("New quote on your order #%(id)d", id=order.id),
        f"/orders/{order.id}",
    )
    return quote


def accept_quote(quote: Quote, *, actor: User) -> ServiceOrder:
    """The orderer accepts one quote; the others are declined and the provider is engaged."""
    order = quote.order
    if quote.status is not QuoteStatus.OFFERED or order.status is not OrderStatus.QUOTED:
        raise Conflict(_("This quote can no longer be accepted."))
    for other in order.quotes:
        if other.id != quote.id and other.status is QuoteStatus.OFFERED:
            other.status = QuoteStatus.DECLINED
            tell(
                other.provider_org,
                lambda: _("Your quote on order #%(id)d was not chosen.", id=order.id),
                f"/orders/{order.id}",
            )
    quote.status = QuoteStatus.ACCEPTED
    order.provider_org_id = quote.provider_org_id
    move_order(
        order,
        OrderStatus.ACCEPTED,
        actor=actor,
        quote_id=quote.id,
        provider=quote.provider_org_id,
        fee=quote.fee,
    )
    tell(
        quote.provider_org,
        lambda: _("Your quote on order #%(id)d was accepted.", id=order.id),
        f"/orders/{order.id}",
    )
    return order


def start_work(order: ServiceOrder, *, actor: User) -> None:
    move_order(order, OrderStatus.IN_PROGRESS, actor=actor)


def deliver(order: ServiceOrder, *, actor: User, **after: object) -> None:
    move_order(order, OrderStatus.DELIVERED, actor=actor, **after)
    order.delivered_at = utcnow()
    tell(
        order.orderer_org,
        lambda: _("Order #%(id)d has been delivered.", id=order.id),
        f"/orders/{order.id}",
    )


def accept_delivery(order: ServiceOrder, *, actor: User) -> None:
    move_order(order, OrderStatus.COMPLETED, actor=actor)
    order.completed_at = utcnow()
    tell(
        order.provider_org,
        lambda: _("Order #%(id)d was accepted by the client.", id=order.id),
        f"/orders/{order.id}",
    )


def dispute_delivery(order: ServiceOrder, *, actor: User, reason: str) -> None:
    if not reason.strip():
        message = _("Say what is wrong with the delivery.")
        raise ValidationFailed(message, fields={"reason": [message]})
    move_order(order, OrderStatus.DISPUTED, actor=actor, reason=reason.strip())
    order.dispute_reason = reason.strip()
    tell(
        order.provider_org,
        lambda: _("The client disputes the delivery of order #%(id)d.", id=order.id),
        f"/orders/{order.id}",
    )


def resume_work(order: ServiceOrder, *, actor: User) -> None:
    move_order(order, OrderStatus.IN_PROGRESS, actor=actor)


def cancel_order(order: ServiceOrder, *, actor: User) -> None:
    move_order(order, OrderStatus.CANCELLED, actor=actor)
    for quote in order.quotes:
        if quote.status in (QuoteStatus.OFFERED, QuoteStatus.ACCEPTED):
            quote.status = QuoteStatus.DECLINED
            tell(
                quote.provider_org,
                lambda: _("Order #%(id)d was cancelled.", id=order.id),
                f"/orders/{order.id}",
            )


def rate_order(order: ServiceOrder, *, actor: User, rating: int, comment: str | None) -> None:
    """:raises Conflict: not completed, or already rated. :raises ValidationFailed: not 1–5."""
    if order.status is not OrderStatus.COMPLETED or order.rating is not None:
        raise Conflict(_("Only a completed order can be rated, once."))
    if rating not in range(1, 6):
        message = _("Give 1 to 5 stars.")
        raise ValidationFailed(message, fields={"rating": [message]})
    order.rating = rating
    order.rating_comment = (comment or "").strip() or None
    audit.record("order.rated", order, actor=actor, after={"rating": rating})


def provider_rating(org: Organisation) -> tuple[float | None, int]:
    """The provider's average rating and how many rated orders it has."""
    row = db.session.execute(
        sa.select(sa.func.avg(ServiceOrder.rating), sa.func.count(ServiceOrder.rating)).where(
            ServiceOrder.provider_org_id == org.id, ServiceOrder.rating.is_not(None)
        )
    ).one()
    return (float(row[0]) if row[0] is not None else None, int(row[1]))
