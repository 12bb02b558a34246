"""Pledge financing rules: lending policies, applications and their consents, the registration
grounds, the collateral dossier and its suggested loan, bank decisions with four eyes, the
pledge through filing, registration, change, repayment, release, default and disposal, and the
pledgee's consent to transfers of pledged rights.

Every function flushes and never commits; the caller commits once. Every state change of an
application, review or pledge is in the audit trail.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

import valuation
from marketplace.accounts.models import Organisation, OrgCategory, User
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.money import format_money
from marketplace.extensions import db
from marketplace.listings import services as listing_services
from marketplace.listings.models import DealType, Listing, ListingStatus
from marketplace.orders.services import tell
from marketplace.pledges import documents
from marketplace.pledges.errors import PledgeRefused
from marketplace.pledges.models import (
    APPLICATION_TRANSITIONS,
    HOLDING_STATUSES,
    OPEN_REVIEW_STATUSES,
    PLEDGE_TRANSITIONS,
    REVIEW_TRANSITIONS,
    ApplicationStatus,
    ConsentGround,
    FilingKind,
    LendingPolicy,
    LoanApplication,
    LoanReview,
    Pledge,
    PledgeConsent,
    PledgeFiling,
    PledgeRight,
    PledgeStatus,
    Repayment,
    ReviewStatus,
    TransferConsent,
    TransferConsentStatus,
)
from marketplace.rights import services as rights_services
from marketplace.rights import terms
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import (
    EXCLUSIVE_TYPES,
    Dispute,
    DisputeStatus,
    Licence,
    Right,
    RightEvent,
    RightOwner,
    RightStatus,
)
from marketplace.valuations.models import Report, ReportStatus, ValueBasis

BP = 10_000
#: Fee due dates closer than this are a warning in the dossier and an alert while pledged.
FEE_WARNING_DAYS = 90
CONTRACT_VERSION = "2026-11"

# --- lending policy ----------------------------------------------------------------------------

#: The policy a bank starts from (typical Chinese practice: inventions 30–40 %, utility models
#: 15–25 %, trademarks 30–50 %); each bank edits its own.
DEFAULT_POLICY: dict[str, Any] = {
    "base_rates": {
        "invention": 3500,
        "utility_model": 2000,
        "design": 1500,
        "trademark": 4000,
        "software_copyright": 2500,
        "copyright": 2000,
        "plant_variety": 3000,
    },
    "min_remaining_months": {
        "invention": 96,
        "utility_model": 48,
        "design": 48,
        "trademark": 12,
        "software_copyright": 60,
        "copyright": 60,
        "plant_variety": 60,
    },
    "buffer_months": 12,
    "haircuts": {
        "remaining_term": [[0, 6000], [3, 8000], [5, 10000]],
        "legal_score": [[0, 5000], [4, 8000], [7, 10000]],
        "legal_score_unknown": 8000,
        "concentration": [[0, 8500], [2, 9500], [3, 10000]],
        "exclusive_licence": 7000,
    },
    "max_amount": 50_000_000_00,
    "max_term_months": 36,
    "second_approval_above": 5_000_000_00,
    "value_percentile": 20,
    "alert_coverage_bp": 20_000,
}
MIN_BASE_RATE, MAX_BASE_RATE = 1000, 6000


@dataclass(frozen=True)
class PolicyData:
    base_rates: dict[str, int]
    min_remaining_months: dict[str, int]
    buffer_months: int
    haircuts: dict[str, Any]
    max_amount: int
    max_term_months: int
    second_approval_above: int
    value_percentile: int = 20
    alert_coverage_bp: int = 20_000

    @classmethod
    def default(cls) -> PolicyData:
        return cls(**json.loads(json.dumps(DEFAULT_POLICY)))

    @classmethod
    def of(cls, policy: LendingPolicy) -> PolicyData:
        return cls(**{name: getattr(policy, name) for name in DEFAULT_POLICY})


def policy_for(bank: Organisation) -> LendingPolicy:
    """The bank's saved policy, or an unsaved one with the defaults."""
    saved = db.session.scalar(sa.select(LendingPolicy).where(LendingPolicy.bank_org_id == bank.id))
    if saved is not None:
        return saved
    return LendingPolicy(bank_org_id=bank.id, **json.loads(json.dumps(DEFAULT_POLICY)))


def _bands_problem(name: str, bands: Any) -> str | None:
    if not isinstance(bands, list) or not bands:
        return _("Give at least one band.")
    try:
        pairs = [(float(t), int(f)) for t, f in bands]
    except (TypeError, ValueError):
        return _("Each band is a threshold and a percentage.")
    if min(t for t, _f in pairs) != 0:
        return _("The first band starts at 0.")
    if len({t for t, _f in pairs}) != len(pairs):
        return _("Each band needs its own threshold.")
    if any(not 0 <= f <= BP for _t, f in pairs):
        return _("A haircut lies between %(min)s and %(max)s.", min="0 %", max="100 %")
    del name
    return None


def validate_policy(data: PolicyData) -> None:
    """:raises ValidationFailed: every problem, by field."""
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    kinds = {kind.value for kind in RightKind if kind.rule.pledgeable}
    if not data.base_rates:
        problem("base_rates", _("Accept at least one kind of right."))
    for kind, rate in data.base_rates.items():
        if kind not in kinds:
            problem("base_rates", _("%(kind)s cannot be pledged.", kind=kind))
        elif not isinstance(rate, int) or not MIN_BASE_RATE <= rate <= MAX_BASE_RATE:
            problem(
                "base_rates",
                _(
                    "A base pledge rate lies between %(min)s and %(max)s.",
                    min=f"{MIN_BASE_RATE // 100} %",
                    max=f"{MAX_BASE_RATE // 100} %",
                ),
            )
    for kind, months in data.min_remaining_months.items():
        if kind not in kinds or not isinstance(months, int) or months < 0:
            problem("min_remaining_months", _("Give whole months of at least 0."))
    if data.buffer_months < 0:
        problem("buffer_months", _("Give whole months of at least 0."))
    for name in ("remaining_term", "legal_score", "concentration"):
        message = _bands_problem(name, data.haircuts.get(name))
        if message:
            problem(f"haircuts.{name}", message)
    for name in ("legal_score_unknown", "exclusive_licence"):
        value = data.haircuts.get(name)
        if not isinstance(value, int) or not 0 <= value <= BP:
            problem(
                f"haircuts.{name}",
                _("A haircut lies between %(min)s and %(max)s.", min="0 %", max="100 %"),
            )
    if data.max_amount <= 0:
        problem("max_amount", _("The amount must be more than zero."))
    if not 1 <= data.max_term_months <= 120:
        problem("max_term_months", _("A term lies between 1 and 120 months."))
    if data.second_approval_above < 0:
        problem("second_approval_above", _("The amount cannot be negative."))
    if not 10 <= data.value_percentile <= 25:
        problem("value_percentile", _("Choose a percentile from P10 to P25."))
    if data.alert_coverage_bp <= 0:
        problem("alert_coverage_bp", _("The coverage must be more than zero."))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)


def save_policy(bank: Organisation, data: PolicyData, *, actor: User) -> LendingPolicy:
    """:raises ValidationFailed: every problem, by field."""
    validate_policy(data)
    policy = policy_for(bank)
    before = None if policy.id is None else audit.jsonable(PolicyData.of(policy).__dict__)
    for name, value in data.__dict__.items():
        setattr(policy, name, value)
    policy.updated_by_id = actor.id
    db.session.add(policy)
    db.session.flush()
    audit.record(
        "lending_policy.saved",
        policy,
        actor=actor,
        organisation=bank,
        before=before,
        after=audit.jsonable(data.__dict__),
    )
    return policy


def library_policy(policy: LendingPolicy) -> valuation.PledgePolicy:
    """The bank's policy in the terms of :func:`valuation.pledge_capacity` (amounts in fen)."""
    h = policy.haircuts

    def bands(name: str) -> tuple[tuple[float, float], ...]:
        return tuple((float(t), f / BP) for t, f in h.get(name) or ())

    return valuation.PledgePolicy(
        base_rates={kind: rate / BP for kind, rate in policy.base_rates.items()},
        min_remaining_years={k: m / 12 for k, m in (policy.min_remaining_months or {}).items()},
        buffer_years=policy.buffer_months / 12,
        haircuts=valuation.HaircutTable(
            remaining_term=bands("remaining_term"),
            legal_score=bands("legal_score"),
            legal_score_unknown=h.get("legal_score_unknown", BP) / BP,
            concentration=bands("concentration"),
            exclusive_licence=h.get("exclusive_licence", BP) / BP,
        ),
        max_amount=float(policy.max_amount),
    )


# --- collateral values -------------------------------------------------------------------------


