"""Appraisals (the appraiser's working file for one valuation order) and signed reports."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db
from marketplace.orders.models import ServiceOrder


class ValueBasis(enum.StrEnum):
    MARKET_VALUE = "market_value"  # 市场价值
    PLEDGE_VALUE = "pledge_value"  # 质押价值 (a conservative percentile of the range)


class Appraisal(db.Model):
    """The draft an appraiser works on: chosen methods and every input with its source."""

    __tablename__ = "appraisals"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("service_orders.id"), unique=True)
    basis: Mapped[ValueBasis] = mapped_column(
        enum_type(ValueBasis), default=ValueBasis.MARKET_VALUE
    )
    pledge_percentile: Mapped[int] = mapped_column(default=20)
    value_date: Mapped[date | None]
    #: ``{"methods": {key: {"weight": w, "inputs": {name: {value, low, high, source}}}},
    #: "life_years": n}`` -- what the workbench form holds; frozen into a report on signing.
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Seed of the Monte Carlo run, so that the same inputs always give the same range.
    seed: Mapped[int] = mapped_column(default=2026)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[ServiceOrder] = relationship()
    reports: Mapped[list[Report]] = relationship(
        back_populates="appraisal", order_by="Report.version"
    )

    @property
    def current_report(self) -> Report | None:
        return next((r for r in reversed(self.reports) if r.status is ReportStatus.VALID), None)


class ReportStatus(enum.StrEnum):
    VALID = "valid"
    SUPERSEDED = "superseded"


class Report(db.Model):
    """A signed appraisal report: immutable once written; a correction is a new version."""

    __tablename__ = "reports"
    __table_args__ = (
        sa.UniqueConstraint("appraisal_id", "version"),
        sa.CheckConstraint("low <= high", name="range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(sa.ForeignKey("appraisals.id"), index=True)
    #: Printed on every page, e.g. ``IPT-V-2026-000012-1``.
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    version: Mapped[int]
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reports.id"))
    status: Mapped[ReportStatus] = mapped_column(
        enum_type(ReportStatus), default=ReportStatus.VALID
    )
    basis: Mapped[ValueBasis] = mapped_column(enum_type(ValueBasis))
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: Concluded value and the P10 / P50 / P90 range, in fen.
    concluded_value: Mapped[int] = mapped_column(sa.BigInteger)
    low: Mapped[int] = mapped_column(sa.BigInteger)
    mid: Mapped[int] = mapped_column(sa.BigInteger)
    high: Mapped[int] = mapped_column(sa.BigInteger)
    value_date: Mapped[date]
    valid_until: Mapped[date]
    #: The frozen inputs and the results computed from them when the report was signed.
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    results: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    html: Mapped[str] = mapped_column(sa.Text)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: SHA-256 of the PDF as downloaded; in the audit trail too.
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    signed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    appraisal: Mapped[Appraisal] = relationship(back_populates="reports")
    signed_by: Mapped[User] = relationship()
    supersedes: Mapped[Report | None] = relationship(remote_side=[id])
