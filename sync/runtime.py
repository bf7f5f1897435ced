"""What the jobs of one worker process work with, built once from the settings at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from okr.report import Report
from okrsync.settings import Settings, load_settings
from sync.config_store import ConfigStore, MeasurementStore
from sync.jira_writer import WrittenStore
from sync.memory import MirrorInMemory
from sync.mirror import Mirror


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    config_store: ConfigStore
    mirror: Mirror
    measurements: MeasurementStore
    written: WrittenStore
    jira: Any | None = None  # connector.JiraPort when a Jira is configured
    confluence: Any | None = None
    memory: MirrorInMemory | None = None  # the mirror kept in this process's memory, made on first use
    last_report: tuple[int, Any, Report] | None = None  # (report number, configuration, report) of this process

    @property
    def mirror_in_memory(self) -> MirrorInMemory:
        if self.memory is None:
            self.memory = MirrorInMemory(self.mirror)
        return self.memory

    @property
    def queue_name(self) -> str:
        return self.settings.queue_name


CALLS = "okrsync:stats:calls"  # "system|operation|outcome" → count, across processes


def build_runtime(
    settings: Settings, connection: redis.Redis, jira: Any | None = None, confluence: Any | None = None
) -> Runtime:
    if (jira is None and settings.jira_url) or (confluence is None and settings.confluence_url):
        from connector import CallStats, confluence_from_settings, jira_from_settings

        stats = CallStats(on_call=_count_calls_in(connection))
        jira = jira or jira_from_settings(settings, stats=stats)
        confluence = confluence or confluence_from_settings(settings, stats=stats)
    return Runtime(
        settings=settings,
        redis=connection,
        config_store=ConfigStore(connection),
        mirror=Mirror(connection),
        measurements=MeasurementStore(connection),
        written=WrittenStore(connection),
        jira=jira,
        confluence=confluence,
    )


def _count_calls_in(connection: redis.Redis) -> Any:
    def count(system: str, operation: str, outcome: str) -> None:
        try:
            connection.hincrby(CALLS, f"{system}|{operation}|{outcome}", 1)
        except redis.RedisError:
            pass  # a counter must never fail the call it counts

    return count


_runtimes: dict[int, Runtime] = {}


def runtime_for(connection: redis.Redis) -> Runtime:
    """The runtime of this process for ``connection`` (jobs get their connection from RQ)."""
    key = id(connection)
    if key not in _runtimes:
        _runtimes[key] = build_runtime(load_settings(), connection)
    return _runtimes[key]


def install_runtime(runtime: Runtime) -> None:
    """Use this runtime for jobs on its connection (the CLI and tests build their own)."""
    _runtimes[id(runtime.redis)] = runtime


def forget_runtimes() -> None:
    _runtimes.clear()
