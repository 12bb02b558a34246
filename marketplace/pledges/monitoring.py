"""Monitoring pledged collateral: the daily alerts, the collateral value, and a bank's portfolio.

* :func:`run_monitor` is the daily job (``flask pledges monitor``). It looks at every pledge
  that holds its rights and raises a :class:`PledgeAlert` when an annual fee falls due soon or
  was missed, a right's legal status leaves "in force", a right ends too close to the loan's
  maturity, or a new appraisal puts the collateral below the bank's coverage threshold. Each
  alert has a ``key`` (unique per pledge) naming the fact it is about, so a rerun, or a day
  the job ran twice, raises nothing new; each new alert is audited and the bank's members are
  told once.
* :func:`collateral_value` and :func:`portfolio` give the figures of the bank's portfolio page.

Like all services, these functions flush and never commit: the CLI commits, after each batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, User
from marketplace.core import audit
from marketplace.core.clock import BEIJING, today
from marketplace.core.errors import IllegalTransition, PermissionDenied
from marketplace.core.models import utcnow
from marketplace.core.money import format_money
from marketplace.extensions import db
from marketplace.orders.models import order_rights
from marketplace.orders.services import tell
from marketplace.pledges.models import (
    HOLDING_STATUSES,
    AlertCode,
    LendingPolicy,
    Pledge,
    PledgeAlert,
    PledgeRight,
)
from marketplace.pledges.services import (
    BP,
    FEE_WARNING_DAYS,
    conservative_value,
    policy_for,
    report_rights,
)
from marketplace.rights import services as rights_services
from marketplace.rights import terms
from marketplace.rights.models import Right, RightStatus
from marketplace.valuations.models import Appraisal, Report, ReportStatus

DEFAULT_BATCH_SIZE = 200

#: Statuses a pledged right should not be in; each one reached is a STATUS_CHANGED alert. The
#: grace period is not here: FEE_MISSED is the alert for it, so the bank is told once.
ALERT_STATUSES = frozenset(
    {
        RightStatus.LAPSED,
        RightStatus.EXPIRED,
        RightStatus.UNDER_INVALIDATION,
        RightStatus.INVALIDATED,
        RightStatus.SUSPENDED,
    }
)
#: The right is gone: fees and expiry no longer matter, the status alert says it all.
ENDED_STATUSES = frozenset({RightStatus.LAPSED, RightStatus.EXPIRED, RightStatus.INVALIDATED})


def _flush() -> None:
    db.session.flush()


# --- collateral value ----------------------------------------------------------------------------


def _signed_on(report: Report) -> date:
    return report.signed_at.astimezone(BEIJING).date()


def _reports_by_right(right_ids: Iterable[int]) -> dict[int, list[Report]]:
    """Valid reports covering each right, newest first."""
    ids = sorted(set(right_ids))
    found: dict[int, list[Report]] = {}
    if not ids:
        return found
    rows = db.session.execute(
        sa.select(order_rights.c.right_id, Report)
        .join(Appraisal, Report.appraisal_id == Appraisal.id)
        .join(order_rights, order_rights.c.order_id == Appraisal.order_id)
        .where(order_rights.c.right_id.in_(ids), Report.status == ReportStatus.VALID)
        .order_by(Report.signed_at.desc(), Report.id.desc())
    )
    for right_id, report in rows:
        found.setdefault(right_id, []).append(report)
    return found


def _newest_reports(
    pledge: Pledge, reports: dict[int, list[Report]], *, until: date | None = None
) -> list[Report]:
    """The newest valid report on each pledged right (signed by ``until``), each report once."""
    chosen: dict[int, Report] = {}
    for row in pledge.held:
        newest = next(
            (r for r in reports.get(row.right_id, ()) if until is None or _signed_on(r) <= until),
            None,
        )
        if newest is not None:
            chosen[newest.id] = newest
    return list(chosen.values())


def _value(chosen: Sequence[Report], policy: LendingPolicy) -> int | None:
    return sum(conservative_value(r, policy) for r in chosen) if chosen else None


def coverage_bp(value: int | None, owed: int) -> int | None:
    """Collateral value ÷ what is owed, in basis points; None when either is unknown or nil."""
    if value is None or owed <= 0:
        return None
    return value * BP // owed


def collateral_value(pledge: Pledge, *, on: date | None = None) -> int | None:
    """What the pledge's collateral is worth to the bank, in fen: the newest valid report on
    each pledged right at the bank's conservative value, a report covering several pledged
    rights counted once; with ``on``, only reports signed by that day. None when no pledged
    right has a report."""
    reports = _reports_by_right(row.right_id for row in pledge.held)
    return _value(_newest_reports(pledge, reports, until=on), policy_for(pledge.pledgee_org))


# --- the daily monitor ---------------------------------------------------------------------------


@dataclass
class MonitorReport:
    on: date
    #: holding pledges looked at
    checked: int = 0
    raised: Counter[AlertCode] = field(default_factory=Counter)
    #: rights whose dates give no term: (pledge id, right id, reason)
    failures: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def raised_total(self) -> int:
        return sum(self.raised.values())


@dataclass(frozen=True)
class _Finding:
    code: AlertCode
    key: str
    right: Right | None
    detail: dict[str, Any]
    #: the notification's title, called in each member's language
    title: Callable[[], str]


def run_monitor(
    on: date | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    checkpoint: Callable[[], None] = _flush,
) -> MonitorReport:
    """Raise the alerts of every pledge holding its rights on ``on`` (default today in Beijing).

    Pledges are read ``batch_size`` at a time by id and ``checkpoint`` runs after each batch
    (the CLI passes ``db.session.commit``). An alert whose key the pledge already has is not
    raised again, resolved or not: running the monitor twice raises nothing the second time.
    """
    day = on or today()
    report = MonitorReport(on=day)
    policies: dict[int, LendingPolicy] = {}
    last_id = 0
    while True:
        batch = db.session.scalars(
            sa.select(Pledge)
            .where(Pledge.id > last_id, Pledge.status.in_(HOLDING_STATUSES))
            .options(
                selectinload(Pledge.held).selectinload(PledgeRight.right),
                selectinload(Pledge.pledgee_org),
            )
            .order_by(Pledge.id)
            .limit(batch_size)
        ).all()
        if not batch:
            return report
        existing = {
            (pledge_id, key)
            for pledge_id, key in db.session.execute(
                sa.select(PledgeAlert.pledge_id, PledgeAlert.key).where(
                    PledgeAlert.pledge_id.in_([p.id for p in batch])
                )
            )
        }
        reports = _reports_by_right(row.right_id for p in batch for row in p.held)
        for pledge in batch:
            report.checked += 1
            if pledge.pledgee_org_id not in policies:
                policies[pledge.pledgee_org_id] = policy_for(pledge.pledgee_org)
            policy = policies[pledge.pledgee_org_id]
            findings = []
            for right in pledge.rights:
                try:
                    findings += _right_findings(pledge, right, day, policy)
                except terms.InvalidTermFacts as exc:
                    report.failures.append((pledge.id, right.id, str(exc)))
            findings += _appraisal_findings(pledge, reports, day, policy)
            for finding in findings:
                if (pledge.id, finding.key) in existing:
                    continue
                existing.add((pledge.id, finding.key))
                if _raise(pledge, finding, day):
                    report.raised[finding.code] += 1
        last_id = batch[-1].id
        checkpoint()


def _right_findings(
    pledge: Pledge, right: Right, day: date, policy: LendingPolicy
) -> list[_Finding]:
    """Fee, status and expiry alerts of one pledged right, the clock computed for ``day``."""
    findings: list[_Finding] = []
    number = pledge.number
    shown = right.display_number
    status = rights_services.computed_status(right, on=day)
    standing = rights_services.fee_standing(right, on=day)
    expires_on = rights_services.expiry_of(right)

    if status is RightStatus.GRACE_PERIOD:
        missed: date | None
        grace_ends: date | None
        if standing is not None and standing.next_due is not None:
            missed, grace_ends, what = standing.next_due, standing.grace_ends, "annual_fee"
        else:  # a trademark past its term, not yet renewed
            missed, what = expires_on, "renewal"
            grace_ends = (
                terms.trademark_renewal(expires_on, on=day).grace_ends if expires_on else None
            )
        findings.append(
            _Finding(
                AlertCode.FEE_MISSED,
                f"fee_missed:{right.id}:{missed}",
                right,
                {
                    "status": status,
                    "what": what,
                    "due_on": missed,
                    "grace_ends": grace_ends,
                    "fee": standing.fee if standing else None,
                },
                lambda: _(
                    "Pledge %(number)s: %(right)s was not renewed or its fee not paid; "
                    "payable late until %(date)s",
                    number=number,
                    right=shown,
                    date=format_date(grace_ends, "medium") if grace_ends else "?",
                ),
            )
        )
    elif status in ALERT_STATUSES:
        since = _status_since(right, status, standing, expires_on)
        findings.append(
            _Finding(
                AlertCode.STATUS_CHANGED,
                f"status_changed:{right.id}:{status.value}:{since or '-'}",
                right,
                {"status": status, "since": since, "recorded_status": right.status},
                lambda: _(
                    "Pledge %(number)s: %(right)s is now %(status)s",
                    number=number,
                    right=shown,
                    status=rights_services.status_label(status),
                ),
            )
        )
    if status in ENDED_STATUSES or status is RightStatus.GRACE_PERIOD:
        return findings

    if (
        standing is not None
        and standing.status == "in_force"
        and standing.next_due is not None
        and 0 <= (standing.next_due - day).days <= FEE_WARNING_DAYS
    ):
        due = standing.next_due
        findings.append(
            _Finding(
                AlertCode.FEE_DUE,
                f"fee_due:{right.id}:{due}",
                right,
                {
                    "due_on": due,
                    "days_left": (due - day).days,
                    "fee_year": standing.fee_year,
                    "fee": standing.fee,
                },
                lambda: _(
                    "Pledge %(number)s: the annual fee for %(right)s is due on %(date)s",
                    number=number,
                    right=shown,
                    date=format_date(due, "medium"),
                ),
            )
        )

    if expires_on is not None:
        limit = terms.add_months(pledge.matures_on, policy.buffer_months)
        if expires_on < limit:
            findings.append(
                _Finding(
                    AlertCode.EXPIRY_NEAR_MATURITY,
                    f"expiry_near_maturity:{right.id}",
                    right,
                    {
                        "expires_on": expires_on,
                        "matures_on": pledge.matures_on,
                        "buffer_months": policy.buffer_months,
                    },
                    lambda: _(
                        "Pledge %(number)s: %(right)s expires on %(date)s, too close to the "
                        "loan's maturity",
                        number=number,
                        right=shown,
                        date=format_date(expires_on, "medium"),
                    ),
                )
            )
    return findings


def _status_since(
    right: Right,
    status: RightStatus,
    standing: terms.FeeStatus | None,
    expires_on: date | None,
) -> date | None:
    """The day a status began, taken from facts that stay put whether or not the daily status
    job has recorded the status yet: a suspended right suspended again later alerts again."""
    if status is RightStatus.EXPIRED:
        return expires_on
    if status is RightStatus.LAPSED and standing is not None and standing.lapsed_on is not None:
        return standing.lapsed_on
    return right.status_since if right.status is status else None


def _appraisal_findings(
    pledge: Pledge, reports: dict[int, list[Report]], day: date, policy: LendingPolicy
) -> list[_Finding]:
    """LOW_APPRAISAL: a report signed after the loan started is among the newest on the
    pledged rights, and with it the collateral covers less than the policy asks."""
    chosen = _newest_reports(pledge, reports, until=day)
    value = _value(chosen, policy)
    coverage = coverage_bp(value, pledge.outstanding)
    new = [r for r in chosen if _signed_on(r) > pledge.starts_on]
    if coverage is None or not new or coverage >= policy.alert_coverage_bp:
        return []
    trigger = max(new, key=lambda r: (r.signed_at, r.id))
    pledged = {row.right_id for row in pledge.held}
    right = next((r for r in report_rights(trigger) if r.id in pledged), None)
    number = pledge.number
    return [
        _Finding(
            AlertCode.LOW_APPRAISAL,
            f"low_appraisal:{trigger.id}",
            right,
            {
                "report": trigger.id,
                "report_number": trigger.number,
                "collateral": value,
                "outstanding": pledge.outstanding,
                "coverage_bp": coverage,
                "threshold_bp": policy.alert_coverage_bp,
            },
            lambda: _(
                "Pledge %(number)s: appraisal %(report)s puts the collateral at %(value)s, "
                "%(coverage)s of the outstanding loan",
                number=number,
                report=trigger.number,
                value=format_money(value or 0),
                coverage=f"{coverage // 100} %",
            ),
        )
    ]


def _raise(pledge: Pledge, finding: _Finding, day: date) -> bool:
    """Insert the alert, audit it and tell the bank; False when a monitor running at the same
    time got there first (the unique key decides)."""
    alert = PledgeAlert(
        pledge_id=pledge.id,
        right_id=finding.right.id if finding.right is not None else None,
        code=finding.code,
        key=finding.key,
        detail=audit.jsonable(finding.detail),
        raised_on=day,
    )
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except sa.exc.IntegrityError:
        return False
    db.session.expire(pledge, ["alerts"])
    audit.record(
        "pledge_alert.raised",
        pledge,
        actor=None,
        organisation=pledge.pledgee_org,
        after={
            "alert": alert.id,
            "code": alert.code,
            "key": alert.key,
            "right": alert.right_id,
            **alert.detail,
        },
    )
    tell(pledge.pledgee_org, finding.title, f"/pledges/{pledge.id}")
    return True


def resolve_alert(alert: PledgeAlert, *, actor: User) -> PledgeAlert:
    """The bank has dealt with an alert: it leaves the open alerts. The same fact never raises
    it again (its key stays taken).

    :raises PermissionDenied: ``actor`` is not a member of the pledgee bank.
    :raises IllegalTransition: already resolved.
    """
    pledge = alert.pledge
    if actor.organisation_id != pledge.pledgee_org_id:
        raise PermissionDenied(_("Only the pledgee bank can do this."))
    if alert.resolved_at is not None:
        raise IllegalTransition(_("This alert has already been resolved."))
    alert.resolved_at = utcnow()
    alert.resolved_by_id = actor.id
    db.session.flush()
    audit.record(
        "pledge_alert.resolved",
        pledge,
        actor=actor,
        organisation=pledge.pledgee_org,
        after={"alert": alert.id, "code": alert.code, "key": alert.key},
    )
    return alert


# --- the bank's portfolio ------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioLine:
    pledge: Pledge
    #: principal still owed, in fen
    outstanding: int
    #: :func:`collateral_value`; None when no pledged right has a report
    collateral: int | None
    #: collateral ÷ outstanding in basis points; None when either is unknown or nil
    coverage_bp: int | None
    open_alerts: int


@dataclass(frozen=True)
class Portfolio:
    bank: Organisation
    lines: list[PortfolioLine]
    #: total outstanding of the bank's holding pledges, in fen
    exposure: int
    #: total collateral value of the lines that have one, in fen
    collateral: int
    #: collateral ÷ exposure in basis points, a pledge without a report counting as uncovered;
    #: None when nothing is owed or no pledge has a report
    coverage_bp: int | None
    open_alerts: int
    #: pledges with no report on any of their rights
    unvalued: int


def portfolio(bank: Organisation) -> Portfolio:
    """Every pledge holding rights for ``bank``: exposure, collateral, coverage, open alerts."""
    pledges = db.session.scalars(
        sa.select(Pledge)
        .where(Pledge.pledgee_org_id == bank.id, Pledge.status.in_(HOLDING_STATUSES))
        .options(selectinload(Pledge.held))
        .order_by(Pledge.id)
    ).all()
    ids = [p.id for p in pledges]
    open_counts: dict[int, int] = {}
    if ids:
        open_counts = {
            pledge_id: count
            for pledge_id, count in db.session.execute(
                sa.select(PledgeAlert.pledge_id, sa.func.count())
                .where(PledgeAlert.pledge_id.in_(ids), PledgeAlert.resolved_at.is_(None))
                .group_by(PledgeAlert.pledge_id)
            )
        }
    reports = _reports_by_right(row.right_id for p in pledges for row in p.held)
    policy = policy_for(bank)
    lines = []
    for pledge in pledges:
        value = _value(_newest_reports(pledge, reports), policy)
        lines.append(
            PortfolioLine(
                pledge=pledge,
                outstanding=pledge.outstanding,
                collateral=value,
                coverage_bp=coverage_bp(value, pledge.outstanding),
                open_alerts=open_counts.get(pledge.id, 0),
            )
        )
    exposure = sum(line.outstanding for line in lines)
    valued = [line.collateral for line in lines if line.collateral is not None]
    collateral = sum(valued)
    return Portfolio(
        bank=bank,
        lines=lines,
        exposure=exposure,
        collateral=collateral,
        coverage_bp=coverage_bp(collateral, exposure) if valued else None,
        open_alerts=sum(line.open_alerts for line in lines),
        unvalued=len(lines) - len(valued),
    )
