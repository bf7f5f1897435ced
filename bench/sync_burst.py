"""Sync benchmark: a burst of N issue changes in the emulator → API calls the service makes per event,
and the time from the last change to the written-back status. The baseline is the same burst with
write-back done naively (one status write per event), counted in the same run.

    .venv/bin/python bench/sync_burst.py [--events 500] [--latency-ms 0]

Starts the product's LocalStack (the emulator and the service in this process, an `okrsync worker`
process, an embedded Redis in a temporary directory); prints the figures and writes
bench/results/sync_burst.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_options, counted, wait_until  # noqa: E402
from connector import JiraPort, JiraSettings  # noqa: E402
from okrsync.local_stack import LocalStack, StackOptions  # noqa: E402
from sync.keys import STATS_CALLS as CALLS  # noqa: E402

BUGS = 40
SCENARIO: dict[str, Any] = {
    "users": [{"name": "admin", "accountId": "5b10a2844c20165700ede21g", "email": "admin@acme.example"}],
    "projects": [{"key": "SHOP", "name": "Shop"}],
    "issues": [
        {"key": "SHOP-1", "type": "Epic", "summary": "Quality epic", "labels": ["kr"], "created": "-20d"},
        *[{"key": f"SHOP-{n}", "type": "Bug", "summary": f"Bug {n}", "created": "-3d"} for n in range(2, 2 + BUGS)],
    ],
}
CONFIG = """
cycles: [{id: c, start: 2020-01-01, end: 2099-12-31}]
metrics:
  escaped: {description: escaped share, source: jira, aggregate: ratio, window: 30d,
            jql: project = SHOP AND issuetype = Bug, numerator_jql: project = SHOP AND issuetype = Bug AND labels = escaped}
okr_sets:
  - id: s
    name: S
    cycle: c
    projects: [SHOP]
    objectives:
      - id: O1
        title: Quality
        key_results:
          - {id: KR1, title: Escaped share down, metric: escaped, baseline: 50, target: 5,
             contributors: {jql: project = SHOP AND issuetype = Epic AND labels = kr}}
          - {id: KR2, title: Later, unmeasured: not yet}
"""  # noqa: E501


def service_calls(connection: Any) -> int:
    return sum(int(v) for v in connection.hgetall(CALLS).values())


def wait_for_value(jira: Any, expected: float, seconds: float = 300) -> float:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = jira.get_property("SHOP-1", "okrsync.status")
        if value and value["key_results"][0]["current"] == expected:
            return time.monotonic()
        time.sleep(0.02)
    raise SystemExit(f"status never reached {expected}")


def stack_options() -> StackOptions:
    """The benchmarks' stack with a worker; the burst's edits are made as the service's own user, so the
    service is not told who it is (it would take them for echoes of its own writes)."""
    return replace(bench_options(SCENARIO, CONFIG), learn_jira_facts=False)


@dataclass(frozen=True)
class Burst:
    started: float
    last_event: float
    written: float
    calls: int


def burst(stack: LocalStack, events: int, latency_ms: float) -> Burst:
    """``events`` edits of the KR's bugs, then one that moves the metric; the service's calls meanwhile."""
    jira = JiraPort(JiraSettings(url=stack.jira_url, user="admin@acme.example", token="x"))  # the bench's own
    wait_for_value(jira, 0.0, seconds=60)
    stack.emulator.faults.configure({"latency_ms": latency_ms})
    calls_before = service_calls(stack.connection)
    started = time.monotonic()
    for number in range(events):  # edits that touch the KR's bugs; the last one moves the metric
        jira.update_fields(f"SHOP-{2 + number % BUGS}", {"summary": f"edit {number}"})
    jira.update_fields("SHOP-2", {"labels": ["escaped"]})
    last_event = time.monotonic()
    written = wait_for_value(jira, 100 / BUGS)
    wait_until(stack.idle, 120, what="the service to finish what is queued (its calls are counted)")
    return Burst(started, last_event, written, service_calls(stack.connection) - calls_before)


def figures(measured: Burst, events: int, latency_ms: float) -> dict[str, Any]:
    calls = measured.calls
    return {
        "benchmark": "sync_burst",
        "events": events,
        "latency_ms": latency_ms,
        "burst_seconds": round(measured.last_event - measured.started, 2),
        "service_calls": calls,
        "calls_per_event": round(calls / events, 4),
        "naive_calls_per_event": 1.0,
        "calls_vs_naive": round(calls / events, 4),
        "last_event_to_write_s": round(measured.written - measured.last_event, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()

    with LocalStack(stack_options()) as stack:
        measured = burst(stack, args.events, args.latency_ms)
        by_operation = counted(stack.connection.hgetall(CALLS))
    result = figures(measured, args.events + 1, args.latency_ms)
    print(
        f"{result['events']} events in {result['burst_seconds']} s → {measured.calls} Jira call(s) by the service = "
        f"{result['calls_per_event']} per event (one write per event would be 1.0)"
    )
    print(f"last event → status written: {result['last_event_to_write_s']} s")
    print("calls by operation:", by_operation)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sync_burst.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
