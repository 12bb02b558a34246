"""``flask rights ...``: the daily status job and legal-status imports."""

from __future__ import annotations

import click

rights_cli = click.Group("rights", help="IP rights registry.")
