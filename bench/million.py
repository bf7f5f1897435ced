"""A million issues: resync, full evaluation and a burst at a site's size, with the memory each part holds.

    .venv/bin/python bench/million.py [--issues 1000000] [--krs 2000] [--queries 200] [--events 2000]
        [--rate 167] [--fill resync|direct] [--no-pass] [--phases resync,evaluate,burst]
    .venv/bin/python bench/run_all.py --only million      (opt-in: not part of a plain `make bench`)

The emulator (in this process, on werkzeug threads, with the service's web app beside it) synthesises
``--issues`` issues over ten projects P0…P9 (50 labels, at most two an issue, created over a year), plus
project HOT: an epic and 500 bugs the burst edits. One OKR set holds ``--krs`` KRs: ten count the HOT
bugs of one label each (their status is written on the epic), the rest read ``--queries`` distinct
JQL filters over P0…P9 (four shapes, one of them moving with the instant: ``created >= -30d``) in
three aggregate shapes (a count in the cycle, a count in 30 days, the median hours from created to
updated). In order, each phase's figures written as soon as they are measured (a run stopped by a
timeout keeps the phases it finished):

- **resync**: ``okrsync resync --full`` as a child process of a small launcher (its own peak RSS, see
  bench/resync.py), wall time; Redis ``INFO memory`` ``used_memory`` before and after, per issue; the
  append-only file's size; every issue mirrored. With ``--fill direct`` the mirror is filled without
  the walk instead (``DirectFill``): the same documents, stored by the same script, without the
  emulator's time to serve 10,000 pages.
- **evaluate**: a fresh process does what a worker's first flush does, timed part by part: read the
  mirror into memory (``sync.mirror_follower``), evaluate every KR from it (which keeps the
  selections), evaluate every KR again a second later from the kept selections (the scheduler's
  recomputation), and — unless ``--no-pass`` — once more by a pass over the issues without kept
  selections, which must give the same report. Its RSS after each step gives the bytes per issue of
  the in-memory mirror and of the kept selections.
- **burst**: ``okrsync worker`` started on the resynced mirror; one event, and the time until its
  value is written (the worker's cold start: read the mirror, keep the selections, flush); then
  ``--events`` label edits at ``--rate`` per second on a fixed schedule (ten senders), and the time
  from the last edit until the written status shows the final values (which a full evaluation gives:
  each label's count of bugs); the worker's RSS and CPU, and the service's calls per event.

Each phase's figures carry the load average (1, 5, 15 minutes) at their end.

Writes bench/results/million.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    OKRSYNC,
    USERS,
    Stack,
    bench_options,
    call_delta,
    row,
    split_calls,
    wait_until,
    write_result,
)
from bench.resync import launched  # noqa: E402
from okrsync.local_stack import LocalStack, StackOptions  # noqa: E402
from sync import keys  # noqa: E402

PROJECTS = [f"P{n}" for n in range(10)]
LABELS = [f"l{n}" for n in range(50)]
HOT_BUGS = 500
HOT_KRS = 10
SENDERS = 10  # divides HOT_BUGS: each bug's edits come from one sender, in order
AGGREGATES: list[dict[str, Any]] = [
    {"aggregate": "count", "window": "cycle"},
    {"aggregate": "count", "window": "30d"},
    {
        "aggregate": "duration_median",
        "duration": {"from": "created", "to": "updated", "unit": "hours"},
        "window": "cycle",
    },
]
RESULT = "million"


# ------------------------------------------------------------------------------ the site and its OKRs


def scenario(issues: int) -> dict[str, Any]:
    """Ten projects sharing ``issues``, and project HOT: an epic and the bugs the burst edits."""
    share, extra = divmod(issues, len(PROJECTS))
    generated = [
        {"project": key, "count": share + (1 if n < extra else 0), "labels": LABELS, "days": 365, "seed": n}
        for n, key in enumerate(PROJECTS)
    ]
    hot = {"project": "HOT", "count": HOT_BUGS, "types": ["Bug"], "statuses": ["To Do"], "days": 20, "summary": "Bug"}
    return {
        "users": USERS,
        "projects": [{"key": key, "name": f"Project {key}"} for key in [*PROJECTS, "HOT"]],
        "issues": [{"key": "HOT-1", "type": "Epic", "summary": "Hot epic", "labels": ["kr"], "created": "-20d"}],
        "generate": [*generated, hot],
    }


def query(number: int) -> str:
    """The number-th distinct filter over P0…P9 (distinct for number < 500)."""
    project, label = PROJECTS[number % len(PROJECTS)], LABELS[(number // len(PROJECTS)) % len(LABELS)]
    other = LABELS[(number // len(PROJECTS) + 1) % len(LABELS)]
    shapes = [
        f"project = {project} AND labels = {label}",
        f"project = {project} AND labels = {label} AND statusCategory = Done",
        f"project = {project} AND labels in ({label}, {other}) AND created >= -30d",
        f"project = {project} AND issuetype = Bug AND labels = {label} AND statusCategory != Done",
    ]
    return shapes[number % len(shapes)]


def config(krs: int, queries: int) -> str:
    """okrs.yaml (as JSON, which YAML reads): the HOT KRs, then ``krs - HOT_KRS`` over the filters."""
    metrics: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    contributors = {"jql": "project = HOT AND issuetype = Epic AND labels = kr"}
    for k in range(HOT_KRS):
        jql = f"project = HOT AND issuetype = Bug AND labels = hot{k}"
        metrics[f"hot{k}"] = {"description": f"hot{k}", "source": "jira", "aggregate": "count", "jql": jql}
        results.append(
            {"id": f"HOT{k}", "title": f"Hot {k}", "metric": f"hot{k}", "baseline": HOT_BUGS, "target": 0}
            | {"contributors": contributors}
        )
    for n in range(krs - HOT_KRS):
        shape = AGGREGATES[(n // queries) % len(AGGREGATES)]
        metrics[f"m{n}"] = {"description": f"metric {n}", "source": "jira", "jql": query(n % queries), **shape}
        results.append({"id": f"KR{n}", "title": f"KR {n}", "metric": f"m{n}", "baseline": 0, "target": 100 + n})
    objectives = [
        {"id": f"O{n // 4}", "title": f"Objective {n // 4}", "key_results": results[n : n + 4]}
        for n in range(0, len(results), 4)
    ]
    okr_set = {"id": "s", "name": "Million", "cycle": "c", "projects": [*PROJECTS, "HOT"], "objectives": objectives}
    cycle = {"id": "c", "start": "2025-01-01", "end": "2099-12-31"}
    return json.dumps({"cycles": [cycle], "metrics": metrics, "okr_sets": [okr_set]}, indent=1)


# ------------------------------------------------------------------------------ figures kept as they come


class Figures:
    """The run's figures, written to bench/results/million.json after every phase."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.data: dict[str, Any] = {
            "benchmark": RESULT,
            "issues": args.issues,
            "krs": args.krs,
            "distinct_queries": min(args.queries, args.krs - HOT_KRS),
            "events": args.events,
            "rate": args.rate,
            "code": git_head(),
        }

    def add(self, phase: str, figures: dict[str, Any]) -> None:
        self.data[phase] = {**figures, "load_average": [round(n, 2) for n in os.getloadavg()]}
        print(f"{phase}: {json.dumps(figures, default=str)}", flush=True)
        write_result(RESULT, self.data, summary_rows(self.data))


