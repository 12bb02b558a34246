"""Query execution over a Whoosh index with NumPy: the fast path of :mod:`whoosh_engine`.

Whoosh walks its matchers one posting at a time in Python and counts facets by visiting every
matching document; at 100,000 listings a common term costs tens of milliseconds before a page is
shown. Here the index is still Whoosh's — its segments, posting lists, stored fields and columns
— but a query is answered a posting *block* at a time into NumPy arrays:

- a term's posting list becomes an array of document numbers and one of term frequencies;
  AND / OR / NOT are array intersections, unions and differences; relevance is BM25
  (k1 = 1.2, b = 0.75) over the ``words`` field (title indexed twice), computed for all
  matches at once;
- a quoted phrase of two or three words is one posting list of the ``pairs`` or ``triples``
  field (adjacent words indexed as one term), exact by construction; a longer phrase
  intersects its overlapping triples and keeps the documents where they sit at consecutive
  positions;
- filters, facets and sort keys come from a per-segment table of every document's structured
  fields (one ``meta`` column), read once when a segment is first opened and cached for the
  process: filtering is a boolean mask, a facet is a ``bincount``, sorting an ``argpartition``.

Only what the visitor's query can express takes this path (words, phrases, AND, OR, NOT);
:meth:`Executor.run` raises :class:`Unsupported` for anything else and the engine falls back to
Whoosh's own matching.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

from marketplace.search.analysis import shingle

K1 = 1.2
B = 0.75
META_SEPARATOR = "\x1f"
#: Fields of the ``meta`` column, in order.
META_FIELDS = (
    "doc_type",
    "visibility",
    "kind",
    "deal_type",
    "status",
    "region",
    "industry",
    "ipc",
    "price",
    "created",
)
#: Categorical fields whose value may list several space-separated keywords.
MULTI = ("kind", "status", "ipc", "ipc_section")
CATEGORICAL = ("doc_type", "visibility", "kind", "deal_type", "status", "region", "industry", "ipc")


class Unsupported(Exception):
    """A query node the fast path does not handle."""


class Vocabulary:
    """Process-wide codes for categorical values; a code never changes once given."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": 0}
        self.values: list[str] = [""]
        self.lock = threading.Lock()

    def code(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            with self.lock:
                code = self.codes.get(value)
                if code is None:
                    code = self.codes[value] = len(self.values)
                    self.values.append(value)
        return code


VOCABULARIES = {name: Vocabulary() for name in (*CATEGORICAL, "ipc_section")}


@dataclass
class SegmentTable:
    """The structured fields of one segment's documents as arrays (local document numbers)."""

    columns: dict[str, np.ndarray]
    price: np.ndarray  # int64, -1 = no price
    created: np.ndarray  # int64 milliseconds
    text_length: np.ndarray  # float32


_segment_tables: dict[tuple[str, int], SegmentTable] = {}
_segment_lock = threading.Lock()


def _segment_key(segreader: Any) -> tuple[str, int]:
    segment = segreader.segment()
    return (segment.segment_id(), segreader.doc_count_all())


def segment_table(segreader: Any) -> SegmentTable:
    """Read (once per process) the ``meta`` column of a segment."""
    key = _segment_key(segreader)
    table = _segment_tables.get(key)
    if table is not None:
        return table
    count = segreader.doc_count_all()
    codes = {name: np.zeros(count, dtype=np.int32) for name in (*CATEGORICAL, "ipc_section")}
    price = np.full(count, -1, dtype=np.int64)
    created = np.zeros(count, dtype=np.int64)
    text_length = np.ones(count, dtype=np.float32)
    if segreader.has_column("meta"):
        lookups = [VOCABULARIES[name].code for name in CATEGORICAL]
        section_code = VOCABULARIES["ipc_section"].code
        arrays = [codes[name] for name in CATEGORICAL]
        sections = codes["ipc_section"]
        for docnum, raw in enumerate(segreader.column_reader("meta")):
            if not raw:
                continue
            values = raw.decode("utf-8").split(META_SEPARATOR)
            for array, lookup, value in zip(arrays, lookups, values, strict=False):
                array[docnum] = lookup(value)
            ipc = values[7]
            sections[docnum] = section_code(" ".join(sorted({c[:1] for c in ipc.split()})))
            if values[8]:
                price[docnum] = int(values[8])
            created[docnum] = int(values[9])
    # Whoosh's own (one-byte, approximate) field lengths, for BM25's length normalisation.
    for docnum in range(count):
        text_length[docnum] = max(1, segreader.doc_field_length(docnum, "words", 1))
    table = SegmentTable(codes, price, created, text_length)
    with _segment_lock:
        if len(_segment_tables) > 256:  # segments merged away long ago
            _segment_tables.clear()
        _segment_tables[key] = table
    return table


def encode_meta(values: dict[str, str]) -> bytes:
    return META_SEPARATOR.join(values.get(name, "") for name in META_FIELDS).encode("utf-8")


@dataclass
class Leaf:
    reader: Any
    offset: int
    count: int


@dataclass
class DocTable:
    """All segments of one searcher generation, concatenated (global document numbers)."""

    leaves: list[Leaf]
    live: np.ndarray  # bool: not deleted
    columns: dict[str, np.ndarray]
    price: np.ndarray
    created: np.ndarray
    text_length: np.ndarray
    avg_text: float
    doc_count: int
    _masks: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, searcher: Any) -> DocTable:
        leaves = []
        tables = []
        lives = []
        for segreader, offset in searcher.reader().leaf_readers():
            count = segreader.doc_count_all()
            if segreader.segment() is None or not count:
                continue  # an empty index
            leaves.append(Leaf(segreader, offset, count))
            tables.append(segment_table(segreader))
            live = np.ones(count, dtype=bool)
            if segreader.has_deletions():
                deleted = np.fromiter(segreader.deleted_docs_set, dtype=np.int64)
                live[deleted[deleted < count]] = False
            lives.append(live)

        def cat(get: Callable[[SegmentTable], np.ndarray], dtype: Any) -> np.ndarray:
            if not tables:
                return np.zeros(0, dtype=dtype)
            return np.concatenate([get(t) for t in tables])

        live_all = np.concatenate(lives) if lives else np.zeros(0, dtype=bool)
        text_length = cat(lambda t: t.text_length, np.float32)
        doc_count = int(live_all.sum())
        return cls(
            leaves=leaves,
            live=live_all,
            columns={
                name: np.concatenate([t.columns[name] for t in tables])
                if tables
                else np.zeros(0, dtype=np.int32)
                for name in (*CATEGORICAL, "ipc_section")
            },
            price=cat(lambda t: t.price, np.int64),
            created=cat(lambda t: t.created, np.int64),
            text_length=text_length,
            avg_text=float(text_length[live_all].mean()) if doc_count else 1.0,
            doc_count=doc_count,
        )

    # -- filters -------------------------------------------------------------------------------

    def value_mask(self, name: str, accept: Callable[[str], bool]) -> np.ndarray:
        """Documents whose ``name`` value (or one of its keywords) is accepted."""
        vocabulary = VOCABULARIES[name]
        values = vocabulary.values
        accepted = np.fromiter(
            (bool(v) and accept(v) for v in values), dtype=bool, count=len(values)
        )
        mask: np.ndarray = accepted[self.columns[name]]
        return mask

    def any_of(self, name: str, wanted: Iterable[str]) -> np.ndarray:
        wanted_set = frozenset(wanted)
        key = (name, "\x00".join(sorted(wanted_set)))
        mask = self._masks.get(key)
        if mask is None:
            if name in MULTI:
                mask = self.value_mask(name, lambda v: not wanted_set.isdisjoint(v.split()))
            else:
                mask = self.value_mask(name, lambda v: v in wanted_set)
            if len(self._masks) < 512:
                self._masks[key] = mask
        return mask

    def ipc_prefix(self, prefixes: Iterable[str]) -> np.ndarray:
        wanted = tuple(sorted(set(prefixes)))
        key = ("ipc-prefix", "\x00".join(wanted))
        mask = self._masks.get(key)
        if mask is None:
            mask = self.value_mask(
                "ipc", lambda v: any(code.startswith(wanted) for code in v.split())
            )
            if len(self._masks) < 512:
                self._masks[key] = mask
        return mask

    # -- facets --------------------------------------------------------------------------------

    def facet_counts(self, name: str, docs: np.ndarray) -> dict[str, int]:
        values = VOCABULARIES[name].values
        counts = np.bincount(self.columns[name][docs], minlength=len(values))
        result: dict[str, int] = {}
        for code in np.flatnonzero(counts):
            value = values[code]
            if not value:
                continue
            n = int(counts[code])
            if name in MULTI:
                for keyword in set(value.split()):
                    result[keyword] = result.get(keyword, 0) + n
            else:
                result[value] = result.get(value, 0) + n
        return dict(sorted(result.items(), key=lambda item: (-item[1], item[0])))


