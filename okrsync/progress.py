"""A progress bar for long CLI work: items, rate and ETA, on stderr, redrawn in place."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, width: int = 28, every: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.every = every
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._label = ""

    def update(self, label: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if label != self._label:
            if self._label:
                self.stream.write("\n")
            self._label, self._started = label, now
        elif now - self._last_draw < self.every and (total is None or done < total):
            return
        self._last_draw = now
        self.stream.write("\r" + self.line(label, done, total, now - self._started))
        self.stream.flush()

    def line(self, label: str, done: int, total: int | None, elapsed: float) -> str:
        rate = done / elapsed if elapsed > 0 else 0.0
        if total:
            filled = min(self.width, round(self.width * done / total))
            eta = (total - done) / rate if rate > 0 else 0.0
            bar = "█" * filled + "░" * (self.width - filled)
            return f"{label:<10} {bar} {done}/{total}  {rate:,.0f}/s  ETA {eta:,.0f}s "
        return f"{label:<10} {done} issue(s)  {rate:,.0f}/s "

    def close(self) -> None:
        if self._label:
            self.stream.write("\n")
            self.stream.flush()
