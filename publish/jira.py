"""What to write into Jira for an evaluation, as plain data (pure).

Every write carries a *content* part (what the numbers say) and a volatile part (as-of time, the
trigger). Only a change of content is a reason to write, so a recomputation that finds the same
numbers writes nothing and the service's own writes cannot start a feedback loop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mapping.models import OkrConfig
from okr.history import Reading
from okr.report import KeyResultReport, KrEntry, Report
from okr.scope import scope_words
from publish.confluence.formatting import unit_suffix
from publish.decision import decision_status
from publish.kinds import keep_band, kind_words

STATUS_PROPERTY = "okrsync.status"
CHECKIN_PROPERTY = "okrsync.checkin"  # on a check-in comment: its marker, the change, the provenance
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
    kind: Literal["property", "fields", "update", "comment", "remote_link"]  # update: {"update": {field: [verbs]}}
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
            **checkin_status(entry.kr),
            **({"sql": dict(entry.kr.provenance)} if entry.kr.provenance is not None else {}),
        }
    return statuses


def checkin_status(kr: KeyResultReport) -> dict[str, Any]:
    """The latest check-in by a person: confidence, words, author's name and when (nothing without one)."""
    if kr.checkin is None:
        return {}
    c = kr.checkin
    words = {"note": c.note, "blockers": c.blockers, "asks": c.asks}
    return {
        "checkin": {
            "confidence": c.confidence,
            **words,
            "author": c.author_name,
            "at": c.at.isoformat(),
            "source": c.source,
        }
    }


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
    """'O1.KR2 at risk · 0.27 · 33.3 → 15 %' (a keep: '… · 0 incidents, keep ≤ 0 incidents') — one line
    a reader understands."""
    unit = f" {status['unit']}" if status.get("unit") else ""
    score = "—" if status["score"] is None else f"{status['score']:.2f}"
    band = keep_band(status)
    values = (
        f"{_amount(status['current'], status)}, {band}{unit}"
        if band
        else (f"{_number(status['current'])} → {_amount(status['target'], status)}")
    )
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


@dataclass(frozen=True)
class CheckinSince:
    """Where a KR stood when it was last checked in (or, never checked in, when it took its old health)."""

    at: datetime
    value: float | None
    score: float | None


def checkin_since(readings: Sequence[Reading], old_health: str, last_checkin: datetime | None) -> CheckinSince | None:
    """From a KR's readings (oldest first): its reading at the last check-in; with none, the first
    reading of its latest run of ``old_health``; None when the readings say neither."""
    if last_checkin is not None:
        before = [r for r in readings if r.instant <= last_checkin]
        if before:
            return CheckinSince(last_checkin, before[-1].value, before[-1].score)
    start: Reading | None = None
    for reading in reversed(readings):
        if reading.health == old_health:
            start = reading
        elif start is not None:
            break
    return CheckinSince(start.instant, start.value, start.score) if start is not None else None


def checkin_comment(
    status: Mapping[str, Any],
    old_health: str,
    new_health: str,
    as_of: datetime,
    since: CheckinSince | None = None,
    link: str | None = None,
) -> str:
    """A check-in a person wants to read: what moved (the health), by how much (the value and the
    score), since when (a date as people write it, in ``as_of``'s zone) and where to read more.

    Plain words and a bare link, which Jira's wiki markup (Data Center) and Cloud's v2 text both show
    as written; no ids or hashes (the provenance is in the comment's property)."""
    change = f"{HEALTH_WORDS[old_health]} → {HEALTH_WORDS[new_health]}"
    lines = [f"OKR check-in — {status['kr']} {status['title']}: {change}."]
    moved = _moved(status, since, as_of)
    if moved:
        lines.append(moved)
    if status.get("kind") != "keep":  # a band to stay in has no expected progress
        lines.append(f"Expected progress by now: {status['expected']:.0%}.")
    if link:
        lines.append(f"Details: {link}")
    return "\n".join(lines)


def _moved(status: Mapping[str, Any], since: CheckinSince | None, as_of: datetime) -> str:
    """'Since 24 Nov: 32 % → 20 % (target 15 %), score 0.30 → 0.60.' — or where it stands now."""
    unit = f" {status['unit']}" if status.get("unit") else ""
    target = _goal(status, unit)
    score = "" if status["score"] is None else f", score {status['score']:.2f}"
    if since is None:
        if status["current"] is None:
            return ""
        baseline = f"baseline {_amount(status['baseline'], status)}, " if status.get("baseline") is not None else ""
        return f"Now {_amount(status['current'], status)} ({baseline}{target}){score}."
    if since.score is not None and status["score"] is not None:
        score = f", score {since.score:.2f} → {status['score']:.2f}"
    values = f"{_amount(since.value, status)} → {_amount(status['current'], status)}"
    return f"Since {person_date(since.at, as_of)}: {values} ({target}){score}."


def _goal(status: Mapping[str, Any], unit: str) -> str:
    """'target 15 %', or for a keep its band: 'keep ≤ 0 incidents'."""
    band = keep_band(status)
    return f"{band}{unit}" if band else f"target {_amount(status['target'], status)}"


def _amount(value: Any, status: Mapping[str, Any]) -> str:
    """'32 %', '3 incidents', '1 incident': a value with the KR's unit, in the singular for exactly one."""
    return f"{_number(value)}{unit_suffix(value, status.get('unit'))}"


def person_date(moment: datetime, today: datetime) -> str:
    """'24 Nov' — with the year when it is not ``today``'s; in ``today``'s time zone."""
    local = moment.astimezone(today.tzinfo) if today.tzinfo else moment
    return f"{local.day} {local:%b}" + ("" if local.year == today.year else f" {local.year}")


def checkin_facts(
    status: Mapping[str, Any], old_health: str, new_health: str, as_of: datetime, since: CheckinSince | None
) -> dict[str, Any]:
    """What the check-in comment's property keeps beside its marker: the KR, the change and the
    numbers' provenance, for programs (people read the text)."""
    return {
        "kr": f"{status['okr_set']}/{status['kr']}",
        "health": {"from": old_health, "to": new_health},
        "value": {"from": since.value if since else None, "to": status["current"]},
        "score": {"from": since.score if since else None, "to": status["score"]},
        "since": since.at.isoformat() if since else None,
        "at": as_of.isoformat(),
        "metric": status["metric"],
        "metric_version": status["metric_version"],
        "count": status["count"],
        "evaluated": status["evaluated"],
    }


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"
