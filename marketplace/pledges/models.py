"""Pledge financing (知识产权质押融资): loan applications sent to banks, each bank's review and
lending policy, the pledge through registration, monitoring, release and disposal, and the
town's risk-sharing schemes.

A holder's :class:`LoanApplication` (a bundle of rights, an amount, a term) goes to one or more
banks; each bank answers in its own :class:`LoanReview`. The holder accepts one approval, which
becomes a :class:`Pledge`; the pledge holds its rights through :class:`PledgeRight` rows, of
which at most one per right is active (a partial unique index, besides the row locks taken
when a pledge is filed)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import Organisation, User
    from marketplace.listings.models import Listing
    from marketplace.rights.models import Right
    from marketplace.valuations.models import Report


# --- lending policy ----------------------------------------------------------------------------


class LendingPolicy(db.Model):
    """A bank's own lending policy. Rates and haircuts are basis points (10 000 = 100 %)."""

    __tablename__ = "lending_policies"
    __table_args__ = (
        sa.CheckConstraint("buffer_months >= 0", name="buffer_months"),
        sa.CheckConstraint("max_amount > 0", name="max_amount"),
        sa.CheckConstraint("max_term_months > 0", name="max_term_months"),
        sa.CheckConstraint("second_approval_above >= 0", name="second_approval_above"),
        sa.CheckConstraint("value_percentile BETWEEN 10 AND 25", name="value_percentile"),
        sa.CheckConstraint("alert_coverage_bp > 0", name="alert_coverage_bp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), unique=True)
    #: ``{kind: basis points}`` -- a kind absent is not accepted as collateral.
    base_rates: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    #: ``{kind: months}`` -- the shortest remaining term accepted.
    min_remaining_months: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    #: How long every right must outlast the loan.
    buffer_months: Mapped[int] = mapped_column(default=12)
    #: ``{"remaining_term": [[years, bp], ...], "legal_score": [[score, bp], ...],
    #: "legal_score_unknown": bp, "concentration": [[rights, bp], ...], "exclusive_licence": bp}``
    haircuts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Largest loan and term, in fen and months.
    max_amount: Mapped[int] = mapped_column(sa.BigInteger)
    max_term_months: Mapped[int] = mapped_column(default=36)
    #: Approvals above this amount (fen) need a second approver (four eyes).
    second_approval_above: Mapped[int] = mapped_column(sa.BigInteger)
    #: The percentile of a market-value report's range used as the conservative value (P10–P25);
    #: a report concluded on the pledge-value basis is used as concluded.
    value_percentile: Mapped[int] = mapped_column(default=20)
    #: The monitor alerts when collateral value ÷ outstanding principal falls below this
    #: (basis points; 20 000 = the collateral must be worth twice what is owed).
    alert_coverage_bp: Mapped[int] = mapped_column(default=20_000)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    bank_org: Mapped[Organisation] = relationship()


# --- applications and reviews ------------------------------------------------------------------


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"  # the holder accepted one bank's approval
    WITHDRAWN = "withdrawn"


APPLICATION_TRANSITIONS: frozenset[tuple[ApplicationStatus, ApplicationStatus]] = frozenset(
    {
        (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED),
        (ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN),
        (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED),
        (ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN),
    }
)

application_rights = sa.Table(
    "loan_application_rights",
    db.metadata,
    sa.Column("application_id", sa.ForeignKey("loan_applications.id"), primary_key=True),
    sa.Column("right_id", sa.ForeignKey("rights.id"), primary_key=True),
)

application_reports = sa.Table(
    "loan_application_reports",
    db.metadata,
    sa.Column("application_id", sa.ForeignKey("loan_applications.id"), primary_key=True),
    sa.Column("report_id", sa.ForeignKey("reports.id"), primary_key=True),
)


class LoanApplication(db.Model):
    __tablename__ = "loan_applications"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.CheckConstraint("term_months > 0", name="term_months"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``IPT-L-2026-000012``.
    number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    applicant_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus), default=ApplicationStatus.DRAFT, index=True
    )
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    applicant_org: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()
    rights: Mapped[list[Right]] = relationship(secondary=application_rights, order_by="Right.id")
    reports: Mapped[list[Report]] = relationship(
        secondary=application_reports, order_by="Report.id"
    )
    reviews: Mapped[list[LoanReview]] = relationship(
        back_populates="application", order_by="LoanReview.id"
    )
    consents: Mapped[list[PledgeConsent]] = relationship(
        back_populates="application", order_by="PledgeConsent.id"
    )

    def review_by(self, bank: Organisation | int) -> LoanReview | None:
        bank_id = bank if isinstance(bank, int) else bank.id
        return next((r for r in self.reviews if r.bank_org_id == bank_id), None)


class ReviewStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACCEPTED = "accepted"  # the holder took this bank's approval: a pledge follows
    CLOSED = "closed"  # the holder withdrew or took another bank's approval


REVIEW_TRANSITIONS: frozenset[tuple[ReviewStatus, ReviewStatus]] = frozenset(
    {
        (ReviewStatus.SUBMITTED, ReviewStatus.INFO_REQUESTED),
        (ReviewStatus.SUBMITTED, ReviewStatus.AWAITING_SECOND_APPROVAL),
        (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED),
        (ReviewStatus.SUBMITTED, ReviewStatus.REJECTED),
        (ReviewStatus.INFO_REQUESTED, ReviewStatus.SUBMITTED),  # the holder answered
        (ReviewStatus.INFO_REQUESTED, ReviewStatus.REJECTED),
        (ReviewStatus.AWAITING_SECOND_APPROVAL, ReviewStatus.APPROVED),
        (ReviewStatus.AWAITING_SECOND_APPROVAL, ReviewStatus.REJECTED),
        (ReviewStatus.APPROVED, ReviewStatus.ACCEPTED),
        (ReviewStatus.SUBMITTED, ReviewStatus.CLOSED),
        (ReviewStatus.INFO_REQUESTED, ReviewStatus.CLOSED),
        (ReviewStatus.AWAITING_SECOND_APPROVAL, ReviewStatus.CLOSED),
        (ReviewStatus.APPROVED, ReviewStatus.CLOSED),
    }
)
OPEN_REVIEW_STATUSES = frozenset(
    {
        ReviewStatus.SUBMITTED,
        ReviewStatus.INFO_REQUESTED,
        ReviewStatus.AWAITING_SECOND_APPROVAL,
        ReviewStatus.APPROVED,
    }
)


class LoanReview(db.Model):
    """One bank's handling of one application: its decision, terms and reasons."""

    __tablename__ = "loan_reviews"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "bank_org_id"),
        sa.CheckConstraint("approved_amount IS NULL OR approved_amount > 0", name="amount"),
        sa.CheckConstraint("rate_bp IS NULL OR rate_bp BETWEEN 0 AND 10000", name="rate"),
        sa.CheckConstraint(
            "second_approver_id IS NULL OR second_approver_id <> decided_by_id", name="four_eyes"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("loan_applications.id"), index=True)
    bank_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_type(ReviewStatus), default=ReviewStatus.SUBMITTED, index=True
    )
    #: Approved terms: amount in fen, annual interest rate in basis points, term in months.
    approved_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    rate_bp: Mapped[int | None]
    approved_term_months: Mapped[int | None]
    conditions: Mapped[str | None] = mapped_column(sa.Text)
    #: The rights the bank accepts as collateral (a subset of the application's; None: all).
    collateral_right_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    #: The reasons of a rejection, or the question of an information request.
    reasons: Mapped[str | None] = mapped_column(sa.Text)
    #: The holder's answer to an information request.
    answer: Mapped[str | None] = mapped_column(sa.Text)
    #: What the dossier suggested when the decision was taken (fen) and its risk grade.
    suggested_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    risk_grade: Mapped[str | None] = mapped_column(sa.String(1))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    second_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    second_approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[LoanApplication] = relationship(back_populates="reviews")
    bank_org: Mapped[Organisation] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    second_approver: Mapped[User | None] = relationship(foreign_keys=[second_approver_id])
    pledge: Mapped[Pledge | None] = relationship(back_populates="review")


