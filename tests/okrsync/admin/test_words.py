"""The admin pages' plain words (pure): one time format in the configuration's zone, and the sync
health verdict."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from publish.words import clock, moment, verdict, when, zone_name

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def test_every_stored_form_of_a_time_reads_the_same_to_the_minute_in_the_zone() -> None:
    for stored in (
        "2026-12-03T13:02:41.318141+00:00",
        "2026-12-03T13:02:41Z",
        "2026-12-03T13:02:41",
        datetime(2026, 12, 3, 13, 2, 41, tzinfo=UTC),
        datetime(2026, 12, 3, 13, 2, 41, tzinfo=UTC).timestamp(),
    ):
        assert when(stored, BERLIN) == "3 Dec 2026, 14:02", stored
    assert when("2026-12-03T13:02:00Z", UTC) == "3 Dec 2026, 13:02"


def test_no_time_or_an_unreadable_one_is_a_dash() -> None:
    for nothing in (None, "", "yesterday", float("nan"), 0, -5.0):
        assert when(nothing, UTC) == "—"
        assert moment(nothing) is None


def test_a_time_of_today_reads_as_its_clock_an_older_one_with_its_day() -> None:
    assert clock("2026-12-03T08:14:00Z", BERLIN, NOW) == "09:14"
    assert clock("2026-12-01T08:14:00Z", BERLIN, NOW) == "1 Dec 2026, 09:14"


def test_the_zone_is_named_by_its_key() -> None:
    assert zone_name(BERLIN, NOW) == "Europe/Berlin" and zone_name(UTC, NOW) == "UTC"


def failure(target: str, since: str, status: int | None, issue: str | None = "SHOP-1") -> dict[str, object]:
    return {"target": target, "issue": issue, "since": since, "status": status, "reason": "…"}


def page(written_at: str | None, failed_at: str | None) -> dict[str, object]:
    return {"kind": "okr_set", "id": "shop", "written_at": written_at, "failed_at": failed_at}


def review(written_at: str) -> dict[str, object]:
    return {"kind": "problem_review", "id": "plat", "written_at": written_at, "failed_at": None}


def test_nothing_failing_is_all_current() -> None:
    status = {"failing": [], "pages": [page("2026-12-03T09:00:00Z", None)]}
    assert verdict(status, BERLIN, NOW) == ("All current", "ok")
    assert verdict({}, BERLIN, NOW) == ("All current", "ok")


def test_refused_targets_are_counted_since_the_first_failure() -> None:
    status = {
        "failing": [
            failure("property:SHOP-1", "2026-12-03T08:30:00Z", 403),
            failure("fields:SHOP-2", "2026-12-03T08:14:00Z", 400),
        ],
        "pages": [page("2026-12-03T09:00:00Z", None)],
    }
    assert verdict(status, BERLIN, NOW) == ("2 targets failing since 09:14", "bad")


def test_one_failing_remote_metric_is_one_target() -> None:
    status = {"failing": [failure("remote metric m@now", "2026-12-02T08:14:00Z", None, issue=None)], "pages": []}
    assert verdict(status, BERLIN, NOW) == ("1 target failing since 2 Dec 2026, 09:14", "bad")


def test_writes_jira_never_answered_say_jira_is_unreachable() -> None:
    status = {
        "failing": [
            failure("property:SHOP-1", "2026-12-03T08:14:00Z", None),
            failure("fields:SHOP-1", "2026-12-03T08:20:00Z", 503),
        ],
        "pages": [],
    }
    assert verdict(status, BERLIN, NOW) == ("Jira unreachable since 09:14", "bad")


def test_every_page_failing_says_confluence_is_unreachable_one_page_is_a_failing_target() -> None:
    down = {
        "failing": [],
        "pages": [
            page(None, "2026-12-03T08:14:00Z"),
            page("2026-12-03T07:00:00Z", "2026-12-03T08:40:00Z"),
            review("2026-12-02T07:00:00Z"),  # written once, long ago: says nothing of Confluence now
        ],
    }
    assert verdict(down, BERLIN, NOW) == ("Confluence unreachable since 09:14", "bad")
    one = {"failing": [], "pages": [page(None, "2026-12-03T08:14:00Z"), page("2026-12-03T09:00:00Z", None)]}
    assert verdict(one, BERLIN, NOW) == ("1 target failing since 09:14", "bad")


def test_values_are_rounded_to_what_a_reader_uses_and_carry_their_unit() -> None:
    from okrsync.admin.views import number, with_unit

    assert [number(v) for v in (31.6667, 40.0, 2.456, 0.01234, -0.0, 1234.56, 2.5e7)] == [
        "31.7",
        "40",
        "2.46",
        "0.012",
        "0",
        "1234.6",
        "2.5e+07",
    ]
    assert with_unit(15.0, "%") == "15 %" and with_unit(31.6667, "orders") == "31.7 orders"
    assert with_unit(None, "%") == "—" and with_unit(3.0, None) == "3"


def test_a_definition_version_reads_by_its_number_and_day() -> None:
    from publish.words import definition_version

    history = [
        {"version": "v-aaaaaaaaaaaa", "at": "2026-10-01T08:00:00+00:00", "author": "alice"},
        {"version": "v-bbbbbbbbbbbb", "at": "2026-11-03T08:00:00+00:00", "author": "bob"},
    ]
    assert definition_version("v-bbbbbbbbbbbb", history, UTC) == "definition v2 (since 3 Nov)"
    assert definition_version("v-cccccccccccc", history, UTC) == "v-cccccccccccc"
    assert definition_version(None, history, UTC) == "—"


def test_a_set_heading_says_each_word_once() -> None:
    from publish.words import set_subtitle

    assert set_subtitle("company", "company", "company", "this-quarter", None) == "cycle this-quarter"
    assert set_subtitle("Northwind company OKRs", "northwind", "company", "q4", "Ana Ruiz") == "cycle q4 · Ana Ruiz"
    assert set_subtitle("Shop", "shop-team", "team", "q4", None) == "shop-team · team · cycle q4"


def test_the_issues_counted_read_twenty_by_name_and_the_rest_counted() -> None:
    from okrsync.admin.views import counted_view
    from publish.confluence.okr_page import counted_of

    counted = counted_of([{"key": f"SHOP-{n}", "summary": f"Bug {n}"} for n in range(1, 61)])
    shown = counted_view(counted, "https://acme.atlassian.net")
    assert [i["key"] for i in shown["issues"]] == [f"SHOP-{n}" for n in range(1, 21)]
    assert shown["issues"][0] == {
        "key": "SHOP-1",
        "summary": "Bug 1",
        "url": "https://acme.atlassian.net/browse/SHOP-1",
    }
    assert shown["more"] == "and 40 more"
    assert counted_view(counted_of([{"key": "SHOP-1"}]), None) == {
        "issues": [{"key": "SHOP-1", "summary": "", "url": None}],
        "more": None,
    }
