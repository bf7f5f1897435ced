"""Fixtures: the emulator on a real loopback port, ports pointed at it, and a fake clock for retries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from werkzeug.serving import make_server

from connector import CallStats, ConfluencePort, ConfluenceSettings, JiraPort, JiraSettings, RetryPolicy
from emulator.app import create_emulator

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "emulator" / "default.yaml"
BULK_ISSUES = 260
ADMIN = ("admin@acme.example", "admin-token")

logging.getLogger("werkzeug").setLevel(logging.WARNING)


@dataclass
class Site:
    """An emulator serving on 127.0.0.1, with its fault knobs and call counters."""

    url: str
    app: Any

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.url}/_emulator/{path}", timeout=10, **kwargs)

    def faults(self, **changes: Any) -> None:
        response = self.control("PUT", "faults", json=changes)
        assert response.status_code == 200, response.text

    def counters(self) -> dict[str, dict[str, int]]:
        return self.control("GET", "counters").json()["calls"]

    def calls(self, endpoint: str, status: str | None = None) -> int:
        outcomes = self.counters().get(endpoint, {})
        return outcomes.get(status, 0) if status else sum(outcomes.values())


@dataclass
class FakeTime:
    """Stands in for time.sleep and time.time: records every wait and moves the clock instead of sleeping."""

    now: float = 1_800_000_000.0
    waits: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def _scenario(extra_issues: int) -> dict[str, Any]:
    document = yaml.safe_load(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    if extra_issues:
        document["projects"].append({"key": "BULK", "name": "Bulk"})
        document["generate"] = [{"project": "BULK", "count": extra_issues, "labels": ["bulk"], "days": 90}]
    return document


def _serve(app: Any) -> Iterator[Site]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["emulator"].dispatcher.stop()


@pytest.fixture
def cloud() -> Iterator[Site]:
    yield from _serve(create_emulator(_scenario(0), flavor="cloud"))


@pytest.fixture
def datacenter() -> Iterator[Site]:
    yield from _serve(create_emulator(_scenario(0), flavor="datacenter"))


@pytest.fixture
def strict_cloud() -> Iterator[Site]:
    """Only scenario users with their own token get in; anything else is 401."""
    yield from _serve(create_emulator(_scenario(0), flavor="cloud", require_auth=True))


@pytest.fixture(scope="module")
def bulk_cloud() -> Iterator[Site]:
    yield from _serve(create_emulator(_scenario(BULK_ISSUES), flavor="cloud"))


@pytest.fixture(scope="module")
def bulk_datacenter() -> Iterator[Site]:
    yield from _serve(create_emulator(_scenario(BULK_ISSUES), flavor="datacenter"))


@pytest.fixture(scope="session")
def bulk_size() -> int:
    """How many issues the bulk sites hold in project BULK, besides the default scenario."""
    return BULK_ISSUES


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def policy(fake_time: FakeTime) -> RetryPolicy:
    """The default budget, no jitter, and no real sleeping."""
    return RetryPolicy(jitter=0.0, sleep=fake_time.sleep, clock=fake_time.clock)


JiraFactory = Callable[..., JiraPort]
ConfluenceFactory = Callable[..., ConfluencePort]


@pytest.fixture
def make_jira(policy: RetryPolicy) -> JiraFactory:
    def make(
        site: Site,
        *,
        flavor: str | None = None,
        user: str | None = ADMIN[0],
        token: str | None = ADMIN[1],
        retry: RetryPolicy | None = None,
        stats: CallStats | None = None,
        timeout: float = 10,
    ) -> JiraPort:
        settings = JiraSettings(
            url=site.url,
            user=user,
            token=token,
            flavor=flavor,  # type: ignore[arg-type]
            timeout=timeout,
        )
        return JiraPort(settings, retry or policy, stats)

    return make


@pytest.fixture
def make_confluence(policy: RetryPolicy) -> ConfluenceFactory:
    def make(site: Site, *, retry: RetryPolicy | None = None, stats: CallStats | None = None) -> ConfluencePort:
        settings = ConfluenceSettings(url=site.url + "/wiki", user=ADMIN[0], token=ADMIN[1])
        return ConfluencePort(settings, retry or policy, stats)

    return make
