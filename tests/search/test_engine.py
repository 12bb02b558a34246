from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from markupsafe import Markup

from marketplace.search.engine import FACETS, SearchDocument, SearchQuery, get_engine
from marketplace.search.whoosh_engine import WhooshEngine
from tests.search import corpus


def _ids(engine: WhooshEngine, text: str = "", **options: object) -> list[tuple[str, int]]:
    result = engine.search(SearchQuery(text=text, per_page=100, **options))  # type: ignore[arg-type]
    return [(h.doc_type, h.doc_id) for h in result.hits]


def _public_text(doc: SearchDocument) -> str:
    return f"{doc.title}\n{doc.body}".lower()


# -- phrases --------------------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", corpus.PHRASES)
def test_quoted_phrase_finds_exactly_the_documents_containing_it(
    indexed: WhooshEngine, phrase: str
) -> None:
    expected = {
        (d.doc_type, d.doc_id)
        for d in corpus.everything()
        if d.visibility == "public" and phrase.lower() in _public_text(d)
    }
    assert set(_ids(indexed, f'"{phrase}"', visibility=("public",))) == expected


def test_phrase_checks_cover_hits_and_misses(indexed: WhooshEngine) -> None:
    found = [bool(_ids(indexed, f'"{p}"')) for p in corpus.PHRASES]
    assert len(corpus.PHRASES) >= 30
    assert sum(found) >= 25 and not all(found)


def test_phrase_words_in_another_order_do_not_match(indexed: WhooshEngine) -> None:
    assert _ids(indexed, "知识图谱 联邦学习")  # both words occur …
    assert _ids(indexed, '"知识图谱联邦学习"') == []  # … but never in this order


def test_phrase_does_not_span_punctuation(engine: WhooshEngine) -> None:
    (doc,) = corpus.listings()[:1]
    engine.index([replace(doc, title="电池包", body="适用于新能源汽车。热管理系统另行提供")])
    assert _ids(engine, '"新能源汽车热管理"') == []
    assert _ids(engine, '"热管理系统"') == [("listing", doc.doc_id)]


def test_long_phrase_needs_every_word_in_place(engine: WhooshEngine) -> None:
    docs = corpus.listings()[:2]
    engine.index(
        [
            replace(docs[0], title="甲", body="电池 管理 系统 的 冷却 设计"),
            # Both three-word runs of the phrase, but never all four words in a row.
            replace(docs[1], title="乙", body="电池 管理 系统。管理 系统 冷却"),
        ]
    )
    assert _ids(engine, '"电池 管理 系统 冷却"') == [("listing", docs[0].doc_id)]


# -- words, mixed text, unparsable input ----------------------------------------------------------


def test_words_match_anywhere_in_title_or_body(indexed: WhooshEngine) -> None:
    hits = _ids(indexed, "电子水泵 新能源汽车")
    assert hits == [("listing", 1)]  # the demand post wants 新能源汽车 too, but no 电子水泵
    assert ("listing", 1) in _ids(indexed, "动力电池热管理系统")


def test_a_word_finds_the_compounds_containing_it(indexed: WhooshEngine) -> None:
    assert ("listing", 5) in _ids(indexed, "光波导")  # 衍射光波导
    assert ("demand", 2) in _ids(indexed, "玉米", visibility=("public", "agencies"))  # 玉米育种


def test_mixed_chinese_and_english_query(indexed: WhooshEngine) -> None:
    assert _ids(indexed, "激光雷达 LiDAR") == [("listing", 3)]
    assert _ids(indexed, "lidar") == [("listing", 3)]


def test_title_matches_rank_first(indexed: WhooshEngine) -> None:
    hits = _ids(indexed, "轨道客车")
    assert hits[0] == ("listing", 22)
    assert ("listing", 24) in hits  # mentioned in the body only


def test_boolean_operators(indexed: WhooshEngine) -> None:
    both = set(_ids(indexed, "激光雷达 OR 光波导"))
    assert both == {("listing", 3), ("listing", 5)}
    assert ("listing", 16) not in _ids(indexed, "动力电池 NOT 石墨烯")
    assert ("listing", 16) in _ids(indexed, "动力电池")


@pytest.mark.parametrize(
    "text", ['"unbalanced', "AND OR (", "ipc:", "title:", "(((", '"', "*", "NOT", "a:b:c", "^2"]
)
def test_unparsable_query_is_answered_not_raised(indexed: WhooshEngine, text: str) -> None:
    result = indexed.search(SearchQuery(text=text))
    assert result.total >= 0


def test_unbalanced_quote_searches_the_words(indexed: WhooshEngine) -> None:
    assert ("listing", 5) in _ids(indexed, '"衍射光波导')


