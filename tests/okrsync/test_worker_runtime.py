"""A job's runtime comes from the composition root: installed for a connection, or built by the
factory the worker installs before it starts; without either, the job says what is missing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from okrsync.runtime_builder import build_runtime, install_runtime_from_settings
from okrsync.settings import Settings
from sync.runtime import NoRuntime, Runtime, forget_runtimes, install_runtime, install_runtime_factory, runtime_for


@pytest.fixture()
def fresh_runtimes() -> Iterator[None]:
    forget_runtimes()
    yield
    forget_runtimes()
    install_runtime_from_settings()  # as the tests' own conftest does for the jobs they run


def test_the_factory_builds_one_runtime_per_connection(
    fresh_runtimes: None, settings: Settings, connection: redis.Redis
) -> None:
    built: list[Runtime] = []

    def factory(conn: redis.Redis) -> Runtime:
        built.append(build_runtime(settings, conn))
        return built[-1]

    install_runtime_factory(factory)
    assert runtime_for(connection) is runtime_for(connection) is built[0]
    assert len(built) == 1 and built[0].queue_name == settings.queue_name


def test_an_installed_runtime_comes_before_the_factory(
    fresh_runtimes: None, settings: Settings, connection: redis.Redis
) -> None:
    mine = build_runtime(settings, connection)
    install_runtime(mine)
    install_runtime_factory(lambda conn: pytest.fail("the factory was asked for an installed runtime"))
    assert runtime_for(connection) is mine


def test_without_a_runtime_a_job_says_how_to_get_one(fresh_runtimes: None, connection: redis.Redis) -> None:
    install_runtime_factory(None)
    with pytest.raises(NoRuntime, match="okrsync worker"):
        runtime_for(connection)


def test_the_settings_give_no_ports_when_no_site_is_configured(settings: Settings, connection: redis.Redis) -> None:
    runtime = build_runtime(settings, connection)
    assert runtime.jira is None and runtime.confluence is None
