"""``flask rights ...``: the daily status job and legal-status imports.

Cron runs ``flask rights refresh-status`` once a day (after midnight Beijing time); it commits
after each batch of rights, so an interrupted run loses at most one batch and the next run
finishes the work. ``flask rights import-status FILE`` applies a registry extract.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from marketplace.core.clock import today
from marketplace.extensions import db
from marketplace.rights import status

rights_cli = click.Group("rights", help="IP rights registry.")

_on_option = click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to compute for, YYYY-MM-DD (default: today in Beijing).",
)
_batch_option = click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=status.DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Rights read and committed at a time.",
)


def _day(on: datetime | None) -> date:
    return on.date() if on is not None else today()


def _by_status(report: status.RefreshReport) -> str:
    return ", ".join(f"{new.value}: {n}" for new, n in sorted(report.changed.items()))


def _echo_reminders(report: status.ReminderReport) -> None:
    by_lead = ", ".join(f"{lead} days: {report.sent[lead]}" for lead in status.REMINDER_LEAD_DAYS)
    click.echo(
        f"Fee reminders on {report.on.isoformat()}: {report.checked} patents due within "
        f"{max(status.REMINDER_LEAD_DAYS)} days checked, {report.sent_total} reminders sent "
        f"({by_lead}), {report.notified} notifications."
    )


def _reminders(day: date, batch_size: int) -> status.ReminderReport:
    return status.send_fee_reminders(on=day, batch_size=batch_size, checkpoint=db.session.commit)


@rights_cli.command("refresh-status")
@_on_option
@_batch_option
@with_appcontext
def refresh_status_command(on: datetime | None, batch_size: int) -> None:
    """Move rights through in force, grace period, lapsed and expired; send fee reminders.

    Safe to run more than once a day: a second run changes and sends nothing.
    """
    day = _day(on)
    report = status.refresh_statuses(on=day, batch_size=batch_size, checkpoint=db.session.commit)
    db.session.commit()
    changed = f" ({_by_status(report)})" if report.changed else ""
    click.echo(
        f"Legal status on {day.isoformat()}: {report.checked} rights checked, "
        f"{report.changed_total} changed{changed}."
    )
    _echo_reminders(_reminders(day, batch_size))
    db.session.commit()
    if report.failures:
        for right_id, number, reason in report.failures:
            click.echo(f"right {right_id} ({number}): status not computed: {reason}", err=True)
        raise SystemExit(1)


@rights_cli.command("send-reminders")
@_on_option
@_batch_option
@with_appcontext
def send_reminders_command(on: datetime | None, batch_size: int) -> None:
    """Remind owners 90, 30 and 7 days before an annual fee is due (each reminder once)."""
    report = _reminders(_day(on), batch_size)
    db.session.commit()
    _echo_reminders(report)


@rights_cli.command("import-status")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_on_option
@with_appcontext
def import_status_command(file: Path, on: datetime | None) -> None:
    """Apply legal-status updates from a CSV file (number,date,event[,kind,paid_through,note]).

    Good rows are applied and committed; each rejected row is listed with its line and reason,
    and the exit status is 1 if there was any.
    """
    try:
        report = status.apply_status_updates(status.CsvStatusSource(file), on=_day(on))
    except status.StatusFileInvalid as exc:
        db.session.rollback()
        click.echo(f"{file.name}: {exc.message} Nothing was imported.", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    changed = ", ".join(f"{new.value}: {n}" for new, n in sorted(report.changed.items()))
    click.echo(
        f"{file.name}: {len(report.applied)} rows applied, {len(report.skipped)} already "
        f"applied, {len(report.rejected)} rejected."
        + (f" Status changes: {changed}." if changed else "")
    )
    for problem in report.rejected:
        click.echo(str(problem))
    if report.rejected:
        raise SystemExit(1)
