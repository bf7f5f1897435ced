"""`okrsync worker` stops promptly and cleanly on SIGTERM, even while Redis is unreachable (a service
manager stopping a host whose Redis went first must not have to SIGKILL the worker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.okrsync.test_worker_priority import OKRSYNC
from tests.support.waiting import wait_until

pytestmark = pytest.mark.blackbox

STOP_WITHIN_SECONDS = 5.0
# run_worker_until_stopped on a Redis that never answers: RQ's loop cannot even start, so the
# worker keeps pausing and starting it again
UNREACHABLE_WORKER = """
import logging
from okrsync.cli import run_worker_until_stopped
from okrsync.redis_store import connect_redis
from okrsync.settings import Settings
logging.basicConfig(level="INFO")
settings = Settings(webhook_secret="x", redis_url="redis://127.0.0.1:1/0", _env_file=None)
run_worker_until_stopped(settings, connect_redis(settings), burst=False)
"""


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "OKRSYNC_WEBHOOK_SECRET": "stop-secret", "OKRSYNC_DATA_DIR": str(tmp_path / "data")}
    env.pop("OKRSYNC_REDIS_URL", None)
    return env


def _start(command: list[str], tmp_path: Path) -> subprocess.Popen[bytes]:
    with open(tmp_path / "worker.log", "wb") as log:
        return subprocess.Popen(command, env=_environment(tmp_path), stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)


def _kill_embedded_redis(data_dir: Path) -> None:
    """SIGKILL the Redis server the worker started, and wait until it is gone."""
    pid = int((data_dir / "redis.pid").read_text().strip())
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid), 5, "Redis to die")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0]
    except (OSError, IndexError):
        return "gone"


def _wait_for_log(worker: subprocess.Popen[bytes], path: Path, text: str, seconds: float) -> None:
    def logged_or_exited() -> bool:
        return text in path.read_text(errors="replace") or worker.poll() is not None

    try:
        wait_until(logged_or_exited, seconds, f"{text!r} in the worker's log")
    except AssertionError as exc:
        raise AssertionError(f"{exc}:\n{path.read_text()}") from None
    if text not in path.read_text(errors="replace"):
        raise AssertionError(f"the worker exited ({worker.returncode}):\n{path.read_text()}")


def _stop_within(worker: subprocess.Popen[bytes], seconds: float) -> int:
    """SIGTERM, then the exit code; fails (after a SIGKILL) when the worker outlives ``seconds``."""
    worker.send_signal(signal.SIGTERM)
    try:
        return worker.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)
        raise AssertionError(f"the worker was still running {seconds:g} s after SIGTERM") from None


def test_sigterm_stops_the_worker_while_rq_waits_for_redis(tmp_path: Path) -> None:
    worker = _start([OKRSYNC, "worker"], tmp_path)
    log = tmp_path / "worker.log"
    try:
        _wait_for_log(worker, log, "Listening on", 60)
        _kill_embedded_redis(tmp_path / "data")
        _wait_for_log(worker, log, "could not connect to Redis", 15)  # RQ's reconnect loop: 1 s, 2 s, 4 s, …
        assert _stop_within(worker, STOP_WITHIN_SECONDS) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    assert "Traceback" not in log.read_text(), log.read_text()


def test_sigterm_stops_the_worker_between_attempts_to_start_rq(tmp_path: Path) -> None:
    worker = _start([sys.executable, "-c", UNREACHABLE_WORKER], tmp_path)
    log = tmp_path / "worker.log"
    try:
        _wait_for_log(worker, log, "Redis unreachable", 30)
        assert _stop_within(worker, STOP_WITHIN_SECONDS) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    assert "Traceback" not in log.read_text(), log.read_text()
