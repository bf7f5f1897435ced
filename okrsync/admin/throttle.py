"""Failed authentications (wrong bearer tokens on the API, wrong tokens at the pages' sign-in),
counted per source address in Redis and slowed: after ``FAILURES_ALLOWED`` failures within
``FAILURE_WINDOW_SECONDS`` of the first one, every further attempt from that address, whatever it
sends, is answered 429 with Retry-After until the window ends. Guessing a token thus costs at least
6 s a try per address. Each failure is logged with the address, never with the token.
"""

from __future__ import annotations

import logging
import math

import redis

from sync import keys

log = logging.getLogger(__name__)

FAILURES_PREFIX = keys.ADMIN_AUTH_FAILURES_PREFIX  # + source address → failed authentications in its current window
FAILURES_ALLOWED = 10
FAILURE_WINDOW_SECONDS = 60


def retry_after(connection: redis.Redis, source: str) -> int | None:
    """Seconds the source must wait before it may authenticate again, or None when it may now."""
    pipe = connection.pipeline(transaction=False)
    pipe.get(FAILURES_PREFIX + source)
    pipe.pttl(FAILURES_PREFIX + source)
    count, ttl_ms = pipe.execute()
    if count is None or int(count) < FAILURES_ALLOWED:
        return None
    return max(1, math.ceil(ttl_ms / 1000)) if ttl_ms and ttl_ms > 0 else 1


def record_failure(connection: redis.Redis, source: str, what: str) -> int:
    """Count one failed authentication of the source (``what`` says which kind, for the log)."""
    pipe = connection.pipeline(transaction=True)
    pipe.set(FAILURES_PREFIX + source, 0, ex=FAILURE_WINDOW_SECONDS, nx=True)  # the window starts now
    pipe.incr(FAILURES_PREFIX + source)
    count = int(pipe.execute()[-1])
    log.warning(
        "failed authentication from %s: %s (%d of %d allowed in %d s)",
        source,
        what,
        count,
        FAILURES_ALLOWED,
        FAILURE_WINDOW_SECONDS,
    )
    if count == FAILURES_ALLOWED:
        log.warning(
            "authentication from %s is refused (429) for the rest of its %d-second window",
            source,
            FAILURE_WINDOW_SECONDS,
        )
    return count


def too_many_message(wait: int, what: str) -> str:
    return (
        f"too many failed {what} from this address ({FAILURES_ALLOWED} within {FAILURE_WINDOW_SECONDS} s); "
        f"retry in {wait} s"
    )
