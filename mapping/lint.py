"""Lint: warnings about OKRs that will mislead, never silent, never fatal."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass

from jql.parser import parse_jql
from jql.syntax import And, Clause, JqlError, Node, Or, SystemField, Value
from mapping.jql_fields import unknown_fields
from mapping.models import KeyResult, Metric, Objective, OkrConfig, OkrSet
from mapping.stage import stage_mismatches

MAX_OBJECTIVES = {"company": 4, "department": 4, "team": 3}
MIN_KRS, MAX_KRS = 2, 4
# English delivery verbs, matched as whole words at the start of a title ("roll out" is two words).
DELIVERY_VERBS = (
    "launch",
    "ship",
    "release",
    "deliver",
    "build",
    "complete",
    "implement",
    "develop",
    "roll out",
    "create",
    "finish",
    "migrate",
)
# A delivery verb directly followed by one of these is a noun naming a measure ("Build time", "Release
# frequency"), not a task.
MEASURE_WORDS = frozenset(
    "time times cost costs rate rates share count counts duration success failure failures frequency latency".split()
)
# Chinese has no spaces between words: a title starting with one of these is task-shaped.
CHINESE_DELIVERY_VERBS = ("上线", "完成", "开发", "实现", "交付", "发布", "推出", "搭建", "建立", "落地")
# Issue types of planned work, in English and as Chinese Jira names them.
WORK_ITEM_TYPES = frozenset(
    ("story", "task", "epic", "sub-task", "subtask", "故事", "任务", "子任务", "史诗", "长篇故事")
)
_PUNCTUATION = "\"'“”‘’.,;:!?()[]{}«»"
_DONE_FILTER = re.compile(
    r"status(category)?\s*(=|in)\s*(?:\(\s*)?\"?(done|closed|resolved|完成)|resolution\s+is\s+not\s+empty|resolved\s*(>|<|=)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LintFinding:
    rule: str
    where: str  # set-id/objective-id/KR-id, or metrics.<id>
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def lint(config: OkrConfig, site_fields: Mapping[str, str] | None = None) -> list[LintFinding]:
    """``site_fields``: Jira's field names (lower-cased) → ids, when known, for the JQL fields."""
    findings = [*_metric_findings(config)]
    for okr_set in config.okr_sets:
        findings += _set_findings(okr_set)
        findings += [LintFinding("stage-mismatch", *found) for found in stage_mismatches(config, okr_set)]
        for objective in okr_set.objectives:
            findings += _objective_findings(okr_set, objective)
            for kr in objective.key_results:
                findings += _kr_findings(config, f"{okr_set.id}/{objective.id}/{kr.id}", kr)
    return findings + [LintFinding("unknown-field", u.where, u.message) for u in unknown_fields(config, site_fields)]


def _set_findings(okr_set: OkrSet) -> Iterator[LintFinding]:
    limit = MAX_OBJECTIVES[okr_set.level]
    if len(okr_set.objectives) > limit:
        yield LintFinding(
            "too-many-objectives",
            okr_set.id,
            f"{len(okr_set.objectives)} objectives in a {okr_set.level} set; keep at most {limit} to stay focused",
        )


def _objective_findings(okr_set: OkrSet, objective: Objective) -> Iterator[LintFinding]:
    count = len(objective.key_results)
    if not MIN_KRS <= count <= MAX_KRS:
        yield LintFinding(
            "kr-count",
            f"{okr_set.id}/{objective.id}",
            f"{count} key result(s); an objective needs {MIN_KRS}–{MAX_KRS} to be measurable without noise",
        )


def _kr_findings(config: OkrConfig, where: str, kr: KeyResult) -> Iterator[LintFinding]:
    if not kr.metric and not kr.unmeasured:
        yield LintFinding(
            "no-metric", where, "no metric and no 'unmeasured' reason: say how it is measured, or honestly why not yet"
        )
    yield from _task_shaped_findings(config, where, kr)
    if len(kr.owners) > 1 and (kr.accountable is None or kr.accountable not in kr.owners):
        yield LintFinding(
            "shared-kr-owner",
            where,
            f"{len(kr.owners)} owners and no single accountable one: set 'accountable' to one of them",
        )
    if kr.baseline is not None and kr.baseline == kr.target:
        yield LintFinding(
            "baseline-equals-target",
            where,
            f"baseline and target are both {kr.baseline:g}: progress cannot be computed",
        )


