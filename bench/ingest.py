"""Ingest benchmark: signed webhook deliveries per second and latency under gunicorn, against the
same server's bare endpoint (GET /healthz) measured in the same run, then a fixed-rate phase.

    .venv/bin/python bench/ingest.py [--requests 3000] [--rounds 5] [--concurrency 8] [--workers 2]
                                     [--worker-nice 10] [--rate 200] [--seconds 15] [--senders 8]

Starts `okrsync serve` (2 gunicorn workers) on a temporary embedded Redis, then `okrsync worker
--nice 10` (the setting README recommends when web and worker share a small machine) in the same
session (Linux shares CPU between sessions before it looks at niceness), loads them from this
process over loopback with keep-alive connections, prints the figures and writes them as JSON
under bench/results/ingest.json.

1. Closed loop (as fast as it goes), in rounds. A round measures the bare endpoint, the signed
   webhook with the worker draining what it accepts (at its lower priority), and the signed webhook
   with the worker paused (SIGSTOP on its process group, so the web tier alone; it drains after);
   odd rounds run the three in reverse order, and every phase starts with the queue empty. Each
   webhook figure is divided by its own round's bare figure; the verdict is the median round's
   ratio with the worker draining. The CPU each process used per request during a phase is read
   from /proc.
2. Open loop at a fixed rate (default 200 deliveries/s for 15 s), worker draining: several sender
   threads each send their share on a fixed schedule, and a delivery's latency runs from its
   *scheduled* send time, so a stalled server shows as queueing latency instead of silently slowing
   the sender (no coordinated omission). The bare endpoint is paced the same way as the baseline.

At the end every delivery answered 202 must have been applied by the worker (nothing lost).

Latest run (2 cores shared with other work, Python 3.11, the command above with its defaults, in
`make bench`): bare endpoint 2,928/s (p50 2.2 ms, p99 8.27 ms); signed webhook with the worker
draining 1,352/s (p50 4.16 ms, p99 19.07 ms): ratio 0.462, rounds 0.45-0.91, FAIL against >= 0.60;
worker paused 0.504 (1,732/s vs 3,437/s). At 200 deliveries/s: p99 5.97 ms (bare endpoint 2.63 ms),
PASS. Both closed loops keep the two cores busy, so the ratio follows the CPU per request: about
600 us for a bare request (gunicorn ~460, load generator ~140), 1,400 us for a delivery (gunicorn
~840, Redis ~140, worker ~200, load generator ~230).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import percentile, row, stop_process, write_result  # noqa: E402
from webhooks.events import sign  # noqa: E402

OKRSYNC = str(Path(sys.executable).parent / "okrsync")
SECRET = "bench-secret"
FIXTURE = ROOT / "tests" / "fixtures" / "jira-webhooks" / "webhook-issue-updated-labels.json"
TARGET_RATIO = 0.60

Request = tuple[str, str, bytes, dict[str, str]]
BARE: Request = ("GET", "/healthz", b"", {})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_up(port: int) -> None:
    for _ in range(200):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def load(port: int, requests: list[Request], concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [requests[i::concurrency] for i in range(concurrency)]

    def run(chunk: list[Request]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        codes: dict[int, int] = {}
        for method, path, body, headers in chunk:
            started = time.perf_counter()
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            answer.read()
            mine.append(time.perf_counter() - started)
            codes[answer.status] = codes.get(answer.status, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(requests),
        "per_second": round(len(requests) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "statuses": statuses,
    }


@dataclass
class PacedTally:
    """What the senders of an open loop measured, gathered under one lock."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    behind: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, mine: list[float], codes: dict[int, int], lag: float) -> None:
        with self.lock:
            self.latencies.extend(mine)
            self.behind.append(lag)
            for code, n in codes.items():
                self.statuses[code] = self.statuses.get(code, 0) + n


