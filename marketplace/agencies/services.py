"""Agency services: publishing them, the directory, agency profiles, ordering from the directory.

Every function flushes and never commits; the caller commits once. Publishing, editing,
deactivating and ordering are in the audit trail. An order placed from the directory is an
ordinary service order invited to the agency, so quotes, work, delivery and rating all run
through :mod:`marketplace.orders.services`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, OrgStatus, User
from marketplace.agencies.models import NATIONWIDE, AgencyService, AgencyServiceOrder
from marketplace.core import audit
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import (
    PROVIDER_KINDS,
    OrderStatus,
    ServiceKind,
    ServiceOrder,
    ValuationPurpose,
)
from marketplace.valuations.indicative import INDUSTRY_LABELS

#: The industries a service can name (the demo's and the registry's keys).
INDUSTRIES: tuple[str, ...] = tuple(INDUSTRY_LABELS)
#: ¥10 million: above any agency fee, and far inside a 32-bit integer of fen.
MAX_PRICE_FEN = 1_000_000_000
#: Three years: long enough for a patent prosecution, short enough to catch a typo.
MAX_DAYS = 1095
MAX_REGIONS = 20
REGION_LENGTH = 40
DESCRIPTION_LENGTH = 4000
SORTS = ("rating", "price", "delivery")

#: Records one validation problem: ``problem(field_name, message)``.
Problem = Callable[[str, str], None]


def offered_kinds(org: Organisation) -> list[ServiceKind]:
    """The service kinds ``org``'s kind of agency may provide (``PROVIDER_KINDS``)."""
    return [kind for kind, providers in PROVIDER_KINDS.items() if org.kind in providers]


def is_agency(org: Organisation | None) -> bool:
    """A verified organisation that may provide at least one kind of service."""
    return org is not None and org.is_verified and bool(offered_kinds(org))


# --- publishing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceData:
    kind: ServiceKind
    title_zh: str
    description: str
    days_min: int
    days_max: int
    title_en: str | None = None
    #: Fen; both None means "quote on request".
    price_min: int | None = None
    price_max: int | None = None
    regions: Sequence[str] = ()
    industries: Sequence[str] = ()


def _text_limit(name: str) -> int:
    return int(AgencyService.__table__.c[name].type.length)


def validate_service_data(org: Organisation, data: ServiceData) -> ServiceData:
    """Check every field and return the data trimmed and de-duplicated.

    :raises ValidationFailed: listing every problem by field name.
    """
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    if data.kind not in offered_kinds(org):
        problem("kind", _("Your kind of agency cannot offer this service."))
    title_zh = data.title_zh.strip()
    title_en = (data.title_en or "").strip() or None
    description = data.description.strip()
    if not title_zh:
        problem("title_zh", _("Enter the title."))
    for name, value in (("title_zh", title_zh), ("title_en", title_en)):
        limit = _text_limit(name)
        if value and len(value) > limit:
            problem(
                name, _("%(n)d characters is too long; at most %(max)d.", n=len(value), max=limit)
            )
    if not description:
        problem("description", _("Describe what the service includes."))
    elif len(description) > DESCRIPTION_LENGTH:
        problem(
            "description",
            _(
                "%(n)d characters is too long; at most %(max)d.",
                n=len(description),
                max=DESCRIPTION_LENGTH,
            ),
        )
    _check_prices(data.price_min, data.price_max, problem)
    _check_days(data.days_min, data.days_max, problem)
    regions = list(dict.fromkeys(r.strip() for r in data.regions if r and r.strip()))
    if not regions:
        problem("regions", _("Name at least one region you serve (or 全国 for anywhere)."))
    elif len(regions) > MAX_REGIONS:
        problem("regions", _("Name at most %(max)d regions.", max=MAX_REGIONS))
    for region in regions:
        if len(region) > REGION_LENGTH:
            problem(
                "regions",
                _(
                    "%(n)d characters is too long; at most %(max)d.",
                    n=len(region),
                    max=REGION_LENGTH,
                ),
            )
    industries = list(dict.fromkeys(data.industries))
    for industry in industries:
        if industry not in INDUSTRIES:
            problem("industries", _("%(value)s is not an industry of the town.", value=industry))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    return replace(
        data,
        title_zh=title_zh,
        title_en=title_en,
        description=description,
        regions=tuple(regions),
        industries=tuple(industries),
    )


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_prices(low: int | None, high: int | None, problem: Problem) -> None:
    if low is None and high is None:
        return  # quote on request
    if low is None or high is None:
        name = "price_min" if low is None else "price_max"
        problem(name, _("Give both ends of the price range, or neither to quote on request."))
        return
    if not _is_whole(low) or not _is_whole(high):
        problem("price_min", _("Prices are whole amounts of fen."))
        return
    if low <= 0:
        problem("price_min", _("The price must be more than zero."))
    if high > MAX_PRICE_FEN:
        problem("price_max", _("The price is too high for an agency service."))
    if high < low:
        problem("price_max", _("The highest price cannot be below the lowest."))


