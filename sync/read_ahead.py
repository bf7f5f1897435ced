"""Bounded read-ahead: one thread fetches the next pages of a search while the caller stores the current
one, so the wait for Jira and the work on what it answered overlap.

At most ``depth`` pages wait in the queue (plus the one the thread is fetching and the one the caller
holds). The source's error is raised in the caller where the page it failed on would have come, after
the pages fetched before it. Leaving the ``with`` block — at the end, on an error of the caller's, or
early — stops the thread: it fetches nothing more, closes the source and is joined.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
PUT_POLL_SECONDS = 0.05  # how often a thread waiting for room looks whether it was stopped
JOIN_SECONDS = 30.0  # a call in flight when the caller stops finishes within its own timeout


class _End:
    """The source is exhausted."""


class _Failed:
    """The source raised ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class ReadAhead(Generic[T]):
    """``with ReadAhead(pages) as ahead: for page in ahead: …`` — see the module doc."""

    def __init__(self, source: Iterable[T], depth: int = 2, name: str = "read-ahead") -> None:
        if depth < 1:
            raise ValueError(f"a read-ahead holds at least one item, got depth={depth}")
        self._source = source
        self._items: queue.Queue[T | _End | _Failed] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fetch, name=name, daemon=True)
        self._done = False
        self.waited = 0.0  # seconds the caller waited for the next item

    def __enter__(self) -> ReadAhead[T]:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        begun = time.perf_counter()
        item = self._items.get()
        self.waited += time.perf_counter() - begun
        if isinstance(item, _End):
            self._done = True
            raise StopIteration
        if isinstance(item, _Failed):
            self._done = True
            raise item.error
        return item

    def close(self) -> None:
        """Stop the thread (it fetches nothing more) and wait for it to end; the pages it had fetched are
        dropped."""
        self._stop.set()
        self._done = True
        self._drain()
        if self._thread.ident is not None:  # started
            self._thread.join(JOIN_SECONDS)
            if self._thread.is_alive():
                log.warning("the read-ahead thread is still in a call after %.0f s; it ends with it", JOIN_SECONDS)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._items.get_nowait()
            except queue.Empty:
                return

    def _fetch(self) -> None:
        iterator = iter(self._source)
        try:
            for item in iterator:
                if not self._put(item):
                    return
            self._put(_End())
        except BaseException as error:  # handed to the caller, raised there
            self._put(_Failed(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def _put(self, item: T | _End | _Failed) -> bool:
        """Queue ``item`` once there is room; False when the caller stopped meanwhile."""
        while not self._stop.is_set():
            try:
                self._items.put(item, timeout=PUT_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False
