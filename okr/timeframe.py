"""Cycles, windows and expected progress, evaluated at an instant in the configured zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from mapping.models import Cycle, days


def start_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def cycle_bounds(cycle: Cycle, tz: tzinfo) -> tuple[datetime, datetime]:
    """From 00:00 of ``start`` to 24:00 of ``end``."""
    return start_of(cycle.start, tz), start_of(cycle.end + timedelta(days=1), tz)


def window_bounds(window: str, cycle: Cycle, at: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """``cycle``: [cycle start, min(at, cycle end)]; ``<N>d``: [at − N days, at]. Both ends inclusive."""
    if window == "cycle":
        start, end = cycle_bounds(cycle, tz)
        return start, min(at, end)
    return at - timedelta(days=days(window)), at


def expected_progress(cycle: Cycle, at: datetime, tz: tzinfo) -> float:
    start, end = cycle_bounds(cycle, tz)
    return clamp((at - start) / (end - start), 0.0, 1.0)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
