"""Values counted outside the live mirror (remote searches, warehouse queries), kept in Redis with
their failures: the last value stays, marked stale with the reason, while its source fails."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Literal

from okr.metrics import MetricValue
from sync.redis_text import decoded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutsideValues:
    """One kind of outside value: its two hashes, the ``source`` its values carry, and the words a
    failure is logged and noted with ("remote metric" … "refreshed", "SQL metric" … "fetched")."""

    connection: Any
    values_key: str
    failures_key: str
    source: Literal["remote", "sql"]
    label: str
    verb: str

    def stored(self) -> dict[str, MetricValue]:
        values = {}
        for key, raw in self.connection.hgetall(self.values_key).items():
            data = json.loads(raw)
            measured = data.pop("measured_at", None)
            at = datetime.fromisoformat(measured) if measured else None
            values[decoded(key)] = MetricValue(**data, measured_at=at)
        return values

    def failures(self) -> dict[str, dict[str, Any]]:
        """key → reason, since, last, attempts, for the values whose last attempt failed."""
        return {decoded(k): json.loads(v) for k, v in sorted(self.connection.hgetall(self.failures_key).items())}

    def record_failure(self, key: str, reason: str, now: datetime) -> None:
        """Keep the last value, marked stale with the reason; remember since when it fails."""
        raw = self.connection.hget(self.failures_key, key)
        previous = json.loads(raw) if raw else None
        failure = {
            "reason": reason,
            "since": previous["since"] if previous else now.isoformat(),
            "last": now.isoformat(),
            "attempts": (previous["attempts"] if previous else 0) + 1,
        }
        self.connection.hset(self.failures_key, key, json.dumps(failure))
        stored = self.stored().get(key)
        note = f"not {self.verb} since {failure['since']}: {reason}"
        kept = (
            replace(stored, stale=True, note=note)
            if stored
            else MetricValue(None, 0, self.source, stale=True, note=note)
        )
        self.connection.hset(self.values_key, key, json.dumps(asdict(kept), default=str))
        level = logging.WARNING if previous is None else logging.INFO
        log.log(level, "%s %s not %s (attempt %d): %s", self.label, key, self.verb, failure["attempts"], reason)

    def forget_except(self, kept: set[str]) -> None:
        """Drop the values and failures of what is no longer configured."""
        for name in (self.values_key, self.failures_key):
            gone = [k for k in (decoded(key) for key in self.connection.hkeys(name)) if k not in kept]
            if gone:
                self.connection.hdel(name, *gone)
