"""What to write into Jira for an evaluation, as plain data (pure).

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
from okr.report import KeyResultReport, KrEntry, Report
from okr.scope import scope_words
from publish.decision import decision_status
from publish.kinds import kind_words

STATUS_PROPERTY = "okrsync.status"
KrRef = tuple[str, str]

HEALTH_WORDS = {
    "done": "done",
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "missed": "missed",
    "not_measured": "not measured",
}


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


_STATUS_FIELDS = (
    "current",
    "baseline",
    "target",
    "progress",
    "score",
    "health",
    "flags",
    "delivery",
    "metric",
    "metric_version",
    "evaluated",
    "count",
)


def kr_statuses(config: OkrConfig, report: Report) -> dict[KrRef, dict[str, Any]]:
    """Each KR's result with the words a reader needs (titles, objective, unit)."""
    titles = {
        (s.id, kr.id): (o.id, kr.title, config.metrics.get(kr.metric or ""))
        for s in config.okr_sets
        for o in s.objectives
        for kr in o.key_results
    }
    statuses = {}
    for entry in report.key_results():
        objective_id, title, metric = titles[entry.ref]
        result = entry.kr.to_dict()
        statuses[entry.ref] = {
            "okr_set": entry.okr_set.id,
            "objective": objective_id,
            "kr": entry.kr.id,
            "title": title,
            "unit": metric.unit if metric else None,
            "expected": entry.okr_set.expected,
            **{k: result[k] for k in _STATUS_FIELDS},
            "kind": entry.kr.kind,
            **({"forecast": entry.kr.forecast} if entry.kr.kind == "cap" else {}),
            **({"kind_words": words} if (words := kind_words(entry.kr, entry.okr_set)) else {}),
            **closed_status(entry),
            **scope_status(entry.kr),
            **decision_status(entry.kr, metric.unit if metric else None),
            **({"sql": dict(entry.kr.provenance)} if entry.kr.provenance is not None else {}),
        }
    return statuses


def closed_status(entry: KrEntry) -> dict[str, Any]:
    """Once the KR's cycle has ended: ``final``, and after its close ``closed_at`` and the late
    correction (what it reads now, when that differs from the frozen result). Nothing before."""
    if not entry.okr_set.final:
        return {}
    status: dict[str, Any] = {"final": True}
    if entry.okr_set.closed_at is not None:
        status["closed_at"] = entry.okr_set.closed_at
    if entry.kr.late_correction is not None:
        status["late_correction"] = {k: entry.kr.late_correction.get(k) for k in ("current", "score", "health")}
    return status


def scope_status(kr: KeyResultReport) -> dict[str, Any]:
    """The KR's scope facts and their plain words (nothing for a KR without contributors)."""
    if kr.scope is None:
        return {}
    return {"scope": {**kr.scope.to_dict(), "words": scope_words(kr.scope)}}


def plan_writes(
    config: OkrConfig,
    statuses: Mapping[KrRef, dict[str, Any]],
    epics: Mapping[KrRef, list[str]],
    as_of: datetime,
    trigger: Mapping[str, str],
    refs: set[KrRef] | None = None,
    field_ids: Mapping[str, str] | None = None,
) -> list[Write]:
    """The status property of every contributing epic and of every KR's own Jira issue, and the
    configured fields (``writeback:``) when ``field_ids`` (lower-cased name → id) resolves them.

    ``refs`` limits the plan to the targets those KRs feed (an epic's property still lists all of
    its KRs, so it is rendered whole).
    """
    writes = _property_writes(config, statuses, epics, as_of, trigger, refs)
    return writes + field_writes(config, statuses, epics, refs, field_ids or {})


def _property_writes(
    config: OkrConfig,
    statuses: Mapping[KrRef, dict[str, Any]],
    epics: Mapping[KrRef, list[str]],
    as_of: datetime,
    trigger: Mapping[str, str],
    refs: set[KrRef] | None,
) -> list[Write]:
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


