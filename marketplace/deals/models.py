"""Deals: the negotiation room of a listing, the agreed terms, the contract and its signatures,
the recordal with the registry authority, and running-royalty reports.

Money is integer fen with a currency; the money itself moves in ``marketplace/payments/``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db
from marketplace.listings.models import DealType

if TYPE_CHECKING:
    from marketplace.accounts.models import Organisation, User
    from marketplace.listings.models import Demand, Listing, Mandate


class PaymentStructure(enum.StrEnum):
    LUMP_SUM = "lump_sum"  # 一次总付
    INSTALMENTS = "instalments"  # 分期支付
    UPFRONT_AND_ROYALTY = "upfront_and_royalty"  # 入门费 + 提成
    MILESTONES = "milestones"  # 按里程碑支付


class ReportingPeriod(enum.StrEnum):
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


class DealStatus(enum.StrEnum):
    NEGOTIATING = "negotiating"
    AGREED = "agreed"  # terms agreed, contract generated, awaiting signatures
    SIGNED = "signed"  # both parties signed: the buyer may pay
    FUNDED = "funded"  # the price is held in escrow
    RECORDAL_FILED = "recordal_filed"
    COMPLETED = "completed"  # recorded, paid out, right changed or licence recorded
    CANCELLED = "cancelled"


DEAL_TRANSITIONS: frozenset[tuple[DealStatus, DealStatus]] = frozenset(
    {
        (DealStatus.NEGOTIATING, DealStatus.AGREED),
        (DealStatus.NEGOTIATING, DealStatus.CANCELLED),
        (DealStatus.AGREED, DealStatus.SIGNED),
        (DealStatus.AGREED, DealStatus.CANCELLED),
        (DealStatus.SIGNED, DealStatus.FUNDED),
        (DealStatus.SIGNED, DealStatus.CANCELLED),
        (DealStatus.FUNDED, DealStatus.RECORDAL_FILED),
        (DealStatus.FUNDED, DealStatus.CANCELLED),  # refunded before settlement
        (DealStatus.RECORDAL_FILED, DealStatus.COMPLETED),
        (DealStatus.RECORDAL_FILED, DealStatus.FUNDED),  # the authority refused: correct, refile
        (DealStatus.RECORDAL_FILED, DealStatus.CANCELLED),
    }
)
OPEN_DEAL_STATUSES = frozenset(
    {
        DealStatus.NEGOTIATING,
        DealStatus.AGREED,
        DealStatus.SIGNED,
        DealStatus.FUNDED,
        DealStatus.RECORDAL_FILED,
    }
)


class Deal(db.Model):
    """One buyer's deal on one listing (optionally arising from a demand post)."""

    __tablename__ = "deals"
    __table_args__ = (
        sa.CheckConstraint("seller_org_id <> buyer_org_id", name="parties"),
        sa.CheckConstraint("price IS NULL OR price >= 0", name="price"),
        sa.CheckConstraint("commission_bp BETWEEN 0 AND 3000", name="commission"),
        sa.CheckConstraint("platform_fee_bp BETWEEN 0 AND 2000", name="platform_fee"),
        sa.Index(
            "uq_deals_holding_listing",
            "listing_id",
            unique=True,
            sqlite_where=sa.text("holds_listing"),
            postgresql_where=sa.text("holds_listing"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``IPT-D-2026-000012``.
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    demand_id: Mapped[int | None] = mapped_column(sa.ForeignKey("demands.id"))
    seller_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: The broker with a mandate on the listing or the demand, and its commission (bp of price).
    mandate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mandates.id"))
    broker_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    commission_bp: Mapped[int] = mapped_column(default=0)
    #: The platform's fee on the price, in basis points, fixed when the deal opens.
    platform_fee_bp: Mapped[int] = mapped_column(default=300)
    deal_type: Mapped[DealType] = mapped_column(enum_type(DealType))
    status: Mapped[DealStatus] = mapped_column(
        enum_type(DealStatus), default=DealStatus.NEGOTIATING, index=True
    )
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    price: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: An agreed assignment or exclusive/sole licence holds its listing: at most one deal per
    #: listing may (partial unique index), so two buyers can never both win the same right.
    holds_listing: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    agreed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    listing: Mapped[Listing] = relationship()
    demand: Mapped[Demand | None] = relationship()
    mandate: Mapped[Mandate | None] = relationship()
    seller_org: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    buyer_org: Mapped[Organisation] = relationship(foreign_keys=[buyer_org_id])
    broker_org: Mapped[Organisation | None] = relationship(foreign_keys=[broker_org_id])
    offers: Mapped[list[Offer]] = relationship(back_populates="deal", order_by="Offer.id")
    messages: Mapped[list[DealMessage]] = relationship(order_by="DealMessage.id")
    documents: Mapped[list[DealDocument]] = relationship(order_by="DealDocument.id")
    contracts: Mapped[list[Contract]] = relationship(back_populates="deal", order_by="Contract.id")
    recordals: Mapped[list[Recordal]] = relationship(order_by="Recordal.id")

    @property
    def agreed_offer(self) -> Offer | None:
        """The accepted offer: the deal's terms."""
        return next((o for o in self.offers if o.status is OfferStatus.ACCEPTED), None)

    @property
    def contract(self) -> Contract | None:
        return self.contracts[-1] if self.contracts else None

    def party_ids(self) -> set[int]:
        ids = {self.seller_org_id, self.buyer_org_id}
        if self.broker_org_id:
            ids.add(self.broker_org_id)
        return ids


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    COUNTERED = "countered"  # answered by a counter-offer
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class Offer(db.Model):
    """Terms one side proposes; the other side accepts, rejects or counters."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.CheckConstraint("price >= 0", name="price"),
        sa.CheckConstraint(
            "royalty_rate_bp IS NULL OR royalty_rate_bp BETWEEN 0 AND 10000", name="royalty"
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="term"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    by_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: The offer this one counters, if any.
    counters_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id"))
    status: Mapped[OfferStatus] = mapped_column(
        enum_type(OfferStatus), default=OfferStatus.OPEN, index=True
    )
    #: Total fixed price (lump sum, or upfront fee of a royalty licence), fen.
    price: Mapped[int] = mapped_column(sa.BigInteger)
    payment_structure: Mapped[PaymentStructure] = mapped_column(enum_type(PaymentStructure))
    #: Instalments or milestones: ``[{"due_on" | "milestone": str, "amount": fen}, ...]``.
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    royalty_rate_bp: Mapped[int | None]
    reporting_period: Mapped[ReportingPeriod | None] = mapped_column(enum_type(ReportingPeriod))
    #: Licence terms (for licence deals).
    territory: Mapped[str] = mapped_column(sa.String(100), default="all")
    field_of_use: Mapped[str] = mapped_column(sa.String(100), default="all")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    #: Share of the price refunded if the deal is cancelled after funding (bp), per contract.
    refund_on_cancel_bp: Mapped[int] = mapped_column(default=10_000)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="offers")
    by_org: Mapped[Organisation] = relationship()


class DealMessage(db.Model):
    __tablename__ = "deal_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class DealDocument(db.Model):
    """A file shared in the deal room, stored like rights evidence (outside the web root)."""

    __tablename__ = "deal_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    original_name: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contract(db.Model):
    """The contract generated from a versioned template when the terms are agreed."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    #: ``assignment`` or ``licence_<type>`` and the template version, e.g. ``2026-11``.
    template: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[str] = mapped_column(sa.String(20))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="contracts")
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.id")


class Signature(db.Model):
    """A party's signature: signer, time, address and the SHA-256 of the document signed."""

    __tablename__ = "signatures"
    __table_args__ = (sa.UniqueConstraint("contract_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship()


class RecordalKind(enum.StrEnum):
    ASSIGNMENT_REGISTRATION = "assignment_registration"  # 转让登记 (patents, plant varieties)
    ASSIGNMENT_APPROVAL = "assignment_approval"  # 商标转让核准 (published)
    LICENCE_RECORDAL = "licence_recordal"  # 实施许可合同备案
    COPYRIGHT_CONTRACT = "copyright_contract"  # 著作权合同登记 (optional)


class RecordalStatus(enum.StrEnum):
    PREPARED = "prepared"
    FILED = "filed"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class Recordal(db.Model):
    """The filing of a deal with a right's registry authority."""

    __tablename__ = "recordals"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    kind: Mapped[RecordalKind] = mapped_column(enum_type(RecordalKind))
    authority: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[RecordalStatus] = mapped_column(
        enum_type(RecordalStatus), default=RecordalStatus.PREPARED
    )
    #: Licence contracts are recorded within 3 months after the contract takes effect.
    due_on: Mapped[date | None]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: A foreign assignee or licensee: the technology-export licence or registration certificate.
    export_certificate: Mapped[str | None] = mapped_column(sa.String(100))
    filed_at: Mapped[datetime | None]
    accepted_number: Mapped[str | None] = mapped_column(sa.String(60))
    accepted_on: Mapped[date | None]
    refusal: Mapped[str | None] = mapped_column(sa.String(1000))
    warned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoyaltyReportStatus(enum.StrEnum):
    DUE = "due"
    REPORTED = "reported"
    PAID = "paid"
    LATE = "late"


class RoyaltyReport(db.Model):
    """A licensee's report for one period of a running-royalty licence."""

    __tablename__ = "royalty_reports"
    __table_args__ = (
        sa.UniqueConstraint("deal_id", "period_start"),
        sa.CheckConstraint("net_sales IS NULL OR net_sales >= 0", name="net_sales"),
        sa.CheckConstraint("royalty IS NULL OR royalty >= 0", name="royalty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    due_on: Mapped[date]
    status: Mapped[RoyaltyReportStatus] = mapped_column(
        enum_type(RoyaltyReportStatus), default=RoyaltyReportStatus.DUE
    )
    units: Mapped[int | None]
    #: Net sales in fen; the royalty is ``net_sales × rate`` (floor), in fen.
    net_sales: Mapped[int | None] = mapped_column(sa.BigInteger)
    royalty: Mapped[int | None] = mapped_column(sa.BigInteger)
    reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