def git_head() -> str:
    answer = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return answer.stdout.strip()


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    """VmRSS and VmHWM (the peak) of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {name: round(int(fields[name].split()[0]) / 1024, 1) for name in ("VmRSS", "VmHWM")}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (``/proc/<pid>/stat``)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK"), 2)


def redis_memory(connection: Any) -> int:
    return int(connection.info("memory")["used_memory"])


# ------------------------------------------------------------------------------ resync


class MillionStack(Stack):
    """The benchmarks' stack (bench/common.py) with the options given: here, no worker and a timed resync."""

    def __init__(self, options: StackOptions) -> None:
        LocalStack.__init__(self, options)


class TimedResync:
    """The stack's resync step: `okrsync resync --full` as a child, with its figures kept here."""

    def __init__(self) -> None:
        self.stack: Stack | None = None
        self.figures: dict[str, Any] = {}

    def __call__(self, runtime: Any) -> Any:
        from sync.reconcile import SyncReport

        assert self.stack is not None
        connection = runtime.redis
        before = redis_memory(connection)
        started = time.perf_counter()
        child = launched([OKRSYNC, "resync", "--full"], {**os.environ, **self.stack.env})
        wall = time.perf_counter() - started
        after = redis_memory(connection)
        mirrored = int(connection.hlen(keys.MIRROR_KEYS))
        self.figures = {
            "exit_code": child["exit_code"],
            "wall_s": round(wall, 2),
            "resync_cpu_s": round(child["cpu_s"], 2),
            "peak_rss_mb": round(child["peak_rss_kb"] / 1024, 1),
            "mirrored": mirrored,
            "redis_used_memory_before_mb": round(before / 2**20, 1),
            "redis_used_memory_mb": round(after / 2**20, 1),
            "redis_bytes_per_issue": round((after - before) / max(1, mirrored)),
            "calls": split_calls(counted_calls(connection)),
        }
        return SyncReport(seen=mirrored, seconds=wall)


