"""The resync's read-ahead: pages in order, at most ``depth`` fetched ahead, the source's error raised
in the caller after the pages before it, and the thread gone (the source closed) however the caller
leaves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from sync.read_ahead import ReadAhead


class Source:
    """Numbered pages, counting how many were fetched and whether the walk was closed."""

    def __init__(self, pages: int, fail_at: int | None = None) -> None:
        self.pages, self.fail_at = pages, fail_at
        self.fetched = 0
        self.closed = False

    def __iter__(self) -> Iterator[int]:
        try:
            for number in range(self.pages):
                if number == self.fail_at:
                    raise RuntimeError(f"page {number} failed")
                self.fetched += 1
                yield number
        finally:
            self.closed = True


def fetched_settles(source: Source) -> int:
    """The count once the thread stopped fetching (it waits for room in the queue)."""
    last = -1
    while last != source.fetched:
        last = source.fetched
        time.sleep(0.1)
    return last


def test_pages_come_in_order_and_the_thread_ends_with_them() -> None:
    source = Source(7)
    with ReadAhead(source, name="test read-ahead") as ahead:
        assert list(ahead) == list(range(7))
    assert source.closed and not [t for t in threading.enumerate() if t.name == "test read-ahead"]


def test_no_more_than_depth_pages_wait_beside_the_one_being_fetched() -> None:
    source = Source(100)
    with ReadAhead(source, depth=2) as ahead:
        assert fetched_settles(source) <= 3  # two queued, one in the thread's hand
        assert next(ahead) == 0
        assert fetched_settles(source) <= 4


def test_the_sources_error_comes_after_the_pages_before_it() -> None:
    got = []
    with pytest.raises(RuntimeError, match="page 3 failed"), ReadAhead(Source(10, fail_at=3)) as ahead:
        got.extend(ahead)
    assert got == [0, 1, 2]


def test_a_caller_that_stops_early_stops_the_thread_and_closes_the_source() -> None:
    source = Source(1000)
    with pytest.raises(ValueError, match="storing failed"), ReadAhead(source, name="stopped read-ahead") as ahead:
        for page in ahead:
            if page == 5:
                raise ValueError("storing failed")
    assert source.closed and source.fetched <= 5 + 1 + 3
    assert not [t for t in threading.enumerate() if t.name == "stopped read-ahead"]


def test_a_read_ahead_holds_at_least_one_page() -> None:
    with pytest.raises(ValueError, match="at least one item, got depth=0"):
        ReadAhead(Source(1), depth=0)
