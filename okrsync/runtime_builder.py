"""The jobs' Runtime, built from the settings: the connector's ports (their calls counted in Redis)
and the stores on one connection. The worker installs a factory of these before it starts."""

from __future__ import annotations

from collections.abc import Callable

import redis

from connector import CallStats, confluence_from_settings, jira_from_settings
from okrsync.settings import Settings, load_settings, sql_connection_urls
from sync import keys
from sync.ports import ConfluenceApi, JiraApi
from sync.runtime import Runtime, RuntimeFactory, install_runtime_factory, new_runtime


def build_runtime(
    settings: Settings,
    connection: redis.Redis,
    jira: JiraApi | None = None,
    confluence: ConfluenceApi | None = None,
) -> Runtime:
    """Ports not given are made from the settings (none when their URL is unset)."""
    if (jira is None and settings.jira_url) or (confluence is None and settings.confluence_url):
        stats = CallStats(on_call=_count_calls_in(connection))
        jira = jira or jira_from_settings(settings, stats=stats)
        confluence = confluence or confluence_from_settings(settings, stats=stats)
    runtime = new_runtime(settings, connection, jira, confluence)
    runtime.sql_urls = sql_connection_urls()
    return runtime


def _count_calls_in(connection: redis.Redis) -> Callable[[str, str, str], None]:
    def count(system: str, operation: str, outcome: str) -> None:
        try:
            connection.hincrby(keys.STATS_CALLS, f"{system}|{operation}|{outcome}", 1)
        except redis.RedisError:
            pass  # a counter must never fail the call it counts

    return count


def runtime_factory(settings: Settings | None = None) -> RuntimeFactory:
    """A runtime per connection from ``settings``, or from the settings read when it is first needed."""

    def build(connection: redis.Redis) -> Runtime:
        return build_runtime(settings or load_settings(), connection)

    return build


def install_runtime_from_settings(settings: Settings | None = None) -> None:
    """Jobs run in this process build their runtime from these settings (read from the environment when None)."""
    install_runtime_factory(runtime_factory(settings))
