"""The daily pledge monitor, collateral value and the bank's portfolio
(``marketplace.pledges.monitoring``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import AuditEntry
from marketplace.core.errors import IllegalTransition, PermissionDenied
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification
from marketplace.pledges import monitoring
from marketplace.pledges.cli import pledges_cli
from marketplace.pledges.models import AlertCode, LendingPolicy, Pledge, PledgeAlert, PledgeStatus
from marketplace.pledges.services import DEFAULT_POLICY, conservative_value, policy_for
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import Right, RightStatus
from marketplace.valuations.models import ReportStatus
from tests.factories import make_org, make_right, make_user
from tests.pledges.helpers import make_bank, make_pledge, make_report

#: Every pledge here starts on this day and runs 24 months, to 2026-01-07; with the default
#: 12-month buffer a right must outlast 2027-01-07. ``make_right`` gives an invention filed
#: 2019-05-10 (expiring 2039-05-09) whose annual fees fall due each 10 May.
STARTS = date(2024, 1, 8)
MATURES = date(2026, 1, 7)
#: The fee for year 6 is due on 2024-05-10 for a patent paid through 2024-05-09.
PAID_THROUGH = date(2024, 5, 9)
DUE = date(2024, 5, 10)
GRACE_ENDS = date(2024, 11, 10)
ON = date(2024, 3, 1)  # 70 days before DUE


@pytest.fixture
def pledgor(db: Any) -> tuple[Organisation, User]:
    org = make_org()
    return org, make_user(org)


@pytest.fixture
def bank(db: Any) -> tuple[Organisation, User, User]:
    """A bank with two members: each is told of each alert once."""
    org, user = make_bank()
    return org, user, make_user(org)


def pledge_of(
    pledgor: tuple[Organisation, User],
    bank: tuple[Organisation, User, User],
    *rights: Right,
    **fields: Any,
) -> Pledge:
    fields.setdefault("starts_on", STARTS)
    return make_pledge(
        pledgor[0], bank[0], list(rights) or None, actor=pledgor[1], months=24, **fields
    )


def monitor(on: date = ON) -> monitoring.MonitorReport:
    report = monitoring.run_monitor(on)
    _db.session.flush()
    return report


def alerts(pledge: Pledge) -> list[PledgeAlert]:
    return list(
        _db.session.scalars(
            sa.select(PledgeAlert)
            .where(PledgeAlert.pledge_id == pledge.id)
            .order_by(PledgeAlert.id)
        )
    )


def notes(user: User) -> list[Notification]:
    return list(
        _db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def raised_audit(pledge: Pledge) -> list[AuditEntry]:
    return list(
        _db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.action == "pledge_alert.raised",
                AuditEntry.object_type == "pledges",
                AuditEntry.object_id == str(pledge.id),
            )
        )
    )


def assert_told_once(bank: tuple[Organisation, User, User], pledge: Pledge) -> None:
    """Each bank member has exactly one notification, linking to the pledge."""
    for member in bank[1:]:
        [note] = notes(member)
        assert note.link == f"/pledges/{pledge.id}"
        assert pledge.number in note.title


def assert_rerun_raises_nothing(bank: tuple[Organisation, User, User], on: date) -> None:
    before = {member.id: len(notes(member)) for member in bank[1:]}
    again = monitor(on)
    assert again.raised_total == 0
    assert {member.id: len(notes(member)) for member in bank[1:]} == before


# --- one test per trigger -------------------------------------------------------------------


def test_fee_due_soon_raises_one_alert_per_fee_year(pledgor, bank):
    right = make_right(pledgor[0], paid_through=PAID_THROUGH)
    pledge = pledge_of(pledgor, bank, right)

    report = monitor(ON)

    assert report.checked == 1
    assert report.raised == {AlertCode.FEE_DUE: 1}
    [alert] = alerts(pledge)
    assert (alert.code, alert.right_id, alert.raised_on) == (AlertCode.FEE_DUE, right.id, ON)
    assert alert.key == f"fee_due:{right.id}:2024-05-10"
    assert alert.detail == {"due_on": "2024-05-10", "days_left": 70, "fee_year": 6, "fee": 120_000}
    assert alert.resolved_at is None
    assert_told_once(bank, pledge)
    assert notes(pledgor[1]) == []  # the bank is told, not the borrower
    [entry] = raised_audit(pledge)
    assert entry.after["code"] == "fee_due" and entry.after["alert"] == alert.id
    assert_rerun_raises_nothing(bank, date(2024, 5, 1))

    # Paid for year 6: the fee of year 7 alerts once more, a year later.
    right.paid_through = date(2025, 5, 9)
    assert monitor(date(2025, 3, 1)).raised == {AlertCode.FEE_DUE: 1}
    assert [a.key for a in alerts(pledge)] == [
        f"fee_due:{right.id}:2024-05-10",
        f"fee_due:{right.id}:2025-05-10",
    ]


def test_fee_due_further_away_than_the_warning_window_raises_nothing(pledgor, bank):
    right = make_right(pledgor[0], paid_through=PAID_THROUGH)
    pledge_of(pledgor, bank, right)
    assert monitor(date(2024, 2, 9)).raised_total == 0  # 91 days before


def test_fee_missed_raises_an_alert_with_the_grace_period(pledgor, bank):
    # The daily status job has not run yet: the monitor computes the clock itself.
    right = make_right(pledgor[0], paid_through=PAID_THROUGH, status=RightStatus.IN_FORCE)
    pledge = pledge_of(pledgor, bank, right)

    report = monitor(date(2024, 6, 1))

    # Only the fee alert: the grace period is not also a status-change alert.
    assert report.raised == {AlertCode.FEE_MISSED: 1}
    [alert] = alerts(pledge)
    assert alert.key == f"fee_missed:{right.id}:2024-05-10"
    assert alert.detail == {
        "status": "grace_period",
        "what": "annual_fee",
        "due_on": "2024-05-10",
        "grace_ends": "2024-11-10",
        "fee": 120_000,
    }
    assert_told_once(bank, pledge)
    assert_rerun_raises_nothing(bank, date(2024, 9, 1))


def test_a_trademark_not_renewed_raises_fee_missed(pledgor, bank):
    mark = make_right(
        pledgor[0],
        kind=RightKind.TRADEMARK,
        number="12345678",
        filing_date=date(2013, 6, 1),
        grant_date=None,
        registration_date=date(2014, 6, 28),
    )
    pledge = pledge_of(pledgor, bank, mark)
    report = monitor(date(2024, 7, 15))  # the registration ran to 2024-06-27
    assert report.raised[AlertCode.FEE_MISSED] == 1
    [alert] = [a for a in alerts(pledge) if a.code is AlertCode.FEE_MISSED]
    assert alert.detail["what"] == "renewal"
    assert alert.detail["due_on"] == "2024-06-27"
    assert alert.detail["grace_ends"] == "2024-12-27"


@pytest.mark.parametrize(
    "status", [RightStatus.UNDER_INVALIDATION, RightStatus.INVALIDATED, RightStatus.SUSPENDED]
)
def test_a_status_change_recorded_from_the_registry_raises_an_alert(pledgor, bank, status):
    right = make_right(pledgor[0], status=status, status_since=date(2024, 2, 20))
    pledge = pledge_of(pledgor, bank, right)

    report = monitor(ON)

    assert report.raised == {AlertCode.STATUS_CHANGED: 1}
    [alert] = alerts(pledge)
    assert alert.key == f"status_changed:{right.id}:{status.value}:2024-02-20"
    assert alert.detail == {
        "status": status.value,
        "since": "2024-02-20",
        "recorded_status": status.value,
    }
    assert_told_once(bank, pledge)
    assert_rerun_raises_nothing(bank, ON)


def test_a_lapse_by_the_clock_raises_a_status_alert_dated_from_the_due_date(pledgor, bank):
    # Fee year 6 unpaid: the grace period ended on 2024-11-10, the patent lapsed as of 2024-05-10.
    right = make_right(pledgor[0], paid_through=PAID_THROUGH)
    pledge = pledge_of(pledgor, bank, right)

    assert monitor(date(2024, 12, 1)).raised == {AlertCode.STATUS_CHANGED: 1}
    [alert] = alerts(pledge)
    assert alert.key == f"status_changed:{right.id}:lapsed:2024-05-10"
    assert alert.detail["recorded_status"] == "in_force"
    assert_told_once(bank, pledge)

    # The status job records the lapse later: same fact, no new alert.
    right.status, right.status_since = RightStatus.LAPSED, date(2024, 12, 2)
    assert_rerun_raises_nothing(bank, date(2024, 12, 3))


def test_an_expired_right_raises_a_status_alert_only(pledgor, bank):
    old = make_right(
        pledgor[0],
        kind=RightKind.UTILITY_MODEL,
        filing_date=date(2014, 1, 2),
        grant_date=date(2014, 9, 1),
    )
    pledge = pledge_of(pledgor, bank, old)
    assert monitor(ON).raised == {AlertCode.STATUS_CHANGED: 1}  # no expiry-near-maturity too
    [alert] = alerts(pledge)
    assert alert.detail["status"] == "expired"
    assert alert.key == f"status_changed:{old.id}:expired:2024-01-01"


def test_a_right_suspended_again_after_a_lift_alerts_again(pledgor, bank):
    right = make_right(pledgor[0], status=RightStatus.SUSPENDED, status_since=date(2024, 2, 1))
    pledge = pledge_of(pledgor, bank, right)
    monitor(ON)
    right.status_since = date(2024, 6, 1)  # lifted, then suspended again
    assert monitor(date(2024, 6, 2)).raised == {AlertCode.STATUS_CHANGED: 1}
    assert len(alerts(pledge)) == 2


def test_expiry_near_maturity_raises_one_alert_per_right(pledgor, bank):
    # A utility model filed 2017-01-02 expires on 2027-01-01, before 2027-01-07.
    short = make_right(pledgor[0], kind=RightKind.UTILITY_MODEL, filing_date=date(2017, 1, 2))
    long = make_right(pledgor[0])
    pledge = pledge_of(pledgor, bank, short, long)

    report = monitor(ON)

    assert report.raised == {AlertCode.EXPIRY_NEAR_MATURITY: 1}
    [alert] = alerts(pledge)
    assert (alert.key, alert.right_id) == (f"expiry_near_maturity:{short.id}", short.id)
    assert alert.detail == {
        "expires_on": "2027-01-01",
        "matures_on": MATURES.isoformat(),
        "buffer_months": 12,
    }
    assert_told_once(bank, pledge)
    assert_rerun_raises_nothing(bank, date(2025, 3, 1))


def test_expiry_near_maturity_follows_the_banks_buffer(pledgor, bank):
    _db.session.add(LendingPolicy(bank_org_id=bank[0].id, **{**DEFAULT_POLICY, "buffer_months": 0}))
    short = make_right(pledgor[0], kind=RightKind.UTILITY_MODEL, filing_date=date(2017, 1, 2))
    pledge_of(pledgor, bank, short)
    assert monitor(ON).raised_total == 0


def signed(report: Any, day: date) -> Any:
    """Date a report's signature (reports are signed now; the tests look at fixed days)."""
    report.signed_at = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
    _db.session.flush()
    return report