def conservative_value(report: Report, policy: LendingPolicy) -> int:
    """The value a bank lends against, in fen: a pledge-value report as concluded; a market-value
    report at the policy's percentile (P10–P25) of its Monte Carlo range, interpolated between
    the stored P10 and P25; the report's P10 when it has no range."""
    if report.basis is ValueBasis.PLEDGE_VALUE:
        return report.concluded_value
    percentiles = (report.results or {}).get("percentiles") or {}
    p10, p25 = percentiles.get("p10"), percentiles.get("p25")
    if p10 is None or p25 is None:
        return report.low
    q = policy.value_percentile
    return int(p10 + (p25 - p10) * (q - 10) // 15)


def report_intact(report: Report) -> bool:
    """The stored PDF still hashes to the SHA-256 signed into the audit trail."""
    if hashlib.sha256(report.pdf).hexdigest() != report.sha256:
        return False
    signed = [e for e in audit.history("reports", report.id) if e.action == "report.signed"]
    return bool(signed) and (signed[0].after or {}).get("sha256") == report.sha256


def report_rights(report: Report) -> list[Right]:
    return list(report.appraisal.order.rights)


def reports_offerable(org: Organisation) -> list[Report]:
    """Valid reports on orders ``org`` placed: what it may attach to an application."""
    from marketplace.orders.models import ServiceOrder
    from marketplace.valuations.models import Appraisal

    return list(
        db.session.scalars(
            sa.select(Report)
            .join(Appraisal)
            .join(ServiceOrder)
            .where(ServiceOrder.orderer_org_id == org.id, Report.status == ReportStatus.VALID)
            .order_by(Report.id.desc())
        )
    )


# --- registration grounds ----------------------------------------------------------------------


class Outcome(enum.StrEnum):
    PASS = "pass"
    WARNING = "warning"
    FAIL = "fail"


@dataclass(frozen=True)
class Ground:
    code: str
    outcome: Outcome
    message: str


def ground_labels() -> dict[str, str]:
    return {
        "kind": _("Kind of right"),
        "owner": _("Pledgor is the registered owner"),
        "status": _("Granted and in force"),
        "fees": _("Annual fees"),
        "suspension": _("No suspension or ownership dispute"),
        "term": _("Right outlasts the secured debt"),
        "co_owners": _("Co-owners' consent"),
        "pledged": _("No other active pledge"),
        "assignment": _("No assignment closing"),
        "invalidation": _("No invalidation request"),
        "same_day": _("Same-day invention / utility model pair"),
        "similar_marks": _("Identical or similar marks pledged together"),
        "exclusive_licence": _("Exclusive licences"),
    }


def same_day_twin(right: Right) -> Right | None:
    """The utility model filed the same day as an invention for the same creation by the same
    applicant (同日申请), or the invention of such a utility model: same owners, same date,
    same title."""
    pairs = {
        RightKind.INVENTION: RightKind.UTILITY_MODEL,
        RightKind.UTILITY_MODEL: RightKind.INVENTION,
    }
    other = pairs.get(right.kind)
    if other is None or right.filing_date is None:
        return None
    owner_ids = {o.organisation_id for o in right.owners}
    for candidate in db.session.scalars(
        sa.select(Right).where(
            Right.kind == other,
            Right.filing_date == right.filing_date,
            Right.title_zh == right.title_zh,
        )
    ):
        if owner_ids & {o.organisation_id for o in candidate.owners}:
            return candidate
    return None


def active_pledges(right: Right) -> list[Pledge]:
    return list(
        db.session.scalars(
            sa.select(Pledge)
            .join(PledgeRight)
            .where(PledgeRight.right_id == right.id, PledgeRight.active.is_(True))
        )
    )


def _consented(application: LoanApplication, right: Right, ground: ConsentGround) -> set[int]:
    return {
        c.organisation_id
        for c in application.consents
        if c.right_id == right.id and c.ground is ground
    }


def missing_co_owners(application: LoanApplication, right: Right) -> list[Organisation]:
    consented = _consented(application, right, ConsentGround.CO_OWNER)
    return [
        o.organisation
        for o in right.owners
        if o.organisation_id != application.applicant_org_id and o.organisation_id not in consented
    ]


def _similar_marks_left_out(application: LoanApplication, right: Right) -> list[Right]:
    """The pledgor's other trademarks with the same mark in an overlapping Nice class: the
    Trademark Office requires identical or similar marks on similar goods to be pledged
    together."""
    if right.kind is not RightKind.TRADEMARK:
        return []
    chosen = {r.id for r in application.rights}
    classes = set(right.nice_classes or [])
    others = db.session.scalars(
        sa.select(Right)
        .join(RightOwner)
        .where(
            Right.kind == RightKind.TRADEMARK,
            Right.title_zh == right.title_zh,
            Right.id != right.id,
            RightOwner.organisation_id == application.applicant_org_id,
            Right.status.in_([RightStatus.IN_FORCE, RightStatus.GRACE_PERIOD]),
        )
    )
    return [r for r in others if r.id not in chosen and classes & set(r.nice_classes or [])]


def registration_grounds(
    right: Right,
    application: LoanApplication,
    *,
    pledgee_id: int | None,
    matures_on: date,
    pledge: Pledge | None = None,
    on: date | None = None,
) -> list[Ground]:
    """Every registration-refusal ground of the registry authority checked for ``right``
    pledged by the applicant to ``pledgee_id`` until ``matures_on``: pass, fail or warning.

    Grounds (专利权质押登记办法 and the Trademark Office's and Copyright Protection Center's
    equivalents): pledgor not the registered owner; not granted, terminated or invalidated;
    fees unpaid or in grace; suspended for an ownership dispute or court preservation; the debt's
    deadline after the right expires; co-owners not all consenting; already under an active
    pledge; an assignment closing; under invalidation or one of a same-day pair unless both
    parties recorded informed consent; identical trademarks left out. An outstanding exclusive
    licence is a warning (it cuts what a buyer on disposal gets).
    """
    from marketplace.rights.labels import RIGHT_STATUS_LABELS

    on = on or today()
    number = right.display_number
    grounds: list[Ground] = []

    def add(code: str, outcome: Outcome, message: str) -> None:
        grounds.append(Ground(code, outcome, message))

    if not right.kind.rule.pledgeable:
        add("kind", Outcome.FAIL, _("%(number)s cannot be pledged.", number=number))
        return grounds
    add("kind", Outcome.PASS, right.kind.rule.authority_zh)

    owner = right.owner_row(application.applicant_org_id)
    if owner is None or owner.verified_at is None:
        add(
            "owner",
            Outcome.FAIL,
            _("The pledgor is not a verified registered owner of %(number)s.", number=number),
        )
    else:
        add("owner", Outcome.PASS, _("Ownership verified."))

    status = rights_services.current_status(right, on=on)
    status_label = str(RIGHT_STATUS_LABELS[status])
    if status is RightStatus.PENDING:
        add("status", Outcome.FAIL, _("%(number)s has not been granted.", number=number))
    elif status in (RightStatus.LAPSED, RightStatus.EXPIRED, RightStatus.INVALIDATED):
        add(
            "status",
            Outcome.FAIL,
            _(
                "%(number)s has ended or been invalidated (%(status)s).",
                number=number,
                status=status_label,
            ),
        )
    else:
        add("status", Outcome.PASS, status_label)

    standing = rights_services.fee_standing(right, on=on)
    if status is RightStatus.GRACE_PERIOD:
        add(
            "fees",
            Outcome.FAIL,
            _("%(number)s is in its fee grace period: the annual fee is unpaid.", number=number),
        )
    elif (
        standing is not None
        and standing.next_due
        and (standing.next_due - on).days <= (FEE_WARNING_DAYS)
    ):
        add(
            "fees",
            Outcome.WARNING,
            _("The next annual fee is due on %(date)s.", date=standing.next_due.isoformat()),
        )
    elif standing is not None and standing.next_due:
        add("fees", Outcome.PASS, _("Paid; next due %(date)s.", date=standing.next_due.isoformat()))
    else:
        add("fees", Outcome.PASS, _("No annual fee is due."))

    if status is RightStatus.SUSPENDED:
        add(
            "suspension",
            Outcome.FAIL,
            _(
                "Procedures on %(number)s are suspended (ownership dispute or court preservation).",
                number=number,
            ),
        )
    elif rights_services.open_dispute(right) is not None:
        add(
            "suspension",
            Outcome.FAIL,
            _("An ownership dispute about %(number)s is open.", number=number),
        )
    else:
        add("suspension", Outcome.PASS, _("None recorded."))

    expires_on = rights_services.expiry_of(right)
    if expires_on is not None and matures_on > expires_on:
        add(
            "term",
            Outcome.FAIL,
            _(
                "The debt's deadline %(deadline)s is after %(number)s expires on %(date)s.",
                deadline=matures_on.isoformat(),
                number=number,
                date=expires_on.isoformat(),
            ),
        )
    else:
        add(
            "term",
            Outcome.PASS,
            _("Expires %(date)s.", date=expires_on.isoformat())
            if expires_on
            else _("No statutory end."),
        )

    missing = missing_co_owners(application, right)
    if missing:
        add(
            "co_owners",
            Outcome.FAIL,
            _(
                "%(number)s is co-owned: %(owners)s must consent first.",
                number=number,
                owners="、".join(o.name_zh for o in missing),
            ),
        )
    else:
        add(
            "co_owners",
            Outcome.PASS,
            _("All co-owners consented.") if len(right.owners) > 1 else _("Sole owner."),
        )

    others = [p for p in active_pledges(right) if pledge is None or p.id != pledge.id]
    if others:
        add(
            "pledged",
            Outcome.FAIL,
            _(
                "%(number)s is already pledged to %(bank)s.",
                number=number,
                bank=others[0].pledgee_org.name_zh,
            ),
        )
    else:
        add("pledged", Outcome.PASS, _("None."))

    closing = assignment_closing(right, application.applicant_org_id)
    if closing is not None:
        add(
            "assignment",
            Outcome.FAIL,
            _(
                "An assignment of %(number)s is closing on the market (listing %(listing)s).",
                number=number,
                listing=closing.id,
            ),
        )
    else:
        add("assignment", Outcome.PASS, _("None."))

    parties = {application.applicant_org_id, pledgee_id}

    def informed(ground: ConsentGround) -> bool:
        return pledgee_id is not None and parties <= _consented(application, right, ground)

    if status is RightStatus.UNDER_INVALIDATION:
        if informed(ConsentGround.UNDER_INVALIDATION):
            add(
                "invalidation",
                Outcome.WARNING,
                _("Under invalidation; both parties recorded informed consent."),
            )
        else:
            add(
                "invalidation",
                Outcome.FAIL,
                _(
                    "%(number)s is under invalidation: both parties must record informed consent.",
                    number=number,
                ),
            )
    else:
        add("invalidation", Outcome.PASS, _("None."))

    twin = same_day_twin(right)
    if twin is not None:
        if informed(ConsentGround.SAME_DAY_PAIR):
            add(
                "same_day",
                Outcome.WARNING,
                _(
                    "Filed the same day as %(other)s; both parties recorded informed consent.",
                    other=twin.number,
                ),
            )
        else:
            add(
                "same_day",
                Outcome.FAIL,
                _(
                    "%(number)s and %(other)s were filed the same day for the same creation: "
                    "both parties must record informed consent.",
                    number=number,
                    other=twin.number,
                ),
            )

    left_out = _similar_marks_left_out(application, right)
    if left_out:
        add(
            "similar_marks",
            Outcome.FAIL,
            _(
                "Identical marks in the same class must be pledged together: add %(numbers)s.",
                numbers="、".join(r.number for r in left_out),
            ),
        )

    exclusive = [
        lic for lic in _licences(right) if lic.licence_type in EXCLUSIVE_TYPES and lic.in_force(on)
    ]
    if exclusive:
        add(
            "exclusive_licence",
            Outcome.WARNING,
            _(
                "An exclusive or sole licence to %(licensee)s is in force.",
                licensee=exclusive[0].licensee_name,
            ),
        )
    else:
        add("exclusive_licence", Outcome.PASS, _("None in force."))
    return grounds


def _licences(right: Right) -> list[Licence]:
    return list(
        db.session.scalars(
            sa.select(Licence).where(Licence.right_id == right.id).order_by(Licence.starts_on)
        )
    )


def assignment_closing(right: Right, seller_org_id: int) -> Listing | None:
    """An assignment of ``right`` by ``seller_org_id`` under negotiation or closed."""
    from marketplace.listings.models import listing_rights

    return db.session.scalar(
        sa.select(Listing)
        .join(listing_rights)
        .where(
            listing_rights.c.right_id == right.id,
            Listing.seller_org_id == seller_org_id,
            Listing.deal_type == DealType.ASSIGNMENT,
            Listing.status.in_([ListingStatus.UNDER_NEGOTIATION, ListingStatus.CLOSED]),
        )
        .limit(1)
    )


def failing(grounds: Sequence[Ground]) -> list[Ground]:
    return [g for g in grounds if g.outcome is Outcome.FAIL]


# --- the collateral dossier ----------------------------------------------------------------------


@dataclass
class ReportCheck:
    report: Report
    intact: bool
    value: int


@dataclass
class RightDossier:
    right: Right
    status: RightStatus
    expires_on: date | None
    remaining_years: float | None
    fee: terms.FeeStatus | None
    fee_events: list[RightEvent]
    legal_events: list[RightEvent]
    pledges: list[Pledge]
    licences: list[Licence]
    disputes: list[Dispute]
    consents: list[PledgeConsent]
    reports: list[ReportCheck]
    index_score: float | None
    legal_score: float | None
    grounds: list[Ground]

    @property
    def fails(self) -> list[Ground]:
        return failing(self.grounds)

    @property
    def warnings(self) -> list[Ground]:
        return [g for g in self.grounds if g.outcome is Outcome.WARNING]


@dataclass
class Factor:
    code: str
    factor: float
    explanation: str


@dataclass
class CollateralUnit:
    """One appraisal report and the application's rights it values (or a right with none)."""

    report: Report | None
    rights: list[Right]
    value: int
    amount: int
    eligible: bool
    factors: list[Factor] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


@dataclass
class Dossier:
    application: LoanApplication
    bank: Organisation
    policy: LendingPolicy
    loan_months: int
    matures_on: date
    rights: list[RightDossier]
    units: list[CollateralUnit]
    value: int
    suggested: int
    grade: str
    grade_reasons: list[str]

    @property
    def requested(self) -> int:
        return self.application.amount

    @property
    def ltv_bp(self) -> int | None:
        return None if not self.value else self.application.amount * BP // self.value


GRADES = "ABCDE"
#: Loan-to-value limits of grades A–D (basis points of the conservative value); above is E.
GRADE_LTV = (2500, 4000, 5500, 7000)


def risk_grade(
    ltv_bp: int | None, *, fails: int, warnings: int, all_fail: bool
) -> tuple[str, list[str]]:
    """A–E from the requested loan ÷ the conservative value of the sound collateral: A up to
    25 %, B 40 %, C 55 %, D 70 %, E above (or nothing sound to lend on); one grade lower when any
    right fails a ground or two or more warnings are open."""
    if all_fail or not ltv_bp:
        return "E", [_("No right in the bundle can be registered as it stands.")]
    index = next((i for i, limit in enumerate(GRADE_LTV) if ltv_bp <= limit), 4)
    reasons = [_("Requested loan ÷ conservative value: %(ltv)s.", ltv=f"{ltv_bp / 100:.1f} %")]
    if fails or warnings >= 2:
        index = min(index + 1, 4)
        reasons.append(
            _(
                "One grade lower: %(fails)d failing ground(s), %(warnings)d warning(s).",
                fails=fails,
                warnings=warnings,
            )
        )
    return GRADES[index], reasons


def _years(days: int) -> float:
    return round(days / 365.25, 2)


def _right_dossier(
    right: Right,
    application: LoanApplication,
    bank: Organisation,
    matures_on: date,
    on: date,
    checks: dict[int, ReportCheck],
    pledge: Pledge | None = None,
) -> RightDossier:
    from marketplace.valuations.indicative import indicative_value

    remaining = rights_services.remaining(right, on=on)
    status = rights_services.current_status(right, on=on)
    events = list(right.events)
    indicative = indicative_value(right, on=on)
    return RightDossier(
        right=right,
        status=status,
        expires_on=rights_services.expiry_of(right),
        remaining_years=None if remaining is None else _years(remaining.days),
        fee=rights_services.fee_standing(right, on=on),
        fee_events=[e for e in events if e.event.startswith("fee")],
        legal_events=[e for e in events if not e.event.startswith(("fee", "reminder"))],
        pledges=active_pledges(right),
        licences=_licences(right),
        disputes=list(
            db.session.scalars(
                sa.select(Dispute).where(
                    Dispute.right_id == right.id, Dispute.status == DisputeStatus.OPEN
                )
            )
        ),
        consents=[c for c in application.consents if c.right_id == right.id],
        reports=[check for check in checks.values() if right in report_rights(check.report)],
        index_score=None if indicative is None else round(indicative.index.pvd, 1),
        legal_score=None
        if indicative is None or indicative.index.lvd is None
        else round(indicative.index.lvd, 1),
        grounds=registration_grounds(
            right, application, pledgee_id=bank.id, matures_on=matures_on, on=on, pledge=pledge
        ),
    )


def _factor_text(code: str, factor: float, unit: CollateralUnit, policy: LendingPolicy) -> str:
    pct = f"{factor:.0%}" if code == "base_rate" else f"×{factor:.2f}"
    texts = {
        "base_rate": _("Base pledge rate for this kind of right: %(f)s", f=pct),
        "remaining_term": _("Remaining term haircut: %(f)s", f=pct),
        "legal_score": _("Legal score haircut: %(f)s", f=pct),
        "concentration": _("Concentration haircut (rights in the bundle): %(f)s", f=pct),
        "exclusive_licence": _("Exclusive licence outstanding: %(f)s", f=pct),
        "max_amount": _(
            "Capped at the policy's maximum loan of %(amount)s",
            amount=format_money(policy.max_amount),
        ),
    }
    del unit
    return texts.get(code, code)


def _unit(
    check: ReportCheck | None,
    rights: list[Right],
    files: dict[int, RightDossier],
    *,
    policy: LendingPolicy,
    bundle: int,
    loan_months: int,
) -> CollateralUnit:
    if check is None:
        return CollateralUnit(
            None, rights, 0, 0, False, refusals=[_("No appraisal report values this right.")]
        )
    report, value = check.report, check.value
    unit = CollateralUnit(report, rights, value, 0, False)
    if not check.intact:
        unit.refusals.append(_("The report's hash check failed: it cannot be relied on."))
    if report.valid_until < today():
        unit.refusals.append(_("The report expired on %(date)s.", date=report.valid_until))
    for right in rights:
        for ground in files[right.id].fails:
            unit.refusals.append(ground.message)
    lib = library_policy(policy)
    # The bundle is as strong as its weakest right: the lowest base rate, the shortest term.
    kind = min(
        (r.kind.value for r in rights),
        key=lambda k: lib.base_rates.get(k, -1.0),
    )
    remaining = min((files[r.id].remaining_years or 99.0) for r in rights)
    legal = [files[r.id].legal_score for r in rights]
    capacity = valuation.pledge_capacity(
        float(value),
        kind=kind,
        remaining_years=remaining,
        loan_years=loan_months / 12,
        policy=lib,
        legal_score=None
        if any(s is None for s in legal)
        else min(s for s in legal if s is not None),
        rights_in_bundle=bundle,
        exclusive_licence_outstanding=any(
            g.code == "exclusive_licence" and g.outcome is Outcome.WARNING
            for r in rights
            for g in files[r.id].grounds
        ),
    )
    unit.factors = [
        Factor(f.code, f.factor, _factor_text(f.code, f.factor, unit, policy))
        for f in capacity.factors
    ]
    for refusal in capacity.refusals:
        unit.refusals.append(_policy_refusal(refusal, kind, remaining, loan_months, policy))
    unit.eligible = not unit.refusals
    unit.amount = int(capacity.amount) if unit.eligible else 0
    return unit


def _policy_refusal(
    text: str, kind: str, remaining: float, loan_months: int, policy: LendingPolicy
) -> str:
    from marketplace.rights.labels import RIGHT_KIND_LABELS

    label = str(RIGHT_KIND_LABELS.get(RightKind(kind), kind))
    if text.startswith("the policy does not accept"):
        return _("The bank's policy does not accept %(kind)s as collateral.", kind=label)
    if text.startswith("remaining term"):
        return _(
            "The remaining term (%(years)s years) is below the policy's minimum for %(kind)s.",
            years=f"{remaining:g}",
            kind=label,
        )
    return _(
        "A %(months)d-month loan would outlive the right's remaining term less the policy's "
        "%(buffer)d-month buffer.",
        months=loan_months,
        buffer=policy.buffer_months,
    )


def build_dossier(review: LoanReview, *, on: date | None = None) -> Dossier:
    """The bank's collateral workbench for one application, from the platform's own records."""
    on = on or today()
    application = review.application
    bank = review.bank_org
    policy = policy_for(bank)
    loan_months = review.approved_term_months or application.term_months
    matures_on = terms.add_months(on, loan_months)
    # Each report is hash-checked and valued once, for every right it covers.
    checks = {
        r.id: ReportCheck(r, report_intact(r), conservative_value(r, policy))
        for r in application.reports
    }
    files = {
        r.id: _right_dossier(r, application, bank, matures_on, on, checks, review.pledge)
        for r in application.rights
    }
    units: list[CollateralUnit] = []
    covered: set[int] = set()
    bundle = len(application.rights)
    for report in application.reports:
        rights = [r for r in report_rights(report) if r.id in files]
        if rights:
            covered.update(r.id for r in rights)
            units.append(
                _unit(
                    checks[report.id],
                    rights,
                    files,
                    policy=policy,
                    bundle=bundle,
                    loan_months=loan_months,
                )
            )
    for right in application.rights:
        if right.id not in covered:
            units.append(
                _unit(None, [right], files, policy=policy, bundle=bundle, loan_months=loan_months)
            )
    value = sum(u.value for u in units if u.eligible)
    suggested = min(sum(u.amount for u in units), policy.max_amount)
    fails = sum(len(f.fails) for f in files.values())
    warnings = sum(len(f.warnings) for f in files.values())
    ltv = application.amount * BP // value if value else None
    grade, reasons = risk_grade(
        ltv, fails=fails, warnings=warnings, all_fail=not any(u.eligible for u in units)
    )
    return Dossier(
        application=application,
        bank=bank,
        policy=policy,
        loan_months=loan_months,
        matures_on=matures_on,
        rights=list(files.values()),
        units=units,
        value=value,
        suggested=suggested,
        grade=grade,
        grade_reasons=reasons,
    )


# --- applications --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationData:
    amount: int
    term_months: int
    purpose: str
    right_ids: Sequence[int]
    bank_ids: Sequence[int]
    report_ids: Sequence[int] = ()


def application_state(application: LoanApplication) -> dict[str, Any]:
    return {
        "status": application.status,
        "amount": application.amount,
        "term_months": application.term_months,
        "rights": [r.id for r in application.rights],
        "reports": [r.id for r in application.reports],
    }


def banks() -> list[Organisation]:
    from marketplace.accounts.models import OrgStatus

    return [
        org
        for org in db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.status == OrgStatus.VERIFIED)
            .order_by(Organisation.name_zh)
        )
        if org.category is OrgCategory.BANK
    ]


