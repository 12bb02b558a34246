"""IP valuation library of IP Town: pure, typed functions with no Flask and no database.

Rates are fractions (``0.12`` for 12 %); amounts are plain numbers in any one currency (the
platform converts its integer fen at the edge); periods are years and cash flows arrive at year end
unless ``mid_year=True``. Every function validates its arguments and raises :class:`ValueError`
with a message fit to show to an appraiser. Each docstring gives the formula and a reference.
"""

from valuation.cost import cost_approach
from valuation.discounting import annuity_factor, discount_factor, present_value, tab_factor
from valuation.income import (
    ExcessEarningsRow,
    IncomeValuation,
    ProfitSplitRow,
    RoyaltyRow,
    ScheduleRow,
    economic_life,
    excess_earnings,
    profit_split,
    profit_split_rate,
    relief_from_royalty,
)
from valuation.index import (
    INDICATORS,
    PRESETS,
    IndexResult,
    IndexWeights,
    Indicator,
    patent_value_index,
)
from valuation.market import (
    AdjustedComparable,
    Comparable,
    MarketAdjustments,
    MarketValuation,
    market_approach,
)
from valuation.options import OptionValuation, binomial_option, black_scholes_option
from valuation.pledge import (
    HaircutTable,
    PledgeCapacity,
    PledgeFactor,
    PledgePolicy,
    pledge_capacity,
)
from valuation.simulation import (
    Distribution,
    Fixed,
    Histogram,
    InputDistribution,
    LogNormal,
    Model,
    Normal,
    SensitivityRow,
    Triangular,
    Uniform,
    monte_carlo,
    profit_split_model,
    relief_from_royalty_model,
    sensitivity,
)

__all__ = [
    "INDICATORS",
    "PRESETS",
    "AdjustedComparable",
    "Comparable",
    "Distribution",
    "ExcessEarningsRow",
    "Fixed",
    "HaircutTable",
    "Histogram",
    "IncomeValuation",
    "IndexResult",
    "IndexWeights",
    "Indicator",
    "InputDistribution",
    "LogNormal",
    "MarketAdjustments",
    "MarketValuation",
    "Model",
    "Normal",
    "OptionValuation",
    "PledgeCapacity",
    "PledgeFactor",
    "PledgePolicy",
    "ProfitSplitRow",
    "RoyaltyRow",
    "ScheduleRow",
    "SensitivityRow",
    "Triangular",
    "Uniform",
    "annuity_factor",
    "binomial_option",
    "black_scholes_option",
    "cost_approach",
    "discount_factor",
    "economic_life",
    "excess_earnings",
    "market_approach",
    "monte_carlo",
    "patent_value_index",
    "pledge_capacity",
    "present_value",
    "profit_split",
    "profit_split_model",
    "profit_split_rate",
    "relief_from_royalty",
    "relief_from_royalty_model",
    "sensitivity",
    "tab_factor",
]
