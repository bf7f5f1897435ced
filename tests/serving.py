"""`okrsync serve` as a process on a free loopback port, as the black-box tests start it."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import assert_embedded_redis_stopped
from tests.test_blackbox import OKRSYNC, _free_port, _wait_for


@contextmanager
def serving(
    tmp_path: Path, secret: str, extra_env: dict[str, str] | None = None, arguments: tuple[str, ...] = ()
) -> Iterator[int]:
    """The port of `okrsync serve` (its own embedded Redis under ``tmp_path``); stopped on exit, and
    its log must hold no traceback."""
    env = {
        **os.environ,
        "OKRSYNC_WEBHOOK_SECRET": secret,
        "OKRSYNC_DATA_DIR": str(tmp_path / "data"),
        "OKRSYNC_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    env.pop("OKRSYNC_REDIS_URL", None)
    port = _free_port()
    logs = tmp_path / "serve.log"
    with open(logs, "wb") as log:
        serve = subprocess.Popen(
            [OKRSYNC, "serve", "--port", str(port), *arguments],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/healthz")
            yield port
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=30)
            assert_embedded_redis_stopped(tmp_path / "data")
    assert "Traceback" not in logs.read_text(), logs.read_text()
