"""Aggregations over plain numbers. p90 uses the nearest-rank method."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """Nearest rank: the ⌈0.9·n⌉-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def mean(values: Sequence[float]) -> float | None:
    return float(statistics.fmean(values)) if values else None


def total(values: Sequence[float]) -> float:
    return float(math.fsum(values))


def ratio_percent(numerator: int, denominator: int) -> float | None:
    """100 × numerator / denominator; no denominator → no value."""
    return 100.0 * numerator / denominator if denominator else None


REDUCERS = {"sum": total, "mean": mean, "median": median, "p90": p90,
            "duration_median": median, "duration_p90": p90}