def counted_calls(connection: Any) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in connection.hgetall(keys.STATS_CALLS).items()}


class DirectFill:
    """The stack's resync step with ``--fill direct``: every issue's JSON as a search page carries it
    (rendered by the emulator in this process), made a mirror document and stored with the mirror's own
    script for a read of Jira, pipelined in batches — the state a resync leaves, without its walk."""

    def __init__(self) -> None:
        self.stack: Stack | None = None
        self.figures: dict[str, Any] = {}

    def __call__(self, runtime: Any) -> Any:
        from sync.reconcile import SyncReport

        assert self.stack is not None
        connection = runtime.redis
        before = redis_memory(connection)
        started = time.perf_counter()
        stored = store_directly(self.stack.emulator.site, self.stack.jira_url, connection)
        wall = time.perf_counter() - started
        after = redis_memory(connection)
        self.figures = {
            "fill": "direct",
            "fill_s": round(wall, 2),
            "wall_s": round(wall, 2),
            "mirrored": int(connection.hlen(keys.MIRROR_KEYS)),
            "stored": stored,
            "redis_used_memory_before_mb": round(before / 2**20, 1),
            "redis_used_memory_mb": round(after / 2**20, 1),
            "redis_bytes_per_issue": round((after - before) / max(1, stored)),
        }
        return SyncReport(seen=stored, seconds=wall)


def store_directly(site: Any, jira_url: str, connection: Any, batch: int = 1000) -> int:
    from emulator.jira_json import View, issue_json, parse_field_selection
    from sync.documents import issue_document
    from sync.mirror import RedisMirror
    from sync.reconcile import MIRROR_FIELDS
    from webhooks.jiratime import parse_jira_time

    view, selection = View(base=jira_url, api="3", flavor="cloud"), parse_field_selection(MIRROR_FIELDS, "id")
    read_started = RedisMirror(connection).server_time_ms()
    pipe = connection.pipeline(transaction=False)
    mirror, stored = RedisMirror(pipe), 0
    for issue in list(site.issues.values()):
        answer = issue_json(site, issue, view, selection)
        version = int(parse_jira_time(answer["fields"]["updated"]).timestamp() * 1000)
        mirror.store_read(issue_document(answer), min(version, read_started), read_started)
        stored += 1
        if stored % batch == 0:
            pipe.execute()
    pipe.execute()
    return stored


