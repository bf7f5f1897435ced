"""What the biweekly problem review reads, and what the AP job would open (pure).

- ``review_digest``: problems new since the last review by source × category, untriaged problems, the
  ranked candidates with the inputs of their scores, the AP table, the effectiveness of closed APs.
- ``ap_proposals``: one action point per candidate cluster (candidates have no open AP by definition).
- ``problem_rows`` / ``action_point_rows``: text rows of the `okrsync evaluate --json` program entry.
- ``review_order``: the order a review takes the clusters in, on the program's page and the admin page alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from mapping.models import ProblemProgram, days
from okr.problems.model import (
    ALL_CATEGORIES,
    CROSS,
    NO_THEME,
    UNTRIAGED,
    ActionPoint,
    Cluster,
    ClusterRef,
    Effectiveness,
    Problem,
    ProgramResult,
)
from okr.timeframe import day_said

T = TypeVar("T")
ClusterFacts = tuple[str, bool, float]  # what the order reads of a cluster: its category, candidate or not, its score


def review_order(clusters: Iterable[T], facts: Callable[[T], ClusterFacts]) -> list[T]:
    """Candidates first, then the other clusters by score, the untriaged ones last (each by score; equal
    scores keep the order they came in). ``facts`` reads a cluster's (category, candidate, score): the
    engine's ``Cluster`` (``cluster_facts``) or its JSON entry alike."""

    def order(cluster: T) -> tuple[int, float]:
        category, candidate, score = facts(cluster)
        rank = 2 if category == UNTRIAGED else 0 if candidate else 1
        return rank, 0.0 if math.isnan(score) else -score  # NaN (old data) would unsettle the sort

    return sorted(clusters, key=order)


def cluster_facts(cluster: Cluster) -> ClusterFacts:
    return cluster.ref.category, cluster.candidate, cluster.score


@dataclass(frozen=True)
class NewProblems:
    """One source's problems created since the last review, per category (every category present)."""

    source: str
    name: str
    by_category: Mapping[str, tuple[Problem, ...]]


@dataclass(frozen=True)
class ApRow:
    key: str
    cluster: ClusterRef | None
    owner: str | None
    due: date | None
    status: str | None
    flags: tuple[str, ...]
    effectiveness: str | None


@dataclass(frozen=True)
class ClosedAp:
    key: str
    cluster: ClusterRef
    effectiveness: Effectiveness


@dataclass(frozen=True)
class ReviewDigest:
    program_id: str
    name: str
    at: datetime
    since: datetime  # the last review: problems created in (since, at] are new
    window_days: int
    window_start: datetime
    threshold: float
    new_problems: tuple[NewProblems, ...]
    untriaged: tuple[Problem, ...]
    candidates: tuple[Cluster, ...]  # ranked; each carries its frequency, impact, score and problems
    action_points: tuple[ApRow, ...]
    closed: tuple[ClosedAp, ...]


def review_digest(program: ProblemProgram, result: ProgramResult, since: datetime | None = None) -> ReviewDigest:
    """``since``: the previous review's time (problems created after it are new); without one, a
    review period (``review_every``) back."""
    since = since if since is not None else result.at - timedelta(days=days(program.review_every))
    fresh = [p for p in result.problems if p.created is not None and since < p.created <= result.at]
    return ReviewDigest(
        program_id=program.id,
        name=program.name,
        at=result.at,
        since=since,
        window_days=days(program.window),
        window_start=result.window_start,
        threshold=program.threshold,
        new_problems=tuple(_new_by_source(program, fresh)),
        untriaged=result.untriaged,
        candidates=result.candidates,
        action_points=tuple(_ap_row(ap) for ap in result.action_points),
        closed=tuple(
            ClosedAp(ap.key, ap.cluster, ap.effectiveness)
            for ap in result.action_points
            if ap.cluster is not None and ap.effectiveness is not None
        ),
    )


def _new_by_source(program: ProblemProgram, fresh: Sequence[Problem]) -> list[NewProblems]:
    return [
        NewProblems(
            source.id,
            source.name,
            {
                category: tuple(p for p in fresh if p.source == source.id and p.category == category)
                for category in ALL_CATEGORIES
            },
        )
        for source in program.sources
    ]


def _ap_row(ap: ActionPoint) -> ApRow:
    return ApRow(
        key=ap.key,
        cluster=ap.cluster,
        owner=ap.assignee,
        due=ap.due,
        status=ap.status,
        flags=ap.flags,
        effectiveness=ap.effectiveness.verdict if ap.effectiveness else None,
    )


@dataclass(frozen=True)
class ApProposal:
    """An action point to open (or to list, in `propose` mode) for one candidate cluster."""

    cluster: ClusterRef
    project: str
    issuetype: str
    summary: str
    description: str
    label: str
    due: date
    assignee: str | None  # the owner of the source of the cluster's newest problem
    links: tuple[str, ...]  # the cluster's problems in the window


