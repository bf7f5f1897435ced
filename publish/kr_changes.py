"""How a recorded change of a KR's definition reads (pure): "target changed on 2026-11-03 from 2 to 3 (alice)"."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from publish.confluence import formatting as fmt

DayWords = Callable[[datetime, tzinfo], str]  # how a page says a day: 2026-11-03, or 3 Nov 2026


def change_text(entry: Mapping[str, Any], tz: tzinfo, day: DayWords = fmt.local_day) -> str:
    """One stored change (``field``, ``from``, ``to``, ``at``, ``author``) in words, its day in ``tz``."""
    author = entry.get("author")
    return (
        f"{entry.get('field', 'definition')} changed on {_day(entry.get('at'), tz, day)} "
        f"from {_value(entry.get('from'))} to {_value(entry.get('to'))}{f' ({author})' if author else ''}"
    )


def changes_between(
    entries: Sequence[Mapping[str, Any]], start: datetime, end: datetime, tz: tzinfo, day: DayWords = fmt.local_day
) -> list[str]:
    """The words of the changes applied in [start, end], oldest first (an entry without a time is left out)."""
    return [
        change_text(e, tz, day) for e in entries if (at := _instant(e.get("at"))) is not None and start <= at <= end
    ]


def _instant(at: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(at))
    except ValueError:
        return None


def _day(at: Any, tz: tzinfo, day: DayWords) -> str:
    instant = _instant(at)
    return day(instant, tz) if instant is not None else "an unknown day"


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return fmt.number(float(value))
