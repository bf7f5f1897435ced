"""What the jobs of one worker process work with. The composition root builds it from the settings
and hands it over: a runtime installed for a connection, or a factory that builds one on first use
(RQ gives each job its connection, so a job finds its runtime by that connection)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis

from okr.report import Report
from sync.config_store import ConfigStore, MeasurementStore
from sync.jira_writer import WrittenStore
from sync.mirror import RedisMirror
from sync.mirror_follower import MirrorFollower
from sync.ports import ConfluenceApi, JiraApi, SyncSettings


@dataclass
class Runtime:
    settings: SyncSettings
    redis: redis.Redis
    config_store: ConfigStore
    mirror: RedisMirror
    measurements: MeasurementStore
    written: WrittenStore
    jira: JiraApi | None = None  # None when no Jira is configured (no write-back)
    confluence: ConfluenceApi | None = None  # None when no Confluence is configured (no pages)
    memory: MirrorFollower | None = None  # the mirror kept in this process's memory, made on first use
    last_report: tuple[int, Any, Report] | None = None  # (report number, configuration, report) of this process
    # the OKRSYNC_SQL_<NAME>_URL variables of source: sql metrics' connections (secrets: never logged)
    sql_urls: Mapping[str, str] = field(default_factory=dict)

    @property
    def mirror_in_memory(self) -> MirrorFollower:
        if self.memory is None:
            self.memory = MirrorFollower(self.mirror)
        return self.memory

    @property
    def queue_name(self) -> str:
        return self.settings.queue_name


RuntimeFactory = Callable[[redis.Redis], Runtime]


def new_runtime(
    settings: SyncSettings,
    connection: redis.Redis,
    jira: JiraApi | None = None,
    confluence: ConfluenceApi | None = None,
) -> Runtime:
    """The runtime on ``connection``, with the ports it is given (the stores are made here)."""
    return Runtime(
        settings=settings,
        redis=connection,
        config_store=ConfigStore(connection),
        mirror=RedisMirror(connection),
        measurements=MeasurementStore(connection),
        written=WrittenStore(connection),
        jira=jira,
        confluence=confluence,
    )


class NoRuntime(RuntimeError):
    """A job ran in a process whose runtime was never installed."""


@dataclass
class _Installed:
    runtimes: dict[int, Runtime]
    factory: RuntimeFactory | None = None


_installed = _Installed(runtimes={})


def runtime_for(connection: redis.Redis) -> Runtime:
    """The runtime of this process for ``connection`` (jobs get their connection from RQ)."""
    key = id(connection)
    if key not in _installed.runtimes:
        if _installed.factory is None:
            raise NoRuntime(
                "no runtime installed in this process: run the jobs with `okrsync worker`, which builds "
                "it from the settings (or install one with sync.runtime.install_runtime_factory)"
            )
        _installed.runtimes[key] = _installed.factory(connection)
    return _installed.runtimes[key]


def install_runtime(runtime: Runtime) -> None:
    """Use this runtime for jobs on its connection (the CLI and tests build their own)."""
    _installed.runtimes[id(runtime.redis)] = runtime


def install_runtime_factory(factory: RuntimeFactory | None) -> None:
    """Build the runtime of a connection that has none with ``factory``, on first use (None: a job on
    such a connection fails with NoRuntime)."""
    _installed.factory = factory


def forget_runtimes() -> None:
    """Forget the runtimes built or installed so far (a factory installed stays)."""
    _installed.runtimes.clear()
