"""The one retry layer: how long to wait after a failed attempt, or that it is time to give up.

Rules: a ``Retry-After`` hint is obeyed exactly (a request is never sent before it); without one,
rate limits, 5xx answers and connection failures back off exponentially with jitter, capped at
``max_delay``. Other 4xx answers are final. Every call has a bounded budget — ``max_attempts`` and
``max_total_wait`` seconds of waiting — so a worker is never stuck for half an hour behind a
throttled site; when the budget is spent the caller gets RateLimited or Unavailable and can
reschedule.

``sleep``, ``clock`` (wall-clock seconds, used to read HTTP-date hints) and ``random`` are
injectable so tests can check the waits without sleeping.
"""

from __future__ import annotations

import math
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import Enum


class FailureKind(Enum):
    """How the retry layer treats a failed attempt."""

    RATE_LIMITED = "rate_limited"  # 429: retry after the hint, else back off
    UNAVAILABLE = "unavailable"  # 5xx, connection refused, timeout: back off
    FINAL = "final"  # any other 4xx, or a write that may already have landed


@dataclass(frozen=True)
class Failure:
    """One failed attempt as the policy sees it: its kind and the server's ``Retry-After`` in seconds."""

    kind: FailureKind
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_wait: float = 120.0
    jitter: float = 0.2
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1 (1 means: never retry)")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError("RetryPolicy.jitter is a fraction in [0, 1), e.g. 0.2 for ±20%")

    def backoff(self, retry_number: int) -> float:
        """The wait before retry ``retry_number`` (1-based): base × 2^(n−1), ± jitter, never above max_delay."""
        nominal = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        spread = 1.0 + self.jitter * (2.0 * self.random() - 1.0)
        return max(0.0, min(self.max_delay, nominal * spread))

    def wait_before_retry(self, failure: Failure, attempts_made: int, waited: float) -> float | None:
        """Seconds to wait before the next attempt, or None to give up.

        ``attempts_made`` counts the attempts so far (the failed one included); ``waited`` is the
        time already spent waiting for this call. A wait that would take the call past
        ``max_total_wait`` is not started: better to fail now and let the job be rescheduled.
        """
        if failure.kind is FailureKind.FINAL or attempts_made >= self.max_attempts:
            return None
        wait = failure.retry_after if failure.retry_after is not None else self.backoff(attempts_made)
        if waited + wait > self.max_total_wait:
            return None
        return wait


# The policy a port uses when given none (a module-level value: a default argument is built once anyway).
DEFAULT_POLICY = RetryPolicy()


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` in seconds from now: delta-seconds or an HTTP-date; None when absent or unreadable.

    Jira sends whole seconds; HTTP allows a date too. A date in the past means "now" (0).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_http_date(text, now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _seconds_until_http_date(text: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:  # "-0000": HTTP dates are always GMT
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)
