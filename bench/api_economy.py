"""API economy benchmark: Jira + Confluence calls the service makes per event for a burst of issue
changes spread over 10 KRs, and Jira reads per event, against the baseline of one write per event.

    .venv/bin/python bench/api_economy.py [--events 10000] [--krs 10] [--senders 4] [--pages-interval 30]

Starts the stack of bench/common.py (emulator and service in process, `okrsync worker` and
`okrsync scheduler` processes, embedded Redis) with a Confluence page for the OKR set. Every event
moves a bug from one KR's label to the next one's (event n: bug n % 500 gets ``hot{(n % 500 + n // 500)
% krs}``), so each event changes two KR values; the edits are made by the benchmark's own, uncounted
Jira port. The service's calls are read from Redis (``okrsync:stats:calls``) from the first event
until the service is quiet (no delivery in flight, no queued event, nothing dirty, no flush pending),
the written status shows the final values, and the page's coalescing interval has passed twice (so
the trailing page write is counted). Writes bench/results/api_economy.json.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import USERS, Stack, call_delta, row, split_calls, wait_until, write_result  # noqa: E402
from sync import keys  # noqa: E402

BUGS = 500
PAGE_TITLE = "Economy OKRs"


def scenario() -> dict[str, Any]:
    return {
        "users": USERS,
        "projects": [{"key": "SHOP", "name": "Shop"}],
        "issues": [{"key": "SHOP-1", "type": "Epic", "summary": "Quality epic", "labels": ["kr"], "created": "-20d"}],
        "generate": [
            {"project": "SHOP", "count": BUGS, "types": ["Bug"], "statuses": ["To Do"], "days": 20, "summary": "Bug"}
        ],
        "confluence": {"spaces": [{"key": "OKR", "name": "OKRs", "pages": [{"title": "OKRs"}]}]},
    }


def config(krs: int) -> str:
    metrics = "\n".join(
        f"  hot{k}: {{description: bugs labelled hot{k}, source: jira, aggregate: count, window: cycle, "
        f"unit: bugs, jql: project = SHOP AND issuetype = Bug AND labels = hot{k}}}"
        for k in range(krs)
    )
    objectives = []
    for first in range(0, krs, 4):
        lines = [f"      - id: O{first // 4 + 1}", f"        title: Objective {first // 4 + 1}", "        key_results:"]
        for k in range(first, min(krs, first + 4)):
            lines.append(
                f"          - {{id: KR{k}, title: Hot bugs {k} down, owner: alice@example.com, metric: hot{k}, "
                f"baseline: {BUGS}, target: 0, contributors: {{jql: project = SHOP AND issuetype = Epic AND labels = kr}}}}"  # noqa: E501
            )
        objectives.append("\n".join(lines))
    return f"""
cycles: [{{id: c, start: 2020-01-01, end: 2099-12-31}}]
metrics:
{metrics}
okr_sets:
  - id: s
    name: Economy
    cycle: c
    projects: [SHOP]
    confluence: {{space: OKR, title: {PAGE_TITLE}, parent: OKRs}}
    objectives:
{chr(10).join(objectives)}
"""


def label_of(number: int, krs: int) -> str:
    """Event n's label for bug n % BUGS: one KR further on each pass, so every edit moves the bug."""
    return f"hot{(number % BUGS + number // BUGS) % krs}"


def labels_after(events: int, krs: int) -> dict[str, str | None]:
    """Each bug's label once ``events`` have been applied."""
    return {f"SHOP-{2 + number % BUGS}": label_of(number, krs) for number in range(max(0, events - BUGS), events)}


def expected_values(events: int, krs: int) -> dict[str, int]:
    counts = {f"KR{k}": 0 for k in range(krs)}
    for label in labels_after(events, krs).values():
        if label:
            counts["KR" + label.removeprefix("hot")] += 1
    return counts


