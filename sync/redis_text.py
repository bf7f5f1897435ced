"""Redis replies as text.

The clients are made without ``decode_responses``, so Redis answers bytes; redis-py types a reply as
``bytes | str`` to cover either setting. ``decoded`` narrows a reply once, where it is read.
"""

from __future__ import annotations


def decoded(value: bytes | str) -> str:
    """A reply decoded as UTF-8 (a client that decodes itself already gives text)."""
    return value.decode() if isinstance(value, bytes) else value
