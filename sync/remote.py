"""Metrics whose JQL is outside the local subset: evaluated through Jira's search on a schedule,
stored with their time, and used by every evaluation until the next refresh (provenance: remote)."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from mapping.models import Cycle, Metric, OkrConfig
from okr.evaluate import evaluation_input
from okr.jql import JqlError, JqlUnsupported, parse_jql
from okr.metrics import MetricValue, aggregate_documents, remote_key
from okr.aggregates import ratio_percent
from okr.timeframe import window_bounds
from sync.dirty import mark
from sync.documents import issue_document
from sync.runtime import Runtime

log = logging.getLogger(__name__)

REMOTE = "okrsync:remote-values"  # "metric@cycle" → JSON MetricValue + measured time


def remote_metrics(config: OkrConfig) -> dict[str, Metric]:
    """Jira metrics with a filter the mirror cannot evaluate."""
    return {metric_id: metric for metric_id, metric in config.metrics.items()
            if metric.source == "jira" and any(_unsupported(t) for t in (metric.jql, metric.numerator_jql) if t)}


def _unsupported(jql: str) -> bool:
    try:
        parse_jql(jql)
    except JqlUnsupported:
        return True
    except JqlError:
        return False
    return False


def refresh_remote_metrics(runtime: Runtime, now: datetime | None = None) -> int:
    """Evaluate every remote metric for every cycle that uses it; mark their KRs dirty. Returns how many."""
    config = runtime.config_store.current()
    if config is None or runtime.jira is None:
        return 0
    now = now or datetime.now(timezone.utc)
    refreshed = 0
    for metric_id, metric in remote_metrics(config).items():
        for cycle in _cycles_using(config, metric_id):
            value = evaluate_remotely(runtime, config, metric, cycle, now)
            runtime.redis.hset(REMOTE, remote_key(metric_id, cycle.id), json.dumps(asdict(value), default=str))
            refreshed += 1
        krs = [f"{s.id}/{kr.id}" for s in config.okr_sets for o in s.objectives for kr in o.key_results
               if kr.metric == metric_id]
        if krs:
            mark(runtime.redis, krs, {"kind": "remote", "metric": metric_id})
    return refreshed


def stored_remote_values(runtime: Runtime) -> dict[str, MetricValue]:
    values = {}
    for key, raw in runtime.redis.hgetall(REMOTE).items():
        data = json.loads(raw)
        measured = data.pop("measured_at", None)
        values[key.decode()] = MetricValue(**data, measured_at=datetime.fromisoformat(measured) if measured else None)
    return values


def evaluate_remotely(runtime: Runtime, config: OkrConfig, metric: Metric, cycle: Cycle, now: datetime) -> MetricValue:
    """count and ratio through Jira's count; the other aggregates over the matching issues' fields."""
    window = _window_clause(metric, cycle, now, config)
    jira = runtime.jira
    aggregate = metric.effective_aggregate
    if aggregate == "count":
        total = int(jira.count(f"({metric.jql}){window}"))
        return MetricValue(float(total), total, "remote", measured_at=now)
    if aggregate == "ratio":
        denominator = int(jira.count(f"({metric.jql}){window}"))
        numerator = int(jira.count(f"({metric.jql}) AND ({metric.numerator_jql}){window}"))
        return MetricValue(ratio_percent(numerator, denominator), denominator, "remote", measured_at=now)
    issues = jira.search(f"({metric.jql}){window}")
    given = evaluation_input(now, config, [issue_document(i) for i in issues], [], runtime.config_store.field_names())
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


