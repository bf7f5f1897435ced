"""What the admin API and pages work with, built once in the app factory."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from okrsync.settings import Settings
from sync.config_store import ConfigStore
from sync.runtime import Runtime, new_runtime


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
    runtime = new_runtime(settings, connection)
    return AdminContext(settings, runtime)
