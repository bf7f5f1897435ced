"""Resync benchmark: a full resync of 100,000 generated issues from the emulator — wall time, Jira calls vs
the minimum possible (pages needed), and the peak memory of the process doing it.

    .venv/bin/python bench/resync.py [--issues 100000] [--small 1000] [--not-full]

The emulator (in this process, on a werkzeug thread) holds ``--issues`` issues from a scenario
``generate`` entry; `okrsync resync --full` runs as a child process against it and an embedded Redis.
Its calls come from ``okrsync:stats:calls``; the minimum is ceil(issues / 100): Jira Cloud (and the
emulator) return at most 100 issues a page when fields beyond id/key are asked for.

Peak RSS is the resync process's ``ru_maxrss`` as its parent reads it from ``wait4``. The parent is a
small launcher process, not this one: Linux carries the high-water RSS of the process that forks
into the child's ``ru_maxrss`` across ``exec``, so a resync started straight from this process
(which holds the emulator and all its issues) would report this process's peak. The launcher's
own ~10 MB is the floor of the figure.

Baselines measured in the same run: a second, smaller resync (``--small``) for the memory per 1,000
issues, and the same count and search pages asked straight from the emulator (in process, no HTTP,
from a cold search cache) for the emulator's share of the wall time. Writes bench/results/resync.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    OKRSYNC,
    SERVICE_USER,
    USERS,
    counted,
    row,
    serve,
    settings_from_env,
    split_calls,
    write_result,
)

PAGE_LIMIT = 100
JQL = 'project in ("BIG")'
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
"""  # noqa: E501
# Runs the command given after it and prints its exit code and rusage as JSON: see the module doc.
LAUNCHER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"exit_code": os.waitstatus_to_exitcode(status), "peak_rss_kb": usage.ru_maxrss,
                  "cpu_s": usage.ru_utime + usage.ru_stime}))
"""


def resync_run(issues: int, full: bool = True, latency_ms: float = 0.0) -> dict[str, Any]:
    """One resync of ``issues`` generated issues: figures of the resync process and the bare-read baseline,
    at 0 ms and (``latency_ms`` > 0) again with that latency added to every emulator call."""
    started = time.perf_counter()
    app = generated_emulator(issues)
    generated = time.perf_counter() - started
    server, url = serve(app)
    try:
        measured, bare = bracketed(app, lambda: measured_resync(app, url, full, check=True))
        slow = latency_pair(app, url, full, latency_ms) if latency_ms > 0 else None
    finally:
        app.extensions["emulator"].dispatcher.stop()
        server.shutdown()
    return {**run_figures(issues, generated, measured, bare), **latency_figures(slow, latency_ms)}


def latency_pair(app: Any, url: str, full: bool, latency_ms: float) -> dict[str, Any]:
    """The resync and the bare read again, ``latency_ms`` added to every emulator call (its fault knob)."""
    faults = app.extensions["emulator"].faults
    faults.configure({"latency_ms": latency_ms})
    try:
        measured, bare = bracketed(app, lambda: measured_resync(app, url, full, check=False))
        return {"measured": measured, "bare": bare}
    finally:
        faults.configure({"latency_ms": 0})


def bracketed(app: Any, resynced: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The resync between two bare reads; the baseline is their mean, so a load on the shared machine
    that grows or fades during the run weighs on both sides alike."""
    before = bare_walk(app)
    measured = resynced()
    after = bare_walk(app)
    seconds = (before["seconds"] + after["seconds"]) / 2
    bare = {"seconds": seconds, "pages": after["pages"], "before": before["seconds"], "after": after["seconds"]}
    return measured, bare


def latency_figures(slow: dict[str, Any] | None, latency_ms: float) -> dict[str, Any]:
    if slow is None:
        return {}
    tag = f"latency_{latency_ms:g}ms"
    wall, bare = slow["measured"]["wall"], slow["bare"]["seconds"]
    return {
        "latency_ms": latency_ms,
        f"wall_s_{tag}": round(wall, 2),
        f"resync_cpu_s_{tag}": round(slow["measured"]["child"]["cpu_s"], 2),
        f"baseline_bare_walk_s_{tag}": round(bare, 2),
        f"baseline_bare_walk_s_before_after_{tag}": [round(slow["bare"]["before"], 2), round(slow["bare"]["after"], 2)],
        f"ratio_{tag}": round(wall / bare, 3),
        f"mirrored_{tag}": slow["measured"]["mirrored"],
        f"exit_code_{tag}": slow["measured"]["child"]["exit_code"],
    }


