"""Full-text search of listings and demand posts: Chinese text segmented with jieba, Whoosh
behind a small interface.

- :mod:`marketplace.search.engine`: the interface (``SearchDocument``, ``SearchQuery``,
  ``SearchResult``, ``SearchEngine``) and ``get_engine(app)``.
- :mod:`marketplace.search.indexing`: ``register_loader``, ``register_source`` and
  ``queue_index`` — index writes after the database commit.
- :mod:`marketplace.search.whoosh_engine`: the Whoosh implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register ``flask search …`` and the after-commit indexing hooks."""
    from marketplace.search import indexing  # noqa: F401  (registers the session events)
    from marketplace.search.cli import search_cli

    app.cli.add_command(search_cli)
