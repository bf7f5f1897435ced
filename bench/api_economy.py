"""API economy and bursts: Jira + Confluence calls the service makes per event for a burst of issue
changes spread over 10 KRs (against the baseline of one write per event), Jira reads per event, and how
soon after the burst's last event its final values are written.

    .venv/bin/python bench/api_economy.py [--events 10000] [--rate 167] [--krs 10] [--senders 4]
        [--pages-interval 30] [--web process|thread] [--step-rates 250,333,500,0] [--step-events 2000]

Starts the stack of bench/common.py (the emulator in process, `okrsync serve` as its own processes by
default — as it is deployed —, `okrsync worker` and `okrsync scheduler` processes, embedded Redis)
with a Confluence page for the OKR set. Every event moves a bug from one KR's label to the next one's
(event n: bug n % 500 gets ``hot{(n % 500 + n // 500) % krs}``), so each event changes two KR values;
the edits are made by the benchmark's own, uncounted Jira port, by 4 threads on a fixed schedule at
``--rate`` in all. The service's calls are read from Redis (``okrsync:stats:calls``) from the first
event until the service is quiet (no delivery in flight, no queued event, nothing dirty, no flush
pending), the written status shows the final values, and the page's coalescing interval has passed
twice (so the trailing page write is counted). After the last event the benchmark watches every 20
ms: when every webhook was delivered, when every event was applied, when the final values were
written; those values must equal a full evaluation of the mirror. Then bursts of ``--step-events``
at each of ``--step-rates`` (0: as fast as the senders go), and a backlog of as many events queued
while the worker was stopped (SIGSTOP) and applied once it goes on: the rate at which the worker
saturates. Writes bench/results/api_economy.json.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import USERS, Stack, call_delta, row, split_calls, wait_until, write_result  # noqa: E402
from sync import keys  # noqa: E402
from sync.queue import EventStream  # noqa: E402

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


@dataclass(frozen=True)
class Burst:
    """Events ``first`` … ``first + events - 1`` sent at ``rate`` per second (0: as fast as the senders go)."""

    first: int
    events: int
    rate: float
    senders: int


@dataclass(frozen=True)
class Sent:
    errors: list[str]
    started: float  # time.monotonic() of the first send
    last_sent: float  # when the last edit was answered by the emulator

    @property
    def seconds(self) -> float:
        return self.last_sent - self.started


def send_burst(stack: Stack, krs: int, burst: Burst) -> Sent:
    """Event n sets bug n % BUGS's labels to [label_of(n)]; senders split the events, in order per bug,
    each on a fixed schedule when a rate is given (a late sender catches up instead of slowing the rate)."""
    errors: list[str] = []
    started = time.monotonic()

    def run(offset: int) -> None:
        for number in range(burst.first + offset, burst.first + burst.events, burst.senders):
            if burst.rate > 0:
                time.sleep(max(0.0, started + (number - burst.first) / burst.rate - time.monotonic()))
            try:
                stack.bench_jira.update_fields(f"SHOP-{2 + number % BUGS}", {"labels": [label_of(number, krs)]})
            except Exception as exc:  # counted and reported; the bench goes on
                errors.append(f"{number}: {exc}")

    # bugs are split by sender (BUGS is a multiple of senders), so one bug's edits keep their order
    threads = [threading.Thread(target=run, args=(offset,)) for offset in range(burst.senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Sent(errors, started, time.monotonic())


def quiet(stack: Stack) -> bool:
    """Nothing left to do: deliveries sent, events applied, no KR dirty, no flush queued or running."""
    from sync.dirty import DIRTY, FLUSH_FLAG, IN_FLUSH

    return (
        stack.emulator.dispatcher.idle()
        and not EventStream(stack.connection).has_unapplied()
        and not stack.connection.exists(DIRTY, IN_FLUSH, FLUSH_FLAG)
    )


def status_values(stack: Stack) -> dict[str, Any]:
    value = stack.bench_jira.get_property("SHOP-1", "okrsync.status") or {}
    return {kr.get("kr") or kr.get("id"): kr.get("current") for kr in value.get("key_results", [])}


def written_values(stack: Stack) -> dict[str, Any]:
    """The status property as the emulator holds it (read in its memory: no call, no load on it)."""
    value = stack.emulator.site.issue("SHOP-1").properties.get("okrsync.status") or {}
    return {kr.get("kr") or kr.get("id"): kr.get("current") for kr in value.get("key_results", [])}


def page_version(stack: Stack) -> int:
    page = stack.page(PAGE_TITLE)
    if page is None:
        raise RuntimeError(f"the emulator has no page {PAGE_TITLE!r}")
    return int(page.version)


@dataclass(frozen=True)
class CatchUp:
    """Seconds after the last edit until: every webhook was delivered, every event applied (the stream
    empty), and the written status showed the final values with the service quiet."""

    delivered: float
    applied: float
    final: float


def catch_up(stack: Stack, expected: dict[str, int], last_sent: float, seconds: float = 600) -> CatchUp:
    """Watch the service after the last edit (every 20 ms) until the final values are written."""
    wanted = {kr: float(n) for kr, n in expected.items()}
    stream = EventStream(stack.connection)
    delivered = applied = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = time.monotonic()
        if not delivered and stack.emulator.dispatcher.idle():
            delivered = now
        if delivered and not applied and not stream.has_unapplied():
            applied = now
        if applied and quiet(stack) and written_values(stack) == wanted:
            return CatchUp(delivered - last_sent, applied - last_sent, now - last_sent)
        time.sleep(0.02)
    raise TimeoutError(f"final values {expected} not written within {seconds:g} s; written {written_values(stack)}")


def full_evaluation(stack: Stack) -> dict[str, Any]:
    """Every KR's value by a full evaluation over the mirror in Redis, as the flush would make it from scratch."""
    from okr.evaluate import evaluate_report, evaluation_input
    from sync.config_store import ConfigStore
    from sync.mirror import RedisMirror

    store = ConfigStore(stack.connection)
    config = store.current()
    assert config is not None, "no configuration applied"
    documents = list(RedisMirror(stack.connection).documents())
    given = evaluation_input(datetime.now(UTC), config, documents, custom_fields=store.field_names())
    return {entry.kr.id: entry.kr.current for entry in evaluate_report(config, given).key_results()}


