"""The ``~`` text search, approximated over the mirrored summary.

Jira runs ``~`` through a Lucene index with stemming. Locally: the query string is split into
terms; every term must start some word of the text (so ``fix`` finds "fixed" and "fixes", and a
trailing ``*`` wildcard means the same); a quoted phrase (``"\\"login page\\""``) must appear as
consecutive words; a term prefixed with ``-`` or ``NOT`` must not appear; the words AND / OR / ``&&`` /
``||`` are ignored (all remaining terms are required). Matching is case-insensitive."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
_QUERY_PART = re.compile(r'(-|\bNOT\s+)?("([^"]*)"?|[^\s"]+)')
_IGNORED = frozenset(("and", "or", "&&", "||", "+"))


@dataclass(frozen=True)
class TextQuery:
    required: tuple[tuple[str, ...], ...]  # each: a phrase of word prefixes (one word for a term)
    excluded: tuple[tuple[str, ...], ...]


def parse_text_query(text: str) -> TextQuery:
    required: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []
    for negation, raw, phrase in _QUERY_PART.findall(text):
        if raw.lower() in _IGNORED:
            continue
        words = tuple(_WORD.findall((phrase if raw.startswith('"') else raw).casefold()))
        if words:
            (excluded if negation else required).append(words)
    return TextQuery(tuple(required), tuple(excluded))


def text_matcher(text: str) -> Callable[[str], bool]:
    """A predicate over one text value (already known to be a string)."""
    query = parse_text_query(text)
    if not query.required and not query.excluded:
        return lambda value: False
    needles = tuple(phrase[0] for phrase in query.required)

    def matches(value: str) -> bool:
        folded = value.casefold()
        for needle in needles:  # cheap necessary condition before splitting into words
            if needle not in folded:
                return False
        words = _WORD.findall(folded)
        return all(has_phrase(words, phrase) for phrase in query.required) and not any(
            has_phrase(words, phrase) for phrase in query.excluded
        )

    return matches


def has_phrase(words: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    for start in range(len(words) - size + 1):
        if all(words[start + offset].startswith(part) for offset, part in enumerate(phrase)):
            return True
    return False