def _validate_application(
    org: Organisation, data: ApplicationData
) -> tuple[list[Right], list[Report], list[Organisation]]:
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    if data.amount <= 0:
        problem("amount", _("The amount must be more than zero."))
    if not 1 <= data.term_months <= 120:
        problem("term_months", _("A term lies between 1 and 120 months."))
    if not data.purpose.strip():
        problem("purpose", _("Say what the loan is for."))
    rights = [db.session.get(Right, i) for i in dict.fromkeys(data.right_ids)]
    if not rights:
        problem("right_ids", _("Choose at least one right."))
    for right in rights:
        if right is None or right.owner_row(org) is None:
            problem("right_ids", _("You can pledge only your own rights."))
            break
        if not right.kind.rule.pledgeable:
            problem("right_ids", _("%(number)s cannot be pledged.", number=right.number))
        elif not rights_services.is_verified_for(right, org):
            problem(
                "right_ids",
                _("Ownership of %(number)s has not been verified.", number=right.number),
            )
    offerable = {r.id: r for r in reports_offerable(org)}
    reports = []
    for report_id in dict.fromkeys(data.report_ids):
        report = offerable.get(report_id)
        if report is None:
            problem("report_ids", _("Attach only valid reports your organisation ordered."))
            break
        if not {r.id for r in report_rights(report)} & set(data.right_ids):
            problem(
                "report_ids",
                _("Report %(number)s values none of the chosen rights.", number=report.number),
            )
        reports.append(report)
    bank_list = {b.id: b for b in banks()}
    chosen_banks = [bank_list.get(i) for i in dict.fromkeys(data.bank_ids)]
    if not chosen_banks or any(b is None for b in chosen_banks):
        problem("bank_ids", _("Choose one or more verified banks."))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    return (
        [r for r in rights if r is not None],
        reports,
        [b for b in chosen_banks if b is not None],
    )


