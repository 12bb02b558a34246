"""The daily status job and annual-fee reminders (``marketplace.rights.status``)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db as _db
from marketplace.notifications.models import Notification, OutboxEmail
from marketplace.rights import services, status, terms
from marketplace.rights.cli import rights_cli
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import FeeReminder, Right, RightEvent, RightStatus
from marketplace.rights.numbers import PatentKind, build_patent_number
from marketplace.rights.services import RightData
from tests.factories import make_org, make_user

_serials = itertools.count(7_100_000)

#: An invention patent filed 2015-03-10 whose fees are paid through fee year 9: the fee for
#: year 10 (4 000 yuan) is due on 2024-03-10 and payable with a late fee until 2024-09-10.
FILED = date(2015, 3, 10)
PAID_THROUGH = date(2024, 3, 9)
DUE = date(2024, 3, 10)
GRACE_ENDS = date(2024, 9, 10)


@pytest.fixture
def holder(db: Any) -> tuple[Organisation, User]:
    org = make_org(OrgKind.ENTERPRISE)
    return org, make_user(org, locale="en")


def add_patent(
    holder: tuple[Organisation, User],
    *,
    filed: date = FILED,
    granted: date | None = date(2018, 6, 1),
    paid_through: date | None = PAID_THROUGH,
    kind: PatentKind = "invention",
    state: RightStatus = RightStatus.IN_FORCE,
    since: date | None = None,
    serial: int | None = None,
    title: str = "一种锂电池正极材料",
) -> Right:
    """Register a patent for ``holder`` and put it in ``state`` as of ``since``: registration
    computes the status for the real today, the tests look at days in the past."""
    org, user = holder
    number = build_patent_number(filed.year, kind, serial or next(_serials)).application_number
    right, created = services.register_right(
        org,
        RightData(
            kind=RightKind(kind),
            number=number,
            title_zh=title,
            filing_date=filed,
            grant_date=granted,
            paid_through=paid_through,
        ),
        actor=user,
    )
    assert created
    right.status = state
    right.status_since = since or granted or filed
    _db.session.flush()
    return right


def refresh(day: date, **options: Any) -> status.RefreshReport:
    report = status.refresh_statuses(on=day, **options)
    _db.session.flush()
    return report


def clock_events(right: Right) -> list[RightEvent]:
    return list(
        _db.session.scalars(
            sa.select(RightEvent)
            .where(RightEvent.right_id == right.id, RightEvent.event == "status_changed")
            .order_by(RightEvent.id)
        )
    )


def notifications(user: User) -> list[Notification]:
    return list(
        _db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def status_audit(right: Right) -> list[AuditEntry]:
    return list(
        _db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.object_type == "rights",
                AuditEntry.object_id == str(right.id),
                AuditEntry.action == "right.status_changed",
            )
            .order_by(AuditEntry.id)
        )
    )


# --- fees, grace, lapse ------------------------------------------------------------------


def test_fee_clock_in_force_on_due_date_grace_next_day_lapsed_after_grace(holder):
    right = add_patent(holder)

    assert refresh(DUE).changed_total == 0
    assert right.status is RightStatus.IN_FORCE

    report = refresh(DUE + timedelta(days=1))
    assert right.status is RightStatus.GRACE_PERIOD
    assert right.status_since == DUE + timedelta(days=1)
    assert report.changed == {RightStatus.GRACE_PERIOD: 1}

    assert refresh(GRACE_ENDS).changed_total == 0
    assert right.status is RightStatus.GRACE_PERIOD

    refresh(GRACE_ENDS + timedelta(days=1))
    assert right.status is RightStatus.LAPSED
    grace, lapse = clock_events(right)
    assert grace.source == lapse.source == "clock"
    assert grace.detail == {
        "from": "in_force",
        "to": "grace_period",
        "due_on": "2024-03-10",
        "grace_ends": "2024-09-10",
        "fee_year": 10,
    }
    # The patent ended as of the unpaid due date, not the day the job noticed.
    assert lapse.detail["lapsed_on"] == DUE.isoformat()
    assert lapse.occurred_on == GRACE_ENDS + timedelta(days=1)


def test_a_missed_run_goes_straight_from_in_force_to_lapsed(holder):
    right = add_patent(holder)
    refresh(GRACE_ENDS + timedelta(days=30))
    assert right.status is RightStatus.LAPSED
    [event] = clock_events(right)
    assert (event.detail["from"], event.detail["lapsed_on"]) == ("in_force", "2024-03-10")


def test_lapsed_is_final_for_the_clock(holder):
    right = add_patent(holder, state=RightStatus.LAPSED)
    report = refresh(DUE - timedelta(days=10))  # the fees would say "in force" on that day
    assert right.status is RightStatus.LAPSED
    assert report.checked == 0


def test_utility_model_expires_after_the_last_day_of_its_term(holder):
    filed = date(2010, 5, 20)
    end = terms.term_end(filed, 10)
    assert end == date(2020, 5, 19)
    right = add_patent(
        holder,
        filed=filed,
        granted=date(2011, 1, 14),
        kind="utility_model",
        paid_through=terms.paid_through_for(filed, 10),  # the last fee year is paid
    )
    refresh(end)
    assert right.status is RightStatus.IN_FORCE
    report = refresh(end + timedelta(days=1))
    assert right.status is RightStatus.EXPIRED
    assert report.changed == {RightStatus.EXPIRED: 1}
    assert clock_events(right)[-1].detail["expires_on"] == "2020-05-19"


def test_patent_without_fee_data_expires_by_its_term(holder):
    # A design filed before 2021-06-01 has 10 years; nothing is known about its fees.
    right = add_patent(holder, filed=date(2012, 4, 1), kind="design", paid_through=None)
    refresh(date(2022, 3, 31))
    assert right.status is RightStatus.IN_FORCE
    refresh(date(2022, 4, 1))
    assert right.status is RightStatus.EXPIRED


def test_pending_application_stays_pending(holder):
    right = add_patent(holder, granted=None, paid_through=None, state=RightStatus.PENDING)
    assert refresh(date(2024, 1, 1)).changed_total == 0
    assert right.status is RightStatus.PENDING


@pytest.mark.parametrize(
    "sticky",
    [RightStatus.UNDER_INVALIDATION, RightStatus.INVALIDATED, RightStatus.SUSPENDED],
)
def test_sticky_statuses_are_untouched_by_the_clock(holder, sticky):
    right = add_patent(holder, state=sticky)
    report = refresh(GRACE_ENDS + timedelta(days=1))  # would be lapsed by the fees
    assert right.status is sticky
    assert report.checked == 0
    assert clock_events(right) == []


def test_second_run_on_the_same_day_changes_nothing(holder):
    _org, user = holder
    rights = [add_patent(holder) for _ in range(3)]
    day = DUE + timedelta(days=1)
    first = refresh(day)
    assert first.changed == {RightStatus.GRACE_PERIOD: 3}
    counts = (
        _db.session.scalar(sa.select(sa.func.count()).select_from(RightEvent)),
        _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        len(notifications(user)),
    )
    second = refresh(day)
    assert second.checked == 3 and second.changed_total == 0
    assert counts == (
        _db.session.scalar(sa.select(sa.func.count()).select_from(RightEvent)),
        _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        len(notifications(user)),
    )
    assert all(r.status is RightStatus.GRACE_PERIOD for r in rights)


def test_status_change_is_audited_and_every_owner_user_is_told(holder):
    org, english = holder
    chinese = make_user(org, locale="zh")
    right = add_patent(holder)
    refresh(DUE + timedelta(days=1))

    [entry] = status_audit(right)
    assert entry.actor_id is None  # the clock
    assert entry.before == {"status": "in_force"}
    assert entry.after == {"status": "grace_period", "on": "2024-03-11", "source": "clock"}

    [note_en] = [n for n in notifications(english) if n.link == f"/rights/{right.id}"]
    assert note_en.title == "一种锂电池正极材料 is now Grace period"
    [note_zh] = [n for n in notifications(chinese) if n.link == f"/rights/{right.id}"]
    assert "一种锂电池正极材料" in note_zh.title
    emails = _db.session.scalars(
        sa.select(OutboxEmail.recipient).where(
            OutboxEmail.subject.in_([note_en.title, note_zh.title])
        )
    ).all()
    assert sorted(emails) == sorted([english.email, chinese.email])


def test_rights_are_read_in_batches_with_a_checkpoint_after_each(holder):
    rights = [add_patent(holder) for _ in range(5)]
    checkpoints: list[int] = []
    report = refresh(
        DUE + timedelta(days=1),
        batch_size=2,
        checkpoint=lambda: checkpoints.append(len(checkpoints)),
    )
    assert report.checked == 5
    assert len(checkpoints) == 3  # 2 + 2 + 1
    assert all(r.status is RightStatus.GRACE_PERIOD for r in rights)


def test_a_right_with_impossible_dates_is_reported_and_the_rest_go_on(holder):
    broken = add_patent(holder)
    fine = add_patent(holder)
    # Data that validation would refuse, as it might arrive from an old import.
    _db.session.execute(
        sa.update(Right).where(Right.id == broken.id).values(paid_through=date(2024, 1, 1))
    )
    _db.session.expire_all()
    report = refresh(DUE + timedelta(days=1))
    assert [f[0] for f in report.failures] == [broken.id]
    assert "not the last day of a fee year" in report.failures[0][2]
    assert _db.session.get(Right, fine.id).status is RightStatus.GRACE_PERIOD


# --- reminders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "lead"),
    [(91, None), (90, 90), (31, 90), (30, 30), (8, 30), (7, 7), (1, 7), (0, 7), (-1, None)],
)
def test_reminder_lead_is_the_tightest_window(days_left, lead):
    assert status.reminder_lead(days_left) == lead


def reminders(right: Right) -> list[tuple[date, int]]:
    return [
        (r.due_on, r.days_before)
        for r in _db.session.scalars(
            sa.select(FeeReminder).where(FeeReminder.right_id == right.id).order_by(FeeReminder.id)
        )
    ]


def reminder_notes(user: User) -> list[Notification]:
    return [n for n in notifications(user) if n.title.startswith("Annual fee")]


def test_reminders_90_30_and_7_days_before_each_sent_once(holder):
    _org, user = holder
    right = add_patent(holder)
    sent_on = []
    day = DUE - timedelta(days=100)
    while day <= DUE:
        report = status.send_fee_reminders(on=day)
        if report.sent_total:
            sent_on.append(((DUE - day).days, dict(report.sent)))
        day += timedelta(days=1)

    assert sent_on == [(90, {90: 1}), (30, {30: 1}), (7, {7: 1})]
    assert reminders(right) == [(DUE, 90), (DUE, 30), (DUE, 7)]
    assert [n.title for n in reminder_notes(user)] == [
        f"Annual fee for ZL{right.number} due in 90 days",
        f"Annual fee for ZL{right.number} due in 30 days",
        f"Annual fee for ZL{right.number} due in 7 days",
    ]
    events = _db.session.scalars(
        sa.select(RightEvent).where(
            RightEvent.right_id == right.id, RightEvent.event == "reminder_sent"
        )
    ).all()
    assert [(e.occurred_on, e.detail["days_before"]) for e in events] == [
        (DUE - timedelta(days=90), 90),
        (DUE - timedelta(days=30), 30),
        (DUE - timedelta(days=7), 7),
    ]
    assert events[0].detail["fee"] == 4_000_00 and events[0].detail["fee_year"] == 10


def test_reminder_body_gives_year_amount_due_date_and_grace_end(holder):
    _org, user = holder
    right = add_patent(holder)
    status.send_fee_reminders(on=DUE - timedelta(days=30))
    [note] = reminder_notes(user)
    assert note.link == f"/rights/{right.id}"
    assert note.body == (
        f"一种锂电池正极材料 (ZL{right.number}): the annual fee for year 10, CN¥4,000.00 "
        "(standard fee, before any reduction), is due on Mar 10, 2024. Until Sep 10, 2024 it "
        "can still be paid with a late fee; unpaid after that, the patent lapses as of the "
        "due date."
    )
    [email] = _db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.recipient == user.email)
    ).all()
    assert email.subject == note.title and note.body in email.body


def test_reminder_in_the_owners_language(holder):
    org, _user = holder
    chinese = make_user(org, locale="zh")
    add_patent(holder)
    status.send_fee_reminders(on=DUE - timedelta(days=7))
    [note] = notifications(chinese)
    # Amounts and dates follow the user's locale (the wording follows the zh catalogue).
    assert "¥4,000.00" in note.body and "CN¥" not in note.body
    assert "2024年3月10日" in note.body


def test_missed_days_still_remind_once_per_lead_time(holder):
    right = add_patent(holder)
    # The job did not run 90 or 30 days before; two days later it catches up.
    for days_left in (95, 88, 87, 28, 27, 5):
        status.send_fee_reminders(on=DUE - timedelta(days=days_left))
    assert reminders(right) == [(DUE, 90), (DUE, 30), (DUE, 7)]


def test_a_fee_already_close_gets_only_the_tightest_reminder(holder):
    right = add_patent(holder)
    report = status.send_fee_reminders(on=DUE - timedelta(days=20))
    assert report.sent == {30: 1}
    assert reminders(right) == [(DUE, 30)]


def test_reminders_twice_on_the_same_day_send_once(holder):
    _org, user = holder
    add_patent(holder)
    day = DUE - timedelta(days=30)
    assert status.send_fee_reminders(on=day).sent_total == 1
    assert status.send_fee_reminders(on=day).sent_total == 0
    assert len(reminder_notes(user)) == 1


def test_every_owner_user_is_reminded(holder):
    org, user = holder
    colleague = make_user(org, locale="en")
    add_patent(holder)
    report = status.send_fee_reminders(on=DUE - timedelta(days=7))
    assert report.notified == 2
    assert len(reminder_notes(user)) == len(reminder_notes(colleague)) == 1


@pytest.mark.parametrize(
    "setup",
    [
        {"granted": None, "state": RightStatus.PENDING},  # not granted: no annual fees yet
        {"paid_through": None},  # fee standing unknown
        {"state": RightStatus.LAPSED},
        {"state": RightStatus.UNDER_INVALIDATION},
        {"state": RightStatus.SUSPENDED},
    ],
)
def test_no_reminder_without_a_known_fee_on_a_live_granted_patent(holder, setup):
    right = add_patent(holder, **setup)
    for days_left in (90, 30, 7):
        status.send_fee_reminders(on=DUE - timedelta(days=days_left))
    assert reminders(right) == []


def test_no_reminder_when_the_fees_cover_the_rest_of_the_term(holder):
    filed = date(2010, 5, 20)
    right = add_patent(
        holder,
        filed=filed,
        granted=date(2011, 1, 14),
        kind="utility_model",
        paid_through=terms.paid_through_for(filed, 10),
    )
    status.send_fee_reminders(on=date(2020, 5, 1))
    assert reminders(right) == []


def test_a_reminder_row_already_there_is_never_sent_again(holder):
    _org, user = holder
    right = add_patent(holder)
    _db.session.add(FeeReminder(right_id=right.id, due_on=DUE, days_before=30))
    _db.session.flush()
    assert status.send_fee_reminders(on=DUE - timedelta(days=30)).sent_total == 0
    assert reminder_notes(user) == []


# --- the command -------------------------------------------------------------------------


def test_refresh_status_command_prints_a_summary_and_sends_reminders(app: Flask, holder):
    grace = add_patent(holder)
    later_due = add_patent(holder, filed=date(2015, 4, 9), paid_through=date(2024, 4, 8))
    runner = app.test_cli_runner()

    result = runner.invoke(
        rights_cli, ["refresh-status", "--on", "2024-03-11", "--batch-size", "1"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Legal status on 2024-03-11: 2 rights checked, 1 changed (grace_period: 1).",
        "Fee reminders on 2024-03-11: 1 patents due within 90 days checked, 1 reminders sent "
        "(90 days: 0, 30 days: 1, 7 days: 0), 1 notifications.",
    ]
    _db.session.expire_all()
    assert grace.status is RightStatus.GRACE_PERIOD
    assert reminders(later_due) == [(date(2024, 4, 9), 30)]

    again = runner.invoke(rights_cli, ["refresh-status", "--on", "2024-03-11"])
    assert again.exit_code == 0
    assert "2 rights checked, 0 changed." in again.output
    assert "0 reminders sent" in again.output


def test_send_reminders_command(app: Flask, holder):
    right = add_patent(holder)
    result = app.test_cli_runner().invoke(rights_cli, ["send-reminders", "--on", "2024-03-03"])
    assert result.exit_code == 0, result.output
    assert "1 reminders sent (90 days: 0, 30 days: 0, 7 days: 1)" in result.output
    assert reminders(right) == [(DUE, 7)]


def test_refresh_status_command_exits_1_when_a_status_cannot_be_computed(app: Flask, holder):
    broken = add_patent(holder)
    _db.session.execute(
        sa.update(Right).where(Right.id == broken.id).values(paid_through=date(2024, 1, 1))
    )
    result = app.test_cli_runner().invoke(rights_cli, ["refresh-status", "--on", "2024-03-11"])
    assert result.exit_code == 1
    assert f"right {broken.id} ({broken.number}): status not computed" in result.output


def test_refresh_status_command_rejects_a_bad_date(app: Flask, db):
    result = app.test_cli_runner().invoke(rights_cli, ["refresh-status", "--on", "2024-02-30"])
    assert result.exit_code == 2
    assert "--on" in result.output