def started_stack(args: argparse.Namespace, figures: Figures) -> Stack:
    """Emulator with the generated issues, Redis, web service, configuration, webhook, then the mirror
    filled: by the timed resync, or directly (``--fill direct``)."""
    timed: TimedResync | DirectFill = DirectFill() if args.fill == "direct" else TimedResync()
    options = bench_options(scenario(args.issues), config(args.krs, args.queries))
    stack = MillionStack(dataclasses.replace(options, resync=timed, worker=None))
    timed.stack = stack
    started = time.perf_counter()
    stack.start()
    total = time.perf_counter() - started
    resync = timed.figures
    resync["setup_s"] = round(total - resync["wall_s"], 1)  # generating the issues, applying the configuration
    resync["aof_mb"] = round(aof_bytes(stack.data_dir) / 2**20, 1)
    resync["this_process"] = rss_mb()  # the emulator holding every issue, the web service
    figures.add("resync", resync)
    return stack


def aof_bytes(data_dir: Path) -> int:
    return sum(path.stat().st_size for path in data_dir.rglob("*.aof*") if path.is_file())


# ------------------------------------------------------------------------------ evaluation, in a process of its own


def evaluation_phase(stack: Stack, args: argparse.Namespace, figures: Figures) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), "--evaluate-here"]
    command += ["--no-pass"] if args.no_pass else []
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}, **stack.env}
    answer = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)  # its steps on stderr
    if answer.returncode != 0:
        raise RuntimeError(f"the evaluation process failed (exit {answer.returncode}); its output is above")
    figures.add("evaluate", json.loads(answer.stdout.strip().splitlines()[-1]))


def evaluate_here(no_pass: bool) -> None:
    """A worker's first flush, step by step, in this fresh process (run by ``evaluation_phase``)."""
    from okr.evaluate import evaluate_report, evaluation_input
    from okrsync.local_stack import settings_from_env
    from okrsync.redis_store import connect_redis
    from okrsync.runtime_builder import build_runtime
    from sync.flush import live_evaluation_input

    settings = settings_from_env(os.environ)
    runtime = build_runtime(settings, connect_redis(settings))
    config, fields = applied_config(runtime), runtime.config_store.field_names()
    steps = Steps()
    live = steps.time("read", lambda: runtime.mirror_in_memory.current(config.zone, fields))
    at = datetime.now(UTC)
    first = steps.time("first", lambda: evaluate_report(config, live_evaluation_input(runtime, config, at)))
    again = at + timedelta(seconds=1)
    kept = steps.time("kept", lambda: evaluate_report(config, live_evaluation_input(runtime, config, again)))
    out = steps.figures(len(live), first)
    if not no_pass:
        documents = list(live.documents())
        given = evaluation_input(again, config, documents, (), fields, current_user=runtime.config_store.own_account())
        passed = steps.time("pass", lambda: evaluate_report(config, given))
        out["pass_s"], out["cpu_s"]["pass"] = steps.seconds["pass"], steps.cpu["pass"]
        out["kept_equals_pass"] = passed == kept
        assert passed == kept, "the report from kept selections differs from a pass over the issues"
    out["kept_queries_selections_indexes"] = live.kept
    print(json.dumps(out))


def applied_config(runtime: Any) -> Any:
    config = runtime.config_store.current()
    if config is None:
        raise SystemExit("the evaluation process found no configuration applied in its Redis")
    return config


