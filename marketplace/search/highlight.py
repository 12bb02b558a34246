"""Highlighted titles and snippets: the text HTML-escaped, the query's terms in ``<mark>``.

Terms are found in the original text by a case-insensitive search for the analysed query terms
(longest first), not by running the segmenter over every hit again: the page's twenty hits
cost microseconds instead of milliseconds, and a term shows where it occurs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape as _html_escape

from markupsafe import Markup

from marketplace.search.analysis import fold

SNIPPET_CHARS = 120
#: How much text before the first match the snippet shows.
LEAD_CHARS = 24


def escape(text: str) -> str:
    # html.escape (quote=True also escapes ' and "), on plain str: markupsafe's escape
    # builds a Markup object per piece, which costs more than the rest of the page's
    # highlighting together.
    return _html_escape(text, quote=True)


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    unique = sorted({t for t in terms if t}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile("|".join(re.escape(t) for t in unique), re.IGNORECASE)


def _marked(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` HTML-escaped with every match of ``pattern`` in ``<mark>``."""
    if pattern is None:
        return escape(text)
    parts: list[str] = []
    last = 0
    # Matched on the folded text (full-width letters as ASCII): the offsets are the same.
    for match in pattern.finditer(fold(text)):
        start, end = match.span()
        parts.append(escape(text[last:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    parts.append(escape(text[last:]))
    return "".join(parts)


def highlight_title(title: str, terms: Sequence[str]) -> Markup:
    return Markup(_marked(title, _pattern(tuple(terms))))


def highlight_snippet(body: str, terms: Sequence[str], length: int = SNIPPET_CHARS) -> Markup:
    """About ``length`` characters of ``body`` around its first match (or its start)."""
    pattern = _pattern(tuple(terms))
    match = pattern.search(fold(body)) if pattern is not None else None
    start = 0
    if match is not None and match.start() > LEAD_CHARS:
        start = match.start() - LEAD_CHARS
    end = min(len(body), start + length)
    if end == len(body):
        start = max(0, end - length)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(body) else ""
    return Markup(prefix + _marked(body[start:end], pattern) + suffix)
