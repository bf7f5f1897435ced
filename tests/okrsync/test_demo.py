"""First run: a short bounded `okrsync demo` as a user would start it, on its embedded defaults."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mapping.lint import lint
from mapping.loader import load_config_text
from okrsync.demo.runner import _demo_config
from okrsync.demo.scenario import demo_scenario

OKRSYNC = str(Path(sys.executable).parent / "okrsync")


def test_the_demo_configuration_is_valid_and_lints_clean() -> None:
    from datetime import date

    config = load_config_text(_demo_config(date(2026, 11, 21)))
    assert [c.start.isoformat() for c in config.cycles] == ["2026-10-01", "2026-07-01"]
    assert [c.end.isoformat() for c in config.cycles] == ["2026-12-31", "2026-09-30"]
    january = load_config_text(_demo_config(date(2027, 1, 5)))
    assert [(c.start.isoformat(), c.end.isoformat()) for c in january.cycles] == [
        ("2027-01-01", "2027-03-31"),
        ("2026-10-01", "2026-12-31"),
    ]
    assert lint(config) == []
    assert len(config.problem_programs[0].sources) == 5


def test_the_demo_company_has_a_few_hundred_issues() -> None:
    scenario = demo_scenario()
    assert 250 <= len(scenario["issues"]) <= 400
    assert {p["key"] for p in scenario["projects"]} == {"CHK", "FUL", "OPS", "PLAT"}


@pytest.mark.blackbox
def test_a_bounded_demo_exits_0_with_pages_written_and_krs_in_several_states(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}
    env["OKRSYNC_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [OKRSYNC, "demo", "--duration", "20", "--pace", "0.7", "--port", "0", "--emulator-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "Traceback" not in (tmp_path / "data" / "demo.log").read_text()
    pages = int(re.search(r"pages written:\s+(\d+)", output).group(1))  # type: ignore[union-attr]
    events = int(re.search(r"events processed:\s+(\d+)", output).group(1))  # type: ignore[union-attr]
    states = re.search(r"KRs by health:\s+(.*)", output).group(1)  # type: ignore[union-attr]
    assert pages > 0 and events > 0
    assert len(states.split(",")) > 1, states
