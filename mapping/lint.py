"""Lint: warnings about OKRs that will mislead, never silent, never fatal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from mapping.models import KeyResult, Metric, Objective, OkrConfig, OkrSet

MAX_OBJECTIVES = {"company": 4, "department": 4, "team": 3}
MIN_KRS, MAX_KRS = 2, 4
DELIVERY_VERBS = ("launch", "ship", "release", "deliver", "build", "complete", "上线", "完成")
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


def lint(config: OkrConfig) -> list[LintFinding]:
    findings = [*_metric_findings(config)]
    for okr_set in config.okr_sets:
        findings += _set_findings(okr_set)
        for objective in okr_set.objectives:
            findings += _objective_findings(okr_set, objective)
            for kr in objective.key_results:
                findings += _kr_findings(config, f"{okr_set.id}/{objective.id}/{kr.id}", kr)
    return findings


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
    if kr.title.strip().lower().startswith(DELIVERY_VERBS):
        yield LintFinding(
            "task-shaped", where, f"title {kr.title!r} describes an output; phrase the outcome it should change"
        )
    metric = config.metrics.get(kr.metric or "")
    if metric is not None and counts_done_issues(metric):
        yield LintFinding(
            "task-shaped", where, f"metric {kr.metric!r} counts finished issues, which is delivery, not an outcome"
        )
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


def counts_done_issues(metric: Metric) -> bool:
    return (
        metric.source == "jira"
        and metric.effective_aggregate == "count"
        and bool(_DONE_FILTER.search(metric.jql or ""))
    )
