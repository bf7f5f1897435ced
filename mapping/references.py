"""Cross-references the models cannot check one by one: ids, cycles, metrics, alignments, programs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from mapping.errors import ConfigProblem
from mapping.models import OkrConfig, OkrSet, ProblemCategory


def reference_problems(config: OkrConfig) -> list[ConfigProblem]:
    return [
        *_duplicates("cycles", [c.id for c in config.cycles]),
        *_duplicates("okr_sets", [s.id for s in config.okr_sets]),
        *_duplicates("problem_programs", [p.id for p in config.problem_programs]),
        *_set_problems(config),
        *_metric_problems(config),
        *_program_problems(config),
        *_jql_problems(config),
    ]


def _duplicates(path: str, ids: Iterable[str]) -> list[ConfigProblem]:
    ids = list(ids)
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    return [ConfigProblem(f"{path}[{ids.index(i, ids.index(i) + 1)}].id", f"duplicate id {i!r}") for i in repeated]


def _set_problems(config: OkrConfig) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    cycles = {c.id for c in config.cycles}
    objectives = {(s.id, o.id) for s in config.okr_sets for o in s.objectives}
    for s_index, okr_set in enumerate(config.okr_sets):
        here = f"okr_sets[{s_index}]"
        if okr_set.cycle not in cycles:
            problems.append(
                ConfigProblem(f"{here}.cycle", f"unknown cycle {okr_set.cycle!r} (expected one of {sorted(cycles)})")
            )
        problems += _alignment_problems(okr_set, here, objectives)
        problems += _duplicates(f"{here}.objectives", [o.id for o in okr_set.objectives])
        problems += _duplicate_kr_problems(okr_set, here)
        problems += _kr_metric_problems(okr_set, here, config)
        problems += _kpi_problems(okr_set, here, config)
    return problems


def _kpi_problems(okr_set: OkrSet, here: str, config: OkrConfig) -> list[ConfigProblem]:
    """Each KPI names a defined metric, once per set."""
    problems = []
    seen: set[str] = set()
    for index, kpi in enumerate(okr_set.kpis):
        if kpi.metric not in config.metrics:
            problems.append(
                ConfigProblem(
                    f"{here}.kpis[{index}].metric", f"unknown metric {kpi.metric!r} (define it under metrics)"
                )
            )
        elif kpi.escalate is not None and kpi.escalate.program not in {p.id for p in config.problem_programs}:
            problems.append(
                ConfigProblem(
                    f"{here}.kpis[{index}].escalate.program",
                    f"unknown problem program {kpi.escalate.program!r} (define it under problem_programs)",
                )
            )
        elif kpi.metric in seen:
            problems.append(
                ConfigProblem(f"{here}.kpis[{index}].metric", f"{kpi.metric!r} is already a KPI of this set")
            )
        seen.add(kpi.metric)
    return problems


def _alignment_problems(okr_set: OkrSet, here: str, objectives: set[tuple[str, str]]) -> list[ConfigProblem]:
    if not okr_set.aligns_to:
        return []
    target = tuple(okr_set.aligns_to.split("/", 1))
    if target not in objectives:
        return [
            ConfigProblem(f"{here}.aligns_to", f"no objective {okr_set.aligns_to!r} (expected set-id/objective-id)")
        ]
    if target[0] == okr_set.id:
        return [ConfigProblem(f"{here}.aligns_to", "a set cannot align to its own objective")]
    return []


def _duplicate_kr_problems(okr_set: OkrSet, here: str) -> list[ConfigProblem]:
    problems = []
    seen: set[str] = set()
    for o_index, objective in enumerate(okr_set.objectives):
        for k_index, kr in enumerate(objective.key_results):
            if kr.id in seen:
                problems.append(
                    ConfigProblem(
                        f"{here}.objectives[{o_index}].key_results[{k_index}].id",
                        f"duplicate KR id {kr.id!r} in set {okr_set.id!r}",
                    )
                )
            seen.add(kr.id)
    return problems


def _kr_metric_problems(okr_set: OkrSet, here: str, config: OkrConfig) -> list[ConfigProblem]:
    programs = {p.id for p in config.problem_programs}
    escalations = [
        ConfigProblem(
            f"{here}.objectives[{o_index}].key_results[{k_index}].escalate.program",
            f"unknown problem program {kr.escalate.program!r} (define it under problem_programs)",
        )
        for o_index, objective in enumerate(okr_set.objectives)
        for k_index, kr in enumerate(objective.key_results)
        if kr.escalate is not None and kr.escalate.program not in programs
    ]
    return (
        escalations
        + _drives_problems(okr_set, here, config)
        + [
            ConfigProblem(
                f"{here}.objectives[{o_index}].key_results[{k_index}].metric",
                f"unknown metric {kr.metric!r} (define it under metrics)",
            )
            for o_index, objective in enumerate(okr_set.objectives)
            for k_index, kr in enumerate(objective.key_results)
            if kr.metric and kr.metric not in config.metrics
        ]
    )


def _drives_problems(okr_set: OkrSet, here: str, config: OkrConfig) -> list[ConfigProblem]:
    """Each KR a leading KR drives exists, and is another KR."""
    known = {f"{s.id}/{kr.id}" for s in config.okr_sets for o in s.objectives for kr in o.key_results}
    problems = []
    for o_index, objective in enumerate(okr_set.objectives):
        for k_index, kr in enumerate(objective.key_results):
            for d_index, ref in enumerate(kr.drives):
                where = f"{here}.objectives[{o_index}].key_results[{k_index}].drives[{d_index}]"
                if ref not in known:
                    problems.append(ConfigProblem(where, f"no KR {ref!r} (expected set-id/KR-id of a KR it drives)"))
                elif ref == f"{okr_set.id}/{kr.id}":
                    problems.append(ConfigProblem(where, "a KR cannot drive itself"))
    return problems


def _metric_problems(config: OkrConfig) -> list[ConfigProblem]:
    programs = {p.id for p in config.problem_programs}
    return [
        ConfigProblem(
            f"metrics.{metric_id}.program",
            f"unknown problem program {metric.program!r} (expected one of {sorted(programs)})",
        )
        for metric_id, metric in config.metrics.items()
        if metric.source == "problems" and metric.program not in programs
    ]


def _program_problems(config: OkrConfig) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for p_index, program in enumerate(config.problem_programs):
        here = f"problem_programs[{p_index}]"
        problems += _duplicates(f"{here}.sources", [s.id for s in program.sources])
        problems += _shared_category_labels(f"{here}.classify.labels", program.classify.labels or {})
        if program.theme.partition(":")[2].strip() == "" and program.theme != "component":
            problems.append(
                ConfigProblem(
                    f"{here}.theme",
                    f"{program.theme!r} names no prefix or field (expected label:<prefix> or field:<name>)",
                )
            )
    return problems


def _shared_category_labels(path: str, labels: dict[ProblemCategory, str]) -> list[ConfigProblem]:
    """Two categories on one label would make every such problem `cross`."""
    owners: dict[str, list[ProblemCategory]] = {}
    for category, label in labels.items():
        owners.setdefault(label.strip().lower(), []).append(category)
    return [
        ConfigProblem(path, f"{' and '.join(categories)} share the label {label!r}; give each category its own label")
        for label, categories in owners.items()
        if len(categories) > 1
    ]


def _jql_problems(config: OkrConfig) -> list[ConfigProblem]:
    """Malformed JQL is an error; valid JQL outside the local subset is fine (evaluated remotely)."""
    from jql.query import JqlError, JqlUnsupported, parse_jql

    problems = []
    for path, text in jql_texts(config):
        try:
            parse_jql(text)
        except JqlUnsupported:
            continue
        except JqlError as exc:
            problems.append(ConfigProblem(path, f"malformed JQL: {exc}"))
    return problems


def jql_texts(config: OkrConfig) -> Iterable[tuple[str, str]]:
    for metric_id, metric in config.metrics.items():
        for name in ("jql", "numerator_jql"):
            text = getattr(metric, name)
            if text:
                yield f"metrics.{metric_id}.{name}", text
    for s_index, okr_set in enumerate(config.okr_sets):
        for o_index, objective in enumerate(okr_set.objectives):
            for k_index, kr in enumerate(objective.key_results):
                if kr.contributors is not None and kr.contributors.jql:
                    yield (
                        f"okr_sets[{s_index}].objectives[{o_index}].key_results[{k_index}].contributors.jql",
                        kr.contributors.jql,
                    )
    for p_index, program in enumerate(config.problem_programs):
        for i_index, source in enumerate(program.sources):
            yield f"problem_programs[{p_index}].sources[{i_index}].jql", source.jql