def generated_emulator(issues: int) -> Any:
    from emulator.app import create_emulator

    return create_emulator(
        {
            "users": USERS,
            "projects": [{"key": "BIG", "name": "Big"}],
            "generate": [{"project": "BIG", "count": issues, "labels": ["a", "b", "c"], "days": 60}],
        },
        flavor="cloud",
    )


def measured_resync(app: Any, url: str, full: bool, check: bool) -> dict[str, Any]:
    """`okrsync resync` against the emulator at ``url`` and a fresh embedded Redis: what it did and cost;
    ``check``: and whether every stored document equals the one Jira's answer projects to."""
    from okrsync.ops import apply_config_text
    from okrsync.redis_store import embedded_redis, stop_embedded_redis
    from okrsync.runtime_builder import build_runtime
    from sync import keys

    data = Path(tempfile.mkdtemp(prefix="okrsync-bench-"))
    connection = embedded_redis(data / "redis")
    try:
        env = {
            "OKRSYNC_JIRA_URL": url,
            "OKRSYNC_JIRA_USER": SERVICE_USER,
            "OKRSYNC_JIRA_TOKEN": "x",
            "OKRSYNC_JIRA_FLAVOR": "cloud",
            "OKRSYNC_DATA_DIR": str(data),
            "OKRSYNC_LOG_LEVEL": "WARNING",
            "OKRSYNC_REDIS_URL": f"unix://{connection.connection_pool.connection_kwargs['path']}",
        }
        apply_config_text(build_runtime(settings_from_env(env), connection), CONFIG, "bench", "bench")
        cold_searches(app)
        started = time.perf_counter()
        child = launched([OKRSYNC, "resync", *(["--full"] if full else [])], {**os.environ, **env})
        return {
            "child": child,
            "wall": time.perf_counter() - started,
            "calls": counted(connection.hgetall(keys.STATS_CALLS)),
            "mirrored": int(connection.hlen(keys.MIRROR_KEYS)),
            "redis_memory": int(connection.info("memory")["used_memory"]),
            **({"stored": checked_against_jira(app, connection, data)} if check else {}),
        }
    finally:
        stop_embedded_redis(connection)
        shutil.rmtree(data, ignore_errors=True)


def cold_searches(app: Any) -> None:
    """Forget the emulator's kept search matches: every walk finds it as cold as the first."""
    from emulator.search_cache import SearchCache

    app.extensions["emulator"].searches = SearchCache()


def emulator_pages(app: Any) -> Iterator[list[dict[str, Any]]]:
    """The resync's search, page by page, straight from the emulator (in process, no HTTP)."""
    from sync.reconcile import MIRROR_FIELDS

    client = app.test_client()
    query = {"jql": JQL + " ORDER BY key ASC", "fields": ",".join(MIRROR_FIELDS), "maxResults": PAGE_LIMIT}
    while True:
        answer = client.get("/rest/api/3/search/jql", query_string=query)
        assert answer.status_code == 200, answer.status_code
        page = answer.get_json()
        yield page["issues"]
        if page.get("isLast"):
            return
        query["nextPageToken"] = page["nextPageToken"]


def checked_against_jira(app: Any, connection: Any, data: Path) -> dict[str, Any]:
    """``stored_against_jira``, or what stopped it (the check's row fails with it) and the end of Redis's log."""
    import redis

    try:
        return stored_against_jira(app, connection)
    except redis.RedisError as exc:
        log = data / "redis" / "redis.log"
        tail = log.read_text(errors="replace")[-1500:] if log.exists() else "(no redis.log)"
        print(f"the check against Jira stopped: {exc}\n{tail}", file=sys.stderr, flush=True)
        return {"checked": 0, "differ_or_missing": 0, "first": [], "error": str(exc)}


def stored_against_jira(app: Any, connection: Any) -> dict[str, Any]:
    """Every issue Jira has, its mirror document (read back as the mirror's readers do) against the one
    ``sync.documents.issue_document`` projects from Jira's answer: how many were checked, differ or
    are missing, and the first few keys that do."""
    from sync.documents import issue_document
    from sync.mirror import RedisMirror

    mirror, checked, wrong = RedisMirror(connection), 0, []
    for page in emulator_pages(app):
        for issue, (raw, _) in zip(page, mirror.stored_many([str(i["id"]) for i in page]), strict=True):
            checked += 1
            if raw is None or json.loads(raw) != issue_document(issue):
                wrong.append(issue["key"])
    return {"checked": checked, "differ_or_missing": len(wrong), "first": wrong[:10]}


