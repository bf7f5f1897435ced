"""People's check-ins (pure): the values checked, the `/checkin` comment parsed safely, the flags."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.loader import load_config_document
from okr.checkin_flags import checkin_flags, with_checkins
from okr.checkins import (
    COMMENT_LIMIT,
    CheckIn,
    CheckInInvalid,
    CheckInWords,
    Malformed,
    age_words,
    check_in_words,
    parse_command,
)
from okr.evaluate import evaluate_report, evaluation_input
from okr.report import Report

NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------- values


def test_a_confidence_is_a_number_from_0_to_1_or_a_word() -> None:
    assert check_in_words(0.6).confidence == 0.6
    assert check_in_words(1).confidence == 1.0
    assert [check_in_words(w).confidence for w in ("low", "Medium", "HIGH")] == [0.3, 0.6, 0.9]


@pytest.mark.parametrize(
    ("given_value", "shown"),
    [(1.5, "1.5"), (-0.1, "-0.1"), (True, "True"), (None, "nothing"), ("very", "'very'"), (float("nan"), "nan")],
)
def test_a_bad_confidence_says_what_is_expected(given_value: object, shown: str) -> None:
    with pytest.raises(CheckInInvalid) as caught:
        check_in_words(given_value)
    assert str(caught.value) == f"confidence: must be a number from 0 to 1 or low/medium/high (got {shown})"


def test_texts_are_bounded_and_every_problem_is_named() -> None:
    with pytest.raises(CheckInInvalid) as caught:
        check_in_words(2, note="x" * 100_000, blockers=["no"], asks="a" * 501)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["confidence", "note", "blockers", "asks"]
    assert "note: is 100,000 characters long; at most 2,000 are kept" in str(caught.value)
    assert check_in_words(0.5, note="  late  ").note == "late"


# ---------------------------------------------------------------------------- the command


def test_the_example_command() -> None:
    parsed = parse_command("/checkin 0.6 Vendor API is late; need one QA person")
    assert parsed == CheckInWords(0.6, "Vendor API is late; need one QA person")


def test_words_blockers_and_asks_on_lines_or_parts() -> None:
    text = "/checkin high Going well; asks: one QA person\nblockers: staging is down\nMore detail\nAsk: a review"
    assert parse_command(text) == CheckInWords(
        0.9, "Going well\nMore detail", blockers="staging is down", asks="one QA person; a review"
    )
    assert parse_command("  /CheckIn\t.3") == CheckInWords(0.3)


def test_ordinary_comments_are_not_commands() -> None:
    for text in ("Added a comment", "/checkins 0.5", "see /checkin 0.5", "", None, 42):
        assert parse_command(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/checkin", "needs a confidence first"),
        ("/checkin Vendor API is late", "(got 'Vendor')"),
        ("/checkin 1.5 too sure", "(got '1.5')"),
        ("/checkin 1e-1 exponent", "(got '1e-1')"),
        ("/checkin 0.5 " + "x" * 2_001, "note: is 2,001 characters long"),
        ("/checkin 0.5 " + "x" * 100_000, "at most 3,200 are read"),
    ],
)
def test_a_malformed_command_says_why(text: str, reason: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Malformed)
    assert reason in parsed.reason


TEXT_OK = {"type": "text", "text": "ok"}


def test_a_rich_text_comment_is_read_as_text() -> None:
    adf = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "/checkin 0.7 "}, TEXT_OK]},
            {"type": "paragraph", "content": [{"type": "text", "text": "blockers: none really"}]},
        ],
    }
    assert parse_command(adf) == CheckInWords(0.7, "ok", blockers="none really")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=COMMENT_LIMIT + 50), st.sampled_from(["", "/checkin ", "/checkin 0.5 ", "/checkin high\n"]))
def test_the_parser_never_raises_on_any_text(text: str, head: str) -> None:
    parsed = parse_command(head + text)
    assert parsed is None or isinstance(parsed, CheckInWords | Malformed)
    if isinstance(parsed, CheckInWords):
        assert 0 <= parsed.confidence <= 1 and len(parsed.note) <= 2_000 and len(parsed.asks) <= 500


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([";", "\n", "blockers:", " ", "asks:;", "0.5", "é"]), st.integers(1_000, 60_000))
def test_the_parser_runs_in_bounded_time(motif: str, repeat: int) -> None:
    text = "/checkin 0.5 " + motif * repeat
    for given_text in (text, text[:COMMENT_LIMIT]):  # refused for its length; read whole
        started = time.perf_counter()
        parse_command(given_text)
        assert time.perf_counter() - started < 0.05


def test_age_in_words() -> None:
    assert age_words(NOW - timedelta(hours=2), NOW, UTC) == "today"
    assert age_words(NOW - timedelta(days=1), NOW, UTC) == "yesterday"
    assert age_words(NOW - timedelta(days=2, hours=1), NOW, UTC) == "2 days ago"


def test_a_check_in_round_trips() -> None:
    checkin = _checkin(0.6, NOW, comment_id="10019")
    assert CheckIn.from_dict(checkin.to_dict()) == checkin
    with pytest.raises(ValueError, match="not a stored check-in"):
        CheckIn.from_dict({**checkin.to_dict(), "source": "telepathy"})


# ---------------------------------------------------------------------------- flags


def _checkin(confidence: float, at: datetime, kr: str = "KR1", comment_id: str | None = None) -> CheckIn:
    return CheckIn(
        id=f"comment:{comment_id}" if comment_id else "t1",
        okr_set="app",
        kr=kr,
        author_id="5b10ac8d82e05b22cc7d4ef5",
        author_name="Mia Krystof",
        at=at,
        confidence=confidence,
        note="fine",
        blockers="",
        asks="",
        source="comment" if comment_id else "api",
        comment_id=comment_id,
    )


WEEK = timedelta(days=7)
START = datetime(2027, 1, 1, tzinfo=UTC)


def test_no_checkin_once_the_cycle_has_run_that_long() -> None:
    assert checkin_flags(None, "on_track", WEEK, START, START + timedelta(days=6)) == []
    assert checkin_flags(None, "on_track", WEEK, START, START + WEEK) == ["no_checkin"]
    recent = _checkin(0.6, NOW - timedelta(days=6))
    assert checkin_flags(recent, "on_track", WEEK, START, NOW) == []
    old = _checkin(0.6, NOW - timedelta(days=8))
    assert checkin_flags(old, "on_track", WEEK, START, NOW) == ["no_checkin"]


@pytest.mark.parametrize(
    ("confidence", "health", "disagrees"),
    [
        (0.7, "off_track", True),
        (0.9, "at_risk", False),
        (0.3, "on_track", True),
        (0.3, "done", True),
        (0.31, "on_track", False),
        (0.6, "off_track", False),
    ],
)
def test_confidence_disagrees(confidence: float, health: str, disagrees: bool) -> None:
    flags = checkin_flags(_checkin(confidence, NOW), health, WEEK, START, NOW)
    assert (flags == ["confidence_disagrees"]) is disagrees


def _config(**kr_extra: object):
    kr = {"id": "KR1", "title": "Activation", "metric": "activation", "baseline": 10, "target": 40, **kr_extra}
    return load_config_document(
        {
            "cycles": [{"id": "Q1", "start": "2027-01-01", "end": "2027-03-31"}],
            "metrics": {"activation": {"description": "activated share", "source": "push", "unit": "%"}},
            "okr_sets": [
                {
                    "id": "app",
                    "name": "App",
                    "cycle": "Q1",
                    "checkin_every": "14d",
                    "objectives": [
                        {"id": "O1", "title": "Learn", "key_results": [kr, {**kr, "id": "KR2", "checkin_every": "3d"}]}
                    ],
                }
            ],
        }
    )


def _report(at: datetime) -> Report:
    config = _config()
    return evaluate_report(config, evaluation_input(at, config, [], []))


def test_the_report_carries_the_latest_check_in_and_its_flags() -> None:
    config = _config()
    latest = {("app", "KR1"): _checkin(0.6, NOW - timedelta(days=5)), ("app", "KR2"): _checkin(0.2, NOW, "KR2")}
    report = with_checkins(_report(NOW), config, latest, NOW)
    kr1, kr2 = report.find("app", "KR1"), report.find("app", "KR2")
    assert kr1 is not None and kr2 is not None
    assert kr1.checkin == latest[("app", "KR1")] and "no_checkin" not in kr1.flags
    assert kr2.checkin is not None and kr2.checkin.confidence == 0.2
    later = with_checkins(report, config, latest, NOW + timedelta(days=4))  # KR2 every 3 days, KR1 every 14
    assert later.find("app", "KR2").flags.count("no_checkin") == 1  # type: ignore[union-attr]
    assert "no_checkin" not in later.find("app", "KR1").flags  # type: ignore[union-attr]
    assert Report.from_dict(later.to_dict()) == later
    without = with_checkins(later, config, {}, NOW + timedelta(days=4))
    assert without.find("app", "KR1").checkin is None  # type: ignore[union-attr]


def test_no_flags_once_the_cycle_has_ended() -> None:
    config, after = _config(), datetime(2027, 4, 10, tzinfo=UTC)
    report = with_checkins(_report(after), config, {}, after)
    assert all("no_checkin" not in e.kr.flags for e in report.key_results())


def test_a_huge_rich_text_comment_is_read_in_linear_time() -> None:
    words = [{"type": "text", "text": "x"}] * 200_000
    adf = {
        "type": "doc",
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "/checkin 1 "}, *words]}],
    }
    started = time.perf_counter()
    parsed = parse_command(adf)
    assert isinstance(parsed, Malformed) and "200,011 characters" in parsed.reason
    assert time.perf_counter() - started < 1.0
