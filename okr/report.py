"""The evaluation report as typed, immutable results (pure).

    report.key_results()          # every (set, objective, KR) in report order
    report.okr_set("shop-q4")     # one set's result, or None
    report.find("shop-q4", "O1.KR2")
    report.to_dict()              # the JSON document (stored, served, `okrsync evaluate --json`)
    Report.from_dict(document)    # and back; ValueError when it is not a whole report
    stored_report(document)       # the same, None when it is not a whole report

``to_dict()`` gives the keys in the order the JSON document has always had them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from mapping.models import Kind
from okr.checkins import CheckIn
from okr.decision import Decision
from okr.scope import ScopeFacts


@dataclass(frozen=True, slots=True)
class KeyResultReport:
    """One KR's result."""

    id: str
    metric: str | None
    metric_version: str | None
    current: float | None
    baseline: float | None
    target: float | None
    kind: Kind  # "level", "accumulate", "cap" or "keep" (okr.kinds)
    progress: float | None
    forecast: float | None  # a cap's value at the close at the target's pace; None for the other kinds
    score: float | None
    health: str
    flags: tuple[str, ...]
    delivery: float | None
    evaluated: str  # "local", "remote", "sql" or "none"
    count: int
    # after its cycle's close: what a later evaluation reads when it differs from the frozen result
    # (current, score, health and the rest of the reading); the grade stays the frozen one
    late_correction: Mapping[str, Any] | None = None
    scope: ScopeFacts | None = None  # delivery's recorded scope (okr.scope); None without contributors
    decision: Decision | None = None  # a KR with decide_by: its keep-or-stop decision (okr.decision)
    checkin: CheckIn | None = None  # the latest check-in by a person (okr.checkins), set by the flush
    # a source: sql metric's value: connection, query_digest, rows, fetched_at; None for the other sources
    provenance: Mapping[str, Any] | None = None
    keep: Mapping[str, float] | None = None  # a keep KR's band: {"above": X} or {"below": X}

    def to_dict(self) -> dict[str, Any]:
        document = {name: getattr(self, name) for name in _KR_KEYS}
        document["flags"] = list(self.flags)
        if self.late_correction is not None:
            document["late_correction"] = dict(self.late_correction)
        if self.scope is not None:
            document["scope"] = self.scope.to_dict()
        if self.decision is not None:
            document["decision"] = self.decision.to_dict()
        if self.checkin is not None:
            document["checkin"] = self.checkin.to_dict()
        if self.provenance is not None:
            document["provenance"] = dict(self.provenance)
        if self.keep is not None:
            document["keep"] = dict(self.keep)
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyResultReport:
        return cls(
            **{name: data[name] for name in _KR_KEYS if name not in _KR_CONVERTED},
            flags=tuple(data["flags"]),
            late_correction=data.get("late_correction"),
            scope=None if data.get("scope") is None else ScopeFacts.from_dict(data["scope"]),
            decision=None if data.get("decision") is None else Decision.from_dict(data["decision"]),
            checkin=None if data.get("checkin") is None else CheckIn.from_dict(data["checkin"]),
            provenance=data.get("provenance"),
            keep=data.get("keep"),
        )


# The keys a KR result always carries, in the order of its fields (the JSON document's order); scope,
# decision, the latest check-in, provenance and keep follow only when set. Flags and the late correction are
# converted; older documents may lack the latter.
_KR_CONVERTED = ("flags", "late_correction")
_KR_KEYS = tuple(
    f.name for f in fields(KeyResultReport) if f.name not in ("scope", "decision", "checkin", "provenance", "keep")
)


