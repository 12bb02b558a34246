"""``flask search reindex`` and ``flask search drain``."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from marketplace.search import indexing
from marketplace.search.engine import get_engine, index_dir

search_cli = AppGroup("search", help="Full-text search index commands.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the index from the database into a new directory and swap it in."""
    started = time.perf_counter()
    counts = indexing.rebuild(get_engine(current_app))
    summary = ", ".join(f"{n} {doc_type}" for doc_type, n in counts.items()) or "nothing"
    click.echo(
        f"Search index rebuilt in {index_dir(current_app)}: {summary} "
        f"({time.perf_counter() - started:.1f} s)."
    )


@search_cli.command("drain")
def drain_command() -> None:
    """Apply index writes still queued (after a crash, say), waiting for the writer lock."""
    engine = get_engine(current_app)
    drain = getattr(engine, "drain", None)
    if drain is None:
        click.echo("This search engine has no write queue.")
        return
    drain(wait=None)
    click.echo("Search write queue drained.")
