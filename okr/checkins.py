"""People's check-ins on a KR: what they are, and the `/checkin` command read from a Jira comment (pure).

    check_in_words(0.6, note="Vendor API is late")       # CheckInWords, or CheckInInvalid naming each problem
    parse_command("/checkin high\\nblockers: QA env")     # CheckInWords | Malformed | None (not a command)
    age_words(then, now, tz)                              # "today", "yesterday", "3 days ago"

These are the words of people. The service's own status comments (``publish.jira.checkin_comment``) are
something else: they never start with ``/checkin``, and comments by the service's account are skipped.

The command, in a comment on the KR's ``jira_issue``::

    /checkin 0.6 Vendor API is late; asks: one QA person
    blockers: the staging environment is down

The first word after ``/checkin`` is the confidence: a number from 0 to 1 or ``low`` / ``medium`` /
``high`` (0.3 / 0.6 / 0.9). Every other line, and every ``;``-separated part of a line, that starts with
``blockers:`` or ``asks:`` goes to that field; the rest is the note. The parser uses no regular
expression: it reads the text once with string methods, so its time is linear in the text's length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal

COMMAND = "/checkin"
CONFIDENCE_WORDS: Mapping[str, float] = {"low": 0.3, "medium": 0.6, "high": 0.9}
NOTE_LIMIT = 2_000  # characters of a note
PART_LIMIT = 500  # characters of the blockers, and of the asks
COMMENT_LIMIT = NOTE_LIMIT + 2 * PART_LIMIT + 200  # a longer command is refused before it is read
ADF_DEPTH = 20  # how deep a rich-text (ADF) comment body is read

Source = Literal["comment", "api", "admin"]
SOURCES: tuple[Source, ...] = ("comment", "api", "admin")
_FIELD_PREFIXES = {"blockers:": "blockers", "blocker:": "blockers", "asks:": "asks", "ask:": "asks"}


@dataclass(frozen=True, slots=True)
class CheckInWords:
    """What a person said, checked: a confidence from 0 to 1 and bounded texts (empty when not given)."""

    confidence: float
    note: str = ""
    blockers: str = ""
    asks: str = ""


@dataclass(frozen=True, slots=True)
class CheckIn:
    """One person's check-in on one KR, as stored."""

    id: str  # "comment:<comment id>" for a comment, else a random token
    okr_set: str
    kr: str
    author_id: str
    author_name: str
    at: datetime  # aware
    confidence: float
    note: str
    blockers: str
    asks: str
    source: Source
    comment_id: str | None = None

    @property
    def ref(self) -> tuple[str, str]:
        return self.okr_set, self.kr

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "okr_set": self.okr_set,
            "kr": self.kr,
            "author_id": self.author_id,
            "author": self.author_name,
            "at": self.at.isoformat(),
            "confidence": self.confidence,
            "note": self.note,
            "blockers": self.blockers,
            "asks": self.asks,
            "source": self.source,
            "comment_id": self.comment_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckIn:
        """ValueError when ``data`` is not a stored check-in."""
        try:
            at = datetime.fromisoformat(str(data["at"]))
            source = data["source"]
            if source not in SOURCES or at.tzinfo is None:
                raise ValueError(f"source {source!r} or time {data['at']!r}")
            return cls(
                id=str(data["id"]),
                okr_set=str(data["okr_set"]),
                kr=str(data["kr"]),
                author_id=str(data["author_id"]),
                author_name=str(data["author"]),
                at=at,
                confidence=float(data["confidence"]),
                note=str(data["note"]),
                blockers=str(data["blockers"]),
                asks=str(data["asks"]),
                source=source,
                comment_id=None if data.get("comment_id") is None else str(data["comment_id"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a stored check-in: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class CheckInProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CheckInInvalid(ValueError):
    """A check-in that cannot be stored; ``problems`` names each field at fault."""

    def __init__(self, problems: list[CheckInProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Malformed:
    """A comment that starts with ``/checkin`` but is not a check-in: why, in one sentence."""

    reason: str


def confidence_problem(raw: object) -> str:
    return f"must be a number from 0 to 1 or low/medium/high (got {_shown(raw)})"


def confidence_value(raw: object) -> float | None:
    """The confidence ``raw`` stands for (a number from 0 to 1, or low/medium/high), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
        return value if math.isfinite(value) and 0.0 <= value <= 1.0 else None
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in CONFIDENCE_WORDS:
            return CONFIDENCE_WORDS[word]
        number = _decimal(word)
        return confidence_value(number) if number is not None else None
    return None


def _decimal(text: str) -> float | None:
    """``0.6``, ``.6``, ``1``: plain decimals only (no exponent, sign, nan or infinity)."""
    if not text or len(text) > 12 or text == "." or text.count(".") > 1:
        return None
    if not all(c in "0123456789." for c in text):
        return None
    return float(text)


def _shown(raw: object) -> str:
    if isinstance(raw, str):
        return repr(raw[:40] + ("…" if len(raw) > 40 else ""))
    if raw is None:
        return "nothing"
    text = repr(raw) if isinstance(raw, bool | int | float) else type(raw).__name__
    return text[:40]


def check_in_words(
    confidence: object, note: object = None, blockers: object = None, asks: object = None
) -> CheckInWords:
    """The check-in these values make, or CheckInInvalid with every problem (nothing is stored half)."""
    problems = []
    value = confidence_value(confidence)
    if value is None:
        problems.append(CheckInProblem("confidence", confidence_problem(confidence)))
    texts = {}
    given = (("note", note, NOTE_LIMIT), ("blockers", blockers, PART_LIMIT), ("asks", asks, PART_LIMIT))
    for name, raw, limit in given:
        text, problem = _bounded_text(raw, limit)
        texts[name] = text
        if problem:
            problems.append(CheckInProblem(name, problem))
    if problems or value is None:
        raise CheckInInvalid(problems)
    return CheckInWords(value, texts["note"], texts["blockers"], texts["asks"])


def _bounded_text(raw: object, limit: int) -> tuple[str, str | None]:
    if raw is None:
        return "", None
    if not isinstance(raw, str):
        return "", f"must be text (got {_shown(raw)})"
    text = raw.strip()
    if len(text) > limit:
        return "", f"is {len(text):,} characters long; at most {limit:,} are kept"
    return text, None


# ---------------------------------------------------------------------------- the /checkin command


def comment_text(body: object) -> str | None:
    """A comment body as text: Jira's v2 string, or the text of a v3 rich-text (ADF) document."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        lines: list[list[str]] = []
        _adf_lines(body, lines, 0)
        return "\n".join("".join(parts) for parts in lines)
    return None


def _adf_lines(node: Mapping[str, Any], lines: list[list[str]], depth: int) -> None:
    """Each block that holds text a line of its text nodes (linear in the nodes; ADF_DEPTH levels at most)."""
    if depth > ADF_DEPTH:
        return
    if node.get("type") == "text" and isinstance(node.get("text"), str):
        if not lines:
            lines.append([])
        lines[-1].append(node["text"])
        return
    children = node.get("content")
    if not isinstance(children, list):
        return
    if node.get("type") not in ("doc", None) and any(isinstance(c, dict) and c.get("type") == "text" for c in children):
        lines.append([])
    for child in children:
        if isinstance(child, dict):
            _adf_lines(child, lines, depth + 1)


def is_command(text: str) -> bool:
    """The text starts with ``/checkin`` (any case), followed by a space, a line end or nothing."""
    head = text.lstrip()[: len(COMMAND) + 1]
    return head[: len(COMMAND)].lower() == COMMAND and (len(head) == len(COMMAND) or head[-1].isspace())


def parse_command(body: object) -> CheckInWords | Malformed | None:
    """A comment's check-in; Malformed when it starts with ``/checkin`` but is not one; None for any
    other comment. Never raises; linear in the text's length (longer than COMMENT_LIMIT: Malformed)."""
    text = comment_text(body)
    if text is None or not is_command(text[: len(COMMAND) + 200]):
        return None
    if len(text) > COMMENT_LIMIT:
        return Malformed(f"the command is {len(text):,} characters long; at most {COMMENT_LIMIT:,} are read")
    first, _, rest = text.lstrip()[len(COMMAND) :].partition("\n")
    pieces = first.split(None, 1)
    word, note_start = (pieces + ["", ""])[:2]
    confidence = confidence_value(word) if word else None
    if confidence is None:
        return Malformed(f"/checkin needs a confidence first: {confidence_problem(word or None)}")
    parts = _sorted_parts([note_start, *rest.split("\n")])
    try:
        return check_in_words(confidence, parts["note"], parts["blockers"], parts["asks"])
    except CheckInInvalid as exc:
        return Malformed(str(exc))


def _sorted_parts(lines: list[str]) -> dict[str, str]:
    """``blockers:`` / ``asks:`` parts to their fields; every other part to the note, in order."""
    found: dict[str, list[str]] = {"note": [], "blockers": [], "asks": []}
    for line in lines:
        note_parts = []
        for part in line.split(";"):
            field, text = _part_field(part.strip())
            if field == "note":
                note_parts.append(text)
            elif text:
                found[field].append(text)
        if any(note_parts):
            found["note"].append("; ".join(p for p in note_parts if p))
    return {
        "note": "\n".join(found["note"]),
        "blockers": "; ".join(found["blockers"]),
        "asks": "; ".join(found["asks"]),
    }


def _part_field(part: str) -> tuple[str, str]:
    head = part[:10].lower()
    for prefix, field in _FIELD_PREFIXES.items():
        if head.startswith(prefix):
            return field, part[len(prefix) :].strip()
    return "note", part


# ---------------------------------------------------------------------------- shown


def age_words(then: datetime, now: datetime, tz: tzinfo) -> str:
    """How long ago, in calendar days of the zone: "today", "yesterday", "3 days ago" (coarse on
    purpose: a page that shows it is rewritten at most once a day for it)."""
    days = (now.astimezone(tz).date() - then.astimezone(tz).date()).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def confidence_text(confidence: float) -> str:
    """``0.6 (medium)``: the number and the nearest word."""
    word = min(CONFIDENCE_WORDS, key=lambda w: abs(CONFIDENCE_WORDS[w] - confidence))
    return f"{confidence:g} ({word})"
