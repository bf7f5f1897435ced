"""What the benchmarks share: result rows and files, percentiles, and a whole local stack.

``Stack`` is the product's ``okrsync.local_stack.LocalStack`` as the sync benchmarks start it: an
embedded Redis in a temporary directory, the emulator and the service's Flask app on werkzeug threads
in this process, a real ``okrsync worker`` process (and ``okrsync scheduler`` when asked), the
configuration applied, the webhook registered and the mirror resynced. Everything it starts is
stopped on ``close()``.

Only the service's calls are counted in ``okrsync:stats:calls``; the benchmark's own Jira port
(``Stack.bench_jira``) has no hook there, so its reads and edits never count against the service.
"""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from okrsync.local_stack import (  # noqa: E402
    OKRSYNC,
    EmulatorOptions,
    LocalStack,
    RedisOptions,
    StackOptions,
    WebOptions,
    free_port,
    settings_from_env,
)

RESULTS = ROOT / "bench" / "results"
__all__ = ["OKRSYNC", "free_port", "settings_from_env"]  # what the benchmarks import from here, too
SERVICE_USER = "admin@acme.example"
BENCH_USER = "bencher@acme.example"
USERS = [
    {"name": "admin", "accountId": "5b10a2844c20165700ede21g", "email": SERVICE_USER},
    {"name": "bencher", "accountId": "5b10a2844c20165700ede99b", "email": BENCH_USER},
]
JIRA_WRITES = {
    "set_property",
    "update_fields",
    "update_issue",
    "add_comment",
    "create_issue",
    "link_issues",
    "put_remote_link",
    "delete_remote_link",
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


def serve(app: Any) -> tuple[Any, str]:
    """A threaded werkzeug server for ``app`` on 127.0.0.1, on a daemon thread; no access line per call."""
    from okrsync.local_stack import serve as serve_app

    server, url = serve_app(app)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # an access line per call drowns the figures
    return server, url


def stop_process(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM (RQ finishes its job), then SIGKILL if it will not go."""
    from okrsync.local_stack import stop_processes

    stop_processes([process], timeout)


def wait_until(check: Callable[[], Any], seconds: float, every: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what} not reached within {seconds:g} s")


def counted(stored: Mapping[bytes | str, bytes | str]) -> dict[str, int]:
    """A Redis hash of counters (``hgetall``) with text keys and integer values."""
    return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in stored.items()}


# ------------------------------------------------------------------------------ the stack


def bench_options(
    scenario: dict[str, Any],
    config: str,
    *,
    pages_interval: float | None = None,
    scheduler_interval: float | None = None,
    log_level: str = "WARNING",
    web_process: bool = False,
) -> StackOptions:
    """The benchmarks' LocalStack: embedded Redis in a temporary directory, the emulator and the service
    on threads here (``web_process``: the service as `okrsync serve`, its gunicorn processes, as it is
    deployed), a worker (and a scheduler), the processes' output discarded."""
    env = {"OKRSYNC_LOG_LEVEL": log_level}
    if pages_interval is not None:
        env["OKRSYNC_PAGES_INTERVAL_SECONDS"] = str(pages_interval)
    return StackOptions(
        emulator=EmulatorOptions(
            scenario=scenario,
            knobs={"webhook_lanes": 4},  # several deliveries in flight at once, as Jira sends them
            confluence=pages_interval is not None,
        ),
        redis=RedisOptions(embedded_dir=Path("redis")),
        web=WebOptions(mode="process" if web_process else "thread", quiet_http_log=True),
        user=SERVICE_USER,
        token="x",
        webhook_secret="bench",
        env=env,
        config_text=config,
        config_author="bench",
        learn_jira_facts=True,
        scheduler=None if scheduler_interval is None else ("scheduler", "--interval", str(scheduler_interval)),
    )


class Stack(LocalStack):
    """The product's LocalStack with what the benchmarks read from it; see the module doc."""

    def __init__(
        self,
        scenario: dict[str, Any],
        config: str,
        *,
        pages_interval: float | None = None,
        scheduler_interval: float | None = None,
        log_level: str = "WARNING",
        web_process: bool = False,
    ) -> None:
        super().__init__(
            bench_options(
                scenario,
                config,
                pages_interval=pages_interval,
                scheduler_interval=scheduler_interval,
                log_level=log_level,
                web_process=web_process,
            )
        )

    def start(self) -> Stack:
        from connector import JiraPort, JiraSettings

        super().start()
        self.bench_jira = JiraPort(JiraSettings(url=self.jira_url, user=BENCH_USER, token="x", flavor="cloud"))
        return self

    def __enter__(self) -> Stack:
        return self.start()

    @property
    def connection(self) -> Any:  # the benchmarks read its replies as they come (bytes)
        return super().connection

    @property
    def service_url(self) -> str:
        return self.url

    def spawn(self, *command: str) -> subprocess.Popen[Any]:
        return self.launch(command[0], command)

    def service_calls(self) -> dict[str, int]:
        """``"system|operation|outcome" → n`` as the service counted them in Redis."""
        from sync.keys import STATS_CALLS

        return counted(self.connection.hgetall(STATS_CALLS))

    def page(self, title: str) -> Any | None:
        """The emulator's page with this title (read in process: no call, no latency)."""
        for page in list(self.emulator.site.pages.values()):
            if page.title == title:
                return page
        return None

    def close(self) -> None:
        self.stop()


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
