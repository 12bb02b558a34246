"""The Whoosh implementation of :class:`~marketplace.search.engine.SearchEngine`."""

from __future__ import annotations

import math
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import qparser
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.writing import CLEAR

from marketplace.search.analysis import ShingleTokenizer, analyzer, tokens
from marketplace.search.engine import (
    FACETS,
    FILTERS,
    MAX_PER_PAGE,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from marketplace.search.highlight import highlight_snippet, highlight_title
from marketplace.search.whoosh_query import (
    DocTable,
    Executor,
    Matches,
    Unsupported,
    encode_meta,
    top,
)
from marketplace.search.writequeue import WriteQueue, WriterBusy

#: Sort key for a missing price: after every real price in both directions.
NO_PRICE = 2**62
#: How many of a document's words "more like this" searches for.
MORE_LIKE_TERMS = 25
#: Memory (MB) a rebuild may use to sort postings before spilling them to disk.
REBUILD_MEMORY_MB = 1024
#: Writes retry this long on Whoosh's own LockError (another process's writer).
LOCK_RETRY_SECONDS = 30.0


def codec() -> W3Codec:
    """Whoosh's codec with posting blocks of 1,024 instead of 128 and no zlib: queries here
    read whole posting lists a block at a time, and each block costs a seek, two unpicklings
    and a decompression. About twice as fast per posting for twice the disk space."""
    return W3Codec(blocklimit=1024, compression=0)


def normalise_ipc(code: str) -> str:
    return re.sub(r"\s+", "", code).upper()


def make_schema() -> Schema:
    text = analyzer()
    return Schema(
        #: "listing:42", the unique key; stored to map a hit back to its document.
        key=ID(unique=True, stored=True),
        #: Title and body, separated by a gap, with term frequencies but no positions: every
        #: word of a query may match in either; phrases use the shingle fields instead.
        words=TEXT(analyzer=text, phrase=False),
        title=STORED,
        body=STORED,
        #: Adjacent word pairs: a two-word phrase is one lookup. (Scorable only so that Whoosh
        #: keeps a length column: without one, indexing looks for the file at every posting.)
        pairs=TEXT(analyzer=ShingleTokenizer(2), phrase=False),
        #: Adjacent word triples with positions: a three-word phrase is one lookup, a longer
        #: one the overlapping triples at consecutive positions.
        triples=TEXT(analyzer=ShingleTokenizer(3), phrase=True),
        #: Everything filtered, counted or sorted on, in one column (see whoosh_query.META_FIELDS).
        meta=COLUMN(VarBytesColumn()),
    )


def indexed_text(doc: SearchDocument) -> str:
    """Title, title again, body, separated by punctuation (a position gap). The title twice
    doubles its term frequencies: title matches rank higher with no second field to read at
    query time (FTS5's column weight of 2 in the benchmark does the same)."""
    return f"{doc.title}\n。\n{doc.title}\n。\n{doc.body}"


def to_fields(doc: SearchDocument) -> dict[str, Any]:
    text = indexed_text(doc)
    codes = sorted({normalise_ipc(c) for c in doc.ipc if c.strip()})
    meta = {
        "doc_type": doc.doc_type,
        "visibility": doc.visibility,
        "kind": " ".join(doc.kinds),
        "deal_type": doc.deal_type or "",
        "status": doc.status,
        "region": doc.region,
        "industry": doc.industry or "",
        "ipc": " ".join(codes),
        "price": "" if doc.price is None else str(doc.price),
        "created": str(int(doc.created_at.timestamp() * 1000)),
    }
    return {
        "key": f"{doc.doc_type}:{doc.doc_id}",
        "words": text,
        "title": doc.title,
        "body": doc.body,
        "pairs": text,
        "triples": text,
        "meta": encode_meta(meta),
    }


def document_to_json(doc: SearchDocument) -> dict[str, Any]:
    return {
        "doc_type": doc.doc_type,
        "doc_id": doc.doc_id,
        "title": doc.title,
        "body": doc.body,
        "ipc": list(doc.ipc),
        "kinds": list(doc.kinds),
        "deal_type": doc.deal_type,
        "status": doc.status,
        "region": doc.region,
        "industry": doc.industry,
        "price": doc.price,
        "created_at": doc.created_at.isoformat(),
        "visibility": doc.visibility,
    }


def document_from_json(data: dict[str, Any]) -> SearchDocument:
    created = datetime.fromisoformat(data["created_at"])
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return SearchDocument(
        doc_type=data["doc_type"],
        doc_id=int(data["doc_id"]),
        title=data["title"],
        body=data["body"],
        ipc=tuple(data["ipc"]),
        kinds=tuple(data["kinds"]),
        deal_type=data["deal_type"],
        status=data["status"],
        region=data["region"],
        industry=data["industry"],
        price=data["price"],
        created_at=created,
        visibility=data.get("visibility", "public"),
    )


def _make_parser(schema: Schema) -> qparser.QueryParser:
    """Words (AND), quoted phrases, AND/OR/NOT and parentheses; no field names, wildcards,
    ranges or boosts from visitors."""
    parser = qparser.QueryParser("words", schema, group=qparser.AndGroup)
    for plugin in (
        qparser.FieldsPlugin,
        qparser.WildcardPlugin,
        qparser.RangePlugin,
        qparser.BoostPlugin,
        qparser.EveryPlugin,
    ):
        parser.remove_plugin_class(plugin)
    return parser


@dataclass
class _Reader:
    """One thread's open searcher, the index directory it reads, and its document table."""

    path: Path
    searcher: Any
    table: DocTable


class WhooshEngine:
    """A Whoosh index in ``root``: ``root/current`` links to the live index directory, new
    complete indexes are built beside it and swapped in by replacing the link; writes go
    through :class:`~marketplace.search.writequeue.WriteQueue`."""

    def __init__(self, root: Path | str, *, rebuild_procs: int = 1) -> None:
        self.root = Path(root)
        #: Processes a rebuild indexes with (jieba and Whoosh are single-threaded Python).
        self.rebuild_procs = max(1, rebuild_procs)
        self.queue = WriteQueue(self.root)
        self.schema = make_schema()
        self._parser = _make_parser(self.schema)
        self._local = threading.local()
        self._pid = os.getpid()

    # -- layout --------------------------------------------------------------------------------

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def _current_path(self, *, wait: float = LOCK_RETRY_SECONDS) -> Path:
        """The live index directory, created (empty) on first use.

        :raises WriterBusy: there is no index yet and another process holds the writer lock
            (building the first one) for longer than ``wait`` seconds.
        """
        try:
            return self.root / os.readlink(self.current_link)
        except FileNotFoundError:
            return self._create_initial(wait)

    def _create_initial(self, wait: float) -> Path:
        with self.queue.locked(wait=wait) as held:
            if self.current_link.is_symlink():
                return self.root / os.readlink(self.current_link)
            if not held:
                raise WriterBusy(f"cannot create the search index in {self.root}")
            path = self._new_index_dir()
            whoosh_index.create_in(str(path), self.schema)
            self._swap_to(path)
            return path

    def _new_index_dir(self) -> Path:
        path = self.root / f"ix-{time.time_ns():020d}-{os.getpid()}"
        path.mkdir(parents=True)
        return path

    def _swap_to(self, path: Path) -> None:
        previous = os.readlink(self.current_link) if self.current_link.is_symlink() else None
        link = self.root / f".current-{os.getpid()}"
        link.unlink(missing_ok=True)
        os.symlink(path.name, link)
        os.replace(link, self.current_link)  # atomic: readers see the old or the new index
        # The index just replaced stays for searchers still reading it (they reopen on their
        # next search); any older one goes.
        for old in self.root.glob("ix-*"):
            if old.name not in (path.name, previous):
                shutil.rmtree(old, ignore_errors=True)

    # -- writing -------------------------------------------------------------------------------

    def index(self, docs: Iterable[SearchDocument]) -> None:
        operations = [{"op": "index", "doc": document_to_json(d)} for d in docs]
        if operations:
            self._submit(operations)

    def delete(self, doc_type: str, doc_ids: Iterable[int]) -> None:
        operations = [{"op": "delete", "key": f"{doc_type}:{i}"} for i in doc_ids]
        if operations:
            self._submit(operations)

    def clear(self) -> None:
        self._submit([{"op": "clear"}])

    def _submit(self, operations: list[dict[str, Any]]) -> None:
        self.queue.put(operations)
        self.drain(wait=0)

    def drain(self, *, wait: float | None = None) -> None:
        """Apply every queued batch if this process can get the writer lock within ``wait``
        seconds (None: however long it takes); otherwise the lock's holder applies them."""
        self._current_path()
        while True:
            with self.queue.locked(wait=wait) as held:
                if not held:
                    return
                while batches := self.queue.pending():
                    self._apply(batches)
            if not self.queue.pending():
                return
            wait = 0  # a batch arrived after the last look: apply it unless someone else does

    def _apply(self, batches: list[Any]) -> None:
        operations = [op for batch in batches for op in self.queue.read(batch)]
        # A "clear" ends one writer; the next commits with Whoosh's CLEAR merge policy, which
        # drops every earlier segment, so only what follows the clear survives.
        groups: list[list[dict[str, Any]]] = [[]]
        for op in operations:
            if op["op"] == "clear":
                groups.append([])
            else:
                groups[-1].append(op)
        ix = whoosh_index.open_dir(str(self._current_path()))
        try:
            for number, group in enumerate(groups):
                cleared = number > 0
                if not group and not cleared:
                    continue
                writer = self._writer(ix)
                try:
                    for op in group:
                        if op["op"] == "index":
                            writer.update_document(**to_fields(document_from_json(op["doc"])))
                        elif op["op"] == "delete":
                            writer.delete_by_term("key", op["key"])
                except BaseException:
                    writer.cancel()
                    raise
                if cleared:
                    writer.commit(mergetype=CLEAR)
                else:
                    writer.commit()
        finally:
            ix.close()
        self.queue.remove(batches)

    @staticmethod
    def _writer(ix: Any) -> Any:
        # Only the holder of the queue lock writes, so Whoosh's own lock is normally free; a
        # stray writer (an older process, a manual script) is waited for with backoff.
        deadline = time.monotonic() + LOCK_RETRY_SECONDS
        delay = 0.01
        while True:
            try:
                return ix.writer(codec=codec())
            except LockError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def rebuild(self, docs: Iterable[SearchDocument]) -> int:
        """Build a new index from ``docs`` in a new directory and swap it in. Writes queued
        meanwhile wait and are applied to the new index afterwards."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self.queue.locked(wait=None):
            path = self._new_index_dir()
            ix = whoosh_index.create_in(str(path), self.schema)
            count = 0
            if self.rebuild_procs > 1:
                # Documents go in batches to worker processes, each writing its own segment
                # (kept as they are: merging them would cost more than it saves).
                writer = ix.writer(
                    procs=self.rebuild_procs,
                    multisegment=True,
                    limitmb=REBUILD_MEMORY_MB // self.rebuild_procs,
                    codec=codec(),
                )
            else:
                writer = ix.writer(limitmb=REBUILD_MEMORY_MB, codec=codec())
            try:
                for doc in docs:
                    writer.add_document(**to_fields(doc))
                    count += 1
            except BaseException:
                writer.cancel()
                ix.close()
                shutil.rmtree(path, ignore_errors=True)
                raise
            writer.commit()
            ix.close()
            self._swap_to(path)
        self.drain(wait=0)
        return count

    # -- reading -------------------------------------------------------------------------------

    def _reader(self) -> _Reader:
        if os.getpid() != self._pid:  # forked: never share open files with the parent
            self._local = threading.local()
            self._pid = os.getpid()
        # A search never waits long for the very first index to be built: it finds nothing.
        path = self._current_path(wait=1.0)
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is None or reader.path != path:
            if reader is not None:
                reader.searcher.close()
            searcher = whoosh_index.open_dir(str(path)).searcher()
            reader = _Reader(path, searcher, DocTable.build(searcher))
            self._local.reader = reader
        elif not reader.searcher.up_to_date():
            # A writer committed: a new table-of-contents generation in the directory (looked
            # up by listing it; a timestamp may not tick between two commits). Not
            # Searcher.refresh(): its reader reuse puts back segments that a merge or a
            # clear removed. Segment tables are cached, so a new reader costs little.
            reader.searcher.close()
            reader.searcher = whoosh_index.open_dir(str(path)).searcher()
            reader.table = DocTable.build(reader.searcher)
        return reader

    def close(self) -> None:
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is not None:
            reader.searcher.close()
            self._local.reader = None

    def parse(self, text: str) -> wq.Query | None:
        """The query for ``text``, or None for "everything". Text that the parser cannot make
        sense of is searched as plain words."""
        text = text.strip()
        if not text:
            return None
        if _SYNTAX.search(text) is None:
            # Plain words, by far the commonest query: what the parser would build (every
            # word required), without its half a millisecond.
            return _all_words(text)
        try:
            parsed = self._parser.parse(text)
        except Exception:
            parsed = None
        if parsed is None or _has_errors(parsed):
            return _all_words(text.replace('"', " "))
        if parsed is wq.NullQuery:
            return None
        return parsed

    def _matches(self, reader: _Reader, q: wq.Query | None) -> Matches:
        executor = Executor(reader.table)
        if q is None:
            return executor.every()
        try:
            return executor.run(q)
        except Unsupported:
            # Not reachable from the parser as configured; kept so that a richer parser
            # degrades to Whoosh's own (slower, unscored) matching instead of failing.
            docs = np.fromiter(sorted(reader.searcher.docs_for_query(q)), dtype=np.int64)
            return Matches(docs, np.zeros(len(docs), dtype=np.float32))

    def _filter_mask(self, table: DocTable, query: SearchQuery) -> np.ndarray:
        mask: np.ndarray = table.live & table.any_of("visibility", list(query.visibility))
        if query.doc_type:
            mask = mask & table.any_of("doc_type", [query.doc_type])
        for name in FILTERS:
            value = query.filters.get(name)
            if not value:
                continue
            values = [value] if isinstance(value, str) else [str(v) for v in value]
            if name == "ipc":
                mask = mask & table.ipc_prefix(normalise_ipc(v) for v in values)
            else:
                mask = mask & table.any_of(name, values)
        if query.price_min is not None:
            mask = mask & (table.price >= query.price_min)
        if query.price_max is not None:
            mask = mask & (table.price >= 0) & (table.price <= query.price_max)
        return mask

    def search(self, query: SearchQuery) -> SearchResult:
        per_page = max(1, min(query.per_page, MAX_PER_PAGE))
        page = max(1, query.page)
        try:
            reader = self._reader()
        except WriterBusy:
            return SearchResult([], 0, page, 1, {name: {} for name in FACETS})
        table = reader.table
        parsed = self.parse(query.text)
        matches = self._matches(reader, parsed)
        keep = self._filter_mask(table, query)[matches.docs]
        docs, scores = matches.docs[keep], matches.scores[keep]
        total = len(docs)
        facets = {name: table.facet_counts(name, docs) for name in FACETS}

        newest = -table.created[docs]
        if query.sort in ("price_asc", "price_desc"):
            price = table.price[docs]
            key = price if query.sort == "price_asc" else -price
            keys = [np.where(price >= 0, key, NO_PRICE), newest]
        elif query.sort == "newest" or parsed is None:
            keys = [newest]
        else:
            keys = [-scores, newest]
        order = top(keys, page * per_page)[(page - 1) * per_page :]

        terms = _highlight_terms(parsed)
        hits = []
        for i in order.tolist():
            stored = reader.searcher.stored_fields(int(docs[i]))
            doc_type, doc_id = stored["key"].split(":", 1)
            hits.append(
                SearchHit(
                    doc_type=doc_type,
                    doc_id=int(doc_id),
                    score=float(scores[i]),
                    title_html=highlight_title(stored.get("title", ""), terms),
                    snippet_html=highlight_snippet(stored.get("body", ""), terms),
                )
            )
        return SearchResult(
            hits=hits,
            total=total,
            page=page,
            pages=max(1, math.ceil(total / per_page)),
            facets=facets,
        )

    def all_matches(self, query: SearchQuery) -> list[tuple[str, int]]:
        """Every ``(doc_type, doc_id)`` matching ``query`` (filters applied, no paging)."""
        try:
            reader = self._reader()
        except WriterBusy:
            return []
        matches = self._matches(reader, self.parse(query.text))
        docs = matches.docs[self._filter_mask(reader.table, query)[matches.docs]]
        found = []
        for docnum in docs.tolist():
            doc_type, doc_id = reader.searcher.stored_fields(docnum)["key"].split(":", 1)
            found.append((doc_type, int(doc_id)))
        return found

    def more_like(
        self, doc: SearchDocument, *, doc_type: str, limit: int
    ) -> list[tuple[int, float]]:
        try:
            reader = self._reader()
        except WriterBusy:
            return []
        table = reader.table
        counts: dict[str, int] = {}
        for word in tokens(indexed_text(doc)):
            if word and len(word) > 1:
                counts[word] = counts.get(word, 0) + 1
        if not counts or limit <= 0:
            return []
        executor = Executor(table)
        # The document's most distinctive words (tf-idf), each searched with that weight.
        weighted = sorted(
            ((tf * executor.idf("words", w), w) for w, tf in counts.items()), reverse=True
        )[:MORE_LIKE_TERMS]
        matches = executor.any_of([executor.term(w, weight) for weight, w in weighted])
        keep = (table.live & table.any_of("doc_type", [doc_type]))[matches.docs]
        docs, scores = matches.docs[keep], matches.scores[keep]
        found = []
        for i in top([-scores], limit + 1).tolist():
            key = reader.searcher.stored_fields(int(docs[i]))["key"]
            if key != f"{doc.doc_type}:{doc.doc_id}":
                found.append((int(key.split(":", 1)[1]), float(scores[i])))
        return found[:limit]


#: Quotes, parentheses or an operator word: the query parser is needed.
_SYNTAX = re.compile(r"[\"'()]|(?<!\S)(?:AND|OR|NOT|ANDNOT|ANDMAYBE)(?!\S)")


def _all_words(text: str) -> wq.Query | None:
    terms = [t for t in tokens(text) if t]
    if not terms:
        return None
    return wq.And([wq.Term("words", t) for t in dict.fromkeys(terms)])


def _has_errors(q: wq.Query) -> bool:
    if getattr(q, "error", None):
        return True
    return any(_has_errors(sub) for sub in q.children())


def _highlight_terms(q: wq.Query | None) -> list[str]:
    """The words to mark: every term and phrase of the query (NOT branches excluded)."""
    if q is None:
        return []
    found: list[str] = []

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.Phrase):
            found.extend(node.words)
            return
        if isinstance(node, wq.Term) and node.fieldname == "words":
            found.append(str(node.text))
            return
        for child in node.children():
            walk(child)

    walk(q)
    return found
