"""Pushed measurements: `POST /api/v1/metrics/{id}/measurements`.

Idempotent with a client key: the first request stores the measurement under the key (7 days),
a retry finds it and stores the same member again, which the sorted set keeps once. So a crash
between the two writes cannot lose a value, and a retry never adds a second one. The answer is
sent only after Redis has acknowledged the write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis

from mapping.measurements import Measurement
from mapping.models import OkrConfig
from okrsync.admin.errors import ApiError
from okrsync.admin.schemas import MeasurementIn
from sync import keys
from sync.dirty import mark
from sync.jobs import schedule_flush
from sync.runtime import Runtime

IDEMPOTENCY_PREFIX = keys.MEASUREMENT_IDEMPOTENCY_PREFIX
IDEMPOTENCY_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Pushed:
    measurement: Measurement
    key: str | None
    replayed: bool
    marked: list[str]


def check_push_metric(config: OkrConfig | None, metric_id: str) -> None:
    """404 for an unknown metric, 409 for one whose values do not come from pushes."""
    metrics = config.metrics if config else {}
    pushed = sorted(m for m, d in metrics.items() if d.source == "push")
    if metric_id not in metrics:
        raise ApiError(
            404,
            "unknown_metric",
            f"no metric {metric_id!r} in the metric dictionary; push metrics: "
            f"{', '.join(pushed) or 'none (add one with source: push)'}",
        )
    source = metrics[metric_id].source
    if source != "push":
        raise ApiError(
            409,
            "not_a_push_metric",
            f"metric {metric_id!r} has source {source}: its values are "
            f"computed from {'Jira issues' if source == 'jira' else 'a problem program'}; "
            "only metrics with source: push accept measurements",
        )


def measurement_from(metric_id: str, body: MeasurementIn, now: datetime, skew_seconds: int) -> Measurement:
    at = body.at or now
    if at > now + timedelta(seconds=skew_seconds):
        raise ApiError(
            422,
            "invalid_body",
            f"'at' {at.isoformat()} lies in the future (more than {skew_seconds}s "
            f"after the server's clock, {now.isoformat(timespec='seconds')}); send the time it was measured",
            path="at",
        )
    return Measurement(metric=metric_id, value=body.value, at=at.astimezone(UTC), note=body.note, source=body.source)


def push_measurement(
    runtime: Runtime, config: OkrConfig, measurement: Measurement, body: MeasurementIn, key: str | None
) -> Pushed:
    replayed = False
    if key is not None:
        measurement, replayed = _claim_key(runtime.redis, measurement, _request_digest(body), key)
    runtime.measurements.add(measurement)  # the same member again on a replay: stored once
    marked = [] if replayed else _mark_users(runtime, config, measurement.metric)
    return Pushed(measurement, key, replayed, marked)


def _claim_key(connection: redis.Redis, measurement: Measurement, digest: str, key: str) -> tuple[Measurement, bool]:
    """(the measurement to store, whether the key was seen before). 409 when the key came with other values."""
    redis_key = IDEMPOTENCY_PREFIX + hashlib.sha256(f"{measurement.metric}\0{key}".encode()).hexdigest()
    record = json.dumps({"measurement": measurement.model_dump(mode="json"), "request": digest})
    if connection.set(redis_key, record, nx=True, ex=IDEMPOTENCY_SECONDS):
        return measurement, False
    raw = connection.get(redis_key)
    if raw is None:  # expired in between: treat as new
        connection.set(redis_key, record, ex=IDEMPOTENCY_SECONDS)
        return measurement, False
    stored = json.loads(raw)
    if stored["request"] != digest:
        raise ApiError(
            409,
            "idempotency_conflict",
            f"idempotency key {key!r} was used for a different measurement "
            "of this metric; use a new key for a new value",
            path="idempotency_key",
        )
    return Measurement.model_validate(stored["measurement"]), True


def _request_digest(body: MeasurementIn) -> str:
    """What the client sent, without the key; a retry without 'at' matches the first request."""
    fields = {
        "value": body.value,
        "note": body.note,
        "source": body.source,
        "at": body.at.isoformat() if body.at else None,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _mark_users(runtime: Runtime, config: OkrConfig, metric_id: str) -> list[str]:
    members = sorted(
        f"{s.id}/{kr.id}"
        for s in config.okr_sets
        for o in s.objectives
        for kr in o.key_results
        if kr.metric == metric_id and not kr.unmeasured
    )
    if members:
        mark(runtime.redis, members, {"kind": "measurement", "metric": metric_id})
        schedule_flush(runtime.redis, runtime.queue_name)
    return members