def test_a_new_appraisal_below_the_threshold_raises_low_appraisal(pledgor, bank):
    right = make_right(pledgor[0])
    report = signed(make_report(pledgor[0], pledgor[1], [right]), date(2024, 2, 20))
    value = conservative_value(report, policy_for(bank[0]))
    # Owing 60 % of the value: the collateral covers 166 %, under the default 200 %.
    outstanding = value * 6 // 10
    pledge = pledge_of(pledgor, bank, right, principal=outstanding)

    result = monitor(ON)

    assert result.raised == {AlertCode.LOW_APPRAISAL: 1}
    [alert] = alerts(pledge)
    assert (alert.key, alert.right_id) == (f"low_appraisal:{report.id}", right.id)
    assert alert.detail == {
        "report": report.id,
        "report_number": report.number,
        "collateral": value,
        "outstanding": outstanding,
        "coverage_bp": value * 10_000 // outstanding,
        "threshold_bp": 20_000,
    }
    assert 16_600 <= alert.detail["coverage_bp"] < 16_700
    assert_told_once(bank, pledge)
    assert_rerun_raises_nothing(bank, date(2024, 4, 1))


def test_an_appraisal_that_still_covers_the_loan_raises_nothing(pledgor, bank):
    right = make_right(pledgor[0])
    report = signed(make_report(pledgor[0], pledgor[1], [right]), date(2024, 2, 20))
    value = conservative_value(report, policy_for(bank[0]))
    pledge_of(pledgor, bank, right, principal=value // 2)  # exactly 200 %
    assert monitor(ON).raised_total == 0


def test_only_an_appraisal_signed_after_the_loan_started_and_by_the_day_alerts(pledgor, bank):
    right = make_right(pledgor[0])
    report = signed(make_report(pledgor[0], pledgor[1], [right]), date(2024, 1, 5))
    pledge_of(pledgor, bank, right, principal=conservative_value(report, policy_for(bank[0])))
    # The appraisal the loan was granted on is known to the bank: no alert.
    assert monitor(ON).raised_total == 0
    # One signed after the day the monitor looks at does not count yet.
    signed(report, date(2024, 3, 2))
    assert monitor(ON).raised_total == 0
    assert monitor(date(2024, 3, 2)).raised == {AlertCode.LOW_APPRAISAL: 1}


def test_an_alert_raised_meanwhile_by_another_run_is_not_raised_twice(pledgor, bank):
    """Two monitors at once: the one that finds the key taken backs off (the unique key
    decides), and tells nobody."""
    pledge = pledge_of(pledgor, bank)
    _db.session.add(
        PledgeAlert(pledge_id=pledge.id, code=AlertCode.FEE_DUE, key="fee_due:1:x", raised_on=ON)
    )
    _db.session.flush()
    finding = monitoring._Finding(AlertCode.FEE_DUE, "fee_due:1:x", None, {}, lambda: "t")
    assert monitoring._raise(pledge, finding, ON) is False
    assert len(alerts(pledge)) == 1
    assert notes(bank[1]) == [] and raised_audit(pledge) == []


# --- what is not monitored --------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [PledgeStatus.AGREED, PledgeStatus.RELEASED, PledgeStatus.CANCELLED]
)
def test_a_pledge_not_holding_its_rights_is_not_monitored(pledgor, bank, status):
    gone = make_right(pledgor[0], status=RightStatus.INVALIDATED, status_since=date(2024, 2, 1))
    pledge = pledge_of(pledgor, bank, gone, status=status)
    report = monitor(ON)
    assert (report.checked, report.raised_total) == (0, 0)
    assert alerts(pledge) == []


