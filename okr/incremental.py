"""Which key results a changed issue can affect, so a webhook re-evaluates only those (pure).

A KR's metric reads from each matching issue one *entry*: the instant of its date field and the
number it contributes (nothing for a count, the numerator's verdict for a ratio, a field or a
duration). A change affects the metric only when the issue starts or stops matching, or its entry
changes; a change to anything else of a matching issue (its summary, its assignee …) does not.
Contributors and problem programs show more of an issue, so any change of an issue they match counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mapping.models import Metric, OkrConfig
from okr.live import Reader, metric_entry
from okr.problems_aps import ap_filter
from okr.jql import JqlContext, JqlError
from okr.metrics import FilterCache, Predicate, metric_reader

KrRef = tuple[str, str]  # (okr set id, KR id), or (PROGRAM, program id)
PROGRAM = "#program"
Document = Mapping[str, Any]


Entry = Callable[[Document, JqlContext], tuple[float, float] | None]  # okr.live.metric_entry in a context


@dataclass(frozen=True)
class KrFilters:
    kr: KrRef
    filters: tuple[Predicate, ...]  # any change of an issue matching one of these affects the KR
    epic_keys: frozenset[str]
    always: bool  # a filter outside the local subset: cannot rule the issue out
    metric: tuple[Predicate, Entry] | None = None  # the metric's filter and the entry it reads


def kr_filters(config: OkrConfig, cache: FilterCache | None = None) -> list[KrFilters]:
    """Every KR with the issue filters that feed it: its metric's JQL and its contributors."""
    cache = cache or FilterCache()
    entries: dict[tuple[Any, ...], Entry] = {}
    shared: dict[tuple[int, ...], Any] = {}  # one object per distinct set of filters, so KRs alike share decisions
    out = []
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                texts = []
                metric = config.metrics.get(kr.metric or "")
                kept = _metric_filter(metric, cache, entries) if metric is not None and metric.source == "jira" else None
                if metric is not None and metric.source == "jira" and kept is None:
                    texts += [t for t in (metric.jql, metric.numerator_jql) if t]
                if metric is not None and metric.source == "problems":
                    texts += _program_filters(config, metric.program or "")
                contributors = kr.contributors
                if contributors is not None and contributors.jql:
                    texts.append(contributors.jql)
                epics = frozenset(k.upper() for k in (contributors.epics or [])) if contributors else frozenset()
                compiled, always = _compile_all(texts, cache)
                if compiled or epics or always or kept:
                    filters = shared.setdefault(tuple(map(id, compiled)), tuple(compiled))
                    kept = shared.setdefault(tuple(map(id, kept)), kept) if kept else None
                    out.append(KrFilters((okr_set.id, kr.id), filters, epics, always, kept))
    for program in config.problem_programs:  # programs have work of their own: pages, action points
        compiled, always = _compile_all(_program_filters(config, program.id), cache)
        out.append(KrFilters((PROGRAM, program.id), tuple(compiled), frozenset(), always))
    return out


def _metric_filter(metric: Metric, cache: FilterCache, entries: dict[tuple[Any, ...], Entry]) -> tuple[Predicate, Entry] | None:
    """The metric's filter with the entry it reads; ``None`` when a query is outside the local subset.
    Metrics that read alike share one entry reader (``entries``)."""
    try:
        matches = cache.get(metric.jql or "")
        numerator = cache.get(metric.numerator_jql or "") if metric.effective_aggregate == "ratio" else None
    except JqlError:
        return None
    shape = (metric.effective_date_field, metric_reader(metric))
    if shape not in entries:
        entries[shape] = _entry_reader(*shape, numerator)
    return matches, entries[shape]


def _entry_reader(date_field: str, reader: Reader, numerator: Predicate | None) -> Entry:
    def entry(document: Document, context: JqlContext) -> tuple[float, float] | None:
        hits = None if numerator is None else lambda d: numerator(d, context)
        return metric_entry(document, date_field, reader, context.custom_fields, context.tz, hits)

    return entry


def _program_filters(config: OkrConfig, program_id: str) -> list[str]:
    """A problem metric reads the program's problems (its sources) and its action points."""
    for program in config.problem_programs:
        if program.id == program_id:
            return [source.jql for source in program.sources] + [ap_filter(program.action_points)]
    return []


def _compile_all(texts: list[str], cache: FilterCache) -> tuple[list[Predicate], bool]:
    compiled, always = [], False
    for text in texts:
        try:
            compiled.append(cache.get(text))
        except JqlError:  # unsupported locally (or evaluated remotely): it may match anything
            always = True
    return compiled, always


def affected_key_results(index: list[KrFilters], before: Document | None, after: Document | None,
                         context: JqlContext) -> set[KrRef]:
    """KRs whose filters match the issue before or after the change: only these need re-evaluating."""
    states = [d for d in (before, after) if d is not None]
    keys = {str(d.get("key", "")).upper() for d in states}
    seen = Seen(before, after, context)

    def either_matches(matches: Predicate) -> bool:
        return seen.matches(matches, 0) or seen.matches(matches, 1)

    affected = set()
    decided: dict[tuple[int, int], bool] = {}  # KRs that read alike share one decision
    for entry in index:
        if entry.always or (entry.epic_keys and not keys.isdisjoint(entry.epic_keys)):
            affected.add(entry.kr)
            continue
        alike = (id(entry.filters), id(entry.metric))
        hit = decided.get(alike)
        if hit is None:
            try:
                hit = any(either_matches(matches) for matches in entry.filters) or (
                    entry.metric is not None and seen.entry_changed(*entry.metric))
            except JqlError:  # needs a field the mirror cannot resolve: cannot rule it out
                hit = True
            decided[alike] = hit
        if hit:
            affected.add(entry.kr)
    return affected


class Seen:
    """One change's verdicts and entries, each worked out once however many KRs share a filter."""

    def __init__(self, before: Document | None, after: Document | None, context: JqlContext) -> None:
        self._states, self._context = (before, after), context
        self._verdicts: dict[tuple[int, int], bool] = {}
        self._entries: dict[tuple[int, int], tuple[float, float] | None] = {}

    def matches(self, predicate: Predicate, state: int) -> bool:
        key = (id(predicate), state)
        if key not in self._verdicts:
            document = self._states[state]
            self._verdicts[key] = document is not None and predicate(document, self._context)
        return self._verdicts[key]

    def entry_changed(self, matches: Predicate, entry: Entry) -> bool:
        """The issue starts or stops matching, or what the metric reads from it changes."""
        was, is_now = self.matches(matches, 0), self.matches(matches, 1)
        if was != is_now:
            return True
        return was and self._entry(entry, 0) != self._entry(entry, 1)

    def _entry(self, entry: Entry, state: int) -> tuple[float, float] | None:
        key = (id(entry), state)
        if key not in self._entries:
            document = self._states[state]
            assert document is not None
            self._entries[key] = entry(document, self._context)
        return self._entries[key]
