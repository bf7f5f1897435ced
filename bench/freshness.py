"""Freshness benchmark: time from a change in Jira to the updated ``okrsync.status`` property and to
the updated Confluence page, with the emulator adding latency to every call, under a steady stream.

    .venv/bin/python bench/freshness.py [--rate 20] [--seconds 60] [--latency-ms 50] [--pages-interval 5]
                                        [--scheduler-interval 5]

Starts the stack of bench/common.py (emulator and service in process, `okrsync worker` and
`okrsync scheduler` processes, embedded Redis). Event n adds the label ``escaped`` to its own bug, so
the KR's value (a count of escaped bugs) only grows: when the k-th edit returns from the emulator,
the value is at least k. Sender threads keep an open-loop schedule (n / rate). Pollers watch:

- Jira: the status property through the benchmark's own Jira port (not counted as the service's),
  back to back; a value is stamped when the read that saw it returned, so a figure includes up to
  one read round trip (the baseline, also reported).
- Confluence: the page in the emulator's memory (no call, no latency), every 20 ms.

Per event: first time a value ≥ k was seen minus the time its edit returned → p50/p95/p99.
Writes bench/results/freshness.json.
"""

from __future__ import annotations

import argparse
import bisect
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import USERS, Stack, call_delta, percentile, row, split_calls, wait_until, write_result  # noqa: E402

PAGE_TITLE = "Freshness OKRs"
UNIT = "escapes"
SPAN = re.compile(r"→ (\d+(?:\.\d+)?) " + UNIT + " →")  # "0 escapes → 37 escapes → 100000 escapes"

CONFIG = f"""
cycles: [{{id: c, start: 2020-01-01, end: 2099-12-31}}]
metrics:
  escaped: {{description: escaped bugs, source: jira, aggregate: count, window: cycle, unit: {UNIT},
            jql: project = SHOP AND issuetype = Bug AND labels = escaped}}
okr_sets:
  - id: s
    name: Freshness
    cycle: c
    projects: [SHOP]
    confluence: {{space: OKR, title: {PAGE_TITLE}, parent: OKRs}}
    objectives:
      - id: O1
        title: Quality
        key_results:
          - {{id: KR1, title: Escapes counted, owner: alice@example.com, metric: escaped, baseline: 0, target: 100000,
             contributors: {{jql: project = SHOP AND issuetype = Epic AND labels = kr}}}}
          - {{id: KR2, title: Later, unmeasured: not yet}}
"""


def scenario(bugs: int) -> dict[str, Any]:
    return {
        "users": USERS,
        "projects": [{"key": "SHOP", "name": "Shop"}],
        "issues": [{"key": "SHOP-1", "type": "Epic", "summary": "Quality epic", "labels": ["kr"], "created": "-20d"}],
        "generate": [
            {"project": "SHOP", "count": bugs, "types": ["Bug"], "statuses": ["To Do"], "days": 20, "summary": "Bug"}
        ],
        "confluence": {"spaces": [{"key": "OKR", "name": "OKRs", "pages": [{"title": "OKRs"}]}]},
    }


