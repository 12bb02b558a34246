from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.search.analysis import analyzer, dictionary_terms, segments, tokens


def _analysed(text: str) -> list[tuple[str, int, int, int]]:
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in analyzer()(text, positions=True, chars=True)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "一种动力电池热管理系统及其控制方法",
        "基于联邦学习的知识图谱构建方法",
        "车载激光雷达LiDAR点云分割方法",
        "专利检索大模型问答系统 supports Chinese English mixed query",
        "玉米单倍体诱导系 maize haploid inducer",
    ],
)
def test_positions_count_tokens_consecutively(text: str) -> None:
    analysed = _analysed(text)
    assert [pos for _, pos, _, _ in analysed] == list(range(len(analysed)))


def test_character_offsets_point_at_the_token_in_the_original_text() -> None:
    text = "车载激光雷达 LiDAR，点云分割"
    for word, _, start, end in _analysed(text):
        assert text[start:end].lower() == word


def test_punctuation_leaves_a_gap_so_phrases_do_not_cross_it() -> None:
    assert tokens("动力电池，热管理") == ("动力电池", None, "热管理")
    assert tokens("动力电池热管理") == ("动力电池", "热管理")


def test_english_is_lowercased_and_full_width_letters_folded() -> None:
    assert tokens("LiDAR 与 ＬｉＤＡＲ") == ("lidar", "lidar")


def test_stop_words_are_few_and_leave_no_gap() -> None:
    assert tokens("电池的热管理") == ("电池", "热管理")
    assert tokens("the battery of a car") == ("battery", "car")


@pytest.mark.parametrize(
    "term",
    [
        "热管理",
        "动力电池",
        "玉米育种",
        "单倍体诱导",
        "激光雷达",
        "光波导",
        "碳纤维",
        "知识图谱",
        "联邦学习",
        "点云",
        "人参皂苷",
        "保护性耕作",
    ],
)
def test_domain_dictionary_terms_stay_whole(term: str) -> None:
    assert any(t == term for t in tokens(f"一种{term}相关的技术方案")), tokens(f"一种{term}")


def test_every_dictionary_term_is_one_token_on_its_own() -> None:
    split = [term for term, _ in dictionary_terms() if tokens(term) != (term.lower(),)]
    assert split == []


def test_dictionary_has_about_a_hundred_terms() -> None:
    assert len(dictionary_terms()) >= 100


def test_segments_keep_whitespace_and_punctuation_for_offsets() -> None:
    words = [w for w, _, _ in segments("电池，热管理")]
    assert words == ["电池", "，", "热管理"]


def test_jieba_loads_quietly_and_without_warnings() -> None:
    # A fresh interpreter with every warning an error: importing jieba (pkg_resources) and
    # loading the dictionary must neither warn nor print jieba's "Building prefix dict" lines.
    code = (
        "from marketplace.search.analysis import tokens; "
        "import gc; print(tokens('动力电池热管理')); gc.collect()"
    )
    run = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert "动力电池" in run.stdout