def paced(port: int, requests: list[Request], rate: float, senders: int) -> dict:
    """Open loop: request n is due at start + n / rate; its latency is measured from that instant."""
    tally = PacedTally()
    start = time.perf_counter() + 0.2
    threads = [
        threading.Thread(target=paced_sender, args=(port, requests, offset, senders, start, rate, tally))
        for offset in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {
        "requests": len(requests),
        "target_rate": rate,
        "achieved_per_second": round(len(requests) / elapsed, 1),
        "p50_ms": round(percentile(tally.latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(tally.latencies, 99) * 1000, 2),
        "max_ms": round(max(tally.latencies) * 1000, 2),
        "max_sender_lag_ms": round(max(tally.behind) * 1000, 2),
        "statuses": tally.statuses,
    }


def paced_sender(
    port: int, requests: list[Request], offset: int, senders: int, start: float, rate: float, tally: PacedTally
) -> None:
    """One sender's share of an open loop: every ``senders``-th request from ``offset``, each on its schedule."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    mine: list[float] = []
    codes: dict[int, int] = {}
    lag = 0.0
    for number in range(offset, len(requests), senders):
        due = start + number / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        else:
            lag = max(lag, -pause)
        method, path, body, headers = requests[number]
        connection.request(method, path, body=body or None, headers=headers)
        answer = connection.getresponse()
        answer.read()
        mine.append(time.perf_counter() - due)
        codes[answer.status] = codes.get(answer.status, 0) + 1
    tally.add(mine, codes, lag)


def deliveries(count: int, first: int = 0) -> list[Request]:
    template = json.loads(FIXTURE.read_text())
    out = []
    for number in range(first, first + count):
        template["issue"]["key"] = f"BEN-{number % 500}"
        template["issue"]["id"] = str(100000 + number % 500)
        template["timestamp"] = 1_700_000_000_000 + number  # as Jira's: no two events share a body
        body = json.dumps(template).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature": sign(body, SECRET.encode()),
            "X-Atlassian-Webhook-Identifier": f"bench-{number}",
        }
        out.append(("POST", "/webhooks/jira", body, headers))
    return out


# ------------------------------------------------------------------------------ the service's state


def metric_values(port: int) -> dict[str, float]:
    """The unlabelled samples of GET /metrics, by name."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if line and not line.startswith("#") and "{" not in name:
            values[name] = float(value)
    return values


def wait_drained(port: int, seconds: float = 300) -> dict[str, float]:
    """Until the worker has applied (or dead-lettered) every delivery queued so far, nothing waiting
    or pending; the counters as they are when that is reached or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        values = metric_values(port)
        done = values.get("okrsync_events_applied_total", 0) + values.get("okrsync_events_dead_lettered_total", 0)
        idle = values.get("okrsync_queue_waiting", 1) == 0 and values.get("okrsync_queue_pending", 1) == 0
        if (idle and done >= values.get("okrsync_events_queued_total", 0)) or time.monotonic() > deadline:
            return values
        time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children it has reaped (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in Path("/proc/stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Service:
    """`okrsync serve` and `okrsync worker` on an embedded Redis in a temporary directory."""

    def __init__(self, workers: int, worker_nice: int) -> None:
        self.data = tempfile.mkdtemp(prefix="okrsync-bench-")
        self.env = {
            **os.environ,
            "OKRSYNC_WEBHOOK_SECRET": SECRET,
            "OKRSYNC_DATA_DIR": self.data,
            "OKRSYNC_LOG_LEVEL": "WARNING",
        }
        self.env.pop("OKRSYNC_REDIS_URL", None)
        self.env.pop("OKRSYNC_WORKER_NICE", None)
        self.port = free_port()
        self.workers, self.worker_nice = workers, worker_nice
        self.serve: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.paused = False

    def start(self) -> None:
        quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": self.env}
        self.serve = subprocess.Popen(
            [OKRSYNC, "serve", "--port", str(self.port), "--workers", str(self.workers)], **quiet
        )
        wait_up(self.port)  # the server starts the embedded Redis, so Redis keeps the normal priority
        # A process group of its own, so that pausing it pauses any job process it forks as well, but
        # the session of the server: Linux shares CPU between sessions (autogroups) before niceness.
        self.worker = subprocess.Popen([OKRSYNC, "worker", "--nice", str(self.worker_nice)], process_group=0, **quiet)

    def started(self, process: subprocess.Popen[bytes] | None) -> subprocess.Popen[bytes]:
        if process is None:
            raise RuntimeError("the service is not started (Service.start)")
        return process

    def pause_worker(self) -> None:
        os.killpg(self.started(self.worker).pid, signal.SIGSTOP)
        self.paused = True

    def resume_worker(self) -> None:
        if self.paused:
            os.killpg(self.started(self.worker).pid, signal.SIGCONT)
            self.paused = False

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far: gunicorn (arbiter and workers), the okrsync worker, Redis, this load generator."""
        serve, worker = self.started(self.serve).pid, self.started(self.worker).pid
        redis_pid = int(Path(self.data, "redis.pid").read_text().strip())
        return {
            "web": sum(cpu_seconds(p) for p in [serve, *children(serve)]),
            "worker": sum(cpu_seconds(p) for p in [worker, *children(worker)]),
            "redis": cpu_seconds(redis_pid),
            "load_generator": time.process_time(),
            "machine": machine_busy_seconds(),
            "wall": time.monotonic(),
        }

    def stop(self) -> None:
        if self.worker is not None:
            self.resume_worker()
            stop_process(self.worker)
        if self.serve is not None:
            stop_process(self.serve)
        shutil.rmtree(self.data, ignore_errors=True)


# ------------------------------------------------------------------------------ the closed loop


def measured(service: Service, run: Callable[[], dict], count: int) -> dict:
    """A phase started on an empty queue, with the CPU each process spent on it per request and the
    cores the rest of the (shared) machine kept busy meanwhile."""
    wait_drained(service.port)
    before = service.cpu()
    result = run()
    after = service.cpu()
    spent = {k: after[k] - before[k] for k in before}
    ours = {k: v for k, v in spent.items() if k not in ("machine", "wall")}
    result["cpu_us_per_request"] = {k: round(v / count * 1e6) for k, v in ours.items()}
    result["other_processes_cores"] = round(max(0.0, spent["machine"] - sum(ours.values())) / spent["wall"], 2)
    return result


def closed_round(service: Service, number: int, args: argparse.Namespace) -> dict[str, dict]:
    """Bare endpoint, webhook with the worker draining, webhook with the worker paused (reversed in odd rounds)."""
    count, concurrency = args.requests, args.concurrency
    first = 2 * number * count
    # made before any phase, so that signing them is not counted as the load generator's CPU per request
    signed, signed_paused = deliveries(count, first=first), deliveries(count, first=first + count)

    def bare() -> dict:
        return load(service.port, [BARE] * count, concurrency)

    def webhook() -> dict:
        return load(service.port, signed, concurrency)

    def webhook_paused() -> dict:
        service.pause_worker()
        try:
            return load(service.port, signed_paused, concurrency)
        finally:
            service.resume_worker()

    phases = [("bare", bare), ("webhook", webhook), ("worker_paused", webhook_paused)]
    if number % 2:
        phases.reverse()  # a neighbour's load that grows or fades over a round hits every phase alike
    return {name: measured(service, run, count) for name, run in phases}


def median_round(rounds: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return sorted(rounds, key=lambda r: r[key])[len(rounds) // 2]


def summarise_rounds(rounds: list[dict[str, dict]]) -> list[dict[str, Any]]:
    return [
        {
            **r,
            "ratio": round(r["webhook"]["per_second"] / r["bare"]["per_second"], 3),
            "paused_ratio": round(r["worker_paused"]["per_second"] / r["bare"]["per_second"], 3),
        }
        for r in rounds
    ]


def median_cpu(rounds: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per phase and process, the median over the rounds of the CPU spent per request: steadier than
    the throughput, which the machine's other work moves from one round to the next."""
    phases = ("bare", "webhook", "worker_paused")
    processes = rounds[0]["bare"]["cpu_us_per_request"].keys()
    return {
        phase: {name: statistics.median(r[phase]["cpu_us_per_request"][name] for r in rounds) for name in processes}
        for phase in phases
    }


def phase_line(name: str, phase: dict) -> str:
    return (
        f"{name:<28}{phase['per_second']:>8}/s  p50 {phase['p50_ms']} ms  p99 {phase['p99_ms']} ms  "
        f"CPU µs/request {phase['cpu_us_per_request']}  other processes {phase['other_processes_cores']} cores  "
        f"statuses {phase['statuses']}"
    )


# ------------------------------------------------------------------------------ main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per closed-loop phase")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rounds", type=int, default=5, help="closed-loop rounds; the median round counts")
    parser.add_argument("--worker-nice", type=int, default=10, help="niceness of `okrsync worker` (--nice)")
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries/s of the fixed-rate phase")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the fixed-rate phase")
    parser.add_argument("--senders", type=int, default=8, help="sender threads of the fixed-rate phase")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    paced_count = int(args.rate * args.seconds)
    service = Service(args.workers, args.worker_nice)
    try:
        service.start()
        load(service.port, [BARE] * 200, args.concurrency)  # warm-up of both paths
        load(service.port, deliveries(200, first=10**7), args.concurrency)
        rounds = []
        for number in range(args.rounds):
            rounds.append(closed_round(service, number, args))
            print(
                f"round {number + 1}: "
                + ", ".join(
                    f"{k} {v['per_second']}/s (others {v['other_processes_cores']} cores)"
                    for k, v in rounds[-1].items()
                ),
                flush=True,
            )
        paced_bare = measured(
            service, lambda: paced(service.port, [BARE] * paced_count, args.rate, args.senders), paced_count
        )
        paced_deliveries = deliveries(paced_count, first=10**8)
        paced_ingest = measured(
            service, lambda: paced(service.port, paced_deliveries, args.rate, args.senders), paced_count
        )
        final = wait_drained(service.port)
    finally:
        service.stop()
    report(args, summarise_rounds(rounds), paced_bare, paced_ingest, final, paced_count)


@dataclass(frozen=True)
class Deliveries:
    """Every delivery answered 202, queued and applied (or dead-lettered): nothing lost."""

    accepted_total: int
    all_202: bool
    queued: float
    applied_or_dead: float

    @property
    def nothing_lost(self) -> bool:
        return self.all_202 and self.queued == self.accepted_total and self.applied_or_dead == self.queued

    def as_json(self) -> dict[str, Any]:
        return {
            "answered_202": self.accepted_total if self.all_202 else None,
            "queued": self.queued,
            "applied_or_dead": self.applied_or_dead,
            "nothing_lost": self.nothing_lost,
        }


def delivery_check(
    args: argparse.Namespace,
    rounds: list[dict[str, Any]],
    paced_ingest: dict,
    final: dict[str, float],
    paced_count: int,
) -> Deliveries:
    accepted_total = 200 + 2 * args.requests * args.rounds + paced_count
    all_202 = paced_ingest["statuses"].get(202, 0) == paced_count and all(
        r[p]["statuses"].get(202, 0) == args.requests for r in rounds for p in ("webhook", "worker_paused")
    )
    return Deliveries(
        accepted_total,
        all_202,
        final.get("okrsync_events_queued_total", 0),
        final.get("okrsync_events_applied_total", 0) + final.get("okrsync_events_dead_lettered_total", 0),
    )


def report(
    args: argparse.Namespace,
    rounds: list[dict[str, Any]],
    paced_bare: dict,
    paced_ingest: dict,
    final: dict[str, float],
    paced_count: int,
) -> None:
    checked = delivery_check(args, rounds, paced_ingest, final, paced_count)
    result = ingest_result(args, rounds, paced_bare, paced_ingest, checked)
    print_report(args, result)
    write_result("ingest", result, summary_rows(args, result, checked.nothing_lost))


def ingest_result(
    args: argparse.Namespace, rounds: list[dict[str, Any]], paced_bare: dict, paced_ingest: dict, checked: Deliveries
) -> dict[str, Any]:
    chosen = median_round(rounds, "ratio")
    alone = median_round(rounds, "paused_ratio")
    return {
        "benchmark": "ingest",
        "bare_endpoint": chosen["bare"],
        "webhook": chosen["webhook"],
        "throughput_ratio": chosen["ratio"],
        "round_ratios": [r["ratio"] for r in rounds],
        "worker_paused": {
            "throughput_ratio": alone["paused_ratio"],
            "webhook": alone["worker_paused"],
            "bare_endpoint": alone["bare"],
            "round_ratios": [r["paused_ratio"] for r in rounds],
        },
        "rounds": rounds,
        "cpu_us_per_request_median": median_cpu(rounds),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "worker_nice": args.worker_nice,
        "deliveries": checked.as_json(),
        "fixed_rate": {
            "rate": args.rate,
            "seconds": args.seconds,
            "senders": args.senders,
            "bare_endpoint": paced_bare,
            "webhook": paced_ingest,
            "p99_ratio_to_bare": round(paced_ingest["p99_ms"] / paced_bare["p99_ms"], 2),
        },
    }


def print_report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    alone, fixed = result["worker_paused"], result["fixed_rate"]
    print(phase_line("bare endpoint", result["bare_endpoint"]))
    print(phase_line(f"webhook, worker --nice {args.worker_nice}", result["webhook"]))
    print(phase_line("webhook, worker paused", alone["webhook"]))
    print(
        f"throughput ratio webhook / bare: {result['throughput_ratio']} (median of rounds {result['round_ratios']}); "
        f"worker paused: {alone['throughput_ratio']} (rounds {alone['round_ratios']})"
    )
    for name, phase in (("bare endpoint ", fixed["bare_endpoint"]), ("signed webhook", fixed["webhook"])):
        print(
            f"{name} at {args.rate:g}/s for {args.seconds:g} s (open loop, {args.senders} senders): "
            f"achieved {phase['achieved_per_second']}/s  p50 {phase['p50_ms']} ms  p99 {phase['p99_ms']} ms  "
            f"max {phase['max_ms']} ms  statuses {phase['statuses']}"
        )
    print(f"CPU µs per request, median of the rounds: {result['cpu_us_per_request_median']}")
    print(f"deliveries: {result['deliveries']}")


def cpu_note(cpu: dict[str, dict[str, float]]) -> str:
    hook, bare = cpu["webhook"], cpu["bare"]
    return (
        f"CPU per request, median of the rounds: web {hook['web']:.0f} µs vs {bare['web']:.0f} µs, "
        f"worker {hook['worker']:.0f} µs, Redis {hook['redis']:.0f} µs, "
        f"load generator {hook['load_generator']:.0f} µs vs {bare['load_generator']:.0f} µs"
    )


def summary_rows(args: argparse.Namespace, result: dict[str, Any], nothing_lost: bool) -> list[dict[str, Any]]:
    ratio, bare, ingest = result["throughput_ratio"], result["bare_endpoint"], result["webhook"]
    alone, fixed = result["worker_paused"], result["fixed_rate"]
    paced_bare, paced_ingest = fixed["bare_endpoint"], fixed["webhook"]
    return [
        row(
            f"ingest: webhook throughput / bare endpoint (gunicorn, closed loop, worker --nice {args.worker_nice} "
            f"draining, median of {args.rounds} rounds)",
            ratio,
            f"≥ {TARGET_RATIO:.2f}",
            ratio >= TARGET_RATIO and nothing_lost,
            note=f"{ingest['per_second']}/s vs {bare['per_second']}/s; {cpu_note(result['cpu_us_per_request_median'])}",
        ),
        row(
            "ingest: webhook throughput / bare endpoint, worker paused (the web tier alone)",
            alone["throughput_ratio"],
            "—",
            None,
            note=f"{alone['webhook']['per_second']}/s vs {alone['bare_endpoint']['per_second']}/s",
        ),
        row(
            f"ingest: p99 latency at {args.rate:g} deliveries/s (open loop)",
            paced_ingest["p99_ms"],
            "≤ 50 ms",
            paced_ingest["p99_ms"] <= 50 and nothing_lost,
            " ms",
            note=f"bare endpoint p99 {paced_bare['p99_ms']} ms at the same rate",
        ),
    ]


if __name__ == "__main__":
    main()
