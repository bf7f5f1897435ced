"""Shared fixtures: a real (embedded) Redis server, the app on it, signed deliveries, a real RQ worker."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from rq import Queue, SimpleWorker

from okrsync.app import create_app
from okrsync.redis_store import embedded_redis
from okrsync.runtime_builder import install_runtime_from_settings
from okrsync.settings import Settings
from tests.support.waiting import wait_until
from webhooks.events import IDENTIFIER_HEADER, SIGNATURE_HEADER, sign

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "jira-webhooks"  # captured deliveries (tests/fixtures/README.md)
SECRET = "test-secret"
QUEUE = "okrsync-test"


def fixture_paths() -> list[Path]:
    paths = sorted(FIXTURES.glob("*.json"))
    if not paths:
        raise RuntimeError(f"no webhook fixtures found in {FIXTURES}")
    return paths


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


# Check-in comments as soon as a KR's health changes: the tests of posting them say when it happens
# (the pacing itself is tested on its own, tests/sync/test_checkin_pacing.py).
UNPACED_CHECKINS = {"checkin_hold_seconds": 0, "checkin_min_interval_seconds": 0}


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set what they need; nothing leaks in from the shell that runs them."""
    for name in [n for n in os.environ if n.startswith("OKRSYNC_")]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session", autouse=True)
def jobs_build_their_runtime() -> None:
    """Jobs run in the test process (run_worker) build their runtime from the settings as the
    worker started by `okrsync worker` does, unless a test installs its own."""
    install_runtime_from_settings()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> redis.Redis:
    return embedded_redis(tmp_path_factory.mktemp("redis"))


@pytest.fixture()
def connection(redis_server: redis.Redis) -> Iterator[redis.Redis]:
    redis_server.flushdb()
    yield redis_server


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(webhook_secret=SECRET, data_dir=tmp_path, queue_name=QUEUE, _env_file=None, **UNPACED_CHECKINS)  # type: ignore[arg-type]


@pytest.fixture()
def app(settings: Settings, connection: redis.Redis):
    return create_app(settings, connection=connection)


@pytest.fixture()
def client(app) -> FlaskClient:
    return app.test_client()


def signed_headers(body: bytes, identifier: str | None = None, secret: str = SECRET) -> dict[str, str]:
    headers = {SIGNATURE_HEADER: sign(body, secret.encode()), "Content-Type": "application/json"}
    if identifier is not None:
        headers[IDENTIFIER_HEADER] = identifier
    return headers


def post_event(
    client: FlaskClient, payload: dict[str, Any] | bytes, identifier: str | None = None, secret: str = SECRET
):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/webhooks/jira", data=body, headers=signed_headers(body, identifier, secret))


def run_worker(connection: redis.Redis) -> None:
    """Process every queued job with a real RQ worker (in this process), then return."""
    SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection).work(burst=True)


def assert_embedded_redis_stopped(data_dir: Path) -> None:
    """The last okrsync process stops the embedded server; if one is left, it is stopped and the test fails."""
    pidfile = data_dir / "redis.pid"
    try:
        wait_until(lambda: not pidfile.exists(), 10, "the embedded Redis to remove its pid file", every=0.1)
    except AssertionError:
        if pidfile.exists():
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
            raise AssertionError("the embedded Redis kept running after every okrsync process stopped") from None