def test_a_healthy_pledge_raises_nothing(pledgor, bank):
    pledge = pledge_of(pledgor, bank, make_right(pledgor[0], paid_through=date(2025, 5, 9)))
    report = monitor(ON)
    assert (report.checked, report.raised_total, report.failures) == (1, 0, [])
    assert alerts(pledge) == []
    assert notes(bank[1]) == []


def test_a_right_with_impossible_dates_is_reported_and_the_others_checked(pledgor, bank):
    broken = make_right(pledgor[0], paid_through=date(2024, 1, 1))  # not the end of a fee year
    fine = make_right(pledgor[0], status=RightStatus.SUSPENDED, status_since=date(2024, 2, 1))
    pledge = pledge_of(pledgor, bank, broken, fine)
    report = monitor(ON)
    assert [(p, r) for p, r, _reason in report.failures] == [(pledge.id, broken.id)]
    assert report.raised == {AlertCode.STATUS_CHANGED: 1}


def test_the_monitor_reads_pledges_in_batches(pledgor, bank):
    pledges = [
        pledge_of(pledgor, bank, make_right(pledgor[0], paid_through=PAID_THROUGH))
        for _ in range(3)
    ]
    checkpoints: list[int] = []
    report = monitoring.run_monitor(
        ON, batch_size=2, checkpoint=lambda: checkpoints.append(len(checkpoints))
    )
    assert report.checked == 3 and report.raised == {AlertCode.FEE_DUE: 3}
    assert checkpoints == [0, 1]
    assert all(len(alerts(p)) == 1 for p in pledges)


