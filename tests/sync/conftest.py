"""Fixtures of the end-to-end and fault tests: an emulated Jira on a real port delivering signed
webhooks to the service on a real port, with a real Redis and a real `okrsync worker` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from werkzeug.serving import make_server

from connector import JiraPort
from emulator.app import create_emulator
from okrsync.app import create_app
from okrsync.ops import apply_config_file, register_webhook
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync.dirty import DIRTY, FLUSH_FLAG, IN_FLUSH
from sync.queue import DRAIN_FLAG, STREAM
from sync.reconcile import resync
from sync.runtime import forget_runtimes, install_runtime
from tests.conftest import QUEUE, SECRET, UNPACED_CHECKINS

OKRSYNC = str(Path(sys.executable).parent / "okrsync")
KR = "okrsync.status"
SCENARIO: dict[str, Any] = {
    "users": [
        {
            "name": "admin",
            "accountId": "5b10a2844c20165700ede21g",
            "displayName": "Site Admin",
            "email": "admin@acme.example",
        }
    ],
    "customFields": [
        {"id": "customfield_10100", "name": "OKR score", "type": "number"},
        {"id": "customfield_10101", "name": "OKR health", "type": "string"},
    ],
    "projects": [{"key": "SHOP", "name": "Shop", "components": ["Checkout"]}, {"key": "OKR", "name": "OKRs"}],
    "issues": [
        {
            "key": "SHOP-1",
            "type": "Epic",
            "summary": "Contract tests for payments",
            "labels": ["kr-escaped"],
            "status": "In Progress",
            "created": "-20d",
        },
        {"key": "OKR-1", "type": "Task", "summary": "KR: escaped defects", "created": "-20d"},
        *[
            {
                "key": f"SHOP-{n}",
                "type": "Bug",
                "summary": f"Bug {n}",
                "labels": ["escaped"] if n < 4 else [],
                "created": "-3d",
            }
            for n in range(2, 12)
        ],
    ],
}
CONFIG = """
version: 1
writeback:
  kr_fields: {score: OKR score, health: OKR health}
cycles: [{id: now, start: START, end: END}]
metrics:
  escaped_share:
    description: Share of shop bugs found in production
    source: jira
    aggregate: ratio
    jql: project = SHOP AND issuetype = Bug
    numerator_jql: project = SHOP AND issuetype = Bug AND labels = escaped
    window: 30d
okr_sets:
  - id: shop
    name: Shop
    cycle: now
    projects: [SHOP, OKR]
    objectives:
      - id: O1
        title: Dependable checkout
        key_results:
          - id: KR1
            title: Escaped defects from 40% to 10% of bugs
            metric: escaped_share
            baseline: 40
            target: 10
            contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr-escaped}
            jira_issue: OKR-1
          - id: KR2
            title: Repeat purchases
            unmeasured: no survey yet