def ap_proposals(program: ProblemProgram, result: ProgramResult, at: datetime) -> tuple[ApProposal, ...]:
    settings = program.action_points
    due = at.astimezone(result.tz).date() + timedelta(days=days(settings.due_in))
    owners = {source.id: source.owner for source in program.sources}
    return tuple(
        ApProposal(
            cluster=c.ref,
            project=settings.project,
            issuetype=settings.issuetype,
            summary=ap_summary(c.ref),
            description=ap_description(program, result, c),
            label=settings.label,
            due=due,
            assignee=owners.get(c.problems[0].source) if c.problems else None,
            links=tuple(p.key for p in c.problems),
        )
        for c in result.candidates
    )


def ap_summary(ref: ClusterRef) -> str:
    kind = "Cross-cutting" if ref.category == CROSS else ref.category.capitalize()
    where = "with no theme" if ref.theme == NO_THEME else f"in {ref.theme}"
    return f"{kind} problems keep recurring {where}"


def ap_description(program: ProblemProgram, result: ProgramResult, cluster: Cluster) -> str:
    """Plain text, so any renderer (wiki markup, ADF) can carry it."""
    window = days(program.window)
    lines = [
        f"Problem reverse-drive: {program.name} ({program.id})",
        f"Cluster: category {cluster.ref.category}, theme {cluster.ref.theme}",
        f"Score {_number(cluster.score)} = frequency {cluster.frequency} × impact {_number(cluster.impact)}"
        f" (threshold {_number(program.threshold)})",
        f"Frequency: problems created {result.window_start.astimezone(result.tz):%Y-%m-%d %H:%M} – "
        f"{result.at.astimezone(result.tz):%Y-%m-%d %H:%M} ({window} days); impact: the highest among them.",
        "",
        "Problems:",
    ]
    lines += [f"- {problem_line(p)}" for p in cluster.problems]
    return "\n".join(lines)


def problem_line(problem: Problem) -> str:
    created = f"{problem.created:%Y-%m-%d}" if problem.created else "no creation date"
    said = problem.impact_value or "no priority"
    title = f": {problem.summary}" if problem.summary else ""
    return (
        f"{problem.key}{title} (source {problem.source}, {said} → impact {_number(problem.impact)}, created {created})"
    )


def _number(value: float) -> str:
    return f"{value:g}"


PROBLEM_ROW_HEADER = ("category", "theme", "freq", "impact", "score", "", "problems")
AP_ROW_HEADER = ("AP", "cluster", "flags", "effectiveness")


def problem_rows(program: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """One row of text per cluster of a `problem_programs[]` JSON entry, in ranked order."""
    return [
        (
            c["category"],
            c["theme"],
            str(c["frequency"]),
            _number(c["impact"]),
            _number(c["score"]),
            "candidate" if c["candidate"] else "",
            ", ".join(c["problems"]),
        )
        for c in program["clusters"]
    ]


def action_point_rows(program: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """One row of text per action point of a `problem_programs[]` JSON entry."""

    def cluster(ref: Mapping[str, str] | None) -> str:
        return f"{ref['category']}/{ref['theme']}" if ref else "—"

    return [
        (ap["key"], cluster(ap["cluster"]), ", ".join(ap["flags"]), ap["effectiveness"] or "—")
        for ap in program["action_points"]
    ]


@dataclass(frozen=True)
class Escalation:
    key: str
    reason: str  # "overdue 9 days (due 20 Nov)" | "judged ineffective"
    assignee: str | None


def escalations(program: ProblemProgram, result: ProgramResult, today: date) -> tuple[Escalation, ...]:
    """Open APs overdue longer than ``escalate_after``, and closed APs judged ineffective."""
    limit = days(program.escalate_after)
    found = []
    for ap in result.action_points:
        if not ap.done and ap.due is not None and (today - ap.due).days > limit:
            found.append(
                Escalation(ap.key, f"overdue {(today - ap.due).days} days (due {day_said(ap.due, today)})", ap.assignee)
            )
        elif ap.effectiveness is not None and ap.effectiveness.verdict == "ineffective":
            found.append(Escalation(ap.key, "judged ineffective: its cluster keeps recurring", ap.assignee))
    return tuple(found)


def below_threshold(result: ProgramResult) -> tuple[Cluster, ...]:
    """Clusters in the window that are neither candidates nor covered by an open AP."""
    return tuple(c for c in result.clusters if not c.candidate and not c.covered_by)


def covered(result: ProgramResult) -> tuple[Cluster, ...]:
    """Clusters an open AP already works on."""
    return tuple(c for c in result.clusters if c.covered_by)