# --- collateral value and portfolio ---------------------------------------------------------


def test_collateral_value_is_none_without_a_report(pledgor, bank):
    assert monitoring.collateral_value(pledge_of(pledgor, bank)) is None


def test_collateral_value_counts_a_report_on_several_rights_once(pledgor, bank):
    first, second, third = (make_right(pledgor[0]) for _ in range(3))
    both = make_report(pledgor[0], pledgor[1], [first, second])
    alone = make_report(pledgor[0], pledgor[1], [third])
    pledge = pledge_of(pledgor, bank, first, second, third)
    policy = policy_for(bank[0])
    assert monitoring.collateral_value(pledge) == (
        conservative_value(both, policy) + conservative_value(alone, policy)
    )


def test_collateral_value_takes_the_newest_valid_report(pledgor, bank):
    right = make_right(pledgor[0])
    old = signed(make_report(pledgor[0], pledgor[1], [right]), date(2024, 1, 5))
    new = signed(make_report(pledgor[0], pledgor[1], [right]), date(2024, 2, 5))
    new.concluded_value = old.concluded_value // 2
    pledge = pledge_of(pledgor, bank, right)
    policy = policy_for(bank[0])
    assert monitoring.collateral_value(pledge) == conservative_value(new, policy)
    assert monitoring.collateral_value(pledge, on=date(2024, 2, 1)) == conservative_value(
        old, policy
    )
    new.status = ReportStatus.SUPERSEDED
    assert monitoring.collateral_value(pledge) == conservative_value(old, policy)


