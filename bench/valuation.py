"""Benchmark: 100,000 Monte Carlo trials of a 10-year relief-from-royalty model.

Run with ``python bench/valuation.py``. Prints the time of :func:`valuation.monte_carlo` (NumPy,
vectorised: sampling, model and summary) and of a plain-Python loop computing the same model over
the same sampled trials (then sorting for percentiles), and, last, the ratio of the two. The
target of issue 4 is under 0.3 s for the vectorised run. Benchmarks are never run as tests.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This script shares its name with the library: run as a file, its own folder comes first on
# sys.path and "import valuation" would import the script itself. Put the repository root there.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402

from valuation import (  # noqa: E402
    Normal,
    Triangular,
    Uniform,
    monte_carlo,
    relief_from_royalty_model,
)

TRIALS = 100_000
YEARS = 10
RUNS = 5
SEED = 2024
INPUTS = {
    "revenue": Triangular(8_000_000, 10_000_000, 13_000_000),
    "growth": Normal(0.05, 0.02),
    "royalty_rate": Uniform(0.03, 0.05),
    "tax_rate": 0.25,
    "discount_rate": Triangular(0.10, 0.12, 0.16),
}


def plain_python(samples: dict[str, list[float]]) -> list[float]:
    """The same model, one trial at a time, in plain Python."""
    values = []
    for revenue, growth, royalty, tax, rate in zip(
        samples["revenue"],
        samples["growth"],
        samples["royalty_rate"],
        samples["tax_rate"],
        samples["discount_rate"],
        strict=True,
    ):
        value = 0.0
        for year in range(1, YEARS + 1):
            income = revenue * (1.0 + growth) ** (year - 1) * royalty * (1.0 - tax)
            if income <= 0:
                break
            value += income / (1.0 + rate) ** year
        values.append(value)
    return values


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    model = relief_from_royalty_model(YEARS)
    captured: dict[str, Any] = {}

    def recording_model(**arrays: Any) -> Any:
        captured.update(arrays)
        return model(**arrays)

    monte_carlo(model, INPUTS, trials=1_000, seed=SEED)  # warm up NumPy
    runs = [
        timed(lambda: monte_carlo(model, INPUTS, trials=TRIALS, seed=SEED)) for _ in range(RUNS)
    ]
    numpy_times = sorted(seconds for seconds, _ in runs)
    result = runs[0][1]

    monte_carlo(recording_model, INPUTS, trials=TRIALS, seed=SEED)
    samples = {name: np.asarray(array).tolist() for name, array in captured.items()}

    def plain_run() -> list[float]:
        values = plain_python(samples)
        ordered = sorted(values)
        statistics.fmean(ordered)
        return values

    plain_seconds, plain_values = timed(plain_run)
    worst = max(
        abs(a - b) / max(abs(b), 1.0) for a, b in zip(plain_values, result.samples, strict=True)
    )
    if not math.isclose(worst, 0.0, abs_tol=1e-9):
        raise SystemExit(f"plain-Python and NumPy values differ (relative {worst:.2e})")

    best, median = numpy_times[0], statistics.median(numpy_times)
    print(f"valuation benchmark: {TRIALS:,} Monte Carlo trials, {YEARS}-year relief from royalty")
    print(f"P10 / P50 / P90: {result.p10:,.0f} / {result.p50:,.0f} / {result.p90:,.0f}")
    print(
        f"numpy monte_carlo: best {best:.4f} s, median {median:.4f} s of {RUNS} runs "
        f"(target < 0.3 s: {'met' if median < 0.3 else 'NOT met'})"
    )
    print(f"plain-Python loop over the same trials: {plain_seconds:.4f} s")
    print(f"ratio plain-Python / numpy (median): {plain_seconds / median:.1f}x")


if __name__ == "__main__":
    main()
