"""Deal test data: a published listing of a verified right, a buyer, and offer terms."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.core.clock import today
from marketplace.deals import services
from marketplace.deals.models import PaymentStructure
from marketplace.listings import services as listings
from marketplace.listings.models import DealType, Listing
from tests.factories import make_org, make_right, make_user


def party(kind: OrgKind = OrgKind.ENTERPRISE, **fields: Any) -> tuple[Organisation, User]:
    org = make_org(kind, **fields)
    return org, make_user(org)


def published_listing(
    seller: tuple[Organisation, User],
    deal_type: DealType = DealType.EXCLUSIVE,
    *,
    rights: list[Any] | None = None,
    **fields: Any,
) -> Listing:
    org, user = seller
    rights = rights or [make_right(org)]
    values: dict[str, Any] = {
        "title": "车用热泵专利",
        "teaser": "成熟技术",
        "deal_type": deal_type,
        "right_ids": [r.id for r in rights],
        "asking_price": 50_000_000,
    }
    if deal_type.is_licence:
        values["licence_starts_on"] = today()
    values.update(fields)
    listing = listings.create_listing(org, listings.ListingData(**values), actor=user)
    listings.publish_listing(listing, actor=user)
    return listing


def terms(deal_type: DealType = DealType.EXCLUSIVE, **fields: Any) -> services.OfferData:
    values: dict[str, Any] = {"price": 40_000_000}
    if deal_type.is_licence:
        values.update(
            territory="吉林省",
            field_of_use="新能源汽车",
            starts_on=today(),
            ends_on=today() + timedelta(days=3 * 365),
        )
    values.update(fields)
    return services.OfferData(**values)


def instalments(*amounts: int, start: date | None = None) -> dict[str, Any]:
    start = start or today()
    return {
        "payment_structure": PaymentStructure.INSTALMENTS,
        "price": sum(amounts),
        "schedule": tuple(
            services.Instalment(amount=a, due_on=start + timedelta(days=30 * i))
            for i, a in enumerate(amounts)
        ),
    }