@dataclass(frozen=True)
class Measured:
    """What one burst cost: the service's calls from its first event until the service was quiet again."""

    errors: list[str]
    burst_seconds: float
    caught_up_seconds: float
    after_last: CatchUp
    calls: dict[str, int]
    page_versions_written: int
    stats: dict[str, str]
    full_evaluation: dict[str, Any]
    written: dict[str, Any]


def measure(stack: Stack, krs: int, burst: Burst, pages_interval: float) -> Measured:
    wait_until(lambda: status_values(stack) and stack.page(PAGE_TITLE), 120, 0.2, "first status and page")
    time.sleep(2.0)  # the scheduler's first round (reconcile, recompute) happens before the burst
    before = stack.service_calls()
    pages_before = page_version(stack)
    sent = send_burst(stack, krs, burst)
    expected = expected_values(burst.first + burst.events, krs)
    print(
        f"{burst.events} events sent in {sent.seconds:.1f} s ({burst.events / sent.seconds:.0f}/s, asked "
        f"{burst.rate:g}/s); {len(sent.errors)} failed; waiting for the final values {expected}"
    )
    after_last = catch_up(stack, expected, sent.last_sent)
    written, full = written_values(stack), full_evaluation(stack)
    time.sleep(2 * pages_interval + 2)  # the trailing page write, then one quiet interval
    calls = call_delta(before, stack.service_calls())
    pages_written = page_version(stack) - pages_before
    stats = {k.decode(): v.decode() for k, v in stack.connection.hgetall(keys.STATS).items()}
    caught_up = sent.seconds + after_last.final
    return Measured(sent.errors, sent.seconds, caught_up, after_last, calls, pages_written, stats, full, written)


@dataclass(frozen=True)
class Step:
    """One burst of the saturation steps: the rate asked and sent, and the catch-up after its last event."""

    rate_asked: float
    rate_sent: float
    events: int
    after_last: CatchUp
    errors: int

    def as_json(self) -> dict[str, Any]:
        return {
            "rate_asked": self.rate_asked,
            "rate_sent": round(self.rate_sent, 1),
            "events": self.events,
            "last_event_to_delivered_s": round(self.after_last.delivered, 2),
            "last_event_to_applied_s": round(self.after_last.applied, 2),
            "last_event_to_final_status_s": round(self.after_last.final, 2),
            "send_errors": self.errors,
        }


