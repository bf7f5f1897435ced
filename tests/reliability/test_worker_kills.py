"""SIGKILL of the worker at random points (seeded delays; every other kill then waits, up to 3 s, for
the worker to be in a flush or a drain) during a stream of changes that flip a KR's health (check-in
comments) and make problem clusters AP candidates (action points opened in Jira). The worker is
restarted each time; a scheduler process sweeps as in production. After the stream the service
converges: mirror equal to Jira, status right, check-in comments form one unbroken chain (no comment
posted twice) and every candidate cluster has exactly one action point; at least one kill found the
worker at work."""

from __future__ import annotations

import random
import re
import threading
import time
from typing import Any

import pytest
import redis
from rq import Worker

from connector.jira import property_value
from publish.jira import CHECKIN_PROPERTY
from sync.documents import issue_document
from sync.queue import CLAIM_IDLE_MS
from tests.conftest import QUEUE
from tests.reliability.conftest import Processes, Profile, quiet
from tests.support.waiting import wait_until
from tests.sync.conftest import CONFIG, SCENARIO, start_worker, status_of, stop_worker

pytestmark = pytest.mark.reliability

BUGS = [issue["key"] for issue in SCENARIO["issues"] if issue["type"] == "Bug"]
THEMES = ("deploy", "search")
PROGRAM = """
problem_programs:
  - id: platform
    name: Platform problem reverse-drive
    window: 56d
    sources:
      - {id: retro, name: Retrospective findings, jql: project = PLAT AND labels = retro-finding}
    classify:
      labels: {system: problem-system, mechanism: problem-mechanism, people: problem-people}
    theme: component
    threshold: 9
    action_points: {mode: create, project: PLAT, issuetype: Task, label: action-point, due_in: 14d}
"""
CHANGE_GAP_SECONDS = (0.1, 0.3)  # between two changes of the stream
KILL_AFTER_SECONDS = (0.3, 2.5)  # from one (re)start of the worker to its kill
BUSY_WITHIN_SECONDS = 3.0  # how long every other kill waits for the worker to be at work
CHECKIN = re.compile(r"OKR check-in — \S+ .*?: (.+?) → (.+?)\.")


@pytest.fixture()
def scenario() -> dict[str, Any]:
    return {
        **SCENARIO,
        "projects": [*SCENARIO["projects"], {"key": "PLAT", "name": "Platform", "components": list(THEMES)}],
    }


@pytest.fixture()
def config_text() -> str:
    return CONFIG + PROGRAM


def _stream(jira: Any, rng: random.Random, changes: int, made: list[str], stop: threading.Event) -> None:
    labelled: dict[str, bool] = {}
    for number in range(changes):
        if stop.is_set():
            return
        if number % 7 == 3 and len(made) < 6:  # three High problems per theme: 3 × 4 = 12 ≥ 9, a candidate
            theme = THEMES[len(made) % 2]
            created = jira.create_issue(
                {
                    "project": {"key": "PLAT"},
                    "issuetype": {"name": "Task"},
                    "summary": f"{theme} failed again ({number})",
                    "priority": {"name": "High"},
                    "labels": ["retro-finding", "problem-system"],
                    "components": [{"name": theme}],
                }
            )
            made.append(str(created["key"]))
            continue
        escaped = 1 if number % 4 < 2 else rng.randint(2, 5)  # 10% (done) or 20–50% (off track)
        for index, key in enumerate(BUGS):
            wanted = index < escaped
            if labelled.get(key) != wanted:
                jira.update_fields(key, {"labels": ["escaped"] if wanted else []})
                labelled[key] = wanted
        time.sleep(rng.uniform(*CHANGE_GAP_SECONDS))  # the behaviour under test: changes keep coming, paced


def _checkins(jira: Any) -> list[tuple[str, str]]:
    """The health changes the check-in comments on OKR-1 report, oldest first, read from their check-in
    property (its marker and facts); each one's text says the same change and carries no marker."""
    chain = []
    for comment in jira.comments("OKR-1"):
        checkin = property_value(comment, CHECKIN_PROPERTY)
        if checkin is None:
            continue
        change = (_health_word(checkin["health"]["from"]), _health_word(checkin["health"]["to"]))
        said = CHECKIN.search(str(comment["body"]))
        assert said and said.groups() == change, (comment["body"], checkin)
        assert "okrsync-" not in str(comment["body"]) and checkin["marker"].startswith("okrsync-checkin:")
        chain.append(change)
    return chain


