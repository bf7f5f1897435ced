"""A set's KPIs in the ``okrsync.status`` property of the set's ``jira_issue`` (pure).

    writes = with_kpi_properties(writes, config, report, as_of)

The set's issue gets ``"okr_set"`` and ``"kpis"`` (each KPI's metric, value, band, state, whether it
is healthy and its provenance). When the same issue is also a KR's ``jira_issue``, the KPIs are added
to that KR's planned property write (so neither overwrites the other); such an issue's KPIs are
written whenever its KR's property is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mapping.models import OkrConfig
from okr.report import Report
from publish.jira import Write

_SHOWN = ("metric", "current", "healthy", "state", "keep", "warn", "stale", "evaluated")


def with_kpi_properties(writes: Sequence[Write], config: OkrConfig, report: Report, as_of: datetime) -> list[Write]:
    planned = {w.target: n for n, w in enumerate(writes)}
    kr_issues = {
        kr.jira_issue.upper() for s in config.okr_sets for o in s.objectives for kr in o.key_results if kr.jira_issue
    }
    result = list(writes)
    for okr_set in config.okr_sets:
        found = report.okr_set(okr_set.id)
        if not okr_set.jira_issue or not okr_set.kpis or found is None:
            continue
        issue = okr_set.jira_issue.upper()
        kpis = {"okr_set": okr_set.id, "kpis": [_kpi_status(k.to_dict()) for k in found.kpis]}
        target = f"property:{issue}"
        if target in planned:
            was = result[planned[target]]
            result[planned[target]] = Write(
                target, "property", issue, {**was.payload, **kpis}, {"key_results": was.content, **kpis}
            )
        elif issue not in kr_issues:
            result.append(Write(target, "property", issue, {"as_of": as_of.isoformat(), **kpis}, kpis))
    return result


def _kpi_status(kpi: dict[str, Any]) -> dict[str, Any]:
    status = {name: kpi.get(name) for name in _SHOWN}
    if kpi.get("provenance"):
        status["provenance"] = kpi["provenance"]
    return status
