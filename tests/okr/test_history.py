"""Readings (pure): what is worth recording, and the trends read from recorded readings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from okr.history import Reading, moved_values, trend_points, worth_recording

AT = datetime(2026, 11, 15, 12, tzinfo=UTC)
BASE = Reading(AT.isoformat(), 20.0, None, 0.5, 0.5, "on_track", (), "v-1", 10, None, {"kind": "webhook"})


def at(reading: Reading, when: datetime, value: float | None = None) -> Reading:
    return replace(reading, at=when.isoformat(), value=reading.value if value is None else value)


def test_a_stored_reading_reads_back_the_same() -> None:
    assert Reading.from_json(BASE.to_json()) == BASE
    with pytest.raises(ValueError, match="not a stored reading"):
        Reading.from_json('{"at": "2026-11-15"}')


def test_only_news_or_the_first_of_a_local_day_is_worth_recording() -> None:
    later = at(BASE, AT + timedelta(hours=1))
    assert worth_recording(BASE, None, daily=False, tz=UTC)
    assert not worth_recording(replace(later, trigger={"kind": "schedule"}), BASE, daily=True, tz=UTC)
    assert worth_recording(replace(later, health="at_risk"), BASE, daily=False, tz=UTC)
    assert worth_recording(replace(later, flags=("stale",)), BASE, daily=False, tz=UTC)
    next_day = at(BASE, AT + timedelta(hours=13))  # 01:00 UTC the next day
    assert worth_recording(next_day, BASE, daily=True, tz=UTC)
    assert not worth_recording(next_day, BASE, daily=False, tz=UTC)
    assert not worth_recording(next_day, BASE, daily=True, tz=ZoneInfo("America/Los_Angeles"))  # still the 15th


def test_moved_values_count_a_repeated_value_once_and_skip_no_value() -> None:
    values = [20.0, 20.0, None, 25.0, 25.0, 20.0]
    readings = [replace(at(BASE, AT + timedelta(hours=n)), value=v) for n, v in enumerate(values)]
    assert moved_values(readings, 12) == [20.0, 25.0, 20.0]
    assert moved_values(readings, 2) == [25.0, 20.0]


def test_the_trend_is_the_moves_inside_the_cycle_then_where_the_kr_stands() -> None:
    start, end = AT - timedelta(days=45), AT + timedelta(days=45)
    readings = [
        at(BASE, start - timedelta(days=1), 1.0),  # the cycle before
        at(BASE, AT, 20.0),
        at(BASE, AT + timedelta(hours=1), 20.0),
        at(BASE, AT + timedelta(days=1), 30.0),
    ]
    now = AT + timedelta(days=2)
    points = trend_points(readings, start, end, now, 12)
    assert [(p["at"], p["value"]) for p in points] == [(AT, 20.0), (AT + timedelta(days=1), 30.0), (now, 30.0)]
    assert trend_points(readings, start, end, end + timedelta(days=9), 2)[-1]["at"] == end
    assert len(trend_points(readings, start, end, now, 2)) == 2
    assert trend_points(readings[:1], start, end, now, 12) == []