"""


def serve(app: Any) -> tuple[Any, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture()
def scenario() -> dict[str, Any]:
    """The emulated site; a test module overrides this fixture for a site of its own."""
    return SCENARIO


@pytest.fixture()
def config_text() -> str:
    """The okrs.yaml applied by the stack (START and END become the cycle's dates)."""
    return CONFIG


@pytest.fixture()
def site(site_knobs: dict[str, Any], scenario: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    app = create_emulator(scenario, flavor="cloud", knobs={"webhook_retry_delays_s": [0.05, 0.1, 0.2], **site_knobs})
    server, url = serve(app)
    yield app.extensions["emulator"], url
    server.shutdown()
    app.extensions["emulator"].dispatcher.stop()


@pytest.fixture()
def site_knobs() -> dict[str, Any]:
    """Emulator fault knobs; a test module overrides this fixture to inject faults."""
    return {}


@pytest.fixture()
def stack(
    site,
    connection: redis.Redis,
    tmp_path: Path,
    scenario: dict[str, Any],
    config_text: str,
) -> Iterator[dict[str, Any]]:
    """The service on a real port, configured, webhook registered, mirror filled; no worker yet."""
    emulator, jira_url = site
    socket_path = connection.connection_pool.connection_kwargs["path"]
    env = {
        "OKRSYNC_WEBHOOK_SECRET": SECRET,
        "OKRSYNC_REDIS_URL": f"unix://{socket_path}",
        "OKRSYNC_QUEUE_NAME": QUEUE,
        "OKRSYNC_JIRA_URL": jira_url,
        "OKRSYNC_JIRA_USER": "admin@acme.example",
        "OKRSYNC_JIRA_TOKEN": "any",
        "OKRSYNC_DATA_DIR": str(tmp_path),
        **{f"OKRSYNC_{name.upper()}": str(value) for name, value in UNPACED_CHECKINS.items()},
    }
    settings = Settings(**{k.removeprefix("OKRSYNC_").lower(): v for k, v in env.items()}, _env_file=None)
    server, url = serve(create_app(settings, connection=connection))
    runtime = build_runtime(settings, connection)
    install_runtime(runtime)  # jobs run in this process (run_worker) use it, as a worker would
    config = tmp_path / "okrs.yaml"
    today = time.strftime("%Y-%m-%d", time.gmtime())
    config.write_text(config_text.replace("START", "2020-01-01").replace("END", today))
    apply_config_file(runtime, config, author="e2e")
    register_webhook(runtime, f"{url}/webhooks/jira")
    assert resync(runtime).seen == len(scenario["issues"])  # the mirror starts from Jira's state
    yield {
        "emulator": emulator,
        "jira": runtime.jira,
        "runtime": runtime,
        "env": env,
        "settings": settings,
        "log": tmp_path / "worker.log",
        "url": url,
    }
    server.shutdown()
    forget_runtimes()


def start_worker(stack: dict[str, Any]) -> subprocess.Popen:
    log = open(stack["log"], "ab")
    return subprocess.Popen(
        [OKRSYNC, "worker"], env={**os.environ, **stack["env"]}, stdout=log, stderr=subprocess.STDOUT
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


@pytest.fixture()
def service(stack: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The whole product: the stack plus a real `okrsync worker` process."""
    worker = start_worker(stack)
    yield {**stack, "worker": worker}
    stop_worker(worker)


def settled(connection: redis.Redis, emulator: Any, seconds: float = 30) -> None:
    """Wait until every delivery is made and the service has nothing left to do."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        idle = emulator.dispatcher.wait_idle(timeout=1)
        busy = connection.xlen(STREAM) or connection.exists(DIRTY, IN_FLUSH, FLUSH_FLAG, DRAIN_FLAG)
        if idle and not busy and not jobs_waiting(connection):
            time.sleep(0.3)  # let a job that just started finish and record
            if not (connection.xlen(STREAM) or connection.exists(DIRTY, IN_FLUSH, FLUSH_FLAG, DRAIN_FLAG)):
                return
        time.sleep(0.1)
    raise AssertionError("the service did not settle")


def jobs_waiting(connection: redis.Redis) -> int:
    """Jobs queued, and jobs started by a worker that still lives (a SIGKILLed worker's job stays in
    RQ's started registry until RQ's own cleanup; the job's work is taken over, see sync/dirty.py)."""
    from rq import Queue

    queue = Queue(QUEUE, connection=connection)
    started = queue.started_job_registry.get_job_ids()
    return queue.count + sum(1 for job_id in started if _run_by_a_live_worker(connection, job_id))


def _run_by_a_live_worker(connection: redis.Redis, job_id: str) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        name = Job.fetch(job_id, connection=connection).worker_name
    except NoSuchJobError:
        return False
    pid = connection.hget(f"rq:worker:{name}", "pid") if name else None
    if pid is None:
        return True  # not told which process: assume it still works
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    return True


def status_property(jira: JiraPort, key: str) -> dict[str, Any] | None:
    return jira.get_property(key, KR)


def status_of(jira: JiraPort, key: str) -> dict[str, Any]:
    value = status_property(jira, key)
    assert value is not None, f"no {KR} on {key}"
    return value["key_results"][0]


def property_writes(emulator: Any) -> int:
    calls = emulator.faults.counters()["calls"]
    return sum(
        n
        for endpoint, outcomes in calls.items()
        if "properties" in endpoint and "PUT" in endpoint
        for status, n in outcomes.items()
    )
