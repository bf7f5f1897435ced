"""The soak: Jira changes at 5 events/s (40 s short, 10 minutes with --soak) through the whole product
as deployed — `okrsync serve` (gunicorn), `okrsync worker`, `okrsync scheduler` on their own embedded
Redis, the emulator as Jira. Sampled every few seconds: VmRSS of every process and the size of every
okrsync Redis key. Verified: memory flat after warm-up, Redis keys bounded (with the by-design growth
of the 25-hour de-duplication keys and RQ's TTL-bounded job hashes accounted for), status right."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from connector import CallStats, JiraPort, JiraSettings, RetryPolicy
from okrsync import redis_store
from okrsync.local_stack import LocalStack
from sync.history import READINGS_KEPT
from sync.keys import KR_HISTORY_PREFIX
from sync.queue import DEAD_LETTERS, SEEN_PREFIX, STATS, STREAM
from tests.reliability.conftest import Profile, children, rss_kib
from tests.support.stack import deployed_options
from tests.support.waiting import wait_until
from tests.sync.conftest import CONFIG, SCENARIO, status_of

pytestmark = pytest.mark.reliability

WARM_UP = 0.25  # share of the run before memory is judged
RSS_GROWTH_CAP_MIB = {"short": 16, "long": 24}  # per process, from the first sample after warm-up to the last
DEDUPE_SECONDS = 90_000  # OKRSYNC_DEDUPE_SECONDS default: okrsync:seen:* live 25 h by design
STATE_KEYS_CAP = 80  # every other okrsync key: mirror (13 issues), config, stats, written, dirty, pages, …
COLLECTION_CAP = 200  # items in any okrsync list/stream/hash/set/zset (a drain batch is 200)
# but a KR's recorded readings: one per change of its value, bounded by count (the newest READINGS_KEPT) and age
RQ_JOB_TTL = 300 + 60  # result_ttl of drain/flush jobs, plus a minute of slack for maintenance
BUGS = [i["key"] for i in SCENARIO["issues"] if i["type"] == "Bug"]


@pytest.fixture()
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="okrs-"))
    yield path
    client = redis_store._clients.pop((path.resolve(), os.getpid()), None)
    if client is not None:
        redis_store.stop_embedded_redis(client)
    pidfile = path / "redis.pid"
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
    shutil.rmtree(path, ignore_errors=True)


def _sizes(sample: dict[str, Any], history: bool) -> list[int]:
    """The sizes of the sample's collections: a KR's recorded readings, or every other one."""
    return [size for key, size in sample["state"].items() if key.startswith(KR_HISTORY_PREFIX) == history]


def key_census(client: redis.Redis) -> dict[str, Any]:
    seen = rq_jobs = rq_other = 0
    state: dict[str, int] = {}
    seen_ttl_bad = 0
    for raw in client.scan_iter(count=1000):
        key = raw.decode()
        if key.startswith(SEEN_PREFIX):
            seen += 1
            if seen % 50 == 0 and not 0 < client.ttl(key) <= DEDUPE_SECONDS:
                seen_ttl_bad += 1
        elif key.startswith("rq:job:"):
            rq_jobs += 1
        elif key.startswith("rq:"):
            rq_other += 1
        else:
            kind = client.type(key).decode()
            size = {
                "list": client.llen,
                "stream": client.xlen,
                "hash": client.hlen,
                "set": client.scard,
                "zset": client.zcard,
            }.get(kind, lambda _: 1)(key)
            state[key] = int(size)
    return {
        "dbsize": client.dbsize(),
        "seen": seen,
        "seen_ttl_bad": seen_ttl_bad,
        "rq_jobs": rq_jobs,
        "rq_other": rq_other,
        "state": state,
    }


def test_soak_at_five_events_per_second_keeps_memory_and_redis_bounded(
    data_dir: Path, profile: Profile, tmp_path: Path
) -> None:
    stack = LocalStack(deployed_options(SCENARIO, CONFIG, data_dir, tmp_path / "processes.log"))
    stack.start()
    client = stack.connection
    web, worker = stack.process("web"), stack.process("worker")
    assert web is not None and worker is not None
    jira = JiraPort(JiraSettings(url=stack.jira_url, user="admin@acme.example", token="x"), RetryPolicy(), CallStats())
    try:
        wait_until(lambda: _ready(f"{stack.url}/readyz"), 30, "okrsync serve")
        gunicorn_workers = wait_until(lambda: len(children(web.pid)) >= 2 and children(web.pid), 30, "gunicorn workers")
        watched = {
            "worker": worker.pid,
            **{f"web-{i}": pid for i, pid in enumerate(gunicorn_workers)},
            "redis": int((data_dir / "redis.pid").read_text()),
        }
        samples: list[dict[str, Any]] = []
        interval, events, started = 1 / profile.soak_rate, 0, time.monotonic()
        next_sample = started
        while (elapsed := time.monotonic() - started) < profile.soak_seconds:
            key = BUGS[events % len(BUGS)]
            escaped = (events // len(BUGS)) % 3 == 0 and events % len(BUGS) < 3
            jira.update_fields(key, {"labels": ["escaped"] if escaped else [], "summary": f"{key} soak {events}"})
            events += 1
            if time.monotonic() >= next_sample:
                samples.append({"t": elapsed, "rss": {n: rss_kib(p) for n, p in watched.items()}, **key_census(client)})
                next_sample += max(2.0, profile.soak_seconds / 40)
            time.sleep(max(0.0, started + events * interval - time.monotonic()))  # the pace: 5 events/s
        rate = events / (time.monotonic() - started)
        wait_until(stack.idle, 60, "the service to catch up")
        samples.append(
            {"t": time.monotonic() - started, "rss": {n: rss_kib(p) for n, p in watched.items()}, **key_census(client)}
        )
        print(
            f"injected: {events} Jira changes in {profile.soak_seconds:g} s ({rate:.2f} events/s), "
            f"{len(samples)} samples of VmRSS and Redis keys"
        )

        judged = [s for s in samples if s["t"] >= WARM_UP * profile.soak_seconds]
        cap = RSS_GROWTH_CAP_MIB[profile.name]
        growth = {}
        for name in watched:
            series = [s["rss"][name] for s in judged if s["rss"][name]]
            growth[name] = (series[0] / 1024, max(series) / 1024, (max(series) - series[0]) / 1024)
        print(
            "memory after warm-up (MiB: first, max, growth): "
            + ", ".join(f"{n} {a:.0f}/{b:.0f}/{g:+.1f}" for n, (a, b, g) in growth.items())
        )
        last = samples[-1]
        # every delivery ever stored left two seen keys: its delivery id and the digest of its body
        queued = int(client.hget(STATS, "queued") or 0)
        biggest = sorted(last["state"].items(), key=lambda kv: -kv[1])[:6]
        state_max = max(len(s["state"]) for s in samples)
        collection_max = max(max(_sizes(s, history=False), default=0) for s in samples)
        history_max = max(max(_sizes(s, history=True), default=0) for s in samples)
        print(
            f"redis: DBSIZE {samples[0]['dbsize']} → {last['dbsize']}; okrsync:seen:* {last['seen']} "
            f"(= 2 × {queued} deliveries stored, incl. {queued - events} echoes of the service's own writes; by design for {DEDUPE_SECONDS} s); rq:job:* max "  # noqa: E501
            f"{max(s['rq_jobs'] for s in samples)} (result_ttl-bounded); other okrsync keys max {state_max} "
            f"(cap {STATE_KEYS_CAP}), largest collection max {collection_max} (cap {COLLECTION_CAP}), "
            f"a KR's readings max {history_max} (cap {READINGS_KEPT}): {biggest}"
        )
        status = status_of(jira, "SHOP-1")
        bugs = list(jira.search("project = SHOP AND issuetype = Bug", fields=["labels"]))
        expected = round(100 * sum("escaped" in b["fields"]["labels"] for b in bugs) / len(bugs), 4)
        print(
            f"verified: status {status['current']} = Jira's {expected}; stream {client.xlen(STREAM)}, dead letters "
            f"{client.xlen(DEAD_LETTERS)}; processes alive: {worker.poll() is None and web.poll() is None}"
        )

        for name, (_, _, grown) in growth.items():
            assert grown <= cap, f"{name} grew {grown:.1f} MiB after warm-up (cap {cap} MiB)"
        assert last["seen"] == 2 * queued and last["seen_ttl_bad"] == 0
        assert state_max <= STATE_KEYS_CAP and collection_max <= COLLECTION_CAP and history_max <= READINGS_KEPT
        assert max(s["rq_jobs"] for s in samples) <= 2 * profile.soak_rate * RQ_JOB_TTL
        assert last["dbsize"] <= last["seen"] + last["rq_jobs"] + last["rq_other"] + STATE_KEYS_CAP
        assert client.xlen(STREAM) == 0 and client.xlen(DEAD_LETTERS) == 0
        assert status["current"] == expected
        assert worker.poll() is None and web.poll() is None
    finally:
        stack.stop()


def _ready(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
