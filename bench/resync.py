"""Resync benchmark: a full resync of generated issues from the emulator — wall time, Jira calls vs the
minimum possible (pages needed), and the peak memory of the process doing it.

    .venv/bin/python bench/resync.py [--issues 8000] [--small 2000] [--target-issues 100000] [--not-full]

The emulator (in this process, on a werkzeug thread) holds ``--issues`` issues from a scenario
``generate`` entry; `okrsync resync --full` runs as a child process against it and an embedded Redis,
and its peak RSS comes from ``wait4``'s rusage (ru_maxrss), its calls from ``okrsync:stats:calls``.
The minimum is ceil(issues / 100): Jira Cloud (and the emulator) return at most 100 issues a page
when fields beyond id/key are asked for.

Why not 100,000 by default: the emulator answers every page by building the facts of *every* issue
and filtering them (``Emulator.search`` → ``issue_facts`` per issue, then slicing the page), so a
full walk costs pages × issues — quadratic — about 13 s a page at 100,000 issues, ~4 hours in
all. A second, smaller run (``--small``) gives the per-issue slope of the resync process's memory
and CPU, which is what extrapolates to ``--target-issues``; the emulator's share does not apply to a
real Jira. Baseline measured in the same run: one bare search page straight from the emulator.
Writes bench/results/resync.json.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import OKRSYNC, SERVICE_USER, USERS, row, serve, split_calls, write_result  # noqa: E402

PAGE_LIMIT = 100
CONFIG = """
cycles: [{id: c, start: 2020-01-01, end: 2099-12-31}]
metrics:
  open_bugs: {description: open bugs, source: jira, aggregate: count, window: cycle, jql: project = BIG AND issuetype = Bug}
okr_sets:
  - id: s
    name: Resync
    cycle: c
    projects: [BIG]
    objectives:
      - id: O1
        title: Quality
        key_results:
          - {id: KR1, title: Fewer bugs, owner: alice@example.com, metric: open_bugs, baseline: 100, target: 10}
          - {id: KR2, title: Later, unmeasured: not yet}