class Steps:
    """Seconds and RSS after each step of the evaluation process."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # this process's CPU seconds: what a shared machine's load leaves out
        self.rss: dict[str, float] = {"start": rss_mb()["VmRSS"]}

    def time(self, name: str, step: Callable[[], Any]) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        value = step()
        self.seconds[name] = round(time.perf_counter() - started, 2)
        self.cpu[name] = round(time.process_time() - cpu, 2)
        self.rss[name] = rss_mb()["VmRSS"]
        print(
            f"  evaluation step {name}: {self.seconds[name]} s, CPU {self.cpu[name]} s, RSS {self.rss[name]} MB",
            file=sys.stderr,
            flush=True,
        )
        return value

    def figures(self, issues: int, report: Any) -> dict[str, Any]:
        mirror_mb = self.rss["read"] - self.rss["start"]
        selections_mb = self.rss["first"] - self.rss["read"]
        measured = sum(o.measured for s in report.okr_sets for o in s.objectives)
        return {
            "issues_in_memory": issues,
            "measured_krs": measured,
            "read_mirror_s": self.seconds["read"],
            "first_evaluation_s": self.seconds["first"],
            "kept_evaluation_s": self.seconds["kept"],
            "cpu_s": self.cpu,
            "rss_mb": self.rss,
            "peak_rss_mb": rss_mb()["VmHWM"],
            "mirror_bytes_per_issue": round(mirror_mb * 2**20 / max(1, issues)),
            "selections_bytes_per_issue": round(selections_mb * 2**20 / max(1, issues)),
        }


# ------------------------------------------------------------------------------ the burst, through a real worker


def hot_label(number: int) -> str:
    """Event n's label for bug n % HOT_BUGS: one KR further on each pass, so every edit moves the bug."""
    return f"hot{(number % HOT_BUGS + number // HOT_BUGS) % HOT_KRS}"


def expected_values(events: int) -> dict[str, float]:
    """Each HOT KR's count once events 0…events-1 (and the cold-start event before them) are applied."""
    labels = {2 + n % HOT_BUGS: hot_label(n) for n in range(events)}
    counts = {f"HOT{k}": 0.0 for k in range(HOT_KRS)}
    for label in labels.values():
        counts["HOT" + label.removeprefix("hot")] += 1
    return counts


def edit(stack: Stack, number: int) -> None:
    stack.bench_jira.update_fields(f"HOT-{2 + number % HOT_BUGS}", {"labels": [hot_label(number)]})


def status_values(stack: Stack) -> dict[str, Any]:
    value = stack.bench_jira.get_property("HOT-1", "okrsync.status") or {}
    return {kr.get("kr") or kr.get("id"): kr.get("current") for kr in value.get("key_results", [])}


def quiet(stack: Stack) -> bool:
    from sync.dirty import DIRTY, FLUSH_FLAG, IN_FLUSH
    from sync.queue import EventStream

    return (
        stack.emulator.dispatcher.idle()
        and not EventStream(stack.connection).has_unapplied()
        and not stack.connection.exists(DIRTY, IN_FLUSH, FLUSH_FLAG)
    )


def wait_for(stack: Stack, expected: dict[str, float], seconds: float) -> None:
    def there() -> bool:
        if not quiet(stack):
            return False
        current = status_values(stack)
        return all(current.get(kr) == value for kr, value in expected.items())

    wait_until(there, seconds, 0.2, f"the written values {expected}")


