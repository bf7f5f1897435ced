"""A keep KR's grade at its cycle's close: the share of recorded days on which its band held (pure).

    share = held_share(readings, keep, start, end, tz)      # 0.9: held on 9 of 10 recorded days
    report = graded_by_days(report, {("shop", "O1.KR2"): 0.9})

A day counts when the KR has at least one recorded reading with a value in it, and it held when every
such reading of that day lay within the band (a breach at noon is a day the band did not hold).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo

from mapping.models import Keep
from okr import scoring
from okr.history import Reading
from okr.report import KeyResultReport, Report


def held_share(readings: Sequence[Reading], keep: Keep, start: datetime, end: datetime, tz: tzinfo) -> float | None:
    """The share of the local days in [start, end] with a reading on which every reading held; None
    without a reading."""
    days: dict[str, bool] = {}
    for reading in readings:
        if reading.value is None or not start <= reading.instant <= end:
            continue
        day = f"{reading.instant.astimezone(tz):%Y-%m-%d}"
        days[day] = days.get(day, True) and keep.holds(reading.value)
    return sum(days.values()) / len(days) if days else None


def graded_by_days(report: Report, shares: Mapping[tuple[str, str], float]) -> Report:
    """``report`` with each keep KR among ``shares`` graded on its share of days held: progress and
    score the share, done when it held every day, else missed."""
    if not shares:
        return report
    sets = []
    for okr_set in report.okr_sets:
        objectives = tuple(
            replace(objective, key_results=tuple(_graded(okr_set.id, kr, shares) for kr in objective.key_results))
            for objective in okr_set.objectives
        )
        sets.append(replace(okr_set, objectives=objectives))
    return replace(report, okr_sets=tuple(sets))


def _graded(set_id: str, kr: KeyResultReport, shares: Mapping[tuple[str, str], float]) -> KeyResultReport:
    share = shares.get((set_id, kr.id))
    if share is None or kr.kind != "keep":
        return kr
    return replace(kr, progress=round(share, 4), score=scoring.score(share), health=scoring.final_health(share))
