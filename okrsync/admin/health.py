"""Sync health for `GET /api/v1/status` and the health page: per mapping (OKR set) and per page."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import redis

from mapping.models import OkrConfig
from okr.report import Report, stored_report
from okrsync.counters import read_counts
from okrsync.status import failing_targets
from publish.confluence.cadence_pages import review_title
from publish.confluence.dated_review import dated_review_title
from sync import keys
from sync.cadence_writes import cadence_writes
from sync.config_store import ConfigStore
from sync.flush import REPORT
from sync.jira_writer import WRITTEN
from sync.keys import STATS_CALLS as CALLS
from sync.mirror import RedisMirror
from sync.queue import EventStream
from sync.reconcile import LAST_RUN
from sync.redis_text import decoded
from sync.review_records import latest_review

RETRIED_OUTCOMES = ("429", "5xx", "error")
# Kept by the page publisher (sync/confluence_writer.py): per page key ("set:<id>", "program:<id>") a hash with
# page_id, written_at and failed_at (epoch seconds); pages waiting for their coalescing interval.
PAGE_STATE = keys.PAGE_STATE_PREFIX
PAGES_PENDING = keys.PAGES_PENDING
MONTHLY_REVIEWS = keys.CADENCE_REVIEWS  # "set-id@YYYY-MM" → the monthly review's figures and when it was written
RITUAL_KINDS = {"weekly": "weekly_digest", "monthly": "monthly_review", "close": "close_page"}
LISTED = 50


def collect_health(connection: redis.Redis, store: ConfigStore) -> dict[str, Any]:
    config = store.current()
    backlog = asdict(EventStream(connection).backlog())
    reconciliation = last_reconciliation(connection)
    written = written_issues(connection)
    newest = newest_by_project(connection)
    pages = page_statuses(config, connection)
    mappings = [
        mapping_status(
            s.id,
            s.name,
            s.projects,
            newest,
            backlog["lag_seconds"],
            written,
            reconciliation,
            [p for p in pages if p["kind"] == "okr_set" and p["id"] == s.id],
        )
        for s in (config.okr_sets if config else [])
    ]
    counts = read_counts(connection)
    return {
        "configured": config is not None,
        "revision": store.revision(),
        "evaluated_at": evaluated_at(connection),
        "queue": backlog,
        "events": {k: float(v) for k, v in sorted(counts.items())},
        "calls": call_summary(connection),
        "write_backs_total": int(counts.get("writebacks", 0)),
        "last_reconciliation": reconciliation,
        "mappings": mappings,
        "pages": pages,
        "failing": failing_targets(connection),
    }


def mapping_status(
    set_id: str,
    name: str,
    projects: list[str],
    newest: dict[str, dict[str, Any]],
    lag: float,
    written: list[str],
    reconciliation: dict[str, Any] | None,
    pages: list[dict[str, Any]],
) -> dict[str, Any]:
    mapped = {p.upper() for p in projects}
    latest = max((newest[p] for p in mapped if p in newest), key=lambda n: n["updated"] or "", default=None)
    issues = [key for key in written if project_of(key) in mapped]
    return {
        "okr_set": set_id,
        "name": name,
        "projects": sorted(mapped),
        "last_event": {
            "issue": latest["issue"] if latest else None,
            "updated": latest["updated"] if latest else None,
            "mirrored_issues": sum(newest[p]["count"] for p in mapped if p in newest),
        },
        "queue_lag_seconds": lag,
        "write_backs": {"targets": len(issues), "issues": sorted(set(issues))[:LISTED]},
        "last_reconciliation": _only_projects(reconciliation, mapped),
        "pages": pages,
    }


def newest_by_project(connection: redis.Redis) -> dict[str, dict[str, Any]]:
    """Per project: the most recently updated mirrored issue and how many are mirrored."""
    found: dict[str, dict[str, Any]] = defaultdict(lambda: {"issue": None, "updated": None, "count": 0})
    for document in RedisMirror(connection).documents():
        entry = found[str(document.get("project") or "").upper()]
        entry["count"] += 1
        updated = str(document.get("updated") or "")
        if updated and updated > (entry["updated"] or ""):
            entry["issue"], entry["updated"] = document.get("key"), updated
    return dict(found)


def written_issues(connection: redis.Redis) -> list[str]:
    """Issue keys of recorded Jira writes ("property:SHOP-1", "comment:OKR-7", "remotelink:SHOP-1:shop/KR1", …)."""
    return [issue_of_target(decoded(target)) for target in connection.hkeys(WRITTEN)]


def issue_of_target(target: str) -> str:
    """The issue key in a write target: the part after its kind (an issue key holds no colon)."""
    parts = target.split(":")
    return parts[1] if len(parts) > 1 else target


def project_of(issue_key: str) -> str:
    return issue_key.rsplit("-", 1)[0].upper()


def last_reconciliation(connection: redis.Redis) -> dict[str, Any] | None:
    raw = connection.get(LAST_RUN)
    if raw is None:
        return None
    run = json.loads(raw)
    return {
        "at": run.get("at"),
        "seen": int(run.get("seen", 0)),
        "drift": int(run.get("drift", 0)),
        "drifted": [str(k) for k in run.get("drifted", [])][:LISTED],
    }


def _only_projects(run: dict[str, Any] | None, projects: set[str]) -> dict[str, Any] | None:
    if run is None:
        return None
    drifted = [k for k in run["drifted"] if project_of(k) in projects]
    return {**run, "drift": len(drifted), "drifted": drifted}


def call_summary(connection: redis.Redis) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, int]] = defaultdict(
        lambda: {"calls": 0, "rate_limited": 0, "retries": 0, "conflicts": 0, "errors": 0}
    )
    for raw_key, raw_value in connection.hgetall(CALLS).items():
        system, _, outcome = decoded(raw_key).split("|", 2)
        value, entry = int(raw_value), totals[system]
        entry["calls"] += value
        entry["rate_limited"] += value if outcome == "429" else 0
        entry["retries"] += value if outcome in RETRIED_OUTCOMES else 0
        entry["conflicts"] += value if outcome == "conflict" else 0
        entry["errors"] += value if outcome == "4xx" else 0
    return [{"system": system, **entry} for system, entry in sorted(totals.items())]


def page_statuses(config: OkrConfig | None, connection: redis.Redis) -> list[dict[str, Any]]:
    """Every page the service writes: each set's and program's own page, then each set's latest weekly
    digest, monthly review and close page, and each program's latest dated review."""
    if config is None:
        return []
    pages = [("okr_set", "set", s.id, s.confluence) for s in config.okr_sets if s.confluence is not None]
    pages += [
        ("problem_program", "program", p.id, p.confluence) for p in config.problem_programs if p.confluence is not None
    ]
    found = [
        page_status(connection, kind, f"{prefix}:{item_id}", item_id, target.space, target.title)
        for kind, prefix, item_id, target in pages
    ]
    writes = cadence_writes(connection)
    for kind, _, item_id, target in pages:
        found += _ritual_pages(connection, writes, kind, item_id, target.space, target.title)
    return found


