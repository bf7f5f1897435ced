"""A whole configuration evaluated at one instant: every KR, objective and set (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from jql.query import JqlUnsupported
from mapping.lint import lint
from mapping.memo import once_per_object
from mapping.models import Contributors, Cycle, KeyResult, Kind, Metric, Objective, OkrConfig, OkrSet
from mapping.versions import metric_version
from okr import scoring
from okr.decision import decision_flags, kr_decision
from okr.kinds import Grade, grade, kr_kind
from okr.kpis import kpi_result
from okr.live import IndexedMirror
from okr.metrics import (
    Document,
    EvaluationInput,
    FilterCache,
    MetricValue,
    evaluate_metric,
    keep_selections,
    program_result,
)
from okr.problems.engine import program_json
from okr.report import KeyResultReport, KpiReport, ObjectiveReport, Report, SetReport
from okr.scope import RecordedScope, ScopeFacts, kr_scope
from okr.timeframe import cycle_bounds, expected_progress, is_closed


def evaluate_config(
    config: OkrConfig,
    given: EvaluationInput,
    only: set[tuple[str, str]] | None = None,
    previous: Mapping[str, Any] | None = None,
    previous_config: OkrConfig | None = None,
) -> dict[str, Any]:
    """The `okrsync evaluate --json` document: ``evaluate_report`` from and to JSON documents."""
    before = None if previous is None else Report.from_dict(previous)
    return evaluate_report(config, given, only, before, previous_config).to_dict()


def evaluate_report(
    config: OkrConfig,
    given: EvaluationInput,
    only: set[tuple[str, str]] | None = None,
    previous: Report | None = None,
    previous_config: OkrConfig | None = None,
) -> Report:
    """Every KR, objective and set of ``config`` evaluated at ``given.at``.

    With ``only`` (the KRs an event touched) and the ``previous`` report, every other KR keeps its
    previous result: nothing it reads has changed (time-based drift is handled by the scheduled
    recomputation of everything). When ``previous`` is known to come from this very configuration
    (``previous_config``), an objective none of whose KRs were touched is taken whole, its health
    brought to the instant.
    """
    filters = FilterCache()
    values: dict[str, MetricValue] = {}
    keep_selections(_metrics_read(config, only), given)
    if previous is not None and only is not None and previous_config is config:
        sets = [_carry_set(config, okr_set, given, filters, values, only, previous) for okr_set in config.okr_sets]
    else:
        reuse = _reusable(previous, only)
        sets = [_evaluate_set(config, okr_set, given, filters, values, reuse) for okr_set in config.okr_sets]
    return Report(
        at=given.at.isoformat(),
        okr_sets=tuple(sets),
        problem_programs=tuple(program_json(program_result(p, given, filters)) for p in config.problem_programs),
        lint=tuple(_lint_json(config)),
    )


def _metrics_read(config: OkrConfig, only: set[tuple[str, str]] | None) -> list[Metric]:
    """The metrics an evaluation reads: every set's KPIs, and the KRs' (only those of ``only``, when given)."""
    refs = [
        ((okr_set.id, kr.id), kr.metric)
        for okr_set in config.okr_sets
        for objective in okr_set.objectives
        for kr in objective.key_results
    ]
    named = [name for ref, name in refs if only is None or ref in only]
    named += [kpi.metric for okr_set in config.okr_sets for kpi in okr_set.kpis]
    return [config.metrics[name] for name in dict.fromkeys(named) if name is not None and name in config.metrics]


def _lint_dicts(config: OkrConfig) -> list[dict[str, str]]:
    return [finding.as_dict() for finding in lint(config)]


_lint_findings = once_per_object(_lint_dicts, limit=64)


def _lint_json(config: OkrConfig) -> list[dict[str, str]]:
    """The configuration's lint findings (worked out once per immutable configuration), as copies."""
    return [dict(finding) for finding in _lint_findings(config)]


def _reusable(previous: Report | None, only: set[tuple[str, str]] | None) -> dict[tuple[str, str], KeyResultReport]:
    if previous is None or only is None:
        return {}
    return {entry.ref: entry.kr for entry in previous.key_results() if entry.ref not in only}


class _Reading(NamedTuple):
    """Where a set is read: its cycle, the input (at the cycle's end once it has closed), the expected
    progress, and whether the cycle has closed (its results are then final)."""

    cycle: Cycle
    given: EvaluationInput
    expected: float
    final: bool
    set_id: str = ""


def _reading(config: OkrConfig, okr_set: OkrSet, given: EvaluationInput) -> _Reading:
    cycle = config.cycle(okr_set.cycle)
    final = is_closed(cycle, given.at, given.tz)
    at_close = given.until(cycle_bounds(cycle, given.tz)[1])
    return _Reading(cycle, at_close, round(expected_progress(cycle, at_close.at, given.tz), 4), final, okr_set.id)