def send_burst(stack: Stack, events: int, krs: int, senders: int) -> list[str]:
    """Event n sets bug n % BUGS's labels to [hot{n % krs}]; senders split the events, in order per bug."""
    errors: list[str] = []

    def run(offset: int) -> None:
        for number in range(offset, events, senders):
            try:
                stack.bench_jira.update_fields(f"SHOP-{2 + number % BUGS}", {"labels": [label_of(number, krs)]})
            except Exception as exc:  # counted and reported; the bench goes on
                errors.append(f"{number}: {exc}")

    # bugs are split by sender (BUGS is a multiple of senders), so one bug's edits keep their order
    threads = [threading.Thread(target=run, args=(offset,)) for offset in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def quiet(stack: Stack) -> bool:
    """Nothing left to do: deliveries sent, events applied, no KR dirty, no flush queued or running."""
    from sync.dirty import DIRTY, FLUSH_FLAG, IN_FLUSH
    from sync.queue import EventStream

    return (
        stack.emulator.dispatcher.idle()
        and not EventStream(stack.connection).has_unapplied()
        and not stack.connection.exists(DIRTY, IN_FLUSH, FLUSH_FLAG)
    )


def status_values(stack: Stack) -> dict[str, Any]:
    value = stack.bench_jira.get_property("SHOP-1", "okrsync.status") or {}
    return {kr.get("kr") or kr.get("id"): kr.get("current") for kr in value.get("key_results", [])}


def page_version(stack: Stack) -> int:
    page = stack.page(PAGE_TITLE)
    if page is None:
        raise RuntimeError(f"the emulator has no page {PAGE_TITLE!r}")
    return int(page.version)


@dataclass(frozen=True)
class Measured:
    """What one burst cost: the service's calls from its first event until the service was quiet again."""

    errors: list[str]
    burst_seconds: float
    caught_up_seconds: float
    calls: dict[str, int]
    page_versions_written: int
    stats: dict[str, str]


def measure(stack: Stack, events: int, krs: int, senders: int, pages_interval: float) -> Measured:
    wait_until(lambda: status_values(stack) and stack.page(PAGE_TITLE), 120, 0.2, "first status and page")
    time.sleep(2.0)  # the scheduler's first round (reconcile, recompute) happens before the burst
    before = stack.service_calls()
    pages_before = page_version(stack)
    started = time.monotonic()
    errors = send_burst(stack, events, krs, senders)
    burst_seconds = time.monotonic() - started
    expected = expected_values(events, krs)
    print(
        f"{events} events sent in {burst_seconds:.1f} s ({events / burst_seconds:.0f}/s); "
        f"{len(errors)} failed; waiting for the final values {expected}"
    )
    wait_for_values(stack, expected)
    caught_up_seconds = time.monotonic() - started
    time.sleep(2 * pages_interval + 2)  # the trailing page write, then one quiet interval
    calls = call_delta(before, stack.service_calls())
    pages_written = page_version(stack) - pages_before
    stats = {k.decode(): v.decode() for k, v in stack.connection.hgetall(keys.STATS).items()}
    return Measured(errors, burst_seconds, caught_up_seconds, calls, pages_written, stats)


def wait_for_values(stack: Stack, expected: dict[str, int]) -> None:
    """Until the service is quiet and the written status shows the ``expected`` KR values."""
    wanted = {kr: float(n) for kr, n in expected.items()}
    current: dict[str, Any] = {}

    def caught_up() -> bool:
        if not quiet(stack):
            return False
        current.update(status_values(stack))
        return all(current.get(kr) == value for kr, value in wanted.items())

    wait_until(caught_up, 600, 0.5, f"final values {expected}")


def figures(args: argparse.Namespace, measured: Measured, kinds: dict[str, int]) -> dict[str, Any]:
    events = args.events
    per_event = kinds["total"] / events
    return {
        "benchmark": "api_economy",
        "events": events,
        "krs": args.krs,
        "senders": args.senders,
        "pages_interval_s": args.pages_interval,
        "send_errors": len(measured.errors),
        "burst_seconds": round(measured.burst_seconds, 2),
        "events_per_second_sent": round(events / measured.burst_seconds, 1),
        "first_event_to_final_status_s": round(measured.caught_up_seconds, 2),
        "service_calls": measured.calls,
        "by_kind": kinds,
        "calls_per_event": round(per_event, 5),
        "jira_reads_per_event": round(kinds["jira_reads"] / events, 5),
        "baseline_calls_per_event": 1.0,
        "calls_vs_baseline": round(per_event / 1.0, 5),
        "page_versions_written": measured.page_versions_written,
        "flushes": int(measured.stats.get("flushes", 0)),
        "page_writes": int(measured.stats.get("page_writes", 0)),
    }


def report(args: argparse.Namespace, measured: Measured, kinds: dict[str, int], result: dict[str, Any]) -> None:
    per_event = kinds["total"] / args.events
    print(
        f"{args.events} events over {args.krs} KRs: the service made {kinds['total']} call(s) "
        f"({kinds['jira_writes']} Jira writes, {kinds['jira_reads']} Jira reads, {kinds['confluence']} Confluence) "
        f"= {per_event:.4f} per event; one write per event would be 1.0"
    )
    print(
        f"burst sent in {measured.burst_seconds:.1f} s; final values written {measured.caught_up_seconds:.1f} s "
        f"after the first event; page versions written {result['page_versions_written']} "
        f"(interval {args.pages_interval:g} s)"
    )
    print("calls by operation:", measured.calls)


def summary_rows(args: argparse.Namespace, measured: Measured, kinds: dict[str, int]) -> list[dict[str, Any]]:
    events = args.events
    per_event = kinds["total"] / events
    return [
        row(
            f"economy: service calls per event ({events} events, {args.krs} KRs; baseline 1 write/event = 1.0)",
            round(per_event, 4),
            "≤ 0.05",
            per_event <= 0.05 and not measured.errors,
        ),
        row(
            "economy: Jira reads per event (locally evaluated metrics)",
            round(kinds["jira_reads"] / events, 4),
            "0",
            kinds["jira_reads"] == 0,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--krs", type=int, default=10)
    parser.add_argument("--senders", type=int, default=4, help="threads sending the edits (BUGS must divide evenly)")
    parser.add_argument(
        "--pages-interval", type=float, default=30.0, help="OKRSYNC_PAGES_INTERVAL_SECONDS (the product default is 30)"
    )
    args = parser.parse_args()
    assert BUGS % args.senders == 0, "--senders must divide 500"

    with Stack(scenario(), config(args.krs), pages_interval=args.pages_interval, scheduler_interval=1.0) as stack:
        measured = measure(stack, args.events, args.krs, args.senders, args.pages_interval)
    kinds = split_calls(measured.calls)
    result = figures(args, measured, kinds)
    report(args, measured, kinds, result)
    write_result("api_economy", result, summary_rows(args, measured, kinds))


if __name__ == "__main__":
    main()
