"""A history query's rows put into the recorded history of the KRs and KPIs reading its metric
(``okrsync:history:<set>/<kr>``, ``okrsync:kpi-history:<set>/<metric>``), each at its row's instant.

Idempotent: a row already recorded with the same value is not written again, so running the same query
twice leaves one point per row. A row whose value changed (the warehouse restated a day) replaces the
one recorded at its instant. The service's own readings taken after the earliest new row are dropped:
they repeated the older value the warehouse has since superseded, and the next flush records the
current reading again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import redis

from mapping.models import OkrConfig, OkrSet
from okr.history import Reading
from okr.row_readings import ROW, Rows, is_row, kpi_row_readings, kr_row_readings
from sync.history import CYCLES_KEPT, READINGS_KEPT, history_key
from sync.kpis import kpi_history_key
from sync.redis_text import decoded

Member = tuple[str, float]  # (stored JSON, score: the instant's timestamp)


def record_sql_rows(connection: redis.Redis, config: OkrConfig, metric_id: str, rows: Rows, now: datetime) -> int:
    """Record ``rows`` in the history of every KR and KPI reading ``metric_id``; returns the rows written."""
    if not rows:
        return 0
    written = 0
    for okr_set in config.okr_sets:
        since = (now - _kept_for(config, okr_set)).timestamp()
        for objective in okr_set.objectives:
            for kr in objective.key_results:
                if kr.metric == metric_id:
                    readings = kr_row_readings(config, okr_set, kr, rows, now)
                    members = [(r.to_json(), r.instant.timestamp()) for r in readings]
                    written += merge_rows(connection, history_key((okr_set.id, kr.id)), members, _kr_row, since)
        for kpi in okr_set.kpis:
            if kpi.metric == metric_id:
                points = kpi_row_readings(kpi, rows, now)
                members = [(_compact(r), datetime.fromisoformat(r["at"]).timestamp()) for r in points]
                written += merge_rows(connection, kpi_history_key(okr_set.id, kpi.metric), members, _kpi_row, since)
    return written


def merge_rows(
    connection: redis.Redis, key: str, rows: Sequence[Member], is_row: Callable[[str], bool], since: float
) -> int:
    """Add the ``rows`` not recorded yet at their instant (rows older than ``since`` are not kept);
    drop the rows they restate and the service's readings after the earliest of them."""
    rows = [(member, score) for member, score in rows if score >= since]
    if not rows:
        return 0
    found: list[tuple[Any, float]] = list(
        connection.zrangebyscore(key, min(s for _, s in rows), "+inf", withscores=True)  # type: ignore[arg-type]
    )
    existing = [(decoded(member), score) for member, score in found]
    recorded = {score: member for member, score in existing if is_row(member)}
    fresh = [(member, score) for member, score in rows if recorded.get(score) != member]
    if not fresh:
        return 0
    earliest, restated = min(s for _, s in fresh), {s for _, s in fresh}
    dropped = [m for m, s in existing if s >= earliest and (s in restated or not is_row(m))]
    writes = connection.pipeline(transaction=True)
    if dropped:
        writes.zrem(key, *dropped)
    writes.zadd(key, dict(fresh))
    writes.zremrangebyscore(key, "-inf", f"({since}")
    writes.zremrangebyrank(key, 0, -READINGS_KEPT - 1)
    writes.execute()
    return len(fresh)


def _kr_row(member: str) -> bool:
    try:
        return is_row(Reading.from_json(member))
    except ValueError:
        return False


def _kpi_row(member: str) -> bool:
    try:
        return bool(json.loads(member).get("src") == ROW)
    except (ValueError, AttributeError):
        return False


def _compact(reading: dict[str, Any]) -> str:
    return json.dumps(reading, separators=(",", ":"), sort_keys=True)


def _kept_for(config: OkrConfig, okr_set: OkrSet) -> timedelta:
    cycle = config.cycle(okr_set.cycle)
    return CYCLES_KEPT * (cycle.end - cycle.start + timedelta(days=1))
