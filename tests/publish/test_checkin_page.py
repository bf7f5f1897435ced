"""The latest check-in on the OKR page: its confidence, words, author's name and age; hostile words as text;
the check-in flags shown where flags are."""

from __future__ import annotations

from datetime import timedelta

from okr.checkin_flags import with_checkins
from okr.checkins import CheckIn
from okr.report import Report
from publish.confluence.okr_page import okr_set_page
from publish.jira import kr_statuses
from tests.publish.sample import AT, HOSTILE, context, evaluated
from tests.publish.test_render import parsed


def _checked_in(note: str, confidence: float = 0.9):
    cfg, _, document = evaluated()
    set_id = cfg.okr_sets[0].id
    kr_id = cfg.okr_sets[0].objectives[0].key_results[0].id
    checkin = CheckIn(
        id="t",
        okr_set=set_id,
        kr=kr_id,
        author_id="5b10ac8d82e05b22cc7d4ef5",
        author_name="Mia Krystof",
        at=AT - timedelta(days=2),
        confidence=confidence,
        note=note,
        blockers="QA env",
        asks="",
        source="comment",
        comment_id="1",
    )
    report = with_checkins(Report.from_dict(document), cfg, {(set_id, kr_id): checkin}, AT)
    return cfg, report, kr_id


def test_the_page_shows_the_latest_check_in_with_its_age_and_author() -> None:
    cfg, report, kr_id = _checked_in("Vendor API is late")
    page = okr_set_page(cfg, cfg.okr_sets[0], report.okr_sets[0], context())
    markup = "".join(m for _, m in page.regions)
    assert "Check-in 2 days ago by Mia Krystof: confidence 0.9 (high) · Vendor API is late · blockers: QA env" in markup
    assert "no_checkin" not in report.okr_sets[0].objectives[0].key_results[0].flags
    status = kr_statuses(cfg, report)[(cfg.okr_sets[0].id, kr_id)]
    assert status["checkin"] == {
        "confidence": 0.9,
        "note": "Vendor API is late",
        "blockers": "QA env",
        "asks": "",
        "author": "Mia Krystof",
        "at": (AT - timedelta(days=2)).isoformat(),
        "source": "comment",
    }


def test_hostile_check_in_words_are_text() -> None:
    cfg, report, _ = _checked_in(HOSTILE)
    page = okr_set_page(cfg, cfg.okr_sets[0], report.okr_sets[0], context())
    for name, markup in page.regions:
        parsed(markup)  # well-formed
        assert "<script>" not in markup, name


def test_the_check_in_flags_show_where_flags_are() -> None:
    cfg, _, document = evaluated()
    report = with_checkins(Report.from_dict(document), cfg, {}, AT)
    markup = "".join(m for _, m in okr_set_page(cfg, cfg.okr_sets[0], report.okr_sets[0], context()).regions)
    assert "NO CHECK-IN" in markup
    cfg, doubtful, _ = _checked_in("going to miss", confidence=0.2)
    assert doubtful.okr_sets[0].objectives[0].key_results[0].health == "on_track"
    markup = "".join(m for _, m in okr_set_page(cfg, cfg.okr_sets[0], doubtful.okr_sets[0], context()).regions)
    assert "CONFIDENCE DISAGREES" in markup