def paced(stack: Stack, events: int, rate: float) -> tuple[float, list[str]]:
    """Events 1…events on a fixed schedule at ``rate`` per second (ten senders, each bug's edits in
    order); the seconds from the first scheduled send to the last edit made, and the failures."""
    errors: list[str] = []
    start = time.monotonic() + 0.2

    def send(offset: int) -> None:
        for number in range(1 + offset, 1 + events, SENDERS):
            delay = start + (number - 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                edit(stack, number)
            except Exception as exc:  # counted and reported; the burst goes on
                errors.append(f"{number}: {exc}")

    threads = [threading.Thread(target=send, args=(offset,)) for offset in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - start, errors


def burst_phase(stack: Stack, args: argparse.Namespace, figures: Figures) -> None:
    started = time.monotonic()
    worker = stack.launch("worker", ["worker"])
    edit(stack, 0)
    wait_for(stack, expected_values(1), args.timeout)
    cold = time.monotonic() - started
    cold_rss, cold_cpu = rss_mb(worker.pid), cpu_seconds(worker.pid)
    before = stack.service_calls()
    sent_s, errors = paced(stack, args.events, args.rate)
    last_sent = time.monotonic()
    wait_for(stack, expected_values(1 + args.events), args.timeout)
    caught_up = time.monotonic() - last_sent
    kinds = split_calls(call_delta(before, stack.service_calls()))
    figures.add(
        "burst",
        {
            "worker_start_to_first_value_s": round(cold, 2),
            "worker_rss_after_cold_start_mb": cold_rss,
            "worker_cpu_at_first_value_s": cold_cpu,
            "burst_seconds": round(sent_s, 2),
            "events_per_second_sent": round(args.events / sent_s, 1),
            "send_errors": len(errors),
            "last_event_to_final_status_s": round(caught_up, 2),
            "first_event_to_final_status_s": round(sent_s + caught_up, 2),
            "calls_per_event": round(kinds["total"] / max(1, args.events), 5),
            "worker_rss_mb": rss_mb(worker.pid),
            "worker_cpu_s": cpu_seconds(worker.pid),
            "redis_used_memory_mb": round(redis_memory(stack.connection) / 2**20, 1),
        },
    )


# ------------------------------------------------------------------------------ the summary rows


def summary_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    issues, krs = f"{data['issues']:,} issues", f"{data['krs']:,} KRs ({data['distinct_queries']} filters)"
    rows = []
    if "resync" in data:
        r = data["resync"]
        if "resync_cpu_s" in r:  # not with --fill direct
            note = f"CPU {r['resync_cpu_s']} s"
            rows.append(row(f"million: resync wall time, {issues}", r["wall_s"], "—", None, " s", note=note))
        rows.append(row(f"million: Redis used_memory per issue, {issues}", r["redis_bytes_per_issue"], "—", None, " B"))
    if "evaluate" in data:
        e = data["evaluate"]
        rows += [
            row(f"million: worker's first evaluation, {krs} over {issues}", e["first_evaluation_s"], "—", None, " s"),
            row(f"million: in-memory mirror per issue, {issues}", e["mirror_bytes_per_issue"], "—", None, " B"),
            row(f"million: kept selections per issue, {krs}", e["selections_bytes_per_issue"], "—", None, " B"),
        ]
    if "burst" in data:
        b = data["burst"]
        rows += [
            row(
                f"million: worker start to first value written, {issues}",
                b["worker_start_to_first_value_s"],
                "—",
                None,
                " s",
            ),  # noqa: E501
            row(
                f"million: burst, last event to final values ({data['events']:,} at {data['rate']:g}/s)",
                b["last_event_to_final_status_s"],
                "—",
                None,
                " s",
            ),  # noqa: E501
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1_000_000, help="generated issues over P0…P9")
    parser.add_argument("--krs", type=int, default=2000, help="KRs in the one OKR set (at least 11)")
    parser.add_argument("--queries", type=int, default=200, help="distinct JQL filters the KRs read (at most 500)")
    parser.add_argument("--events", type=int, default=2000, help="label edits in the burst")
    parser.add_argument("--rate", type=float, default=167.0, help="edits per second in the burst")
    parser.add_argument("--no-pass", action="store_true", help="skip the check by a pass over every issue")
    parser.add_argument(
        "--fill",
        choices=["resync", "direct"],
        default="resync",
        help="fill the mirror by `okrsync resync --full` (timed) or directly, as a resync stores it",
    )
    parser.add_argument("--phases", default="resync,evaluate,burst", help="which phases after the resync")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for written values")
    parser.add_argument("--evaluate-here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.evaluate_here:
        evaluate_here(args.no_pass)
        return
    if not (HOT_KRS < args.krs and 0 < args.queries <= 500):
        parser.error(f"--krs must be over {HOT_KRS} and --queries between 1 and 500")
    figures = Figures(args)
    stack = started_stack(args, figures)
    try:
        if "evaluate" in args.phases:
            evaluation_phase(stack, args, figures)
        if "burst" in args.phases:
            burst_phase(stack, args, figures)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
