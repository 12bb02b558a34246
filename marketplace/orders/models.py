"""Service orders, the providers' quotes, and ratings."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db
from marketplace.rights.models import Right


class ServiceKind(enum.StrEnum):
    VALUATION = "valuation"  # 评估
    PATENT_NAVIGATION = "patent_navigation"  # 专利导航
    LEGAL_OPINION = "legal_opinion"
    FILING = "filing"  # patent agency filing and prosecution
    BROKERAGE = "brokerage"  # technology transfer under a mandate
    PLEDGE_FILING = "pledge_filing"  # 质押登记代办: preparing and filing a pledge registration


#: Which kind of agency may quote for which service.
PROVIDER_KINDS: dict[ServiceKind, frozenset[OrgKind]] = {
    ServiceKind.VALUATION: frozenset({OrgKind.APPRAISER}),
    ServiceKind.PATENT_NAVIGATION: frozenset({OrgKind.PATENT_AGENCY, OrgKind.BROKER}),
    ServiceKind.LEGAL_OPINION: frozenset({OrgKind.LAW_FIRM}),
    ServiceKind.FILING: frozenset({OrgKind.PATENT_AGENCY}),
    ServiceKind.BROKERAGE: frozenset({OrgKind.BROKER}),
    ServiceKind.PLEDGE_FILING: frozenset({OrgKind.PATENT_AGENCY, OrgKind.LAW_FIRM}),
}

#: Services that are about specific rights of the orderer (the others may name none).
RIGHTS_REQUIRED = frozenset({ServiceKind.VALUATION, ServiceKind.FILING, ServiceKind.PLEDGE_FILING})


class ValuationPurpose(enum.StrEnum):
    LICENCE_PRICING = "licence_pricing"
    ASSIGNMENT = "assignment"
    PLEDGE = "pledge"
    CAPITAL_CONTRIBUTION = "capital_contribution"


class OrderStatus(enum.StrEnum):
    REQUESTED = "requested"
    QUOTED = "quoted"
    ACCEPTED = "accepted"  # the orderer accepted one quote
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    COMPLETED = "completed"  # the orderer accepted the delivery
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


#: The order lifecycle; ``services.move_order`` refuses any other step.
ORDER_TRANSITIONS: frozenset[tuple[OrderStatus, OrderStatus]] = frozenset(
    {
        (OrderStatus.REQUESTED, OrderStatus.QUOTED),
        (OrderStatus.QUOTED, OrderStatus.ACCEPTED),
        (OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS),
        (OrderStatus.IN_PROGRESS, OrderStatus.DELIVERED),
        (OrderStatus.DELIVERED, OrderStatus.COMPLETED),
        (OrderStatus.DELIVERED, OrderStatus.DISPUTED),
        (OrderStatus.DISPUTED, OrderStatus.IN_PROGRESS),
        (OrderStatus.DISPUTED, OrderStatus.COMPLETED),
        (OrderStatus.REQUESTED, OrderStatus.CANCELLED),
        (OrderStatus.QUOTED, OrderStatus.CANCELLED),
        (OrderStatus.ACCEPTED, OrderStatus.CANCELLED),
    }
)

order_rights = sa.Table(
    "order_rights",
    db.metadata,
    sa.Column("order_id", sa.ForeignKey("service_orders.id"), primary_key=True),
    sa.Column("right_id", sa.ForeignKey("rights.id"), primary_key=True),
)


class ServiceOrder(db.Model):
    __tablename__ = "service_orders"
    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ServiceKind] = mapped_column(enum_type(ServiceKind), index=True)
    orderer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    ordered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: For valuations: what the value is for.
    purpose: Mapped[ValuationPurpose | None] = mapped_column(enum_type(ValuationPurpose))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The one provider asked to quote; None lets every verified provider of the kind quote.
    invited_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    wanted_by: Mapped[date | None]
    status: Mapped[OrderStatus] = mapped_column(
        enum_type(OrderStatus), default=OrderStatus.REQUESTED, index=True
    )
    provider_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    dispute_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    orderer_org: Mapped[Organisation] = relationship(foreign_keys=[orderer_org_id])
    ordered_by: Mapped[User] = relationship()
    provider_org: Mapped[Organisation | None] = relationship(foreign_keys=[provider_org_id])
    invited_org: Mapped[Organisation | None] = relationship(foreign_keys=[invited_org_id])
    rights: Mapped[list[Right]] = relationship(secondary=order_rights, order_by="Right.id")
    quotes: Mapped[list[Quote]] = relationship(
        back_populates="order", foreign_keys="Quote.order_id", order_by="Quote.id"
    )

    @property
    def accepted_quote(self) -> Quote | None:
        return next((q for q in self.quotes if q.status is QuoteStatus.ACCEPTED), None)


class QuoteStatus(enum.StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"  # another quote was accepted, or the order was cancelled
    WITHDRAWN = "withdrawn"


class Quote(db.Model):
    __tablename__ = "quotes"
    __table_args__ = (
        sa.CheckConstraint("fee > 0", name="fee"),
        sa.UniqueConstraint("order_id", "provider_org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("service_orders.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    quoted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: The fee in fen.
    fee: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    delivery_date: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    status: Mapped[QuoteStatus] = mapped_column(enum_type(QuoteStatus), default=QuoteStatus.OFFERED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[ServiceOrder] = relationship(back_populates="quotes", foreign_keys=[order_id])
    provider_org: Mapped[Organisation] = relationship()
