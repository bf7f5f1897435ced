"""The problem reverse-drive: problems → clusters → frequency × impact →
candidates, and the action points that answer them. Pure: plain data in, plain data out.

    result = evaluate_program(program, given)          # given: at, tz, documents, custom_fields, jql_context
    program_json(result)                               # the `problem_programs[]` entry of `okrsync evaluate --json`

Decisions made where the rules leave room (see docs/problems.md):

- A cluster is listed only when it has a problem created in the window; a cluster whose problems are
  all older has frequency 0 and is not listed (its problems still decide coverage and effectiveness).
- Cluster membership is all-time: an open AP linked to an old problem of a cluster still covers it,
  so no second AP is proposed while the first is open.
- ``untriaged`` and ``sources`` list the problems created in the window, newest first.
- AP issues are never problems themselves, even when a source's JQL matches them.
- Action points are listed by issue key (AP-2 before AP-10).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from jql.query import JqlContext, JqlError, JqlUnsupported, compile_jql
from mapping.models import ProblemProgram, ProblemSource, days
from okr.problems.action_points import action_point, ap_filter, is_action_point
from okr.problems.classify import Matcher, first_source, problem_of
from okr.problems.model import (
    UNTRIAGED,
    ActionPoint,
    Cluster,
    ClusterRef,
    Document,
    Problem,
    ProgramResult,
    issue_order,
    newest_first,
)

Compiler = Callable[[str], Matcher]
Matching = Callable[[str], Sequence[Document] | None]  # a query's matches kept in memory; None: not kept
CompiledSource = tuple[ProblemSource, Matcher]
MEASURES = ("problems_in_window", "open_candidates", "overdue_aps", "effective_ap_share")


class ProblemInput(Protocol):
    """What a program is evaluated over (``okr.metrics.EvaluationInput`` fits)."""

    @property
    def at(self) -> datetime: ...
    @property
    def tz(self) -> tzinfo: ...
    @property
    def documents(self) -> Sequence[Document]: ...
    @property
    def custom_fields(self) -> Mapping[str, str]: ...
    @property
    def jql_context(self) -> JqlContext: ...


def evaluate_program(
    program: ProblemProgram,
    given: ProblemInput,
    compile: Compiler = compile_jql,
    matching: Matching | None = None,
    memo: ProblemMemo | None = None,
) -> ProgramResult:
    """From a long-lived mirror: ``matching`` (its kept queries, exact at ``given.at`` in the same tz
    and custom fields) gives the documents a source or the AP filter matches, so the others are not
    looked at (without it, or for a query it does not keep, every document is tested), and ``memo``
    keeps the problems of issues that did not change since the last time."""
    sources, unsupported = _compiled_sources(program, compile)
    problems = tuple(
        sorted(_problems(program, given, _with_first_source(sources, given, matching), sources, memo), key=newest_first)
    )
    members = cluster_members(problems)
    clusters_of = {p.key: p.clusters for p in problems}
    aps = tuple(
        sorted(
            (
                action_point(d, program, clusters_of, members, given.at, given.tz)
                for d in _ap_candidates(program, given, matching)
                if is_action_point(d, program.action_points)
            ),
            key=lambda ap: issue_order(ap.key),
        )
    )
    start = given.at - timedelta(days=days(program.window))
    clusters = rank_clusters(scored_clusters(program, members, aps, start, given.at))
    return ProgramResult(
        program_id=program.id,
        at=given.at,
        tz=given.tz,
        window_start=start,
        problems=problems,
        clusters=clusters,
        action_points=aps,
        source_ids=tuple(s.id for s in program.sources),
        unsupported_sources=unsupported,
    )


def _with_first_source(
    sources: Sequence[CompiledSource], given: ProblemInput, matching: Matching | None
) -> Iterable[tuple[Document, str | None]]:
    """Each document a source may match, with the first source whose kept matches hold it; every
    document with ``None`` (to be tested) when a source's query is not kept."""
    if matching is None:
        return ((document, None) for document in given.documents)
    first: dict[int, tuple[Document, str | None]] = {}
    for source, _ in sources:
        kept = matching(source.jql)
        if kept is None:
            return ((document, None) for document in given.documents)
        for document in kept:
            first.setdefault(id(document), (document, source.id))
    return first.values()


def _ap_candidates(program: ProblemProgram, given: ProblemInput, matching: Matching | None) -> Iterable[Document]:
    kept = matching(ap_filter(program.action_points)) if matching is not None else None
    return given.documents if kept is None else kept


def _compiled_sources(program: ProblemProgram, compile: Compiler) -> tuple[list[CompiledSource], tuple[str, ...]]:
    """Sources evaluable over the mirror, in order; one outside the local subset matches nothing here."""
    compiled: list[CompiledSource] = []
    unsupported: list[str] = []
    for source in program.sources:
        try:
            compiled.append((source, compile(source.jql)))
        except (JqlUnsupported, JqlError):
            unsupported.append(source.id)
    return compiled, tuple(unsupported)


