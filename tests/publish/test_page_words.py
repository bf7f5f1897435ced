"""The OKR set page in plain words: what started it and when, definitions by number and day, counts
that say what was counted, delivery by epic counts, the issues counted listed by name."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mapping.loader import load_config_text
from mapping.measurements import Measurement
from okr.evaluate import evaluate_config, evaluation_input
from okr.report import SetReport
from okr.scope import ScopeFacts
from publish.confluence.okr_page import COUNTED_SHOWN, counted_of, delivery_words, okr_set_page
from publish.triggers import trigger_words
from publish.words import counted_words, numbered_version
from tests.publish.sample import AT, CONFIG, context, documents, set_page
from tests.publish.test_render import parsed

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
AT_0648 = str(datetime(2026, 11, 15, 6, 48, tzinfo=UTC).timestamp())


def visible(page) -> str:
    """The page's text as a reader sees it: macro parameters (ids, colours) left out."""
    root = parsed(page.new_page_body())
    for macro in root.iter():
        for parameter in [p for p in macro if p.tag.endswith("}parameter") and p.get(f"{{{AC}}}name") != "title"]:
            macro.remove(parameter)
    return "".join(root.itertext())


AC = "http://atlassian.com/content"


def test_the_set_page_shows_no_jargon() -> None:
    text = visible(set_page())
    assert "jira:" not in text, "an event name shows"
    assert not re.search(r"\bv-[0-9a-f]{6,}", text), "a definition hash shows"
    assert "(s)" not in text, "a count does not say what it counted"
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text), "a time in the old format shows"


@pytest.mark.parametrize(
    ("trigger", "said"),
    [
        (
            {"kind": "webhook", "event": "jira:issue_updated", "issue": "OPS-61", "at": AT_0648},
            "a Jira change to OPS-61 at 06:48",
        ),
        (
            {"kind": "webhook", "event": "jira:issue_created", "issue": "OPS-61", "at": AT_0648},
            "a new Jira issue OPS-61 at 06:48",
        ),
        ({"kind": "measurement", "metric": "nps", "at": AT_0648}, "a pushed measurement of nps at 06:48"),
        ({"kind": "sql", "metric": "uptime", "at": AT_0648}, "a warehouse query of uptime at 06:48"),
        ({"kind": "resync"}, "a full resync from Jira"),
        ({"kind": "config", "revision": "4", "author": "alice"}, "a configuration change (revision 4 by alice)"),
        ({"kind": "schedule", "coalesced": "3"}, "a scheduled recomputation, with 3 changes taken together"),
        ({"kind": "rescope", "kr": "shop/O1.KR1", "author": "ana"}, "a rescope of shop/O1.KR1 by ana"),
        ({"kind": "checkin", "event": "comment_created", "comment": "10"}, "a check-in comment in Jira"),
        ({"kind": "something_new"}, "something new"),
        (None, "a scheduled recomputation"),
    ],
)
def test_every_trigger_reads_in_words(trigger, said) -> None:
    assert trigger_words(trigger, UTC, NOW) == said


def test_a_trigger_of_another_day_says_its_day_in_the_configured_zone() -> None:
    yesterday = str(datetime(2026, 11, 14, 22, 30, tzinfo=UTC).timestamp())  # 23:30 in Berlin
    said = trigger_words({"kind": "resync", "at": yesterday}, ZoneInfo("Europe/Berlin"), NOW)
    assert said == "a full resync from Jira at 14 Nov 2026, 23:30"
    assert trigger_words({"kind": "resync", "at": "not a time"}, UTC, NOW) == "a full resync from Jira"


def test_the_counted_issues_are_listed_twenty_and_the_rest_counted() -> None:
    issues = [{"key": f"SHOP-{n}", "summary": f"Bug {n}", "status": "To Do"} for n in range(60, 0, -1)]
    page = set_page(counted={"O1.KR1": counted_of(issues)})
    root = parsed(page.new_page_body())
    links = [a.get("href") for a in root.iter("a")]
    listed = [f"https://acme.atlassian.net/browse/SHOP-{n}" for n in range(1, COUNTED_SHOWN + 1)]
    assert links == ["https://acme.atlassian.net/browse/SHOP-1", *listed]  # the epic, then the first 20 in key order
    text = "".join(root.itertext())
    assert "O1.KR1 (60 issues): SHOP-1 Bug 1; SHOP-2 Bug 2;" in text
    assert "SHOP-20 Bug 20; and 40 more" in text and "SHOP-21" not in text


def test_a_kr_without_counted_issues_lists_none() -> None:
    text = "".join(parsed(set_page(counted={}).new_page_body()).itertext())
    assert "Issues counted" not in text


