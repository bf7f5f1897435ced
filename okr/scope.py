"""Delivery against the scope a cycle started with (pure).

A KR's *recorded scope* is its contributing epics (and whether each was done) as first seen inside
the cycle, or as set on purpose by a rescope. Delivery is read over it: an epic that left still
counts (done when it was done as it left), epics that joined later are reported apart, and an epic
that left unfinished is listed as descoped, so dropping unfinished work cannot make delivery rise.

    scope = first_scope({"SHOP-1": True, "SHOP-7": False}, at, cycle_start_day)
    scope = advance(scope, {"SHOP-1": True}, at, left_done={"SHOP-7": False})
    facts = scope_facts(scope, {"SHOP-1": True})   # total 2, done 1, descoped SHOP-7
    scope_words(facts)                             # "scope: 2 epics at start, 1 dropped unfinished (SHOP-7 on 12 Nov)"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from okr import scoring


@dataclass(frozen=True, slots=True)
class Rescope:
    """A scope recorded on purpose: why, by whom, when (ISO 8601)."""

    reason: str
    author: str
    at: str

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "author": self.author, "at": self.at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rescope:
        return cls(reason=str(data["reason"]), author=str(data["author"]), at=str(data["at"]))


@dataclass(frozen=True, slots=True)
class Departure:
    """When an epic of the recorded scope was first seen gone from the contributors, and whether it
    was done then."""

    at: str
    done: bool


@dataclass(frozen=True, slots=True)
class RecordedScope:
    """The epics a KR's delivery is read against: key → done when recorded."""

    recorded_at: str  # ISO 8601
    first_seen: bool  # recorded on a day after the cycle's start ("as first seen on DATE")
    epics: Mapping[str, bool]
    gone: Mapping[str, Departure] = field(default_factory=dict)
    rescoped: Rescope | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "recorded_at": self.recorded_at,
            "first_seen": self.first_seen,
            "epics": dict(sorted(self.epics.items())),
            "gone": {key: {"at": g.at, "done": g.done} for key, g in sorted(self.gone.items())},
            "rescoped": None if self.rescoped is None else self.rescoped.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordedScope:
        """ValueError when ``data`` is not a recorded scope."""
        try:
            rescoped = data.get("rescoped")
            return cls(
                recorded_at=str(data["recorded_at"]),
                first_seen=bool(data["first_seen"]),
                epics={str(k): bool(v) for k, v in data["epics"].items()},
                gone={str(k): Departure(str(v["at"]), bool(v["done"])) for k, v in data.get("gone", {}).items()},
                rescoped=None if rescoped is None else Rescope.from_dict(rescoped),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a recorded scope: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class ScopeFacts:
    """What a KR result says of its scope."""

    recorded_at: str
    first_seen: bool
    total: int  # epics of the recorded scope
    done: int  # of them done (a departed one: done when it left)
    added: int  # contributors that joined after the scope was recorded
    added_done: int
    descoped: tuple[tuple[str, str], ...]  # (key, first seen gone) of epics that left unfinished
    rescoped: Rescope | None

    @property
    def delivery(self) -> float | None:
        return scoring.delivery(self.done, self.total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recorded_at": self.recorded_at,
            "first_seen": self.first_seen,
            "total": self.total,
            "done": self.done,
            "added": self.added,
            "added_done": self.added_done,
            "descoped": [{"key": key, "at": at} for key, at in self.descoped],
            "rescoped": None if self.rescoped is None else self.rescoped.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScopeFacts:
        rescoped = data.get("rescoped")
        return cls(
            recorded_at=data["recorded_at"],
            first_seen=data["first_seen"],
            total=data["total"],
            done=data["done"],
            added=data["added"],
            added_done=data["added_done"],
            descoped=tuple((d["key"], d["at"]) for d in data["descoped"]),
            rescoped=None if rescoped is None else Rescope.from_dict(rescoped),
        )


def first_scope(
    current: Mapping[str, bool], at: datetime, cycle_start: date, rescoped: Rescope | None = None
) -> RecordedScope:
    """The current contributors recorded as the scope at ``at`` (an aware instant in the set's zone)."""
    return RecordedScope(
        recorded_at=at.isoformat(),
        first_seen=at.date() > cycle_start,
        epics=dict(current),
        rescoped=rescoped,
    )


def advance(
    scope: RecordedScope, current: Mapping[str, bool], at: datetime, left_done: Mapping[str, bool]
) -> RecordedScope:
    """The scope with the epics first seen gone at ``at`` noted (done when ``left_done`` says so), and
    the epics that came back forgotten as gone. The same scope when nothing moved."""
    gone = {key: g for key, g in scope.gone.items() if key not in current}
    for key in scope.epics:
        if key not in current and key not in gone:
            gone[key] = Departure(at.isoformat(), bool(left_done.get(key, False)))
    if gone == dict(scope.gone):
        return scope
    return replace(scope, gone=gone)


def departed(scope: RecordedScope, current: Mapping[str, bool]) -> list[str]:
    """Epics of the scope no longer among the contributors and not yet noted as gone."""
    return sorted(key for key in scope.epics if key not in current and key not in scope.gone)


def scope_facts(scope: RecordedScope, current: Mapping[str, bool]) -> ScopeFacts:
    """Delivery over the recorded scope: each epic's state now, or as it was when it left."""
    done = sum(1 for key in scope.epics if _counts_done(scope, current, key))
    added = [key for key in current if key not in scope.epics]
    descoped = sorted(
        ((key, g.at) for key, g in scope.gone.items() if not g.done and key not in current),
        key=lambda item: (item[1], item[0]),
    )
    return ScopeFacts(
        recorded_at=scope.recorded_at,
        first_seen=scope.first_seen,
        total=len(scope.epics),
        done=done,
        added=len(added),
        added_done=sum(1 for key in added if current[key]),
        descoped=tuple(descoped),
        rescoped=scope.rescoped,
    )


def _counts_done(scope: RecordedScope, current: Mapping[str, bool], key: str) -> bool:
    if key in current:
        return current[key]
    departure = scope.gone.get(key)
    return departure.done if departure is not None else scope.epics[key]


def _day(iso: str) -> str:
    """'12 Nov' of an ISO 8601 instant."""
    moment = datetime.fromisoformat(iso)
    return f"{moment.day} {moment:%b}"


def scope_words(facts: ScopeFacts) -> str:
    """'scope: 6 epics at start, 1 added, 1 dropped unfinished (SHOP-7 on 12 Nov)'."""
    noun = "epic" if facts.total == 1 else "epics"
    when = f"as first seen on {_day(facts.recorded_at)}" if facts.first_seen else "at start"
    if facts.rescoped is not None:
        when = f"as rescoped on {_day(facts.rescoped.at)} by {facts.rescoped.author}: {facts.rescoped.reason}"
    parts = [f"scope: {facts.total} {noun} {when}"]
    if facts.added:
        parts.append(f"{facts.added} added ({facts.added_done} done)" if facts.added_done else f"{facts.added} added")
    if facts.descoped:
        gone = ", ".join(f"{key} on {_day(at)}" for key, at in facts.descoped)
        parts.append(f"{len(facts.descoped)} dropped unfinished ({gone})")
    return ", ".join(parts)


def kr_scope(
    recorded: RecordedScope | None,
    current: Mapping[str, bool] | None,
    at: datetime,
    cycle_start: date,
    left_done: Callable[[str], bool],
) -> tuple[RecordedScope, ScopeFacts] | None:
    """A KR's scope brought to ``at`` and its facts; without a recorded scope the current contributors
    are the scope, as first seen at ``at``. None when the KR has no contributor set (no contributors,
    or a JQL outside the local subset)."""
    if current is None:
        return None
    scope = recorded if recorded is not None else first_scope(current, at, cycle_start)
    leaving = departed(scope, current)
    if leaving:
        scope = advance(scope, current, at, {key: left_done(key) for key in leaving})
    return scope, scope_facts(scope, current)