def saturation_steps(stack: Stack, krs: int, first: int, rates: list[float], events: int, senders: int) -> list[Step]:
    """Bursts of ``events`` at each rate in turn (0: as fast as the senders go), each caught up before the next."""
    steps = []
    for rate in rates:
        sent = send_burst(stack, krs, Burst(first, events, rate, senders))
        first += events
        after = catch_up(stack, expected_values(first, krs), sent.last_sent)
        steps.append(Step(rate, events / sent.seconds, events, after, len(sent.errors)))
        print(f"  step {rate:g}/s asked, {events / sent.seconds:.0f}/s sent: final values {after.final:.2f} s after")
    return steps


@dataclass(frozen=True)
class Backlog:
    """The worker paused while ``events`` were delivered, then let go: how fast it applies a backlog."""

    events: int
    applied_seconds: float  # from its resumption until the stream was empty
    final_seconds: float  # … until the final values were written

    @property
    def rate(self) -> float:
        return self.events / self.applied_seconds


def backlog_rate(stack: Stack, krs: int, first: int, events: int, senders: int) -> Backlog:
    """The rate at which the worker alone applies events: a backlog queued while it was stopped (SIGSTOP)."""
    worker = stack.process("worker")
    assert worker is not None, "the stack has no worker process"
    worker.send_signal(signal.SIGSTOP)
    try:
        send_burst(stack, krs, Burst(first, events, 0, senders))
        wait_until(stack.emulator.dispatcher.idle, 300, 0.05, "every webhook delivered")
    finally:
        resumed = time.monotonic()
        worker.send_signal(signal.SIGCONT)
    after = catch_up(stack, expected_values(first + events, krs), resumed)
    return Backlog(events, after.applied, after.final)


def figures(args: argparse.Namespace, measured: Measured, kinds: dict[str, int], extra: Extra) -> dict[str, Any]:
    events = args.events
    per_event = kinds["total"] / events
    after = measured.after_last
    return {
        "benchmark": "api_economy",
        "events": events,
        "krs": args.krs,
        "senders": args.senders,
        "web": args.web,
        "pages_interval_s": args.pages_interval,
        "send_errors": len(measured.errors),
        "burst_seconds": round(measured.burst_seconds, 2),
        "rate_asked": args.rate,
        "events_per_second_sent": round(events / measured.burst_seconds, 1),
        "first_event_to_final_status_s": round(measured.caught_up_seconds, 2),
        "last_event_to_delivered_s": round(after.delivered, 2),
        "last_event_to_applied_s": round(after.applied, 2),
        "last_event_to_final_status_s": round(after.final, 2),
        "written_values": measured.written,
        "full_evaluation_values": measured.full_evaluation,
        "written_equal_full_evaluation": measured.written == measured.full_evaluation,
        "service_calls": measured.calls,
        "by_kind": kinds,
        "calls_per_event": round(per_event, 5),
        "jira_reads_per_event": round(kinds["jira_reads"] / events, 5),
        "baseline_calls_per_event": 1.0,
        "calls_vs_baseline": round(per_event / 1.0, 5),
        "page_versions_written": measured.page_versions_written,
        "flushes": int(measured.stats.get("flushes", 0)),
        "page_writes": int(measured.stats.get("page_writes", 0)),
        "saturation_steps": [step.as_json() for step in extra.steps],
        **extra.backlog_json(),
    }


@dataclass(frozen=True)
class Extra:
    """What is measured after the main burst: the saturation steps and the worker's rate on a backlog."""

    steps: list[Step]
    backlog: Backlog | None

    def backlog_json(self) -> dict[str, Any]:
        if self.backlog is None:
            return {}
        return {
            "backlog_events": self.backlog.events,
            "backlog_applied_s": round(self.backlog.applied_seconds, 2),
            "backlog_final_status_s": round(self.backlog.final_seconds, 2),
            "worker_backlog_rate_per_s": round(self.backlog.rate, 1),
        }