def create_application(org: Organisation, data: ApplicationData, *, actor: User) -> LoanApplication:
    """A draft application; co-owners are asked to consent at once.

    :raises ValidationFailed: every problem, by field.
    """
    rights, reports, chosen = _validate_application(org, data)
    application = LoanApplication(
        applicant_org_id=org.id,
        created_by_id=actor.id,
        amount=data.amount,
        term_months=data.term_months,
        purpose=data.purpose.strip(),
        rights=rights,
        reports=reports,
    )
    db.session.add(application)
    db.session.flush()
    # The banks are chosen now and asked on submission.
    for bank in chosen:
        application.reviews.append(LoanReview(bank_org_id=bank.id, status=ReviewStatus.SUBMITTED))
    audit.record(
        "loan_application.created",
        application,
        actor=actor,
        organisation=org,
        after={**application_state(application), "banks": [b.id for b in chosen]},
    )
    db.session.flush()
    for right in rights:
        for co_owner in missing_co_owners(application, right):
            tell(
                co_owner,
                lambda r=right: _(
                    "%(org)s asks your consent to pledge the co-owned right %(number)s",
                    org=org.name_zh,
                    number=r.number,
                ),
                f"/pledges/applications/{application.id}",
            )
    return application


def move_application(
    application: LoanApplication, new: ApplicationStatus, *, actor: User | None
) -> None:
    if (application.status, new) not in APPLICATION_TRANSITIONS:
        raise IllegalTransition(_("The application cannot make that step now."))
    before = application.status
    application.status = new
    audit.record(
        f"loan_application.{new.value}",
        application,
        actor=actor,
        organisation=application.applicant_org,
        before={"status": before},
        after={"status": new},
    )


def offer_refusals(application: LoanApplication) -> list[str]:
    """Why the bundle cannot be offered to banks yet: unverified rights, co-owners missing."""
    reasons = []
    for right in application.rights:
        if not rights_services.is_verified_for(right, application.applicant_org):
            reasons.append(_("Ownership of %(number)s has not been verified.", number=right.number))
        missing = missing_co_owners(application, right)
        if missing:
            reasons.append(
                _(
                    "%(number)s is co-owned: %(owners)s must consent first.",
                    number=right.number,
                    owners="、".join(o.name_zh for o in missing),
                )
            )
    return reasons


def submit_application(application: LoanApplication, *, actor: User) -> LoanApplication:
    """Send the application to its banks.

    :raises PledgeRefused: a right unverified or a co-owner's consent missing.
    :raises IllegalTransition: not a draft.
    """
    reasons = offer_refusals(application)
    if reasons:
        raise PledgeRefused(
            _("The application cannot be sent as it stands."), fields={"rights": reasons}
        )
    move_application(application, ApplicationStatus.SUBMITTED, actor=actor)
    application.submitted_at = utcnow()
    application.number = f"IPT-L-{today().year}-{application.id:06d}"
    for review in application.reviews:
        tell(
            review.bank_org,
            lambda: _(
                "New pledge loan application %(number)s from %(org)s",
                number=application.number,
                org=application.applicant_org.name_zh,
            ),
            f"/pledges/reviews/{review.id}",
        )
    return application


def withdraw_application(application: LoanApplication, *, actor: User) -> None:
    move_application(application, ApplicationStatus.WITHDRAWN, actor=actor)
    for review in application.reviews:
        if review.status in OPEN_REVIEW_STATUSES:
            move_review(review, ReviewStatus.CLOSED, actor=actor)


