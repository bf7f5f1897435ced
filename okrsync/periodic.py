"""The scheduler's rounds: sweep owed jobs, recompute every KR, reconcile with Jira."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

import redis

from sync import keys
from sync.cadence import owed_rituals
from sync.close import close_due_cycles
from sync.close_page import owed_close_pages
from sync.confluence_writer import due_pages
from sync.dirty import mark_all
from sync.problem_reviews import owed_problem_reviews
from sync.runtime import Runtime
from sync.scheduling import (
    schedule_cadence,
    schedule_flush,
    schedule_pages,
    schedule_remote_refresh,
    schedule_sql_refresh,
    sweep,
)

log = logging.getLogger(__name__)

LOCK = keys.SCHEDULER_LOCK  # one scheduler does the rounds; others stand by


@dataclass
class Periodic:
    runtime: Runtime
    recompute_every: float = 300.0
    reconcile_every: float = 600.0
    remote_every: float = 300.0
    sql_every: float = 60.0  # how often SQL metrics are looked at; each runs on its own refresh
    close_every: float = 60.0  # how often cycles past their close_after are looked for
    cadence_every: float = 60.0  # how often the sets' weekly and monthly rituals are looked for
    _last: dict[str, float] = field(default_factory=dict)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def run(self, interval: float, once: bool = False) -> None:
        while True:
            try:
                self.round(force=once)
            except redis.RedisError as exc:
                log.warning("scheduler: Redis unreachable (%s); retrying", exc)
            if once:
                return
            time.sleep(interval)

    def round(self, force: bool = False) -> None:
        connection = self.runtime.redis
        if not self._hold_lock() and not force:
            return  # another scheduler does the rounds
        if sweep(connection, self.runtime.queue_name):
            log.info("scheduler: owed work enqueued (waiting events or dirty KRs)")
        if self._due("recompute", self.recompute_every, force) and self.runtime.config_store.current():
            mark_all(connection, {"kind": "schedule"})
            schedule_flush(connection, self.runtime.queue_name)
        if self._due("reconcile", self.reconcile_every, force) and self.runtime.jira is not None:
            self._reconcile()
        if self._due("remote", self.remote_every, force) and self._has_remote_metrics():
            if schedule_remote_refresh(connection, self.runtime.queue_name):
                log.debug("scheduler: remote metrics to be counted on a worker")
        if self._due("sql", self.sql_every, force) and self._has_sql_metrics():
            if schedule_sql_refresh(connection, self.runtime.queue_name):
                log.debug("scheduler: SQL metrics to be fetched on a worker")
        if self._due("close", self.close_every, force):
            self._close_due_cycles()
        if self._due("cadence", self.cadence_every, force) and self._rituals_owed():
            if schedule_cadence(connection, self.runtime.queue_name):
                log.info("scheduler: a weekly digest or monthly review is due, writing it on a worker")
        due = due_pages(self.runtime)
        if due is not None and due.targets and schedule_pages(connection, self.runtime.queue_name):
            log.info("scheduler: %d page(s) due, publishing on a worker", len(due.targets))

    def _close_due_cycles(self) -> None:
        for record in close_due_cycles(self.runtime):
            log.info("scheduler: cycle %s closed, %d KR result(s) frozen", record.cycle, len(record.key_results))

    def _rituals_owed(self) -> bool:
        runtime = self.runtime
        return bool(owed_rituals(runtime) or owed_close_pages(runtime) or owed_problem_reviews(runtime))

    def _hold_lock(self, ttl: int = 60) -> bool:
        connection = self.runtime.redis
        if connection.set(LOCK, self.token, nx=True, ex=ttl):
            return True
        if connection.get(LOCK) == self.token.encode():
            connection.expire(LOCK, ttl)
            return True
        return False

    def _has_remote_metrics(self) -> bool:
        from sync.remote import remote_metrics

        config = self.runtime.config_store.current()
        return self.runtime.jira is not None and config is not None and bool(remote_metrics(config))

    def _has_sql_metrics(self) -> bool:
        from sync.sql_metrics import sql_metrics

        config = self.runtime.config_store.current()
        return config is not None and bool(sql_metrics(config))

    def _reconcile(self) -> None:
        from connector import ConnectorError
        from sync.reconcile import reconcile

        try:
            report = reconcile(self.runtime)
            log.info("scheduler: reconcile read %d issue(s), %d drifted", report.seen, report.drift)
        except (ConnectorError, RuntimeError) as exc:
            log.warning("scheduler: reconcile skipped: %s", exc)

    def _due(self, name: str, every: float, force: bool) -> bool:
        now = time.monotonic()
        if force or now - self._last.get(name, -every) >= every:
            self._last[name] = now
            return True
        return False
