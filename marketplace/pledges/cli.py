"""``flask pledges ...``: the daily monitor of pledged collateral.

Cron runs ``flask pledges monitor`` once a day, after ``flask rights refresh-status`` (so the
rights' recorded statuses are current, though the monitor computes the clock itself). It
commits after each batch of pledges; a second run on the same day raises nothing.
"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from marketplace.core.clock import today
from marketplace.extensions import db
from marketplace.pledges import monitoring
from marketplace.pledges.models import AlertCode

pledges_cli = click.Group("pledges", help="Pledge financing.")


@pledges_cli.command("monitor")
@click.option(
    "--date",
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to check for, YYYY-MM-DD (default: today in Beijing).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=monitoring.DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Pledges read and committed at a time.",
)
@with_appcontext
def monitor_command(on: datetime | None, batch_size: int) -> None:
    """Alert banks to fees due or missed, status changes, expiry near maturity and low
    appraisals of the rights they hold in pledge (each alert once)."""
    day = on.date() if on is not None else today()
    report = monitoring.run_monitor(day, batch_size=batch_size, checkpoint=db.session.commit)
    db.session.commit()
    by_code = ", ".join(f"{code.value}: {report.raised[code]}" for code in AlertCode)
    click.echo(
        f"Pledge monitor on {day.isoformat()}: {report.checked} pledges checked, "
        f"{report.raised_total} alerts raised ({by_code})."
    )
    for pledge_id, right_id, reason in report.failures:
        click.echo(f"pledge {pledge_id}, right {right_id}: not checked: {reason}", err=True)
    if report.failures:
        raise SystemExit(1)
