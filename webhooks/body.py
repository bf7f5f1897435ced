"""Reading a webhook body within its size limit, whatever the framing (Content-Length or chunked).

The raw WSGI input is read, never past a declared Content-Length (a server may hand over the bare
socket) and, for a chunked body, one byte past the limit at most: enough to tell "exactly the
limit" from "over it", so a chunked body over the limit is refused as too large instead of being
cut and then failing its signature. A body over the limit is read on and dropped up to a bound
(``discard``), so that a client that writes its whole body before reading (Python's urllib,
many HTTP libraries) reads the 413 instead of a broken pipe.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wsgi import get_content_length

CHUNK_BYTES = 64 * 1024
DISCARD_FACTOR = 4  # a body over the limit is read and dropped up to this many times the limit


class BodyTooLarge(Exception):
    """The body is over the limit; ``declared`` is its Content-Length (None when chunked)."""

    def __init__(self, limit: int, declared: int | None) -> None:
        self.limit, self.declared = limit, declared
        size = f"a body of {declared} bytes" if declared is not None else "a chunked body"
        super().__init__(
            f"{size} is larger than the {limit}-byte limit (OKRSYNC_MAX_BODY_BYTES; raise it "
            "if Jira's deliveries are this large)"
        )


class BodyIncomplete(OSError):
    """The client sent less than the Content-Length it declared (it went away, or stalled past the
    server's body deadline)."""


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The whole body, or BodyTooLarge; BodyIncomplete (an OSError) when the client stops short."""
    declared = get_content_length(environ)
    stream = environ["wsgi.input"]
    if declared is not None:
        if declared > limit:
            raise BodyTooLarge(limit, declared)
        body = _read_at_most(stream, declared)
        if len(body) < declared:
            raise BodyIncomplete(f"the client sent {len(body)} of the {declared} bytes it declared")
        return body
    if not environ.get("wsgi.input_terminated"):
        return b""  # neither a length nor a server that ends the stream: reading could hang
    body = _read_at_most(stream, limit + 1)
    if len(body) > limit:
        raise BodyTooLarge(limit, None)
    return body


def discard(environ: dict[str, Any], too_large: BodyTooLarge) -> bool:
    """Read and drop the rest of a body over the limit, up to DISCARD_FACTOR × the limit in all;
    True when the whole body was read (the connection can then close without a reset)."""
    bound = DISCARD_FACTOR * too_large.limit
    stream = environ["wsgi.input"]
    if too_large.declared is not None:
        if too_large.declared > bound:
            return False
        return _drop(stream, too_large.declared) == too_large.declared
    rest = bound - (too_large.limit + 1)  # read_body read one byte past the limit
    return _drop(stream, rest) < rest or _drop(stream, 1) == 0


def _read_at_most(stream: Any, size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        part = stream.read(min(CHUNK_BYTES, remaining))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _drop(stream: Any, size: int) -> int:
    """Read and forget at most ``size`` bytes; how many there were."""
    dropped = 0
    while dropped < size:
        part = stream.read(min(CHUNK_BYTES, size - dropped))
        if not part:
            break
        dropped += len(part)
    return dropped
