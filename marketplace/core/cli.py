"""``flask audit verify``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.core.audit import verify_chain

audit_cli = click.Group("audit", help="Audit trail commands.")


@audit_cli.command("verify")
@with_appcontext
def verify_command() -> None:
    """Walk the hash chain and report the first tampered entry."""
    report = verify_chain()
    if report.ok:
        click.echo(f"Audit trail intact: {report.checked} entries verified.")
        return
    click.echo(
        f"Audit trail BROKEN at entry {report.first_bad_id}: {report.reason}. "
        f"{report.checked} entries before it verified.",
        err=True,
    )
    raise SystemExit(1)
