"""Call accounting: every HTTP attempt to Jira or Confluence, by system, operation and outcome.

Shared by request threads and worker threads, hence the lock. The ``on_call`` hook lets the service
mirror the counts elsewhere (a Redis counter, Prometheus); a failing hook is logged and never
fails the call it describes.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Literal

log = logging.getLogger(__name__)

System = Literal["jira", "confluence"]
Outcome = Literal["ok", "429", "5xx", "conflict", "4xx", "error"]
CallHook = Callable[[str, str, str], None]


def outcome_of_status(status: int | None) -> Outcome:
    """The outcome bucket of an HTTP status; None (no answer at all) is "error", 409 "conflict"."""
    if status is None:
        return "error"
    if status == 429:
        return "429"
    if status >= 500:
        return "5xx"
    if status == 409:
        return "conflict"  # a page a person changed since it was read: re-read, merged and written again
    if status >= 400:
        return "4xx"
    return "ok"


class CallStats:
    """Thread-safe counters of calls, retries and time spent waiting."""

    def __init__(self, on_call: CallHook | None = None) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str, str]] = Counter()
        self._retries = 0
        self._wait_seconds = 0.0
        self.on_call = on_call

    def record_call(self, system: str, operation: str, outcome: str) -> None:
        with self._lock:
            self._calls[(system, operation, outcome)] += 1
        self._notify(system, operation, outcome)

    def record_retry(self, wait: float) -> None:
        with self._lock:
            self._retries += 1
            self._wait_seconds += wait

    def count(self, system: str | None = None, operation: str | None = None, outcome: str | None = None) -> int:
        """Calls matching every given criterion, e.g. ``count("jira", outcome="429")``."""
        wanted = (system, operation, outcome)
        with self._lock:
            return sum(
                n
                for key, n in self._calls.items()
                if all(w is None or w == k for w, k in zip(wanted, key, strict=False))
            )

    def snapshot(self) -> dict[str, Any]:
        """``{"calls": {system: {operation: {outcome: n}}}, "total_calls", "rate_limited", "retries",
        "wait_seconds"}`` — plain data, safe to serialise."""
        with self._lock:
            calls: dict[str, dict[str, dict[str, int]]] = {}
            for (system, operation, outcome), n in sorted(self._calls.items()):
                calls.setdefault(system, {}).setdefault(operation, {})[outcome] = n
            return {
                "calls": calls,
                "total_calls": sum(self._calls.values()),
                "rate_limited": sum(n for (_, _, o), n in self._calls.items() if o == "429"),
                "retries": self._retries,
                "wait_seconds": round(self._wait_seconds, 3),
            }

    def _notify(self, system: str, operation: str, outcome: str) -> None:
        if self.on_call is None:
            return
        try:
            self.on_call(system, operation, outcome)
        except Exception:  # a metrics sink must never break a write-back
            log.warning("call-statistics hook failed for %s %s %s", system, operation, outcome, exc_info=True)
