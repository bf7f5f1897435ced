"""Ingest benchmark: signed webhook deliveries per second and latency under gunicorn, against the
same server's bare endpoint (GET /healthz) measured in the same run.

    .venv/bin/python bench/ingest.py [--requests 3000] [--concurrency 8] [--workers 2]

Starts `okrsync serve` and `okrsync worker` on a temporary embedded Redis, loads them from this
process over loopback with keep-alive connections, prints the figures and writes them as JSON under
bench/results/.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webhooks.events import sign  # noqa: E402

OKRSYNC = str(Path(sys.executable).parent / "okrsync")
SECRET = "bench-secret"
FIXTURE = ROOT.parent / "shared" / "fixtures" / "jira-webhooks" / "webhook-issue-updated-labels.json"


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


def load(port: int, requests: list[tuple[str, str, bytes, dict[str, str]]], concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [requests[i::concurrency] for i in range(concurrency)]

    def run(chunk: list) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], {}
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
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "statuses": statuses,
    }


def deliveries(count: int) -> list[tuple[str, str, bytes, dict[str, str]]]:
    template = json.loads(FIXTURE.read_text())
    out = []
    for number in range(count):
        template["issue"]["key"] = f"BEN-{number % 500}"
        template["issue"]["id"] = str(100000 + number % 500)
        body = json.dumps(template).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature": sign(body, SECRET.encode()),
                   "X-Atlassian-Webhook-Identifier": f"bench-{number}"}
        out.append(("POST", "/webhooks/jira", body, headers))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="okrsync-bench-")
    env = {**os.environ, "OKRSYNC_WEBHOOK_SECRET": SECRET, "OKRSYNC_DATA_DIR": data, "OKRSYNC_LOG_LEVEL": "WARNING"}
    env.pop("OKRSYNC_REDIS_URL", None)
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    serve = subprocess.Popen([OKRSYNC, "serve", "--port", str(port), "--workers", str(args.workers)], **quiet)
    worker = subprocess.Popen([OKRSYNC, "worker"], **quiet)
    try:
        wait_up(port)
        load(port, [("GET", "/healthz", b"", {})] * 200, args.concurrency)  # warm-up
        bare = load(port, [("GET", "/healthz", b"", {})] * args.requests, args.concurrency)
        ingest = load(port, deliveries(args.requests), args.concurrency)
    finally:
        for process in (worker, serve):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    ratio = round(ingest["per_second"] / bare["per_second"], 3)
    result = {"benchmark": "ingest", "bare_endpoint": bare, "webhook": ingest, "throughput_ratio": ratio,
              "workers": args.workers, "concurrency": args.concurrency}
    print(f"bare endpoint  {bare['per_second']:>8}/s  p50 {bare['p50_ms']} ms  p99 {bare['p99_ms']} ms")
    print(f"signed webhook {ingest['per_second']:>8}/s  p50 {ingest['p50_ms']} ms  p99 {ingest['p99_ms']} ms"
          f"  statuses {ingest['statuses']}")
    print(f"throughput ratio webhook / bare: {ratio}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
