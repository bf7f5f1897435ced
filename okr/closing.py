"""A closed cycle's frozen results, and how its sets read after the close (pure).

    record = freeze(report, config, "2026-Q4", closed_at, by="scheduler")   # at the close
    report = with_closes(report, config, {"2026-Q4": record})               # every evaluation after it
    previous = thawed(report)                                                # what was read, for the next one

After the close a set's KRs report their frozen result; an evaluation that reads differently (a
back-dated issue, a late measurement) is carried as ``late_correction`` (flag ``late_correction``)
and changes no grade until the cycle is closed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from mapping.models import Cycle, OkrConfig, OkrSet, days
from okr import scoring
from okr.report import KeyResultReport, ObjectiveReport, Report, SetReport
from okr.timeframe import cycle_bounds

LATE_CORRECTION = "late_correction"
# What a late correction carries: the KR's reading now. A reading differs when one of COMPARED does.
READING = ("current", "progress", "forecast", "score", "health", "flags", "delivery", "evaluated", "count")
COMPARED = ("current", "score", "health")


@dataclass(frozen=True, slots=True)
class CloseRecord:
    """The frozen results of one cycle's sets, when and by whom they were frozen, and the earlier
    freezes a ``close --again`` replaced."""

    cycle: str
    closed_at: str  # ISO 8601
    by: str
    key_results: Mapping[str, KeyResultReport]  # "set-id/kr-id" → the frozen result
    history: tuple[Mapping[str, str], ...] = ()  # earlier freezes, oldest first: {"closed_at", "by"}

    def to_dict(self) -> dict[str, Any]:
        return {
            "cycle": self.cycle,
            "closed_at": self.closed_at,
            "by": self.by,
            "key_results": {ref: kr.to_dict() for ref, kr in self.key_results.items()},
            "history": [dict(entry) for entry in self.history],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CloseRecord:
        """ValueError when the document is not a whole close record."""
        try:
            return cls(
                cycle=data["cycle"],
                closed_at=data["closed_at"],
                by=data["by"],
                key_results={ref: KeyResultReport.from_dict(kr) for ref, kr in data["key_results"].items()},
                history=tuple(data.get("history", ())),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a whole close record: {type(exc).__name__}: {exc}") from exc

    def again(self, report: Report, config: OkrConfig, closed_at: str, by: str) -> CloseRecord:
        """A new freeze of the same cycle, this one kept in the history."""
        earlier = (*self.history, {"closed_at": self.closed_at, "by": self.by})
        return freeze(report, config, self.cycle, closed_at, by, earlier)


def kr_ref(set_id: str, kr_id: str) -> str:
    return f"{set_id}/{kr_id}"


def close_instant(cycle: Cycle, tz: tzinfo) -> datetime:
    """``close_after`` after the cycle's end instant (24:00 of its end day)."""
    return cycle_bounds(cycle, tz)[1] + timedelta(days=days(cycle.close_after))


def due_cycles(config: OkrConfig, closed: Iterable[str], now: datetime) -> list[str]:
    """The cycles an OKR set reads that are past their close instant and not closed yet."""
    done, used = set(closed), {okr_set.cycle for okr_set in config.okr_sets}
    return [
        cycle.id
        for cycle in config.cycles
        if cycle.id in used and cycle.id not in done and now >= close_instant(cycle, config.zone)
    ]


def sets_of_cycle(config: OkrConfig, cycle_id: str) -> list[OkrSet]:
    return [okr_set for okr_set in config.okr_sets if okr_set.cycle == cycle_id]


def freeze(
    report: Report,
    config: OkrConfig,
    cycle_id: str,
    closed_at: str,
    by: str,
    history: Iterable[Mapping[str, str]] = (),
) -> CloseRecord:
    """The record freezing every KR result of the cycle's sets as ``report`` reads them now."""
    live = thawed(report)
    in_cycle = {okr_set.id for okr_set in sets_of_cycle(config, cycle_id)}
    frozen = {kr_ref(*entry.ref): entry.kr for entry in live.key_results() if entry.okr_set.id in in_cycle}
    return CloseRecord(cycle_id, closed_at, by, frozen, tuple(history))


