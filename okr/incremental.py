"""Which key results a changed issue can affect, so a webhook re-evaluates only those (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mapping.models import OkrConfig
from okr.jql import JqlContext, JqlError
from okr.metrics import FilterCache, Predicate

KrRef = tuple[str, str]  # (okr set id, KR id), or (PROGRAM, program id)
PROGRAM = "#program"
Document = Mapping[str, Any]


@dataclass(frozen=True)
class KrFilters:
    kr: KrRef
    filters: tuple[Predicate, ...]
    epic_keys: frozenset[str]
    always: bool  # a filter outside the local subset: cannot rule the issue out


def kr_filters(config: OkrConfig, cache: FilterCache | None = None) -> list[KrFilters]:
    """Every KR with the issue filters that feed it: its metric's JQL and its contributors."""
    cache = cache or FilterCache()
    out = []
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                texts = []
                metric = config.metrics.get(kr.metric or "")
                if metric is not None and metric.source == "jira":
                    texts += [t for t in (metric.jql, metric.numerator_jql) if t]
                if metric is not None and metric.source == "problems":
                    texts += _program_filters(config, metric.program or "")
                contributors = kr.contributors
                if contributors is not None and contributors.jql:
                    texts.append(contributors.jql)
                epics = frozenset(k.upper() for k in (contributors.epics or [])) if contributors else frozenset()
                compiled, always = _compile_all(texts, cache)
                if compiled or epics or always:
                    out.append(KrFilters((okr_set.id, kr.id), tuple(compiled), epics, always))
    for program in config.problem_programs:  # programs have work of their own: pages, action points
        compiled, always = _compile_all(_program_filters(config, program.id), cache)
        out.append(KrFilters((PROGRAM, program.id), tuple(compiled), frozenset(), always))
    return out


def _program_filters(config: OkrConfig, program_id: str) -> list[str]:
    """A problem metric reads the program's problems (its sources) and its action points."""
    for program in config.problem_programs:
        if program.id == program_id:
            aps = program.action_points
            ap_filter = f'project = "{aps.project}" AND labels = "{aps.label}"'
            return [source.jql for source in program.sources] + [ap_filter]
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
    verdicts: dict[int, bool] = {}  # KRs share filters: each distinct filter is tested once

    def either_matches(matches: Predicate) -> bool:
        found = verdicts.get(id(matches))
        if found is None:
            found = verdicts[id(matches)] = any(matches(d, context) for d in states)
        return found

    affected = set()
    for entry in index:
        if entry.always or not keys.isdisjoint(entry.epic_keys):
            affected.add(entry.kr)
            continue
        try:
            if any(either_matches(matches) for matches in entry.filters):
                affected.add(entry.kr)
        except JqlError:  # needs a field the mirror cannot resolve: cannot rule it out
            affected.add(entry.kr)
    return affected
