"""The search interface: documents in, queries and results out, and the engine behind them.

Nothing here knows Whoosh. The listings module turns its listings and demand posts into
:class:`SearchDocument` values; pages turn a request into a :class:`SearchQuery`. Another engine
(for several servers) replaces :class:`~marketplace.search.whoosh_engine.WhooshEngine` by
implementing :class:`SearchEngine` and being returned from :func:`get_engine`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from markupsafe import Markup

DOC_TYPES = ("listing", "demand")
#: Filter keys of :attr:`SearchQuery.filters`.
FILTERS = ("ipc", "kind", "deal_type", "status", "region", "industry")
#: Facets counted for every result, in display order.
FACETS = ("kind", "deal_type", "status", "region", "industry", "ipc_section")
SORTS = ("relevance", "price_asc", "price_desc", "newest")
VISIBILITIES = ("public", "agencies")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class SearchDocument:
    """One listing or demand post as the index sees it: public text and filterable fields."""

    doc_type: str  #: "listing" or "demand"
    doc_id: int
    title: str
    body: str  #: public text only (teaser, abstract, description); never NDA-gated details
    ipc: tuple[str, ...]  #: "H01M 10/052"; its section, class, subclass and group are indexed too
    kinds: tuple[str, ...]  #: right kinds: invention, utility_model, …
    deal_type: str | None  #: assignment, exclusive, sole, non_exclusive, open_licence
    status: str  #: legal-status keyword(s) of the listed rights, space-separated
    region: str
    industry: str | None
    price: int | None  #: fen; None = negotiable; for a demand post the budget's maximum
    created_at: datetime
    visibility: str = "public"  #: "public", or "agencies": verified agencies only


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    doc_type: str | None = None
    #: ipc (a prefix: "H", "H01M", "H01M 10/052"), kind, deal_type, status, region, industry;
    #: several values for one key match any of them.
    filters: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    price_min: int | None = None
    price_max: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    #: The visibilities the searcher may see: ("public",) for visitors, ("public", "agencies")
    #: for verified agencies.
    visibility: Sequence[str] = ("public",)


@dataclass(frozen=True)
class SearchHit:
    doc_type: str
    doc_id: int
    score: float
    title_html: Markup  #: escaped, with matches in <mark>
    snippet_html: Markup  #: escaped, with matches in <mark>


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int
    page: int
    pages: int
    #: facet name -> value -> number of matching documents, for every facet in FACETS
    facets: dict[str, dict[str, int]]


class SearchEngine(Protocol):
    def index(self, docs: Iterable[SearchDocument]) -> None:
        """Add or replace documents (keyed by doc_type and doc_id)."""

    def delete(self, doc_type: str, doc_ids: Iterable[int]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def more_like(
        self, doc: SearchDocument, *, doc_type: str, limit: int
    ) -> list[tuple[int, float]]:
        """Documents of ``doc_type`` whose text resembles ``doc``'s: ``(doc_id, score)``, best
        first, public and agencies-only alike (matching decides what to show)."""

    def rebuild(self, docs: Iterable[SearchDocument]) -> int:
        """Build a complete new index from ``docs`` and swap it in at once; returns the count."""

    def clear(self) -> None: ...


_engines: dict[tuple[int, str], SearchEngine] = {}
_engines_lock = threading.Lock()


def index_dir(app_or_config: Any) -> Path:
    """``SEARCH_INDEX_DIR``, by default ``instance/search-index``."""
    config = getattr(app_or_config, "config", app_or_config)
    configured = config.get("SEARCH_INDEX_DIR")
    if configured:
        return Path(configured)
    instance = config.get("INSTANCE_PATH") or getattr(app_or_config, "instance_path", "instance")
    return Path(instance) / "search-index"


def get_engine(app_or_config: Any) -> SearchEngine:
    """The process's engine for this configuration (one per index directory and process).

    Settings: ``SEARCH_INDEX_DIR``; ``SEARCH_REBUILD_PROCS``, the processes ``flask search
    reindex`` indexes with (default 1).
    """
    from marketplace.search.whoosh_engine import WhooshEngine

    config = getattr(app_or_config, "config", app_or_config)
    path = index_dir(app_or_config).resolve()
    key = (os.getpid(), str(path))
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            procs = int(config.get("SEARCH_REBUILD_PROCS") or 1)
            engine = _engines[key] = WhooshEngine(path, rebuild_procs=procs)
    return engine