class ConsentGround(enum.StrEnum):
    CO_OWNER = "co_owner"  # a co-owner agrees that the right secures the loan
    UNDER_INVALIDATION = "under_invalidation"  # informed consent: invalidation requested
    SAME_DAY_PAIR = "same_day_pair"  # informed consent: one of a same-day invention/UM pair


class PledgeConsent(db.Model):
    """A consent recorded in the platform by one organisation for one right of an application."""

    __tablename__ = "pledge_consents"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "right_id", "organisation_id", "ground"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("loan_applications.id"), index=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    ground: Mapped[ConsentGround] = mapped_column(enum_type(ConsentGround))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[LoanApplication] = relationship(back_populates="consents")
    organisation: Mapped[Organisation] = relationship()
    right: Mapped[Right] = relationship()


# --- pledges -----------------------------------------------------------------------------------


class PledgeStatus(enum.StrEnum):
    AGREED = "agreed"  # contract generated; not yet filed
    FILED = "filed"  # registration filed with the authority: the rights are reserved
    REGISTERED = "registered"  # the pledge exists
    RELEASED = "released"  # 注销登记
    DEFAULTED = "defaulted"
    DISPOSING = "disposing"  # the collateral is offered on the market
    DISPOSED = "disposed"
    CANCELLED = "cancelled"


