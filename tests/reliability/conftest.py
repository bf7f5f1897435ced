"""The fault suite: a short version in `make test`, the long one with `--soak` (or OKRSYNC_SOAK=1).

Every test here drives real processes (`okrsync serve`, `okrsync worker`, `okrsync scheduler`), a real
Redis and the emulator on a real port, injects one kind of fault, prints what it injected and what it
verified, and checks the end state against Jira's own state. Every wait is bounded in time.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import redis

from okrsync.local_stack import free_port, launch_okrsync, stop_processes
from sync.idle import pending_work
from tests.support.waiting import wait_until

# The end-to-end fixtures of the sync tests, reused as they are (the modules override scenario,
# config_text and site_knobs where they need a site of their own).
from tests.sync.conftest import config_text, scenario, service, site, site_knobs, stack  # noqa: F401

__all__ = ["free_port", "wait_until"]  # imported from here by the fault tests

# Read at import: the suite's autouse fixture clears every OKRSYNC_ variable before each test runs.
SOAK_FROM_ENV = os.environ.get("OKRSYNC_SOAK", "") not in ("", "0")
SEED_FROM_ENV = os.environ.get("OKRSYNC_FAULT_SEED", "")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the long version of the fault suite (tests/reliability); also OKRSYNC_SOAK=1",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: the fault suite (tests/reliability); long version with --soak")


@dataclass(frozen=True)
class Profile:
    """How hard each test pushes: `short` is bounded for CI (the whole suite in about 3 minutes on 2 cores)."""

    name: str
    deliveries_rounds: int  # duplicate/reorder test: rounds over the ten bugs
    kill_changes: int  # SIGKILL test: changes in the stream
    kills: int  # SIGKILL test: how many times the worker is killed
    redis_seconds: float  # Redis restart test: seconds of load before and after the outage
    redis_outage_seconds: float
    storm_changes: int  # 429/5xx storm: changes made during the storm
    conflict_rounds: int  # Confluence conflicts: KR changes while a person keeps editing
    dropped_changes: int  # dropped webhooks: changes in the stream
    soak_seconds: float  # the soak at 5 events/s
    soak_rate: float = 5.0


SHORT = Profile(
    "short",
    deliveries_rounds=6,
    kill_changes=40,
    kills=4,
    redis_seconds=4,
    redis_outage_seconds=2.5,
    storm_changes=10,
    conflict_rounds=8,
    dropped_changes=60,
    soak_seconds=40,
)
LONG = Profile(
    "long",
    deliveries_rounds=40,
    kill_changes=300,
    kills=20,
    redis_seconds=30,
    redis_outage_seconds=8,
    storm_changes=60,
    conflict_rounds=40,
    dropped_changes=600,
    soak_seconds=600,
)


def soak_requested(config: pytest.Config) -> bool:
    return bool(config.getoption("--soak", default=False)) or SOAK_FROM_ENV


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    chosen = LONG if soak_requested(pytestconfig) else SHORT
    print(f"\n[fault suite: {chosen.name} version]")
    return chosen


@pytest.fixture()
def rng(request: pytest.FixtureRequest) -> random.Random:
    """One seeded generator per test (seed printed), so a failing run can be repeated exactly."""
    seed = int(SEED_FROM_ENV or sum(map(ord, request.node.name)))
    print(f"\n[seed {seed}]")
    return random.Random(seed)


# ------------------------------------------------------------------------------------------ processes


class Processes:
    """Processes a test starts; each one is stopped by its own pid at the end, SIGKILL if it will not stop."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, arguments: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[bytes]:
        process = launch_okrsync(arguments, env, self.log, cwd)
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
        stop_processes([process], timeout)

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)


@pytest.fixture()
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path / "processes.log")
    yield started
    started.stop_all()


def quiet(connection: redis.Redis, queue_name: str) -> bool:
    """Nothing left for the service to do (sync.idle.pending_work), RQ's started-job registry aside.

    That registry is ignored as it always was here: a job a SIGKILLed worker left there, or one a live
    worker lost when Redis died under it, stays until RQ's own cleanup, and is no work left undone (its
    work is taken over, see sync/dirty.py). sync.idle counts the second kind as running."""
    return replace(pending_work(connection, queue_name), jobs_running=0).idle


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def log_has_traceback(path: Path) -> bool:
    return path.exists() and "Traceback" in path.read_text(errors="replace")