@dataclass(frozen=True, slots=True)
class ObjectiveReport:
    """One objective's result: the weighted score of its KRs, and the KRs' results in order."""

    id: str
    score: float | None
    health: str
    measured: int  # KRs with a score
    total: int
    key_results: tuple[KeyResultReport, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": self.score,
            "health": self.health,
            "measured": self.measured,
            "total": self.total,
            "key_results": [kr.to_dict() for kr in self.key_results],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectiveReport:
        return cls(
            id=data["id"],
            score=data["score"],
            health=data["health"],
            measured=data["measured"],
            total=data["total"],
            key_results=tuple(KeyResultReport.from_dict(kr) for kr in data["key_results"]),
        )


@dataclass(frozen=True, slots=True)
class KpiReport:
    """One KPI of a set: its metric's value and whether it lies in its band (okr.kpis). ``state``:
    healthy, warning (within ``warn`` of the bound), breached or not_measured."""

    metric: str
    current: float | None
    healthy: bool | None  # None: not measured
    state: str
    keep: Mapping[str, float]  # {"above": X} or {"below": X}
    warn: float | None
    evaluated: str
    count: int
    stale: bool
    provenance: Mapping[str, Any] | None = None  # a source: sql metric's value: where it came from

    def to_dict(self) -> dict[str, Any]:
        document = {name: getattr(self, name) for name in _KPI_KEYS}
        document["keep"] = dict(self.keep)
        if self.provenance is not None:
            document["provenance"] = dict(self.provenance)
        return document

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KpiReport:
        return cls(**{name: data[name] for name in _KPI_KEYS}, provenance=data.get("provenance"))


_KPI_KEYS = tuple(f.name for f in fields(KpiReport) if f.name != "provenance")


@dataclass(frozen=True, slots=True)
class SetReport:
    """One OKR set's result at the instant's expected progress; ``final`` once its cycle has closed
    (the results are then those at the cycle's end, each KR and objective done or missed)."""

    id: str
    expected: float
    final: bool
    objectives: tuple[ObjectiveReport, ...]
    closed_at: str | None = None  # ISO 8601: when its cycle was closed and its results frozen (sync/close.py)
    kpis: tuple[KpiReport, ...] = ()  # the set's KPIs, never part of an objective's score

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "expected": self.expected,
            "final": self.final,
            "objectives": [o.to_dict() for o in self.objectives],
            "closed_at": self.closed_at,
            "kpis": [k.to_dict() for k in self.kpis],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SetReport:
        return cls(
            id=data["id"],
            expected=data["expected"],
            final=data["final"],
            objectives=tuple(ObjectiveReport.from_dict(o) for o in data["objectives"]),
            closed_at=data.get("closed_at"),
            kpis=tuple(KpiReport.from_dict(k) for k in data.get("kpis", ())),
        )


class KrEntry(NamedTuple):
    """A KR's result with the set and objective it sits in."""

    okr_set: SetReport
    objective: ObjectiveReport
    kr: KeyResultReport

    @property
    def ref(self) -> tuple[str, str]:
        """(set id, KR id): how the rest of the service names a KR."""
        return self.okr_set.id, self.kr.id


@dataclass(frozen=True, slots=True)
class Report:
    """A whole configuration evaluated at one instant.

    ``problem_programs`` and ``lint`` are the problem programs' results and the lint findings as the
    JSON document carries them."""

    at: str  # ISO 8601
    okr_sets: tuple[SetReport, ...]
    problem_programs: tuple[Mapping[str, Any], ...]
    lint: tuple[Mapping[str, str], ...]

    def key_results(self) -> Iterator[KrEntry]:
        """Every KR's result with its set and objective, in report order."""
        for okr_set in self.okr_sets:
            for objective in okr_set.objectives:
                for kr in objective.key_results:
                    yield KrEntry(okr_set, objective, kr)

    def okr_set(self, set_id: str) -> SetReport | None:
        return next((s for s in self.okr_sets if s.id == set_id), None)

    def find(self, set_id: str, kr_id: str) -> KeyResultReport | None:
        """The result of KR ``kr_id`` of set ``set_id``, or None."""
        return next((e.kr for e in self.key_results() if e.ref == (set_id, kr_id)), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "okr_sets": [s.to_dict() for s in self.okr_sets],
            "problem_programs": list(self.problem_programs),
            "lint": list(self.lint),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """The report a JSON document holds; ValueError when a part of it is missing or of the wrong kind."""
        try:
            return cls(
                at=data["at"],
                okr_sets=tuple(SetReport.from_dict(s) for s in data["okr_sets"]),
                problem_programs=tuple(data["problem_programs"]),
                lint=tuple(data["lint"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a whole evaluation report: {type(exc).__name__}: {exc}") from exc


def stored_report(document: Any) -> Report | None:
    """The report a stored JSON document holds; None when it is not a whole report (one written by an
    older version, or not a report at all): it is then as good as absent until a new one is written."""
    if not isinstance(document, Mapping):
        return None
    try:
        return Report.from_dict(document)
    except ValueError:
        return None