class Observations:
    """(time, value) whenever a watched value changed; values only grow."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.values: list[float] = []
        self.lock = threading.Lock()

    def saw(self, at: float, value: float | None) -> None:
        if value is None:
            return
        with self.lock:
            if not self.values or value > self.values[-1]:
                self.times.append(at)
                self.values.append(value)

    def first_at_least(self, value: float) -> float | None:
        with self.lock:
            index = bisect.bisect_left(self.values, value)
            return self.times[index] if index < len(self.times) else None

    def latest(self) -> float:
        with self.lock:
            return self.values[-1] if self.values else -1


def status_value(stack: Stack) -> float | None:
    value = stack.bench_jira.get_property("SHOP-1", "okrsync.status") or {}
    for kr in value.get("key_results", []):
        if kr.get("kr") == "KR1":
            return kr.get("current")
    return None


def page_value(stack: Stack) -> tuple[int, float | None]:
    page = stack.page(PAGE_TITLE)
    if page is None:
        return 0, None
    found = SPAN.search(page.body)
    return page.version, float(found.group(1)) if found else None


def watch_jira(stack: Stack, seen: Observations, round_trips: list[float], stop: threading.Event) -> None:
    while not stop.is_set():
        sent = time.monotonic()
        try:
            value = status_value(stack)
        except Exception:  # a failed read is simply not an observation
            continue
        answered = time.monotonic()
        round_trips.append(answered - sent)
        seen.saw(answered, value)


def watch_page(stack: Stack, seen: Observations, stop: threading.Event) -> None:
    version = 0
    while not stop.is_set():
        current, value = page_value(stack)
        if current != version:
            version = current
            seen.saw(time.monotonic(), value)
        time.sleep(0.02)


def send_events(
    stack: Stack, count: int, rate: float, senders: int
) -> tuple[list[tuple[int, float]], list[str], float]:
    """Open loop: event n is due at start + n / rate. Returns (k, time the k-th edit returned)."""
    returned: list[tuple[int, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    lag = [0.0]
    start = time.monotonic() + 0.2

    def run(offset: int) -> None:
        for number in range(offset, count, senders):
            due = start + number / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:
                lag[0] = max(lag[0], -pause)
            try:
                stack.bench_jira.update_fields(f"SHOP-{2 + number}", {"labels": ["escaped"]})
            except Exception as exc:
                errors.append(f"{number}: {exc}")
                continue
            with lock:
                returned.append((len(returned) + 1, time.monotonic()))

    threads = [threading.Thread(target=run, args=(offset,)) for offset in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return returned, errors, lag[0]


def latencies(returned: list[tuple[int, float]], seen: Observations) -> tuple[list[float], int]:
    found, missing = [], 0
    for expected, at in returned:
        when = seen.first_at_least(expected)
        if when is None:
            missing += 1
        else:
            found.append(max(0.0, when - at))
    return found, missing


def summary(values: list[float]) -> dict[str, float]:
    return {f"p{q}_s": round(percentile(values, q), 3) for q in (50, 95, 99)} | {"max_s": round(max(values), 3)}


@dataclass
class Stream:
    """One stream of edits and what the watchers saw of it."""

    jira_seen: Observations = field(default_factory=Observations)
    page_seen: Observations = field(default_factory=Observations)
    round_trips: list[float] = field(default_factory=list)
    returned: list[tuple[int, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lag: float = 0.0
    sent_seconds: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)


def stream(stack: Stack, args: argparse.Namespace, count: int) -> Stream:
    """``count`` edits at ``args.rate`` while the watchers look, until both show the final value (or grace ends)."""
    wait_until(lambda: status_value(stack) == 0 and page_value(stack)[1] == 0, 120, 0.2, "first status and page")
    stack.emulator.faults.configure({"latency_ms": args.latency_ms})
    time.sleep(args.pages_interval)  # start with the page's interval passed, as in a quiet moment
    run = Stream()
    stop = threading.Event()
    watchers = [
        threading.Thread(target=watch_jira, args=(stack, run.jira_seen, run.round_trips, stop), daemon=True),
        threading.Thread(target=watch_page, args=(stack, run.page_seen, stop), daemon=True),
    ]
    for watcher in watchers:
        watcher.start()
    before = stack.service_calls()
    started = time.monotonic()
    run.returned, run.errors, run.lag = send_events(stack, count, args.rate, args.senders)
    run.sent_seconds = time.monotonic() - started
    wait_for_final(run, float(len(run.returned)), args.pages_interval + args.scheduler_interval + 30)
    stop.set()
    for watcher in watchers:
        watcher.join(timeout=5)
    run.calls = call_delta(before, stack.service_calls())
    return run


def wait_for_final(run: Stream, final: float, grace: float) -> None:
    try:
        wait_until(
            lambda: run.jira_seen.latest() >= final and run.page_seen.latest() >= final,
            grace,
            0.1,
            f"value {final:g} in Jira and on the page",
        )
    except TimeoutError as exc:
        print(f"warning: {exc}; events not seen count as missing")


def figures(args: argparse.Namespace, count: int, run: Stream) -> dict[str, Any]:
    jira_latency, jira_missing = latencies(run.returned, run.jira_seen)
    page_latency, page_missing = latencies(run.returned, run.page_seen)
    return {
        "benchmark": "freshness",
        "rate": args.rate,
        "seconds": args.seconds,
        "events": count,
        "events_returned": len(run.returned),
        "send_errors": len(run.errors),
        "max_sender_lag_s": round(run.lag, 3),
        "sent_seconds": round(run.sent_seconds, 2),
        "latency_ms": args.latency_ms,
        "pages_interval_s": args.pages_interval,
        "scheduler_interval_s": args.scheduler_interval,
        "baseline_property_read_round_trip": summary(run.round_trips) | {"reads": len(run.round_trips)},
        "jira": summary(jira_latency) | {"missing": jira_missing, "distinct_values_seen": len(run.jira_seen.values)},
        "confluence": summary(page_latency)
        | {"missing": page_missing, "page_versions_seen": len(run.page_seen.values)},
        "service_calls": run.calls,
        "by_kind": split_calls(run.calls),
    }


def report(args: argparse.Namespace, run: Stream, result: dict[str, Any]) -> None:
    baseline = result["baseline_property_read_round_trip"]
    print(
        f"{len(run.returned)} edits at {args.rate:g}/s over {run.sent_seconds:.1f} s, emulator latency "
        f"{args.latency_ms:g} ms (max sender lag {run.lag * 1000:.0f} ms, {len(run.errors)} failed)"
    )
    print(
        f"baseline: a property read round trip p50 {baseline['p50_s'] * 1000:.0f} ms, "
        f"p95 {baseline['p95_s'] * 1000:.0f} ms ({len(run.round_trips)} reads)"
    )
    for name, seen in (("Jira status property", result["jira"]), ("Confluence page", result["confluence"])):
        print(
            f"change → {name}: p50 {seen['p50_s']} s  p95 {seen['p95_s']} s  p99 {seen['p99_s']} s  "
            f"max {seen['max_s']} s  ({seen['missing']} never seen)"
        )
    print("service calls during the stream:", run.calls)


def summary_rows(args: argparse.Namespace, result: dict[str, Any]) -> list[dict[str, Any]]:
    baseline = result["baseline_property_read_round_trip"]
    jira_p95, page_p95 = result["jira"]["p95_s"], result["confluence"]["p95_s"]
    page_target = args.pages_interval + 2
    jira_ratio = round(jira_p95 / baseline["p95_s"], 1)
    return [
        row(
            f"freshness: change → Jira status p95 ({args.rate:g} ev/s, {args.latency_ms:g} ms/call)",
            jira_p95,
            "≤ 2 s",
            jira_p95 <= 2 and not result["jira"]["missing"],
            " s",
            note=f"{jira_ratio}× the emulator's property read round trip p95 ({baseline['p95_s']} s)",
        ),
        row(
            f"freshness: change → Confluence page p95 (interval {args.pages_interval:g} s)",
            page_p95,
            f"≤ {page_target:g} s (interval + 2)",
            page_p95 <= page_target and not result["confluence"]["missing"],
            " s",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the stream runs")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="emulator latency per call")
    parser.add_argument("--pages-interval", type=float, default=5.0, help="OKRSYNC_PAGES_INTERVAL_SECONDS")
    parser.add_argument(
        "--scheduler-interval", type=float, default=5.0, help="okrsync scheduler --interval (default 5)"
    )
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()
    count = int(args.rate * args.seconds)

    with Stack(
        scenario(count), CONFIG, pages_interval=args.pages_interval, scheduler_interval=args.scheduler_interval
    ) as stack:
        run = stream(stack, args, count)
    result = figures(args, count, run)
    report(args, run, result)
    write_result("freshness", result, summary_rows(args, result))


if __name__ == "__main__":
    main()
