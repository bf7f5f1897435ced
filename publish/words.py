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
    went unanswered), Confluence unreachable (every page's latest attempt failed), failing targets and
    pages, else ``All current``."""
    writes = [f for f in status.get("failing") or [] if f.get("issue")]
    failing = list(status.get("failing") or [])
    if writes and all(_unanswered(f) for f in writes):
        return _since("Jira unreachable", [f.get("since") for f in writes], tz, now), "bad"
    kept = [p for p in status.get("pages") or [] if p.get("kind") in KEPT_PAGES]
    pages = [p for p in kept if _page_failing(p)]
    if pages and len(pages) == len(kept):
        return _since("Confluence unreachable", [p.get("failed_at") for p in pages], tz, now), "bad"
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


def _page_failing(page: Mapping[str, Any]) -> bool:
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


_WEBHOOK_WORDS = {
    "jira:issue_created": "a new Jira issue {issue}",
    "jira:issue_deleted": "the deletion of Jira issue {issue}",
}
_TRIGGER_WORDS = {
    "webhook": "a Jira change to {issue}",
    "measurement": "a pushed measurement of {metric}",
    "sql": "a warehouse query of {metric}",
    "remote": "a Jira search for {metric}",
    "resync": "a full resync from Jira",
    "reconcile": "a reconciliation with Jira",
    "config": "a configuration change (revision {revision}{by})",
    "schedule": "a scheduled recomputation",
    "recovery": "a recomputation of work a stopped worker left",
    "close": "the close of cycle {cycle}",
    "rescope": "a rescope of {kr}{by}",
    "checkin": "a check-in on {kr}",
    "page": "the page getting its address",
    "retry": "a retry of writes that had failed",
    "check-in held back": "a check-in comment held back until its health held",
    "check-in in flight": "a check-in comment being posted",
}


def trigger_words(trigger: Mapping[str, str] | None, tz: tzinfo, now: datetime) -> str:
    """What started an evaluation, in words and with its time: ``a Jira change to OPS-61 at 06:48``,
    ``a pushed measurement of nps at 09:14``, ``a configuration change (revision 4 by alice)``."""
    if not trigger:
        return _TRIGGER_WORDS["schedule"]
    kind = str(trigger.get("kind") or "")
    pattern = _pattern(kind, trigger)
    if pattern is None:
        text = kind.replace("_", " ") if kind else "an update"
    else:
        author = trigger.get("author")
        text = pattern.format_map(_Said({**trigger, "by": f" by {author}" if author else ""}))
    at = _epoch(trigger.get("at"))
    if at is not None:
        text += f" at {clock(at, tz, now)}"
    coalesced = trigger.get("coalesced")
    return f"{text}, with {coalesced} changes taken together" if coalesced else text


def _pattern(kind: str, trigger: Mapping[str, str]) -> str | None:
    if kind == "webhook":
        pattern = _WEBHOOK_WORDS.get(str(trigger.get("event") or ""), _TRIGGER_WORDS["webhook"])
        return pattern if trigger.get("issue") else "a Jira change"
    if kind == "checkin" and not trigger.get("kr"):
        return "a check-in comment in Jira"
    return _TRIGGER_WORDS.get(kind)


class _Said(dict[str, Any]):
    """A trigger's fields for its words; one it lacks reads as ``?``."""

    def __missing__(self, key: str) -> str:
        return "?"


def _epoch(value: Any) -> datetime | None:
    """A trigger's ``at``: epoch seconds, as a number or its text."""
    try:
        return moment(float(value))
    except (TypeError, ValueError):
        return moment(value) if isinstance(value, str) else None


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
