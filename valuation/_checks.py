"""Argument checks shared by the valuation functions.

Every public function validates its inputs and raises :class:`ValueError` with a message that names
the argument, the rule and the value received, so that a caller can show it to an appraiser as is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def number(name: str, value: object) -> float:
    """Return ``value`` as a finite float, or raise ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            # NumPy scalars and Decimals convert cleanly; strings and None do not.
            if isinstance(value, str | bytes) or value is None:
                raise TypeError
            converted = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    else:
        converted = float(value)
    if not math.isfinite(converted):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return converted


def non_negative(name: str, value: object) -> float:
    """A finite number ≥ 0."""
    converted = number(name, value)
    if converted < 0:
        raise ValueError(f"{name} must not be negative, got {converted!r}")
    return converted


def positive(name: str, value: object) -> float:
    """A finite number > 0."""
    converted = number(name, value)
    if converted <= 0:
        raise ValueError(f"{name} must be greater than zero, got {converted!r}")
    return converted


def fraction(name: str, value: object, *, allow_one: bool = True) -> float:
    """A rate between 0 and 1 (``allow_one=False``: strictly below 1)."""
    converted = number(name, value)
    if converted < 0:
        raise ValueError(f"{name} must not be negative, got {converted!r}")
    if converted > 1 or (not allow_one and converted == 1):
        bound = "at most 1" if allow_one else "below 1"
        raise ValueError(
            f"{name} must be a fraction {bound} (e.g. 0.25 for 25 %), got {converted!r}"
        )
    return converted


def positive_int(name: str, value: object) -> int:
    """A whole number > 0 (integral floats such as ``10.0`` are accepted)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number of years, got {value!r}")
    converted = number(name, value)
    if not converted.is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if converted <= 0:
        raise ValueError(f"{name} must be greater than zero, got {value!r}")
    return int(converted)


def stream(name: str, values: Iterable[object], *, allow_negative: bool = True) -> list[float]:
    """A non-empty sequence of finite numbers (one per year)."""
    if isinstance(values, str | bytes):
        raise ValueError(f"{name} must be a sequence of numbers, got a string")
    try:
        items = list(values)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if not items:
        raise ValueError(f"{name} must contain at least one year")
    checked = [number(f"{name}[{index}]", item) for index, item in enumerate(items)]
    if not allow_negative:
        for index, item in enumerate(checked):
            if item < 0:
                raise ValueError(f"{name}[{index}] must not be negative, got {item!r}")
    return checked
