"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven through selenium, for the
browser tests; a missing browser or driver fails the test with how to install them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
INSTALL = (
    "headless Chromium is needed for this test: as root run "
    "`apt-get update && apt-get install -y chromium chromium-driver` (Debian/Ubuntu), "
    "and `pip install selenium`"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
)


def _first_existing(paths: tuple[str, ...]) -> str | None:
    return next((p for p in paths if Path(p).exists()), None)


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A headless Chromium with a 1280 × 900 window and its console log kept, for a ``with`` block."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(INSTALL)
    binary, driver = _first_existing(CHROMIUM), _first_existing(CHROMEDRIVER)
    if binary is None or driver is None:
        pytest.fail(INSTALL)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # Content-Security-Policy reports
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()