def _evaluate_set(
    config: OkrConfig,
    okr_set: OkrSet,
    given: EvaluationInput,
    filters: FilterCache,
    values: dict[str, MetricValue],
    reuse: Mapping[tuple[str, str], KeyResultReport],
) -> SetReport:
    reading = _reading(config, okr_set, given)
    objectives = []
    for objective in okr_set.objectives:
        krs = [
            _previous_result(reuse.get((okr_set.id, kr.id)), kr, config)
            or _evaluate_kr(config, okr_set, kr, reading, filters, values)
            for kr in objective.key_results
        ]
        objectives.append(_objective_json(config, objective, krs, reading))
    kpis = _set_kpis(config, okr_set, reading, filters, values)
    return SetReport(okr_set.id, reading.expected, reading.final, tuple(objectives), kpis=kpis)


def _carry_set(
    config: OkrConfig,
    okr_set: OkrSet,
    given: EvaluationInput,
    filters: FilterCache,
    values: dict[str, MetricValue],
    only: set[tuple[str, str]],
    previous: Report,
) -> SetReport:
    """``_evaluate_set`` from a previous result of the same configuration: same objectives, same KRs
    in the same order, same definitions; only the touched KRs are evaluated again, and an objective
    none of whose KRs were touched is taken as it was (its health again if the expected progress moved)."""
    before = previous.okr_set(okr_set.id)
    if before is None or len(before.objectives) != len(okr_set.objectives):
        return _evaluate_set(config, okr_set, given, filters, values, _reusable(previous, only))
    reading = _reading(config, okr_set, given)
    objectives = _carried_objectives(before, reading, config)
    for number, positions in _touched_positions(okr_set, only).items():
        objective = okr_set.objectives[number]
        krs = list(before.objectives[number].key_results)
        moved = False
        for position in positions:
            kr = objective.key_results[position]
            metric, value = _kr_value(config, okr_set, reading.cycle, kr, reading.given, filters, values)
            if kr.contributors is None and _reads_as(krs[position], value, kr, metric, reading, config):
                continue  # the same value, read at the same expected progress: the same result
            krs[position] = _kr_result(config, kr, metric, value, reading, filters)
            moved = True
        if moved:
            objectives[number] = _objective_json(config, objective, krs, reading)
    kpis = _set_kpis(config, okr_set, reading, filters, values)
    return SetReport(okr_set.id, reading.expected, reading.final, tuple(objectives), kpis=kpis)


def _set_kpis(
    config: OkrConfig, okr_set: OkrSet, reading: _Reading, filters: FilterCache, values: dict[str, MetricValue]
) -> tuple[KpiReport, ...]:
    """The set's KPIs at its instant (each metric evaluated once per run, shared with the KRs)."""
    results = []
    for kpi in okr_set.kpis:
        metric = config.metrics[kpi.metric]
        cache_key = f"{kpi.metric}@{okr_set.cycle}"
        if cache_key not in values:
            values[cache_key] = evaluate_metric(kpi.metric, metric, reading.cycle, reading.given, filters)
        results.append(kpi_result(kpi, values[cache_key]))
    return tuple(results)


def _carried_objectives(before: SetReport, reading: _Reading, config: OkrConfig) -> list[ObjectiveReport]:
    """The previous objectives as they were, their health again if the expected progress moved or the
    cycle closed."""
    if (before.expected, before.final) == (reading.expected, reading.final):
        return list(before.objectives)
    return [
        replace(was, health=_objective_health(was.score, was.key_results, reading, config)) for was in before.objectives
    ]


def _objective_health(score: float | None, krs: Sequence[KeyResultReport], reading: _Reading, config: OkrConfig) -> str:
    """Done or missed once the cycle has closed; before, by the gap, and never done while one of its
    caps or keeps is open (either can still be broken until the close)."""
    if reading.final:
        return scoring.final_health(score)
    health = scoring.health(score, reading.expected, config.health)
    if health == "done" and any(kr.kind in ("cap", "keep") and kr.score is not None for kr in krs):
        return "on_track"
    return health


def _touched_positions(okr_set: OkrSet, only: set[tuple[str, str]]) -> dict[int, list[int]]:
    """The touched KRs of this set: their places in it, by objective number."""
    places = _kr_places(okr_set)
    touched: dict[int, list[int]] = {}
    for set_id, kr_id in only:
        if set_id == okr_set.id and kr_id in places:
            number, position = places[kr_id]
            touched.setdefault(number, []).append(position)
    return touched


