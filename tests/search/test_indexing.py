"""Index after commit (never inside it), and ``flask search reindex``: these need the app and a
database that really commits."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from marketplace.search import indexing
from marketplace.search.cli import search_cli
from marketplace.search.engine import SearchDocument, SearchQuery, get_engine
from marketplace.search.indexing import queue_index, register_loader, register_source
from marketplace.search.whoosh_engine import WhooshEngine
from tests.search import corpus

#: A tiny table of its own (unique per process: other runs may share the test database).
notes = Table(
    f"search_test_notes_{os.getpid()}",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
)


@pytest.fixture
def search_app(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setitem(app.config, "SEARCH_INDEX_DIR", str(tmp_path / "search-index"))
    monkeypatch.setattr(indexing, "_loaders", {})
    monkeypatch.setattr(indexing, "_sources", {})
    return app


@pytest.fixture
def notes_db(search_app: Flask, committing_db: Any) -> Iterator[Any]:
    notes.create(committing_db.engine)
    try:
        yield committing_db
    finally:
        committing_db.session.remove()
        notes.drop(committing_db.engine)


@pytest.fixture
def loaded(notes_db: Any) -> list[int]:
    """Registers a loader that reads the note from the database; records what it loaded."""
    calls: list[int] = []

    def load_note(doc_id: int) -> SearchDocument | None:
        row = notes_db.session.execute(select(notes).where(notes.c.id == doc_id)).first()
        calls.append(doc_id)
        if row is None:
            return None
        return replace(corpus.listings()[0], doc_id=row.id, title=row.title, body="")

    register_loader("listing", load_note)
    return calls


def _engine(app: Flask) -> WhooshEngine:
    engine = get_engine(app)
    assert isinstance(engine, WhooshEngine)
    return engine


def _titles(app: Flask) -> list[str]:
    result = _engine(app).search(SearchQuery(per_page=100))
    return sorted(h.title_html.striptags() for h in result.hits)


def _add_note(db: Any, note_id: int, title: str) -> None:
    db.session.execute(insert(notes).values(id=note_id, title=title))
    queue_index("listing", note_id)


def test_committed_document_is_indexed_after_the_commit(
    search_app: Flask, notes_db: Any, loaded: list[int]
) -> None:
    _add_note(notes_db, 1, "动力电池热管理")
    notes_db.session.flush()
    assert loaded == [] and _titles(search_app) == []  # nothing happens inside the transaction
    notes_db.session.commit()
    assert loaded == [1]
    assert _titles(search_app) == ["动力电池热管理"]


def test_rolled_back_document_is_never_indexed(
    search_app: Flask, notes_db: Any, loaded: list[int]
) -> None:
    _add_note(notes_db, 1, "动力电池热管理")
    notes_db.session.flush()
    notes_db.session.rollback()
    notes_db.session.commit()  # a later commit does not bring it back
    assert loaded == []
    assert _titles(search_app) == []
    assert notes_db.session.execute(select(notes)).all() == []


def test_rolled_back_savepoint_forgets_only_its_own_documents(
    search_app: Flask, notes_db: Any, loaded: list[int]
) -> None:
    _add_note(notes_db, 1, "保留的专利")
    savepoint = notes_db.session.begin_nested()
    _add_note(notes_db, 2, "撤回的专利")
    savepoint.rollback()
    kept = notes_db.session.begin_nested()
    _add_note(notes_db, 3, "另一个专利")
    kept.commit()
    notes_db.session.commit()
    assert sorted(loaded) == [1, 3]
    assert _titles(search_app) == ["保留的专利", "另一个专利"]


def test_loader_returning_none_removes_the_document(
    search_app: Flask, notes_db: Any, loaded: list[int]
) -> None:
    _add_note(notes_db, 1, "石墨烯导热膜")
    notes_db.session.commit()
    notes_db.session.execute(notes.delete().where(notes.c.id == 1))
    queue_index("listing", 1)
    notes_db.session.commit()
    assert _titles(search_app) == []


def test_a_failing_loader_is_logged_and_the_commit_stands(
    search_app: Flask, notes_db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(doc_id: int) -> SearchDocument | None:
        raise RuntimeError("loader bug")

    register_loader("listing", broken)
    _add_note(notes_db, 1, "碳纤维")
    with caplog.at_level(logging.ERROR, logger="marketplace.search.indexing"):
        notes_db.session.commit()
    assert "loader bug" in caplog.text
    assert notes_db.session.execute(select(notes.c.title)).scalars().all() == ["碳纤维"]


def test_reindex_command_rebuilds_into_a_new_directory_and_swaps(
    search_app: Flask, committing_db: Any
) -> None:
    engine = _engine(search_app)
    stale = replace(corpus.listings()[0], title="已经下架的挂牌")
    engine.index([stale])
    assert _titles(search_app) == ["已经下架的挂牌"]
    old_directory = engine._current_path()

    register_source("listing", corpus.listings)
    register_source("demand", corpus.demands)
    result = search_app.test_cli_runner().invoke(search_cli, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "28 listing" in result.output and "2 demand" in result.output

    assert engine._current_path() != old_directory
    assert engine.current_link.is_symlink()
    everything = engine.search(SearchQuery(visibility=("public", "agencies")))
    assert everything.total == 30
    assert "已经下架的挂牌" not in _titles(search_app)


def test_drain_command(search_app: Flask, committing_db: Any) -> None:
    engine = _engine(search_app)
    engine._current_path()
    from marketplace.search.whoosh_engine import document_to_json

    engine.queue.put([{"op": "index", "doc": document_to_json(corpus.listings()[0])}])
    result = search_app.test_cli_runner().invoke(search_cli, ["drain"])
    assert result.exit_code == 0, result.output
    assert engine.queue.pending() == []
    assert len(_titles(search_app)) == 1