def test_portfolio_sums_exposure_collateral_coverage_and_open_alerts(pledgor, bank):
    valued_right = make_right(pledgor[0])
    report = make_report(pledgor[0], pledgor[1], [valued_right])
    value = conservative_value(report, policy_for(bank[0]))
    valued = pledge_of(pledgor, bank, valued_right, principal=value, outstanding=value // 4)
    unvalued = pledge_of(
        pledgor,
        bank,
        make_right(pledgor[0], status=RightStatus.SUSPENDED, status_since=date(2024, 2, 1)),
        principal=3_000_000_00,
        outstanding=value // 4,
    )
    # Neither a released pledge nor another bank's counts.
    pledge_of(pledgor, bank, make_right(pledgor[0]), status=PledgeStatus.RELEASED, outstanding=0)
    other_bank, _other_user = make_bank()
    make_pledge(pledgor[0], other_bank, starts_on=STARTS)
    monitor(ON)  # one open alert on ``unvalued``
    resolved = PledgeAlert(pledge_id=valued.id, code=AlertCode.FEE_DUE, key="old", raised_on=ON)
    _db.session.add(resolved)
    _db.session.flush()
    monitoring.resolve_alert(resolved, actor=bank[1])

    book = monitoring.portfolio(bank[0])

    assert [line.pledge.id for line in book.lines] == [valued.id, unvalued.id]
    first, second = book.lines
    assert (first.outstanding, first.collateral, first.coverage_bp, first.open_alerts) == (
        value // 4,
        value,
        value * 10_000 // (value // 4),
        0,
    )
    assert 39_990 <= first.coverage_bp <= 40_010  # about 400 %
    assert (second.collateral, second.coverage_bp, second.open_alerts) == (None, None, 1)
    assert book.exposure == 2 * (value // 4)
    assert book.collateral == value
    # The unvalued pledge counts as uncovered: half of the 400 %.
    assert book.coverage_bp == value * 10_000 // (2 * (value // 4))
    assert (book.open_alerts, book.unvalued) == (1, 1)


def test_an_empty_portfolio(db):
    bank, _user = make_bank()
    book = monitoring.portfolio(bank)
    assert (book.lines, book.exposure, book.collateral, book.coverage_bp) == ([], 0, 0, None)
    assert (book.open_alerts, book.unvalued) == (0, 0)


# --- resolving an alert -----------------------------------------------------------------------


def test_the_bank_resolves_an_alert_once(pledgor, bank):
    pledge = pledge_of(
        pledgor, bank, make_right(pledgor[0], status=RightStatus.SUSPENDED, status_since=ON)
    )
    monitor(ON)
    [alert] = alerts(pledge)

    with pytest.raises(PermissionDenied):
        monitoring.resolve_alert(alert, actor=pledgor[1])
    other_bank_user = make_bank()[1]
    with pytest.raises(PermissionDenied):
        monitoring.resolve_alert(alert, actor=other_bank_user)
    assert alert.resolved_at is None

    monitoring.resolve_alert(alert, actor=bank[2])
    assert alert.resolved_at is not None and alert.resolved_by_id == bank[2].id
    entry = _db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "pledge_alert.resolved")
    )
    assert entry.actor_id == bank[2].id
    assert entry.after == {"alert": alert.id, "code": "status_changed", "key": alert.key}

    with pytest.raises(IllegalTransition):
        monitoring.resolve_alert(alert, actor=bank[1])
    # Resolved, the same fact is not raised again.
    assert monitor(date(2024, 3, 2)).raised_total == 0


