"""IP rights, their owners, legal-status events, ownership claims with evidence, and disputes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db
from marketplace.rights.kinds import RightKind

#: Shares are stored in basis points: 10 000 = 100 %.
FULL_SHARE = 10_000


class RightStatus(enum.StrEnum):
    PENDING = "pending"  # filed, not yet granted or registered
    IN_FORCE = "in_force"
    GRACE_PERIOD = "grace_period"  # fee (or trademark renewal) overdue, still payable
    LAPSED = "lapsed"  # fee unpaid after the grace period: ended back to the due date
    EXPIRED = "expired"  # end of term
    UNDER_INVALIDATION = "under_invalidation"
    INVALIDATED = "invalidated"
    SUSPENDED = "suspended"  # procedures suspended: ownership dispute or court preservation


#: Statuses set only by legal-status updates, never by the clock.
STICKY_STATUSES = frozenset(
    {RightStatus.UNDER_INVALIDATION, RightStatus.INVALIDATED, RightStatus.SUSPENDED}
)
#: A right "in force" for trading and pledging purposes.
LIVE_STATUSES = frozenset({RightStatus.IN_FORCE})


class Right(db.Model):
    __tablename__ = "rights"
    __table_args__ = (
        sa.UniqueConstraint("kind", "number"),
        sa.CheckConstraint("claim_count IS NULL OR claim_count >= 0", name="claim_count"),
        sa.CheckConstraint("forward_citations >= 0", name="forward_citations"),
        sa.CheckConstraint("term_adjustment_days >= 0", name="term_adjustment_days"),
        sa.CheckConstraint("term_extension_days >= 0", name="term_extension_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RightKind] = mapped_column(enum_type(RightKind))
    #: Canonical number: application number for patents (``202023135860.6``), registration
    #: number for trademarks, software copyrights and plant varieties.
    number: Mapped[str] = mapped_column(sa.String(40))
    publication_number: Mapped[str | None] = mapped_column(sa.String(20))
    title_zh: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str | None] = mapped_column(sa.String(300))
    abstract: Mapped[str | None] = mapped_column(sa.Text)
    industry: Mapped[str | None] = mapped_column(sa.String(40), index=True)

    filing_date: Mapped[date | None]
    grant_date: Mapped[date | None]
    registration_date: Mapped[date | None]
    #: Copyright: first publication, completion, and (natural-person author) death dates.
    first_publication_date: Mapped[date | None]
    completion_date: Mapped[date | None]
    author_death_date: Mapped[date | None]
    author_is_natural_person: Mapped[bool] = mapped_column(default=False)
    #: Plant varieties: ``woody`` (trees, vines) or ``other``.
    plant_category: Mapped[str | None] = mapped_column(sa.String(10))
    term_adjustment_days: Mapped[int] = mapped_column(default=0)
    term_extension_days: Mapped[int] = mapped_column(default=0)
    drug_approval_date: Mapped[date | None]
    renewal_count: Mapped[int] = mapped_column(default=0)

    #: IPC codes such as ``H01M 10/052``.
    ipc_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    locarno_class: Mapped[str | None] = mapped_column(sa.String(10))
    nice_classes: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    inventors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Number of patent claims (权利要求项数) -- not ownership claims.
    claim_count: Mapped[int | None]
    #: Foreign family members such as ``US2021123456A1``.
    family_members: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    forward_citations: Mapped[int] = mapped_column(default=0)

    status: Mapped[RightStatus] = mapped_column(
        enum_type(RightStatus), default=RightStatus.PENDING, index=True
    )
    status_since: Mapped[date | None]
    #: Last day covered by the annual fees paid (patents).
    paid_through: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owners: Mapped[list[RightOwner]] = relationship(
        back_populates="right", cascade="all, delete-orphan", order_by="RightOwner.id"
    )
    events: Mapped[list[RightEvent]] = relationship(
        back_populates="right", order_by="(RightEvent.occurred_on, RightEvent.id)"
    )

    def owner_row(self, org: Organisation | int | None) -> RightOwner | None:
        org_id = org if isinstance(org, int) or org is None else org.id
        return next((o for o in self.owners if o.organisation_id == org_id), None)

    @property
    def verified_owner_ids(self) -> set[int]:
        return {o.organisation_id for o in self.owners if o.verified_at is not None}

    @property
    def display_number(self) -> str:
        return f"ZL{self.number}" if self.kind.is_patent and self.grant_date else self.number


class RightOwner(db.Model):
    __tablename__ = "right_owners"
    __table_args__ = (
        sa.UniqueConstraint("right_id", "organisation_id"),
        sa.CheckConstraint(f"share > 0 AND share <= {FULL_SHARE}", name="share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: Basis points of ownership (10 000 = sole owner).
    share: Mapped[int] = mapped_column(default=FULL_SHARE)
    #: Set when an ownership claim of this organisation was verified.
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    right: Mapped[Right] = relationship(back_populates="owners")
    organisation: Mapped[Organisation] = relationship()


class RightEvent(db.Model):
    """A dated event in a right's legal life: the timeline's source besides the audit trail."""

    __tablename__ = "right_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"), index=True)
    occurred_on: Mapped[date]
    #: ``status_changed``, ``fee_paid``, ``invalidation_requested``, ``reminder_sent``, ...
    event: Mapped[str] = mapped_column(sa.String(40))
    #: ``clock`` (the daily job), ``import:<file>``, ``user``, or a feed name.
    source: Mapped[str] = mapped_column(sa.String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    right: Mapped[Right] = relationship(back_populates="events")


class ClaimStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"
    #: Another organisation already holds the right verified: the operator must resolve.
    DISPUTED = "disputed"
    WITHDRAWN = "withdrawn"


CLAIM_TRANSITIONS: frozenset[tuple[ClaimStatus, ClaimStatus]] = frozenset(
    {
        (ClaimStatus.SUBMITTED, ClaimStatus.VERIFIED),
        (ClaimStatus.SUBMITTED, ClaimStatus.REJECTED),
        (ClaimStatus.SUBMITTED, ClaimStatus.DISPUTED),
        (ClaimStatus.SUBMITTED, ClaimStatus.WITHDRAWN),
        (ClaimStatus.DISPUTED, ClaimStatus.VERIFIED),
        (ClaimStatus.DISPUTED, ClaimStatus.REJECTED),
        (ClaimStatus.DISPUTED, ClaimStatus.WITHDRAWN),
    }
)
OPEN_CLAIM_STATUSES = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.DISPUTED})


class OwnershipClaim(db.Model):
    """A rights holder's claim that it owns a right (确权), with evidence for a reviewer."""

    __tablename__ = "ownership_claims"
    __table_args__ = (sa.CheckConstraint(f"share > 0 AND share <= {FULL_SHARE}", name="share"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: The patent agency asked to review; None leaves it to the operator.
    reviewer_org_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    share: Mapped[int] = mapped_column(default=FULL_SHARE)
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    status: Mapped[ClaimStatus] = mapped_column(
        enum_type(ClaimStatus), default=ClaimStatus.SUBMITTED, index=True
    )
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    right: Mapped[Right] = relationship()
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    reviewer_org: Mapped[Organisation | None] = relationship(foreign_keys=[reviewer_org_id])
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    evidence: Mapped[list[EvidenceFile]] = relationship(
        back_populates="claim", order_by="EvidenceFile.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CLAIM_STATUSES


class EvidenceKind(enum.StrEnum):
    CERTIFICATE = "certificate"  # 证书
    REGISTER_EXTRACT = "register_extract"  # 登记簿副本
    ASSIGNMENT_RECORD = "assignment_record"  # 转让登记/合同
    OTHER = "other"


class EvidenceFile(db.Model):
    __tablename__ = "evidence_files"
    __table_args__ = (sa.CheckConstraint("size > 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("ownership_claims.id"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(enum_type(EvidenceKind))
    #: The uploader's file name, for display only; the file is stored under ``stored_name``.
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    claim: Mapped[OwnershipClaim] = relationship(back_populates="evidence")


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Dispute(db.Model):
    """Two organisations claim the same right; both are blocked until the operator decides."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"), index=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("ownership_claims.id"), unique=True)
    #: The organisation that held the right verified when the claim came in.
    holder_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    status: Mapped[DisputeStatus] = mapped_column(
        enum_type(DisputeStatus), default=DisputeStatus.OPEN, index=True
    )
    #: ``claimant`` or ``holder``: whose ownership the operator upheld.
    upheld: Mapped[str | None] = mapped_column(sa.String(10))
    resolution: Mapped[str | None] = mapped_column(sa.String(1000))
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    right: Mapped[Right] = relationship()
    claim: Mapped[OwnershipClaim] = relationship()
    holder_org: Mapped[Organisation] = relationship()


class FeeReminder(db.Model):
    """One reminder per right, fee year and lead time, so the daily job never repeats itself."""

    __tablename__ = "fee_reminders"
    __table_args__ = (sa.UniqueConstraint("right_id", "due_on", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"), index=True)
    due_on: Mapped[date]
    days_before: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class LicenceType(enum.StrEnum):
    EXCLUSIVE = "exclusive"  # 独占: one licensee; the owner may not use it either
    SOLE = "sole"  # 排他: one licensee; the owner may also use it
    NON_EXCLUSIVE = "non_exclusive"  # 普通
    OPEN = "open_licence"  # 开放许可: non-exclusive at published terms


#: Licence types that shut out other licensees in their territory, field and time.
EXCLUSIVE_TYPES = frozenset({LicenceType.EXCLUSIVE, LicenceType.SOLE})

#: A territory or field of use that covers every other one.
EVERYWHERE = "all"


class Licence(db.Model):
    """A licence granted on a right: recorded by the owner or created when a deal closes.
    Listings, pledges and deals read these to refuse conflicting exclusivity."""

    __tablename__ = "licences"
    __table_args__ = (sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"), index=True)
    licensee_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    #: For licences recorded from outside the platform, the licensee's name as registered.
    licensee_name: Mapped[str] = mapped_column(sa.String(200))
    licence_type: Mapped[LicenceType] = mapped_column(enum_type(LicenceType))
    #: ``all`` or a region (province or city) the licence covers.
    territory: Mapped[str] = mapped_column(sa.String(100), default=EVERYWHERE)
    #: ``all`` or a field of use such as ``新能源汽车``.
    field_of_use: Mapped[str] = mapped_column(sa.String(100), default=EVERYWHERE)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    #: The listing whose closing or acceptance created it, if any.
    listing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    right: Mapped[Right] = relationship()

    def in_force(self, on: date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)
