"""What the benchmarks share: result rows and files, percentiles, and a whole local stack.

``Stack`` is the end-to-end setup of the sync benchmarks: an embedded Redis in a temporary
directory, the emulator and the service's Flask app on werkzeug threads in this process, a real
``okrsync worker`` process (and ``okrsync scheduler`` when pages are on), the configuration applied,
the webhook registered and the mirror resynced. Everything it starts is stopped on ``close()``.

Only the service's calls are counted in ``okrsync:stats:calls``; the benchmark's own Jira port
(``Stack.bench_jira``) has no hook there, so its reads and edits never count against the service.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from okrsync.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
OKRSYNC = str(Path(sys.executable).parent / "okrsync")
SERVICE_USER = "admin@acme.example"
BENCH_USER = "bencher@acme.example"
USERS = [
    {"name": "admin", "accountId": "5b10a2844c20165700ede21g", "email": SERVICE_USER},
    {"name": "bencher", "accountId": "5b10a2844c20165700ede99b", "email": BENCH_USER},
]
JIRA_WRITES = {
    "set_property",
    "update_fields",
    "add_comment",
    "create_issue",
    "link_issues",
    "register_webhook",
    "delete_webhook",
}


# ------------------------------------------------------------------------------ figures


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def row(figure: str, value: Any, target: str, passed: bool | None, unit: str = "", note: str = "") -> dict[str, Any]:
    """One line of the summary table: figure, measured value, target, PASS/FAIL (INFO: no target)."""
    shown = f"{value:g}{unit}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    return {
        "figure": figure,
        "value": value,
        "shown": shown,
        "target": target,
        "verdict": "INFO" if passed is None else "PASS" if passed else "FAIL",
        **({"note": note} if note else {}),
    }


def write_result(name: str, result: dict[str, Any], rows: list[dict[str, Any]]) -> Path:
    """bench/results/<name>.json with the figures and the summary rows; prints the rows."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**result, "rows": rows}, indent=2, default=str) + "\n")
    for line in rows:
        print(f"  [{line['verdict']}] {line['figure']}: {line['shown']} (target {line['target']})")
    return path


# ------------------------------------------------------------------------------ processes and servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(app: Any) -> tuple[Any, str]:
    """A threaded werkzeug server for ``app`` on 127.0.0.1, on a daemon thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # an access line per call drowns the figures
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def stop_process(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM (RQ finishes its job), then SIGKILL if it will not go."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_until(check: Callable[[], Any], seconds: float, every: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what} not reached within {seconds:g} s")


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """The service's settings from ``OKRSYNC_*`` variables (and the environment), with no ``.env`` file."""
    from okrsync.settings import Settings

    build: Callable[..., Settings] = Settings  # its fields parse the strings, as they do the environment's
    return build(**{k.removeprefix("OKRSYNC_").lower(): v for k, v in env.items()}, _env_file=None)


def counted(stored: Mapping[bytes | str, bytes | str]) -> dict[str, int]:
    """A Redis hash of counters (``hgetall``) with text keys and integer values."""
    return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in stored.items()}


# ------------------------------------------------------------------------------ the stack