def _reads_as(
    result: KeyResultReport,
    value: MetricValue,
    kr: KeyResult,
    metric: Metric | None,
    reading: _Reading,
    config: OkrConfig,
) -> bool:
    """A previous KR result is what this metric value gives now: the same value, and the same grade
    at today's expected progress (the result may date from an older one: a KR no event touched
    keeps its result while the expected progress moves on)."""
    if value.stale or "stale" in result.flags or kr.first_reading_due is not None or kr.decide_by is not None:
        return False  # a stale value, or a first reading or a decision that may have fallen due since
    if (result.current, result.count, result.evaluated) != (value.value, value.count, value.evaluated):
        return False
    if result.provenance != value.provenance:
        return False
    kind = kr_kind(kr, metric)
    now = _kr_grade(config, kr, kind, value.value, reading)
    return (result.kind, result.health, result.progress, result.forecast) == (
        kind,
        now.health,
        _rounded(now.progress),
        _rounded(now.forecast),
    )


def _kr_grade(config: OkrConfig, kr: KeyResult, kind: Kind, current: float | None, reading: _Reading) -> Grade:
    return grade(kind, current, kr.baseline, kr.target, reading.expected, reading.final, config.health, kr.keep)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _places_of(okr_set: OkrSet) -> dict[str, tuple[int, int]]:
    """Each KR id of the set → (its objective's index, its index among the objective's KRs)."""
    return {
        kr.id: (number, position)
        for number, objective in enumerate(okr_set.objectives)
        for position, kr in enumerate(objective.key_results)
    }


_kr_places = once_per_object(_places_of, limit=256)


def _objective_json(
    config: OkrConfig, objective: Objective, krs: Sequence[KeyResultReport], reading: _Reading
) -> ObjectiveReport:
    weights = [
        scoring.WeightedScore(result.score, kr.weight) for result, kr in zip(krs, objective.key_results, strict=False)
    ]
    score = scoring.objective_score(weights)
    return ObjectiveReport(
        id=objective.id,
        score=score,
        health=_objective_health(score, krs, reading, config),
        measured=sum(1 for r in krs if r.score is not None),
        total=len(krs),
        key_results=tuple(krs),
    )


def _previous_result(previous: KeyResultReport | None, kr: KeyResult, config: OkrConfig) -> KeyResultReport | None:
    """The KR's previous result, when its definition (metric version, baseline, target) is unchanged."""
    metric = config.metrics.get(kr.metric or "")
    if previous is None or previous.decision is not None or kr.decide_by is not None:
        return None  # a decision moves with the day, and with its terms
    if previous.metric_version != (metric_version(metric) if metric else None):
        return None
    if (previous.baseline, previous.target, previous.kind) != (kr.baseline, kr.target, kr_kind(kr, metric)):
        return None
    if previous.keep != (kr.keep.model_dump(exclude_none=True) if kr.keep is not None else None):
        return None
    return previous


_UNMEASURED = MetricValue(None, 0, "none")


def _evaluate_kr(
    config: OkrConfig,
    okr_set: OkrSet,
    kr: KeyResult,
    reading: _Reading,
    filters: FilterCache,
    values: dict[str, MetricValue],
) -> KeyResultReport:
    metric, value = _kr_value(config, okr_set, reading.cycle, kr, reading.given, filters, values)
    return _kr_result(config, kr, metric, value, reading, filters)


def _kr_value(
    config: OkrConfig,
    okr_set: OkrSet,
    cycle: Cycle,
    kr: KeyResult,
    given: EvaluationInput,
    filters: FilterCache,
    values: dict[str, MetricValue],
) -> tuple[Metric | None, MetricValue]:
    """The KR's metric and its value in the set's cycle (each metric evaluated once per run)."""
    metric = config.metrics.get(kr.metric or "")
    if metric is None or kr.unmeasured:
        return metric, _UNMEASURED
    cache_key = f"{kr.metric}@{okr_set.cycle}"
    if cache_key not in values:
        values[cache_key] = evaluate_metric(kr.metric or "", metric, cycle, given, filters)
    return metric, values[cache_key]


def _kr_result(
    config: OkrConfig,
    kr: KeyResult,
    metric: Metric | None,
    value: MetricValue,
    reading: _Reading,
    filters: FilterCache,
) -> KeyResultReport:
    kind = kr_kind(kr, metric)
    graded = _kr_grade(config, kr, kind, value.value, reading)
    given = reading.given
    scope = _kr_scope(kr, reading, filters)
    delivered = None if scope is None else scope.delivery
    decision = kr_decision(kr, value.value, given.at.astimezone(given.tz).date())
    flags = _kr_flags(kr, value, graded, delivered, given) + decision_flags(decision)
    if scope is not None and scope.descoped:
        flags.append("descoped_work")
    return KeyResultReport(
        id=kr.id,
        metric=kr.metric,
        metric_version=metric_version(metric) if metric else None,
        current=value.value,
        baseline=kr.baseline,
        target=kr.target,
        kind=kind,
        progress=_rounded(graded.progress),
        forecast=_rounded(graded.forecast),
        score=graded.score,
        health=graded.health,
        flags=tuple(flags),
        delivery=None if delivered is None else round(delivered, 4),
        evaluated=value.evaluated,
        count=value.count,
        scope=scope,
        decision=decision,
        provenance=value.provenance,
        keep=kr.keep.model_dump(exclude_none=True) if kr.keep is not None else None,
    )