def _check_days(low: int, high: int, problem: Problem) -> None:
    if not _is_whole(low) or not _is_whole(high):
        problem("days_min", _("Delivery times are whole days."))
        return
    if low < 1:
        problem("days_min", _("Delivery takes at least one day."))
    if high > MAX_DAYS:
        problem("days_max", _("Delivery cannot take more than %(n)d days.", n=MAX_DAYS))
    if high < low:
        problem("days_max", _("The longest delivery time cannot be below the shortest."))


def _require_member(org: Organisation, actor: User) -> None:
    """:raises PermissionDenied: ``actor`` is not a member of ``org``, a verified agency."""
    if actor.organisation_id != org.id or not is_agency(org):
        raise PermissionDenied(_("Only members of a verified agency manage its services."))


def snapshot(service: AgencyService) -> dict[str, Any]:
    """The fields the audit trail keeps of a service."""
    return {
        "kind": service.kind,
        "title_zh": service.title_zh,
        "title_en": service.title_en,
        "price_min": service.price_min,
        "price_max": service.price_max,
        "currency": service.currency,
        "days_min": service.days_min,
        "days_max": service.days_max,
        "regions": list(service.regions),
        "industries": list(service.industries),
        "active": service.active,
    }


def _apply(service: AgencyService, data: ServiceData) -> None:
    service.kind = data.kind
    service.title_zh = data.title_zh
    service.title_en = data.title_en
    service.description = data.description
    service.price_min = data.price_min
    service.price_max = data.price_max
    service.days_min = data.days_min
    service.days_max = data.days_max
    service.regions = list(data.regions)
    service.industries = list(data.industries)


def publish_service(org: Organisation, data: ServiceData, *, actor: User) -> AgencyService:
    """Publish a new service of ``org`` in the directory.

    :raises PermissionDenied: ``actor`` is not a member of ``org``, or ``org`` is not a
        verified agency.
    :raises ValidationFailed: a kind ``org`` may not provide, a missing title or description,
        an incomplete or inverted price or delivery range, no region, an unknown industry.
    """
    _require_member(org, actor)
    data = validate_service_data(org, data)
    service = AgencyService(provider_org_id=org.id, active=True)
    _apply(service, data)
    db.session.add(service)
    db.session.flush()
    audit.record(
        "agency_service.published", service, actor=actor, organisation=org, after=snapshot(service)
    )
    return service