def test_delivery_says_the_epics_by_count() -> None:
    _, result = _kr_result()
    scope = ScopeFacts(
        recorded_at="2026-10-01T00:00:00+00:00",
        first_seen=False,
        total=6,
        done=4,
        added=2,
        added_done=0,
        descoped=(("SHOP-7", "2026-11-12T09:00:00+00:00"),),
        rescoped=None,
    )
    said = delivery_words(replace(result, scope=scope))
    assert said == "4 of 6 epics done · 2 added · 1 descoped (SHOP-7 on 12 Nov) · outcome 67% · scope set at the start"
    assert delivery_words(replace(result, scope=None)) == "epics 100% done · outcome 67%"
    assert delivery_words(replace(result, delivery=None)) == "no contributing epics"


def test_a_pushed_measurement_says_who_pushed_it() -> None:
    text = visible(_push_page(pushed_by={"nps": "analytics"}))
    assert "nps · current definition · 1 measurement pushed by analytics" in text
    assert "1 measurement pushed ·" not in visible(_push_page(pushed_by={}))


def test_a_definition_the_history_does_not_hold_reads_as_the_current_one() -> None:
    text = visible(set_page(metric_history={}))
    assert "escaped_share · current definition · 10 issues" in text
    assert "Metric definitions changed in this cycle" in text and "No metric definition changed" in text


def _kr_result():
    cfg = load_config_text(CONFIG, "okrs.yaml")
    report = evaluate_config(cfg, evaluation_input(AT, cfg, documents()))
    found = SetReport.from_dict(report["okr_sets"][0])
    return cfg, found.objectives[0].key_results[0]


PUSH = CONFIG.replace(
    "okr_sets:",
    "  nps:\n    source: push\n    description: Net promoter score\nokr_sets:",
).replace(
    "          - id: O1.KR2\n",
    "          - {id: O1.KR3, title: Customers recommend us, metric: nps, baseline: 10, target: 40}\n"
    "          - id: O1.KR2\n",
)


def _push_page(**overrides):
    cfg = load_config_text(PUSH, "okrs.yaml")
    pushed = [Measurement(metric="nps", value=25, at=datetime(2026, 11, 14, 9, 0, tzinfo=UTC), source="analytics")]
    report = evaluate_config(cfg, evaluation_input(AT, cfg, documents(), pushed))
    return okr_set_page(cfg, cfg.okr_sets[0], SetReport.from_dict(report["okr_sets"][0]), context(**overrides))


def test_a_warehouse_value_says_its_readings_and_when_they_were_fetched() -> None:
    cfg, given_report = _set_report()
    kr = given_report.objectives[0].key_results[0]
    fetched = {
        "connection": "analytics",
        "query_digest": "ab12cd34",
        "rows": 1,
        "fetched_at": "2026-11-15T09:14:00+00:00",
    }
    objective = replace(given_report.objectives[0], key_results=(replace(kr, provenance=fetched),))
    page = okr_set_page(cfg, cfg.okr_sets[0], replace(given_report, objectives=(objective,)), context())
    text = visible(page)
    assert "1 warehouse reading from connection analytics, fetched at 09:14" in text and "ab12cd34" not in text


def test_a_definition_put_back_in_force_keeps_its_number() -> None:
    history = [
        {"version": "v-aaaaaaaaaaaa", "at": "2026-10-01T08:00:00+00:00"},
        {"version": "v-bbbbbbbbbbbb", "at": "2026-11-03T08:00:00+00:00"},
        {"version": "v-aaaaaaaaaaaa", "at": "2026-11-20T08:00:00+00:00"},
    ]
    assert numbered_version("v-aaaaaaaaaaaa", history, UTC) == "definition v1 (since 20 Nov)"
    assert numbered_version("v-bbbbbbbbbbbb", history, UTC) == "definition v2 (since 3 Nov)"
    assert numbered_version("v-cccccccccccc", history, UTC) is None


@pytest.mark.parametrize(
    ("count", "source", "said"),
    [
        (60, "jira", "60 issues"),
        (1, "jira", "1 issue"),
        (1, "push", "1 measurement pushed"),
        (1, "sql", "1 warehouse reading"),
        (3, "problems", "3 problems"),
        (0, "jira", "no issues yet"),
        (0, "push", "no measurements yet"),
    ],
)
def test_a_count_names_what_it_counted(count, source, said) -> None:
    assert counted_words(count, source) == said


def _set_report():
    cfg = load_config_text(CONFIG, "okrs.yaml")
    report = evaluate_config(cfg, evaluation_input(AT, cfg, documents()))
    return cfg, SetReport.from_dict(report["okr_sets"][0])