class Stack:
    """Emulator + service (in process), worker (+ scheduler) processes, embedded Redis; see the module doc."""

    def __init__(
        self,
        scenario: dict[str, Any],
        config: str,
        *,
        pages_interval: float | None = None,
        scheduler_interval: float | None = None,
        log_level: str = "WARNING",
    ) -> None:
        self.scenario = scenario
        self.config = config
        self.pages_interval = pages_interval
        self.scheduler_interval = scheduler_interval
        self.log_level = log_level
        self.processes: list[subprocess.Popen[Any]] = []
        self.servers: list[Any] = []
        self.data: Path | None = None
        self.connection: Any = None
        self.emulator: Any = None

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        from connector import JiraPort, JiraSettings
        from okrsync.ops import apply_config_file, learn_jira_facts, register_webhook
        from okrsync.runtime_builder import build_runtime
        from sync.reconcile import resync

        self.data = Path(tempfile.mkdtemp(prefix="okrsync-bench-"))
        self._serve_emulator()
        self.env = self._service_env(self.data)
        self.settings = settings_from_env(self.env)
        self._serve_service()
        self.runtime = build_runtime(self.settings, self.connection)
        (self.data / "okrs.yaml").write_text(self.config)
        apply_config_file(self.runtime, self.data / "okrs.yaml", author="bench")
        learn_jira_facts(self.runtime)
        register_webhook(self.runtime, f"{self.service_url}/webhooks/jira")
        resync(self.runtime)
        self.bench_jira = JiraPort(JiraSettings(url=self.jira_url, user=BENCH_USER, token="x", flavor="cloud"))
        self.spawn("worker")
        if self.scheduler_interval is not None:
            self.spawn("scheduler", "--interval", str(self.scheduler_interval))

    def _serve_emulator(self) -> None:
        """The embedded Redis in the data directory, and the emulator on its own server."""
        from emulator.app import create_emulator
        from okrsync.redis_store import embedded_redis

        assert self.data is not None
        self.connection = embedded_redis(self.data / "redis")
        emulator_app = create_emulator(self.scenario, flavor="cloud")
        self.emulator = emulator_app.extensions["emulator"]
        server, self.jira_url = serve(emulator_app)
        self.servers.append(server)

    def _service_env(self, data: Path) -> dict[str, str]:
        """The service's ``OKRSYNC_*`` variables: the emulator as Jira (and Confluence when pages are on)."""
        socket_path = self.connection.connection_pool.connection_kwargs["path"]
        env = {
            "OKRSYNC_WEBHOOK_SECRET": "bench",
            "OKRSYNC_JIRA_URL": self.jira_url,
            "OKRSYNC_JIRA_USER": SERVICE_USER,
            "OKRSYNC_JIRA_TOKEN": "x",
            "OKRSYNC_REDIS_URL": f"unix://{socket_path}",
            "OKRSYNC_DATA_DIR": str(data),
            "OKRSYNC_LOG_LEVEL": self.log_level,
        }
        if self.pages_interval is not None:
            env.update(
                {
                    "OKRSYNC_CONFLUENCE_URL": self.jira_url + "/wiki",
                    "OKRSYNC_CONFLUENCE_USER": SERVICE_USER,
                    "OKRSYNC_CONFLUENCE_TOKEN": "x",
                    "OKRSYNC_PAGES_INTERVAL_SECONDS": str(self.pages_interval),
                }
            )
        return env

    def _serve_service(self) -> None:
        from okrsync.app import create_app

        server, self.service_url = serve(create_app(self.settings, connection=self.connection))
        self.servers.append(server)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the app factory may have reset it

    def spawn(self, *command: str) -> subprocess.Popen[Any]:
        process = subprocess.Popen(
            [OKRSYNC, *command], env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.processes.append(process)
        return process

    def service_calls(self) -> dict[str, int]:
        """``"system|operation|outcome" → n`` as the service counted them in Redis."""
        from sync.keys import STATS_CALLS

        return counted(self.connection.hgetall(STATS_CALLS))

    def idle(self) -> bool:
        """Every delivery made and nothing left for the service to do (``sync.idle.is_idle``)."""
        from sync.idle import is_idle

        return bool(self.emulator.dispatcher.idle()) and is_idle(self.connection, self.settings.queue_name)

    def page(self, title: str) -> Any | None:
        """The emulator's page with this title (read in process: no call, no latency)."""
        for page in list(self.emulator.site.pages.values()):
            if page.title == title:
                return page
        return None

    def close(self) -> None:
        for process in reversed(self.processes):
            stop_process(process)
        self.processes.clear()
        if self.emulator is not None:
            self.emulator.dispatcher.stop()
        for server in self.servers:
            server.shutdown()
        self.servers.clear()
        if self.connection is not None:
            from okrsync.redis_store import stop_embedded_redis

            stop_embedded_redis(self.connection)
            self.connection = None
        if self.data is not None:
            shutil.rmtree(self.data, ignore_errors=True)
            self.data = None


def call_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}


def split_calls(calls: dict[str, int]) -> dict[str, int]:
    """Totals by kind: jira_reads, jira_writes, confluence (every Confluence call), total."""
    out = {"jira_reads": 0, "jira_writes": 0, "confluence": 0, "total": 0}
    for key, n in calls.items():
        system, operation, _ = key.split("|", 2)
        out["total"] += n
        if system == "confluence":
            out["confluence"] += n
        elif operation in JIRA_WRITES:
            out["jira_writes"] += n
        else:
            out["jira_reads"] += n
    return out