PLEDGE_TRANSITIONS: frozenset[tuple[PledgeStatus, PledgeStatus]] = frozenset(
    {
        (PledgeStatus.AGREED, PledgeStatus.FILED),
        (PledgeStatus.AGREED, PledgeStatus.CANCELLED),
        (PledgeStatus.FILED, PledgeStatus.REGISTERED),
        (PledgeStatus.FILED, PledgeStatus.AGREED),  # the authority refused the filing
        (PledgeStatus.REGISTERED, PledgeStatus.RELEASED),
        (PledgeStatus.REGISTERED, PledgeStatus.DEFAULTED),
        (PledgeStatus.DEFAULTED, PledgeStatus.RELEASED),  # repaid late
        (PledgeStatus.DEFAULTED, PledgeStatus.DISPOSING),
        (PledgeStatus.DISPOSING, PledgeStatus.DISPOSED),
        (PledgeStatus.DISPOSING, PledgeStatus.RELEASED),  # repaid before the sale
    }
)
#: While a pledge is in these states its rights are held: no other pledge, no transfer without
#: the pledgee's consent.
HOLDING_STATUSES = frozenset(
    {PledgeStatus.FILED, PledgeStatus.REGISTERED, PledgeStatus.DEFAULTED, PledgeStatus.DISPOSING}
)