def _metric_findings(config: OkrConfig) -> Iterator[LintFinding]:
    for metric_id, metric in config.metrics.items():
        if not (metric.description or "").strip():
            yield LintFinding(
                "metric-description",
                f"metrics.{metric_id}",
                "no description: write the definition so everyone reads the number the same way",
            )


def _task_shaped_findings(config: OkrConfig, where: str, kr: KeyResult) -> Iterator[LintFinding]:
    verb = delivery_verb(kr.title)
    if verb is not None:
        yield LintFinding(
            "task-shaped",
            where,
            f"title {kr.title!r} starts with the delivery verb {verb!r}, so it names an output; phrase the outcome "
            "it should change (a verb used as a noun before a measure word, as in 'Build time', names a measure)",
        )
    metric = config.metrics.get(kr.metric or "")
    if metric is not None and counts_finished_work(metric):
        yield LintFinding(
            "task-shaped",
            where,
            f"metric {kr.metric!r} counts finished work (stories, tasks, epics, sub-tasks or issues by done status "
            "or resolution): that is output, not outcome; measure the change the work should cause instead",
        )


def delivery_verb(title: str) -> str | None:
    """The delivery verb a title starts with, or None.

    An English verb counts as a whole word (or words: "roll out") at the start, unless the next word is
    a measure word ("Build time", "Release frequency": the verb is a noun there); a Chinese verb counts
    at the very start, Chinese having no spaces between words."""
    text = title.strip()
    for verb in CHINESE_DELIVERY_VERBS:
        if text.startswith(verb):
            return verb
    words = [word.strip(_PUNCTUATION) for word in text.lower().split()]
    for verb in DELIVERY_VERBS:
        parts = verb.split()
        if words[: len(parts)] == parts:
            following = words[len(parts)] if len(words) > len(parts) else ""
            return None if following in MEASURE_WORDS else verb
    return None


def counts_finished_work(metric: Metric) -> bool:
    """Whether a Jira metric adds up finished work, which is output: a count of issues by done status or
    resolution (any window), or a count or sum over the cycle (an accumulate or cap KR) of work items
    (stories, tasks, epics, sub-tasks) or of issues by done status or resolution."""
    if metric.source != "jira":
        return False
    aggregate, jql = metric.effective_aggregate, metric.jql or ""
    done = bool(_DONE_FILTER.search(jql))
    if aggregate == "count" and done:
        return True
    return aggregate in ("count", "sum") and metric.window == "cycle" and (done or selects_work_items(jql))


def selects_work_items(jql: str) -> bool:
    """Whether the query picks issues by a work-item type (``issuetype = Story``, ``type in (Task, Bug)``)
    outside a NOT. A query outside the local JQL subset is not read (only the done filter applies to it)."""
    try:
        query = parse_jql(jql)
    except JqlError:
        return False
    if query.where is None:
        return False
    return any(_selects_a_work_type(clause) for clause in _positive_clauses(query.where))


def _positive_clauses(node: Node) -> Iterator[Clause]:
    """The clauses of a query outside any NOT (a negated clause selects the other issues)."""
    if isinstance(node, Clause):
        yield node
    elif isinstance(node, And | Or):
        for item in node.items:
            yield from _positive_clauses(item)


def _selects_a_work_type(clause: Clause) -> bool:
    if clause.field != SystemField("issuetype") or clause.operator not in ("=", "in"):
        return False
    operands = clause.operand if isinstance(clause.operand, tuple) else (clause.operand,)
    return any(isinstance(o, Value) and o.text.strip().lower() in WORK_ITEM_TYPES for o in operands)
