"""`okrsync status`: what the queue, the counters and the mirror look like right now."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import redis

from okrsync.counters import read_counts
from sync.failures import FailureStore
from sync.mirror import RedisMirror
from sync.people_checkins import counters
from sync.queue import EventStream
from sync.remote import remote_failures
from sync.sql_metrics import sql_failures

ISSUE_COLUMNS = ("key", "issuetype", "status", "statusCategory", "updated", "summary")


def collect_status(connection: redis.Redis, where: str, limit: int) -> dict[str, Any]:
    mirror = RedisMirror(connection)
    issues = [
        {column: document.get(column) for column in ISSUE_COLUMNS}
        for document in islice(mirror.documents(), max(limit, 0))
    ]
    return {
        "redis": where,
        "queue": asdict(EventStream(connection).backlog()),
        "events": read_counts(connection),
        "mirror": {"issues": mirror.count(), "listed": issues},
        "failing": failing_targets(connection),
        "checkin_comments": counters(connection),
    }


def failing_targets(connection: redis.Redis) -> list[dict[str, Any]]:
    """Every write-back target, remote metric and SQL metric whose last attempt failed: what, why, since when."""
    return _writeback_failures(connection) + _metric_failures(connection)


def _writeback_failures(connection: redis.Redis) -> list[dict[str, Any]]:
    return [
        {
            "target": f.target,
            "issue": f.issue,
            "kind": f.kind,
            "status": f.status,
            "reason": f.reason,
            "since": _iso(f.since),
            "attempts": f.attempts,
            "retry_at": _iso(f.retry_at) if f.retry_at else None,
            "retry": (
                "after the configuration or the issue changes"
                if f.kind == "permanent"
                else f"at {_readable(f.retry_at)}"
            ),
        }
        for f in FailureStore(connection).all()
    ]


def _metric_failures(connection: redis.Redis) -> list[dict[str, Any]]:
    """Remote and SQL metrics whose last refresh failed: each keeps its last value, marked stale."""
    failing = [(f"remote metric {k}", f, "at the next remote refresh") for k, f in remote_failures(connection).items()]
    failing += [
        (f"SQL metric {k}", f, "when its refresh has passed again") for k, f in sql_failures(connection).items()
    ]
    return [
        {
            "target": target,
            "issue": None,
            "kind": "transient",
            "status": None,
            "reason": failure["reason"],
            "since": failure["since"],
            "attempts": failure["attempts"],
            "retry_at": None,
            "retry": retry,
        }
        for target, failure, retry in failing
    ]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _readable(seconds: float | None) -> str:
    if seconds is None:
        return "the next flush"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_status(report: dict[str, Any]) -> str:
    queue, events, mirror = report["queue"], report["events"], report["mirror"]
    lines = [
        f"Redis:   {report['redis']}",
        f"Queue:   {queue['waiting']} waiting, {queue['pending']} in progress, "
        f"{queue['dead']} dead letters, lag {queue['lag_seconds']:.1f}s",
        "Events:  " + (", ".join(f"{k} {v}" for k, v in sorted(events.items())) or "none yet"),
        f"Mirror:  {mirror['issues']} issue(s)",
    ]
    if "checkin_comments" in report:
        lines.append("Check-in comments: " + ", ".join(f"{k} {v}" for k, v in report["checkin_comments"].items()))
    lines += _failing_lines(report.get("failing", []))
    if mirror["listed"]:
        lines.append("")
        lines.append(_table(mirror["listed"]))
        if mirror["issues"] > len(mirror["listed"]):
            lines.append(f"… and {mirror['issues'] - len(mirror['listed'])} more (--limit)")
    return "\n".join(lines)


def _failing_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["Failing: none"]
    lines = [f"Failing: {len(rows)} target(s) (every other target is kept current)"]
    for row in rows:
        since = row["since"].replace("T", " ").replace("Z", " UTC")
        lines.append(
            f"  {row['target']}: {row['reason']} — since {since}, {row['attempts']} attempt(s); "
            f"tried again {row['retry']}"
        )
    return lines


def _table(rows: list[dict[str, Any]]) -> str:
    cells = [[_cell(row.get(c)) for c in ISSUE_COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(ISSUE_COLUMNS)]
    header = "  ".join(c.ljust(w) for c, w in zip(ISSUE_COLUMNS, widths, strict=False))
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)).rstrip() for r in cells]
    return "\n".join([header.rstrip(), *body])


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 48 else text[:47] + "…"
