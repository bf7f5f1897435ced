"""A history query's rows of (at, value) as recorded readings (pure): each row is what its KR, or its KPI,
read at the row's instant.

    kr_row_readings(config, okr_set, kr, rows, now)      # one Reading per row inside the KR's cycle, up to now
    kpi_row_readings(kpi, rows, now)                     # one KPI reading {"at", "v", "s", "src"} per row

A KR's row is graded as the KR would have been graded at that instant (its progress against what was
expected by then), so trends, a keep KR's days held and an escalation's run off track read the
warehouse's own history. Rows are marked ``sql-row`` (a KR reading's trigger, a KPI reading's ``src``):
they are the readings a later run of the same query gives again, not the service's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mapping.models import KeyResult, Kpi, OkrConfig, OkrSet
from mapping.versions import metric_version
from okr.history import Reading
from okr.kinds import Grade, grade, kr_kind
from okr.kpis import kpi_state
from okr.timeframe import cycle_bounds, expected_progress

ROW = "sql-row"  # the trigger kind of a KR reading and the src of a KPI reading that a warehouse row gave
Rows = Sequence[tuple[str, float]]  # (ISO instant, value), oldest first, as okr.sql_rows.SqlReading.history


def is_row(reading: Reading) -> bool:
    return reading.trigger.get("kind") == ROW


def kr_row_readings(config: OkrConfig, okr_set: OkrSet, kr: KeyResult, rows: Rows, now: datetime) -> list[Reading]:
    """The KR's reading at each row inside its cycle and not after ``now``, graded at that instant."""
    metric = config.metrics.get(kr.metric or "")
    if metric is None or kr.unmeasured:
        return []
    cycle, tz = config.cycle(okr_set.cycle), config.zone
    start, end = cycle_bounds(cycle, tz)
    kind, version = kr_kind(kr, metric), metric_version(metric)
    trigger = {"kind": ROW, "metric": kr.metric or ""}
    readings = []
    for iso, value in rows:
        at = datetime.fromisoformat(iso)
        if start <= at < end and at <= now:
            expected = round(expected_progress(cycle, at, tz), 4)
            graded = grade(kind, value, kr.baseline, kr.target, expected, False, config.health, kr.keep)
            readings.append(_row_reading(at, value, graded, version, trigger))
    return readings


def _row_reading(at: datetime, value: float, graded: Grade, version: str, trigger: Mapping[str, str]) -> Reading:
    return Reading(
        at=at.isoformat(),
        value=value,
        forecast=_rounded(graded.forecast),
        progress=_rounded(graded.progress),
        score=graded.score,
        health=graded.health,
        flags=("target_missed",) if graded.target_missed else (),
        version=version,
        count=1,
        delivery=None,
        trigger=trigger,
    )


def kpi_row_readings(kpi: Kpi, rows: Rows, now: datetime) -> list[dict[str, Any]]:
    """The KPI's reading at each row not after ``now``: its value and its state against the band."""
    return [
        {"at": at.isoformat(), "v": value, "s": kpi_state(kpi.keep, kpi.warn, value), "src": ROW}
        for at, value in ((datetime.fromisoformat(iso), value) for iso, value in rows)
        if at <= now
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