def test_worker_killed_at_random_points_converges_without_loss_or_duplicates(
    stack, connection: redis.Redis, processes: Processes, profile: Profile, rng: random.Random
) -> None:
    emulator, jira, runtime = stack["emulator"], stack["jira"], stack["runtime"]
    processes.start(
        ["scheduler", "--interval", "1", "--recompute-every", "3600", "--reconcile-every", "3600"], stack["env"]
    )
    emulator.faults.configure({"latency_ms": 150})  # a slower Jira: flushes last long enough to be hit
    worker = start_worker(stack)
    made: list[str] = []
    stop = threading.Event()
    producer = threading.Thread(target=_stream, args=(jira, rng, profile.kill_changes, made, stop), daemon=True)
    producer.start()
    delays: list[float] = []
    hit: list[str] = []
    try:
        for number in range(profile.kills):
            delay = rng.uniform(*KILL_AFTER_SECONDS)
            time.sleep(delay)  # the behaviour under test: the worker killed at a random (seeded) point
            state = _worker_state(connection, worker.pid)
            if number % 2:  # every other kill waits (up to 3 s) for the worker to be at work
                state = _first_busy(connection, worker.pid, state, BUSY_WITHIN_SECONDS)
            worker.kill()  # SIGKILL
            worker.wait(timeout=10)
            delays.append(round(delay, 2))
            hit.append(state)
            worker = start_worker(stack)
        producer.join(timeout=600)
        assert not producer.is_alive()
        emulator.faults.configure({"latency_ms": 0})
        print(
            f"injected: {len(delays)} SIGKILLs of the worker after {delays} s (worker was in: {hit}), "
            f"during {profile.kill_changes} changes ({len(made)} problems created); each time a new worker started at once"  # noqa: E501
        )

        started = time.monotonic()
        expected = lambda: _escaped_share(jira)  # noqa: E731
        wait_until(
            lambda: emulator.dispatcher.idle() and quiet(connection, QUEUE) and status_of_or_none(jira) == expected(),
            CLAIM_IDLE_MS / 1000 + 90,
            "the service to converge after the last kill",
            every=0.5,
        )
        converged = time.monotonic() - started

        differences = [
            i["key"]
            for i in jira.search("project in (SHOP, OKR, PLAT)")
            if runtime.mirror.get(i["key"]) != issue_document(i)
        ]
        status = status_of(jira, "SHOP-1")
        chain = _checkins(jira)
        broken = [(a, b) for a, b in zip(chain, chain[1:], strict=False) if a[1] != b[0]]
        aps = list(jira.search("project = PLAT AND labels = action-point", fields=["components", "issuelinks"]))
        linked = [
            {link.get("inwardIssue", link.get("outwardIssue", {})).get("key") for link in ap["fields"]["issuelinks"]}
            for ap in aps
        ]
        print(
            f"verified: converged {converged:.1f} s after the stream; mirror differs on {len(differences)} issue(s); "
            f"KR current {status['current']} = Jira's {expected()}, health {status['health']}; "
            f"{len(chain)} check-in comments, chain breaks (a comment posted twice or lost) {len(broken)}; "
            f"{len(aps)} action point(s) for {len(THEMES)} candidate clusters"
        )
        assert differences == [], {key: _fields_apart(runtime.mirror.get(key), jira, key) for key in differences}
        assert set(hit) - {"idle"}, f"no kill found the worker at work: {hit}"
        assert status["current"] == expected()
        assert broken == [], chain
        if chain:
            assert _health_word(status["health"]) == chain[-1][1], (chain[-1], status["health"])
        assert len(aps) == len(THEMES), [ap["key"] for ap in aps]
        assert all(len(keys) == 3 for keys in linked), linked
    finally:
        stop.set()
        producer.join(timeout=60)
        stop_worker(worker)


def _fields_apart(mirrored: dict[str, Any] | None, jira: Any, key: str) -> dict[str, Any]:
    """The fields in which the mirror and Jira's own document of an issue differ: (mirror, Jira)."""
    theirs = issue_document(next(iter(jira.search(f"key = {key}"))))
    mine = mirrored or {}
    return {
        name: (mine.get(name), theirs.get(name))
        for name in mine.keys() | theirs.keys()
        if mine.get(name) != theirs.get(name)
    }


def _worker_state(connection: redis.Redis, pid: int) -> str:
    """The job the live worker (its RQ registration with this pid) is running: a flush, a drain, or
    nothing (what a killed worker left in Redis, such as unclaimed deliveries, does not count)."""
    for registered in Worker.all(connection=connection):
        if registered.pid == pid:
            job = registered.get_current_job()
            name = job.func_name if job is not None else ""
            return "flush" if name.endswith("flush_okrs") else "drain" if name.endswith("drain_events") else "idle"
    return "idle"


def _first_busy(connection: redis.Redis, pid: int, state: str, seconds: float) -> str:
    """The worker's state once it is at work; "idle" when it is not within ``seconds`` (the kill goes ahead)."""
    if state != "idle":
        return state

    def busy() -> str | None:
        found = _worker_state(connection, pid)
        return None if found == "idle" else found

    try:
        return wait_until(busy, seconds, "the worker to be at work", every=0.005)
    except AssertionError:
        return "idle"


def status_of_or_none(jira: Any) -> float | None:
    try:
        return status_of(jira, "SHOP-1")["current"]
    except AssertionError:
        return None


def _escaped_share(jira: Any) -> float:
    bugs = list(jira.search("project = SHOP AND issuetype = Bug", fields=["labels"]))
    return round(100 * sum("escaped" in b["fields"]["labels"] for b in bugs) / len(bugs), 4)


def _health_word(health: str) -> str:
    from publish.jira import HEALTH_WORDS

    return str(HEALTH_WORDS[health])