def record_consent(
    application: LoanApplication, right: Right, ground: ConsentGround, *, actor: User
) -> PledgeConsent:
    """A co-owner's consent, or the pledgor's or pledgee's informed consent.

    :raises PermissionDenied: the actor's organisation is not a party who consents so.
    :raises Conflict: already recorded, or the right is not in the application.
    """
    org = actor.organisation
    if org is None or right not in application.rights:
        raise PermissionDenied(_("You cannot consent for this right."))
    if ground is ConsentGround.CO_OWNER:
        allowed = right.owner_row(org) is not None and org.id != application.applicant_org_id
    else:
        parties = {application.applicant_org_id} | {r.bank_org_id for r in application.reviews}
        allowed = org.id in parties
    if not allowed:
        raise PermissionDenied(_("You cannot consent for this right."))
    if org.id in _consented(application, right, ground):
        raise Conflict(_("Your organisation has already consented."))
    consent = PledgeConsent(
        application=application,
        right_id=right.id,
        organisation_id=org.id,
        ground=ground,
        user_id=actor.id,
    )
    db.session.add(consent)
    db.session.flush()
    audit.record(
        f"pledge_consent.{ground.value}",
        application,
        actor=actor,
        organisation=org,
        after={"right_id": right.id, "organisation": org.id, "ground": ground},
    )
    return consent


# --- bank decisions ------------------------------------------------------------------------------


def _require_step(review: LoanReview, *new: ReviewStatus) -> None:
    if not any((review.status, step) in REVIEW_TRANSITIONS for step in new):
        raise IllegalTransition(_("The review cannot make that step now."))


def move_review(review: LoanReview, new: ReviewStatus, *, actor: User | None, **after: Any) -> None:
    _require_step(review, new)
    before = review.status
    review.status = new
    audit.record(
        f"loan_review.{new.value}",
        review,
        actor=actor,
        organisation=review.bank_org,
        before={"status": before},
        after={"status": new, **after},
    )


def _tell_applicant(review: LoanReview, title: Any) -> None:
    tell(
        review.application.applicant_org,
        title,
        f"/pledges/applications/{review.application_id}",
    )


def _tell_approved(review: LoanReview) -> None:
    _tell_applicant(
        review,
        lambda: _(
            "%(bank)s approved your loan application %(number)s",
            bank=review.bank_org.name_zh,
            number=review.application.number,
        ),
    )


@dataclass(frozen=True)
class Approval:
    amount: int
    rate_bp: int
    term_months: int
    conditions: str = ""
    #: The rights accepted as collateral (empty: all of the application's).
    right_ids: Sequence[int] = ()


def _require_bank_member(review: LoanReview, actor: User) -> None:
    if actor.organisation_id != review.bank_org_id:
        raise PermissionDenied(_("Only the bank reviewing the application can decide."))


def approve(review: LoanReview, terms_: Approval, *, actor: User) -> LoanReview:
    """Approve with terms; above the policy's threshold a second approver must confirm.

    :raises ValidationFailed: terms outside the policy, or collateral outside the application.
    :raises IllegalTransition: not awaiting a decision.
    """
    _require_bank_member(review, actor)
    _require_step(review, ReviewStatus.APPROVED, ReviewStatus.AWAITING_SECOND_APPROVAL)
    policy = policy_for(review.bank_org)
    problems: dict[str, list[str]] = {}
    if terms_.amount <= 0:
        problems.setdefault("amount", []).append(_("The amount must be more than zero."))
    elif terms_.amount > policy.max_amount:
        problems.setdefault("amount", []).append(
            _(
                "Your policy lends at most %(amount)s.",
                amount=format_money(policy.max_amount),
            )
        )
    if not 0 <= terms_.rate_bp <= 3600:
        problems.setdefault("rate_bp", []).append(
            _("An interest rate lies between %(min)s and %(max)s.", min="0 %", max="36 %")
        )
    if not 1 <= terms_.term_months <= policy.max_term_months:
        problems.setdefault("term_months", []).append(
            _("Your policy lends for at most %(months)d months.", months=policy.max_term_months)
        )
    application_rights = {r.id for r in review.application.rights}
    if not set(terms_.right_ids) <= application_rights:
        problems.setdefault("right_ids", []).append(
            _("Collateral must come from the application's rights.")
        )
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    dossier = build_dossier(review)
    needs_second = terms_.amount > policy.second_approval_above
    new = ReviewStatus.AWAITING_SECOND_APPROVAL if needs_second else ReviewStatus.APPROVED
    review.approved_amount = terms_.amount
    review.rate_bp = terms_.rate_bp
    review.approved_term_months = terms_.term_months
    review.conditions = terms_.conditions.strip() or None
    review.collateral_right_ids = sorted(set(terms_.right_ids)) or None
    review.suggested_amount = dossier.suggested
    review.risk_grade = dossier.grade
    review.decided_by_id = actor.id
    review.decided_at = utcnow()
    move_review(
        review,
        new,
        actor=actor,
        amount=terms_.amount,
        rate_bp=terms_.rate_bp,
        term_months=terms_.term_months,
        collateral=review.collateral_right_ids,
        suggested=dossier.suggested,
        grade=dossier.grade,
    )
    if needs_second:
        tell(
            review.bank_org,
            lambda: _(
                "Application %(number)s needs a second approver",
                number=review.application.number,
            ),
            f"/pledges/reviews/{review.id}",
        )
    else:
        _tell_approved(review)
    return review


def second_approve(review: LoanReview, *, actor: User) -> LoanReview:
    """The four-eyes confirmation by another member of the same bank.

    :raises PermissionDenied: the first approver, or not a member of the bank.
    """
    _require_bank_member(review, actor)
    if review.status is not ReviewStatus.AWAITING_SECOND_APPROVAL:
        raise IllegalTransition(_("No approval awaits a second approver."))
    if actor.id == review.decided_by_id:
        raise PermissionDenied(_("A second approver must be someone other than the first."))
    review.second_approver_id = actor.id
    review.second_approved_at = utcnow()
    move_review(review, ReviewStatus.APPROVED, actor=actor, second_approver=actor.id)
    _tell_approved(review)
    return review


def _require_text(name: str, text: str, message: str) -> str:
    if not text.strip():
        raise ValidationFailed(message, fields={name: [message]})
    return text.strip()


def request_information(review: LoanReview, question: str, *, actor: User) -> LoanReview:
    _require_bank_member(review, actor)
    _require_step(review, ReviewStatus.INFO_REQUESTED)
    review.reasons = _require_text("question", question, _("Say what information you need."))
    move_review(review, ReviewStatus.INFO_REQUESTED, actor=actor, question=review.reasons)
    _tell_applicant(
        review,
        lambda: _(
            "%(bank)s asks for more information on %(number)s",
            bank=review.bank_org.name_zh,
            number=review.application.number,
        ),
    )
    return review


def answer_information(review: LoanReview, answer: str, *, actor: User) -> LoanReview:
    if actor.organisation_id != review.application.applicant_org_id:
        raise PermissionDenied(_("Only the applicant can answer."))
    review.answer = _require_text("answer", answer, _("Write your answer."))
    move_review(review, ReviewStatus.SUBMITTED, actor=actor, answer=review.answer)
    tell(
        review.bank_org,
        lambda: _("The applicant answered on %(number)s", number=review.application.number),
        f"/pledges/reviews/{review.id}",
    )
    return review


def reject(review: LoanReview, reasons: str, *, actor: User) -> LoanReview:
    _require_bank_member(review, actor)
    _require_step(review, ReviewStatus.REJECTED)
    review.reasons = _require_text("reasons", reasons, _("Give the reasons for the rejection."))
    review.decided_by_id = actor.id
    review.decided_at = utcnow()
    move_review(review, ReviewStatus.REJECTED, actor=actor, reasons=review.reasons)
    _tell_applicant(
        review,
        lambda: _(
            "%(bank)s rejected your loan application %(number)s",
            bank=review.bank_org.name_zh,
            number=review.application.number,
        ),
    )
    return review


# --- the pledge ----------------------------------------------------------------------------------


def move_pledge(pledge: Pledge, new: PledgeStatus, *, actor: User | None, **after: Any) -> None:
    if (pledge.status, new) not in PLEDGE_TRANSITIONS:
        from marketplace.pledges.labels import PLEDGE_STATUS_LABELS

        raise IllegalTransition(
            _(
                "A pledge cannot go from %(old)s to %(new)s.",
                old=PLEDGE_STATUS_LABELS[pledge.status],
                new=PLEDGE_STATUS_LABELS[new],
            )
        )
    before = pledge.status
    pledge.status = new
    for row in pledge.held:
        row.active = new in HOLDING_STATUSES
    audit.record(
        f"pledge.{new.value}",
        pledge,
        actor=actor,
        organisation=pledge.pledgee_org,
        before={"status": before},
        after={"status": new, **after},
    )


