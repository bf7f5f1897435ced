"""Headless Chromium on the emulator's issue view: the web links and the check-in comment are visible,
and the page does not overflow a 1280 px window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_emulator
from tests.emulator.conftest import Running, serve
from tests.emulator.issue_fixtures import SCENARIO, contributor_epic
from tests.support.browser import chromium

LONG_TITLE = "O1.KR3 " + "Unbroken" * 60  # one 480-character word


@pytest.fixture
def site() -> Iterator[Running]:
    with serve(create_emulator(SCENARIO, flavor="cloud")) as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "profile") as chrome:
        yield chrome


def test_the_issue_view_shows_links_and_comment_within_1280_px(site: Running, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    client = site.app.test_client()
    key = contributor_epic(client)
    long_link = {"object": {"url": "https://example.com/" + "x" * 300, "title": LONG_TITLE}}
    assert client.post(f"/rest/api/2/issue/{key}/remotelink", json=long_link).status_code == 201
    browser.set_window_size(1280, 900)
    browser.get(f"{site.url}/browse/{key}")

    links = browser.find_element(By.ID, "web-links")
    on_track = links.find_element(By.PARTIAL_LINK_TEXT, "O1.KR2 Escaped bug share")
    assert on_track.is_displayed() and on_track.get_attribute("href").endswith("/wiki/spaces/OKR/pages/65001")
    done = links.find_element(By.PARTIAL_LINK_TEXT, "O1.KR1 Median time to restore")
    assert done.is_displayed()
    assert "line-through" in browser.execute_script(
        "return getComputedStyle(arguments[0].closest('del')).textDecorationLine", done
    )
    comment = browser.find_element(By.CSS_SELECTOR, "#comments .comment")
    assert comment.is_displayed() and "OKR check-in" in comment.text and "OKR Sync" in comment.text
    assert browser.find_element(By.ID, "details").is_displayed()
    width, viewport = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= viewport <= 1280, f"the page is {width} px wide in a {viewport} px window"
