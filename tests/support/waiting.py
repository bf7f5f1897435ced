"""Waiting on a condition instead of sleeping: every test that waits for the product asks a question
and polls it until it holds, with a deadline and a message that says what never happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from sync.idle import pending_work

T = TypeVar("T")
POLL_SECONDS = 0.05


def wait_until(
    check: Callable[[], T], seconds: float = 15.0, what: str = "the condition", every: float = POLL_SECONDS
) -> T:
    """Call ``check`` until it returns something truthy, and return that; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:g} s waiting for {what}")
        time.sleep(every)


def settle(connection: redis.Redis, emulator: Any = None, seconds: float = 30.0, queue_name: str | None = None) -> None:
    """Wait until the emulator has made every delivery and the service has nothing left to do.

    Idle must be seen on two polls in a row: a job an RQ worker has just taken from its queue is, for
    an instant, neither queued nor registered as started."""
    last = ["not polled yet"]

    def quiet_twice() -> bool:
        deliveries_done = emulator is None or emulator.dispatcher.idle()
        pending = pending_work(connection, queue_name)
        was_idle = last[0] == "idle"
        last[0] = pending.describe() if deliveries_done else "deliveries in flight"
        return was_idle and last[0] == "idle"

    try:
        wait_until(quiet_twice, seconds, "the service to settle", every=0.1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still pending: {last[0]}") from None
