"""Chinese text analysis: jieba segmentation with consecutive token positions.

jieba's own Whoosh analyzer (``jieba.analyse.ChineseAnalyzer``) stores each token's character
offset as its *position*, so the tokens of "动力电池热管理" sit at positions 0 and 4 and every
phrase query, which needs positions n and n+1, finds nothing. Here positions count tokens
(0, 1, 2, …) while ``startchar``/``endchar`` keep the character offsets for highlighting.

Punctuation is dropped but leaves a one-position gap, so a quoted phrase never matches across
"，" or "。"; whitespace is dropped with no gap, so mixed text such as "激光雷达 LiDAR" stays
phrase-searchable. English is lower-cased; full-width Latin letters and digits are folded to
ASCII first. The stop list is deliberately tiny.

jieba is imported and its dictionary loaded lazily, once per process, quietly: importing jieba
pulls in ``pkg_resources`` (a ``UserWarning`` under recent setuptools) and jieba logs to stderr
while it builds its prefix dictionary.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Analyzer, Token, Tokenizer

DICTIONARY_PATH = Path(__file__).with_name("dictionary.txt")
#: Frequency given to a dictionary term without one: high enough that jieba keeps the term whole
#: next to common words (热管理 + 系统 rather than 热 + 管理系统).
DEFAULT_TERM_FREQUENCY = 50_000
STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "by", "for", "in", "is", "of", "on", "or", "the", "to", "with"}
    | {"的", "了", "和", "与", "及", "或", "等"}
)
#: Full-width Latin letters and digits, folded one character to one so that character offsets
#: stay valid. (Full-width punctuation, "，" and the like, is ordinary in Chinese text and stays.)
_FOLD = {
    code: code - 0xFEE0
    for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(start, end + 1)
}
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_WORD = re.compile(r"[^\W_]+")

_lock = threading.Lock()
_segmenter: Any = None


def _load_jieba() -> Any:
    with warnings.catch_warnings():
        # jieba/_compat.py does "import pkg_resources"; setuptools 80 warns that the API is
        # deprecated. Only that message from that module is silenced.
        warnings.filterwarnings(
            "ignore",
            message="pkg_resources is deprecated as an API",
            category=UserWarning,
            module="jieba._compat",
        )
        import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def dictionary_terms(path: Path = DICTIONARY_PATH) -> list[tuple[str, int]]:
    """The domain dictionary's ``(term, frequency)`` pairs; ``#`` starts a comment line."""
    terms = []
    # Read here and handed to jieba term by term: jieba's load_userdict(path) leaves the file
    # open (a ResourceWarning).
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        frequency = int(parts[1]) if len(parts) > 1 else DEFAULT_TERM_FREQUENCY
        terms.append((parts[0], frequency))
    return terms


def segmenter() -> Any:
    """The process's jieba tokenizer with the domain dictionary, built on first use."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                jieba = _load_jieba()
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for term, frequency in dictionary_terms():
                    tokenizer.add_word(term, frequency)
                _segmenter = tokenizer
    return _segmenter


@lru_cache(maxsize=4096)
def subwords(word: str) -> tuple[str, ...]:
    """The dictionary words of two or more characters strictly inside ``word``."""
    frequencies = segmenter().FREQ
    found = []
    for size in range(2, len(word)):
        for start in range(len(word) - size + 1):
            part = word[start : start + size]
            if frequencies.get(part):
                found.append(part)
    return tuple(dict.fromkeys(found))


def fold(text: str) -> str:
    """Full-width Latin letters and digits to ASCII, keeping every character offset."""
    if _FULL_WIDTH.search(text) is None:
        return text
    return text.translate(_FOLD)


def segments(text: str) -> tuple[tuple[str, int, int], ...]:
    """jieba's raw segmentation of ``text``: ``(word, startchar, endchar)``, whitespace and
    punctuation included. The HMM guesser for unknown words is off: a phrase must segment the
    same way on its own as inside a longer text."""
    return _segments(text)


@lru_cache(maxsize=32)
def _segments(text: str) -> tuple[tuple[str, int, int], ...]:
    # Cached for the few texts just seen: indexing a document analyses the same text for two
    # fields (terms with positions, adjacent pairs), and jieba is the dearest step.
    return tuple(segmenter().tokenize(fold(text), HMM=False))


class JiebaTokenizer(Tokenizer):  # type: ignore[misc]
    """Whoosh tokenizer over :func:`segments` with consecutive positions."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        position = start_pos
        for word, start, end in segments(value):
            if _WORD.fullmatch(word) is None:
                if not word.isspace():
                    position += 1  # punctuation: a gap, so phrases do not span it
                continue
            text = word.lower()
            stopped = text in STOP_WORDS
            if stopped and removestops:
                continue  # no gap: "电池的热管理" still matches the phrase "电池热管理"
            token.text = text
            token.boost = 1.0
            token.stopped = stopped
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token
            if mode == "index" and not stopped and len(text) > 2 and not text.isascii():
                # Search-engine style: the dictionary words inside a compound are indexed too
                # (at the compound's position), so "光波导" finds "衍射光波导". Only word fields
                # get them; phrases are matched on the plain stream (pairs and triples).
                for part in subwords(text):
                    token.text = part
                    if keeporiginal:
                        token.original = part
                    yield token
            if not stopped:
                position += 1


def chinese_analyzer() -> Analyzer:
    """The analyzer for every text field: lower-casing and the stop list happen in the
    tokenizer, because Whoosh's ``StopFilter`` renumbers positions and would close the gaps."""
    return JiebaTokenizer()


_ANALYZER: Analyzer | None = None


def analyzer() -> Analyzer:
    global _ANALYZER
    if _ANALYZER is None:
        _ANALYZER = chinese_analyzer()
    return _ANALYZER


SHINGLE_SEPARATOR = "\x1f"


def shingle(words: Sequence[str]) -> str:
    """The indexed term for adjacent tokens: ``shingle(["动力电池", "热管理"])``."""
    return SHINGLE_SEPARATOR.join(words)


def shingles(stream: Sequence[str | None], size: int) -> Iterator[tuple[int, str]]:
    """``(position, term)`` of every run of ``size`` adjacent tokens in an analysed stream
    (``None`` is a gap: no shingle spans it)."""
    for start in range(len(stream) - size + 1):
        window = stream[start : start + size]
        if all(w is not None for w in window):
            yield start, shingle(window)  # type: ignore[arg-type]


class ShingleTokenizer(Tokenizer):  # type: ignore[misc]
    """Tokens of ``size`` adjacent words (positions = position of the first word), so a phrase
    of ``size`` words is one posting-list lookup and a longer one a short position check."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ShingleTokenizer) and other.size == self.size

    def __hash__(self) -> int:
        return hash((type(self), self.size))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, term in shingles(tokens(value), self.size):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + position
            yield token


def tokens(text: str) -> tuple[str | None, ...]:
    """The analysed terms of ``text`` in position order, ``None`` for each gap.

    The benchmark feeds exactly this stream to SQLite FTS5, so both engines see the same terms.
    """
    return _tokens(text)


@lru_cache(maxsize=32)
def _tokens(text: str) -> tuple[str | None, ...]:
    # Cached like _segments: one document's fields (words, pairs, triples, lengths) all start
    # from the same stream.
    result: list[str | None] = []
    for token in analyzer()(text, positions=True):
        while len(result) < token.pos:
            result.append(None)
        result.append(token.text)
    return tuple(result)
