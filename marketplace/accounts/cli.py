"""``flask users create-operator``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.accounts import services
from marketplace.core.errors import DomainError
from marketplace.extensions import db

users_cli = click.Group("users", help="User accounts.")


@users_cli.command("create-operator")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True, default="运营管理员")
@click.password_option()
@with_appcontext
def create_operator_command(email: str, name: str, password: str) -> None:
    """Create an operator account (and the operator organisation on first use)."""
    try:
        user = services.create_operator(email, password, name)
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    db.session.commit()
    click.echo(f"Operator {user.email} created.")
