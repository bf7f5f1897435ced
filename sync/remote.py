"""Metrics whose JQL is outside the local subset: evaluated through Jira's search on a schedule,
stored with their time, and used by every evaluation until the next refresh (provenance: remote)."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from connector.errors import ConnectorError
from connector.retry import RetryPolicy
from jql.query import JqlError, JqlUnsupported, parse_jql
from mapping.models import Cycle, Metric, OkrConfig
from okr.aggregates import ratio_percent
from okr.evaluate import evaluation_input
from okr.metrics import MetricValue, aggregate_documents, remote_key
from okr.timeframe import window_bounds
from sync import keys
from sync.dirty import mark
from sync.documents import issue_document
from sync.outside_values import OutsideValues
from sync.runtime import Runtime

log = logging.getLogger(__name__)

REMOTE = keys.REMOTE_VALUES  # "metric@cycle" → JSON MetricValue + measured time
REMOTE_FAILURES = keys.REMOTE_FAILURES  # "metric@cycle" → JSON {reason, since, last, attempts}
# A refresh runs on a worker, each metric on its own: a search that keeps failing is given up on
# after three attempts and ten seconds of waiting, and the next metric goes on.
REFRESH_POLICY = RetryPolicy(max_attempts=3, max_delay=5.0, max_total_wait=10.0)


@dataclass
class RefreshReport:
    refreshed: list[str] = field(default_factory=list)  # "metric@cycle"
    failed: dict[str, str] = field(default_factory=dict)  # "metric@cycle" → reason


def remote_metrics(config: OkrConfig) -> dict[str, Metric]:
    """Jira metrics with a filter the mirror cannot evaluate."""
    return {
        metric_id: metric
        for metric_id, metric in config.metrics.items()
        if metric.source == "jira" and any(_unsupported(t) for t in (metric.jql, metric.numerator_jql) if t)
    }


def _unsupported(jql: str) -> bool:
    try:
        parse_jql(jql)
    except JqlUnsupported:
        return True
    except JqlError:
        return False
    return False


def refresh_remote_metrics(runtime: Runtime, now: datetime | None = None) -> RefreshReport:
    """Evaluate every remote metric for every cycle that uses it, each on its own: one that fails keeps
    its last value, marked stale with the reason, and the others are refreshed. Their KRs are marked
    dirty."""
    report = RefreshReport()
    config = runtime.config_store.current()
    if config is None or runtime.jira is None:
        return report
    now = now or datetime.now(UTC)
    jira = bounded_port(runtime.jira)
    metrics = remote_metrics(config)
    _remote(runtime.redis).forget_except({remote_key(m, c.id) for m in metrics for c in _cycles_using(config, m)})
    for metric_id, metric in metrics.items():
        for cycle in _cycles_using(config, metric_id):
            _refresh_one(runtime, jira, config, metric_id, metric, cycle, now, report)
        krs = [
            f"{s.id}/{kr.id}"
            for s in config.okr_sets
            for o in s.objectives
            for kr in o.key_results
            if kr.metric == metric_id
        ]
        if krs:
            mark(runtime.redis, krs, {"kind": "remote", "metric": metric_id})
    return report


def _refresh_one(
    runtime: Runtime,
    jira: Any,
    config: OkrConfig,
    metric_id: str,
    metric: Metric,
    cycle: Cycle,
    now: datetime,
    report: RefreshReport,
) -> None:
    key = remote_key(metric_id, cycle.id)
    try:
        value = evaluate_remotely(runtime, config, metric, cycle, now, jira=jira)
    except ConnectorError as exc:
        _remote(runtime.redis).record_failure(key, str(exc), now)
        report.failed[key] = str(exc)
        return
    except Exception as exc:  # one metric's defect (an answer it cannot read) must not stop the others
        log.exception("remote metric %s not counted", key)
        _remote(runtime.redis).record_failure(key, f"{type(exc).__name__}: {exc}", now)
        report.failed[key] = f"{type(exc).__name__}: {exc}"
        return
    runtime.redis.hset(REMOTE, key, json.dumps(asdict(value), default=str))
    if runtime.redis.hdel(REMOTE_FAILURES, key):
        log.info("remote metric %s refreshed again", key)
    report.refreshed.append(key)


def _remote(connection: Any) -> OutsideValues:
    return OutsideValues(connection, REMOTE, REMOTE_FAILURES, "remote", "remote metric", "refreshed")


def remote_failures(connection: Any) -> dict[str, dict[str, Any]]:
    """The remote metrics whose last refresh failed: "metric@cycle" → reason, since, last, attempts."""
    return _remote(connection).failures()


def bounded_port(jira: Any) -> Any:
    """The same Jira with the refresh's shorter retry budget (a fake or another port is used as it is)."""
    from connector.jira import JiraPort

    if isinstance(jira, JiraPort):
        return JiraPort(jira.settings, REFRESH_POLICY, jira.stats)
    return jira


def stored_remote_values(runtime: Runtime) -> dict[str, MetricValue]:
    return _remote(runtime.redis).stored()


def evaluate_remotely(
    runtime: Runtime, config: OkrConfig, metric: Metric, cycle: Cycle, now: datetime, jira: Any = None
) -> MetricValue:
    """count and ratio through Jira's count; the other aggregates over the matching issues' fields."""
    window = _window_clause(metric, cycle, now, config)
    jira = jira or runtime.jira
    aggregate = metric.effective_aggregate
    if aggregate == "count":
        total = int(jira.count(f"({metric.jql}){window}"))
        return MetricValue(float(total), total, "remote", measured_at=now)
    if aggregate == "ratio":
        denominator = int(jira.count(f"({metric.jql}){window}"))
        numerator = int(jira.count(f"({metric.jql}) AND ({metric.numerator_jql}){window}"))
        return MetricValue(ratio_percent(numerator, denominator), denominator, "remote", measured_at=now)
    issues = jira.search(f"({metric.jql}){window}")
    given = evaluation_input(
        now,
        config,
        [issue_document(i) for i in issues],
        [],
        runtime.config_store.field_names(),
        current_user=runtime.config_store.own_account(),
    )
    value = aggregate_documents(metric, given.documents, given)
    return MetricValue(value.value, value.count, "remote", measured_at=now, note=value.note)


def _window_clause(metric: Metric, cycle: Cycle, now: datetime, config: OkrConfig) -> str:
    """The window as minutes before now, so the Jira account's time zone cannot shift it."""
    start, end = window_bounds(metric.window, cycle, now, config.zone)
    field = _jql_field(metric.effective_date_field)
    clause = f' AND {field} >= "-{max(0, math.ceil((now - start).total_seconds() / 60))}m"'
    if end < now:
        clause += f' AND {field} <= "-{math.floor((now - end).total_seconds() / 60)}m"'
    return clause


def _jql_field(name: str) -> str:
    return name if name.replace("_", "").isalnum() else json.dumps(name)


def _cycles_using(config: OkrConfig, metric_id: str) -> list[Cycle]:
    ids = {s.cycle for s in config.okr_sets for o in s.objectives for kr in o.key_results if kr.metric == metric_id}
    return [config.cycle(cycle_id) for cycle_id in sorted(ids)]
