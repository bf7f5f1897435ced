"""The tests' side of the product's LocalStack (okrsync/local_stack.py): the options the end-to-end and
fault tests start it with, and the dictionaries their fixtures have always yielded."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from okrsync.local_stack import (
    EmulatorOptions,
    LocalStack,
    RedisOptions,
    RequestHook,
    StackOptions,
    WebOptions,
    start_emulator,
    stop_processes,
)
from tests.conftest import QUEUE, SECRET, UNPACED_CHECKINS

REPO = Path(__file__).resolve().parents[2]
USER = "admin@acme.example"
RETRY_DELAYS = {"webhook_retry_delays_s": [0.05, 0.1, 0.2]}  # the emulator retries a failed delivery quickly
WORKER_STOP_SECONDS = 30


def dated(config_text: str) -> str:
    """The okrs.yaml with its cycle from 2020-01-01 (START) to today (END)."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return config_text.replace("START", "2020-01-01").replace("END", today)


@contextmanager
def emulated_site(
    scenario: Mapping[str, Any], flavor: str = "cloud", knobs: Mapping[str, Any] | None = None
) -> Iterator[tuple[Any, str]]:
    """The emulator on a real port, its deliveries retried quickly: (emulator, its URL)."""
    site = start_emulator(EmulatorOptions(scenario=scenario, flavor=flavor, knobs={**RETRY_DELAYS, **(knobs or {})}))
    try:
        yield site.emulator, site.url
    finally:
        site.stop()


def sync_options(site: tuple[Any, str], connection: redis.Redis, data_dir: Path, config_text: str) -> StackOptions:
    """The sync tests' stack: the given emulated site, the test Redis, the service on a thread, no worker."""
    return StackOptions(
        site=site,
        redis=RedisOptions(connection=connection),
        data_dir=data_dir,
        user=USER,
        webhook_secret=SECRET,
        env={"OKRSYNC_QUEUE_NAME": QUEUE, **{f"OKRSYNC_{k.upper()}": str(v) for k, v in UNPACED_CHECKINS.items()}},
        config_text=dated(config_text),
        config_author="e2e",
        install_runtime=True,  # jobs run in this process (run_worker) use it, as a worker would
        worker=None,
        log=data_dir / "worker.log",
    )


def sync_fixture(stack: LocalStack) -> dict[str, Any]:
    """What the ``stack`` fixture of tests/sync has always yielded."""
    return {
        "local_stack": stack,
        "emulator": stack.emulator,
        "jira": stack.runtime.jira,
        "runtime": stack.runtime,
        "env": stack.env,
        "settings": stack.settings,
        "log": stack.options.log,
        "url": stack.url,
    }


@contextmanager
def sync_stack(
    site: tuple[Any, str], connection: redis.Redis, data_dir: Path, scenario: Mapping[str, Any], config_text: str
) -> Iterator[dict[str, Any]]:
    """The service on a real port, configured, webhook registered, mirror filled; no worker yet."""
    with LocalStack(sync_options(site, connection, data_dir, config_text)) as stack:
        report = stack.resync_report
        assert report is not None and report.seen == len(scenario["issues"])  # the mirror starts from Jira's state
        yield sync_fixture(stack)


def start_worker(stack: Mapping[str, Any]) -> subprocess.Popen[bytes]:
    """A real `okrsync worker` process of the stack (a fixture's dictionary), writing to its log."""
    local: LocalStack = stack["local_stack"]
    return local.launch("worker", ["worker"])


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM; the worker must stop within WORKER_STOP_SECONDS (it is killed and the test fails if not)."""
    killed = stop_processes([worker], WORKER_STOP_SECONDS)
    assert not killed, f"the worker did not stop within {WORKER_STOP_SECONDS} s of SIGTERM"


def pages_options(
    scenario: Mapping[str, Any],
    config_text: str,
    connection: redis.Redis,
    data_dir: Path,
    interval: float,
    before_request: Callable[[Any], RequestHook],
) -> StackOptions:
    """The page tests' stack: Jira and Confluence emulated, a worker and a fast scheduler."""
    return StackOptions(
        emulator=EmulatorOptions(scenario=scenario, knobs=RETRY_DELAYS, confluence=True, before_request=before_request),
        redis=RedisOptions(connection=connection),
        data_dir=data_dir,
        user=USER,
        webhook_secret=SECRET,
        env={"OKRSYNC_QUEUE_NAME": QUEUE, "OKRSYNC_PAGES_INTERVAL_SECONDS": str(interval)},
        config_text=dated(config_text),
        config_author="e2e",
        scheduler=("scheduler", "--interval", "0.1", "--recompute-every", "3600", "--reconcile-every", "3600"),
        log=data_dir / "processes.log",
        cwd=REPO,
    )


def deployed_options(scenario: Mapping[str, Any], config_text: str, data_dir: Path, log: Path) -> StackOptions:
    """The product as deployed: `okrsync serve` (gunicorn, two workers), a worker and a scheduler, on an
    embedded Redis of their own in the data directory; the emulator as Jira."""
    return StackOptions(
        emulator=EmulatorOptions(scenario=scenario, knobs=RETRY_DELAYS),
        redis=RedisOptions(url_for_processes=None),  # the processes find the embedded Redis in the data dir
        web=WebOptions(mode="process", arguments=("--workers", "2")),
        data_dir=data_dir,
        user=USER,
        webhook_secret="soak-secret",
        env={"OKRSYNC_LOG_LEVEL": "WARNING"},
        config_text=dated(config_text),
        config_author="soak",
        scheduler=("scheduler", "--interval", "1", "--reconcile-every", "60", "--recompute-every", "30"),
        log=log,
        cwd=log.parent,
    )
