"""Which key results a changed issue can affect, so a webhook re-evaluates only those (pure).

A KR's metric reads from each matching issue one *entry*: the instant of its date field and the
number it contributes (nothing for a count, the numerator's verdict for a ratio, a field or a
duration). A change affects the metric only when the issue starts or stops matching, or its entry
changes; a change to anything else of a matching issue (its summary, its assignee …) does not.
Contributors and problem programs show more of an issue, so any change of an issue they match counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jql.query import JqlContext, JqlError, query_reads
from mapping.models import KeyResult, Metric, OkrConfig
from okr.fields import changed_fields
from okr.live import Reader, entry_reads, metric_entry
from okr.metrics import FilterCache, Predicate, metric_reader
from okr.problems.action_points import ap_filter

KrRef = tuple[str, str]  # (okr set id, KR id), or (PROGRAM, program id)
PROGRAM = "#program"
Document = Mapping[str, Any]


Entry = Callable[[Document, JqlContext], tuple[float, float] | None]  # okr.live.metric_entry in a context
Reads = tuple[frozenset[str] | None, frozenset[str] | None]  # (the filter's fields, the filter's and the entry's)


@dataclass(frozen=True)
class MetricFilter:
    """A metric's filter and the entry it reads from each matching issue."""

    matches: Predicate
    entry: Entry
    jql: str
    date_field: str
    reader: Reader

    def reads(self, custom_fields: Mapping[str, str]) -> Reads:
        """The fields the filter reads, and those the filter and the entry read; ``None`` when not known."""
        query, entry = query_reads(self.jql, custom_fields), entry_reads(self.date_field, self.reader, custom_fields)
        return query, None if query is None or entry is None else query | entry


@dataclass(frozen=True)
class Rule:
    """KRs fed by the same filters: one decision per change for all of them."""

    krs: tuple[KrRef, ...]
    filters: tuple[Predicate, ...]  # any change of an issue matching one of these affects the KRs
    metric: MetricFilter | None = None


@dataclass
class KrIndex:
    """Every KR with what feeds it: its metric's JQL and entry, its contributors, its problem program."""

    rules: tuple[Rule, ...]
    always: frozenset[KrRef]  # a filter outside the local subset: cannot rule any issue out
    by_epic: Mapping[str, frozenset[KrRef]]  # contributing epics by key
    _reads: dict[frozenset[tuple[str, str]], tuple[Reads, ...]] = field(default_factory=dict)

    def metric_reads(self, custom_fields: Mapping[str, str]) -> tuple[Reads, ...]:
        """What each rule's metric reads, by rule (worked out once per custom field mapping)."""
        key = frozenset(custom_fields.items())
        found = self._reads.get(key)
        if found is None:
            found = tuple(r.metric.reads(custom_fields) if r.metric else (None, None) for r in self.rules)
            if len(self._reads) >= 16:
                self._reads.clear()
            self._reads[key] = found
        return found


def kr_index(config: OkrConfig, cache: FilterCache | None = None) -> KrIndex:
    """Every KR with the issue filters that feed it: its metric's JQL and its contributors."""
    builder = _IndexBuilder(cache or FilterCache())
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                builder.add_kr(config, (okr_set.id, kr.id), kr)
    for program in config.problem_programs:  # programs have work of their own: pages, action points
        builder.add_program(config, program.id)
    return builder.build()


