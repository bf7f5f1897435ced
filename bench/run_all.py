"""Run every benchmark, each in its own process (one crash does not stop the rest), and print one table.

    .venv/bin/python bench/run_all.py [--only ingest,economy] [--quick]

Each benchmark writes bench/results/<name>.json with its figures and summary rows; this collects the
rows into bench/results/summary.json (with the machine's load average before and after each run:
the figures are ratios against baselines measured in the same run because the machine is shared).
``--only`` reruns some and keeps the others' latest rows in the summary.
``--quick`` passes smaller sizes for a smoke run (figures not comparable with the targets' sizes).
Opt-in benchmarks (``OPT_IN``: ``million``, a million issues, about 25 minutes) run only when ``--only``
names them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

# name, script, result file, default arguments, --quick arguments; in the order
BENCHES: list[tuple[str, str, str, list[str], list[str]]] = [
    ("ingest", "ingest.py", "ingest", [], ["--requests", "1000", "--seconds", "5"]),
    ("freshness", "freshness.py", "freshness", [], ["--seconds", "15"]),
    (
        "economy",
        "api_economy.py",
        "api_economy",
        [],
        ["--events", "1000", "--pages-interval", "5", "--step-rates", "500", "--step-events", "500"],
    ),
    ("resync", "resync.py", "resync", [], ["--issues", "2000", "--small", "500"]),
    ("evaluate", "evaluate.py", "evaluate", [], ["--documents", "20000", "--real-events", "100"]),
    ("jql_eval", "jql_eval.py", "jql_eval", [], ["--documents", "20000"]),
]
# the same, run only when --only names them; with their own time limit in seconds
OPT_IN: list[tuple[str, str, str, list[str], list[str]]] = [
    # a real resync of a million issues (6-10 minutes here), the evaluation, a worker's cold start and a burst
    (
        "million",
        "million.py",
        "million",
        ["--no-pass"],
        ["--issues", "20000", "--krs", "200"],
    ),
]
OPT_IN_TIMEOUT_SECONDS = {"million": 4800}
TIMEOUT_SECONDS = 900


def run(name: str, script: str, result: str, arguments: list[str]) -> tuple[list[dict], dict]:
    timeout = OPT_IN_TIMEOUT_SECONDS.get(name, TIMEOUT_SECONDS)
    path = RESULTS / f"{result}.json"
    path.unlink(missing_ok=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    print(f"\n=== {name}: bench/{script} {' '.join(arguments)}", flush=True)
    try:
        process = subprocess.run([sys.executable, str(ROOT / "bench" / script), *arguments], cwd=ROOT, timeout=timeout)
        code: int | str = process.returncode
    except subprocess.TimeoutExpired:
        code = f"timed out after {timeout} s"
    meta = {
        "bench": name,
        "exit": code,
        "seconds": round(time.monotonic() - started, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    rows = []
    if code == 0 and path.is_file():
        rows = json.loads(path.read_text()).get("rows", [])
    if not rows and name != "jql_eval":
        rows = [
            {
                "figure": f"{name}: benchmark did not finish (exit {code})",
                "value": None,
                "shown": "—",
                "target": "runs",
                "verdict": "FAIL",
            }
        ]
    return [{**r, "bench": name} for r in rows], meta


def table(rows: list[dict]) -> str:
    widths = [
        max(
            len(str(r[k]))
            for r in rows + [{"figure": "figure", "shown": "value", "target": "target", "verdict": "verdict"}]
        )
        for k in ("figure", "shown", "target")
    ]
    lines = [f"{'figure':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  verdict"]
    lines.append("-" * len(lines[0]))
    for r in rows:
        lines.append(
            f"{r['figure']:<{widths[0]}}  {r['shown']:>{widths[1]}}  {r['target']:<{widths[2]}}  {r['verdict']}"
        )
    return "\n".join(lines)


def merged_with_previous(rows: list[dict], runs: list[dict]) -> tuple[list[dict], list[dict]]:
    previous = RESULTS / "summary.json"
    if not previous.is_file():
        return rows, runs
    earlier = json.loads(previous.read_text())
    fresh = {r["bench"] for r in runs}
    order = [b[0] for b in BENCHES + OPT_IN]
    kept = [r for r in earlier.get("rows", []) if r.get("bench") not in fresh]
    kept_runs = [r for r in earlier.get("runs", []) if r.get("bench") not in fresh]
    by_order = sorted(kept + rows, key=lambda r: order.index(r["bench"]) if r.get("bench") in order else len(order))
    return by_order, sorted(kept_runs + runs, key=lambda r: order.index(r["bench"]) if r["bench"] in order else 99)


def chosen(wanted: set[str] | None) -> list[tuple[str, str, str, list[str], list[str]]]:
    """The benchmarks ``--only`` names (every default one without it; an opt-in one only when named)."""
    if wanted is None:
        return list(BENCHES)
    return [b for b in BENCHES + OPT_IN if b[0] in wanted]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names: " + ",".join(b[0] for b in BENCHES + OPT_IN))
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    rows, runs = [], []
    for name, script, result, default, quick in chosen(wanted):
        got, meta = run(name, script, result, quick if args.quick else default)
        rows += got
        runs.append(meta)
    if wanted is not None:  # keep the other benchmarks' latest rows, in the table's order
        rows, runs = merged_with_previous(rows, runs)
    print("\n" + table(rows))
    failed = sum(1 for r in rows if r["verdict"] == "FAIL")
    print(
        f"\n{len(rows)} figures, {failed} FAIL; per-bench JSON in bench/results/, this table in "
        "bench/results/summary.json"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "quick": args.quick,
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "runs": runs,
                "rows": rows,
            },
            indent=2,
            default=str,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