def _problems(
    program: ProblemProgram,
    given: ProblemInput,
    candidates: Iterable[tuple[Document, str | None]],
    sources: Sequence[CompiledSource],
    memo: ProblemMemo | None,
) -> list[Problem]:
    context, fields = given.jql_context, given.custom_fields or {}
    found: list[Problem] = []
    fresh: dict[str, tuple[Document, Problem]] = {}
    for document, kept_source in candidates:
        problem = memo.get(document, kept_source) if memo is not None and kept_source is not None else None
        if problem is None:  # not remembered: a new or changed issue, or one not from a kept query
            if is_action_point(document, program.action_points):
                continue
            source = kept_source or first_source(document, sources, context)
            if source is None:
                continue
            problem = problem_of(document, source, program, fields, given.tz)
        found.append(problem)
        fresh[str(document.get("id"))] = (document, problem)
    if memo is not None:
        memo.replace(fresh)
    return found


class ProblemMemo:
    """One program's problems from its last evaluation over a long-lived mirror, by issue id. A
    problem is reused while its issue's document is the same object (the mirror puts a new one when
    the issue changes) and it comes from the same source; the mirror's tz and custom fields apply."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[Document, Problem]] = {}

    def get(self, document: Document, source: str) -> Problem | None:
        found = self._last.get(str(document.get("id")))
        if found is None or found[0] is not document or found[1].source != source:
            return None
        return found[1]

    def replace(self, problems: dict[str, tuple[Document, Problem]]) -> None:
        """This evaluation's problems with their documents; the others are forgotten."""
        self._last = problems


def cluster_members(problems: Sequence[Problem]) -> dict[ClusterRef, list[Problem]]:
    """Every problem of each cluster, whatever its age, in the order given (newest first)."""
    members: dict[ClusterRef, list[Problem]] = {}
    for problem in problems:
        for ref in problem.clusters:
            members.setdefault(ref, []).append(problem)
    return members


def scored_clusters(
    program: ProblemProgram,
    members: Mapping[ClusterRef, Sequence[Problem]],
    aps: Sequence[ActionPoint],
    start: datetime,
    at: datetime,
) -> list[Cluster]:
    """Clusters with a problem created in [start, at]: frequency, impact, candidacy."""
    open_cover: dict[ClusterRef, list[str]] = {}
    for ap in aps:
        if not ap.done:
            for ref in ap.covers:
                open_cover.setdefault(ref, []).append(ap.key)
    clusters = []
    for ref, problems in members.items():
        recent = tuple(p for p in problems if p.created is not None and start <= p.created <= at)
        if not recent:
            continue
        impact = max(p.impact for p in recent)
        covered_by = tuple(open_cover.get(ref, ()))
        candidate = len(recent) * impact >= program.threshold and ref.category != UNTRIAGED and not covered_by
        clusters.append(Cluster(ref=ref, problems=recent, impact=impact, candidate=candidate, covered_by=covered_by))
    return clusters


def rank_clusters(clusters: Sequence[Cluster]) -> tuple[Cluster, ...]:
    """Candidates by score, then frequency, then newest problem; then the others by score (same ties)."""

    def order(cluster: Cluster) -> tuple[bool, float, int, float, ClusterRef]:
        newest = cluster.newest.timestamp() if cluster.newest is not None else float("-inf")
        return (not cluster.candidate, -cluster.score, -cluster.frequency, -newest, cluster.ref)

    return tuple(sorted(clusters, key=order))


def program_json(result: ProgramResult) -> dict[str, Any]:
    """The program's entry in `okrsync evaluate --json`."""
    return {
        "id": result.program_id,
        "clusters": [cluster_json(c) for c in result.clusters],
        "untriaged": [p.key for p in result.untriaged],
        "sources": {source: [p.key for p in found] for source, found in result.by_source().items()},
        "action_points": [action_point_json(ap) for ap in result.action_points],
    }


def cluster_json(cluster: Cluster) -> dict[str, Any]:
    return {
        "category": cluster.ref.category,
        "theme": cluster.ref.theme,
        "frequency": cluster.frequency,
        "impact": cluster.impact,
        "score": cluster.score,
        "candidate": cluster.candidate,
        "problems": [p.key for p in cluster.problems],
    }


def action_point_json(ap: ActionPoint) -> dict[str, Any]:
    return {
        "key": ap.key,
        "cluster": ap.cluster.as_dict() if ap.cluster else None,
        "flags": list(ap.flags),
        "effectiveness": ap.effectiveness.verdict if ap.effectiveness else None,
    }


def measure(result: ProgramResult, name: str) -> tuple[float | None, int, str | None]:
    """(value, issues it was computed from, why there is no value) of a `source: problems` metric."""
    if name == "problems_in_window":
        found = result.problems_in_window
        return float(len(found)), len(found), None
    if name == "open_candidates":
        return float(len(result.candidates)), len(result.problems_in_window), None
    if name == "overdue_aps":
        overdue = [ap for ap in result.action_points if "overdue" in ap.flags]
        return float(len(overdue)), len(result.action_points), None
    if name == "effective_ap_share":
        return _effective_share(result.action_points)
    return None, 0, f"unknown measure {name!r} (expected one of {', '.join(MEASURES)})"


def _effective_share(aps: Sequence[ActionPoint]) -> tuple[float | None, int, str | None]:
    """100 × effective / decided APs; no decided AP → no value."""
    verdicts = [ap.effectiveness.verdict for ap in aps if ap.effectiveness is not None]
    decided = [v for v in verdicts if v != "watching"]
    if not decided:
        return None, 0, "no closed action point has been judged yet"
    return 100.0 * decided.count("effective") / len(decided), len(decided), None