def report(args: argparse.Namespace, measured: Measured, kinds: dict[str, int], result: dict[str, Any]) -> None:
    per_event = kinds["total"] / args.events
    after = measured.after_last
    print(
        f"{args.events} events over {args.krs} KRs: the service made {kinds['total']} call(s) "
        f"({kinds['jira_writes']} Jira writes, {kinds['jira_reads']} Jira reads, {kinds['confluence']} Confluence) "
        f"= {per_event:.4f} per event; one write per event would be 1.0"
    )
    print(
        f"burst sent in {measured.burst_seconds:.1f} s; after the last event: every webhook delivered "
        f"{after.delivered:.2f} s, every event applied {after.applied:.2f} s, final values written "
        f"{after.final:.2f} s; page versions written {result['page_versions_written']} "
        f"(interval {args.pages_interval:g} s); flushes {result['flushes']}"
    )
    print("written:", measured.written, "full evaluation:", measured.full_evaluation)
    print("calls by operation:", measured.calls)


def summary_rows(
    args: argparse.Namespace, measured: Measured, kinds: dict[str, int], extra: Extra
) -> list[dict[str, Any]]:
    events = args.events
    per_event = kinds["total"] / events
    after = measured.after_last
    sent_rate = events / measured.burst_seconds
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
        row(
            f"burst: final values written after the last event ({events:,} at {args.rate:g}/s; sent at "
            f"{sent_rate:.0f}/s; delivered +{after.delivered:.2f} s, applied +{after.applied:.2f} s)",
            round(after.final, 2),
            "≤ 5 s",
            after.final <= 5.0 and not measured.errors,
            " s",
        ),
        row(
            "burst: the written final values equal a full evaluation of the mirror (and the values sent)",
            "equal" if measured.written == measured.full_evaluation else "differ",
            "equal",
            measured.written == measured.full_evaluation
            and measured.written == {kr: float(n) for kr, n in expected_values(events, args.krs).items()},
        ),
        *saturation_rows(extra),
    ]


def saturation_rows(extra: Extra) -> list[dict[str, Any]]:
    rows = [
        row(
            f"burst: final values written after the last event at {step.rate_asked:g}/s asked "
            f"({step.events:,} events sent at {step.rate_sent:.0f}/s)"
            if step.rate_asked
            else f"burst: final values written after the last event, as fast as the senders go "
            f"({step.events:,} events sent at {step.rate_sent:.0f}/s)",
            round(step.after_last.final, 2),
            "—",
            None,
            " s",
        )
        for step in extra.steps
    ]
    if extra.backlog is not None:
        rows.append(
            row(
                f"burst: the rate the worker saturates at — a backlog of {extra.backlog.events:,} events applied "
                f"(queued while it was stopped; final values {extra.backlog.final_seconds:.2f} s after it resumed)",
                round(extra.backlog.rate),
                "—",
                None,
                " events/s",
            )
        )
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--krs", type=int, default=10)
    parser.add_argument("--rate", type=float, default=167.0, help="events per second (0: as fast as the senders go)")
    parser.add_argument("--senders", type=int, default=4, help="threads sending the edits (BUGS must divide evenly)")
    parser.add_argument(
        "--pages-interval", type=float, default=30.0, help="OKRSYNC_PAGES_INTERVAL_SECONDS (the product default is 30)"
    )
    parser.add_argument(
        "--step-rates", default="250,333,500,0", help="rates of the saturation steps after the burst ('' for none)"
    )
    parser.add_argument(
        "--web",
        choices=("process", "thread"),
        default="process",
        help="the web service as `okrsync serve` (its own processes, as deployed) or on threads of the benchmark",
    )
    parser.add_argument("--step-events", type=int, default=2000, help="events per saturation step and in the backlog")
    args = parser.parse_args()
    assert BUGS % args.senders == 0, "--senders must divide 500"
    return args


def main() -> None:
    args = parse_args()

    rates = [float(rate) for rate in args.step_rates.split(",") if rate.strip()]
    stack = Stack(
        scenario(),
        config(args.krs),
        pages_interval=args.pages_interval,
        scheduler_interval=1.0,
        web_process=args.web == "process",
    )
    with stack:
        measured = measure(stack, args.krs, Burst(0, args.events, args.rate, args.senders), args.pages_interval)
        first = args.events
        steps = saturation_steps(stack, args.krs, first, rates, args.step_events, args.senders)
        first += len(steps) * args.step_events
        backlog = backlog_rate(stack, args.krs, first, args.step_events, args.senders) if rates else None
    extra = Extra(steps, backlog)
    kinds = split_calls(measured.calls)
    result = figures(args, measured, kinds, extra)
    report(args, measured, kinds, result)
    write_result("api_economy", result, summary_rows(args, measured, kinds, extra))


if __name__ == "__main__":
    main()