def accept_offer(review: LoanReview, *, actor: User) -> Pledge:
    """The applicant takes this bank's approval: the other banks are told, and the pledge is
    agreed with its generated contract.

    :raises IllegalTransition: not approved, or the application is no longer open.
    """
    application = review.application
    if actor.organisation_id != application.applicant_org_id:
        raise PermissionDenied(_("Only the applicant can accept an offer."))
    move_review(review, ReviewStatus.ACCEPTED, actor=actor)
    move_application(application, ApplicationStatus.ACCEPTED, actor=actor)
    for other in application.reviews:
        if other.id != review.id and other.status in OPEN_REVIEW_STATUSES:
            move_review(other, ReviewStatus.CLOSED, actor=actor)
            tell(
                other.bank_org,
                lambda: _(
                    "The applicant accepted another bank's offer on %(number)s",
                    number=application.number,
                ),
                f"/pledges/reviews/{other.id}",
            )
    assert review.approved_amount and review.approved_term_months and review.rate_bp is not None
    start = today()
    collateral = review.collateral_right_ids or [r.id for r in application.rights]
    pledge = Pledge(
        number=f"IPT-P-{start.year}-{review.id:06d}",
        review=review,
        application=application,
        pledgor_org_id=application.applicant_org_id,
        pledgee_org_id=review.bank_org_id,
        principal=review.approved_amount,
        outstanding=review.approved_amount,
        rate_bp=review.rate_bp,
        starts_on=start,
        matures_on=terms.add_months(start, review.approved_term_months),
        contract_version=CONTRACT_VERSION,
        contract_sha256="",
    )
    db.session.add(pledge)
    for right_id in collateral:
        pledge.held.append(PledgeRight(right_id=right_id, active=False))
    db.session.flush()
    db.session.refresh(pledge)
    with force_locale("zh"):
        pledge.contract_pdf = documents.render_document(contract_document(pledge))
    pledge.contract_sha256 = hashlib.sha256(pledge.contract_pdf).hexdigest()
    audit.record(
        "pledge.agreed",
        pledge,
        actor=actor,
        organisation=application.applicant_org,
        after={
            "number": pledge.number,
            "principal": pledge.principal,
            "rate_bp": pledge.rate_bp,
            "matures_on": pledge.matures_on,
            "rights": collateral,
            "contract_sha256": pledge.contract_sha256,
        },
    )
    tell(
        review.bank_org,
        lambda: _(
            "The applicant accepted your offer: pledge %(number)s is ready to file",
            number=pledge.number,
        ),
        f"/pledges/{pledge.id}",
    )
    return pledge


# The contract never lets the pledgee keep the right on default (流质, Civil Code Art. 428):
# any clause that would pass the right to the pledgee is refused before a contract is issued.
_FORFEITURE = re.compile(r"(归|转归|转让给|转移给|过户给|过户至)质权人(所有)?")
_NEGATED = re.compile(
    r"(不得|不能|不应|禁止|无权|严禁)[^。；]{0,40}(归|转归|转让给|转移给|过户给|过户至)质权人"
)


def forfeiture_clauses(clauses: Sequence[str]) -> list[str]:
    """Clauses that would pass the pledged right to the pledgee on default (流质条款)."""
    return [c for c in clauses if _FORFEITURE.search(c) and not _NEGATED.search(c)]


def _party_pairs(org: Organisation) -> list[tuple[str, str]]:
    return [
        ("名称", org.name_zh),
        ("统一社会信用代码 / 身份证号", org.identity_number),
        ("住所地", org.region),
    ]


def _rights_table(rights: Sequence[Right]) -> documents.Table:
    from marketplace.rights.labels import RIGHT_KIND_LABELS

    rows = []
    for right in rights:
        expires_on = rights_services.expiry_of(right)
        rows.append(
            [
                right.display_number,
                str(RIGHT_KIND_LABELS[right.kind]),
                right.title_zh,
                (right.filing_date or right.registration_date or "").__str__(),
                (right.grant_date or right.registration_date or "").__str__(),
                "" if expires_on is None else expires_on.isoformat(),
            ]
        )
    return documents.Table(
        header=["号码", "类型", "名称", "申请日", "授权/登记日", "届满日"],
        rows=rows,
        widths=[2.2, 1.2, 3.2, 1.3, 1.3, 1.3],
    )


def contract_clauses(pledge: Pledge) -> list[str]:
    """The contract's clauses, in Chinese (template version :data:`CONTRACT_VERSION`)."""
    authorities = "、".join(sorted({r.kind.rule.authority_zh for r in pledge.rights}))
    return [
        f"第一条 主债权：质权人向出质人发放贷款人民币{format_money(pledge.principal)}，年利率"
        f"{pledge.rate_bp / 100:.2f}%，债务履行期限自{pledge.starts_on.isoformat()}至"
        f"{pledge.matures_on.isoformat()}。",
        "第二条 质押财产：出质人以本合同附表所列知识产权出质，担保范围为主债权本金、利息、"
        "违约金及实现质权的合理费用。",
        f"第三条 质押登记：双方应在本合同签订之日起三十日内共同向{authorities}办理质押登记，"
        "质权自登记之日起设立。",
        "第四条 出质人保证其为质押财产的合法权利人，质押财产不存在权属争议，未设立其他质权；"
        "共有的知识产权已取得全体共有人同意。",
        "第五条 质押期间，出质人应按时缴纳年费（续展费），维持权利有效；未经质权人书面同意，"
        "出质人不得转让或者许可他人使用质押财产（《民法典》第四百四十四条）。",
        "第六条 质押财产出现被提出无效宣告请求、权利终止、权属纠纷或被采取保全措施等情形的，"
        "出质人应在知悉之日起五日内书面通知质权人。",
        "第七条 主债务履行完毕后，双方应在十个工作日内共同办理质押登记注销手续。",
        "第八条 债务人不履行到期债务的，质权人可以与出质人协议以质押财产折价，也可以就拍卖、"
        "变卖质押财产所得的价款优先受偿；所得价款超过债权数额的部分归出质人所有，"
        "不足部分由债务人清偿（《民法典》第四百三十六条）。",
        "第九条 双方确认：本合同不包含、也不得另行约定债务人不履行到期债务时质押财产归质权人"
        "所有的条款（《民法典》第四百二十八条）。",
        "第十条 本合同自双方签署之日起生效。因本合同发生的争议，由质权人所在地人民法院管辖。",
    ]


def contract_document(pledge: Pledge) -> documents.Document:
    """:raises Conflict: a clause would pass the right to the pledgee on default."""
    clauses = contract_clauses(pledge)
    if forfeiture_clauses(clauses):
        raise Conflict(_("The contract template contains a forfeiture clause: it cannot be used."))
    return documents.Document(
        title="知识产权质押合同",
        number=pledge.number,
        subtitle=f"合同模板版本 {CONTRACT_VERSION}",
        sections=[
            documents.Section("出质人", pairs=_party_pairs(pledge.pledgor_org)),
            documents.Section("质权人", pairs=_party_pairs(pledge.pledgee_org)),
            documents.Section("合同条款", paragraphs=clauses),
            documents.Section("附表：质押财产清单", tables=[_rights_table(pledge.rights)]),
        ],
        signatures=[
            ("出质人（盖章）", pledge.pledgor_org.name_zh),
            ("质权人（盖章）", pledge.pledgee_org.name_zh),
        ],
        footer=f"IP Town 知识产权生态小镇 · {pledge.number}",
    )


def filing_data(pledge: Pledge, kind: FilingKind, rights: Sequence[Right]) -> dict[str, Any]:
    """The joint application data for one authority: pledgor, pledgee, the secured claim, the
    debt's deadline and each right's number, title and dates."""

    def party(org: Organisation) -> dict[str, str]:
        return {"name": org.name_zh, "identity_number": org.identity_number, "region": org.region}

    return {
        "kind": kind.value,
        "authority": rights[0].kind.rule.authority_zh,
        "pledge_number": pledge.number,
        "registration_number": pledge.registration_number,
        "pledgor": party(pledge.pledgor_org),
        "pledgee": party(pledge.pledgee_org),
        "secured_claim": {
            "principal": pledge.principal,
            "currency": pledge.currency,
            "rate_bp": pledge.rate_bp,
            "starts_on": pledge.starts_on.isoformat(),
            "deadline": pledge.matures_on.isoformat(),
            "outstanding": pledge.outstanding,
        },
        "rights": [
            {
                "kind": r.kind.value,
                "number": r.display_number,
                "title": r.title_zh,
                "filing_date": r.filing_date.isoformat() if r.filing_date else None,
                "grant_date": r.grant_date.isoformat() if r.grant_date else None,
                "registration_date": r.registration_date.isoformat()
                if r.registration_date
                else None,
                "expires_on": (e.isoformat() if (e := rights_services.expiry_of(r)) else None),
                "owners": [o.organisation.name_zh for o in r.owners],
            }
            for r in rights
        ],
        "contract_sha256": pledge.contract_sha256,
        "prepared_on": today().isoformat(),
    }


FILING_TITLES = {
    FilingKind.REGISTRATION: "知识产权质押登记申请",
    FilingKind.CHANGE: "知识产权质押登记变更申请",
    FilingKind.RELEASE: "知识产权质押登记注销申请",
}


def filing_document(filing: PledgeFiling) -> documents.Document:
    data = filing.data
    claim = data["secured_claim"]
    rights_table = documents.Table(
        header=["号码", "名称", "申请日", "授权/登记日", "届满日"],
        rows=[
            [
                r["number"],
                r["title"],
                r["filing_date"] or "",
                r["grant_date"] or r["registration_date"] or "",
                r["expires_on"] or "",
            ]
            for r in data["rights"]
        ],
        widths=[2.4, 3.6, 1.4, 1.4, 1.4],
    )
    return documents.Document(
        title=FILING_TITLES[filing.kind],
        number=data["pledge_number"],
        subtitle=f"受理机关：{data['authority']}",
        sections=[
            documents.Section("出质人", pairs=[(k, v) for k, v in data["pledgor"].items()]),
            documents.Section("质权人", pairs=[(k, v) for k, v in data["pledgee"].items()]),
            documents.Section(
                "被担保的主债权",
                pairs=[
                    ("主债权数额", format_money(claim["principal"])),
                    ("年利率", f"{claim['rate_bp'] / 100:.2f}%"),
                    ("债务履行期限", f"{claim['starts_on']} 至 {claim['deadline']}"),
                    ("合同 SHA-256", data["contract_sha256"]),
                ],
            ),
            documents.Section("质押财产", tables=[rights_table]),
        ],
        signatures=[("出质人", data["pledgor"]["name"]), ("质权人", data["pledgee"]["name"])],
        footer=f"IP Town 知识产权生态小镇 · {data['prepared_on']}",
    )


