"""What the admin API and pages work with, built once in the app factory."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from okrsync.settings import Settings
from sync.config_store import ConfigStore, MeasurementStore
from sync.jira_writer import WrittenStore
from sync.mirror import RedisMirror
from sync.runtime import Runtime


@dataclass
class AdminContext:
    settings: Settings
    runtime: Runtime

    @property
    def redis(self) -> redis.Redis:
        return self.runtime.redis

    @property
    def store(self) -> ConfigStore:
        return self.runtime.config_store


def admin_context(settings: Settings, connection: redis.Redis) -> AdminContext:
    """No Jira or Confluence connection: the web process only reads and stores; workers write back."""
    runtime = Runtime(
        settings=settings,
        redis=connection,
        config_store=ConfigStore(connection),
        mirror=RedisMirror(connection),
        measurements=MeasurementStore(connection),
        written=WrittenStore(connection),
    )
    return AdminContext(settings, runtime)
