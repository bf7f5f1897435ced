"""A KR's recorded readings (pure): what one holds, when one is worth keeping, and trends read from them.

A reading is a KR's result at one instant, kept so that the past is read as it was rather than
recomputed over today's mirror (where a relabelled issue would rewrite last month).

    reading = reading_of(kr_result, report.at, trigger)
    worth_recording(reading, previous, daily=True, tz=zone)   # moved, or the first of its day
    moved_values(readings, 12)                                 # the values a KR moved through
    trend_points(readings, start, end, now, 12)                # the moves inside a cycle, and where it stands
    moves_in(readings, start, end)                             # the moves inside a cycle, as (when, value)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, tzinfo
from typing import Any

from okr.report import KeyResultReport

# The short names a stored reading uses (it is kept many times per KR): field → stored name.
_STORED = {
    "at": "at",
    "value": "v",
    "forecast": "f",
    "progress": "p",
    "score": "s",
    "health": "h",
    "flags": "fl",
    "version": "mv",
    "count": "n",
    "delivery": "d",
    "trigger": "t",
}
_WHEN = ("at", "trigger")  # when and why a reading was taken: not what it says


@dataclass(frozen=True, slots=True)
class Reading:
    """One KR's numbers at one instant, with what triggered the evaluation."""

    at: str  # ISO 8601, the report's instant
    value: float | None
    forecast: float | None
    progress: float | None
    score: float | None
    health: str
    flags: tuple[str, ...]
    version: str | None  # the metric's definition version
    count: int  # issues or measurements counted
    delivery: float | None
    trigger: Mapping[str, str]

    @property
    def instant(self) -> datetime:
        return datetime.fromisoformat(self.at)

    def says_the_same(self, other: Reading) -> bool:
        """The same numbers, health, flags and provenance, whenever and however they were taken."""
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(self) if f.name not in _WHEN)

    def to_json(self) -> str:
        data = asdict(self)
        data["flags"] = list(self.flags)
        return json.dumps({_STORED[k]: v for k, v in data.items()}, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Reading:
        """ValueError when ``raw`` is not a stored reading."""
        try:
            data = json.loads(raw)
            values = {name: data[short] for name, short in _STORED.items()}
            values["flags"] = tuple(values["flags"])
            return cls(**values)
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a stored reading: {type(exc).__name__}: {exc}") from exc


def reading_of(kr: KeyResultReport, at: str, trigger: Mapping[str, str]) -> Reading:
    return Reading(
        at=at,
        value=kr.current,
        forecast=kr.forecast,
        progress=kr.progress,
        score=kr.score,
        health=kr.health,
        flags=kr.flags,
        version=kr.metric_version,
        count=kr.count,
        delivery=kr.delivery,
        trigger={str(k): str(v) for k, v in trigger.items()},
    )


def worth_recording(reading: Reading, previous: Reading | None, daily: bool, tz: tzinfo) -> bool:
    """A reading is kept when it says something new, or (``daily``: the flush looked at every KR) when
    it is the first of its local day."""
    if previous is None or not reading.says_the_same(previous):
        return True
    return daily and _day(reading, tz) != _day(previous, tz)


def _day(reading: Reading, tz: tzinfo) -> str:
    return f"{reading.instant.astimezone(tz):%Y-%m-%d}"


def moved_values(readings: Sequence[Reading], kept: int) -> list[float]:
    """The last ``kept`` values the KR moved through, oldest first (a repeated value counts once)."""
    values: list[float] = []
    for reading in readings:
        if reading.value is not None and (not values or values[-1] != reading.value):
            values.append(reading.value)
    return values[-kept:]


def trend_points(
    readings: Sequence[Reading], start: datetime, end: datetime, now: datetime, points: int
) -> list[dict[str, Any]]:
    """The readings taken in [start, end] where the value moved (the last ``points`` - 1 of them), then
    the value they left at min(now, end): what the KR read, when, as it was recorded."""
    moved: list[dict[str, Any]] = [{"at": at, "value": value} for at, value in moves_in(readings, start, end)]
    if not moved:
        return []
    held = {"at": max(min(now, end), moved[-1]["at"]), "value": moved[-1]["value"]}
    return [*moved[-(points - 1) :], held]


def moves_in(readings: Sequence[Reading], start: datetime, end: datetime) -> list[tuple[datetime, float | None]]:
    """(when, value) of each reading taken in [start, end] where the value moved, oldest first: they
    change only when a new value is recorded, never with the clock."""
    moved: list[tuple[datetime, float | None]] = []
    for reading in readings:
        if start <= reading.instant <= end and (not moved or moved[-1][1] != reading.value):
            moved.append((reading.instant, reading.value))
    return moved
