"""The applied configuration, metric definition history, Jira field names and pushed measurements,
kept in Redis so every web and worker process sees the same state."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import redis
from pydantic import ValidationError

from mapping.loader import load_config_text
from mapping.measurements import Measurement
from mapping.models import OkrConfig
from mapping.numbers import EXPECTED_NUMBER, is_bounded
from mapping.versions import metric_version
from okr.kr_changes import kr_changes
from sync import keys
from sync.kr_changes import queue_kr_changes
from sync.redis_text import decoded

log = logging.getLogger(__name__)

CONFIG = keys.CONFIG
VERSION_PREFIX = keys.METRIC_VERSIONS_PREFIX
FIELD_NAMES = keys.JIRA_FIELD_NAMES
FIELD_KINDS = keys.JIRA_FIELD_KINDS
OWN_ACCOUNT = keys.JIRA_OWN_ACCOUNT
MEASUREMENT_PREFIX = keys.MEASUREMENTS_PREFIX
MEASUREMENTS_KEPT = 1000  # per metric; the newest are kept


@dataclass(frozen=True)
class MetricChange:
    metric: str
    old: str | None
    new: str


@dataclass(frozen=True)
class Applied:
    revision: int
    changed: bool
    metric_changes: list[MetricChange]


class ConfigStore:
    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self._cached: tuple[int, OkrConfig] | None = None

    def apply(self, text: str, source: str, author: str, now: datetime) -> Applied:
        """Validate and store a configuration; record new metric definition versions. Raises ConfigError."""
        config = load_config_text(text, source)
        current = self.current()
        if current is not None and self.redis.hget(CONFIG, "text") == text.encode():
            return Applied(self.revision(), False, [])
        changes = [c for c in _metric_changes(current, config) if c.old != c.new]
        pipe = self.redis.pipeline(transaction=True)
        for change in changes:
            entry = {"version": change.new, "at": now.isoformat(), "author": author}
            pipe.rpush(VERSION_PREFIX + change.metric, json.dumps(entry))
        queue_kr_changes(pipe, kr_changes(current, config), author, now, self.revision() + 1)
        pipe.hset(CONFIG, mapping={"text": text, "source": source, "author": author, "applied_at": now.isoformat()})
        pipe.hincrby(CONFIG, "revision", 1)
        revision = pipe.execute()[-1]
        return Applied(int(revision), True, changes)

    def revision(self) -> int:
        return int(self.redis.hget(CONFIG, "revision") or 0)

    def current(self) -> OkrConfig | None:
        """The applied configuration, parsed once per revision in this process."""
        raw = self.redis.hmget(CONFIG, ["revision", "text", "source"])
        if raw[0] is None:
            return None
        revision = int(raw[0])
        if self._cached is None or self._cached[0] != revision:
            # ``apply`` writes the text and its source in the transaction that sets the revision
            text, source = cast("tuple[bytes | str, bytes | str]", (raw[1], raw[2]))
            self._cached = (revision, load_config_text(decoded(text), decoded(source)))
        return self._cached[1]

    def info(self) -> dict[str, Any]:
        raw = self.redis.hgetall(CONFIG)
        return {decoded(k): decoded(v) for k, v in raw.items() if k != b"text"}

    def metric_history(self, metric_id: str) -> list[dict[str, str]]:
        return [json.loads(entry) for entry in self.redis.lrange(VERSION_PREFIX + metric_id, 0, -1)]

    def definition_changes(self) -> dict[str, list[dict[str, str]]]:
        """Every metric's version history (the first entry is its first definition)."""
        config = self.current()
        return {m: self.metric_history(m) for m in (config.metrics if config else {})}

    # ------------------------------------------------------------------ Jira facts

    def field_names(self) -> dict[str, str]:
        raw = self.redis.get(FIELD_NAMES)
        return json.loads(raw) if raw else {}

    def set_field_names(self, names: dict[str, str]) -> None:
        self.redis.set(FIELD_NAMES, json.dumps(names, sort_keys=True))

    def field_kinds(self) -> dict[str, str]:
        """Field id → the kind of value it holds (``mapping.field_kinds``), as learnt with the names."""
        raw = self.redis.get(FIELD_KINDS)
        return json.loads(raw) if raw else {}

    def set_field_kinds(self, kinds: dict[str, str]) -> None:
        self.redis.set(FIELD_KINDS, json.dumps(kinds, sort_keys=True))

    def own_account(self) -> str | None:
        raw = self.redis.get(OWN_ACCOUNT)
        return decoded(raw) if raw else None

    def set_own_account(self, identity: str) -> None:
        self.redis.set(OWN_ACCOUNT, identity)


class MeasurementStore:
    """Pushed values per metric, ordered by their time. Only finite values within ±1e15 are stored;
    a stored row that is not such a measurement (written by an older version) is skipped when read,
    with a warning, so it never stops an evaluation or a page."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def add(self, measurement: Measurement) -> None:
        """Raises ValueError for a value that is not finite or lies beyond ±NUMBER_LIMIT."""
        if not is_bounded(measurement.value):
            raise ValueError(
                f"measurement of {measurement.metric}: {EXPECTED_NUMBER} is required (got {measurement.value!r})"
            )
        key = MEASUREMENT_PREFIX + measurement.metric
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(key, {measurement.model_dump_json(): measurement.at.timestamp()})
        pipe.zremrangebyrank(key, 0, -MEASUREMENTS_KEPT - 1)
        pipe.execute()

    def for_metrics(self, metric_ids: list[str]) -> list[Measurement]:
        pipe = self.redis.pipeline(transaction=False)
        for metric_id in metric_ids:
            pipe.zrange(MEASUREMENT_PREFIX + metric_id, 0, -1)
        found = [
            _stored_measurement(metric_id, raw)
            for metric_id, rows in zip(metric_ids, pipe.execute(), strict=False)
            for raw in rows
        ]
        return [m for m in found if m is not None]


def _stored_measurement(metric_id: str, raw: bytes) -> Measurement | None:
    try:
        return Measurement.model_validate_json(raw)
    except ValidationError as exc:
        log.warning(
            "a stored measurement of %s is skipped (%s): %s",
            metric_id,
            exc.errors()[0]["msg"] if exc.errors() else "invalid",
            raw[:120].decode(errors="replace"),
        )
        return None


def _metric_changes(old: OkrConfig | None, new: OkrConfig) -> list[MetricChange]:
    before = {m: metric_version(d) for m, d in (old.metrics.items() if old else [])}
    return [MetricChange(m, before.get(m), metric_version(d)) for m, d in sorted(new.metrics.items())]
