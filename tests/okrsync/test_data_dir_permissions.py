"""The embedded Redis's data directory is private: 0700, and its files 0600 (the append-only file
holds every webhook body), whatever the umask, and an older, readable one is made private."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

from okrsync.redis_store import embedded_redis, stop_embedded_redis


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _files(data_dir: Path) -> list[Path]:
    return [path for path in data_dir.rglob("*") if path.is_file()]


def _wait_for_the_snapshot(client: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while client.info("persistence").get("rdb_bgsave_in_progress"):
        assert time.monotonic() < deadline, f"the snapshot was still being written after {seconds:.0f} s"
        time.sleep(0.02)


def test_a_new_data_directory_and_every_file_in_it_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    previous = os.umask(0o022)  # the usual umask: files 0644 unless the service sees to it
    try:
        client = embedded_redis(data_dir)
        try:
            client.set("okrsync:probe", "x")
            client.bgsave()
            _wait_for_the_snapshot(client)  # its temp-*.rdb comes and goes while the snapshot is written
            assert _mode(data_dir) == 0o700
            modes = {path.name: oct(_mode(path)) for path in _files(data_dir)}
            assert {"appendonly.aof", "redis.log", "redis.pid", "redis.lock", "redis.socket-path"} <= set(modes)
            assert modes == {name: oct(0o600) for name in modes}
        finally:
            stop_embedded_redis(client)
    finally:
        os.umask(previous)


def test_an_existing_readable_data_directory_is_made_private_but_other_files_are_left_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    (data_dir / "redis.log").write_text("from an older version\n")
    (data_dir / "redis.log").chmod(0o644)
    (data_dir / "notes.txt").write_text("not okrsync's\n")
    (data_dir / "notes.txt").chmod(0o644)
    client = embedded_redis(data_dir)
    try:
        assert _mode(data_dir) == 0o700
        assert _mode(data_dir / "redis.log") == 0o600 and _mode(data_dir / "appendonly.aof") == 0o600
        assert _mode(data_dir / "notes.txt") == 0o644
    finally:
        stop_embedded_redis(client)
