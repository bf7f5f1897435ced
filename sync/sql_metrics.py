"""``source: sql`` metrics refreshed on a worker, each on its own schedule (``refresh``), stored with
their provenance and used by every evaluation until the next run.

A metric whose query fails keeps its last value, marked stale with the reason (the admin's sync
health and ``okrsync status`` list it); the other metrics go on. A metric runs again when its
``refresh`` has passed since its last attempt, or at once when its connection or query changed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mapping.models import Metric, OkrConfig
from mapping.warehouse import duration_seconds, query_digest
from okr.metrics import MetricValue
from sync import keys
from sync.dirty import mark
from sync.outside_values import OutsideValues
from sync.runtime import Runtime
from sync.sql_history import record_sql_rows
from sync.warehouse import SqlFetch, WarehouseError, connection_url, fetch_sql_metric

log = logging.getLogger(__name__)

SQL_VALUES = keys.SQL_VALUES  # metric id → JSON MetricValue with provenance
SQL_FAILURES = keys.SQL_FAILURES  # metric id → JSON {reason, since, last, attempts}


@dataclass
class SqlRefreshReport:
    refreshed: list[str] = field(default_factory=list)  # metric ids
    failed: dict[str, str] = field(default_factory=dict)  # metric id → reason
    not_due: list[str] = field(default_factory=list)


def sql_metrics(config: OkrConfig) -> dict[str, Metric]:
    return {metric_id: metric for metric_id, metric in config.metrics.items() if metric.source == "sql"}


def refresh_sql_metrics(runtime: Runtime, now: datetime | None = None, force: bool = False) -> SqlRefreshReport:
    """Run the query of every SQL metric that is due (every one with ``force``), each on its own; the KRs
    and KPIs reading a metric that was run are marked dirty."""
    report = SqlRefreshReport()
    config = runtime.config_store.current()
    if config is None:
        return report
    now = now or datetime.now(UTC)
    metrics = sql_metrics(config)
    _sql(runtime.redis).forget_except(set(metrics))
    stored, failures = stored_sql_values(runtime), sql_failures(runtime.redis)
    for metric_id, metric in metrics.items():
        if not force and not _due(metric, stored.get(metric_id), failures.get(metric_id), now):
            report.not_due.append(metric_id)
            continue
        _refresh_one(runtime, config, metric_id, metric, now, report)
    touched = set(report.refreshed) | set(report.failed)
    krs = reading_krs(config, touched)
    if krs:
        mark(runtime.redis, krs, {"kind": "sql", "metric": ",".join(sorted(touched))})
    return report


def reading_krs(config: OkrConfig, metrics: set[str]) -> list[str]:
    """The KRs ("set/kr") that read one of ``metrics``, and every KR of a set with one of them as a KPI
    (its KPIs are read again with them)."""
    return [
        f"{s.id}/{kr.id}"
        for s in config.okr_sets
        for o in s.objectives
        for kr in o.key_results
        if kr.metric in metrics or any(kpi.metric in metrics for kpi in s.kpis)
    ]


def _due(metric: Metric, stored: MetricValue | None, failure: Mapping[str, Any] | None, now: datetime) -> bool:
    provenance = stored.provenance if stored is not None else None
    if provenance is None or (provenance.get("connection"), provenance.get("query_digest")) != (
        metric.connection,
        query_digest(metric.query or ""),
    ):
        return failure is None or _since(failure["last"], now) >= duration_seconds(metric.refresh)
    last = failure["last"] if failure is not None else provenance["fetched_at"]
    return _since(last, now) >= duration_seconds(metric.refresh)


def _since(iso: str, now: datetime) -> float:
    return (now - datetime.fromisoformat(iso)).total_seconds()


def _refresh_one(
    runtime: Runtime, config: OkrConfig, metric_id: str, metric: Metric, now: datetime, report: SqlRefreshReport
) -> None:
    try:
        url = connection_url(metric_id, metric, runtime.sql_urls)
        fetched = fetch_sql_metric(metric_id, metric, url, now, config.zone)
    except WarehouseError as exc:
        _sql(runtime.redis).record_failure(metric_id, str(exc), now)
        report.failed[metric_id] = str(exc)
        return
    except Exception as exc:  # one metric's defect must not stop the others
        log.exception("SQL metric %s not fetched", metric_id)
        reason = f"metric {metric_id}: {type(exc).__name__}: {exc}"
        _sql(runtime.redis).record_failure(metric_id, reason, now)
        report.failed[metric_id] = reason
        return
    runtime.redis.hset(SQL_VALUES, metric_id, json.dumps(asdict(sql_value(fetched)), default=str))
    record_sql_rows(runtime.redis, config, metric_id, fetched.reading.history, now)
    if runtime.redis.hdel(SQL_FAILURES, metric_id):
        log.info("SQL metric %s fetched again", metric_id)
    report.refreshed.append(metric_id)


def sql_value(fetched: SqlFetch) -> MetricValue:
    """A query run as the value evaluations read, with its provenance."""
    reading = fetched.reading
    provenance = {
        "connection": fetched.connection,
        "query_digest": fetched.query_digest,
        "rows": reading.rows,
        "fetched_at": fetched.fetched_at.isoformat(),
    }
    return MetricValue(reading.value, reading.rows, "sql", measured_at=reading.at, provenance=provenance)


def _sql(connection: Any) -> OutsideValues:
    return OutsideValues(connection, SQL_VALUES, SQL_FAILURES, "sql", "SQL metric", "fetched")


def sql_failures(connection: Any) -> dict[str, dict[str, Any]]:
    """The SQL metrics whose last run failed: metric id → reason, since, last, attempts."""
    return _sql(connection).failures()


def stored_sql_values(runtime: Runtime) -> dict[str, MetricValue]:
    return _sql(runtime.redis).stored()
