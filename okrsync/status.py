"""`okrsync status`: what the queue, the counters and the mirror look like right now."""

from __future__ import annotations

from dataclasses import asdict
from itertools import islice
from typing import Any

import redis

from okrsync.stats import read_counts
from sync.mirror import Mirror
from sync.queue import EventStream

ISSUE_COLUMNS = ("key", "issuetype", "status", "statusCategory", "updated", "summary")


def collect_status(connection: redis.Redis, where: str, limit: int) -> dict[str, Any]:
    mirror = Mirror(connection)
    issues = [
        {column: document.get(column) for column in ISSUE_COLUMNS}
        for document in islice(mirror.documents(), max(limit, 0))
    ]
    return {
        "redis": where,
        "queue": asdict(EventStream(connection).backlog()),
        "events": read_counts(connection),
        "mirror": {"issues": mirror.count(), "listed": issues},
    }


def render_status(report: dict[str, Any]) -> str:
    queue, events, mirror = report["queue"], report["events"], report["mirror"]
    lines = [
        f"Redis:   {report['redis']}",
        f"Queue:   {queue['waiting']} waiting, {queue['pending']} in progress, "
        f"{queue['dead']} dead letters, lag {queue['lag_seconds']:.1f}s",
        "Events:  " + (", ".join(f"{k} {v}" for k, v in sorted(events.items())) or "none yet"),
        f"Mirror:  {mirror['issues']} issue(s)",
    ]
    if mirror["listed"]:
        lines.append("")
        lines.append(_table(mirror["listed"]))
        if mirror["issues"] > len(mirror["listed"]):
            lines.append(f"… and {mirror['issues'] - len(mirror['listed'])} more (--limit)")
    return "\n".join(lines)


def _table(rows: list[dict[str, Any]]) -> str:
    cells = [[_cell(row.get(c)) for c in ISSUE_COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(ISSUE_COLUMNS)]
    header = "  ".join(c.ljust(w) for c, w in zip(ISSUE_COLUMNS, widths))
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join([header.rstrip(), *body])


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 48 else text[:47] + "…"