def _kr_flags(
    kr: KeyResult, value: MetricValue, graded: Grade, delivered: float | None, given: EvaluationInput
) -> list[str]:
    flags = []
    if value.stale:
        flags.append("stale")
    if graded.target_missed:
        flags.append("target_missed")
    if scoring.output_without_outcome(delivered, graded.progress):
        flags.append("output_without_outcome")
    if reading_overdue(kr, given):
        flags.append("reading_overdue")
    return flags


def _kr_scope(kr: KeyResult, reading: _Reading, filters: FilterCache) -> ScopeFacts | None:
    """Delivery over the KR's recorded scope (``given.scopes``; none: the current contributors, as first
    seen at the instant, or at the cycle's start before it has begun)."""
    given = reading.given
    scoped = kr_scope(
        (given.scopes or {}).get((reading.set_id, kr.id)),
        contributor_states(kr.contributors, given, filters),
        max(given.at, cycle_bounds(reading.cycle, given.tz)[0]).astimezone(given.tz),  # before the start: at it
        reading.cycle.start,
        epic_done_lookup(given),
    )
    return None if scoped is None else scoped[1]


def contributor_states(
    contributors: Contributors | None, given: EvaluationInput, filters: FilterCache
) -> dict[str, bool] | None:
    """The contributing epics by key → done (status category Done); None without a contributor set."""
    epics = contributing_epics(contributors, given.documents, given, filters)
    if epics is None:
        return None
    return {str(e.get("key", "")).upper(): e.get("statusCategory") == "done" for e in epics}


def epic_done_lookup(given: EvaluationInput) -> Callable[[str], bool]:
    """Whether the issue with a key is done now (an issue the mirror does not have is not)."""

    def done(key: str) -> bool:
        if given.live is not None:
            document = given.live.by_key(key)
        else:
            document = next((d for d in given.documents if str(d.get("key", "")).upper() == key), None)
        return document is not None and document.get("statusCategory") == "done"

    return done


def reading_overdue(kr: KeyResult, given: EvaluationInput) -> bool:
    """An unmeasured KR whose ``first_reading_due`` date (in the configuration's zone) has passed."""
    due = kr.first_reading_due
    return bool(kr.unmeasured) and due is not None and given.at.astimezone(given.tz).date() > due


def contributing_epics(
    contributors: Contributors | None, documents: Sequence[Document], given: EvaluationInput, filters: FilterCache
) -> list[Document] | None:
    if contributors is None:
        return None
    if contributors.epics is not None:
        wanted = {key.upper() for key in contributors.epics}
        if given.live is not None and documents is given.documents:
            return [d for d in map(given.live.by_key, sorted(wanted)) if d is not None]
        return [d for d in documents if str(d.get("key", "")).upper() in wanted]
    kept = (
        given.live.matching(contributors.jql or "", given.at)
        if given.live is not None and documents is given.documents
        else None
    )
    if kept is not None:
        return kept
    context = given.jql_context
    try:
        matches = filters.get(contributors.jql or "")
        return [d for d in documents if matches(d, context)]
    except JqlUnsupported:  # delivery then comes from a remote search
        return None


def evaluation_input(
    at: datetime,
    config: OkrConfig,
    documents: Sequence[Document],
    measurements: Sequence[Any] = (),
    custom_fields: Mapping[str, str] | None = None,
    remote_values: Mapping[str, MetricValue] | None = None,
    live: IndexedMirror | None = None,
    current_user: str | None = None,
    scopes: Mapping[tuple[str, str], RecordedScope] | None = None,
    sql_values: Mapping[str, MetricValue] | None = None,
) -> EvaluationInput:
    """``live``: the same documents kept in memory (``okr.live``), made for this zone and these fields.
    ``current_user``: whom JQL's ``currentUser()`` means, the service's own account: an account id
    (Cloud) or a user key or name (Data Center), as documents name users; without it
    ``currentUser()`` matches no one."""
    if live is not None and (live.tz != config.zone or live.custom_fields != dict(custom_fields or {})):
        raise ValueError("the live mirror was made for another zone or other custom fields")
    return EvaluationInput(
        at=at,
        tz=config.zone,
        documents=documents,
        measurements=measurements,
        custom_fields=custom_fields or {},
        problem_programs=tuple(config.problem_programs),
        remote_values=remote_values or {},
        live=live,
        current_user=current_user or None,
        scopes=scopes or {},
        sql_values=sql_values or {},
    )
