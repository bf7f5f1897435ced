"""Headless Chromium on the emulator's page viewer: an OKR page's chart macro is drawn as a chart with
its series named, and the page fits a 1280 px window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_emulator
from mapping.loader import load_config_text
from okr.evaluate import evaluate_config, evaluation_input
from okr.report import SetReport
from publish.confluence.okr_page import Epic, counted_of, okr_set_page
from tests.emulator.conftest import Running, serve
from tests.emulator.issue_fixtures import SCENARIO
from tests.publish.sample import AT, CONFIG, context, documents, review_page, set_page
from tests.support.browser import chromium


@pytest.fixture
def site() -> Iterator[Running]:
    with serve(create_emulator(SCENARIO, flavor="cloud")) as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "profile") as chrome:
        yield chrome


def stored(site: Running, title: str, body: str) -> str:
    page = {"type": "page", "title": title, "space": {"key": "OKR"}, "body": {"storage": {"value": body}}}
    answer = site.app.test_client().post("/wiki/rest/api/content", json=page)
    assert answer.status_code == 200, answer.data
    return str(answer.get_json()["id"])


def test_the_viewer_draws_the_pages_chart_macros_within_1280_px(site: Running, browser: Any) -> None:
    okr_page = stored(site, "Shop OKRs", set_page().new_page_body())
    review = stored(site, "Problem review", review_page().new_page_body())
    browser.set_window_size(1280, 900)
    for page_id, legend in (
        (okr_page, ["value", "baseline", "target", "expected"]),
        (review, ["problems in the window"]),
    ):
        browser.get(f"{site.url}/view/pages/{page_id}")
        drawn = browser.execute_script(
            "const svg = document.querySelector('figure.chart svg');"
            "return {legend: [...svg.querySelectorAll('.legends .legend text')].map(t => t.textContent),"
            " width: svg.getBoundingClientRect().width,"
            " page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth};"
        )
        assert drawn["legend"] == legend and drawn["width"] > 300
        assert drawn["page"] <= drawn["viewport"] <= 1280, f"page {page_id} is {drawn['page']} px wide"


def test_the_okr_pages_tables_fit_their_panel_at_1024_px_with_long_cells(site: Running, browser: Any) -> None:
    long = "Averylongsummarywithoutanyspace" * 5
    cfg = load_config_text(CONFIG.replace("Escaped defects from 40% to 10% of bugs", long), "okrs.yaml")
    report = SetReport.from_dict(evaluate_config(cfg, evaluation_input(AT, cfg, documents()))["okr_sets"][0])
    issues = [{"key": f"SHOP-{n}", "summary": f"{long}{n}", "status": "To Do"} for n in range(1, 41)]
    shown = context(counted={"O1.KR1": counted_of(issues)}, epics={"O1.KR1": [Epic("SHOP-1", long, "In Progress")]})
    page_id = stored(site, "Shop OKRs", okr_set_page(cfg, cfg.okr_sets[0], report, shown).new_page_body())
    browser.set_window_size(1024, 900)
    browser.get(f"{site.url}/view/pages/{page_id}")
    overflow = browser.execute_script(
        "return [...document.querySelectorAll('table')].map(t => {"
        " const panel = t.closest('.macro') || document.body;"
        " return t.getBoundingClientRect().right - panel.getBoundingClientRect().right; });"
    )
    assert overflow and max(overflow) <= 0, f"a table runs {max(overflow):.0f} px past its panel"
    fits = browser.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert fits, "the page is wider than the window"