# --- the command ------------------------------------------------------------------------------


def test_monitor_command_prints_the_figures_and_commits(app: Flask, pledgor, bank):
    due = pledge_of(pledgor, bank, make_right(pledgor[0], paid_through=PAID_THROUGH))
    pledge_of(
        pledgor,
        bank,
        make_right(pledgor[0], status=RightStatus.SUSPENDED, status_since=date(2024, 2, 1)),
    )
    pledge_of(pledgor, bank)
    runner = app.test_cli_runner()

    result = runner.invoke(pledges_cli, ["monitor", "--date", "2024-03-01", "--batch-size", "2"])

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Pledge monitor on 2024-03-01: 3 pledges checked, 2 alerts raised (fee_due: 1, "
        "fee_missed: 0, status_changed: 1, expiry_near_maturity: 0, low_appraisal: 0).\n"
    )
    _db.session.expire_all()
    assert [a.code for a in alerts(due)] == [AlertCode.FEE_DUE]

    again = runner.invoke(pledges_cli, ["monitor", "--date", "2024-03-01"])
    assert again.exit_code == 0
    assert "3 pledges checked, 0 alerts raised" in again.output


def test_monitor_command_exits_1_when_a_right_cannot_be_checked(app: Flask, pledgor, bank):
    broken = make_right(pledgor[0], paid_through=date(2024, 1, 1))
    pledge = pledge_of(pledgor, bank, broken)
    result = app.test_cli_runner().invoke(pledges_cli, ["monitor", "--date", "2024-03-01"])
    assert result.exit_code == 1
    assert f"pledge {pledge.id}, right {broken.id}: not checked" in result.output


def test_monitor_command_rejects_a_bad_date(app: Flask, db):
    result = app.test_cli_runner().invoke(pledges_cli, ["monitor", "--date", "2024-02-30"])
    assert result.exit_code == 2
    assert "--date" in result.output
