"""A real browser (headless Chromium) against the service on a loopback port: sign in, change a
mapping, see the overview update; the charts render and no page is wider than the window. (The
screenshots in docs/ are the demo company's: docs/screenshots.py.)"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from flask import Flask
from werkzeug.serving import make_server

from okrsync.settings import Settings
from tests.okrsync.admin.conftest import ADMIN, ADMIN_TOKEN, mirror_issues, recompute
from tests.support.browser import chromium


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[object]:
    with chromium(tmp_path / "profile") as chrome:
        yield chrome


@pytest.fixture()
def served(admin_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, admin_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_sign_in_change_a_mapping_and_see_the_overview_update(
    browser,
    served: str,
    configured: str,
    connection: redis.Redis,
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    mirror_issues(connection)
    recompute(connection)
    browser.get(served + "/admin/")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.ID, "signin").click()
    _wait_for(browser, "#kr-shop-KR1 .delivery")  # the click navigates: wait for the overview
    assert "50%" in _delivery_of_kr1(browser)  # one of the two epics labelled kr-escaped is done

    browser.get(served + "/admin/mappings")
    field = browser.find_element(By.ID, "contributors-shop-KR1")
    field.clear()
    field.send_keys("SHOP-20")  # only the done epic
    projects = browser.find_element(By.ID, "projects-shop")
    projects.clear()
    projects.send_keys("SHOP, PAY")
    browser.find_element(By.ID, "save-shop").click()
    _wait_for(browser, "#saved")
    assert "Saved shop: revision 2" in browser.find_element(By.ID, "saved").text

    pushed = requests.post(
        served + "/api/v1/metrics/conversion/measurements",
        headers=ADMIN,
        json={"value": 2.4, "source": "analytics"},
        timeout=10,
    )
    assert pushed.status_code == 201
    recompute(connection)  # what the worker does after a change
    browser.get(served + "/admin/")
    assert "50%" in _delivery_of_kr1(browser)  # the unfinished epic left the recorded scope: still counted
    rescoped = requests.post(
        served + "/api/v1/okr-sets/shop/key-results/KR1/rescope",
        headers=ADMIN,
        json={"reason": "only the payments epic is in scope now"},
        timeout=10,
    )
    assert rescoped.status_code == 201
    recompute(connection)
    browser.get(served + "/admin/")
    assert "100%" in _delivery_of_kr1(browser)
    projects_shown = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#set-shop .project")]
    assert projects_shown == ["SHOP", "PAY"]
    assert "2.4" in browser.find_element(By.ID, "kr-shop-KR2").text
    _screenshot(browser, tmp_path)


def test_pages_keep_their_styles_under_the_content_security_policy(
    browser,
    served: str,
    configured: str,
    connection: redis.Redis,
) -> None:
    from selenium.webdriver.common.by import By

    mirror_issues(connection)
    recompute(connection)
    browser.get(served + "/admin/")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.ID, "signin").click()
    _wait_for(browser, "#kr-shop-KR1 .delivery")
    bar, filled = browser.execute_script(
        "const bar = document.querySelector('#kr-shop-KR1 .delivery .bar');"
        "return [bar.getBoundingClientRect().width, bar.firstElementChild.getBoundingClientRect().width];"
    )
    assert bar == 110 and abs(filled - 55) < 1  # the stylesheet, and the bar's hashed style attribute
    assert (
        browser.execute_script("return getComputedStyle(document.querySelector('header')).backgroundColor")
        == "rgb(255, 255, 255)"
    )
    browser.get(served + "/admin/mappings")
    browser.get(served + "/admin/sets/shop/krs/KR1")
    refused = [
        entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]
    ]
    assert refused == []


def _wait_for(browser, selector: str, seconds: float = 10) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, seconds).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector)))


def _delivery_of_kr1(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.CSS_SELECTOR, "#kr-shop-KR1 .delivery").text


def _screenshot(browser, tmp_path: Path, name: str = "overview.png") -> None:
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": min(height, 1600), "deviceScaleFactor": 1, "mobile": False},
    )
    shot = tmp_path / name
    browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


ADMIN_PAGES = ("/admin/", "/admin/sets/shop/krs/KR1", "/admin/health", "/admin/problems", "/admin/mappings")
TABLES_FIT = ("/admin/health", "/admin/problems")  # no table scrolls inside its card either


def _a_problem_program(settings: Settings, connection: redis.Redis) -> None:
    """A problem program with long summaries and themes, a candidate, a cluster below and untriaged problems."""
    from datetime import UTC, datetime, timedelta

    from okrsync.admin.context import admin_context
    from okrsync.admin.document import apply_config_text
    from sync.documents import issue_document
    from sync.mirror import RedisMirror
    from tests.okrsync.admin.conftest import config_text, jira_issue
    from tests.okrsync.admin.test_problem_view import PROGRAM

    apply_config_text(admin_context(settings, connection).runtime, config_text() + PROGRAM, "tests", source="okrs.yaml")
    now, summary = datetime.now(UTC), "Checkout times out when the payment provider answers slowly during the sale, "
    system = ["retro", "problem-system"]
    issues = [jira_issue(f"SHOP-{n}", "Bug", now - timedelta(days=n - 29), system) for n in range(30, 36)]
    issues += [jira_issue(f"SHOP-{n}", "Bug", now - timedelta(days=2), ["retro"]) for n in (40, 41, 42)]
    issues += [jira_issue("SHOP-50", "Bug", now - timedelta(days=3), ["retro", "problem-people"])]
    mirror = RedisMirror(connection)
    for issue in issues:
        issue["fields"]["summary"] = summary * 3 + issue["key"]
        mirror.upsert(issue_document(issue), 1)
    recompute(connection)


def _every_page_listed(connection: redis.Redis) -> None:
    """Sync health with a page of each ritual, long titles, a long link and a failure's long reason."""
    from datetime import UTC, datetime

    from sync.cadence_writes import record_failed, record_written

    at = datetime.now(UTC)
    long_title = "Shop OKRs for the checkout, payments and fulfilment teams of Northwind Goods — week 2026-W49"
    url = "https://northwind-goods.atlassian.net/wiki/spaces/OKR/pages/123456789012/" + "Shop+OKRs+" * 12
    for ritual in ("weekly", "monthly", "close"):
        record_written(connection, "shop", ritual, long_title, url, at)
    reason = f"Confluence answered 503 Service Unavailable at {url}?expand=body.storage,version,ancestors" * 2
    record_failed(connection, "shop", "weekly", long_title.replace("W49", "W50"), reason, at)