def update_service(service: AgencyService, data: ServiceData, *, actor: User) -> AgencyService:
    """Change a service; the audit entry keeps the fields that changed, before and after.

    :raises PermissionDenied: ``actor`` is not a member of the providing agency.
    :raises ValidationFailed: as :func:`publish_service`.
    """
    org = service.provider_org
    _require_member(org, actor)
    data = validate_service_data(org, data)
    before = {**snapshot(service), "description": service.description}
    _apply(service, data)
    after = {**snapshot(service), "description": service.description}
    changed = [name for name in after if after[name] != before[name]]
    db.session.flush()
    if changed:
        audit.record(
            "agency_service.updated",
            service,
            actor=actor,
            organisation=org,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return service


def _set_active(service: AgencyService, active: bool, *, actor: User) -> None:
    _require_member(service.provider_org, actor)
    if service.active is active:
        return
    service.active = active
    db.session.flush()
    audit.record(
        "agency_service.reactivated" if active else "agency_service.deactivated",
        service,
        actor=actor,
        organisation=service.provider_org,
        before={"active": not active},
        after={"active": active},
    )


def deactivate_service(service: AgencyService, *, actor: User) -> None:
    """Take a service out of the directory; orders already placed go on.

    :raises PermissionDenied: ``actor`` is not a member of the providing agency.
    """
    _set_active(service, False, actor=actor)


def reactivate_service(service: AgencyService, *, actor: User) -> None:
    """Show a deactivated service in the directory again.

    :raises PermissionDenied: ``actor`` is not a member of the providing agency.
    """
    _set_active(service, True, actor=actor)


def services_of(org: Organisation, *, active_only: bool = True) -> list[AgencyService]:
    query = sa.select(AgencyService).where(AgencyService.provider_org_id == org.id)
    if active_only:
        query = query.where(AgencyService.active.is_(True))
    return list(
        db.session.scalars(
            query.order_by(AgencyService.active.desc(), AgencyService.kind, AgencyService.id)
        )
    )


# --- the directory -------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilters:
    kind: ServiceKind | None = None
    industry: str | None = None
    region: str | None = None
    #: Fen: services whose lowest price is within it (quote-on-request ones are left out).
    max_price: int | None = None
    sort: str = "rating"


@dataclass(frozen=True)
class DirectoryEntry:
    service: AgencyService
    #: The provider's average rating over its rated orders, or None before the first rating.
    rating: float | None
    rating_count: int


def listed_query() -> sa.Select[AgencyService]:
    """Active services of verified providers: what the directory may show."""
    return (
        sa.select(AgencyService)
        .join(Organisation, Organisation.id == AgencyService.provider_org_id)
        .where(AgencyService.active.is_(True), Organisation.status == OrgStatus.VERIFIED)
    )


def serves_region(service: AgencyService, region: str) -> bool:
    return region in service.regions or NATIONWIDE in service.regions


def serves_industry(service: AgencyService, industry: str) -> bool:
    return not service.industries or industry in service.industries


def ratings_for(orgs: Iterable[Organisation]) -> dict[int, tuple[float | None, int]]:
    """Each provider's rating, once per provider however many services it lists."""
    return {org.id: orders.provider_rating(org) for org in {o.id: o for o in orgs}.values()}


def _sort_key(sort: str) -> Any:
    def key(entry: DirectoryEntry) -> tuple[Any, ...]:
        service = entry.service
        price = (service.price_min is None, service.price_min or 0, service.price_max or 0)
        delivery = (service.days_max, service.days_min)
        rating = (entry.rating is None, -(entry.rating or 0), -entry.rating_count)
        order = {"price": (price, rating), "delivery": (delivery, rating)}.get(
            sort, (rating, price)
        )
        return (*order, service.id)

    return key


def directory(filters: DirectoryFilters) -> list[DirectoryEntry]:
    """The directory's services matching ``filters``, sorted by rating, price or delivery.

    Region and industry lists are small JSON arrays, matched here rather than in SQL so that
    SQLite and PostgreSQL agree; the directory holds hundreds of services, not millions.
    """
    query = listed_query()
    if filters.kind is not None:
        query = query.where(AgencyService.kind == filters.kind)
    if filters.max_price is not None:
        query = query.where(AgencyService.price_min <= filters.max_price)
    found = [
        s
        for s in db.session.scalars(query)
        if (not filters.region or serves_region(s, filters.region))
        and (not filters.industry or serves_industry(s, filters.industry))
    ]
    ratings = ratings_for(s.provider_org for s in found)
    entries = [DirectoryEntry(s, *ratings[s.provider_org_id]) for s in found]
    return sorted(entries, key=_sort_key(filters.sort if filters.sort in SORTS else "rating"))


def entry_for(service: AgencyService) -> DirectoryEntry:
    return DirectoryEntry(service, *orders.provider_rating(service.provider_org))


def listed_regions() -> list[str]:
    """The regions named by listed services, for the directory's region filter."""
    regions: set[str] = set()
    for service in db.session.scalars(listed_query()):
        regions.update(service.regions)
    return sorted(regions)


# --- agency profiles -----------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyProfile:
    org: Organisation
    services: list[AgencyService]
    rating: float | None
    rating_count: int
    completed_orders: int


def completed_orders(org: Organisation) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(ServiceOrder.id)).where(
                ServiceOrder.provider_org_id == org.id,
                ServiceOrder.status == OrderStatus.COMPLETED,
            )
        )
        or 0
    )


def agency_profile(org: Organisation) -> AgencyProfile:
    rating, count = orders.provider_rating(org)
    return AgencyProfile(
        org=org,
        services=services_of(org),
        rating=rating,
        rating_count=count,
        completed_orders=completed_orders(org),
    )


# --- ordering from the directory -----------------------------------------------------------


def is_orderable(service: AgencyService) -> bool:
    return service.active and service.provider_org.status is OrgStatus.VERIFIED


@dataclass(frozen=True)
class ServiceOrderRequest:
    right_ids: Sequence[int] = ()
    description: str = ""
    purpose: ValuationPurpose | None = None
    wanted_by: date | None = None


def order_service(
    service: AgencyService, org: Organisation, data: ServiceOrderRequest, *, actor: User
) -> ServiceOrder:
    """Order ``service`` for ``org``: a service order of its kind, invited to its agency only.

    The agency then quotes, and the order runs the usual lifecycle. The order's description
    starts with the service's title, so the agency sees what was ordered from its catalogue.

    :raises Conflict: the service is no longer offered.
    :raises ValidationFailed / RightNotVerified / RightDisputed: as
        :func:`marketplace.orders.services.create_order`.
    """
    if not is_orderable(service):
        raise Conflict(_("This service is no longer offered."))
    wanted = data.description.strip()
    order = orders.create_order(
        org,
        orders.OrderRequest(
            kind=service.kind,
            right_ids=data.right_ids,
            description=f"{service.title_zh}\n\n{wanted}" if wanted else service.title_zh,
            purpose=data.purpose,
            invited_org_id=service.provider_org_id,
            wanted_by=data.wanted_by,
        ),
        actor=actor,
    )
    db.session.add(AgencyServiceOrder(order_id=order.id, service_id=service.id))
    db.session.flush()
    audit.record(
        "agency_service.ordered",
        service,
        actor=actor,
        organisation=org,
        after={"order_id": order.id, "kind": service.kind},
    )
    return order


def service_for_order(order: ServiceOrder) -> AgencyService | None:
    """The directory service an order was placed from, if any."""
    link = db.session.get(AgencyServiceOrder, order.id)
    return link.service if link else None
