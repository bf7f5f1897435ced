"""`okrsync demo`: the whole product on a laptop with no Jira. Starts the emulator (seeded with the
demo company), the web service, a worker and the scheduler as processes; applies the demo OKRs,
registers the webhook, resyncs, then plays a stream of activity until Ctrl-C or ``--duration``."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import click
import redis

from mapping.measurements import Measurement
from okr.report import stored_report
from okrsync.demo.activity import DemoActivity, summary_of
from okrsync.demo.scenario import demo_scenario
from okrsync.ops import apply_config_text, learn_jira_facts, register_webhook
from okrsync.progress import ProgressBar
from okrsync.redis_store import connect_redis
from okrsync.runtime_builder import build_runtime
from okrsync.settings import Settings
from sync.flush import REPORT
from sync.idle import is_idle
from sync.queue import STATS
from sync.reconcile import resync
from sync.redis_text import decoded
from sync.runtime import Runtime, install_runtime

DEMO_CONFIG = Path(__file__).with_name("okrs.yaml")
DEMO_USER = "okrsync@shop.example"


@dataclass
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    emulator_port: int = 8090
    duration: float | None = None
    pace: float = 1.5  # seconds between two actions
    seed: int = 7


@dataclass
class Processes:
    running: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, arguments: list[str], env: dict[str, str], log: TextIO) -> None:
        command = [str(Path(sys.executable).parent / "okrsync"), *arguments]
        self.running.append(
            (name, subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        )

    def check(self) -> None:
        for name, process in self.running:
            if process.poll() is not None:
                raise click.ClickException(f"the {name} process stopped (exit {process.returncode}); see its log")

    def stop(self) -> None:
        for _, process in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in reversed(self.running):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def run_demo(settings: Settings, options: DemoOptions, out: TextIO = sys.stdout) -> dict[str, Any]:
    data_dir = settings.data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    connection = connect_redis(settings)
    emulator_url = f"http://127.0.0.1:{_free(options.emulator_port)}"
    public_url = f"http://{options.host}:{_free(options.port)}"
    env = _child_env(settings, data_dir, emulator_url, public_url)
    processes = Processes()
    log = open(data_dir / "demo.log", "a")
    try:
        _start_site(processes, env, data_dir, emulator_url, options, log)
        runtime = _prepare_product(settings, env, connection, public_url, out)
        _start_product(processes, env, public_url, options, log)
        _print_where_to_look(out, public_url, emulator_url, env, data_dir)
        _play(runtime, emulator_url, options, processes, out)
        _settle(connection)
        return _summary(connection, out)
    except KeyboardInterrupt:
        out.write("\nstopping…\n")
        return _summary(connection, out)
    finally:
        processes.stop()
        log.close()


def _child_env(settings: Settings, data_dir: Path, emulator_url: str, public_url: str) -> dict[str, str]:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else "demo-" + secrets.token_hex(8)
    token = settings.admin_token.get_secret_value() if settings.admin_token else "demo-admin-" + secrets.token_hex(6)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}
    env.update(
        {
            "OKRSYNC_DATA_DIR": str(data_dir),
            "OKRSYNC_WEBHOOK_SECRET": secret,
            "OKRSYNC_ADMIN_TOKEN": token,
            "OKRSYNC_JIRA_URL": emulator_url,
            "OKRSYNC_JIRA_USER": DEMO_USER,
            "OKRSYNC_JIRA_TOKEN": "demo",
            "OKRSYNC_CONFLUENCE_URL": emulator_url + "/wiki",
            "OKRSYNC_CONFLUENCE_USER": DEMO_USER,
            "OKRSYNC_CONFLUENCE_TOKEN": "demo",
            "OKRSYNC_PUBLIC_URL": public_url,
            "OKRSYNC_PAGES_INTERVAL_SECONDS": "5",
            "OKRSYNC_LOG_LEVEL": settings.log_level,
        }
    )
    if settings.redis_url:
        env["OKRSYNC_REDIS_URL"] = settings.redis_url
    return env


def _start_site(
    processes: Processes, env: dict[str, str], data_dir: Path, emulator_url: str, options: DemoOptions, log: TextIO
) -> None:
    scenario = data_dir / "demo-scenario.json"
    scenario.write_text(json.dumps(demo_scenario(options.seed)))
    port = emulator_url.rsplit(":", 1)[1]
    processes.start(
        "emulator",
        ["emulator", "--port", port, "--scenario", str(scenario), "--webhook-retry-delays", "0.2,0.5,1,2"],
        env,
        log,
    )
    _wait_up(emulator_url + "/_emulator/health", "the emulator", processes)


def _prepare_product(
    settings: Settings, env: dict[str, str], connection: redis.Redis, public_url: str, out: TextIO
) -> Runtime:
    values: dict[str, Any] = {k.removeprefix("OKRSYNC_").lower(): v for k, v in env.items() if k.startswith("OKRSYNC_")}
    # the settings parse the text values; ``_env_file`` is pydantic-settings' own init argument, which the
    # signature mypy derives from the fields leaves out
    child = Settings(**values, _env_file=None)  # type: ignore[call-arg]
    runtime = build_runtime(child, connection)
    install_runtime(runtime)
    apply_config_text(runtime, _demo_config(date.today()), "demo", str(DEMO_CONFIG))
    learn_jira_facts(runtime)
    register_webhook(runtime, public_url + "/webhooks/jira")
    out.write("resync: reading the demo company's Jira into the mirror\n")
    bar = ProgressBar(stream=out)
    report = resync(runtime, full=True, progress=bar.update)
    bar.close()
    out.write(f"resync: {report.seen} issues in {report.seconds:.1f}s\n")
    _seed_measurements(runtime)
    return runtime


def _seed_measurements(runtime: Runtime) -> None:
    """What the data pipeline pushed before today: the last few weekly readings."""
    now = datetime.now(UTC)
    for weeks_ago, conversion, nps in ((3, 2.42, 31.5), (2, 2.47, 32.0), (1, 2.51, 33.5)):
        at = now - timedelta(weeks=weeks_ago)
        for metric, value in (("checkout_conversion", conversion), ("nps", nps)):
            runtime.measurements.add(Measurement(metric=metric, value=value, at=at, source="demo pipeline"))


def _start_product(
    processes: Processes, env: dict[str, str], public_url: str, options: DemoOptions, log: TextIO
) -> None:
    processes.start(
        "web", ["serve", "--host", options.host, "--port", public_url.rsplit(":", 1)[1], "--workers", "1"], env, log
    )
    processes.start("worker", ["worker"], env, log)
    processes.start(
        "scheduler", ["scheduler", "--interval", "2", "--recompute-every", "60", "--reconcile-every", "120"], env, log
    )
    _wait_up(public_url + "/healthz", "the web service", processes)


def _demo_config(today: date) -> str:
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    next_quarter = date(quarter_start.year + (quarter_start.month == 10), (quarter_start.month + 2) % 12 + 1, 1)
    end = date.fromordinal(next_quarter.toordinal() - 1)
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    return text.replace("CYCLE_START", quarter_start.isoformat()).replace("CYCLE_END", end.isoformat())


def _play(runtime: Runtime, emulator_url: str, options: DemoOptions, processes: Processes, out: TextIO) -> None:
    activity = DemoActivity(runtime, emulator_url, options.seed)
    started = time.monotonic()
    while options.duration is None or time.monotonic() - started < options.duration:
        processes.check()
        try:
            line = activity.step()
        except Exception as exc:  # a demo action failing must not end the demo
            line = f"(an action failed: {exc})"
        out.write(f"{datetime.now():%H:%M:%S}  {line}\n")
        out.flush()
        time.sleep(options.pace)


def _settle(connection: redis.Redis, seconds: float = 30) -> None:
    """Give the worker time to apply what the last actions caused."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if is_idle(connection):
            return
        time.sleep(0.5)


