"""Services that agencies publish in the directory, and which order came from which service.

An ordered service becomes an ordinary :class:`~marketplace.orders.models.ServiceOrder` invited
to the agency: the directory is a catalogue in front of the one order lifecycle, not a second one.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db
from marketplace.orders.models import ServiceKind, ServiceOrder

#: A region entry that serves clients anywhere: it matches every region filter.
NATIONWIDE = "全国"


class AgencyService(db.Model):
    __tablename__ = "agency_services"
    __table_args__ = (
        # Both ends of the price range, or neither ("quote on request"). The IS NOT NULL terms
        # matter: with one end NULL the comparison is NULL, and a NULL check passes.
        sa.CheckConstraint(
            "(price_min IS NULL AND price_max IS NULL) OR (price_min IS NOT NULL"
            " AND price_max IS NOT NULL AND price_min > 0 AND price_max >= price_min)",
            name="price",
        ),
        sa.CheckConstraint("days_min >= 1 AND days_max >= days_min", name="days"),
        sa.Index("ix_agency_services_provider_active", "provider_org_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    kind: Mapped[ServiceKind] = mapped_column(enum_type(ServiceKind), index=True)
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Price range in fen; both None means the agency quotes on request.
    price_min: Mapped[int | None]
    price_max: Mapped[int | None]
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: Delivery time in calendar days from the accepted quote.
    days_min: Mapped[int]
    days_max: Mapped[int]
    #: Regions served, e.g. ``["长春新区", "长春市"]``; ``全国`` serves everywhere.
    regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Industry keys (``automotive``, ...); an empty list means every industry.
    industries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    provider_org: Mapped[Organisation] = relationship()

    @property
    def quote_on_request(self) -> bool:
        return self.price_min is None

    def title(self, locale: str = "zh") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_zh


class AgencyServiceOrder(db.Model):
    """Which directory service a service order was placed from (one row per such order)."""

    __tablename__ = "agency_service_orders"

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("service_orders.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("agency_services.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[ServiceOrder] = relationship()
    service: Mapped[AgencyService] = relationship()
