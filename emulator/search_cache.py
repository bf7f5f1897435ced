"""The ordered matches of recent searches, reused while no issue is written.

A paged walk asks the same JQL once per page. Evaluating it over every issue for every page made a
walk cost pages × issues; with the answer kept per (JQL, asking user) for one ``Site.issue_revision``,
a walk evaluates the query once and every page is a slice. Any issue write moves the revision and
empties the cache, so a page after a write sees the write exactly as before. Queries whose matches
move with the clock (relative dates, ``now()``) are never kept. Callers hold ``Site.lock``.
"""

from __future__ import annotations

from collections import OrderedDict

from emulator.state import Issue

SearchKey = tuple[str, frozenset[str]]  # the JQL text, the asking user's aliases (for currentUser())
KEPT_SEARCHES = 8


class SearchCache:
    def __init__(self, kept: int = KEPT_SEARCHES) -> None:
        self.kept = kept
        self._revision: int | None = None
        self._answers: OrderedDict[SearchKey, list[Issue]] = OrderedDict()

    def get(self, key: SearchKey, revision: int) -> list[Issue] | None:
        """The matches kept for ``key`` at this revision, or None (a new revision forgets everything)."""
        self._move_to(revision)
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: SearchKey, revision: int, issues: list[Issue]) -> list[Issue]:
        """Keep ``issues`` as the answer for ``key`` at ``revision``; the oldest answers go beyond ``kept``."""
        self._move_to(revision)
        self._answers[key] = issues
        self._answers.move_to_end(key)
        while len(self._answers) > self.kept:
            self._answers.popitem(last=False)
        return issues

    def _move_to(self, revision: int) -> None:
        if revision != self._revision:
            self._answers.clear()
            self._revision = revision

    def __len__(self) -> int:
        return len(self._answers)