def _summary(connection: redis.Redis, out: TextIO) -> dict[str, Any]:
    stats = {decoded(k): decoded(v) for k, v in connection.hgetall(STATS).items()}
    raw = connection.get(REPORT)
    health = summary_of(stored_report(json.loads(raw)) if raw else None)
    summary = {
        "events_processed": int(stats.get("applied", 0)),
        "pages_written": int(stats.get("page_writes", 0)),
        "jira_writes": int(stats.get("writebacks", 0)),
        "action_points_opened": int(stats.get("action_points_created", 0)),
        "krs_by_health": health,
    }
    out.write("\nSummary\n")
    out.write(f"  events processed:      {summary['events_processed']}\n")
    out.write(f"  Jira writes:           {summary['jira_writes']}\n")
    out.write(f"  pages written:         {summary['pages_written']}\n")
    out.write(f"  action points opened:  {summary['action_points_opened']}\n")
    out.write("  KRs by health:         " + ", ".join(f"{k} {v}" for k, v in sorted(health.items())) + "\n")
    return summary


def _print_where_to_look(out: TextIO, public_url: str, emulator_url: str, env: dict[str, str], data_dir: Path) -> None:
    out.write(
        "\nOKR Sync is running on the demo company. Where to look:\n"
        f"  admin pages       {public_url}/admin/   (sign in with the token {env['OKRSYNC_ADMIN_TOKEN']})\n"
        f"  Confluence pages  {emulator_url}/view/   (the emulated Confluence: Company OKRs, "
        "Checkout & Payments OKRs, Platform problem review)\n"
        f"  Jira issues       {emulator_url}/rest/api/2/issue/CHK-1/properties/okrsync.status   (the status on an epic)\n"  # noqa: E501
        f"  health, metrics   {public_url}/readyz   {public_url}/metrics\n"
        f"  logs              {data_dir / 'demo.log'}\n"
        "Activity follows; Ctrl-C stops everything.\n\n"
    )
    out.flush()


def _wait_up(url: str, what: str, processes: Processes, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        processes.check()
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise click.ClickException(f"{what} did not come up at {url} within {seconds:.0f}s")


def _free(preferred: int) -> int:
    """The preferred port when it is free, else any free one."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise click.ClickException("no free port on 127.0.0.1")