def with_closes(report: Report, config: OkrConfig, records: Mapping[str, CloseRecord]) -> Report:
    """``report`` with every final set of a closed cycle reading its frozen results."""
    if not records:
        return report
    cycles = {okr_set.id: okr_set for okr_set in config.okr_sets}
    sets = []
    for result in report.okr_sets:
        okr_set = cycles.get(result.id)
        record = records.get(okr_set.cycle) if okr_set is not None else None
        sets.append(_closed_set(result, okr_set, record) if okr_set and record and result.final else result)
    return replace(report, okr_sets=tuple(sets))


def _closed_set(result: SetReport, okr_set: OkrSet, record: CloseRecord) -> SetReport:
    weights = {kr.id: kr.weight for objective in okr_set.objectives for kr in objective.key_results}
    objectives = []
    for objective in result.objectives:
        krs = tuple(_closed_kr(kr, record.key_results.get(kr_ref(result.id, kr.id))) for kr in objective.key_results)
        objectives.append(_closed_objective(objective, krs, weights))
    return replace(result, objectives=tuple(objectives), closed_at=record.closed_at)


def _closed_objective(
    objective: ObjectiveReport, krs: tuple[KeyResultReport, ...], weights: Mapping[str, float]
) -> ObjectiveReport:
    score = scoring.objective_score([scoring.WeightedScore(kr.score, weights.get(kr.id, 1.0)) for kr in krs])
    measured = sum(1 for kr in krs if kr.score is not None)
    return replace(objective, score=score, health=scoring.final_health(score), measured=measured, key_results=krs)


def _closed_kr(live: KeyResultReport, frozen: KeyResultReport | None) -> KeyResultReport:
    """The frozen result, with the live reading as its late correction when it reads differently; a KR
    added after the close (nothing frozen) reads live."""
    if frozen is None:
        return live
    reading = _live_reading(live)
    if all(reading[name] == getattr(frozen, name) for name in COMPARED):
        return replace(frozen, late_correction=None)
    flags = tuple(f for f in frozen.flags if f != LATE_CORRECTION) + (LATE_CORRECTION,)
    return replace(frozen, flags=flags, late_correction=reading)


def _live_reading(kr: KeyResultReport) -> dict[str, Any]:
    """What the KR reads now: its late correction when it is a frozen result carrying one."""
    if kr.late_correction is not None:
        return dict(kr.late_correction)
    reading = {name: getattr(kr, name) for name in READING}
    reading["flags"] = list(kr.flags)
    return reading


def thawed(report: Report) -> Report:
    """``report`` as read before the freeze: each KR carrying a late correction reads it again (an
    incremental evaluation compares what it reads now with what was read before)."""
    if not any(entry.kr.late_correction is not None for entry in report.key_results()):
        return report
    return replace(report, okr_sets=tuple(_thawed_set(result) for result in report.okr_sets))


def _thawed_set(result: SetReport) -> SetReport:
    objectives = tuple(
        replace(objective, key_results=tuple(_thawed_kr(kr) for kr in objective.key_results))
        for objective in result.objectives
    )
    return replace(result, objectives=objectives)


def _thawed_kr(kr: KeyResultReport) -> KeyResultReport:
    if kr.late_correction is None:
        return kr
    reading = dict(kr.late_correction)
    return replace(
        kr,
        current=reading["current"],
        progress=reading["progress"],
        forecast=reading["forecast"],
        score=reading["score"],
        health=reading["health"],
        flags=tuple(reading["flags"]),
        delivery=reading["delivery"],
        evaluated=reading["evaluated"],
        count=reading["count"],
        late_correction=None,
    )