def test_empty_query_lists_everything_newest_first(indexed: WhooshEngine) -> None:
    hits = _ids(indexed, "", doc_type="listing")
    assert hits[0] == ("listing", 28) and hits[-1] == ("listing", 1)


# -- filters, facets, sorting, paging -------------------------------------------------------------


def test_filters_narrow_and_facets_count_the_result(indexed: WhooshEngine) -> None:
    result = indexed.search(
        SearchQuery(text="", doc_type="listing", filters={"industry": "optoelectronics"})
    )
    assert result.total == 4
    assert set(result.facets) == set(FACETS)
    assert result.facets["industry"] == {"optoelectronics": 4}
    assert result.facets["kind"] == {"invention": 3, "utility_model": 1}
    assert result.facets["ipc_section"] == {"G": 2, "H": 2}
    assert sum(result.facets["deal_type"].values()) == 4


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"ipc": "H01M"}, {1, 2}),
        ({"ipc": "H01M 10/613"}, {1}),
        ({"ipc": "h01m10"}, {1, 2}),
        ({"ipc": "G02B"}, {5, 8}),
        ({"ipc": "A01"}, {17, 18, 19, 20}),
        ({"ipc": ["B61F", "B22F"]}, {22, 24}),
        ({"status": "pending"}, {4, 10, 16, 26}),
        ({"kind": "utility_model", "region": "四平市"}, {15, 19}),
        ({"deal_type": "open_licence"}, {8, 15, 24}),
        ({"industry": "agriculture", "status": "in_force"}, {17, 18, 19, 20}),
    ],
)
def test_filters(indexed: WhooshEngine, filters: dict[str, object], expected: set[int]) -> None:
    hits = _ids(indexed, "", doc_type="listing", filters=filters)
    assert {doc_id for _, doc_id in hits} == expected


def test_price_range_excludes_negotiable(indexed: WhooshEngine) -> None:
    hits = _ids(indexed, "", doc_type="listing", price_min=1_000_000, price_max=5_000_000)
    assert {doc_id for _, doc_id in hits} == {2, 6, 8, 19}


def test_sort_by_price_puts_negotiable_last_both_ways(indexed: WhooshEngine) -> None:
    listings = {d.doc_id: d for d in corpus.listings()}
    for sort, reverse in (("price_asc", False), ("price_desc", True)):
        ids = [i for _, i in _ids(indexed, "", doc_type="listing", sort=sort)]
        prices = [listings[i].price for i in ids]
        priced = [p for p in prices if p is not None]
        assert priced == sorted(priced, reverse=reverse)
        assert prices[len(priced) :] == [None] * (len(prices) - len(priced))
        assert len(priced) < len(prices)


def test_sort_newest(indexed: WhooshEngine) -> None:
    ids = [i for _, i in _ids(indexed, "方法", doc_type="listing", sort="newest")]
    assert ids == sorted(ids, reverse=True) and len(ids) > 3


def test_pagination(indexed: WhooshEngine) -> None:
    pages = [
        indexed.search(SearchQuery(doc_type="listing", per_page=10, page=n)) for n in (1, 2, 3, 4)
    ]
    assert [len(p.hits) for p in pages] == [10, 10, 8, 0]
    assert {p.total for p in pages} == {28} and {p.pages for p in pages} == {3}
    seen = [h.doc_id for p in pages for h in p.hits]
    assert len(seen) == len(set(seen)) == 28


# -- visibility and document types ----------------------------------------------------------------


def test_agency_only_demand_posts_are_hidden_from_the_public(indexed: WhooshEngine) -> None:
    public = _ids(indexed, "玉米", doc_type="demand")
    assert public == []
    agencies = _ids(indexed, "玉米", doc_type="demand", visibility=("public", "agencies"))
    assert agencies == [("demand", 2)]
    assert indexed.search(SearchQuery(text="单倍体诱导")).total == 1  # the listing only


def test_demand_posts_are_searchable(indexed: WhooshEngine) -> None:
    assert _ids(indexed, "热管理", doc_type="demand") == [("demand", 1)]
    both = _ids(indexed, '"动力电池热管理"')
    assert ("demand", 1) in both and ("listing", 1) in both


# -- highlighting ---------------------------------------------------------------------------------


def test_highlight_marks_terms_and_escapes_html(engine: WhooshEngine) -> None:
    doc = replace(
        corpus.listings()[0],
        title="<script>alert('x')</script>动力电池热管理",
        body='说明 <b onclick="x">动力电池</b> & 热管理 "引号"',
    )
    engine.index([doc])
    (hit,) = engine.search(SearchQuery(text="动力电池")).hits
    assert isinstance(hit.title_html, Markup) and isinstance(hit.snippet_html, Markup)
    assert str(hit.title_html) == (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<mark>动力电池</mark>热管理"
    )
    assert "<b" not in str(hit.snippet_html) and "&lt;b onclick=&quot;x&quot;&gt;" in str(
        hit.snippet_html
    )
    assert "<mark>动力电池</mark>" in str(hit.snippet_html) and "&amp;" in str(hit.snippet_html)


