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
    """With ``until`` = min(at, cycle end): ``cycle``: [cycle start, until]; ``<N>d``: [until − N days,
    until]. Both ends inclusive: after its close a cycle's windows stay where they were at its end."""
    start, end = cycle_bounds(cycle, tz)
    until = min(at, end)
    if window == "cycle":
        return start, until
    return until - timedelta(days=days(window)), until


def is_closed(cycle: Cycle, at: datetime, tz: tzinfo) -> bool:
    """At or after the cycle's end instant (24:00 of its end day)."""
    return at >= cycle_bounds(cycle, tz)[1]


def expected_progress(cycle: Cycle, at: datetime, tz: tzinfo) -> float:
    start, end = cycle_bounds(cycle, tz)
    return clamp((at - start) / (end - start), 0.0, 1.0)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def day_said(day: date, today: date) -> str:
    """``12 Dec``, with the year when it is not ``today``'s: a day as a person says it."""
    return f"{day.day} {day:%b}" + ("" if day.year == today.year else f" {day.year}")
