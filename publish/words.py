"""Plain words for the pages people read, the admin pages and the Confluence pages (pure): one time
format in the configuration's zone, definition versions by number and day, and the sync health verdict
read from what the health page collects."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

NO_TIME = "—"
KEPT_PAGES = ("okr_set", "problem_program")  # the pages rewritten on change; child pages are written once


def moment(value: datetime | str | float | None) -> datetime | None:
    """A datetime from what the stores hold: a datetime, an ISO text (``Z`` or an offset; no offset is
    UTC) or epoch seconds; None for anything else."""
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, int | float) and math.isfinite(value) and value > 0:
        at = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str) and value.strip():
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def when(value: datetime | str | float | None, tz: tzinfo) -> str:
    """``3 Dec 2026, 14:02`` in ``tz``, to the minute; ``—`` for no time."""
    at = moment(value)
    if at is None:
        return NO_TIME
    local = at.astimezone(tz)
    return f"{local.day} {local:%b %Y, %H:%M}"


def clock(value: datetime | str | float | None, tz: tzinfo, now: datetime) -> str:
    """``09:14`` when ``value`` falls on ``now``'s day in ``tz``, else the full ``3 Dec 2026, 14:02``."""
    at = moment(value)
    if at is None:
        return NO_TIME
    local = at.astimezone(tz)
    return f"{local:%H:%M}" if local.date() == now.astimezone(tz).date() else when(at, tz)


def zone_name(tz: tzinfo, now: datetime) -> str:
    """The zone's name as the header says it once: its key (Europe/Berlin) or its abbreviation."""
    return str(getattr(tz, "key", None) or now.astimezone(tz).tzname() or "UTC")


def verdict(status: Mapping[str, Any], tz: tzinfo, now: datetime) -> tuple[str, str]:
    """The health page's first line and its tone (``ok``, ``bad``): Jira unreachable (every failing write
    went unanswered), Confluence unreachable (every set's and program's page's latest attempt failed),
    failing targets and pages (the rituals' pages too), else ``All current``."""
    writes = [f for f in status.get("failing") or [] if f.get("issue")]
    failing = list(status.get("failing") or [])
    if writes and all(_unanswered(f) for f in writes):
        return _since("Jira unreachable", [f.get("since") for f in writes], tz, now), "bad"
    kept = [p for p in status.get("pages") or [] if p.get("kind") in KEPT_PAGES]
    if kept and all(page_failing(p) for p in kept):
        return _since("Confluence unreachable", [p.get("failed_at") for p in kept], tz, now), "bad"
    pages = [p for p in status.get("pages") or [] if page_failing(p)]  # a ritual's page counts too
    count = len(failing) + len(pages)
    if count:
        noun = "target" if count == 1 else "targets"
        times = [f.get("since") for f in failing] + [p.get("failed_at") for p in pages]
        return _since(f"{count} {noun} failing", times, tz, now), "bad"
    return "All current", "ok"


def _unanswered(failure: Mapping[str, Any]) -> bool:
    """A write Jira did not answer: no answer at all, a 5xx or 429, or not tried while Jira was failing."""
    code = failure.get("status")
    return code is None or int(code) >= 500 or int(code) == 429


def page_failing(page: Mapping[str, Any]) -> bool:
    """Its latest attempt failed: a failure with no write since."""
    failed, written = moment(page.get("failed_at")), moment(page.get("written_at"))
    return failed is not None and (written is None or failed >= written)


def _since(words: str, values: Sequence[Any], tz: tzinfo, now: datetime) -> str:
    times = [t for t in (moment(v) for v in values) if t is not None]
    return f"{words} since {clock(min(times), tz, now)}" if times else words


def definition_version(version: str | None, history: Sequence[Mapping[str, Any]], tz: tzinfo) -> str:
    """``definition v3 (since 3 Nov)``: the version's number in the metric's history (numbered in order of
    first use, oldest first) and the day it last came into force; the version itself when the history does
    not hold it, ``—`` for none."""
    if not version:
        return NO_TIME
    return numbered_version(version, history, tz) or version


def numbered_version(version: str | None, history: Sequence[Mapping[str, Any]], tz: tzinfo) -> str | None:
    """``definition v3 (since 3 Nov)``, or None when the history does not hold ``version``."""
    numbers = version_numbers(history)
    if not version or version not in numbers:
        return None
    at = moment(next((e.get("at") for e in reversed(history) if e.get("version") == version), None))
    since = f" (since {at.astimezone(tz).day} {at.astimezone(tz):%b})" if at else ""
    return f"definition v{numbers[version]}{since}"


def version_numbers(history: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Each version of a metric's history (oldest first) → its number, in order of first use: a definition
    put back in force keeps the number it had."""
    numbers: dict[str, int] = {}
    for entry in history:
        version = entry.get("version")
        if version and version not in numbers:
            numbers[str(version)] = len(numbers) + 1
    return numbers


def set_subtitle(name: str, set_id: str, level: str, cycle: str, owner: str | None) -> str:
    """What follows a set's name in its heading, each word once: its id and level only where the name
    does not already say them (``company · cycle this-quarter · Ana Ruiz``)."""
    said = name.lower()
    parts: list[str] = []
    for part in (set_id, level):
        if part and part.lower() not in said and part.lower() not in (p.lower() for p in parts):
            parts.append(part)
    parts.append(f"cycle {cycle}")
    if owner:
        parts.append(owner)
    return " · ".join(parts)


def interval_words(seconds: float) -> str:
    """``30 s``, ``5 min``, ``1.5 min``: a short interval as the page says it."""
    if seconds < 60 or not math.isfinite(seconds):
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"


def day(value: datetime | str | float | None, tz: tzinfo) -> str:
    """``3 Nov 2026`` in ``tz``; ``—`` for no time."""
    at = moment(value)
    if at is None:
        return NO_TIME
    local = at.astimezone(tz)
    return f"{local.day} {local:%b %Y}"


def date_words(value: date) -> str:
    """A calendar day as the pages say it: ``3 Nov 2026``."""
    return f"{value.day} {value:%b %Y}"


def stamp(value: datetime | str | float | None, tz: tzinfo, now: datetime) -> str:
    """``3 Dec 2026, 14:02 Europe/Berlin``: a page's one full time, with the zone said once."""
    return f"{when(value, tz)} {zone_name(tz, now)}" if moment(value) is not None else NO_TIME


COUNTED_NOUNS = {
    "jira": ("issue", "issues"),
    "push": ("measurement", "measurements"),
    "sql": ("warehouse reading", "warehouse readings"),
    "problems": ("problem", "problems"),
}


def counted_words(count: int | None, source: str | None, pushed_by: str | None = None) -> str:
    """What a value was computed from, named: ``60 issues``, ``1 measurement pushed by analytics``,
    ``1 warehouse reading``; ``no issues yet`` for none."""
    singular, plural = COUNTED_NOUNS.get(source or "", ("value", "values"))
    if not count:
        return f"no {plural} yet"
    text = f"{count} {singular if count == 1 else plural}"
    if source == "push":
        text += f" pushed by {pushed_by}" if pushed_by else " pushed"
    return text


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 key result`` / ``3 key results``."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"
