"""The rendered regions: goldens, well-formed storage format, hostile text shown as text."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from xml.dom import minidom

import pytest

from mapping.loader import load_config_text
from okr.evaluate import evaluate_config, evaluation_input
from okr.report import SetReport
from publish.confluence.okr_page import Epic, RenderedPage, okr_set_page
from publish.confluence.regions import page_regions
from tests.publish.sample import CONFIG, HOSTILE, context, documents, evaluated, review_page, set_page

GOLDEN = Path(__file__).parent / "golden"
AC, RI = "http://atlassian.com/content", "http://atlassian.com/resource/identifier"


def parsed(storage: str) -> ElementTree.Element:
    """Storage format as Confluence reads it: a fragment with the ac:/ri: namespaces declared."""
    return ElementTree.fromstring(f'<root xmlns:ac="{AC}" xmlns:ri="{RI}">{storage}</root>')


def readable(page: RenderedPage) -> str:
    """One indented block per region, so a golden diff shows what changed."""
    blocks = []
    for name, markup in page.regions:
        pretty = minidom.parseString(f'<region xmlns:ac="{AC}" xmlns:ri="{RI}">{markup}</region>').toprettyxml(
            indent=" "
        )
        blocks.append(f"== {name} ==\n" + "\n".join(line for line in pretty.splitlines()[1:] if line.strip()))
    return "\n".join(blocks) + "\n"


@pytest.mark.parametrize("name, page", [("okr_set", set_page), ("problem_review", review_page)])
def test_regions_match_the_golden(name, page) -> None:
    golden = GOLDEN / f"{name}.txt"
    text = readable(page())
    if os.environ.get("UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        f"rendered regions differ from {golden} (UPDATE_GOLDEN=1 rewrites it)"
    )


@pytest.mark.parametrize("page", [set_page, review_page])
def test_a_new_page_is_well_formed_storage_format(page) -> None:
    rendered = page()
    root = parsed(rendered.new_page_body())
    assert [name for name, _ in rendered.regions] == list(page_regions(rendered.new_page_body()))
    statuses = root.findall(f".//{{{AC}}}structured-macro[@{{{AC}}}name='status']")
    colours = {p.text for s in statuses for p in s.findall(f"{{{AC}}}parameter") if p.get(f"{{{AC}}}name") == "colour"}
    assert colours and colours <= {"Green", "Yellow", "Red", "Grey", "Blue"}


def test_the_set_page_says_what_a_reader_needs() -> None:
    text = "".join(parsed(set_page().new_page_body()).itertext())
    for expected in (
        "As of 15 Nov 2026, 12:00 UTC",
        "after a Jira change to SHOP-5 at 11:58.",
        "cycle 2026-Q4 (1 Oct 2026 – 31 Dec 2026)",
        "40% → 20% → 10%",
        "0.67",
        "███████░░░ 67%",
        "20 → 25 → 30%",  # the values it moved through; the chart macro below the table draws them
        "1 of 1 epic done · outcome 67% · scope as first seen on 15 Nov",
        "escaped_share · definition v2 (since 2 Nov) · 10 issues",
        "definition changed on 2 Nov 2026 (to v2)",
        "2 Nov 2026: the definition of escaped_share changed to v2 (b)",
        "Issues counted",
        "O1.KR1 (10 issues): SHOP-2 Bug 2; SHOP-3 Bug 3;",
        "No survey yet; first reading in December",
        "Contract tests for payments (Done)",
        "ON TRACK",
        "NOT MEASURED",
    ):
        assert expected in text, expected


def test_done_epics_with_no_outcome_are_flagged() -> None:
    docs = [{**d, "labels": ["escaped"]} if d["key"] in ("SHOP-4", "SHOP-5") else d for d in documents()]
    cfg, _, report = evaluated(docs)
    page = okr_set_page(cfg, cfg.okr_sets[0], SetReport.from_dict(report["okr_sets"][0]), context())
    text = "".join(parsed(page.new_page_body()).itertext())
    assert "1 of 1 epic done · outcome 0%" in text and "OUTPUT WITHOUT OUTCOME" in text


def test_epics_link_to_jira() -> None:
    root = parsed(set_page().new_page_body())
    counted = [f"https://acme.atlassian.net/browse/SHOP-{n}" for n in range(2, 12)]  # the issues counted
    assert [a.get("href") for a in root.iter("a")] == ["https://acme.atlassian.net/browse/SHOP-1", *counted]


def hostile_title_page() -> RenderedPage:
    cfg = load_config_text(CONFIG.replace("Escaped defects from 40% to 10% of bugs", json.dumps(HOSTILE)), "okrs.yaml")
    report = evaluate_config(cfg, evaluation_input(context().at, cfg, documents()))
    return okr_set_page(cfg, cfg.okr_sets[0], SetReport.from_dict(report["okr_sets"][0]), context())


@pytest.mark.parametrize("source", ["epic summary", "KR title", "trigger issue"])
def test_hostile_text_is_shown_as_text(source: str) -> None:
    if source == "epic summary":
        page = set_page(epics={"O1.KR1": [Epic("SHOP-1", HOSTILE, "Done")]})
    elif source == "KR title":
        page = hostile_title_page()
    else:
        page = set_page(trigger={"kind": "webhook", "issue": HOSTILE})
    body = page.new_page_body()
    root = parsed(body)
    assert not root.findall(f".//{{{AC}}}structured-macro[@{{{AC}}}name='html']")
    assert not root.findall(".//script") and not root.findall(".//b")
    assert HOSTILE in "".join(root.itertext())
    assert "]]>" not in body.replace("]]&gt;", "")
    assert list(page_regions(body)) == [name for name, _ in page.regions]


def test_a_hostile_summary_on_the_review_page_is_text() -> None:
    docs = [d if d["key"] != "PLAT-4" else {**d, "summary": HOSTILE} for d in documents()]
    root = parsed(review_page(docs).new_page_body())
    assert not root.findall(f".//{{{AC}}}structured-macro[@{{{AC}}}name='html']")
    assert HOSTILE in "".join(root.itertext())


def test_characters_xml_cannot_carry_are_replaced() -> None:
    body = set_page(epics={"O1.KR1": [Epic("SHOP-1", "bell\x07 and nul\x00", "Done")]}).new_page_body()
    assert "bell\ufffd and nul\ufffd" in "".join(parsed(body).itertext())


def test_the_as_of_stamp_does_not_change_the_content_digest() -> None:
    first = set_page()
    later = set_page(at=first_at_plus_hours(3), trigger={"kind": "schedule"})
    assert dict(first.regions)["as-of"] != dict(later.regions)["as-of"]
    assert first.content_digest == later.content_digest
    assert set_page(trends={"O1.KR1": [20.0, 30.0]}).content_digest != first.content_digest


def first_at_plus_hours(hours: int):
    from datetime import timedelta

    return context().at + timedelta(hours=hours)


def test_the_review_page_shows_the_digest() -> None:
    text = "".join(parsed(review_page().new_page_body()).itertext())
    for expected in (
        "1 Nov 2026 – 15 Nov 2026",
        "system · Search",
        "2 × 4 = 8",
        "System problems keep recurring in Search",
        "owner pm@example.com",
        "due 29 Nov",
        "PLAT-9",
        "no owner",
        "1 Nov 2026",
        "OVERDUE",
        "NO OWNER",
        "INEFFECTIVE",
        "judged 7 Nov 2026",
    ):
        assert expected in text, expected
