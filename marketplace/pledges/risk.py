"""Risk sharing (风险分担): the town's risk-compensation fund (风险补偿) and interest subsidy (贴息)
as configurable schemes, and what each loan may claim from them.

Two layers:

- **Arithmetic** on frozen dataclasses, without Flask or the database: :class:`LoanFacts` (what
  a loan did), :class:`SchemeTerms` (what a scheme pays for), :func:`eligibility` and
  :func:`allocate`. Every amount is integer fen; shares are basis points (10 000 = 100 %) and
  every product is floored, so no float ever touches money and the fund never pays a fraction
  of a fen more than its share.
- **Services** that read the database: configuring a scheme (:func:`create_scheme`,
  :func:`update_scheme`, validated and audited; they flush, never commit), and reports
  (:func:`scheme_report` over every loan, :func:`support_for` for one loan).

The platform computes and reports what each loan may claim; it records no payout. A report is
recomputed from the pledges' records and the scheme's *current* terms each time it is asked
for, so a year's figures change only when a bank corrects its records or the operator changes
the scheme.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from marketplace.core import audit
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.pledges.models import (
    Pledge,
    PledgeRight,
    PledgeStatus,
    RiskScheme,
    SchemeKind,
)
from marketplace.valuations.indicative import INDUSTRY_LABELS

#: 100 %, in basis points.
FULL_SHARE_BP = 10_000
#: Schemes pay in yuan; loans in any other currency are never eligible (no currency mixing).
SCHEME_CURRENCY = "CNY"
#: A pledge in one of these states was registered at some point: only those loans are secured
#: and can be supported. Agreed, filed and cancelled pledges never were.
REGISTERED_STATUSES = frozenset(
    {
        PledgeStatus.REGISTERED,
        PledgeStatus.RELEASED,
        PledgeStatus.DEFAULTED,
        PledgeStatus.DISPOSING,
        PledgeStatus.DISPOSED,
    }
)
#: The industries a scheme can name: the rights' own industry keys.
INDUSTRIES: tuple[str, ...] = tuple(INDUSTRY_LABELS)


class Reason(enum.StrEnum):
    """Why a loan is not eligible for a scheme: stable codes (the API's), labels below."""

    NOT_REGISTERED = "not_registered"
    CURRENCY = "currency"
    REGION = "region"
    INDUSTRY = "industry"


REASON_LABELS = {
    Reason.NOT_REGISTERED: _l("The pledge was never registered."),
    Reason.CURRENCY: _l("The loan is not in yuan."),
    Reason.REGION: _l("The pledgor's region is not covered by the scheme."),
    Reason.INDUSTRY: _l("None of the pledged rights is in an industry the scheme covers."),
}

KIND_LABELS = {
    SchemeKind.RISK_COMPENSATION: _l("Risk compensation"),
    SchemeKind.INTEREST_SUBSIDY: _l("Interest subsidy"),
}


# --- arithmetic ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanFacts:
    """What one pledged loan did, as the scheme arithmetic needs it. Amounts in fen."""

    pledge_id: int
    number: str
    pledgor: str
    #: The pledgor organisation's region, e.g. ``吉林省长春市长春新区``.
    region: str
    #: The industry of each pledged right that has one.
    industries: tuple[str, ...]
    status: PledgeStatus
    principal: int
    #: Principal still owed today.
    outstanding: int
    defaulted_on: date | None = None
    #: ``(paid_on, fen)`` of every repayment that paid interest, and of every one that paid
    #: principal; several payments may share a date.
    interest_payments: tuple[tuple[date, int], ...] = ()
    principal_payments: tuple[tuple[date, int], ...] = ()
    currency: str = SCHEME_CURRENCY

    def interest_paid_in(self, year: int) -> int:
        """Interest paid on dates in calendar ``year`` (Beijing dates, as recorded)."""
        return sum(amount for paid_on, amount in self.interest_payments if paid_on.year == year)

    def first_interest_in(self, year: int) -> date | None:
        dates = [paid_on for paid_on, amount in self.interest_payments if paid_on.year == year]
        return min(dates) if dates else None

    @property
    def outstanding_at_default(self) -> int:
        """Principal owed when the loan defaulted: what is owed today plus the principal
        recovered by payments dated *after* the default day (a payment on the default day
        itself counts as made before it). Zero when the loan never defaulted."""
        if self.defaulted_on is None:
            return 0
        recovered = sum(
            amount for paid_on, amount in self.principal_payments if paid_on > self.defaulted_on
        )
        return min(self.principal, self.outstanding + recovered)


@dataclass(frozen=True)
class SchemeTerms:
    """A scheme's rules. ``regions`` and ``industries`` empty: every region, every industry."""

    kind: SchemeKind
    #: Share of the basis the scheme pays, in basis points (1–10 000).
    share_bp: int
    annual_cap: int
    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupportLine:
    """What one loan gets from one scheme in one calendar year. Amounts in fen.

    ``basis`` is the interest paid in the year (subsidy) or the principal outstanding at a
    default in the year (compensation), computed even for an ineligible loan so that a report
    shows what it would have been. ``claim`` is ``basis × share`` floored, zero when not
    eligible; ``paid`` is what the annual cap leaves of the claim; ``cap_left`` is the cap left
    after this line.
    """

    pledge_id: int
    number: str
    pledgor: str
    eligible: bool
    reasons: tuple[Reason, ...]
    #: The date that places the loan in the queue for the cap: its first interest payment of
    #: the year, or its default day. None when there is nothing to claim.
    event_on: date | None
    basis: int
    claim: int
    paid: int
    cap_left: int

    @property
    def capped(self) -> bool:
        """The cap ran out before the whole claim was paid."""
        return self.paid < self.claim


@dataclass(frozen=True)
class ReportTotals:
    basis: int
    claim: int
    paid: int
    annual_cap: int

    @property
    def cap_used(self) -> int:
        return self.paid

    @property
    def cap_left(self) -> int:
        return self.annual_cap - self.paid


def share_of(amount: int, share_bp: int) -> int:
    """``amount × share_bp / 10 000`` in whole fen, rounded down (the fund never overpays)."""
    return amount * share_bp // FULL_SHARE_BP


def region_matches(terms: SchemeTerms, region: str) -> bool:
    """A listed region matches when the organisation's region *contains* it: ``长春新区``
    covers ``吉林省长春市长春新区``. No region listed: every region."""
    return not terms.regions or any(listed in region for listed in terms.regions)


def industry_matches(terms: SchemeTerms, industries: Iterable[str]) -> bool:
    """At least one pledged right is in a listed industry. No industry listed: all of them,
    including rights with no industry recorded."""
    return not terms.industries or any(i in terms.industries for i in industries)


def eligibility(terms: SchemeTerms, loan: LoanFacts) -> list[Reason]:
    """Every reason ``loan`` is not eligible for the scheme; an empty list means eligible.

    A loan is eligible when its pledge was registered (its status is one of
    :data:`REGISTERED_STATUSES`: registered, released, defaulted, disposing or disposed), it is
    in yuan, its pledgor's region matches (:func:`region_matches`) and one of its rights is in
    a covered industry (:func:`industry_matches`).
    """
    reasons = []
    if loan.status not in REGISTERED_STATUSES:
        reasons.append(Reason.NOT_REGISTERED)
    if loan.currency != SCHEME_CURRENCY:
        reasons.append(Reason.CURRENCY)
    if not region_matches(terms, loan.region):
        reasons.append(Reason.REGION)
    if not industry_matches(terms, loan.industries):
        reasons.append(Reason.INDUSTRY)
    return reasons


def basis_and_event(terms: SchemeTerms, loan: LoanFacts, year: int) -> tuple[int, date | None]:
    """The amount the share applies to in calendar ``year``, and the date of the event that
    gave rise to it.

    - Interest subsidy: all interest paid on dates in ``year``; the event is the first such
      payment.
    - Risk compensation: for a loan that defaulted in ``year``, the principal outstanding at
      default (:attr:`LoanFacts.outstanding_at_default`); the event is the default day. A loan
      that defaulted in another year has no basis this year. Later recoveries do not reduce the
      basis: a fund is repaid its share of recoveries outside the platform.
    """
    if terms.kind is SchemeKind.INTEREST_SUBSIDY:
        basis = loan.interest_paid_in(year)
        return basis, loan.first_interest_in(year) if basis else None
    if loan.defaulted_on is not None and loan.defaulted_on.year == year:
        basis = loan.outstanding_at_default
        return basis, loan.defaulted_on if basis else None
    return 0, None


def allocate(terms: SchemeTerms, loans: Iterable[LoanFacts], year: int) -> list[SupportLine]:
    """One line per loan: eligibility, basis, claim and what the annual cap pays of it.

    Rules, in order:

    1. ``claim = floor(basis × share_bp / 10 000)`` for an eligible loan, else 0
       (:func:`basis_and_event`, :func:`eligibility`).
    2. The annual cap is a queue, first come first served: loans with a claim are served by
       their event date (earliest first), then by pledge id; each is paid
       ``min(claim, cap left)``. Once the cap is spent, later claims are paid 0.
    3. Lines come back in that order, followed by the loans with nothing to claim, by pledge id.

    The same loans and terms always give the same lines, whatever order ``loans`` comes in.
    """
    lines = []
    for loan in loans:
        reasons = eligibility(terms, loan)
        basis, event_on = basis_and_event(terms, loan, year)
        claim = share_of(basis, terms.share_bp) if not reasons else 0
        lines.append(
            SupportLine(
                pledge_id=loan.pledge_id,
                number=loan.number,
                pledgor=loan.pledgor,
                eligible=not reasons,
                reasons=tuple(reasons),
                event_on=event_on,
                basis=basis,
                claim=claim,
                paid=0,
                cap_left=0,
            )
        )
    claiming = sorted(
        (line for line in lines if line.claim > 0),
        key=lambda line: (line.event_on or date.max, line.pledge_id),
    )
    idle = sorted((line for line in lines if line.claim <= 0), key=lambda line: line.pledge_id)
    cap_left = terms.annual_cap
    allocated = []
    for line in claiming:
        paid = min(line.claim, cap_left)
        cap_left -= paid
        allocated.append(replace(line, paid=paid, cap_left=cap_left))
    allocated.extend(replace(line, cap_left=cap_left) for line in idle)
    return allocated


def totals(lines: Iterable[SupportLine], annual_cap: int) -> ReportTotals:
    basis = claim = paid = 0
    for line in lines:
        basis += line.basis
        claim += line.claim
        paid += line.paid
    return ReportTotals(basis=basis, claim=claim, paid=paid, annual_cap=annual_cap)


# --- configuring schemes -------------------------------------------------------------------------

#: ¥10 billion a year: above any town fund, far inside a 64-bit integer of fen.
MAX_ANNUAL_CAP = 1_000_000_000_000
MAX_REGIONS = 50
REGION_LENGTH = 40
NAME_LENGTH = 200


@dataclass(frozen=True)
class SchemeData:
    """A scheme as the operator configures it. ``annual_cap`` in fen, ``share_bp`` in basis
    points (4 000 = 40 %)."""

    kind: SchemeKind
    name_zh: str
    share_bp: int
    annual_cap: int
    name_en: str | None = None
    regions: Sequence[str] = ()
    industries: Sequence[str] = ()
    active: bool = True


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_scheme_data(data: SchemeData) -> SchemeData:
    """Check every field and return the data trimmed and de-duplicated.

    :raises ValidationFailed: listing every problem by field name.
    """
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    kind: Any = data.kind
    if not isinstance(kind, SchemeKind):
        try:
            kind = SchemeKind(kind)
        except ValueError:
            problem("kind", _("Choose the kind of scheme."))
    name_zh = (data.name_zh or "").strip()
    name_en = (data.name_en or "").strip() or None
    if not name_zh:
        problem("name_zh", _("Enter the scheme's name."))
    for name, value in (("name_zh", name_zh), ("name_en", name_en)):
        if value and len(value) > NAME_LENGTH:
            problem(
                name,
                _("%(n)d characters is too long; at most %(max)d.", n=len(value), max=NAME_LENGTH),
            )
    if not _is_int(data.share_bp) or not 0 < data.share_bp <= FULL_SHARE_BP:
        problem(
            "share_bp",
            _("The share must be more than %(min)s and at most %(max)s.", min="0 %", max="100 %"),
        )
    if not _is_int(data.annual_cap) or data.annual_cap <= 0:
        problem("annual_cap", _("The annual cap must be more than zero."))
    elif data.annual_cap > MAX_ANNUAL_CAP:
        problem("annual_cap", _("The annual cap is implausibly large; check the amount."))
    regions = list(dict.fromkeys(r.strip() for r in data.regions if r and r.strip()))
    if len(regions) > MAX_REGIONS:
        problem("regions", _("Name at most %(max)d regions.", max=MAX_REGIONS))
    for region in regions:
        if len(region) > REGION_LENGTH:
            problem(
                "regions",
                _(
                    "%(n)d characters is too long; at most %(max)d.",
                    n=len(region),
                    max=REGION_LENGTH,
                ),
            )
    industries = list(dict.fromkeys(data.industries))
    for industry in industries:
        if industry not in INDUSTRIES:
            problem("industries", _("%(value)s is not an industry of the town.", value=industry))
    if not isinstance(data.active, bool):
        problem("active", _("Say whether the scheme is active."))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    return replace(
        data,
        kind=kind,
        name_zh=name_zh,
        name_en=name_en,
        regions=tuple(regions),
        industries=tuple(industries),
    )


def snapshot(scheme: RiskScheme) -> dict[str, Any]:
    return {
        "kind": scheme.kind,
        "name_zh": scheme.name_zh,
        "name_en": scheme.name_en,
        "share_bp": scheme.share_bp,
        "annual_cap": scheme.annual_cap,
        "regions": list(scheme.regions),
        "industries": list(scheme.industries),
        "active": scheme.active,
    }


def _require_operator(actor: Any) -> None:
    if not getattr(actor, "is_operator", False):
        raise PermissionDenied(_("Only the town operator configures risk-sharing schemes."))


def _apply(scheme: RiskScheme, data: SchemeData) -> None:
    scheme.kind = data.kind
    scheme.name_zh = data.name_zh
    scheme.name_en = data.name_en
    scheme.share_bp = data.share_bp
    scheme.annual_cap = data.annual_cap
    scheme.regions = list(data.regions)
    scheme.industries = list(data.industries)
    scheme.active = data.active


def create_scheme(data: SchemeData, *, actor: Any) -> RiskScheme:
    """Configure a new scheme.

    :raises PermissionDenied: ``actor`` is not a member of the verified operator.
    :raises ValidationFailed: no kind or name, a share outside (0, 100 %], a cap that is not
        positive or implausibly large, an overlong region, an unknown industry.
    """
    _require_operator(actor)
    data = validate_scheme_data(data)
    scheme = RiskScheme()
    _apply(scheme, data)
    db.session.add(scheme)
    db.session.flush()
    audit.record("risk_scheme.created", scheme, actor=actor, after=snapshot(scheme))
    return scheme


def update_scheme(scheme: RiskScheme, data: SchemeData, *, actor: Any) -> RiskScheme:
    """Change a scheme; the audit entry keeps the fields that changed, before and after.
    Reports of past years are recomputed with the new terms.

    :raises PermissionDenied / ValidationFailed: as :func:`create_scheme`; the scheme is left
        unchanged.
    """
    _require_operator(actor)
    data = validate_scheme_data(data)
    before = snapshot(scheme)
    _apply(scheme, data)
    after = snapshot(scheme)
    changed = [name for name in after if after[name] != before[name]]
    db.session.flush()
    if changed:
        audit.record(
            "risk_scheme.updated",
            scheme,
            actor=actor,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return scheme


# --- reports -------------------------------------------------------------------------------------


def terms_of(scheme: RiskScheme) -> SchemeTerms:
    return SchemeTerms(
        kind=scheme.kind,
        share_bp=scheme.share_bp,
        annual_cap=scheme.annual_cap,
        regions=tuple(scheme.regions or ()),
        industries=tuple(scheme.industries or ()),
    )


def loan_facts(pledge: Pledge) -> LoanFacts:
    """The arithmetic's view of ``pledge``. Interest and principal come from its repayment
    records (dated), not from the running totals on the pledge."""
    return LoanFacts(
        pledge_id=pledge.id,
        number=pledge.number,
        pledgor=pledge.pledgor_org.name_zh,
        region=pledge.pledgor_org.region or "",
        industries=tuple(right.industry for right in pledge.rights if right.industry),
        status=pledge.status,
        principal=pledge.principal,
        outstanding=pledge.outstanding,
        defaulted_on=pledge.defaulted_on,
        interest_payments=tuple(
            (r.paid_on, r.interest) for r in pledge.repayments if r.interest > 0
        ),
        principal_payments=tuple(
            (r.paid_on, r.principal) for r in pledge.repayments if r.principal > 0
        ),
        currency=pledge.currency,
    )


def _registered_loans() -> list[LoanFacts]:
    pledges = db.session.scalars(
        sa.select(Pledge)
        .where(Pledge.status.in_(REGISTERED_STATUSES))
        .options(
            selectinload(Pledge.pledgor_org),
            selectinload(Pledge.held).selectinload(PledgeRight.right),
            selectinload(Pledge.repayments),
        )
        .order_by(Pledge.id)
    )
    return [loan_facts(p) for p in pledges]


def scheme_report(
    scheme: RiskScheme, year: int, *, include_empty: bool = False
) -> list[SupportLine]:
    """The scheme's lines for calendar ``year`` over every registered loan, in allocation
    order (:func:`allocate`). Loans with nothing for that year (no interest paid in it, no
    default in it) are left out unless ``include_empty``; ineligible loans with a basis stay,
    with their reasons."""
    lines = allocate(terms_of(scheme), _registered_loans(), year)
    return lines if include_empty else [line for line in lines if line.basis > 0]


def all_schemes() -> list[RiskScheme]:
    """Active schemes first, then inactive ones, each in the order they were created."""
    return list(
        db.session.scalars(sa.select(RiskScheme).order_by(RiskScheme.active.desc(), RiskScheme.id))
    )


def active_schemes() -> list[RiskScheme]:
    return list(
        db.session.scalars(
            sa.select(RiskScheme).where(RiskScheme.active.is_(True)).order_by(RiskScheme.id)
        )
    )


def support_for(pledge: Pledge, year: int) -> list[tuple[RiskScheme, SupportLine]]:
    """``pledge``'s line in every active scheme for calendar ``year``.

    What a loan is paid depends on the loans ahead of it in the cap's queue, so each scheme's
    allocation runs over every registered loan and this loan's line is picked out of it. A
    pledge that was never registered gets an ineligible line.
    """
    schemes = active_schemes()
    if not schemes:
        return []
    loans = _registered_loans()
    if all(loan.pledge_id != pledge.id for loan in loans):
        loans.append(loan_facts(pledge))
    result = []
    for scheme in schemes:
        lines = allocate(terms_of(scheme), loans, year)
        result.append((scheme, next(line for line in lines if line.pledge_id == pledge.id)))
    return result