"""


def resync_run(issues: int, full: bool = True) -> dict[str, Any]:
    from emulator.app import create_emulator
    from okrsync.ops import apply_config_text
    from okrsync.redis_store import embedded_redis, stop_embedded_redis
    from okrsync.settings import Settings
    from sync.runtime import CALLS, build_runtime

    started = time.perf_counter()
    app = create_emulator({"users": USERS, "projects": [{"key": "BIG", "name": "Big"}],
                           "generate": [{"project": "BIG", "count": issues, "labels": ["a", "b", "c"], "days": 60}]},
                          flavor="cloud")
    generated = time.perf_counter() - started
    server, url = serve(app)
    data = Path(tempfile.mkdtemp(prefix="okrsync-bench-"))
    connection = embedded_redis(data / "redis")
    try:
        env = {"OKRSYNC_JIRA_URL": url, "OKRSYNC_JIRA_USER": SERVICE_USER, "OKRSYNC_JIRA_TOKEN": "x",
               "OKRSYNC_JIRA_FLAVOR": "cloud", "OKRSYNC_DATA_DIR": str(data), "OKRSYNC_LOG_LEVEL": "WARNING",
               "OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}"}
        settings = Settings(**{k.removeprefix("OKRSYNC_").lower(): v for k, v in env.items()}, _env_file=None)
        apply_config_text(build_runtime(settings, connection), CONFIG, "bench", "bench")
        page_seconds = bare_page_seconds(app)
        started = time.perf_counter()
        child = subprocess.Popen([OKRSYNC, "resync", *(["--full"] if full else [])], env={**os.environ, **env},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        calls = {k.decode(): int(v) for k, v in connection.hgetall(CALLS).items()}
        mirrored = connection.hlen("okrsync:mirror:keys") if connection.exists("okrsync:mirror:keys") else None
        redis_memory = int(connection.info("memory")["used_memory"])
    finally:
        stop_embedded_redis(connection)
        shutil.rmtree(data, ignore_errors=True)
        app.extensions["emulator"].dispatcher.stop()
        server.shutdown()
    kinds = split_calls(calls)
    minimum = math.ceil(issues / PAGE_LIMIT)
    return {
        "issues": issues, "exit_code": child.returncode, "generate_s": round(generated, 2),
        "wall_s": round(wall, 2), "resync_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "calls": calls, "total_calls": kinds["total"],
        "minimum_calls": minimum, "calls_vs_minimum": round(kinds["total"] / minimum, 4),
        "mirrored": mirrored, "redis_used_memory_mb": round(redis_memory / 2**20, 1),
        "baseline_bare_page_s": round(page_seconds, 3),
        "emulator_share_of_wall": round(min(1.0, page_seconds * (minimum + 1) / wall), 2),
    }


def bare_page_seconds(app: Any) -> float:
    """One search page (100 issues, the resync's fields) straight from the emulator: the per-page floor."""
    from sync.reconcile import MIRROR_FIELDS

    client = app.test_client()
    started = time.perf_counter()
    answer = client.get("/rest/api/3/search/jql", query_string={
        "jql": 'project in ("BIG") ORDER BY key ASC', "fields": ",".join(MIRROR_FIELDS), "maxResults": PAGE_LIMIT})
    assert answer.status_code == 200, answer.status_code
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=8000, help="issues in the emulator for the measured run")
    parser.add_argument("--small", type=int, default=2000, help="a second, smaller run for the per-issue slope (0: skip)")
    parser.add_argument("--target-issues", type=int, default=100_000, help="what the figures are extrapolated to")
    parser.add_argument("--not-full", action="store_true", help="`okrsync resync` instead of `resync --full`")
    args = parser.parse_args()

    runs = [resync_run(n, not args.not_full) for n in ([args.small] if args.small else []) + [args.issues]]
    for run in runs:
        print(f"{run['issues']} issues: resync {run['wall_s']} s wall ({run['resync_cpu_s']} s CPU in the resync "
              f"process), {run['total_calls']} calls for a minimum of {run['minimum_calls']} "
              f"({run['calls_vs_minimum']}×), peak RSS {run['peak_rss_mb']} MB, Redis {run['redis_used_memory_mb']} MB; "
              f"one bare emulator page {run['baseline_bare_page_s']} s (emulator ≈ {run['emulator_share_of_wall']:.0%} "
              f"of the wall time); exit {run['exit_code']}")
    big = runs[-1]
    target = args.target_issues
    if len(runs) == 2 and runs[1]["issues"] != runs[0]["issues"]:
        small = runs[0]
        span = big["issues"] - small["issues"]
        rss_slope = (big["peak_rss_mb"] - small["peak_rss_mb"]) / span
        cpu_slope = (big["resync_cpu_s"] - small["resync_cpu_s"]) / span
        rss_target = big["peak_rss_mb"] + max(0.0, rss_slope) * (target - big["issues"])
        cpu_target = big["resync_cpu_s"] + max(0.0, cpu_slope) * (target - big["issues"])
    else:
        rss_slope = cpu_slope = math.nan
        rss_target, cpu_target = big["peak_rss_mb"], big["resync_cpu_s"] * target / big["issues"]
    page_time_target = big["baseline_bare_page_s"] * target / big["issues"]  # the emulator's scan grows with the site
    emulator_target = page_time_target * math.ceil(target / PAGE_LIMIT)
    result = {
        "benchmark": "resync", "command": "okrsync resync" + ("" if args.not_full else " --full"), "runs": runs, "target_issues": target,
        "extrapolated": {"minimum_calls": math.ceil(target / PAGE_LIMIT), "calls": math.ceil(target / PAGE_LIMIT) + 1,
                         "peak_rss_mb": round(rss_target, 1), "rss_mb_per_1000_issues": round(rss_slope * 1000, 2),
                         "resync_cpu_s": round(cpu_target, 1), "cpu_ms_per_issue": round(cpu_slope * 1000, 3),
                         "emulator_page_s": round(page_time_target, 1), "emulator_walk_s": round(emulator_target)},
    }
    extrapolated = result["extrapolated"]
    print(f"extrapolated to {target} issues: {extrapolated['calls']} calls for a minimum of "
          f"{extrapolated['minimum_calls']}; resync process peak RSS ≈ {extrapolated['peak_rss_mb']} MB "
          f"({extrapolated['rss_mb_per_1000_issues']} MB per 1000 issues), its CPU ≈ {extrapolated['resync_cpu_s']} s; "
          f"the emulator would need ≈ {extrapolated['emulator_page_s']} s a page, "
          f"≈ {extrapolated['emulator_walk_s']} s for the walk (its search scans every issue per page)")
    ok = big["exit_code"] == 0 and big["mirrored"] in (None, big["issues"])
    rows = [
        row(f"resync: calls / minimum pages ({big['issues']} issues measured)", big["calls_vs_minimum"], "≤ 1.05",
            big["calls_vs_minimum"] <= 1.05 and ok, "×",
            note=f"{big['total_calls']} calls, minimum {big['minimum_calls']}; at {target}: "
                 f"{extrapolated['calls']}/{extrapolated['minimum_calls']}"),
        row(f"resync: peak RSS of the resync process ({big['issues']} measured, extrapolated to {target})",
            extrapolated["peak_rss_mb"], "≤ 500 MB", extrapolated["peak_rss_mb"] <= 500 and ok, " MB",
            note=f"measured {big['peak_rss_mb']} MB at {big['issues']} issues"),
        row(f"resync: wall time, {big['issues']} issues from the emulator", big["wall_s"], "—", None, " s",
            note=f"emulator ≈ {big['emulator_share_of_wall']:.0%} of it; quadratic in the emulator"),
    ]
    write_result("resync", result, rows)


if __name__ == "__main__":
    main()