def run_figures(issues: int, generated: float, measured: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    child, wall, calls = measured["child"], measured["wall"], measured["calls"]
    kinds = split_calls(calls)
    minimum = math.ceil(issues / PAGE_LIMIT)
    return {
        "issues": issues,
        "exit_code": child["exit_code"],
        "generate_s": round(generated, 2),
        "wall_s": round(wall, 2),
        "resync_cpu_s": round(child["cpu_s"], 2),
        "peak_rss_mb": round(child["peak_rss_kb"] / 1024, 1),
        "calls": calls,
        "total_calls": kinds["total"],
        "minimum_calls": minimum,
        "calls_vs_minimum": round(kinds["total"] / minimum, 4),
        "mirrored": measured["mirrored"],
        "redis_used_memory_mb": round(measured["redis_memory"] / 2**20, 1),
        "baseline_bare_walk_s": round(bare["seconds"], 2),
        "baseline_bare_walk_pages": bare["pages"],
        "baseline_bare_walk_s_before_after": [round(bare["before"], 2), round(bare["after"], 2)],
        "emulator_share_of_wall": round(min(1.0, bare["seconds"] / wall), 2),
        "ratio": round(wall / bare["seconds"], 3),
        **({"stored_vs_jira": measured["stored"]} if "stored" in measured else {}),
    }


def launched(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``command`` under the launcher: its exit code, peak RSS (kB) and CPU seconds."""
    answer = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], env=env, capture_output=True, text=True, check=False
    )
    if answer.returncode != 0:
        raise RuntimeError(f"the launcher of {' '.join(command)} failed ({answer.returncode}): {answer.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(answer.stdout)
    return figures


def bare_walk(app: Any) -> dict[str, Any]:
    """The resync's count and search pages straight from the emulator, from a cold search cache."""
    cold_searches(app)  # as cold as the resync found it
    client = app.test_client()
    started = time.perf_counter()
    answer = client.post("/rest/api/3/search/approximate-count", json={"jql": JQL})
    assert answer.status_code == 200, answer.status_code
    pages = sum(1 for _ in emulator_pages(app))
    return {"seconds": time.perf_counter() - started, "pages": pages}


def describe(run: dict[str, Any]) -> str:
    return (
        f"{run['issues']:,} issues: resync {run['wall_s']} s wall ({run['resync_cpu_s']} s CPU in the resync "
        f"process), {run['total_calls']} calls for a minimum of {run['minimum_calls']} "
        f"({run['calls_vs_minimum']}×), peak RSS {run['peak_rss_mb']} MB, Redis {run['redis_used_memory_mb']} MB; "
        f"baseline: the same count + {run['baseline_bare_walk_pages']} pages straight from the emulator "
        f"{run['baseline_bare_walk_s']} s (≈ {run['emulator_share_of_wall']:.0%} of the wall time); "
        f"{run['mirrored']:,} mirrored, exit {run['exit_code']}; wall / bare read {run['ratio']}×" + latency_words(run)
    )


def latency_words(run: dict[str, Any]) -> str:
    if "latency_ms" not in run:
        return ""
    tag = f"latency_{run['latency_ms']:g}ms"
    return (
        f"; at {run['latency_ms']:g} ms per call: resync {run[f'wall_s_{tag}']} s, bare read "
        f"{run[f'baseline_bare_walk_s_{tag}']} s, {run[f'ratio_{tag}']}×"
    )


def rss_slope(small: dict[str, Any] | None, big: dict[str, Any]) -> float | None:
    """MB of the resync process's peak per 1,000 more issues, between the two runs."""
    if small is None:
        return None
    return (big["peak_rss_mb"] - small["peak_rss_mb"]) * 1000 / (big["issues"] - small["issues"])


def summary_rows(big: dict[str, Any], small: dict[str, Any] | None) -> list[dict[str, Any]]:
    ok = big["exit_code"] == 0 and big["mirrored"] == big["issues"]
    slope = rss_slope(small, big)
    per_thousand = (
        (f"{small['peak_rss_mb']} MB at {small['issues']:,} issues in the same run, {slope:+.2f} MB per 1,000 issues")
        if small and slope is not None
        else "no smaller run"
    )
    return [
        *ratio_rows(big, ok),
        row(
            f"resync: calls / minimum pages ({big['issues']:,} issues)",
            big["calls_vs_minimum"],
            "≤ 1.05",
            big["calls_vs_minimum"] <= 1.05 and ok,
            "×",
            note=f"{big['total_calls']:,} calls, minimum {big['minimum_calls']:,}",
        ),
        row(
            f"resync: peak RSS of the resync process ({big['issues']:,} issues)",
            big["peak_rss_mb"],
            "≤ 500 MB",
            big["peak_rss_mb"] <= 500 and ok,
            " MB",
            note=per_thousand,
        ),
        stored_row(big),
        row(
            f"resync: wall time, {big['issues']:,} issues from the emulator",
            big["wall_s"],
            "—",
            None,
            " s",
            note=f"resync process CPU {big['resync_cpu_s']} s; the same count and pages straight from the "
            f"emulator {big['baseline_bare_walk_s']} s",
        ),
    ]


def ratio_rows(big: dict[str, Any], ok: bool) -> list[dict[str, Any]]:
    """Wall time / the bare read of the same run, at 0 ms and at the added latency."""
    rows = [
        row(
            f"resync: wall / bare read ({big['issues']:,} issues, 0 ms)",
            big["ratio"],
            "≤ 1.5",
            big["ratio"] <= 1.5 and ok,
            "×",
            note=f"{big['wall_s']} s vs {big['baseline_bare_walk_s']} s",
        )
    ]
    if "latency_ms" in big:
        tag = f"latency_{big['latency_ms']:g}ms"
        wall, bare, ratio = big[f"wall_s_{tag}"], big[f"baseline_bare_walk_s_{tag}"], big[f"ratio_{tag}"]
        slow_ok = big[f"exit_code_{tag}"] == 0 and big[f"mirrored_{tag}"] == big["issues"]
        rows.append(
            row(
                f"resync: wall / bare read ({big['issues']:,} issues, {big['latency_ms']:g} ms)",
                ratio,
                "≤ 1.2",
                ratio <= 1.2 and slow_ok,
                "×",
                note=f"{wall} s vs {bare} s, {big['latency_ms']:g} ms added to every emulator call",
            )
        )
    return rows


def stored_row(big: dict[str, Any]) -> dict[str, Any]:
    stored = big.get("stored_vs_jira") or {"checked": 0, "differ_or_missing": 0, "first": []}
    return row(
        f"resync: stored documents that differ from Jira's ({big['issues']:,} issues)",
        stored["differ_or_missing"],
        "0",
        stored["differ_or_missing"] == 0 and stored["checked"] == big["issues"],
        note=f"{stored['checked']:,} checked against the emulator's answer"
        + (f"; first: {', '.join(stored['first'])}" if stored["first"] else "")
        + (f"; the check stopped: {stored['error']}" if stored.get("error") else ""),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=100_000, help="issues in the emulator for the measured run")
    parser.add_argument(
        "--small", type=int, default=1000, help="a smaller run for the memory per 1,000 issues (0: skip)"
    )
    parser.add_argument("--not-full", action="store_true", help="`okrsync resync` instead of `resync --full`")
    parser.add_argument(
        "--latency-ms", type=float, default=50, help="the measured run again with this latency per call (0: skip)"
    )
    args = parser.parse_args()

    sizes = ([args.small] if 0 < args.small < args.issues else []) + [args.issues]
    load_at_start = os.getloadavg()
    runs = []
    for issues in sizes:
        runs.append(resync_run(issues, not args.not_full, args.latency_ms if issues == args.issues else 0.0))
        print(describe(runs[-1]), flush=True)
    big, small = runs[-1], (runs[0] if len(runs) == 2 else None)
    slope = rss_slope(small, big)
    if small is not None and slope is not None:
        print(
            f"resync process memory: {slope:+.2f} MB per 1,000 issues between {small['issues']:,} and "
            f"{big['issues']:,} issues"
        )
    result = {
        "benchmark": "resync",
        "command": "okrsync resync" + ("" if args.not_full else " --full"),
        "runs": runs,
        "rss_mb_per_1000_issues": None if slope is None else round(slope, 3),
        "load_average_start_end": [round(load_at_start[0], 2), round(os.getloadavg()[0], 2)],  # 1-minute
    }
    write_result("resync", result, summary_rows(big, small))


if __name__ == "__main__":
    main()
