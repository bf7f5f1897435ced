"""`okrsync worker --nice N` (or OKRSYNC_WORKER_NICE): the worker drains at a lower CPU priority, so
on cores it shares with the web service webhooks are answered first; the embedded Redis it starts
keeps the normal priority."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from rq import Worker

from okrsync.settings import SettingsError, load_settings
from tests.conftest import assert_embedded_redis_stopped
from tests.support.waiting import wait_until

OKRSYNC = str(Path(sys.executable).parent / "okrsync")


def _start_worker(
    tmp_path: Path, arguments: list[str], extra_env: dict[str, str], own_session: bool = False
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OKRSYNC_WEBHOOK_SECRET": "priority-secret",
        "OKRSYNC_DATA_DIR": str(tmp_path / "data"),
        **extra_env,
    }
    env.pop("OKRSYNC_REDIS_URL", None)
    tmp_path.mkdir(parents=True, exist_ok=True)
    with open(tmp_path / "worker.log", "wb") as log:
        return subprocess.Popen(
            [OKRSYNC, "worker", *arguments],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            start_new_session=own_session,
        )


def _session_niceness(pid: int) -> int:
    """The niceness of the process's session (its autogroup: `/autogroup-42 nice 7`)."""
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


def _in_an_autogroup() -> bool:
    """The kernel has autogroups and shares CPU through them here: a process whose cgroup decides
    its share (as in many containers) reads an empty `/proc/self/autogroup`."""
    path = Path("/proc/self/autogroup")
    return path.exists() and bool(path.read_text().strip())


def _rq_loop_runs(worker: subprocess.Popen[bytes], data_dir: Path) -> bool:
    """RQ's work loop runs: RQ records the worker (by its pid) idle only once the loop waits for jobs,
    after it installed its SIGTERM handler. The worker installs a SIGTERM handler of its own while it
    starts, so a caught SIGTERM alone does not say RQ is up: a SIGTERM sent during RQ's start-up
    ends the worker with RQ's connections open, and the embedded Redis keeps running.

    Read on a client closed at once: one left open would count as another user of the embedded Redis."""
    assert worker.poll() is None, f"the worker exited ({worker.returncode}) before its work loop ran"
    record = data_dir / "redis.socket-path"
    if not record.exists():
        return False
    client = redis.Redis(unix_socket_path=record.read_text().strip(), socket_timeout=5)
    try:
        return any(found.pid == worker.pid and found.get_state() == "idle" for found in Worker.all(connection=client))
    except redis.ConnectionError:
        return False  # the server is still starting
    finally:
        client.close()


def _wait_until_working(worker: subprocess.Popen[bytes], data_dir: Path, seconds: float = 60) -> None:
    wait_until(lambda: _rq_loop_runs(worker, data_dir), seconds, "the worker's RQ loop to run", every=0.1)


def _stop(worker: subprocess.Popen[bytes], data_dir: Path) -> None:
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    assert_embedded_redis_stopped(data_dir)  # the worker was the last okrsync process


@pytest.mark.blackbox
@pytest.mark.parametrize(
    ("arguments", "extra_env", "expected"),
    [
        (["--nice", "7"], {}, 7),
        ([], {"OKRSYNC_WORKER_NICE": "6"}, 6),
        (["--nice", "5"], {"OKRSYNC_WORKER_NICE": "9"}, 5),
    ],
    ids=["option", "setting", "option-over-setting"],
)
def test_worker_runs_at_the_niceness_asked_for_and_its_redis_does_not(tmp_path, arguments, extra_env, expected) -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    worker = _start_worker(tmp_path, arguments, extra_env)
    try:
        _wait_until_working(worker, tmp_path / "data")
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == max(own, expected)
        redis_pid = int((tmp_path / "data" / "redis.pid").read_text().strip())
        assert os.getpriority(os.PRIO_PROCESS, redis_pid) == own  # started before the worker lowered itself
    finally:
        _stop(worker, tmp_path / "data")


@pytest.mark.blackbox
@pytest.mark.skipif(not _in_an_autogroup(), reason="no autogroup decides this process's CPU share")
def test_worker_leading_its_own_session_lowers_the_session_and_only_then(tmp_path) -> None:
    sharing = _start_worker(tmp_path / "a", ["--nice", "7"], {})
    leading = _start_worker(tmp_path / "b", ["--nice", "7"], {}, own_session=True)
    try:
        _wait_until_working(sharing, tmp_path / "a" / "data")
        _wait_until_working(leading, tmp_path / "b" / "data")
        assert _session_niceness(sharing.pid) == _session_niceness(os.getpid())  # the test's own session
        assert _session_niceness(leading.pid) == max(7, _session_niceness(os.getpid()))
    finally:
        _stop(sharing, tmp_path / "a" / "data")
        _stop(leading, tmp_path / "b" / "data")


def test_worker_never_raises_its_priority() -> None:
    script = (
        "import os; os.nice(9); from okrsync.cli import _lower_priority; before = os.getpriority(os.PRIO_PROCESS, 0); "
        "_lower_priority(3); print(before, os.getpriority(os.PRIO_PROCESS, 0))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, timeout=60)
    before, after = done.stdout.split()
    assert before == after


def test_worker_niceness_outside_0_to_19_names_the_variable(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OKRSYNC_WORKER_NICE", "20")
    with pytest.raises(SettingsError, match="OKRSYNC_WORKER_NICE"):
        load_settings()