def _ritual_pages(
    connection: redis.Redis,
    writes: Mapping[tuple[str, str], Mapping[str, Any]],
    kind: str,
    item_id: str,
    space: str,
    title: str,
) -> list[dict[str, Any]]:
    """The latest page of each ritual under a set's or program's page."""
    if kind == "okr_set":
        return _set_rituals(connection, writes, item_id, space, title)
    record = writes.get((item_id, "problems"))
    review = (
        _recorded_page("problem_review", item_id, space, record)
        if record
        else review_page(connection, item_id, space, title)
    )
    return [review] if review else []


def _set_rituals(
    connection: redis.Redis, writes: Mapping[tuple[str, str], Mapping[str, Any]], set_id: str, space: str, title: str
) -> list[dict[str, Any]]:
    """The set's latest weekly digest, monthly review and close page, as their writes were recorded (a
    monthly review written before those records were kept: as the cadence stored it)."""
    found = []
    for ritual, kind in RITUAL_KINDS.items():
        record = writes.get((set_id, ritual))
        if record:
            found.append(_recorded_page(kind, set_id, space, record))
        elif ritual == "monthly" and (review := monthly_review_page(connection, set_id, space, title)) is not None:
            found.append(review)
    return found


def _recorded_page(kind: str, item_id: str, space: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A ritual's latest page as its writes were recorded; a failure on a later period's page names it."""
    written_at, title = record.get("written_at"), str(record.get("title") or "")
    failed, reason = record.get("failed_title"), record.get("reason")
    if failed and reason and title and failed != title:
        reason = f"“{failed}” not written: {reason}"
    return {
        **_child_page(kind, item_id, space, title or str(failed or ""), str(written_at) if written_at else None),
        "url": record.get("url") if written_at else None,
        "written": bool(written_at),
        "failed_at": record.get("failed_at"),
        "reason": reason if record.get("failed_at") else None,
    }


def monthly_review_page(connection: redis.Redis, set_id: str, space: str, title: str) -> dict[str, Any] | None:
    """The set's latest monthly review, a child page of its page, as the cadence recorded it."""
    prefix = f"{set_id}@"
    months = sorted(
        k[len(prefix) :] for k in (decoded(f) for f in connection.hkeys(MONTHLY_REVIEWS)) if k.startswith(prefix)
    )
    if not months:
        return None
    try:
        record = json.loads(connection.hget(MONTHLY_REVIEWS, prefix + months[-1]) or "{}")
    except ValueError:
        record = {}
    at = record.get("at") if isinstance(record, dict) else None
    return _child_page("monthly_review", set_id, space, review_title(title, months[-1]), str(at) if at else None)


def _child_page(kind: str, item_id: str, space: str, title: str, written_at: str | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": item_id,
        "space": space,
        "title": title,
        "url": None,
        "written": True,
        "written_at": written_at,
        "failed_at": None,
        "reason": None,
        "pending": False,
    }


def review_page(connection: redis.Redis, program_id: str, space: str, title: str) -> dict[str, Any] | None:
    """The program's latest dated review, a child page of its page, as the writer recorded it."""
    record = latest_review(connection, program_id)
    try:
        day = date.fromisoformat(str(record["day"])) if record else None
    except (KeyError, ValueError):
        return None
    if record is None or day is None:
        return None
    return _child_page(
        "problem_review", program_id, space, dated_review_title(title, day), str(record.get("at") or "") or None
    )


def page_status(connection: redis.Redis, kind: str, key: str, item_id: str, space: str, title: str) -> dict[str, Any]:
    state = {decoded(k): decoded(v) for k, v in connection.hgetall(PAGE_STATE + key).items()}
    written_at, failed_at = _epoch_text(state.get("written_at")), _epoch_text(state.get("failed_at"))
    return {
        "kind": kind,
        "id": item_id,
        "space": space,
        "title": title,
        "url": state.get("url") or None,
        "written": written_at is not None,
        "written_at": written_at,
        "failed_at": failed_at,
        "reason": (state.get("reason") or None) if failed_at else None,
        "pending": bool(connection.hexists(PAGES_PENDING, key)),
    }


def _epoch_text(raw: str | None) -> str | None:
    try:
        seconds = float(raw) if raw else 0.0
    except ValueError:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat() if seconds > 0 else None


def evaluated_at(connection: redis.Redis) -> str | None:
    raw = connection.get(REPORT)
    if raw is None:
        return None
    try:
        return str(json.loads(raw).get("at"))
    except (ValueError, AttributeError):
        return None


def latest_report(connection: redis.Redis) -> Report | None:
    raw = connection.get(REPORT)
    if raw is None:
        return None
    try:
        return stored_report(json.loads(raw))
    except ValueError:
        return None
