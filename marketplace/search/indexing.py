"""Keeping the index in step with the database: index after the commit, never inside it.

The modules that own searchable rows register two functions per document type::

    register_loader("listing", load_listing)      # doc_id -> SearchDocument | None (None: delete)
    register_source("listing", all_listings)      # () -> every SearchDocument, for reindexing

and call ``queue_index("listing", listing.id)`` from their services whenever a listing changes.
The request is remembered on the SQLAlchemy session, tagged with the transaction (or savepoint)
it happened in. A rollback of that transaction forgets it; when the outermost transaction
commits, each remembered document is loaded afresh — now that the session may read again — and
written to the engine. A failure there is logged, never raised: the data is committed, and
``flask search reindex`` repairs the index.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from marketplace.search.engine import SearchDocument, SearchEngine, get_engine

log = logging.getLogger(__name__)

Loader = Callable[[int], SearchDocument | None]
Source = Callable[[], Iterable[SearchDocument]]

_loaders: dict[str, Loader] = {}
_sources: dict[str, Source] = {}

PENDING = "search.pending"  #: session.info key: [(doc_type, doc_id, transaction)]
COMMITTED = "search.committed"  #: session.info key: [(doc_type, doc_id)] awaiting the load


def register_loader(doc_type: str, loader: Loader) -> None:
    """``loader(doc_id)`` returns the document as it now is, or None if it must leave the
    index (deleted, withdrawn, no longer public…)."""
    _loaders[doc_type] = loader


def register_source(doc_type: str, source: Source) -> None:
    """``source()`` yields every document of ``doc_type`` that belongs in the index."""
    _sources[doc_type] = source


def queue_index(doc_type: str, doc_id: int, *, session: Session | None = None) -> None:
    """(Re)index the document once the current transaction commits; forget it on rollback.

    ``session`` defaults to Flask-SQLAlchemy's session of the current context.
    """
    if session is None:
        from marketplace.extensions import db

        session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING, []).append((doc_type, int(doc_id), transaction))


def _descends_from(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(PENDING)
    if not pending:
        return
    if previous_transaction.parent is None:
        session.info.pop(PENDING, None)  # the whole transaction is gone
        return
    session.info[PENDING] = [
        item for item in pending if not _descends_from(item[2], previous_transaction)
    ]


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    # The session may not emit SQL here ("committed" state): loading waits for the end of
    # the transaction, below.
    pending = session.info.pop(PENDING, None)
    if pending:
        done = session.info.setdefault(COMMITTED, [])
        done.extend((doc_type, doc_id) for doc_type, doc_id, _ in pending)


@event.listens_for(Session, "after_transaction_end")
def _index_committed(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or COMMITTED not in session.info:
        return
    committed = session.info.pop(COMMITTED)
    if not has_app_context():
        log.warning(
            "Search index not updated for %d documents: no application context", len(committed)
        )
        return
    try:
        index_now(get_engine(current_app), dict.fromkeys(committed))
    except Exception:
        log.exception("Search index update failed after commit; run `flask search reindex`")


def index_now(engine: SearchEngine, keys: Iterable[tuple[str, int]]) -> None:
    """Load each document with its registered loader and write it, or delete it if the
    loader returns None."""
    documents: list[SearchDocument] = []
    deleted: dict[str, list[int]] = {}
    for doc_type, doc_id in keys:
        loader = _loaders.get(doc_type)
        if loader is None:
            log.warning("No search loader registered for %r", doc_type)
            continue
        try:
            document = loader(doc_id)
        except Exception:
            log.exception("Search loader for %s %s failed", doc_type, doc_id)
            continue
        if document is None:
            deleted.setdefault(doc_type, []).append(doc_id)
        else:
            documents.append(document)
    if documents:
        engine.index(documents)
    for doc_type, ids in deleted.items():
        engine.delete(doc_type, ids)


def all_documents() -> Iterator[SearchDocument]:
    """Every document of every registered source."""
    for doc_type in sorted(_sources):
        yield from _sources[doc_type]()


def rebuild(engine: SearchEngine) -> dict[str, int]:
    """Rebuild the whole index from the registered sources; returns the count per type."""
    counts = dict.fromkeys(sorted(_sources), 0)

    def counted() -> Iterator[SearchDocument]:
        for document in all_documents():
            counts[document.doc_type] = counts.get(document.doc_type, 0) + 1
            yield document

    engine.rebuild(counted())
    return counts
