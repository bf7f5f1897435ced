"""The check-in comment's words (pure): what moved, by how much, since when, the link; no ids or hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from okr.history import Reading
from publish.jira import CheckinSince, checkin_comment, checkin_facts, checkin_since, person_date

AT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
STATUS: dict[str, Any] = {
    "okr_set": "shop-q4",
    "kr": "O1.KR2",
    "title": "Escaped bug share",
    "unit": "%",
    "current": 20.0,
    "baseline": 32.0,
    "target": 15.0,
    "score": 0.6,
    "health": "on_track",
    "expected": 0.4,
    "metric": "escaped_share",
    "metric_version": "9f1c2ab34de5",
    "count": 41,
    "evaluated": "local",
}
LINK = "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=65010"


def _reading(at: datetime, health: str, value: float, score: float) -> Reading:
    return Reading(at.isoformat(), value, None, None, score, health, (), "v1", 10, None, {})


def test_the_comment_says_what_moved_by_how_much_since_when_and_where_to_read_more() -> None:
    since = CheckinSince(datetime(2026, 11, 24, 10, tzinfo=UTC), 32.0, 0.3)
    text = checkin_comment(STATUS, "at_risk", "on_track", AT, since, LINK)
    assert text.splitlines() == [
        "OKR check-in — O1.KR2 Escaped bug share: at risk → on track.",
        "Since 24 Nov: 32 % → 20 % (target 15 %), score 0.30 → 0.60.",
        "Expected progress by now: 40%.",
        f"Details: {LINK}",
    ]
    assert "okrsync" not in text and STATUS["metric_version"] not in text and "escaped_share" not in text


def test_without_a_reading_to_compare_the_comment_says_where_the_kr_stands() -> None:
    text = checkin_comment(STATUS, "at_risk", "on_track", AT)
    assert text.splitlines()[1] == "Now 20 % (baseline 32 %, target 15 %), score 0.60."
    assert "Details" not in text


def test_a_keep_says_its_band_and_no_expected_progress() -> None:
    keep = {**STATUS, "kind": "keep", "kind_words": "keep ≤ 0: out of band (now 1)", "unit": "incidents"}
    keep.update(current=1.0, baseline=None, target=None, score=0.0, health="off_track")
    since = CheckinSince(datetime(2026, 12, 3, 8, tzinfo=UTC), 0.0, 1.0)
    assert checkin_comment(keep, "on_track", "off_track", AT, since, LINK).splitlines() == [
        "OKR check-in — O1.KR2 Escaped bug share: on track → off track.",
        "Since 3 Dec: 0 incidents → 1 incident (keep ≤ 0 incidents), score 1.00 → 0.00.",
        f"Details: {LINK}",
    ]
    assert checkin_comment(keep, "on_track", "off_track", AT).splitlines()[1] == (
        "Now 1 incident (keep ≤ 0 incidents), score 0.00."
    )


def test_a_date_reads_as_people_write_it_in_the_zone_with_the_year_only_when_another() -> None:
    shanghai = AT.astimezone(ZoneInfo("Asia/Shanghai"))
    assert person_date(datetime(2026, 11, 24, 20, tzinfo=UTC), shanghai) == "25 Nov"  # already the 25th there
    assert person_date(datetime(2025, 12, 30, tzinfo=UTC), AT) == "30 Dec 2025"


def test_since_is_the_reading_at_the_last_checkin_else_when_the_old_health_began() -> None:
    day = timedelta(days=1)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    readings = [
        _reading(start, "on_track", 10, 0.9),
        _reading(start + day, "at_risk", 25, 0.4),
        _reading(start + 2 * day, "at_risk", 28, 0.35),
        _reading(start + 3 * day, "on_track", 12, 0.8),  # the new health, already recorded
    ]
    last = start + day + timedelta(hours=2)
    assert checkin_since(readings, "at_risk", last) == CheckinSince(last, 25, 0.4)
    assert checkin_since(readings, "at_risk", None) == CheckinSince(start + day, 25, 0.4)
    assert checkin_since([], "at_risk", None) is None


def test_the_property_keeps_the_change_and_the_provenance() -> None:
    since = CheckinSince(datetime(2026, 11, 24, 10, tzinfo=UTC), 32.0, 0.3)
    facts = checkin_facts(STATUS, "at_risk", "on_track", AT, since)
    assert facts["kr"] == "shop-q4/O1.KR2" and facts["health"] == {"from": "at_risk", "to": "on_track"}
    assert facts["value"] == {"from": 32.0, "to": 20.0} and facts["score"] == {"from": 0.3, "to": 0.6}
    assert (facts["metric"], facts["metric_version"], facts["count"]) == ("escaped_share", "9f1c2ab34de5", 41)
    assert facts["since"] == "2026-11-24T10:00:00+00:00"


def test_a_keep_status_line_says_its_band_instead_of_a_target() -> None:
    from publish.jira import status_line

    keep = {**STATUS, "kr": "O1.KR4", "kind": "keep", "kind_words": "keep ≤ 0: holds (now 0)", "unit": "incidents"}
    keep.update(current=0.0, target=None, score=1.0, health="on_track")
    assert status_line(keep) == "O1.KR4 on track · 1.00 · 0 incidents, keep ≤ 0 incidents"
    assert status_line(STATUS) == "O1.KR2 on track · 0.60 · 20 → 15 %"
