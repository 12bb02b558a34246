"""One writer at a time: concurrent processes, a stray Whoosh writer, a batch left by a crash."""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from marketplace.search.engine import SearchDocument, SearchQuery
from marketplace.search.whoosh_engine import WhooshEngine, document_to_json
from tests.search import corpus

WORKERS = 4
DOCS_PER_WORKER = 50


def _document(worker: int, number: int) -> SearchDocument:
    template = corpus.listings()[number % len(corpus.listings())]
    return replace(
        template,
        doc_id=worker * 1000 + number,
        title=f"{template.title} 批次{worker}号{number}",
    )


def _write_from_a_process(root: str, worker: int, barrier: Any) -> None:
    engine = WhooshEngine(root)
    barrier.wait(timeout=120)  # every process starts writing at the same moment
    for number in range(DOCS_PER_WORKER):
        engine.index([_document(worker, number)])  # one commit each: the worst case


def test_writes_from_several_processes_at_once_all_land(tmp_path: Path) -> None:
    root = tmp_path / "search-index"
    context = multiprocessing.get_context("spawn")  # fresh interpreters, as gunicorn workers
    barrier = context.Barrier(WORKERS)
    processes = [
        context.Process(target=_write_from_a_process, args=(str(root), worker, barrier))
        for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=600)
    assert [p.exitcode for p in processes] == [0] * WORKERS  # no LockError, no exception

    engine = WhooshEngine(root)
    assert engine.queue.pending() == []
    result = engine.search(SearchQuery(per_page=100, page=1))
    assert result.total == WORKERS * DOCS_PER_WORKER
    expected = {w * 1000 + n for w in range(WORKERS) for n in range(DOCS_PER_WORKER)}
    found = {doc_id for _, doc_id in engine.all_matches(SearchQuery())}
    assert found == expected
    # … and each is findable by its own words.
    for worker, number in ((0, 0), (1, 17), (2, 33), (3, 49)):
        hits = engine.search(SearchQuery(text=f'"批次{worker}号{number}"')).hits
        assert [h.doc_id for h in hits] == [worker * 1000 + number]
    engine.close()


def test_a_stray_whoosh_writer_is_waited_for(engine: WhooshEngine) -> None:
    engine.index(corpus.listings()[:1])
    ix = whoosh_index.open_dir(str(engine._current_path()))
    stray = ix.writer()  # holds Whoosh's own lock, outside the queue
    releaser = threading.Timer(0.3, stray.cancel)
    releaser.start()
    started = time.monotonic()
    engine.index(corpus.listings()[1:3])
    assert time.monotonic() - started >= 0.25
    releaser.join()
    ix.close()
    assert engine.search(SearchQuery()).total == 3


def test_a_batch_left_in_the_queue_is_applied_by_the_next_write(engine: WhooshEngine) -> None:
    # As if a process had queued its batch and died before draining it.
    engine._current_path()
    engine.queue.put([{"op": "index", "doc": document_to_json(corpus.listings()[0])}])
    engine.index(corpus.listings()[1:2])
    assert engine.queue.pending() == []
    assert engine.search(SearchQuery()).total == 2


def test_queued_operations_apply_in_order(engine: WhooshEngine) -> None:
    doc = corpus.listings()[0]
    engine._current_path()
    engine.queue.put([{"op": "index", "doc": document_to_json(doc)}])
    engine.queue.put([{"op": "delete", "key": f"listing:{doc.doc_id}"}])
    engine.queue.put([{"op": "clear"}])
    engine.queue.put([{"op": "index", "doc": document_to_json(corpus.listings()[1])}])
    engine.drain()
    assert [h.doc_id for h in engine.search(SearchQuery()).hits] == [2]


def test_search_while_the_first_index_is_being_built_finds_nothing(tmp_path: Path) -> None:
    engine = WhooshEngine(tmp_path / "search-index")
    started = threading.Event()

    def slow_documents() -> Any:
        started.set()
        time.sleep(2.0)  # the rebuild holds the writer lock meanwhile
        yield corpus.listings()[0]

    builder = threading.Thread(target=engine.rebuild, args=(slow_documents(),))
    builder.start()
    started.wait(timeout=30)
    other = WhooshEngine(tmp_path / "search-index")  # as another process would
    result = other.search(SearchQuery(text="电池"))
    assert result.total == 0 and result.hits == []
    builder.join(timeout=60)
    assert other.search(SearchQuery()).total == 1
    other.close()
    engine.close()
