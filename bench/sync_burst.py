"""Sync benchmark: a burst of N issue changes in the emulator → API calls the service makes per event,
and the time from the last change to the written-back status. The baseline is the same burst with
write-back done naively (one status write per event), counted in the same run.

    .venv/bin/python bench/sync_burst.py [--events 500] [--latency-ms 0]

Starts the emulator and the service in this process, an `okrsync worker` process, and an embedded
Redis in a temporary directory; prints the figures and writes bench/results/sync_burst.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import counted, settings_from_env  # noqa: E402
from connector import JiraPort, JiraSettings  # noqa: E402
from emulator.app import create_emulator  # noqa: E402
from okrsync.app import create_app  # noqa: E402
from okrsync.ops import apply_config_file, register_webhook  # noqa: E402
from okrsync.redis_store import embedded_redis, stop_embedded_redis  # noqa: E402
from okrsync.runtime_builder import build_runtime  # noqa: E402
from sync.keys import STATS_CALLS as CALLS  # noqa: E402
from sync.reconcile import resync  # noqa: E402

OKRSYNC = str(Path(sys.executable).parent / "okrsync")
BUGS = 40
SCENARIO: dict[str, Any] = {
    "users": [{"name": "admin", "accountId": "5b10a2844c20165700ede21g", "email": "admin@acme.example"}],
    "projects": [{"key": "SHOP", "name": "Shop"}],
    "issues": [
        {"key": "SHOP-1", "type": "Epic", "summary": "Quality epic", "labels": ["kr"], "created": "-20d"},
        *[{"key": f"SHOP-{n}", "type": "Bug", "summary": f"Bug {n}", "created": "-3d"} for n in range(2, 2 + BUGS)],
    ],
}
CONFIG = """
cycles: [{id: c, start: 2020-01-01, end: 2099-12-31}]
metrics:
  escaped: {description: escaped share, source: jira, aggregate: ratio, window: 30d,
            jql: project = SHOP AND issuetype = Bug, numerator_jql: project = SHOP AND issuetype = Bug AND labels = escaped}
okr_sets:
  - id: s
    name: S
    cycle: c
    projects: [SHOP]
    objectives:
      - id: O1
        title: Quality
        key_results:
          - {id: KR1, title: Escaped share down, metric: escaped, baseline: 50, target: 5,
             contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr}}
          - {id: KR2, title: Later, unmeasured: not yet}
"""  # noqa: E501


def serve(app: Any) -> tuple[Any, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def service_calls(connection: Any) -> int:
    return sum(int(v) for v in connection.hgetall(CALLS).values())


def wait_for_value(jira: Any, expected: float, seconds: float = 300) -> float:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = jira.get_property("SHOP-1", "okrsync.status")
        if value and value["key_results"][0]["current"] == expected:
            return time.monotonic()
        time.sleep(0.02)
    raise SystemExit(f"status never reached {expected}")


@dataclass
class Service:
    """The emulator, the service on the embedded Redis with its webhook registered, and the worker's env."""

    data: Path
    connection: Any
    emulator: Any
    jira_url: str
    env: dict[str, str]


def start_service(data: Path) -> Service:
    connection = embedded_redis(data / "redis")
    emulator_app = create_emulator(SCENARIO, flavor="cloud")
    emulator = emulator_app.extensions["emulator"]
    _, jira_url = serve(emulator_app)
    env = {
        "OKRSYNC_WEBHOOK_SECRET": "bench",
        "OKRSYNC_JIRA_URL": jira_url,
        "OKRSYNC_JIRA_USER": "admin@acme.example",
        "OKRSYNC_JIRA_TOKEN": "x",
        "OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}",
        "OKRSYNC_DATA_DIR": str(data),
        "OKRSYNC_LOG_LEVEL": "WARNING",
    }
    settings = settings_from_env(env)
    _, url = serve(create_app(settings, connection=connection))
    runtime = build_runtime(settings, connection)
    (data / "okrs.yaml").write_text(CONFIG)
    apply_config_file(runtime, data / "okrs.yaml", author="bench")
    register_webhook(runtime, f"{url}/webhooks/jira")
    resync(runtime)
    return Service(data, connection, emulator, jira_url, env)


@dataclass(frozen=True)
class Burst:
    started: float
    last_event: float
    written: float
    calls: int


def burst(service: Service, events: int, latency_ms: float) -> Burst:
    """``events`` edits of the KR's bugs, then one that moves the metric; the service's calls meanwhile."""
    jira = JiraPort(JiraSettings(url=service.jira_url, user="admin@acme.example", token="x"))  # the bench's own
    wait_for_value(jira, 0.0, seconds=60)
    service.emulator.faults.configure({"latency_ms": latency_ms})
    calls_before = service_calls(service.connection)
    started = time.monotonic()
    for number in range(events):  # edits that touch the KR's bugs; the last one moves the metric
        jira.update_fields(f"SHOP-{2 + number % BUGS}", {"summary": f"edit {number}"})
    jira.update_fields("SHOP-2", {"labels": ["escaped"]})
    last_event = time.monotonic()
    written = wait_for_value(jira, 100 / BUGS)
    time.sleep(2.0)  # let anything still queued finish, so its calls are counted
    return Burst(started, last_event, written, service_calls(service.connection) - calls_before)


def figures(measured: Burst, events: int, latency_ms: float) -> dict[str, Any]:
    calls = measured.calls
    return {
        "benchmark": "sync_burst",
        "events": events,
        "latency_ms": latency_ms,
        "burst_seconds": round(measured.last_event - measured.started, 2),
        "service_calls": calls,
        "calls_per_event": round(calls / events, 4),
        "naive_calls_per_event": 1.0,
        "calls_vs_naive": round(calls / events, 4),
        "last_event_to_write_s": round(measured.written - measured.last_event, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()

    service = start_service(Path(tempfile.mkdtemp(prefix="okrsync-bench-")))
    worker = subprocess.Popen(
        [OKRSYNC, "worker"], env={**os.environ, **service.env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        measured = burst(service, args.events, args.latency_ms)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    result = figures(measured, args.events + 1, args.latency_ms)
    print(
        f"{result['events']} events in {result['burst_seconds']} s → {measured.calls} Jira call(s) by the service = "
        f"{result['calls_per_event']} per event (one write per event would be 1.0)"
    )
    print(f"last event → status written: {result['last_event_to_write_s']} s")
    print("calls by operation:", counted(service.connection.hgetall(CALLS)))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sync_burst.json").write_text(json.dumps(result, indent=2))
    stop_embedded_redis(service.connection)
    shutil.rmtree(service.data, ignore_errors=True)


if __name__ == "__main__":
    main()