def test_charts_render_and_no_admin_page_is_wider_than_the_window(
    browser,
    served: str,
    configured: str,
    admin_settings: Settings,
    connection: redis.Redis,
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    mirror_issues(connection)
    recompute(connection)
    _sign_in(browser, served)
    kr_chart = _chart(browser, "#charts figure.chart:first-of-type svg")
    assert kr_chart["legend"] == ["value", "baseline", "target", "expected"]
    assert kr_chart["lines"] == 4 and kr_chart["width"] > 300  # the value and its three reference lines, drawn
    assert any(label.endswith("%") for label in kr_chart["labels"])  # values read with their unit
    delivery = _chart(browser, "#charts figure.chart:nth-of-type(2) svg")
    assert delivery["legend"] == ["delivered", "open", "descoped"]
    _screenshot(browser, tmp_path, "kr.png")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.get(served + "/admin/")
    _wait_for(browser, "#set-shop figure.chart svg")
    progress = _chart(browser, "#set-shop figure.chart svg")
    assert progress["legend"] == ["progress", "expected today"] and progress["bars"] >= 1
    _a_problem_program(admin_settings, connection)
    _every_page_listed(connection)
    for path in ADMIN_PAGES:
        browser.get(served + path)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 1280, f"{path} is {width} px wide at a 1280 px window"
    for path in TABLES_FIT:
        browser.get(served + path)
        assert browser.find_elements(By.CSS_SELECTOR, "tr.cluster, tr.page"), f"{path} lists nothing to fit"
        wide = browser.execute_script(
            "return [...document.querySelectorAll('.card')].filter(c => c.scrollWidth > c.clientWidth + 1)"
            ".map(c => (c.id || c.querySelector('h2')?.textContent) + ' ' + c.scrollWidth + '>' + c.clientWidth);"
        )
        assert wide == [], f"{path}: a table is wider than its card at a 1280 px window: {wide}"
    refused = [
        entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]
    ]
    assert refused == []  # the charts' styles are allowed by hash, and they carry no script


def _sign_in(browser, served: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(served + "/admin/sets/shop/krs/KR1")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.ID, "signin").click()
    _wait_for(browser, "#charts figure.chart svg")


def _chart(browser, selector: str) -> dict[str, object]:
    """What a chart drew: its legend's names, its lines and bars, its axis labels, its width on screen."""
    return browser.execute_script(
        "const svg = document.querySelector(arguments[0]);"
        "return {legend: [...svg.querySelectorAll('.legends .legend text')].map(t => t.textContent),"
        " lines: svg.querySelectorAll('path.line.reactive').length, bars: svg.querySelectorAll('rect.rect').length,"
        " labels: [...svg.querySelectorAll('.axis text')].map(t => t.textContent),"
        " width: svg.getBoundingClientRect().width};",
        selector,
    )
