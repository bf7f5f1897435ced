"""A project's walk from both ends: one search up from the lowest key, one down from the highest, each
with its own read-ahead, until they meet. Jira's search pages are chained (a page names the next), so
one walk has one request in flight; two walks have two, and a walk over a slow link takes about half
the time.

The walks meet when the up-walk has reached a key number the down-walk has already passed (or either
walk ends): each walk looks before it asks for its next page, so past the meeting at most the page each
had in flight is fetched. Issues both walks brought are handed on once. A key whose number cannot be
read (not ``PROJECT-n``) does not move a walk's position; such an issue is still handed on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

Page = Sequence[dict[str, Any]]


def key_number(key: object) -> int | None:
    """``BIG-123`` → 123; None for anything else."""
    if not isinstance(key, str):
        return None
    _, dash, number = key.rpartition("-")
    return int(number) if dash and number.isdigit() else None


class Meeting:
    """Where the two walks have got to: the highest key number the up-walk has brought and the lowest
    the down-walk has; shared by their threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.up: int | None = None
        self.down: int | None = None
        self.ended = False  # a walk reached its end: it has seen everything the other has not

    def reach(self, upward: bool, page: Page) -> None:
        numbers = [n for n in (key_number(issue.get("key")) for issue in page) if n is not None]
        if not numbers:
            return
        with self._lock:
            if upward:
                self.up = max(numbers) if self.up is None else max(self.up, *numbers)
            else:
                self.down = min(numbers) if self.down is None else min(self.down, *numbers)

    def end(self) -> None:
        with self._lock:
            self.ended = True

    @property
    def met(self) -> bool:
        with self._lock:
            return self.ended or (self.up is not None and self.down is not None and self.up >= self.down)


def walked_until_met(pages: Iterable[Page], meeting: Meeting, upward: bool) -> Iterator[Page]:
    """``pages`` (one walk's search) until the walks meet: the meeting is looked at before each next page
    is asked for, so this runs in the walk's own (read-ahead) thread."""
    iterator = iter(pages)
    try:
        while not meeting.met:
            page = next(iterator, None)
            if page is None:
                meeting.end()
                return
            meeting.reach(upward, page)
            yield page
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def alternating(walks: Sequence[Iterable[Page]]) -> Iterator[Page]:
    """A page from each walk in turn until all have ended; an issue already handed on (by key) is left
    out of a later page, and a page left empty by that is skipped."""
    handed: set[str] = set()
    iterators = [iter(walk) for walk in walks]
    while iterators:
        for iterator in list(iterators):
            page = next(iterator, None)
            if page is None:
                iterators.remove(iterator)
                continue
            fresh = [issue for issue in page if issue.get("key") not in handed]
            handed.update(issue["key"] for issue in fresh if isinstance(issue.get("key"), str))
            if fresh:
                yield fresh
