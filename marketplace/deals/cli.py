"""``flask deals daily``: warn of licence recordal deadlines and flag late royalty reports.

Cron runs it once a day; each warning and each late flag is sent once.
"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from marketplace.core.clock import today
from marketplace.deals import recordals
from marketplace.extensions import db

deals_cli = click.Group("deals", help="Deals.")


@deals_cli.command("daily")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to check for, YYYY-MM-DD (default: today in Beijing).",
)
@with_appcontext
def daily(on: datetime | None) -> None:
    """Recordal deadline warnings and late royalty reports."""
    day = on.date() if on else today()
    warned = recordals.warn_recordal_deadlines(day)
    late = recordals.flag_late_reports(day)
    db.session.commit()
    click.echo(
        f"Deals on {day.isoformat()}: {warned} recordal deadline warnings, "
        f"{late} late royalty reports."
    )