def test_snippet_shows_the_first_match_of_a_long_body(engine: WhooshEngine) -> None:
    doc = replace(corpus.listings()[0], body="背景技术。" * 60 + "本发明的核心在于石墨烯导热膜。")
    engine.index([doc])
    (hit,) = engine.search(SearchQuery(text="石墨烯")).hits
    assert str(hit.snippet_html).startswith("…") and "<mark>石墨烯</mark>" in hit.snippet_html


def test_english_highlight_is_case_insensitive(indexed: WhooshEngine) -> None:
    (hit,) = indexed.search(SearchQuery(text="lidar")).hits
    assert "<mark>LiDAR</mark>" in hit.snippet_html


# -- writes ---------------------------------------------------------------------------------------


def test_reindexing_a_document_replaces_it(indexed: WhooshEngine) -> None:
    doc = corpus.listings()[0]
    indexed.index([replace(doc, title="氢燃料电池电堆", body="全新的说明")])
    assert _ids(indexed, "氢燃料电池") == [("listing", doc.doc_id)]
    assert ("listing", doc.doc_id) not in _ids(indexed, "液冷板")
    assert indexed.search(SearchQuery(doc_type="listing")).total == 28


def test_delete_and_clear(indexed: WhooshEngine) -> None:
    indexed.delete("listing", [3, 5])
    assert _ids(indexed, "激光雷达 OR 光波导") == []
    assert indexed.search(SearchQuery(doc_type="listing")).total == 26
    indexed.clear()
    assert indexed.search(SearchQuery(visibility=("public", "agencies"))).total == 0


def test_searcher_is_reused_until_the_index_changes(indexed: WhooshEngine) -> None:
    indexed.search(SearchQuery(text="电池"))
    first = indexed._reader().searcher
    indexed.search(SearchQuery(text="光栅"))
    assert indexed._reader().searcher is first
    indexed.index([replace(corpus.listings()[0], doc_id=99, title="新的石墨烯专利")])
    assert _ids(indexed, "新的石墨烯专利") != []
    assert indexed._reader().searcher is not first


def test_rebuild_swaps_in_a_new_directory(indexed: WhooshEngine) -> None:
    before = os.readlink(indexed.current_link)
    count = indexed.rebuild(corpus.demands())
    assert count == 2
    assert os.readlink(indexed.current_link) != before
    assert indexed.search(SearchQuery(visibility=("public", "agencies"))).total == 2


# -- more like this -------------------------------------------------------------------------------


def test_more_like_ranks_similar_listings_for_a_demand(indexed: WhooshEngine) -> None:
    demand = corpus.demands()[0]  # wants battery thermal management
    ranked = indexed.more_like(demand, doc_type="listing", limit=5)
    assert ranked[0][0] == 1
    assert len(ranked) <= 5 and all(score > 0 for _, score in ranked)
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True)


def test_more_like_excludes_the_document_itself(indexed: WhooshEngine) -> None:
    listing = corpus.listings()[16]  # maize haploid inducer
    ranked = indexed.more_like(listing, doc_type="listing", limit=3)
    assert listing.doc_id not in [i for i, _ in ranked]
    assert indexed.more_like(listing, doc_type="demand", limit=3)[0][0] == 2


# -- configuration --------------------------------------------------------------------------------


def test_get_engine_is_one_per_index_directory(tmp_path: object) -> None:
    config = {"SEARCH_INDEX_DIR": str(tmp_path)}
    assert get_engine(config) is get_engine(dict(config))
    default = get_engine({"INSTANCE_PATH": str(tmp_path)})
    assert isinstance(default, WhooshEngine)
    assert default.root == (tmp_path / "search-index").resolve()  # type: ignore[operator]


def test_documents_round_trip_through_the_queue_format() -> None:
    from marketplace.search.whoosh_engine import document_from_json, document_to_json

    doc = replace(corpus.demands()[1], created_at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC))
    assert document_from_json(document_to_json(doc)) == doc


def test_rebuild_with_several_processes_finds_the_same(
    tmp_path: object, indexed: WhooshEngine
) -> None:
    parallel = WhooshEngine(tmp_path / "parallel", rebuild_procs=2)  # type: ignore[operator]
    assert parallel.rebuild(corpus.everything()) == 30
    for text in ("动力电池", '"单倍体诱导"', "激光雷达 OR 光波导", ""):
        query = SearchQuery(text=text, per_page=100, visibility=("public", "agencies"))
        assert _ids(parallel, text, visibility=query.visibility) == _ids(
            indexed, text, visibility=query.visibility
        )
    parallel.close()