def filing_json(filing: PledgeFiling) -> bytes:
    return json.dumps(filing.data, ensure_ascii=False, sort_keys=True, indent=2).encode()


def _file(pledge: Pledge, kind: FilingKind, *, actor: User) -> list[PledgeFiling]:
    groups: dict[str, list[Right]] = {}
    for right in pledge.rights:
        groups.setdefault(right.kind.rule.authority_zh, []).append(right)
    filings = []
    for authority, rights in groups.items():
        data = filing_data(pledge, kind, rights)
        filing = PledgeFiling(
            pledge=pledge,
            kind=kind,
            authority=authority,
            data=data,
            sha256=hashlib.sha256(
                json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2).encode()
            ).hexdigest(),
            filed_by_id=actor.id,
        )
        db.session.add(filing)
        filings.append(filing)
    db.session.flush()
    for filing in filings:
        audit.record(
            f"pledge_filing.{kind.value}",
            pledge,
            actor=actor,
            organisation=pledge.pledgee_org,
            after={"filing": filing.id, "authority": filing.authority, "sha256": filing.sha256},
        )
    return filings


def _require_pledgee(pledge: Pledge, actor: User) -> None:
    if actor.organisation_id != pledge.pledgee_org_id:
        raise PermissionDenied(_("Only the pledgee bank can do this."))


def pledge_grounds(pledge: Pledge, *, on: date | None = None) -> dict[int, list[Ground]]:
    return {
        right.id: registration_grounds(
            right,
            pledge.application,
            pledgee_id=pledge.pledgee_org_id,
            matures_on=pledge.matures_on,
            pledge=pledge,
            on=on,
        )
        for right in pledge.rights
    }


def file_registration(pledge: Pledge, *, actor: User) -> list[PledgeFiling]:
    """Check every registration-refusal ground under row locks and file: from now on the rights
    are held by this pledge and no other pledge or assignment can take them.

    :raises PledgeRefused: any failing ground (nothing is written).
    """
    _require_pledgee(pledge, actor)
    if pledge.status is not PledgeStatus.AGREED:
        raise IllegalTransition(_("Only an agreed pledge can be filed."))
    listing_services.lock_rights(pledge.rights)
    reasons = [g.message for grounds in pledge_grounds(pledge).values() for g in failing(grounds)]
    if reasons:
        raise PledgeRefused(
            _("The pledge cannot be filed as it stands."), fields={"rights": reasons}
        )
    try:
        with db.session.begin_nested():
            move_pledge(pledge, PledgeStatus.FILED, actor=actor)
            db.session.flush()
    except IntegrityError as exc:  # another pledge took a right after our check
        pledge.status = PledgeStatus.AGREED
        raise PledgeRefused(
            _("The pledge cannot be filed as it stands."),
            fields={"rights": [_("A right of this pledge has just been pledged elsewhere.")]},
        ) from exc
    filings = _file(pledge, FilingKind.REGISTRATION, actor=actor)
    tell(
        pledge.pledgor_org,
        lambda: _("Pledge %(number)s has been filed for registration", number=pledge.number),
        f"/pledges/{pledge.id}",
    )
    return filings


def record_acceptance(filing: PledgeFiling, *, number: str, on: date, actor: User) -> PledgeFiling:
    """Record the authority's registration (or notice) number and date for ``filing``; once
    every registration filing is accepted the pledge is registered.

    :raises ValidationFailed: no number, or a date in the future.
    """
    pledge = filing.pledge
    _require_pledgee(pledge, actor)
    problems: dict[str, list[str]] = {}
    if not number.strip():
        problems["number"] = [_("Enter the number the authority gave.")]
    if on > today():
        problems["on"] = [_("The date cannot be in the future.")]
    if filing.accepted_number or filing.refusal:
        raise Conflict(_("This filing has already been answered."))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    filing.accepted_number = number.strip()
    filing.accepted_on = on
    audit.record(
        "pledge_filing.accepted",
        pledge,
        actor=actor,
        organisation=pledge.pledgee_org,
        after={"filing": filing.id, "number": filing.accepted_number, "on": on},
    )
    registrations = [
        f for f in pledge.filings if f.kind is FilingKind.REGISTRATION and not f.refusal
    ]
    if (
        filing.kind is FilingKind.REGISTRATION
        and pledge.status is PledgeStatus.FILED
        and all(f.accepted_number for f in registrations)
    ):
        pledge.registration_number = "；".join(f.accepted_number or "" for f in registrations)
        pledge.registered_on = max(f.accepted_on or on for f in registrations)
        move_pledge(
            pledge, PledgeStatus.REGISTERED, actor=actor, registration=pledge.registration_number
        )
        tell(
            pledge.pledgor_org,
            lambda: _("Pledge %(number)s is registered", number=pledge.number),
            f"/pledges/{pledge.id}",
        )
    return filing


def record_refusal(filing: PledgeFiling, *, reason: str, actor: User) -> None:
    """The authority refused the registration: the rights are free again and the pledge goes
    back to agreed, to be corrected and filed again."""
    pledge = filing.pledge
    _require_pledgee(pledge, actor)
    if filing.kind is not FilingKind.REGISTRATION or pledge.status is not PledgeStatus.FILED:
        raise IllegalTransition(_("Only a pending registration can be refused."))
    if filing.accepted_number or filing.refusal:
        raise Conflict(_("This filing has already been answered."))
    filing.refusal = _require_text("reason", reason, _("Give the authority's reason."))
    for other in pledge.filings:
        if (
            other.kind is FilingKind.REGISTRATION
            and not other.refusal
            and not other.accepted_number
        ):
            other.refusal = filing.refusal
    move_pledge(pledge, PledgeStatus.AGREED, actor=actor, refusal=filing.refusal)


