"""What to write into Jira for an evaluation (DESIGN §6), as plain data (pure).

Every write carries a *content* part (what the numbers say) and a volatile part (as-of time, the
trigger). Only a change of content is a reason to write, so a recomputation that finds the same
numbers writes nothing and the service's own writes cannot start a feedback loop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mapping.models import OkrConfig

STATUS_PROPERTY = "okrsync.status"
KrRef = tuple[str, str]

HEALTH_WORDS = {"done": "done", "on_track": "on track", "at_risk": "at risk",
                "off_track": "off track", "not_measured": "not measured"}


@dataclass(frozen=True)
class Write:
    target: str  # what is remembered as written: "property:SHOP-1", "comment:OKR-7"
    kind: Literal["property", "fields", "comment"]
    issue: str
    payload: Any
    content: Any = field(compare=False)  # the part whose change justifies the write

    @property
    def digest(self) -> str:
        return content_digest(self.content)


def content_digest(content: Any) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:32]


def kr_statuses(config: OkrConfig, report: Mapping[str, Any]) -> dict[KrRef, dict[str, Any]]:
    """Each KR's result with the words a reader needs (titles, objective, unit)."""
    titles = {(s.id, kr.id): (o.id, kr.title, config.metrics.get(kr.metric or ""))
              for s in config.okr_sets for o in s.objectives for kr in o.key_results}
    statuses = {}
    for okr_set in report["okr_sets"]:
        for objective in okr_set["objectives"]:
            for result in objective["key_results"]:
                ref = (okr_set["id"], result["id"])
                objective_id, title, metric = titles[ref]
                statuses[ref] = {
                    "okr_set": okr_set["id"], "objective": objective_id, "kr": result["id"], "title": title,
                    "unit": metric.unit if metric else None, "expected": okr_set["expected"],
                    **{k: result[k] for k in ("current", "baseline", "target", "progress", "score", "health",
                                              "flags", "delivery", "metric", "metric_version", "evaluated", "count")},
                }
    return statuses


def plan_writes(config: OkrConfig, statuses: Mapping[KrRef, dict[str, Any]], epics: Mapping[KrRef, list[str]],
                as_of: datetime, trigger: Mapping[str, str], refs: set[KrRef] | None = None) -> list[Write]:
    """The status property of every contributing epic and of every KR's own Jira issue.

    ``refs`` limits the plan to the targets those KRs feed (an epic's property still lists all of
    its KRs, so it is rendered whole).
    """
    by_issue: dict[str, list[KrRef]] = {}
    for ref, keys in epics.items():
        for key in keys:
            by_issue.setdefault(key.upper(), []).append(ref)
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                if kr.jira_issue:
                    by_issue.setdefault(kr.jira_issue.upper(), []).append((okr_set.id, kr.id))
    writes = []
    for issue, kr_refs in sorted(by_issue.items()):
        if refs is not None and not refs.intersection(kr_refs):
            continue
        writes.append(_status_property(issue, sorted(set(kr_refs)), statuses, as_of, trigger))
    return writes


def _status_property(issue: str, kr_refs: list[KrRef], statuses: Mapping[KrRef, dict[str, Any]],
                     as_of: datetime, trigger: Mapping[str, str]) -> Write:
    content = [statuses[ref] for ref in kr_refs if ref in statuses]
    payload = {
        "as_of": as_of.isoformat(),
        "key_results": [{**status, "provenance": provenance(status, as_of, trigger)} for status in content],
    }
    return Write(f"property:{issue}", "property", issue, payload, content)


def provenance(status: Mapping[str, Any], as_of: datetime, trigger: Mapping[str, str]) -> dict[str, Any]:
    """Where a number comes from: metric and version, issues counted, local or remote, what triggered it."""
    return {"metric": status["metric"], "metric_version": status["metric_version"], "count": status["count"],
            "evaluated": status["evaluated"], "trigger": dict(trigger), "at": as_of.isoformat()}


def checkin_comment(status: Mapping[str, Any], old_health: str, new_health: str, as_of: datetime) -> str:
    """A short check-in note for a KR whose health changed."""
    unit = f" {status['unit']}" if status.get("unit") else ""
    values = ""
    if status["current"] is not None:
        values = f" Now {_number(status['current'])}{unit} (baseline {_number(status['baseline'])}, target {_number(status['target'])})"
        if status["score"] is not None:
            values += f", score {status['score']:.2f}"
        values += "."
    return (f"OKR check-in — {status['kr']} {status['title']}: {HEALTH_WORDS[old_health]} → "
            f"{HEALTH_WORDS[new_health]}.{values} Expected progress {status['expected']:.0%} "
            f"as of {as_of:%Y-%m-%d %H:%M %Z}. (OKR Sync, metric {status['metric']} {status['metric_version']})")


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"
