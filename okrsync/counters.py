"""Event counters shared by every process (a Redis hash), exposed to Prometheus at scrape time.

Counting in Redis keeps the figures right with several gunicorn workers; the queue's Lua call
counts queued and duplicate deliveries in the same round trip that stores them. Deliveries answered
503 cannot be counted in Redis (it is unreachable), so they are counted in the process.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections.abc import Iterator

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import SecretStr

from sync import keys
from sync.keys import STATS_CALLS as CALLS
from sync.mirror import RedisMirror
from sync.queue import STATS, EventStream
from sync.redis_text import decoded

log = logging.getLogger(__name__)

UNKNOWN_EVENTS = keys.STATS_UNKNOWN_EVENTS
REJECT_PREFIX = "rejected:"
# Unknown event names come from signed bodies: label values of okrsync_events_unknown_total are
# kept to a bounded set. A name Jira sends is counted under its name; any other well-formed name
# too while fewer than MAX_UNKNOWN_NAMES names are counted (a new Jira event type still shows by
# name), and everything else as "other".
MAX_UNKNOWN_NAMES = 50
MAX_LABEL_VALUES = 128  # what a scrape shows at most: the names above, Jira's own, "other"
OTHER_EVENTS = "other"
EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*)?")
_COUNT_UNKNOWN = """
local name = ARGV[1]
if ARGV[2] ~= '1' and redis.call('HEXISTS', KEYS[1], name) == 0
   and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  name = ARGV[4]
end
return redis.call('HINCRBY', KEYS[1], name, 1)
"""


class LocalCounts:
    """Per-process counts of what could not be written to Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.unavailable = 0

    def add_unavailable(self) -> None:
        with self._lock:
            self.unavailable += 1


def count(connection: redis.Redis, name: str, kind: str | None = None, known: bool = False) -> None:
    """Best effort: a counter must never turn an answer into an error. ``kind``: the name of an
    unknown event, ``known`` when Jira sends such events (counted by name whatever the others)."""
    try:
        pipe = connection.pipeline(transaction=False)
        pipe.hincrby(STATS, name, 1)
        if kind is not None:
            label = kind if known or EVENT_NAME.fullmatch(kind[:64]) else OTHER_EVENTS
            pipe.eval(_COUNT_UNKNOWN, 1, UNKNOWN_EVENTS, label[:64], int(known), MAX_UNKNOWN_NAMES, OTHER_EVENTS)
        pipe.execute()
    except redis.RedisError:
        log.warning("could not count %s: Redis unreachable", name)


def bounded_unknown(counts: dict[str, int]) -> dict[str, int]:
    """What was counted before the cap (or by hand) folded into "other" past MAX_LABEL_VALUES names."""
    if len(counts) <= MAX_LABEL_VALUES:
        return counts
    kept = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: MAX_LABEL_VALUES - 1])
    kept[OTHER_EVENTS] = sum(counts.values()) - sum(v for k, v in kept.items() if k != OTHER_EVENTS)
    return kept


def read_counts(connection: redis.Redis) -> dict[str, int | float]:
    return {decoded(k): _number(v) for k, v in connection.hgetall(STATS).items()}


def _number(raw: bytes | str) -> int | float:
    text = decoded(raw)
    return float(text) if "." in text else int(text)


def metrics_allowed(token: SecretStr | None, authorization: str | None) -> bool:
    """No OKRSYNC_METRICS_TOKEN: open, as before; with one, ``Authorization: Bearer <token>``."""
    if token is None:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())


METRICS_UNAUTHORIZED = (
    "GET /metrics needs the metrics token: send Authorization: Bearer <OKRSYNC_METRICS_TOKEN> "
    "(set the same token in the scraper's configuration)"
)