@dataclass
class _IndexBuilder:
    """The KR index as it is built: KRs fed alike share one rule, so one decision per change serves them all."""

    cache: FilterCache
    entries: dict[tuple[Any, ...], Entry] = field(default_factory=dict)
    shared: dict[tuple[int, ...], Any] = field(default_factory=dict)  # one object per distinct set of filters
    rules: dict[tuple[int, int], list[Any]] = field(default_factory=dict)
    always: set[KrRef] = field(default_factory=set)
    by_epic: dict[str, set[KrRef]] = field(default_factory=dict)

    def feed(self, ref: KrRef, compiled: list[Predicate], metric: MetricFilter | None) -> None:
        filters = self.shared.setdefault(tuple(map(id, compiled)), tuple(compiled))
        self.rules.setdefault((id(filters), id(metric)), [[], filters, metric])[0].append(ref)

    def add_kr(self, config: OkrConfig, ref: KrRef, kr: KeyResult) -> None:
        texts: list[str] = []
        metric = config.metrics.get(kr.metric or "")
        kept = (
            _metric_filter(metric, self.cache, self.entries) if metric is not None and metric.source == "jira" else None
        )
        if metric is not None and metric.source == "jira" and kept is None:
            texts += [t for t in (metric.jql, metric.numerator_jql) if t]
        if metric is not None and metric.source == "problems":
            texts += _program_filters(config, metric.program or "")
        contributors = kr.contributors
        if contributors is not None and contributors.jql:
            texts.append(contributors.jql)
        for key in (contributors.epics or []) if contributors else []:
            self.by_epic.setdefault(key.upper(), set()).add(ref)
        compiled, unsupported = _compile_all(texts, self.cache)
        if unsupported:
            self.always.add(ref)
        if compiled or kept:
            self.feed(ref, compiled, self.shared.setdefault((id(kept),), kept) if kept else None)

    def add_program(self, config: OkrConfig, program_id: str) -> None:
        ref = (PROGRAM, program_id)
        compiled, unsupported = _compile_all(_program_filters(config, program_id), self.cache)
        if unsupported:
            self.always.add(ref)
        self.feed(ref, compiled, None)

    def build(self) -> KrIndex:
        return KrIndex(
            tuple(Rule(tuple(krs), filters, metric) for krs, filters, metric in self.rules.values()),
            frozenset(self.always),
            {key: frozenset(refs) for key, refs in self.by_epic.items()},
        )


def _metric_filter(metric: Metric, cache: FilterCache, entries: dict[tuple[Any, ...], Any]) -> MetricFilter | None:
    """The metric's filter with the entry it reads; ``None`` when a query is outside the local subset.
    Metrics that read alike share one filter object (``entries``)."""
    try:
        matches = cache.get(metric.jql or "")
        numerator = cache.get(metric.numerator_jql or "") if metric.effective_aggregate == "ratio" else None
    except JqlError:
        return None
    shape = (metric.jql or "", metric.effective_date_field, metric_reader(metric))
    if shape not in entries:
        entries[shape] = MetricFilter(matches, _entry_reader(shape[1], shape[2], numerator), *shape)
    return entries[shape]


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


def affected_key_results(
    index: KrIndex, before: Document | None, after: Document | None, context: JqlContext
) -> set[KrRef]:
    """KRs whose filters match the issue before or after the change: only these need re-evaluating.
    A metric none of whose fields changed is not tested at all; one whose filter reads none of them
    is tested against the issue once."""
    affected = set(index.always)
    for document in (before, after):
        if document is not None:
            affected |= index.by_epic.get(str(document.get("key", "")).upper(), frozenset())
    changed = changed_fields(before, after) if before is not None and after is not None else None
    reads = index.metric_reads(context.custom_fields) if changed is not None else None
    seen = Seen(before, after, context)
    for number, rule in enumerate(index.rules):
        try:
            hit = any(seen.matches(matches, 0) or seen.matches(matches, 1) for matches in rule.filters) or (
                rule.metric is not None
                and _metric_moved(rule.metric, reads[number] if reads else (None, None), changed, seen)
            )
        except JqlError:  # needs a field the mirror cannot resolve: cannot rule it out
            hit = True
        if hit:
            affected.update(rule.krs)
    return affected


def _metric_moved(metric: MetricFilter, reads: Reads, changed: frozenset[str] | None, seen: Seen) -> bool:
    """Whether the change moves what the metric reads from the issue; never when none of the fields
    it reads changed (``changed``: ``None`` for an issue that appears or goes)."""
    query, both = reads
    if changed is not None and both is not None and both.isdisjoint(changed):
        return False
    same_verdict = changed is not None and query is not None and query.isdisjoint(changed)
    return seen.entry_changed(metric.matches, metric.entry, same_verdict)


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

    def entry_changed(self, matches: Predicate, entry: Entry, same_verdict: bool = False) -> bool:
        """The issue starts or stops matching, or what the metric reads from it changes. With
        ``same_verdict`` (none of the fields the filter reads changed), the filter is tested once."""
        is_now = self.matches(matches, 1)
        was = is_now if same_verdict else self.matches(matches, 0)
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
