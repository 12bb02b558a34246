from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace.search.whoosh_engine import WhooshEngine
from tests.search import corpus


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[WhooshEngine]:
    """An empty engine on a temporary index directory."""
    engine = WhooshEngine(tmp_path / "search-index")
    yield engine
    engine.close()


@pytest.fixture
def indexed(engine: WhooshEngine) -> WhooshEngine:
    """The engine with the test corpus: 28 listings and 2 demand posts."""
    engine.index(corpus.everything())
    return engine