class Pledge(db.Model):
    __tablename__ = "pledges"
    __table_args__ = (
        sa.CheckConstraint("principal > 0", name="principal"),
        sa.CheckConstraint("outstanding >= 0 AND outstanding <= principal", name="outstanding"),
        sa.CheckConstraint("interest_paid >= 0", name="interest_paid"),
        sa.CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate"),
        sa.CheckConstraint("matures_on > starts_on", name="term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``IPT-P-2026-000007``: the secured loan's reference on every filing.
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("loan_reviews.id"), unique=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("loan_applications.id"), index=True)
    pledgor_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    pledgee_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    principal: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    rate_bp: Mapped[int]
    starts_on: Mapped[date]
    #: The secured debt's deadline (债务履行期限届满日).
    matures_on: Mapped[date]
    status: Mapped[PledgeStatus] = mapped_column(
        enum_type(PledgeStatus), default=PledgeStatus.AGREED, index=True
    )
    #: SHA-256 of the generated contract PDF (also in the audit trail).
    contract_sha256: Mapped[str] = mapped_column(sa.String(64))
    contract_pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"")
    contract_version: Mapped[str] = mapped_column(sa.String(20))
    registration_number: Mapped[str | None] = mapped_column(sa.String(60))
    registered_on: Mapped[date | None]
    released_on: Mapped[date | None]
    defaulted_on: Mapped[date | None]
    #: Principal still owed and interest paid so far, in fen (recorded by the bank).
    outstanding: Mapped[int] = mapped_column(sa.BigInteger)
    interest_paid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    disposal_listing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("listings.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    review: Mapped[LoanReview] = relationship(back_populates="pledge")
    application: Mapped[LoanApplication] = relationship()
    pledgor_org: Mapped[Organisation] = relationship(foreign_keys=[pledgor_org_id])
    pledgee_org: Mapped[Organisation] = relationship(foreign_keys=[pledgee_org_id])
    held: Mapped[list[PledgeRight]] = relationship(
        back_populates="pledge", order_by="PledgeRight.right_id"
    )
    filings: Mapped[list[PledgeFiling]] = relationship(
        back_populates="pledge", order_by="PledgeFiling.id"
    )
    repayments: Mapped[list[Repayment]] = relationship(
        back_populates="pledge", order_by="Repayment.id"
    )
    alerts: Mapped[list[PledgeAlert]] = relationship(
        back_populates="pledge", order_by="PledgeAlert.id.desc()"
    )
    disposal_listing: Mapped[Listing | None] = relationship()

    @property
    def rights(self) -> list[Right]:
        return [row.right for row in self.held]

    @property
    def holds_rights(self) -> bool:
        return self.status in HOLDING_STATUSES


class PledgeRight(db.Model):
    """A right securing a pledge. ``active`` while the pledge holds it; the partial unique index
    makes a second active pledge on the same right impossible even if a check were skipped."""

    __tablename__ = "pledge_rights"
    __table_args__ = (
        sa.UniqueConstraint("pledge_id", "right_id"),
        sa.Index(
            "uq_pledge_rights_active_right",
            "right_id",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    right_id: Mapped[int] = mapped_column(sa.ForeignKey("rights.id"))
    active: Mapped[bool] = mapped_column(default=False)

    pledge: Mapped[Pledge] = relationship(back_populates="held")
    right: Mapped[Right] = relationship()


class FilingKind(enum.StrEnum):
    REGISTRATION = "registration"  # 质押登记
    CHANGE = "change"  # 变更
    RELEASE = "release"  # 注销登记


class PledgeFiling(db.Model):
    """One filing with the registry authority: the joint application data as sent (JSON, hashed),
    then the authority's answer."""

    __tablename__ = "pledge_filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    kind: Mapped[FilingKind] = mapped_column(enum_type(FilingKind))
    #: The registry authority filed with (a bundle mixing patents and trademarks files twice).
    authority: Mapped[str] = mapped_column(sa.String(100))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The authority's registration (or notice) number and date, once recorded.
    accepted_number: Mapped[str | None] = mapped_column(sa.String(60))
    accepted_on: Mapped[date | None]
    refusal: Mapped[str | None] = mapped_column(sa.String(1000))

    pledge: Mapped[Pledge] = relationship(back_populates="filings")
    filed_by: Mapped[User] = relationship()


class Repayment(db.Model):
    __tablename__ = "repayments"
    __table_args__ = (
        sa.CheckConstraint("principal >= 0 AND interest >= 0", name="non_negative"),
        sa.CheckConstraint("principal + interest > 0", name="something"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    paid_on: Mapped[date]
    principal: Mapped[int] = mapped_column(sa.BigInteger)
    interest: Mapped[int] = mapped_column(sa.BigInteger)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pledge: Mapped[Pledge] = relationship(back_populates="repayments")


class TransferConsentStatus(enum.StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


class TransferConsent(db.Model):
    """The pledgee's consent to a transfer or licence of a pledged right through one listing
    (民法典 Art. 444: a pledged IP right may be transferred or licensed only with the pledgee's
    consent)."""

    __tablename__ = "transfer_consents"
    __table_args__ = (sa.UniqueConstraint("pledge_id", "listing_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    status: Mapped[TransferConsentStatus] = mapped_column(
        enum_type(TransferConsentStatus), default=TransferConsentStatus.REQUESTED
    )
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pledge: Mapped[Pledge] = relationship()
    listing: Mapped[Listing] = relationship()


# --- monitoring ----------------------------------------------------------------------------------


class AlertCode(enum.StrEnum):
    FEE_DUE = "fee_due"  # an annual fee falls due soon
    FEE_MISSED = "fee_missed"  # the fee is overdue: grace period
    STATUS_CHANGED = "status_changed"  # lapse, invalidation request, suspension, ...
    EXPIRY_NEAR_MATURITY = "expiry_near_maturity"  # the right ends close to (or before) maturity
    LOW_APPRAISAL = "low_appraisal"  # a new appraisal puts the collateral below the threshold


class PledgeAlert(db.Model):
    """An alert raised by the daily monitor; ``key`` makes each one appear once."""

    __tablename__ = "pledge_alerts"
    __table_args__ = (sa.UniqueConstraint("pledge_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    right_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rights.id"))
    code: Mapped[AlertCode] = mapped_column(enum_type(AlertCode))
    key: Mapped[str] = mapped_column(sa.String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    raised_on: Mapped[date]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    pledge: Mapped[Pledge] = relationship(back_populates="alerts")
    right: Mapped[Right | None] = relationship()


# --- risk sharing ------------------------------------------------------------------------------


class SchemeKind(enum.StrEnum):
    RISK_COMPENSATION = "risk_compensation"  # 风险补偿: a share of the principal lost
    INTEREST_SUBSIDY = "interest_subsidy"  # 贴息: a share of the interest paid


class RiskScheme(db.Model):
    """A government support scheme for IP loans, configured by the operator."""

    __tablename__ = "risk_schemes"
    __table_args__ = (
        sa.CheckConstraint("share_bp > 0 AND share_bp <= 10000", name="share"),
        sa.CheckConstraint("annual_cap > 0", name="annual_cap"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SchemeKind] = mapped_column(enum_type(SchemeKind))
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    #: Share of the principal loss covered, or of the interest paid subsidised (basis points).
    share_bp: Mapped[int]
    #: Regions and industries eligible (empty: all).
    regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    industries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: The most the scheme pays in one calendar year, in fen.
    annual_cap: Mapped[int] = mapped_column(sa.BigInteger)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def display_name(self, locale: str = "zh") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh
