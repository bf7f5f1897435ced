"""Each KPI's readings, recorded in Redis: one sorted set per set and metric
(``okrsync:kpi-history:<set>/<metric>``), compact JSON scored by time. The flush records a KPI's
reading when its value or state changed, and the first of each local day, so every KPI has at least
one reading a day while the service runs. Readings older than two cycle lengths go when one is added.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import redis

from mapping.models import OkrConfig
from okr.report import KpiReport, Report
from sync import keys

KPI_HISTORY = keys.KPI_HISTORY_PREFIX
READINGS_KEPT = 2000


def kpi_history_key(set_id: str, metric_id: str) -> str:
    return f"{KPI_HISTORY}{set_id}/{metric_id}"


def record_kpi_readings(connection: redis.Redis, config: OkrConfig, report: Report) -> int:
    """Record each KPI's reading that says something new or is the first of its local day."""
    entries = [(s.id, kpi) for s in report.okr_sets for kpi in s.kpis]
    if not entries:
        return 0
    reads = connection.pipeline(transaction=False)
    for set_id, kpi in entries:
        reads.zrange(kpi_history_key(set_id, kpi.metric), -1, -1)
    at = datetime.fromisoformat(report.at)
    writes = connection.pipeline(transaction=False)
    recorded = 0
    for (set_id, kpi), last in zip(entries, reads.execute(), strict=True):
        reading = kpi_reading(kpi, report.at)
        if _worth_recording(reading, json.loads(last[0]) if last else None, config):
            key = kpi_history_key(set_id, kpi.metric)
            writes.zadd(key, {json.dumps(reading, separators=(",", ":"), sort_keys=True): at.timestamp()})
            writes.zremrangebyscore(key, "-inf", f"({(at - _kept_for(config, set_id)).timestamp()}")
            writes.zremrangebyrank(key, 0, -READINGS_KEPT - 1)
            recorded += 1
    if recorded:
        writes.execute()
    return recorded


def kpi_reading(kpi: KpiReport, at: str) -> dict[str, Any]:
    return {"at": at, "v": kpi.current, "s": kpi.state}


def _worth_recording(reading: Mapping[str, Any], previous: Mapping[str, Any] | None, config: OkrConfig) -> bool:
    if previous is None or (previous.get("v"), previous.get("s")) != (reading["v"], reading["s"]):
        return True
    day = f"{datetime.fromisoformat(reading['at']).astimezone(config.zone):%Y-%m-%d}"
    return day != f"{datetime.fromisoformat(previous['at']).astimezone(config.zone):%Y-%m-%d}"


def _kept_for(config: OkrConfig, set_id: str) -> timedelta:
    okr_set = next((s for s in config.okr_sets if s.id == set_id), None)
    if okr_set is None:
        return timedelta(days=2 * 92)
    cycle = config.cycle(okr_set.cycle)
    return 2 * (cycle.end - cycle.start + timedelta(days=1))


def kpi_readings(connection: redis.Redis, set_id: str, metric_id: str) -> list[dict[str, Any]]:
    """A KPI's recorded readings, oldest first."""
    rows: list[bytes] = list(connection.zrange(kpi_history_key(set_id, metric_id), 0, -1))  # type: ignore[arg-type]
    return [json.loads(raw) for raw in rows]
