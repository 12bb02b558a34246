"""Patent value analysis index (专利价值分析指标体系): legal, technical and economic value degrees.

The index system published in 2012 by the CNIPA's patent administration department with
China Technology Exchange (中国技术交易所) scores a patent on indicators grouped in three
dimensions — legal value (LVD), technical value (TVD) and economic value (EVD) — and combines
them as ``PVD = α·LVD + β·TVD + γ·EVD``. The national standard GB/T 42748-2023
《专利评估指引》 lets the weights depend on the purpose of the evaluation. The weights here are
data: two illustrative presets, for licensing and for pledge, neither of them official; a caller
may pass its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from valuation import _checks

LEGAL = "legal"
TECHNICAL = "technical"
ECONOMIC = "economic"
DIMENSIONS = (LEGAL, TECHNICAL, ECONOMIC)

#: Highest score of an indicator; every indicator is scored 0 … 10.
MAX_SCORE = 10.0


@dataclass(frozen=True)
class Indicator:
    """One indicator of the index, with its names for forms and reports."""

    code: str
    dimension: str
    name_zh: str
    name_en: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("stability", LEGAL, "稳定性", "stability"),
    Indicator("design_around", LEGAL, "不可规避性", "difficulty of designing around"),
    Indicator("dependence", LEGAL, "依赖性", "dependence"),
    Indicator("detectability", LEGAL, "侵权可判定性", "detectability of infringement"),
    Indicator("remaining_term", LEGAL, "有效期", "remaining term"),
    Indicator("multi_country", LEGAL, "多国申请", "multi-country filing"),
    Indicator("licence_status", LEGAL, "专利许可状况", "licence status"),
    Indicator("advancement", TECHNICAL, "先进性", "advancement"),
    Indicator("industry_trend", TECHNICAL, "行业发展趋势", "industry trend"),
    Indicator("application_breadth", TECHNICAL, "适用范围", "breadth of application"),
    Indicator(
        "complementary_reliance",
        TECHNICAL,
        "配套技术依存度",
        "reliance on complementary technology",
    ),
    Indicator("substitutability", TECHNICAL, "可替代性", "substitutability"),
    Indicator("maturity", TECHNICAL, "成熟度", "maturity"),
    Indicator("market_use", ECONOMIC, "市场应用", "market use"),
    Indicator("market_size", ECONOMIC, "市场规模前景", "market size outlook"),
    Indicator("market_share", ECONOMIC, "市场占有率", "market share"),
    Indicator("competition", ECONOMIC, "竞争情况", "competition"),
    Indicator("policy_fit", ECONOMIC, "政策适应性", "policy fit"),
)
_BY_CODE = {indicator.code: indicator for indicator in INDICATORS}


@dataclass(frozen=True)
class IndexWeights:
    """Weights of the three dimensions (α, β, γ, summing to 1) and, optionally, of indicators.

    An indicator without a weight counts 1; inside a dimension the score is the weighted mean of
    the indicators scored.
    """

    legal: float
    technical: float
    economic: float
    indicators: Mapping[str, float] = field(default_factory=dict, hash=False)
    #: What the weights are for, shown next to the result.
    label: str = "custom"

    def __post_init__(self) -> None:
        total = math.fsum(
            _checks.non_negative(f"{name} weight", getattr(self, name)) for name in DIMENSIONS
        )
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                f"the legal, technical and economic weights must sum to 1, got {total}"
            )
        for code, weight in self.indicators.items():
            if code not in _BY_CODE:
                raise ValueError(f"unknown indicator {code!r} in weights; known: {_known()}")
            _checks.non_negative(f"weight of {code}", weight)

    def of(self, dimension: str) -> float:
        """The weight of a dimension (``"legal"``, ``"technical"`` or ``"economic"``)."""
        return float(getattr(self, dimension))

    def indicator(self, code: str) -> float:
        """The weight of an indicator inside its dimension (1 unless set)."""
        return float(self.indicators.get(code, 1.0))


#: Illustrative presets — not official weights. A licensee pays for market prospects, so
#: licensing leans on economic value; a pledgee must be able to enforce and sell the right, so
#: pledge leans on legal value.
PRESETS: Mapping[str, IndexWeights] = {
    "licensing": IndexWeights(
        legal=0.3, technical=0.3, economic=0.4, label="licensing (illustrative)"
    ),
    "pledge": IndexWeights(legal=0.45, technical=0.25, economic=0.3, label="pledge (illustrative)"),
}


@dataclass(frozen=True)
class IndexResult:
    """Patent value degree and its three dimensions, each on the 0–10 scale.

    A dimension with no indicator scored is ``None`` and left out of ``pvd``, whose dimension
    weights are then rescaled to sum to 1 (``dimension_weights`` shows those used).
    """

    pvd: float
    lvd: float | None
    tvd: float | None
    evd: float | None
    weights: IndexWeights
    dimension_weights: Mapping[str, float] = field(hash=False)
    scores: Mapping[str, float] = field(hash=False)
    #: Indicators not scored, in the order of :data:`INDICATORS`.
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every indicator was scored."""
        return not self.missing


