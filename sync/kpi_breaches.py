"""A KPI out of its band for ``breach_after`` becomes a problem: one Jira issue in the escalation's
problem program's project, with the label the program's source selects, so the problem engine counts
it like any other problem. Its recovery, and a later breach, are noted on the same issue as comments.

Each KPI is claimed in Redis (``okrsync:kpi-breach:<set>/<metric>``) before its issue is created, so
repeated or concurrent flushes open one issue, never two; the claim keeps the issue's key for good.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connector.errors import ConnectorError
from mapping.models import Kpi, OkrConfig, OkrSet, days
from okr.kpis import breach_evidence, breached_since
from okr.report import KpiReport, Report
from publish.warehouse import band_words
from sync import keys
from sync.configured import configured_jira
from sync.kpis import kpi_readings
from sync.redis_text import decoded
from sync.runtime import Runtime

log = logging.getLogger(__name__)

CLAIM_PREFIX = keys.KPI_BREACH_PREFIX
CREATING = "creating"
CREATING_SECONDS = 3600  # a claim left by a worker that died while creating is given up after this


@dataclass
class BreachReport:
    opened: list[str] = field(default_factory=list)  # issue keys
    noted: list[str] = field(default_factory=list)  # "KEY: recovered" / "KEY: out of band again"


def escalate_kpi_breaches(runtime: Runtime, config: OkrConfig, report: Report, now: datetime) -> BreachReport:
    """Open the problem issue of every KPI out of band for its ``breach_after``, and note recoveries."""
    done = BreachReport()
    if runtime.jira is None:
        return done
    for okr_set in config.okr_sets:
        found = report.okr_set(okr_set.id)
        results = {k.metric: k for k in found.kpis} if found else {}
        for kpi in okr_set.kpis:
            if kpi.escalate is not None and kpi.metric in results:
                try:
                    _escalate(runtime, config, okr_set, kpi, results[kpi.metric], now, done)
                except ConnectorError as exc:
                    log.warning(
                        "KPI %s/%s breach not escalated (tried again next flush): %s", okr_set.id, kpi.metric, exc
                    )
    return done


def claim_key(set_id: str, metric_id: str) -> str:
    return f"{CLAIM_PREFIX}{set_id}/{metric_id}"


def _escalate(
    runtime: Runtime, config: OkrConfig, okr_set: OkrSet, kpi: Kpi, result: KpiReport, now: datetime, done: BreachReport
) -> None:
    key = claim_key(okr_set.id, kpi.metric)
    raw = runtime.redis.get(key)
    claim = None if raw is None or decoded(raw) == CREATING else json.loads(raw)
    if result.state == "breached":
        readings = kpi_readings(runtime.redis, okr_set.id, kpi.metric)
        since = breached_since(readings)
        if since is None or now - since < timedelta(days=days(kpi.breach_after)):
            return
        if raw is None:
            _open(runtime, config, okr_set, kpi, result, readings, since, done)
        elif claim is not None and claim["recovered"]:
            _note(runtime, key, claim, False, f"{_title(kpi, result)}: out of band again since {since:%Y-%m-%d}.")
            done.noted.append(f"{claim['issue']}: out of band again")
    elif result.state in ("healthy", "warning") and claim is not None and not claim["recovered"]:
        value = "—" if result.current is None else f"{result.current:g}"
        words = f"KPI {kpi.metric} is back in its band ({band_words(result.keep)}) as of {now:%Y-%m-%d %H:%M}"
        _note(runtime, key, claim, True, f"{words}: now {value}.")
        done.noted.append(f"{claim['issue']}: recovered")


def _open(
    runtime: Runtime,
    config: OkrConfig,
    okr_set: OkrSet,
    kpi: Kpi,
    result: KpiReport,
    readings: list[dict[str, Any]],
    since: datetime,
    done: BreachReport,
) -> None:
    key = claim_key(okr_set.id, kpi.metric)
    if not runtime.redis.set(key, CREATING, nx=True, ex=CREATING_SECONDS):
        return
    try:
        created = configured_jira(runtime).create_issue(breach_fields(config, okr_set, kpi, result, readings, since))
    except ConnectorError:
        runtime.redis.delete(key)  # not opened: the next flush tries again
        raise
    issue = str(created["key"])
    runtime.redis.set(key, json.dumps({"issue": issue, "since": since.isoformat(), "recovered": False}))
    log.info("KPI %s/%s out of band since %s: problem %s opened", okr_set.id, kpi.metric, since.isoformat(), issue)
    done.opened.append(issue)


def breach_fields(
    config: OkrConfig, okr_set: OkrSet, kpi: Kpi, result: KpiReport, readings: list[dict[str, Any]], since: datetime
) -> dict[str, Any]:
    """The problem issue: in the escalation's project (default: the program's AP project), with its label
    and the evidence (the values since the breach began, the band, where the set's page is)."""
    escalate = kpi.escalate
    assert escalate is not None
    program = next(p for p in config.problem_programs if p.id == escalate.program)
    page = (
        f"the OKR page '{okr_set.confluence.title}' in space {okr_set.confluence.space}" if okr_set.confluence else None
    )
    evidence = "\n".join(f"* {line}" for line in breach_evidence(readings, since))
    description = (
        f"KPI {kpi.metric} of OKR set {okr_set.name} ({okr_set.id}) has been out of its band "
        f"({band_words(result.keep)}) since {since:%Y-%m-%d %H:%M %Z}, longer than {kpi.breach_after}.\n\n"
        f"Values since then:\n{evidence}\n\n"
        + (f"See {page}.\n\n" if page else "")
        + f"[{_marker(okr_set.id, kpi.metric)}]"
    )
    return {
        "project": {"key": escalate.project or program.action_points.project},
        "issuetype": {"name": escalate.issuetype},
        "summary": f"{_title(kpi, result)} since {since:%Y-%m-%d}",
        "description": description,
        "labels": [escalate.label],
    }


def _title(kpi: Kpi, result: KpiReport) -> str:
    now = "no value" if result.current is None else f"{result.current:g}"
    return f"KPI {kpi.metric} out of band ({band_words(result.keep)}): now {now}"


def _note(runtime: Runtime, key: str, claim: dict[str, Any], recovered: bool, text: str) -> None:
    configured_jira(runtime).add_comment(claim["issue"], f"{text} (OKR Sync)")
    runtime.redis.set(key, json.dumps({**claim, "recovered": recovered}))


def _marker(set_id: str, metric_id: str) -> str:
    return "okrsync-kpi:" + hashlib.sha256(f"{set_id}/{metric_id}".encode()).hexdigest()[:12]
