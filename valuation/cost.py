"""Cost approach (成本法)."""

from __future__ import annotations

from valuation import _checks


def cost_approach(
    replacement_cost: float,
    *,
    physical: float = 0.0,
    functional: float = 0.0,
    economic: float = 0.0,
    developer_profit: float = 0.0,
) -> float:
    """Replacement cost less obsolescence.

    ``V = C · (1 + p) · (1 − o_phys) · (1 − o_func) · (1 − o_econ)``, where
    ``C`` is the cost to recreate an equivalent right today (research, staff, filing and
    prosecution fees), ``p`` the developer's profit on that cost, and each obsolescence a fraction
    of value lost, applied one after the other. For a patent the "physical" obsolescence is usually
    the share of its economic life already used (成新率 = 1 − used / (used + remaining)): a
    replacement cost of 1,200,000 for a patent used 4 years with 6 remaining gives
    ``cost_approach(1_200_000, physical=0.4)`` = 720,000.

    Reference: Reilly & Schweihs, *Guide to Intangible Asset Valuation* (cost approach);
    中国资产评估协会《资产评估实务（二）》无形资产评估, 成本法 (评估值 = 重置成本 × 成新率).

    :raises ValueError: on a negative replacement cost or developer's profit, or an obsolescence
        outside [0, 1].
    """
    cost = _checks.non_negative("replacement_cost", replacement_cost)
    profit = _checks.non_negative("developer_profit", developer_profit)
    remaining = 1.0
    for name, lost in (("physical", physical), ("functional", functional), ("economic", economic)):
        remaining *= 1.0 - _checks.fraction(f"{name} obsolescence", lost)
    return cost * (1.0 + profit) * remaining