def patent_value_index(
    scores: Mapping[str, float], *, weights: str | IndexWeights = "licensing"
) -> IndexResult:
    """Patent value degree ``PVD = α·LVD + β·TVD + γ·EVD``.

    Each dimension ``D = Σ w_i·s_i / Σ w_i`` over its indicators scored ``s_i`` (0–10) with
    indicator weights ``w_i``. ``weights`` is a preset name (``"licensing"``, ``"pledge"``) or an
    :class:`IndexWeights`. Indicators may be left out (the registry knows the legal ones first);
    they are listed in :attr:`IndexResult.missing`.

    Reference: 国家知识产权局专利管理司、中国技术交易所《专利价值分析指标体系操作手册》(2012);
    GB/T 42748-2023《专利评估指引》.

    :raises ValueError: on an unknown indicator or preset, a score outside 0–10, or no scores.
    """
    if not isinstance(scores, Mapping):
        raise ValueError(f"scores must map indicator codes to 0–10 scores, got {scores!r}")
    if isinstance(weights, str):
        if weights not in PRESETS:
            raise ValueError(
                f"unknown weights preset {weights!r}; use one of {', '.join(PRESETS)} "
                "or pass IndexWeights"
            )
        chosen = PRESETS[weights]
    elif isinstance(weights, IndexWeights):
        chosen = weights
    else:
        raise ValueError(f"weights must be a preset name or IndexWeights, got {weights!r}")

    checked: dict[str, float] = {}
    for code, score in scores.items():
        if code not in _BY_CODE:
            raise ValueError(f"unknown indicator {code!r}; known: {_known()}")
        value = _checks.number(f"score of {code}", score)
        if not 0.0 <= value <= MAX_SCORE:
            raise ValueError(f"score of {code} must be between 0 and 10, got {value!r}")
        checked[code] = value
    if not checked:
        raise ValueError("scores must contain at least one indicator")

    dimension_scores: dict[str, float | None] = {}
    for dimension in DIMENSIONS:
        scored = [i for i in INDICATORS if i.dimension == dimension and i.code in checked]
        total_weight = math.fsum(chosen.indicator(i.code) for i in scored)
        if not scored or total_weight == 0:
            dimension_scores[dimension] = None
            continue
        weighted = math.fsum(chosen.indicator(i.code) * checked[i.code] for i in scored)
        dimension_scores[dimension] = weighted / total_weight

    present = [d for d in DIMENSIONS if dimension_scores[d] is not None]
    alpha_total = math.fsum(chosen.of(d) for d in present)
    if alpha_total == 0:
        raise ValueError("the scored dimensions all have weight 0; score another dimension")
    used = {d: (chosen.of(d) / alpha_total if d in present else 0.0) for d in DIMENSIONS}
    pvd = math.fsum(used[d] * (dimension_scores[d] or 0.0) for d in present)
    return IndexResult(
        pvd=pvd,
        lvd=dimension_scores[LEGAL],
        tvd=dimension_scores[TECHNICAL],
        evd=dimension_scores[ECONOMIC],
        weights=chosen,
        dimension_weights=used,
        scores=checked,
        missing=tuple(i.code for i in INDICATORS if i.code not in checked),
    )


def _known() -> str:
    return ", ".join(_BY_CODE)
