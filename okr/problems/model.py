"""What the problem reverse-drive computes (APs), as plain frozen data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cached_property
from typing import Any, Literal

from mapping.models import ProblemCategory

Document = Mapping[str, Any]

CATEGORIES: tuple[ProblemCategory, ...] = ("system", "mechanism", "people")
CROSS = "cross"  # several categories at once: a cross-cutting special project
UNTRIAGED = "untriaged"  # no category yet: listed for triage, never a candidate
ALL_CATEGORIES = (*CATEGORIES, CROSS, UNTRIAGED)
NO_THEME = "(none)"

Verdict = Literal["watching", "effective", "ineffective"]


@dataclass(frozen=True, order=True)
class ClusterRef:
    """A cluster's identity: (category, theme)."""

    category: str
    theme: str

    def as_dict(self) -> dict[str, str]:
        return {"category": self.category, "theme": self.theme}


@dataclass(frozen=True)
class Problem:
    key: str
    summary: str | None
    source: str  # id of the first source whose JQL matches
    category: str
    themes: tuple[str, ...]
    impact_value: str | None  # what the impact field said (the priority name), before the scale
    impact: float
    created: datetime | None

    @cached_property
    def clusters(self) -> tuple[ClusterRef, ...]:  # worked out once: a problem is kept between evaluations
        return tuple(ClusterRef(self.category, theme) for theme in self.themes)

    @cached_property
    def newest_first_key(self) -> tuple[int, float, tuple[str, int, str]]:  # see ``newest_first``
        if self.created is None:
            return (1, 0.0, issue_order(self.key))
        return (0, -self.created.timestamp(), issue_order(self.key))


@dataclass(frozen=True)
class Cluster:
    ref: ClusterRef
    problems: tuple[Problem, ...]  # the cluster's problems created in the window, newest first
    impact: float  # the highest impact among them
    candidate: bool
    covered_by: tuple[str, ...]  # open APs linking to a problem of the cluster (any age)

    @property
    def frequency(self) -> int:
        return len(self.problems)

    @property
    def score(self) -> float:
        return self.frequency * self.impact

    @property
    def newest(self) -> datetime | None:
        return self.problems[0].created if self.problems else None


@dataclass(frozen=True)
class Effectiveness:
    """Did closing the AP stop its cluster recurring? Rates are problems per day."""

    verdict: Verdict
    resolved: datetime
    decided_at: datetime  # resolved + effectiveness window: `watching` until then
    before: int  # cluster problems created in [resolved − window, resolved]
    after: int  # cluster problems created in (resolved, resolved + effectiveness window]
    rate_before: float
    rate_after: float


@dataclass(frozen=True)
class ActionPoint:
    key: str
    summary: str | None
    status: str | None
    done: bool
    assignee: str | None
    due: date | None
    cluster: ClusterRef | None  # the cluster most of its linked problems belong to
    covers: tuple[ClusterRef, ...]  # every cluster it links a problem of
    linked_problems: tuple[str, ...]
    flags: tuple[str, ...]  # no_owner, no_due_date, overdue
    effectiveness: Effectiveness | None  # None unless done and tied to a cluster


@dataclass(frozen=True)
class ProgramResult:
    program_id: str
    at: datetime
    tz: tzinfo
    window_start: datetime  # the frequency window is [window_start, at]
    problems: tuple[Problem, ...]  # every problem of the program, newest first
    clusters: tuple[Cluster, ...]  # ranked; only clusters with a problem in the window
    action_points: tuple[ActionPoint, ...]
    source_ids: tuple[str, ...]
    unsupported_sources: tuple[str, ...] = ()  # JQL outside the local subset: matched nothing here

    def in_window(self, problem: Problem) -> bool:
        return problem.created is not None and self.window_start <= problem.created <= self.at

    @property
    def problems_in_window(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if self.in_window(p))

    @property
    def candidates(self) -> tuple[Cluster, ...]:
        return tuple(c for c in self.clusters if c.candidate)

    @property
    def untriaged(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems_in_window if p.category == UNTRIAGED)

    def by_source(self) -> dict[str, tuple[Problem, ...]]:
        """Problems in the window per source, every source present, in configuration order."""
        found = self.problems_in_window
        return {source: tuple(p for p in found if p.source == source) for source in self.source_ids}


_KEY = re.compile(r"^(.*?)-?(?<!\d)(\d+)$")  # the number starts a run of digits: linear in the key


def issue_order(key: str) -> tuple[str, int, str]:
    """PLAT-9 before PLAT-10."""
    match = _KEY.match(key)
    return (match.group(1), int(match.group(2)), key) if match else (key, -1, key)


def newest_first(problem: Problem) -> tuple[int, float, tuple[str, int, str]]:
    """Sort key: newest created first, undated last, then by issue key."""
    return problem.newest_first_key
