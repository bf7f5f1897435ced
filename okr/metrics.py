"""One metric's value at an instant, with how it was obtained."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from typing import Any, Literal

from jql.candidates import name_requirements
from jql.query import JqlContext, JqlError, JqlUnsupported, Query, bound_predicate, compile_jql
from mapping.measurements import Measurement
from mapping.memo import once_per_object
from mapping.models import Cycle, Metric, ProblemProgram, days
from mapping.warehouse import connection_variable
from okr.aggregates import REDUCERS, ratio_percent, reduce_kept
from okr.fields import field_duration, field_finite_number, field_times
from okr.live import IndexedMirror, NameIndex, Reader
from okr.problems.engine import ProblemMemo, evaluate_program, measure
from okr.problems.model import ProgramResult
from okr.scope import RecordedScope
from okr.timeframe import window_bounds

Document = Mapping[str, Any]
Predicate = Callable[[Document, JqlContext], bool]
Evaluated = Literal["local", "remote", "sql", "none"]

_UNIT_SECONDS = {"minutes": 60.0, "hours": 3600.0, "days": 86400.0}


@dataclass(frozen=True)
class MetricValue:
    value: float | None
    count: int  # issues (or measurements) the value was computed from
    evaluated: Evaluated
    measured_at: datetime | None = None
    stale: bool = False
    note: str | None = None  # why there is no value, or where it will come from
    # a source: sql value's origin: connection, query_digest, rows, fetched_at (okr.sql_rows.provenance)
    provenance: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class EvaluationInput:
    at: datetime
    tz: tzinfo
    documents: Sequence[Document]
    measurements: Sequence[Measurement] = ()
    custom_fields: Mapping[str, str] = ()  # type: ignore[assignment]
    problem_programs: Sequence[ProblemProgram] = ()
    # values of metrics outside the local JQL subset, computed through Jira search: "metric@cycle" → value
    remote_values: Mapping[str, MetricValue] = ()  # type: ignore[assignment]
    # the same documents kept in memory with their selections (a long-lived worker's mirror)
    live: IndexedMirror | None = None
    # whom JQL's currentUser() means: the service's own account, as an account id (Cloud) or a user
    # key or name (Data Center), as documents name users; None: currentUser() matches no one
    current_user: str | None = None
    # recorded contributor scopes of this run's cycles (okr.scope): (set id, KR id) → scope
    scopes: Mapping[tuple[str, str], RecordedScope] = ()  # type: ignore[assignment]
    # values of source: sql metrics, from their latest query run: metric id → value (stale when it failed)
    sql_values: Mapping[str, MetricValue] = ()  # type: ignore[assignment]

    def until(self, end: datetime) -> EvaluationInput:
        """This input read at ``end`` when ``at`` lies after it (a closed cycle's numbers), else itself;
        one such input per end instant and run, so that its caches are shared by the sets of a cycle."""
        if self.at <= end:
            return self
        if end not in self._until:
            self._until[end] = replace(self, at=end)
        return self._until[end]

    @cached_property
    def _until(self) -> dict[datetime, EvaluationInput]:
        return {}

    @cached_property
    def jql_context(self) -> JqlContext:
        """One context per run: compiled filters bind to it once."""
        return JqlContext(
            at=self.at, tz=self.tz, custom_fields=dict(self.custom_fields or {}), current_user=self.current_user
        )

    @cached_property
    def listed(self) -> Sequence[Document]:
        """The documents as a list (a live mirror's view is listed once per run, not indexed through)."""
        return self.documents if isinstance(self.documents, list) else list(self.documents)

    @cached_property
    def _instants(self) -> dict[str, list[datetime | None]]:
        return {}

    def instants(self, field: str) -> list[datetime | None]:
        """The field of every document as an aware instant (``okr.fields.field_time``), parsed once per run."""
        if field not in self._instants:
            fields = self.custom_fields or {}
            self._instants[field] = field_times(self.listed, field, fields, self.tz)
        return self._instants[field]

    @cached_property
    def _times(self) -> dict[str, list[float | None]]:
        return {}

    def times(self, field: str) -> list[float | None]:
        """The field of every document as a POSIX timestamp, parsed once per run."""
        if field not in self._times:
            self._times[field] = [m.timestamp() if m is not None else None for m in self.instants(field)]
        return self._times[field]

    @cached_property
    def _ordered(self) -> dict[str, tuple[list[float], list[int]]]:
        return {}

    def ordered_times(self, field: str) -> tuple[list[float], list[int]]:
        """The documents that have the field, ordered by it: the timestamps in order, and the position
        of each one's document (a window is then a slice, found by bisection)."""
        if field not in self._ordered:
            pairs = sorted((moment, i) for i, moment in enumerate(self.times(field)) if moment is not None)
            self._ordered[field] = ([moment for moment, _ in pairs], [i for _, i in pairs])
        return self._ordered[field]

    @cached_property
    def _verdicts(self) -> dict[str, list[bool | None]]:
        return {}

    @cached_property
    def _names(self) -> NameIndex:
        return NameIndex(dict(enumerate(self.listed)))

    def _first_verdicts(self, matches: Predicate) -> list[bool | None]:
        """No verdict yet, except ``False`` for the documents that lack the names the query requires
        (``jql.candidates``): those are never tested."""
        query = getattr(matches, "query", None)
        candidates = self._names.candidates(name_requirements(query)) if isinstance(query, Query) else None
        if candidates is None:
            return [None] * len(self.listed)
        verdicts: list[bool | None] = [False] * len(self.listed)
        for i in candidates:
            verdicts[i] = None
        return verdicts

    def tested(self, jql: str, matches: Predicate, positions: Iterable[int]) -> list[int]:
        """The positions among ``positions`` whose document the JQL matches; each document is tested
        once per JQL and run, however many windows and date fields ask."""
        verdicts = self._verdicts.get(jql)
        if verdicts is None:
            verdicts = self._verdicts[jql] = self._first_verdicts(matches)
        documents, hits = self.listed, bound_predicate(matches, self.jql_context)
        positions = positions if isinstance(positions, list) else list(positions)
        for i in [i for i in positions if verdicts[i] is None]:
            verdicts[i] = bool(hits(documents[i]))
        return [i for i in positions if verdicts[i]]

    @cached_property
    def _selections(self) -> dict[tuple[str, str, str, str], list[int]]:
        return {}

    def window_seconds(self, window: str, cycle: Cycle) -> tuple[float, float]:
        """The window's bounds at ``at`` as POSIX timestamps, worked out once per run."""
        key = (window, cycle.id)
        if key not in self._windows:
            start, end = window_bounds(window, cycle, self.at, self.tz)
            self._windows[key] = (start.timestamp(), end.timestamp())
        return self._windows[key]

    @cached_property
    def _windows(self) -> dict[tuple[str, str], tuple[float, float]]:
        return {}

    @cached_property
    def _live_values(self) -> dict[tuple[Any, ...], MetricValue | None]:
        return {}

    @cached_property
    def _program_results(self) -> dict[str, ProgramResult]:
        return {}


class FilterCache:
    """Each JQL text compiled once per evaluation run."""

    def __init__(self) -> None:
        self._compiled: dict[str, Predicate | JqlError] = {}

    def get(self, jql: str) -> Predicate:
        if jql not in self._compiled:
            try:
                self._compiled[jql] = compile_jql(jql)
            except JqlError as exc:
                self._compiled[jql] = exc
        found = self._compiled[jql]
        if isinstance(found, JqlError):
            raise found
        return found


def evaluate_metric(
    metric_id: str, metric: Metric, cycle: Cycle, given: EvaluationInput, filters: FilterCache
) -> MetricValue:
    if metric.source == "push":
        return latest_measurement(metric_id, metric, given)
    if metric.source == "problems":
        return _problems_metric(metric, given, filters)
    if metric.source == "sql":
        return sql_metric(metric_id, metric, given)
    try:
        return _jira_metric(metric, cycle, given, filters)
    except JqlUnsupported as exc:
        remote = dict(given.remote_values or {}).get(remote_key(metric_id, cycle.id))
        if remote is not None:
            return remote
        return MetricValue(
            None, 0, "remote", note=f"outside the local JQL subset ({exc}); evaluated through Jira search"
        )


def sql_metric(metric_id: str, metric: Metric, given: EvaluationInput) -> MetricValue:
    """The value of the metric's latest query run (a query reads the warehouse as it is now): none before
    the first run."""
    found = dict(given.sql_values or {}).get(metric_id)
    if found is None:
        variable = connection_variable(metric.connection or "")
        return MetricValue(None, 0, "none", note=f"not fetched from connection {metric.connection!r} yet ({variable})")
    return found


def remote_key(metric_id: str, cycle_id: str) -> str:
    return f"{metric_id}@{cycle_id}"


def aggregate_documents(metric: Metric, documents: Sequence[Document], given: EvaluationInput) -> MetricValue:
    """A metric over documents already known to match its JQL and window (from a remote search)."""
    aggregate = metric.effective_aggregate
    if aggregate in ("count", "ratio"):
        raise ValueError(f"{aggregate} is computed from counts, not documents")
    numbers = _durations(metric, documents, given) if metric.duration else _values(metric, documents, given)
    value = REDUCERS[aggregate](numbers)
    return MetricValue(value, len(numbers), "remote", note=_no_value_note(value, len(numbers)))


def program_result(program: ProblemProgram, given: EvaluationInput, filters: FilterCache) -> ProgramResult:
    """A problem program evaluated once per run, shared by its metrics and the report."""
    if program.id not in given._program_results:
        given._program_results[program.id] = _evaluate_program(program, given, filters)
    return given._program_results[program.id]


def _evaluate_program(program: ProblemProgram, given: EvaluationInput, filters: FilterCache) -> ProgramResult:
    """Over a long-lived mirror, from its kept queries and with the problems it remembers for the
    program, when the evaluation reads the mirror's tz and custom fields; otherwise by a pass."""
    live = given.live
    if (
        live is None
        or not live.holds(given.documents)
        or live.tz != given.tz
        or live.custom_fields != dict(given.custom_fields or {})
    ):
        return evaluate_program(program, given, filters.get)
    return evaluate_program(
        program, given, filters.get, lambda jql: live.matching(jql, given.at), live.memo(program, ProblemMemo)
    )


def _problems_metric(metric: Metric, given: EvaluationInput, filters: FilterCache) -> MetricValue:
    program = next((p for p in given.problem_programs if p.id == metric.program), None)
    if program is None:
        return MetricValue(None, 0, "none", note=f"problem program {metric.program!r} is not part of this evaluation")
    value, count, note = measure(program_result(program, given, filters), metric.measure or "")
    return MetricValue(value, count, "local", note=note)


def _jira_metric(metric: Metric, cycle: Cycle, given: EvaluationInput, filters: FilterCache) -> MetricValue:
    kept = _live_metric(metric, cycle, given)
    if kept is not None:
        return kept
    positions = _in_window(metric, cycle, given, filters.get(metric.jql or ""))
    aggregate = metric.effective_aggregate
    if aggregate == "count":
        return MetricValue(float(len(positions)), len(positions), "local")
    if aggregate == "ratio":
        hits = len(given.tested(metric.numerator_jql or "", filters.get(metric.numerator_jql or ""), positions))
        value = ratio_percent(hits, len(positions))
        return MetricValue(
            value, len(positions), "local", note=None if value is not None else "no issues in the denominator"
        )
    if metric.duration:
        numbers = _durations_at(metric, positions, given)
    else:
        numbers = _values(metric, [given.listed[i] for i in positions], given)
    value = REDUCERS[aggregate](numbers)
    return MetricValue(value, len(numbers), "local", note=_no_value_note(value, len(numbers)))


def _live_metric(metric: Metric, cycle: Cycle, given: EvaluationInput) -> MetricValue | None:
    """The metric from the live mirror's selection; ``None`` when its queries are not kept there."""
    live = given.live
    if live is None:
        return None
    shape = (_shape_of(metric), cycle.id)
    if shape not in given._live_values:  # metrics defined alike share one value
        given._live_values[shape] = _kept_value(live, metric, cycle, given, shape[0][2])
    return given._live_values[shape]


def keep_selections(metrics: Iterable[Metric], given: EvaluationInput) -> None:
    """Have the live mirror make the selections of these metrics it does not keep yet, together
    (``IndexedMirror.keep_selections``: one pass over the issues per query, not per selection)."""
    if given.live is not None:
        shapes = [_shape_of(m)[:3] for m in metrics if m.source == "jira" and m.jql]
        given.live.keep_selections(shapes, given.at)


def _metric_shape(metric: Metric) -> tuple[str, str, Reader, str, str]:
    """What a metric's value depends on, besides the cycle: metrics alike share one value."""
    return (
        metric.jql or "",
        metric.effective_date_field,
        metric_reader(metric),
        metric.effective_aggregate,
        metric.window,
    )


_shape_of = once_per_object(_metric_shape)


def _kept_value(
    live: IndexedMirror, metric: Metric, cycle: Cycle, given: EvaluationInput, reader: Reader
) -> MetricValue | None:
    selection = live.selection(metric.jql or "", metric.effective_date_field, reader, given.at)
    if selection is None:
        return None
    start, end = given.window_seconds(metric.window, cycle)
    aggregate = metric.effective_aggregate
    if aggregate == "count":
        count = selection.count(start, end)
        return MetricValue(float(count), count, "local")
    kept = selection.window(f"{metric.window}@{cycle.id}", start, end)
    count = len(kept.values)
    if aggregate == "ratio":
        value = ratio_percent(int(kept.exact_sum), count)
        return MetricValue(value, count, "local", note=None if value is not None else "no issues in the denominator")
    value = reduce_kept(aggregate, kept.values, kept.exact_sum)
    return MetricValue(value, count, "local", note=_no_value_note(value, count))


def _no_value_note(value: float | None, count: int) -> str | None:
    if value is not None:
        return None
    return "no values in the window" if not count else "the sum of the values is beyond the range of numbers"


def metric_reader(metric: Metric) -> Reader:
    """What the metric reads from each matching issue (``okr.live.metric_entry``)."""
    if metric.effective_aggregate == "count":
        return ("count",)
    if metric.effective_aggregate == "ratio":
        return ("ratio", metric.numerator_jql or "")
    if metric.duration is not None:
        return ("duration", metric.duration.from_, metric.duration.to, _UNIT_SECONDS[metric.duration.unit])
    return ("field", metric.value_field or "")


def counted_documents(
    metric: Metric, cycle: Cycle, given: EvaluationInput, filters: FilterCache
) -> list[Document] | None:
    """The issues a ``source: jira`` metric counts in its window (a ratio's denominator), for the pages to
    list them; None for the other sources and for JQL outside the local subset."""
    if metric.source != "jira":
        return None
    try:
        positions = _in_window(metric, cycle, given, filters.get(metric.jql or ""))
    except JqlError:
        return None
    return [given.documents[i] for i in positions]


def _in_window(metric: Metric, cycle: Cycle, given: EvaluationInput, matches: Predicate) -> list[int]:
    """The positions of the documents matching the metric's JQL whose date field lies in its window
    (shared across metrics), in the order of that field."""
    field = metric.effective_date_field
    key = (metric.jql or "", metric.window, field, cycle.id)
    if key not in given._selections:
        start, end = given.window_seconds(metric.window, cycle)
        moments, positions = given.ordered_times(field)
        inside = positions[bisect_left(moments, start) : bisect_right(moments, end)] if start <= end else []
        given._selections[key] = given.tested(metric.jql or "", matches, inside)
    return given._selections[key]


def _values(metric: Metric, documents: Sequence[Document], given: EvaluationInput) -> list[float]:
    numbers = (field_finite_number(d, metric.value_field or "", given.custom_fields or {}) for d in documents)
    return [n for n in numbers if n is not None]


def _durations(metric: Metric, documents: Sequence[Document], given: EvaluationInput) -> list[float]:
    duration, fields = metric.duration, given.custom_fields or {}
    assert duration is not None
    unit = _UNIT_SECONDS[duration.unit]
    found = (field_duration(d, duration.from_, duration.to, unit, fields, given.tz) for d in documents)
    return [n for n in found if n is not None]


def _durations_at(metric: Metric, positions: Iterable[int], given: EvaluationInput) -> list[float]:
    """``_durations`` of the documents at these positions, from the instants parsed once per run."""
    duration = metric.duration
    assert duration is not None
    unit = _UNIT_SECONDS[duration.unit]
    begins, ends = given.instants(duration.from_), given.instants(duration.to)
    found = []
    for i in positions:
        begin, end = begins[i], ends[i]
        if begin is not None and end is not None:
            found.append((end - begin).total_seconds() / unit)
    return found


def latest_measurement(metric_id: str, metric: Metric, given: EvaluationInput) -> MetricValue:
    """The newest pushed value at or before ``at``; ``stale`` once it is older than ``stale_after``."""
    candidates = [m for m in given.measurements if m.metric == metric_id and m.at <= given.at]
    if not candidates:
        return MetricValue(None, 0, "none", note="no measurement pushed yet")
    newest = max(candidates, key=lambda m: m.at)
    stale = metric.stale_after is not None and given.at - newest.at > timedelta(days=days(metric.stale_after))
    return MetricValue(newest.value, 1, "local", measured_at=newest.at, stale=stale)
