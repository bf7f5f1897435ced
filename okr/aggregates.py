"""Aggregations over plain numbers. p90 uses the nearest-rank method."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from fractions import Fraction


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """Nearest rank: the ⌈0.9·n⌉-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def mean(values: Sequence[float]) -> float | None:
    """``None`` also when the sum leaves the range of floating-point numbers."""
    try:
        return float(statistics.fmean(values)) if values else None
    except OverflowError:
        return None


def total(values: Sequence[float]) -> float | None:
    """``None`` when the sum leaves the range of floating-point numbers."""
    try:
        return float(math.fsum(values))
    except OverflowError:
        return None


def ratio_percent(numerator: int, denominator: int) -> float | None:
    """100 × numerator / denominator; no denominator → no value."""
    return 100.0 * numerator / denominator if denominator else None


REDUCERS = {"sum": total, "mean": mean, "median": median, "p90": p90, "duration_median": median, "duration_p90": p90}


def sorted_median(ordered: Sequence[float]) -> float | None:
    """``median`` of values already in order (the same arithmetic as ``statistics.median``)."""
    n = len(ordered)
    if not n:
        return None
    if n % 2:
        return float(ordered[n // 2])
    return float((ordered[n // 2 - 1] + ordered[n // 2]) / 2)


def sorted_p90(ordered: Sequence[float]) -> float | None:
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1]) if ordered else None


def reduce_kept(aggregate: str, ordered: Sequence[float], exact_sum: Fraction) -> float | None:
    """An aggregate of values kept in order with their exact sum; equal to ``REDUCERS`` on the same
    values (``math.fsum`` and ``float(Fraction)`` both round the exact sum once)."""
    try:
        if aggregate == "sum":
            return float(exact_sum)
        if aggregate == "mean":
            return float(exact_sum) / len(ordered) if ordered else None
    except OverflowError:  # as ``total`` and ``mean``
        return None
    if aggregate in ("median", "duration_median"):
        return sorted_median(ordered)
    if aggregate in ("p90", "duration_p90"):
        return sorted_p90(ordered)
    raise ValueError(f"aggregate {aggregate!r} is not a reduction of values")
