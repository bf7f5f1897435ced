"""How numbers, progress, trends and health read on a Confluence page (pure, plain text out).

Bars and trends are text (block characters), so they render the same in Confluence's view, its
editor, exports and any storage-format viewer, with no styling that an edit could drop. Every
formatter takes any float a metric may hold (huge, tiny, NaN from old data, an infinity) and never
raises: NaN reads as no value (—), an infinity as ∞.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from urllib.parse import quote

BAR_CELLS = 10
SPARKS = "▁▂▃▄▅▆▇█"
TREND_SHOWN = 8
MESSAGE_LIMIT = 250  # Confluence keeps version comments short
PERCENT_SPELLED_OUT = 1e9  # a larger percentage reads like 1.2e+12%


@dataclass(frozen=True)
class Status:
    """A Confluence status macro: a coloured lozenge."""

    colour: str  # Green | Yellow | Red | Grey | Blue | Purple
    title: str


HEALTH_STATUS = {
    "done": Status("Blue", "DONE"),
    "on_track": Status("Green", "ON TRACK"),
    "at_risk": Status("Yellow", "AT RISK"),
    "off_track": Status("Red", "OFF TRACK"),
    "missed": Status("Purple", "MISSED"),
    "not_measured": Status("Grey", "NOT MEASURED"),
}
FLAG_STATUS = {
    "stale": Status("Grey", "STALE"),
    "output_without_outcome": Status("Red", "OUTPUT WITHOUT OUTCOME"),
    "reading_overdue": Status("Red", "READING OVERDUE"),
    "target_missed": Status("Red", "TARGET MISSED"),
    "descoped_work": Status("Yellow", "DESCOPED WORK"),
    "leading_without_lagging": Status("Red", "LEADING WITHOUT LAGGING"),
    "decision_due": Status("Yellow", "DECISION DUE"),
    "no_checkin": Status("Yellow", "NO CHECK-IN"),
    "confidence_disagrees": Status("Yellow", "CONFIDENCE DISAGREES"),
    "no_owner": Status("Red", "NO OWNER"),
    "no_due_date": Status("Yellow", "NO DUE DATE"),
    "overdue": Status("Red", "OVERDUE"),
    "watching": Status("Blue", "WATCHING"),
    "effective": Status("Green", "EFFECTIVE"),
    "ineffective": Status("Red", "INEFFECTIVE"),
    "candidate": Status("Yellow", "AP CANDIDATE"),
    "covered": Status("Grey", "AP OPEN"),
}


def health_status(health: str) -> Status:
    return HEALTH_STATUS.get(health, Status("Grey", health.replace("_", " ").upper()))


def flag_status(flag: str) -> Status:
    return FLAG_STATUS.get(flag, Status("Grey", flag.replace("_", " ").upper()))


def reading_due_text(due: date) -> str:
    """What a ``reading_overdue`` KR says: ``first reading was due on 1 Nov 2026``."""
    return f"first reading was due on {due.day} {due:%b %Y}"


def number(value: float | None) -> str:
    """2 decimals at most, no trailing zeros; an em dash for no value (or NaN), ∞ for an infinity."""
    if value is None or not math.isfinite(value):
        return non_finite_text(value)
    rounded = round(value, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:g}" if abs(rounded) < 1e15 else f"{value:.3g}"


def non_finite_text(value: float | None) -> str:
    """What a page shows for no value, NaN (left by old data) and the infinities."""
    if value is None or math.isnan(value):
        return "—"
    return "∞" if value > 0 else "-∞"


def with_unit(value: float | None, unit: str | None) -> str:
    text = number(value)
    if value is None or math.isnan(value) or not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit_for(value, unit)}"


def unit_suffix(value: object, unit: str | None) -> str:
    """' incidents', ' incident' for exactly one, ' %'; nothing without a unit: what follows a value in a line."""
    if not unit:
        return ""
    return f" {unit_for(value, unit) if isinstance(value, int | float) else unit}"


def unit_for(value: float, unit: str) -> str:
    """A plural word unit in the singular for exactly one ("1 incident", "1 hour"); symbols and short
    units ("ms", "kg", "%") and words that are not plain plurals ("status", "class") stay as they are."""
    plain_plural = len(unit) >= 4 and unit.isalpha() and unit.islower() and unit.endswith("s")
    if value == 1 and plain_plural and not unit.endswith(("ss", "us", "is")):
        return unit[:-1]
    return unit


def score_text(score: float | None) -> str:
    if score is None or not math.isfinite(score):
        return non_finite_text(score)
    return f"{score:.2f}"


def percent(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    hundredths = value * 100
    if not math.isfinite(hundredths):
        return f"{non_finite_text(hundredths)}%"
    if abs(hundredths) >= PERCENT_SPELLED_OUT:
        return f"{hundredths:.3g}%"
    return f"{round(hundredths):d}%"  # an int: never "-0%"


def progress_bar(progress: float | None) -> str:
    """``███████░░░ 70%``; the percentage keeps regressions (< 0) and overshoot (> 100%)."""
    if progress is None or math.isnan(progress):
        return "—"
    filled = round(min(max(progress, 0.0), 1.0) * BAR_CELLS)
    return "█" * filled + "░" * (BAR_CELLS - filled) + f" {percent(progress)}"


def sparkline(values: Sequence[float]) -> str:
    """The recent values as block heights, oldest first; a value that is not finite is a gap."""
    shown = list(values)[-TREND_SHOWN:]
    finite = [v for v in shown if math.isfinite(v)]
    if not finite:
        return " " * len(shown)
    low, high = min(finite), max(finite)
    return "".join(_spark(v, low, high) for v in shown)


def _spark(value: float, low: float, high: float) -> str:
    if not math.isfinite(value):
        return " "
    if high == low:
        return SPARKS[3]
    return SPARKS[round(position(value, low, high) * (len(SPARKS) - 1))]


def position(value: float, low: float, high: float) -> float:
    """Where ``value`` lies between ``low`` < ``high`` (finite), from 0 to 1, even when the span
    itself overflows (-1e308 to 1e308)."""
    span = high - low
    share = (value / 2 - low / 2) / (high / 2 - low / 2) if math.isinf(span) else (value - low) / span
    return min(max(share, 0.0), 1.0)


def trend_text(values: Sequence[float], unit: str | None) -> str:
    """``▁▄█ 20 → 30 → 40%``: the shape, then the last few values."""
    if not values:
        return "—"
    if len(values) == 1:
        return f"{with_unit(values[0], unit)} (first reading)"
    last = [number(v) for v in list(values)[-4:]]
    tail = " → ".join(last)
    return f"{sparkline(values)} {tail}{'%' if unit == '%' else (' ' + unit if unit else '')}"


def local_time(at: datetime, tz: tzinfo) -> str:
    """``3 Dec 2026, 14:02 CET``: a time as every page says it, in the configured zone, to the minute."""
    local = at.astimezone(tz)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname() or ''}".strip()


def local_day(at: datetime, tz: tzinfo) -> str:
    """``3 Dec 2026`` in the configured zone."""
    local = at.astimezone(tz)
    return f"{local.day} {local:%b %Y}"


def browse_url(jira_url: str | None, key: str) -> str | None:
    if not jira_url:
        return None
    return f"{jira_url.rstrip('/')}/browse/{quote(key, safe='')}"


Facts = Mapping[str, Sequence[str]]  # "O1.KR2" → [health, score, current]; "candidates" → ["3"]


def change_summary(old: Facts | None, new: Facts) -> str:
    """The version comment: ``O1.KR2 at_risk → on_track; O2.KR1 0.40 → 0.55``."""
    if old is None:
        return "Created by OKR Sync"
    changes = [_change(label, old.get(label), values) for label, values in new.items()]
    changes += [f"{label} removed" for label in old if label not in new]
    said = [c for c in changes if c]
    if not said:
        return "OKR Sync: details updated (trend, delivery, epics or wording); no score or health changed"
    return _capped("; ".join(said))


def _change(label: str, before: Sequence[str] | None, after: Sequence[str]) -> str:
    if before is None:
        return f"{label} added"
    moved = [f"{b} → {a}" for b, a in zip(before, after, strict=False) if b != a]
    headline = [f"{b} → {a}" for b, a in list(zip(before, after, strict=False))[:2] if b != a]  # health, score
    shown = headline or moved[:1]  # the value itself only when neither health nor score moved
    return f"{label} {', '.join(shown)}" if shown else ""


def _capped(text: str) -> str:
    if len(text) <= MESSAGE_LIMIT:
        return text
    cut = text[: MESSAGE_LIMIT - 12].rsplit("; ", 1)[0]
    return f"{cut}; and more"


def trend_values(values: Sequence[float], unit: str | None) -> str:
    """``40 → 31.67 → 15 ms``: the last values a KR moved through (the chart below the table draws them)."""
    if not values:
        return "—"
    return " → ".join(number(v) for v in list(values)[-4:]) + ("%" if unit == "%" else (f" {unit}" if unit else ""))