def record_repayment(
    pledge: Pledge, *, principal: int, interest: int, paid_on: date, actor: User
) -> Repayment:
    """:raises ValidationFailed: negative amounts, more than is owed, or a future date."""
    _require_pledgee(pledge, actor)
    if pledge.status not in (
        PledgeStatus.REGISTERED,
        PledgeStatus.DEFAULTED,
        PledgeStatus.DISPOSING,
    ):
        raise IllegalTransition(_("Repayments are recorded on a registered pledge."))
    problems: dict[str, list[str]] = {}
    if principal < 0 or interest < 0 or principal + interest == 0:
        problems["principal"] = [_("Enter what was repaid.")]
    if principal > pledge.outstanding:
        problems["principal"] = [
            _("Only %(amount)s is outstanding.", amount=format_money(pledge.outstanding))
        ]
    if paid_on > today():
        problems["paid_on"] = [_("The date cannot be in the future.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    repayment = Repayment(
        pledge=pledge,
        principal=principal,
        interest=interest,
        paid_on=paid_on,
        recorded_by_id=actor.id,
    )
    db.session.add(repayment)
    before = pledge.outstanding
    pledge.outstanding -= principal
    pledge.interest_paid += interest
    db.session.flush()
    audit.record(
        "pledge.repayment",
        pledge,
        actor=actor,
        organisation=pledge.pledgee_org,
        before={"outstanding": before},
        after={
            "outstanding": pledge.outstanding,
            "principal": principal,
            "interest": interest,
            "paid_on": paid_on,
        },
    )
    return repayment


def release_pledge(pledge: Pledge, *, actor: User) -> list[PledgeFiling]:
    """注销登记 once the debt is repaid: the release filing data is produced and the rights are
    free.

    :raises Conflict: principal still outstanding.
    """
    _require_pledgee(pledge, actor)
    if pledge.outstanding > 0:
        raise Conflict(
            _(
                "%(amount)s is still outstanding: record the repayment first.",
                amount=format_money(pledge.outstanding),
            )
        )
    listing = pledge.disposal_listing
    if listing is not None and listing.status in (ListingStatus.DRAFT, ListingStatus.PUBLISHED):
        # Repaid before the sale: the collateral is no longer for sale.
        listing_services.withdraw_listing(listing, actor=actor)
    elif listing is not None and listing.status is ListingStatus.UNDER_NEGOTIATION:
        raise Conflict(_("The collateral's sale is under negotiation: it cannot be released now."))
    move_pledge(pledge, PledgeStatus.RELEASED, actor=actor)
    pledge.released_on = today()
    filings = _file(pledge, FilingKind.RELEASE, actor=actor)
    tell(
        pledge.pledgor_org,
        lambda: _("Pledge %(number)s is released", number=pledge.number),
        f"/pledges/{pledge.id}",
    )
    return filings


def change_pledge(
    pledge: Pledge, *, principal: int, matures_on: date, actor: User
) -> list[PledgeFiling]:
    """变更: a new secured amount or deadline, re-checked against every right's expiry.

    :raises ValidationFailed: a bad amount or a deadline after a right expires.
    """
    _require_pledgee(pledge, actor)
    if pledge.status is not PledgeStatus.REGISTERED:
        raise IllegalTransition(_("Only a registered pledge can be changed."))
    problems: dict[str, list[str]] = {}
    repaid = pledge.principal - pledge.outstanding
    if principal <= repaid:
        problems["principal"] = [
            _(
                "The secured amount must exceed what was repaid (%(amount)s).",
                amount=format_money(repaid),
            )
        ]
    if matures_on <= pledge.starts_on:
        problems["matures_on"] = [_("The deadline must be after the loan starts.")]
    for right in pledge.rights:
        expires_on = rights_services.expiry_of(right)
        if expires_on is not None and matures_on > expires_on:
            problems.setdefault("matures_on", []).append(
                _(
                    "The debt's deadline %(deadline)s is after %(number)s expires on %(date)s.",
                    deadline=matures_on.isoformat(),
                    number=right.display_number,
                    date=expires_on.isoformat(),
                )
            )
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    before = {"principal": pledge.principal, "matures_on": pledge.matures_on}
    pledge.outstanding = principal - repaid
    pledge.principal = principal
    pledge.matures_on = matures_on
    audit.record(
        "pledge.changed",
        pledge,
        actor=actor,
        organisation=pledge.pledgee_org,
        before=before,
        after={"principal": principal, "matures_on": matures_on},
    )
    return _file(pledge, FilingKind.CHANGE, actor=actor)


def declare_default(pledge: Pledge, *, actor: User) -> None:
    _require_pledgee(pledge, actor)
    if pledge.outstanding <= 0:
        raise Conflict(_("Nothing is outstanding."))
    move_pledge(pledge, PledgeStatus.DEFAULTED, actor=actor, outstanding=pledge.outstanding)
    pledge.defaulted_on = today()
    tell(
        pledge.pledgor_org,
        lambda: _(
            "%(bank)s declared pledge %(number)s in default",
            bank=pledge.pledgee_org.name_zh,
            number=pledge.number,
        ),
        f"/pledges/{pledge.id}",
    )


def dispose_collateral(pledge: Pledge, *, actor: User, asking_price: int | None = None) -> Listing:
    """On default, offer the collateral for assignment on the market: the seller is still the
    owner (the pledgor), with the pledgee's consent built in; when the deal settles the bank is
    paid first (:func:`split_proceeds`).

    :raises ListingRefused: the rights cannot be offered (e.g. lapsed).
    """
    _require_pledgee(pledge, actor)
    if pledge.status is not PledgeStatus.DEFAULTED:
        raise IllegalTransition(_("Only a defaulted pledge's collateral can be disposed of."))
    if asking_price is not None and asking_price <= 0:
        message = _("The price must be more than zero, or left empty for negotiable.")
        raise ValidationFailed(message, fields={"asking_price": [message]})
    titles = "、".join(r.title_zh for r in pledge.rights)
    listing = Listing(
        seller_org_id=pledge.pledgor_org_id,
        created_by_id=actor.id,
        title=f"质押物处置：{titles}"[:200],
        teaser=(
            f"{pledge.pledgee_org.name_zh}作为质权人同意转让以下知识产权，所得价款优先清偿"
            f"质押贷款 {pledge.number}。"
        ),
        deal_type=DealType.ASSIGNMENT,
        asking_price=asking_price,
        rights=list(pledge.rights),
        industry=next((r.industry for r in pledge.rights if r.industry), None),
        region=pledge.pledgor_org.region,
    )
    db.session.add(listing)
    db.session.flush()
    consent = TransferConsent(
        pledge=pledge,
        listing=listing,
        status=TransferConsentStatus.GRANTED,
        note="处置质押物",
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    db.session.add(consent)
    db.session.flush()
    listing_services.publish_listing(listing, actor=actor)
    pledge.disposal_listing_id = listing.id
    move_pledge(pledge, PledgeStatus.DISPOSING, actor=actor, listing=listing.id)
    tell(
        pledge.pledgor_org,
        lambda: _(
            "The collateral of pledge %(number)s is offered for sale by the pledgee",
            number=pledge.number,
        ),
        f"/listings/{listing.id}",
    )
    return listing


def split_proceeds(proceeds: int, outstanding: int) -> tuple[int, int]:
    """Disposal proceeds pay the bank first, up to the outstanding debt, then the owner:
    ``(to the pledgee, to the pledgor)``, in fen."""
    if proceeds < 0 or outstanding < 0:
        raise ValueError("amounts cannot be negative")
    to_bank = min(proceeds, outstanding)
    return to_bank, proceeds - to_bank


def settle_disposal(pledge: Pledge, *, proceeds: int, actor: User | None) -> tuple[int, int]:
    """The disposal deal settled for ``proceeds`` (fen): the bank is repaid first, up to the
    outstanding principal, the owner gets the rest, and the pledge ends with its rights freed.
    Called by the deal's settlement; returns ``(to the pledgee, to the pledgor)``.

    :raises IllegalTransition: the pledge is not disposing.
    """
    if pledge.status is not PledgeStatus.DISPOSING:
        raise IllegalTransition(_("Only collateral being disposed of can be settled."))
    to_bank, to_owner = split_proceeds(proceeds, pledge.outstanding)
    before = pledge.outstanding
    if to_bank:
        db.session.add(
            Repayment(
                pledge=pledge,
                principal=to_bank,
                interest=0,
                paid_on=today(),
                recorded_by_id=actor.id if actor else pledge.review.decided_by_id,
            )
        )
        pledge.outstanding -= to_bank
    move_pledge(
        pledge,
        PledgeStatus.DISPOSED,
        actor=actor,
        proceeds=proceeds,
        to_pledgee=to_bank,
        to_pledgor=to_owner,
        outstanding_before=before,
        outstanding_after=pledge.outstanding,
    )
    return to_bank, to_owner


# --- the pledgee's consent to transfers ----------------------------------------------------------


def holding_pledges(right: Right) -> list[Pledge]:
    return [p for p in active_pledges(right) if p.status in HOLDING_STATUSES]


def consent_for(pledge: Pledge, listing: Listing) -> TransferConsent | None:
    return db.session.scalar(
        sa.select(TransferConsent).where(
            TransferConsent.pledge_id == pledge.id, TransferConsent.listing_id == listing.id
        )
    )


def pledgee_consent_reasons(listing: Listing, right: Right) -> list[str]:
    """A listing check (assignment, licence or open licence): a pledged right needs the
    pledgee's recorded consent to this listing."""
    reasons = []
    for pledge in holding_pledges(right):
        consent = consent_for(pledge, listing) if listing.id else None
        if consent is None or consent.status is not TransferConsentStatus.GRANTED:
            reasons.append(
                _(
                    "%(number)s is pledged to %(bank)s: the pledgee's consent is needed.",
                    number=right.number,
                    bank=pledge.pledgee_org.name_zh,
                )
            )
    return reasons


def request_transfer_consent(listing: Listing, *, actor: User) -> list[TransferConsent]:
    """The seller asks each pledgee of the listing's rights for consent.

    :raises Conflict: nothing of the listing is pledged.
    """
    if actor.organisation_id != listing.seller_org_id:
        raise PermissionDenied(_("Only the seller can ask for consent."))
    consents = []
    pledged = False
    for right in listing.rights:
        for pledge in holding_pledges(right):
            consent = consent_for(pledge, listing)
            if consent is None:
                consent = TransferConsent(pledge=pledge, listing=listing, requested_by_id=actor.id)
                db.session.add(consent)
            elif consent.status is TransferConsentStatus.REFUSED:
                consent.status = TransferConsentStatus.REQUESTED
            else:
                pledged = True  # already asked or granted: not asked again
                continue
            consents.append(consent)
    if not consents:
        if pledged:
            raise Conflict(_("The pledgee has already been asked."))
        raise Conflict(_("None of this listing's rights is pledged."))
    db.session.flush()
    for consent in {c.id: c for c in consents}.values():
        audit.record(
            "transfer_consent.requested",
            consent.pledge,
            actor=actor,
            organisation=listing.seller_org,
            after={"listing": listing.id},
        )
        tell(
            consent.pledge.pledgee_org,
            lambda c=consent: _(
                "Consent asked: listing %(listing)s offers collateral of pledge %(number)s",
                listing=listing.id,
                number=c.pledge.number,
            ),
            f"/pledges/{consent.pledge_id}",
        )
    return consents


def decide_transfer_consent(
    consent: TransferConsent, *, grant: bool, actor: User, note: str = ""
) -> TransferConsent:
    _require_pledgee(consent.pledge, actor)
    if consent.status is not TransferConsentStatus.REQUESTED:
        raise IllegalTransition(_("This consent has already been decided."))
    consent.status = TransferConsentStatus.GRANTED if grant else TransferConsentStatus.REFUSED
    consent.note = note.strip() or None
    consent.decided_by_id = actor.id
    consent.decided_at = utcnow()
    audit.record(
        f"transfer_consent.{consent.status.value}",
        consent.pledge,
        actor=actor,
        organisation=consent.pledge.pledgee_org,
        after={"listing": consent.listing_id, "note": consent.note},
    )
    tell(
        consent.listing.seller_org,
        lambda: _(
            "The pledgee decided on consent for listing %(listing)s",
            listing=consent.listing_id,
        ),
        f"/listings/{consent.listing_id}",
    )
    return consent


listing_services.EXTRA_CHECKS.append(pledgee_consent_reasons)
