"""Organisations, users, invitations and personal API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import enum_type, utcnow
from marketplace.extensions import db


class OrgCategory(enum.StrEnum):
    RIGHTS_HOLDER = "rights_holder"
    BANK = "bank"
    AGENCY = "agency"
    OPERATOR = "operator"


class OrgKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    INDIVIDUAL_INVENTOR = "individual_inventor"
    BANK = "bank"
    PATENT_AGENCY = "patent_agency"
    APPRAISER = "appraiser"
    LAW_FIRM = "law_firm"
    BROKER = "broker"
    OPERATOR = "operator"

    @property
    def category(self) -> OrgCategory:
        return ORG_KIND_CATEGORY[self]

    @property
    def is_individual(self) -> bool:
        return self is OrgKind.INDIVIDUAL_INVENTOR


ORG_KIND_CATEGORY: dict[OrgKind, OrgCategory] = {
    OrgKind.ENTERPRISE: OrgCategory.RIGHTS_HOLDER,
    OrgKind.UNIVERSITY: OrgCategory.RIGHTS_HOLDER,
    OrgKind.RESEARCH_INSTITUTE: OrgCategory.RIGHTS_HOLDER,
    OrgKind.INDIVIDUAL_INVENTOR: OrgCategory.RIGHTS_HOLDER,
    OrgKind.BANK: OrgCategory.BANK,
    OrgKind.PATENT_AGENCY: OrgCategory.AGENCY,
    OrgKind.APPRAISER: OrgCategory.AGENCY,
    OrgKind.LAW_FIRM: OrgCategory.AGENCY,
    OrgKind.BROKER: OrgCategory.AGENCY,
    OrgKind.OPERATOR: OrgCategory.OPERATOR,
}


class OrgStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


#: Organisation verification is a state machine like every other one: (from, to) pairs allowed.
ORG_TRANSITIONS: frozenset[tuple[OrgStatus, OrgStatus]] = frozenset(
    {
        (OrgStatus.PENDING, OrgStatus.VERIFIED),
        (OrgStatus.PENDING, OrgStatus.REJECTED),
        (OrgStatus.REJECTED, OrgStatus.PENDING),
        (OrgStatus.VERIFIED, OrgStatus.SUSPENDED),
        (OrgStatus.SUSPENDED, OrgStatus.VERIFIED),
    }
)


class Role(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind))
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(100))
    #: USCC (18 characters) for legal persons, resident identity number for an individual.
    identity_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    status: Mapped[OrgStatus] = mapped_column(enum_type(OrgStatus), default=OrgStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    @property
    def category(self) -> OrgCategory:
        return self.kind.category

    @property
    def is_verified(self) -> bool:
        return self.status is OrgStatus.VERIFIED

    @property
    def is_operator(self) -> bool:
        return self.kind is OrgKind.OPERATOR

    @property
    def masked_identity_number(self) -> str:
        """Individuals' identity numbers are personal data: only the ends are shown."""
        if self.kind.is_individual:
            return self.identity_number[:3] + "*" * 11 + self.identity_number[-4:]
        return self.identity_number

    def display_name(self, locale: str = "zh") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(100))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_type(Role), default=Role.MEMBER)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: PIPL consent: which versions of the user agreement and privacy notice were accepted, when.
    terms_version: Mapped[str] = mapped_column(sa.String(20))
    privacy_version: Mapped[str] = mapped_column(sa.String(20))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the person deleted the account; the row stays, anonymised, for audit and ledger.
    deleted_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active and self.deleted_at is None

    @property
    def is_org_admin(self) -> bool:
        return self.organisation_id is not None and self.role is Role.ADMIN

    @property
    def is_operator(self) -> bool:
        return (
            self.organisation is not None
            and self.organisation.is_operator
            and self.organisation.is_verified
        )


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[Role] = mapped_column(enum_type(Role), default=Role.MEMBER)
    #: SHA-256 of the secret in the emailed link; the secret itself is never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: First characters of the token, shown in lists so a user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