def field_writes(
    config: OkrConfig,
    statuses: Mapping[KrRef, dict[str, Any]],
    epics: Mapping[KrRef, list[str]],
    refs: set[KrRef] | None,
    field_ids: Mapping[str, str],
) -> list[Write]:
    writeback = config.writeback
    writes = []
    for okr_set in config.okr_sets:
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                ref = (okr_set.id, kr.id)
                if kr.jira_issue and writeback.kr_fields and ref in statuses and (refs is None or ref in refs):
                    values = kr_field_values(statuses[ref], writeback.kr_fields, field_ids)
                    if values:
                        writes.append(
                            Write(f"fields:{kr.jira_issue.upper()}", "fields", kr.jira_issue.upper(), values, values)
                        )
    epic_field = field_ids.get((writeback.epic_field or "").strip().lower())
    if epic_field:
        writes += _epic_text_writes(statuses, epics, refs, epic_field)
    return writes


def kr_field_values(
    status: Mapping[str, Any], names: Mapping[Any, str], field_ids: Mapping[str, str]
) -> dict[str, Any]:
    """{field id: value} for the configured fields that Jira knows; unknown names are left out."""
    values = {
        "score": status["score"],
        "health": HEALTH_WORDS[status["health"]],
        "progress": status["progress"],
        "current": status["current"],
        "summary": status_line(status),
    }
    return {
        field_ids[name.strip().lower()]: values[what]
        for what, name in names.items()
        if name.strip().lower() in field_ids
    }


def _epic_text_writes(
    statuses: Mapping[KrRef, dict[str, Any]], epics: Mapping[KrRef, list[str]], refs: set[KrRef] | None, field_id: str
) -> list[Write]:
    by_epic: dict[str, list[KrRef]] = {}
    for ref, keys in epics.items():
        for key in keys:
            by_epic.setdefault(key.upper(), []).append(ref)
    writes = []
    for epic, kr_refs in sorted(by_epic.items()):
        if refs is not None and not refs.intersection(kr_refs):
            continue
        text = "\n".join(status_line(statuses[r]) for r in sorted(set(kr_refs)) if r in statuses)
        writes.append(Write(f"fields:{epic}", "fields", epic, {field_id: text}, text))
    return writes


def status_line(status: Mapping[str, Any]) -> str:
    """'O1.KR2 at risk · 0.27 · 33.3 → 15 %' — one line a reader understands."""
    unit = f" {status['unit']}" if status.get("unit") else ""
    score = "—" if status["score"] is None else f"{status['score']:.2f}"
    values = f"{_number(status['current'])} → {_number(status['target'])}{unit}"
    return f"{status['kr']} {HEALTH_WORDS[status['health']]} · {score} · {values}"


def _status_property(
    issue: str,
    kr_refs: list[KrRef],
    statuses: Mapping[KrRef, dict[str, Any]],
    as_of: datetime,
    trigger: Mapping[str, str],
) -> Write:
    content = [statuses[ref] for ref in kr_refs if ref in statuses]
    payload = {
        "as_of": as_of.isoformat(),
        "key_results": [{**status, "provenance": provenance(status, as_of, trigger)} for status in content],
    }
    return Write(f"property:{issue}", "property", issue, payload, content)


def provenance(status: Mapping[str, Any], as_of: datetime, trigger: Mapping[str, str]) -> dict[str, Any]:
    """Where a number comes from: metric and version, issues counted, local or remote, what triggered it."""
    return {
        "metric": status["metric"],
        "metric_version": status["metric_version"],
        "count": status["count"],
        "evaluated": status["evaluated"],
        "trigger": dict(trigger),
        "at": as_of.isoformat(),
        **({"sql": status["sql"]} if "sql" in status else {}),  # connection, query digest, rows, fetched at
    }


def checkin_comment(status: Mapping[str, Any], old_health: str, new_health: str, as_of: datetime) -> str:
    """A short check-in note for a KR whose health changed."""
    unit = f" {status['unit']}" if status.get("unit") else ""
    values = ""
    if status["current"] is not None:
        values = f" Now {_number(status['current'])}{unit} (baseline {_number(status['baseline'])}, target {_number(status['target'])})"  # noqa: E501
        if status["score"] is not None:
            values += f", score {status['score']:.2f}"
        values += "."
    return (
        f"OKR check-in — {status['kr']} {status['title']}: {HEALTH_WORDS[old_health]} → "
        f"{HEALTH_WORDS[new_health]}.{values} Expected progress {status['expected']:.0%} "
        f"as of {as_of:%Y-%m-%d %H:%M %Z}. (OKR Sync, metric {status['metric']} {status['metric_version']})"
    )


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"
