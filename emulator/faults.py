"""Fault knobs (latency, 429, 5xx, webhook drop/duplicate/reorder, refused writes, failing searches,
Jira's clock, a missing webhook API) and call counters.

Every random decision draws from one seeded generator, so a test that sets ``seed`` and makes its
calls in order sees the same faults every run; the other knobs are deterministic.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from typing import Any, get_args, get_type_hints

FRACTIONS = (
    "rate_limit_fraction",
    "error_fraction",
    "webhook_drop_fraction",
    "webhook_duplicate_fraction",
    "webhook_reorder_fraction",
)
TRUE_WORDS = frozenset(("true", "1", "yes", "on"))
FALSE_WORDS = frozenset(("false", "0", "no", "off"))


class KnobError(ValueError):
    """A fault setting that does not exist or has the wrong type."""


@dataclass
class Knobs:
    latency_ms: float = 0.0
    rate_limit_fraction: float = 0.0
    rate_limit_next: int = 0
    retry_after_s: int = 1
    error_fraction: float = 0.0
    error_next: int = 0
    error_status: int = 503
    webhook_drop_fraction: float = 0.0
    webhook_duplicate_fraction: float = 0.0
    webhook_reorder_fraction: float = 0.0
    webhook_reorder_delay_s: float = 0.2
    webhook_retry_delays_s: list[float] = field(default_factory=lambda: [0.1, 0.2, 0.4, 0.8, 1.6])
    webhook_timeout_s: float = 5.0
    # deliveries in flight at once (at most LANES): 1 sends them one by one in their order; with more, one
    # issue's still go in order on one lane, but a link's (by its source issue) may overtake its target's
    webhook_lanes: int = 1
    seed: int = 0
    # writes to these issues (keys) are refused with this status; reads still work
    refuse_write_keys: list[str] = field(default_factory=list)
    refuse_write_status: int = 403
    # seconds added to Jira's clock: the times it stamps on changes, in webhooks, serverTime, JQL's now
    clock_offset_s: float = 0.0
    # searches whose JQL contains one of these substrings fail with this status, every time
    fail_search_jql: list[str] = field(default_factory=list)
    fail_search_status: int = 500
    # False: the webhook admin API answers 404, as on a Jira without it
    webhook_api: bool = True


def updated_knobs(current: Knobs, changes: dict[str, Any]) -> Knobs:
    """A copy of ``current`` with ``changes`` applied and checked; raises KnobError naming the bad key."""
    names = {f.name: f for f in fields(Knobs)}
    values = asdict(current)
    for name, value in changes.items():
        if name not in names:
            raise KnobError(f"unknown fault setting {name!r}; known: {', '.join(sorted(names))}")
        values[name] = _coerce(name, value, values[name])
    return Knobs(**values)


def _coerce(name: str, value: Any, example: Any) -> Any:
    try:
        if isinstance(example, list):
            return _coerce_list(value, _item_type(name))
        if isinstance(example, bool):
            return _coerce_bool(value)
        coerced = type(example)(value)
    except (TypeError, ValueError):
        raise KnobError(f"fault setting {name!r} expects {_expected(name, example)}, got {value!r}") from None
    if name in FRACTIONS and not 0.0 <= coerced <= 1.0:
        raise KnobError(f"fault setting {name!r} is a fraction between 0 and 1, got {value!r}")
    return coerced


def _item_type(name: str) -> type:
    """The element type a list knob declares (``list[str]`` → str)."""
    declared = get_type_hints(Knobs)[name]
    (item,) = get_args(declared)
    return item


def _coerce_list(value: Any, item: type) -> list[Any]:
    """A JSON list, kept item for item, or comma-separated text (the command line's form), each item
    stripped; empty items are dropped."""
    items = value if isinstance(value, list) else [part.strip() for part in str(value).split(",")]
    if item is str:
        if any(isinstance(v, bool) or not isinstance(v, (str, int, float)) for v in items):
            raise TypeError("list items must be text")
        return [str(v) for v in items if str(v) != ""]
    return [item(v) for v in items if str(v).strip() != ""]


def _coerce_bool(value: Any) -> bool:
    """``true`` / ``false`` (also 1/0, yes/no, on/off as text or numbers); anything else is refused."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _expected(name: str, example: Any) -> str:
    if isinstance(example, list):
        return f"a list of {_item_type(name).__name__}"
    if isinstance(example, bool):
        return "true or false"
    return f"a {type(example).__name__}"


class Faults:
    """The live knobs, the seeded generator and the counters; shared by request threads."""

    def __init__(self, knobs: Knobs | None = None) -> None:
        self._lock = threading.Lock()
        self.knobs = knobs or Knobs()
        self._random = random.Random(self.knobs.seed)
        self._calls: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._webhooks: dict[str, int] = defaultdict(int)

    def configure(self, changes: dict[str, Any]) -> Knobs:
        with self._lock:
            knobs = updated_knobs(self.knobs, changes)
            if "seed" in changes:
                self._random = random.Random(knobs.seed)
            self.knobs = knobs
            return knobs

    def roll(self, fraction: float) -> bool:
        if fraction <= 0:
            return False
        with self._lock:
            return self._random.random() < fraction

    def take_next(self, name: str) -> bool:
        """Consume one of the ``rate_limit_next`` / ``error_next`` forced failures, if any are left."""
        with self._lock:
            remaining = getattr(self.knobs, name)
            if remaining <= 0:
                return False
            setattr(self.knobs, name, remaining - 1)
            return True

    def count_call(self, endpoint: str, outcome: str) -> None:
        with self._lock:
            self._calls[endpoint][outcome] += 1

    def count_webhook(self, outcome: str) -> None:
        with self._lock:
            self._webhooks[outcome] += 1

    def counters(self) -> dict[str, Any]:
        with self._lock:
            calls = {endpoint: dict(outcomes) for endpoint, outcomes in sorted(self._calls.items())}
            total = sum(sum(outcomes.values()) for outcomes in calls.values())
            return {"calls": calls, "total_calls": total, "webhooks": dict(self._webhooks)}

    def reset_counters(self) -> None:
        with self._lock:
            self._calls.clear()
            self._webhooks.clear()
