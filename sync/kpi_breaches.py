"""A KPI out of its band for ``breach_after`` becomes a problem (``sync.escalation``): one Jira issue in
the escalation's problem program's project, with the label the program's source selects and the
evidence, so the problem engine counts it like any other problem. Claimed in
``okrsync:kpi-breach:<set>/<metric>``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from mapping.models import Escalation, Kpi, OkrConfig, OkrSet, days
from okr.kpis import breach_evidence, breached_since
from okr.report import KpiReport, Report
from publish.warehouse import band_words
from sync import keys
from sync.escalation import EscalationReport, Watched, watch
from sync.kpis import kpi_readings
from sync.runtime import Runtime

CLAIM_PREFIX = keys.KPI_BREACH_PREFIX


def escalate_kpi_breaches(runtime: Runtime, config: OkrConfig, report: Report, now: datetime) -> EscalationReport:
    """Open the problem issue of every KPI out of band for its ``breach_after``, and note recoveries."""
    done = EscalationReport()
    if runtime.jira is None:
        return done
    for okr_set in config.okr_sets:
        found = report.okr_set(okr_set.id)
        results = {k.metric: k for k in found.kpis} if found else {}
        for kpi in okr_set.kpis:
            if kpi.escalate is not None and kpi.metric in results:
                watch(runtime, _watched(runtime, config, okr_set, kpi, results[kpi.metric], now), now, done)
    return done


def claim_key(set_id: str, metric_id: str) -> str:
    return f"{CLAIM_PREFIX}{set_id}/{metric_id}"


def _watched(
    runtime: Runtime, config: OkrConfig, okr_set: OkrSet, kpi: Kpi, result: KpiReport, now: datetime
) -> Watched:
    readings = kpi_readings(runtime.redis, okr_set.id, kpi.metric) if result.state == "breached" else []
    value = "—" if result.current is None else f"{result.current:g}"
    return Watched(
        name=f"KPI {okr_set.id}/{kpi.metric}",
        claim=claim_key(okr_set.id, kpi.metric),
        out=result.state == "breached",
        back=result.state in ("healthy", "warning"),
        since=breached_since(readings),
        after=timedelta(days=days(kpi.breach_after)),
        fields=partial(breach_fields, config, okr_set, kpi, result, readings),
        again=lambda since: f"{_title(kpi, result)}: out of band again since {since:%Y-%m-%d}.",
        recovered=(
            f"KPI {kpi.metric} is back in its band ({band_words(result.keep)}) as of {now:%Y-%m-%d %H:%M}: now {value}."
        ),
    )


def breach_fields(
    config: OkrConfig, okr_set: OkrSet, kpi: Kpi, result: KpiReport, readings: list[dict[str, Any]], since: datetime
) -> dict[str, Any]:
    """The problem issue, with the evidence: the values since the breach began, the band, the set's page."""
    evidence = "\n".join(f"* {line}" for line in breach_evidence(readings, since))
    description = (
        f"KPI {kpi.metric} of OKR set {okr_set.name} ({okr_set.id}) has been out of its band "
        f"({band_words(result.keep)}) since {since:%Y-%m-%d %H:%M %Z}, longer than {kpi.breach_after}.\n\n"
        f"Values since then:\n{evidence}\n\n{page_words(okr_set)}"
    ).rstrip()
    assert kpi.escalate is not None
    return problem_fields(config, kpi.escalate, f"{_title(kpi, result)} since {since:%Y-%m-%d}", description)


def problem_fields(config: OkrConfig, escalate: Escalation, summary: str, description: str) -> dict[str, Any]:
    """A problem issue in the escalation's project (default: its program's AP project), with its label."""
    program = next(p for p in config.problem_programs if p.id == escalate.program)
    return {
        "project": {"key": escalate.project or program.action_points.project},
        "issuetype": {"name": escalate.issuetype},
        "summary": summary,
        "description": description,
        "labels": [escalate.label],
    }


def page_words(okr_set: OkrSet) -> str:
    target = okr_set.confluence
    return f"See the OKR page '{target.title}' in space {target.space}.\n\n" if target else ""


def _title(kpi: Kpi, result: KpiReport) -> str:
    now = "no value" if result.current is None else f"{result.current:g}"
    return f"KPI {kpi.metric} out of band ({band_words(result.keep)}): now {now}"
