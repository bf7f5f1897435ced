"""`okrsync apply` (and validate, lint) read at most 1 MiB of a configuration file: a 50 MB YAML, a
pipe or a device is refused at once with the reason and the fix, never parsed for minutes."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from okrsync.cli import MAX_CONFIG_BYTES, main

OKRSYNC = str(Path(sys.executable).parent / "okrsync")


def _big_yaml(path: Path) -> Path:
    line = "# " + "x" * 1022 + "\n"
    path.write_text("okr_sets: []\n" + line * (MAX_CONFIG_BYTES // len(line) + 1))
    return path


@pytest.mark.parametrize("command", ["apply", "validate", "lint"])
def test_a_configuration_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path, command: str) -> None:
    result = CliRunner().invoke(main, [command, str(_big_yaml(tmp_path / "okrs.yaml"))])
    assert result.exit_code == 1, result.output
    assert "okrs.yaml" in result.output and "larger than 1024 KiB" in result.output
    assert "Traceback" not in result.output


def _memory_capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # were the file read whole, it would stop here


def test_a_device_with_no_end_is_refused_too(tmp_path: Path) -> None:
    done = subprocess.run(
        [OKRSYNC, "validate", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_memory_capped,
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "larger than 1024 KiB" in done.stderr, done.stderr[-2000:]


def test_a_file_just_under_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "okrs.yaml"
    path.write_text("okr_sets: [\n" + " " * (MAX_CONFIG_BYTES - 20) + "]\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert "larger than" not in result.output
