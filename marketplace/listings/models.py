"""Listings (one right or a lot), NDA acceptances, co-owner consents, demand posts, broker
mandates."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db
from marketplace.rights.models import EVERYWHERE, Right


class DealType(enum.StrEnum):
    ASSIGNMENT = "assignment"  # 转让
    EXCLUSIVE = "exclusive"  # 独占许可
    SOLE = "sole"  # 排他许可
    NON_EXCLUSIVE = "non_exclusive"  # 普通许可
    OPEN_LICENCE = "open_licence"  # 开放许可

    @property
    def is_licence(self) -> bool:
        return self is not DealType.ASSIGNMENT


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNDER_NEGOTIATION = "under_negotiation"
    CLOSED = "closed"  # sold or licensed
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


#: The listing lifecycle; ``services.move_listing`` refuses anything else.
LISTING_TRANSITIONS: frozenset[tuple[ListingStatus, ListingStatus]] = frozenset(
    {
        (ListingStatus.DRAFT, ListingStatus.PUBLISHED),
        (ListingStatus.DRAFT, ListingStatus.WITHDRAWN),
        (ListingStatus.PUBLISHED, ListingStatus.UNDER_NEGOTIATION),
        (ListingStatus.PUBLISHED, ListingStatus.CLOSED),
        (ListingStatus.PUBLISHED, ListingStatus.WITHDRAWN),
        (ListingStatus.PUBLISHED, ListingStatus.EXPIRED),
        (ListingStatus.UNDER_NEGOTIATION, ListingStatus.PUBLISHED),
        (ListingStatus.UNDER_NEGOTIATION, ListingStatus.CLOSED),
        (ListingStatus.UNDER_NEGOTIATION, ListingStatus.WITHDRAWN),
        (ListingStatus.EXPIRED, ListingStatus.PUBLISHED),
        (ListingStatus.WITHDRAWN, ListingStatus.DRAFT),
    }
)
#: Listings visitors can find.
VISIBLE_STATUSES = frozenset({ListingStatus.PUBLISHED, ListingStatus.UNDER_NEGOTIATION})

listing_rights = sa.Table(
    "listing_rights",
    db.metadata,
    sa.Column("listing_id", sa.ForeignKey("listings.id"), primary_key=True),
    sa.Column("right_id", sa.ForeignKey("rights.id"), primary_key=True),
)


class Listing(db.Model):
    __tablename__ = "listings"
    __table_args__ = (
        sa.CheckConstraint("asking_price IS NULL OR asking_price > 0", name="asking_price"),
        sa.CheckConstraint(
            "royalty_rate IS NULL OR (royalty_rate >= 0 AND royalty_rate <= 10000)",
            name="royalty_rate",
        ),
        sa.CheckConstraint(
            "licence_ends_on IS NULL OR licence_starts_on IS NULL "
            "OR licence_ends_on >= licence_starts_on",
            name="licence_term",
        ),
        sa.CheckConstraint("closed_price IS NULL OR closed_price > 0", name="closed_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Public teaser: what any visitor sees.
    teaser: Mapped[str] = mapped_column(sa.Text)
    #: Confidential details, shown only after the visitor's organisation accepts the NDA.
    details: Mapped[str] = mapped_column(sa.Text, default="")
    deal_type: Mapped[DealType] = mapped_column(enum_type(DealType), index=True)
    #: Asking price (assignment) or licence fee, in fen; None means negotiable (面议).
    asking_price: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: Running royalty in basis points of net sales (licences), if any.
    royalty_rate: Mapped[int | None]
    territory: Mapped[str] = mapped_column(sa.String(100), default=EVERYWHERE)
    field_of_use: Mapped[str] = mapped_column(sa.String(100), default=EVERYWHERE)
    licence_starts_on: Mapped[date | None]
    licence_ends_on: Mapped[date | None]
    #: Standard terms of an open licence, accepted in one step.
    open_terms: Mapped[str | None] = mapped_column(sa.Text)
    industry: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    region: Mapped[str] = mapped_column(sa.String(100), default="长春新区")
    status: Mapped[ListingStatus] = mapped_column(
        enum_type(ListingStatus), default=ListingStatus.DRAFT, index=True
    )
    featured: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    expires_on: Mapped[date | None]
    #: The outcome once closed: price in fen and/or royalty rate in basis points.
    closed_price: Mapped[int | None] = mapped_column(sa.BigInteger)
    closed_royalty_rate: Mapped[int | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    seller_org: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()
    rights: Mapped[list[Right]] = relationship(secondary=listing_rights, order_by="Right.id")

    @property
    def is_lot(self) -> bool:
        return len(self.rights) > 1

    @property
    def is_visible(self) -> bool:
        return self.status in VISIBLE_STATUSES


class NdaAcceptance(db.Model):
    """An organisation accepted a listing's non-disclosure agreement (recorded, never undone)."""

    __tablename__ = "nda_acceptances"
    __table_args__ = (sa.UniqueConstraint("listing_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: Version of the NDA text accepted.
    nda_version: Mapped[str] = mapped_column(sa.String(20))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class CoOwnerConsent(db.Model):
    """A co-owner's consent to assigning (or exclusively licensing) a jointly owned right."""

    __tablename__ = "co_owner_consents"
    __table_args__ = (sa.UniqueConstraint("listing_id", "right_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)


class DemandVisibility(enum.StrEnum):
    PUBLIC = "public"
    AGENCIES = "agencies"  # verified agencies only


class DemandStatus(enum.StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"


class Demand(db.Model):
    """A company's wanted technology (技术需求)."""

    __tablename__ = "demands"
    __table_args__ = (
        sa.CheckConstraint(
            "budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max", name="budget"
        ),
        sa.CheckConstraint("budget_min IS NULL OR budget_min > 0", name="budget_min"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    #: Budget range in fen; None for an open end.
    budget_min: Mapped[int | None] = mapped_column(sa.BigInteger)
    budget_max: Mapped[int | None] = mapped_column(sa.BigInteger)
    industry: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    ipc_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    region: Mapped[str] = mapped_column(sa.String(100), default="长春新区")
    deadline: Mapped[date | None]
    visibility: Mapped[DemandVisibility] = mapped_column(
        enum_type(DemandVisibility), default=DemandVisibility.PUBLIC
    )
    status: Mapped[DemandStatus] = mapped_column(
        enum_type(DemandStatus), default=DemandStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation] = relationship()


class MandateStatus(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class Mandate(db.Model):
    """A technology broker's mandate on a listing or a demand post, with its commission rate,
    shown to both sides."""

    __tablename__ = "mandates"
    __table_args__ = (
        sa.CheckConstraint("(listing_id IS NULL) <> (demand_id IS NULL)", name="one_subject"),
        sa.CheckConstraint(
            "commission_rate > 0 AND commission_rate <= 3000", name="commission_rate"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broker_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    listing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    demand_id: Mapped[int | None] = mapped_column(sa.ForeignKey("demands.id"), index=True)
    #: Commission in basis points of the deal price (at most 30 %).
    commission_rate: Mapped[int]
    #: The principal (seller or demand poster) who granted the mandate.
    granted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[MandateStatus] = mapped_column(
        enum_type(MandateStatus), default=MandateStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    broker_org: Mapped[Organisation] = relationship()
    listing: Mapped[Listing | None] = relationship()
    demand: Mapped[Demand | None] = relationship()

    @property
    def principal_org_id(self) -> int:
        return self.listing.seller_org_id if self.listing else self.demand.org_id  # type: ignore[union-attr]


class FieldFollow(db.Model):
    """A technology broker follows an industry: good new matches in it are sent to the broker."""

    __tablename__ = "field_follows"
    __table_args__ = (sa.UniqueConstraint("org_id", "industry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    industry: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchNotice(db.Model):
    """A good match that was announced, so it is announced once."""

    __tablename__ = "match_notices"
    __table_args__ = (sa.UniqueConstraint("listing_id", "demand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id"))
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demands.id"))
    score: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
