"""Work done once per immutable object (configurations and metric definitions are frozen models)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def once_per_object(compute: Callable[[T], R], limit: int = 4096) -> Callable[[T], R]:
    """``compute`` remembered per object; the object is kept while it is remembered, so its id is not
    reused meanwhile. Past ``limit`` objects everything is forgotten and worked out again."""
    remembered: dict[int, tuple[T, R]] = {}

    def cached(item: T) -> R:
        found = remembered.get(id(item))
        if found is None or found[0] is not item:
            if len(remembered) >= limit:
                remembered.clear()
            found = remembered[id(item)] = (item, compute(item))
        return found[1]

    return cached