class EventCollector(Collector):
    def __init__(self, connection: redis.Redis, local: LocalCounts) -> None:
        self.redis = connection
        self.local = local

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("okrsync_redis_up", "1 when Redis answered this scrape")
        try:
            counts = read_counts(self.redis)
            unknown = {decoded(k): int(v) for k, v in self.redis.hgetall(UNKNOWN_EVENTS).items()}
            backlog = EventStream(self.redis).backlog()
            mirrored = RedisMirror(self.redis).count()
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            yield from self._unavailable()
            return
        up.add_metric([], 1)
        yield up
        yield from self._event_counters(counts, unknown)
        yield from self._unavailable()
        yield _gauge("okrsync_queue_lag_seconds", "Age of the oldest event not yet applied", backlog.lag_seconds)
        yield _gauge("okrsync_queue_waiting", "Events stored, not yet read by a worker", backlog.waiting)
        yield _gauge("okrsync_queue_pending", "Events read by a worker, not yet applied", backlog.pending)
        yield _gauge("okrsync_events_dead_letters", "Events kept because they could not be applied", backlog.dead)
        yield _gauge("okrsync_mirror_issues", "Issues in the mirror", mirrored)
        yield from self._sync_metrics(counts)

    def _sync_metrics(self, counts: dict[str, int | float]) -> Iterator[Metric]:
        calls = CounterMetricFamily(
            "okrsync_atlassian_calls",
            "Calls to Jira and Confluence by outcome",
            labels=["system", "operation", "outcome"],
        )
        limited = 0
        for key, value in sorted(self.redis.hgetall(CALLS).items()):
            system, operation, outcome = decoded(key).split("|", 2)
            calls.add_metric([system, operation, outcome], int(value))
            limited += int(value) if outcome == "429" else 0
        yield calls
        yield _counter("okrsync_atlassian_rate_limited", "Calls answered 429 (rate limited)", limited)
        yield _counter("okrsync_writebacks", "Writes to Jira whose content had changed", counts.get("writebacks", 0))
        yield _counter("okrsync_flushes", "Flushes run (recompute and write back)", counts.get("flushes", 0))
        yield _counter("okrsync_flush_seconds", "Seconds spent in flushes", counts.get("flush_seconds_total", 0))
        yield _counter(
            "okrsync_reconcile_drift", "Issues reconciliation found out of date", counts.get("reconcile_drift", 0)
        )
        pages = CounterMetricFamily(
            "okrsync_confluence_pages", "Confluence page updates by outcome", labels=["outcome"]
        )
        for outcome in ("writes", "creates", "unchanged", "deferred", "conflicts", "failures"):
            pages.add_metric([outcome], counts.get(f"page_{outcome}", 0))
        yield pages
        yield _counter(
            "okrsync_action_points_created", "Action points opened in Jira", counts.get("action_points_created", 0)
        )

    def _event_counters(self, counts: dict[str, int | float], unknown: dict[str, int]) -> Iterator[Metric]:
        rejected = {k[len(REJECT_PREFIX) :]: v for k, v in counts.items() if k.startswith(REJECT_PREFIX)}
        answered = sum(v for k, v in counts.items() if k in ("queued", "duplicate", "ignored", "unknown"))
        received = answered + sum(rejected.values()) + self.local.unavailable
        yield _counter(
            "okrsync_events_received", "Webhook deliveries received (this process's 503s included)", received
        )
        for name, help_text in (
            ("queued", "Deliveries stored for the workers"),
            ("duplicate", "Deliveries already seen (same webhook identifier)"),
            ("ignored", "Deliveries of event types the product does not use"),
            ("applied", "Events applied to the mirror by workers"),
            ("applied_own", "Events applied that the service's own account made (write-backs, action points)"),
            ("applied_links", "Issue link events applied (Jira names no user on them)"),
            ("dead_lettered", "Events that failed to apply and were kept aside"),
        ):
            yield _counter(f"okrsync_events_{name}", help_text, counts.get(name, 0))
        by_reason = CounterMetricFamily("okrsync_events_rejected", "Deliveries refused", labels=["reason"])
        for reason, value in sorted(rejected.items()):
            by_reason.add_metric([reason], value)
        yield by_reason
        by_type = CounterMetricFamily("okrsync_events_unknown", "Deliveries of unknown event types", labels=["event"])
        for kind, value in sorted(bounded_unknown(unknown).items()):
            by_type.add_metric([kind], value)
        yield by_type

    def _unavailable(self) -> Iterator[Metric]:
        yield _counter(
            "okrsync_events_unavailable", "Deliveries answered 503 by this process (Redis down)", self.local.unavailable
        )


def _counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
    family = CounterMetricFamily(name, help_text)
    family.add_metric([], value)
    return family


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text)
    family.add_metric([], value)
    return family