# -- postings -------------------------------------------------------------------------------------


def _raw_matcher(segreader: Any, fieldname: str, text: str) -> Any:
    try:
        matcher = segreader.postings(fieldname, text)
    except TermNotFound:
        return None
    if isinstance(matcher, FilterMatcher):  # deletions: the live mask removes them instead
        matcher = matcher.child
    return matcher


def postings(segreader: Any, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Local document numbers (sorted) and term frequencies of one term in one segment."""
    matcher = _raw_matcher(segreader, fieldname, text)
    if matcher is None or not matcher.is_active():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if isinstance(matcher, W3LeafMatcher):
        # A block at a time: ids and weights arrive as whole (delta-decoded) tuples/arrays.
        # A block at a time: its ids (delta-encoded) and weights as whole arrays.
        id_blocks, weight_blocks = [], []
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            ids, weights = matcher._data[0], matcher._data[1]
            id_blocks.append(
                np.asarray(ids, dtype=np.int64)
                if matcher._byteids
                else np.cumsum(np.asarray(ids, dtype=np.int64))
            )
            if weights is None or isinstance(weights, float):
                weight = 1.0 if weights is None else weights
                weight_blocks.append(np.full(len(id_blocks[-1]), weight, dtype=np.float32))
            else:
                weight_blocks.append(np.asarray(weights, dtype=np.float32))
            matcher._next_block()
        return np.concatenate(id_blocks), np.concatenate(weight_blocks)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)


def positions_in(
    segreader: Any, fieldname: str, text: str, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(local document, position)`` of a term for the given sorted local documents,
    as two aligned arrays. Reads only the posting blocks that hold those documents and
    decodes the positions of those postings only."""
    matcher = _raw_matcher(segreader, fieldname, text)
    out_docs: list[int] = []
    out_positions: list[int] = []
    if matcher is None or not len(docs):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if isinstance(matcher, W3LeafMatcher):
        decode = matcher.format.decode_positions
        wanted = docs
        while matcher.is_active() and len(wanted):
            if matcher.block_max_id() < wanted[0]:
                matcher._next_block()
                continue
            matcher._read_ids()
            ids = np.asarray(matcher._ids, dtype=np.int64)
            inside = wanted[wanted <= ids[-1]]
            index = np.searchsorted(ids, inside)
            hits = index[ids[index] == inside]
            if len(hits):
                matcher._read_values()
                values = matcher._values
                for i in hits.tolist():
                    doc = int(ids[i])
                    for position in decode(values[i]):
                        out_docs.append(doc)
                        out_positions.append(position)
            wanted = wanted[len(inside) :]
            matcher._next_block()
    else:
        for doc in docs.tolist():
            if not matcher.is_active():
                break
            matcher.skip_to(doc)
            if matcher.is_active() and matcher.id() == doc:
                for position in matcher.value_as("positions"):
                    out_docs.append(doc)
                    out_positions.append(position)
    return np.asarray(out_docs, dtype=np.int64), np.asarray(out_positions, dtype=np.int64)


# -- execution ------------------------------------------------------------------------------------


@dataclass
class Matches:
    docs: np.ndarray  # global document numbers, sorted, unique
    scores: np.ndarray  # float32, aligned with docs


EMPTY = Matches(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


class Executor:
    def __init__(self, table: DocTable) -> None:
        self.table = table
        self._stats: dict[tuple[str, str], int] = {}

    def _df(self, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        if key not in self._stats:
            total = 0
            for leaf in self.table.leaves:
                with contextlib.suppress(TermNotFound):
                    total += leaf.reader.doc_frequency(fieldname, text)
            self._stats[key] = total
        return self._stats[key]

    def idf(self, fieldname: str, text: str) -> float:
        n = max(self.table.doc_count, 1)
        df = self._df(fieldname, text)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _term_postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        docs, tfs = [], []
        for leaf in self.table.leaves:
            ids, weights = postings(leaf.reader, fieldname, text)
            if len(ids):
                docs.append(ids + leaf.offset)
                tfs.append(weights)
        if not docs:
            return EMPTY.docs, EMPTY.scores
        return np.concatenate(docs), np.concatenate(tfs)

    def _bm25(self, tf: np.ndarray, lengths: np.ndarray, average: float, idf: float) -> np.ndarray:
        norm = K1 * ((1.0 - B) + B * lengths / average)
        return (idf * tf * (K1 + 1.0) / (tf + norm)).astype(np.float32)

    def _scored(self, fieldname: str, text: str, lengths: np.ndarray, average: float) -> Matches:
        docs, tf = self._term_postings(fieldname, text)
        if not len(docs):
            return EMPTY
        return Matches(docs, self._bm25(tf, lengths[docs], average, self.idf(fieldname, text)))

    def term(self, text: str, boost: float = 1.0) -> Matches:
        """BM25 of the word (the title counts twice: it is indexed twice)."""
        table = self.table
        result = self._scored("words", text, table.text_length, table.avg_text)
        if boost != 1.0:
            result.scores *= boost
        return result

    def phrase(self, words: Sequence[str], boost: float = 1.0) -> Matches:
        """Documents with the words adjacent and in order: one pair or triple lookup for two
        or three words; for more, the overlapping triples at consecutive positions."""
        words = [w for w in words if w]
        if not words:
            return EMPTY
        if len(words) == 1:
            return self.term(words[0], boost)
        table = self.table
        if len(words) <= 3:
            field = "pairs" if len(words) == 2 else "triples"
            result = self._scored(field, shingle(words), table.text_length, table.avg_text)
        else:
            triples = [shingle(words[i : i + 3]) for i in range(len(words) - 2)]
            result = self.all_of(
                [self._scored("triples", t, table.text_length, table.avg_text) for t in triples]
            )
            if len(result.docs):
                keep = np.isin(result.docs, self._consecutive(triples, result.docs))
                result = Matches(result.docs[keep], result.scores[keep])
        if not len(result.docs):
            return EMPTY
        if boost != 1.0:
            result.scores *= boost
        return result

    def _consecutive(self, terms: Sequence[str], candidates: np.ndarray) -> np.ndarray:
        """The candidates where ``terms[i]`` occurs at position p + i for some p."""
        kept: list[np.ndarray] = []
        for leaf in self.table.leaves:
            inside = (candidates >= leaf.offset) & (candidates < leaf.offset + leaf.count)
            local = candidates[inside] - leaf.offset
            if not len(local):
                continue
            common: np.ndarray | None = None
            for i, term in enumerate(terms):
                docs, positions = positions_in(leaf.reader, "triples", term, local)
                # One number per (document, phrase start): the same for every term of a match.
                keys = (docs << 32) | (positions - i + len(terms))
                common = keys if common is None else np.intersect1d(common, keys)
                if not len(common):
                    break
            if common is not None and len(common):
                kept.append(np.unique(common >> 32) + leaf.offset)
        return np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)

    @staticmethod
    def all_of(parts: list[Matches]) -> Matches:
        if not parts:
            return EMPTY
        parts = sorted(parts, key=lambda m: len(m.docs))
        docs, scores = parts[0].docs, parts[0].scores
        for part in parts[1:]:
            docs, a, b = np.intersect1d(docs, part.docs, assume_unique=True, return_indices=True)
            scores = scores[a] + part.scores[b]
            if not len(docs):
                break
        return Matches(docs, scores)

    @staticmethod
    def any_of(parts: list[Matches]) -> Matches:
        parts = [p for p in parts if len(p.docs)]
        if not parts:
            return EMPTY
        if len(parts) == 1:
            return parts[0]
        docs = np.concatenate([p.docs for p in parts])
        scores = np.concatenate([p.scores for p in parts])
        unique, inverse = np.unique(docs, return_inverse=True)
        summed = np.zeros(len(unique), dtype=np.float32)
        np.add.at(summed, inverse, scores)
        return Matches(unique, summed)

    def every(self) -> Matches:
        docs = np.flatnonzero(self.table.live).astype(np.int64)
        return Matches(docs, np.zeros(len(docs), dtype=np.float32))

    def run(self, q: wq.Query) -> Matches:
        if isinstance(q, wq.Term):
            if q.fieldname != "words":
                raise Unsupported(q)
            return self.term(str(q.text), q.boost)
        if isinstance(q, wq.Phrase):
            if q.fieldname != "words":
                raise Unsupported(q)
            return self.phrase([str(w) for w in q.words], q.boost)
        if isinstance(q, wq.Every):
            return self.every()
        if isinstance(q, wq.Not):
            excluded = self.run(q.query)
            base = self.every()
            keep = ~np.isin(base.docs, excluded.docs, assume_unique=True)
            return Matches(base.docs[keep], base.scores[keep])
        if isinstance(q, wq.And):
            positive = [c for c in q.subqueries if not isinstance(c, wq.Not)]
            negative = [c.query for c in q.subqueries if isinstance(c, wq.Not)]
            result = self.all_of([self.run(c) for c in positive]) if positive else self.every()
            for sub in negative:
                excluded = self.run(sub)
                keep = ~np.isin(result.docs, excluded.docs, assume_unique=True)
                result = Matches(result.docs[keep], result.scores[keep])
            return result
        if isinstance(q, wq.Or):
            return self.any_of([self.run(c) for c in q.subqueries])
        if isinstance(q, wq.AndNot):
            result = self.run(q.a)
            excluded = self.run(q.b)
            keep = ~np.isin(result.docs, excluded.docs, assume_unique=True)
            return Matches(result.docs[keep], result.scores[keep])
        raise Unsupported(q)


def top(
    keys: Sequence[np.ndarray],
    count: int,
) -> np.ndarray:
    """Indices of the ``count`` smallest rows by ``keys`` (first key most significant), in
    order. Only the rows that can reach the top are fully sorted."""
    n = len(keys[0])
    if n == 0 or count <= 0:
        return np.zeros(0, dtype=np.int64)
    primary = keys[0]
    if n > count * 4:
        threshold = np.partition(primary, count - 1)[count - 1]
        candidates = np.flatnonzero(primary <= threshold)
    else:
        candidates = np.arange(n)
    order = np.lexsort(tuple(k[candidates] for k in reversed(keys)))
    return candidates[order[:count]]
