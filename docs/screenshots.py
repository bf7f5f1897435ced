"""Screenshots of the product on the demo company, for the README and docs/. Run by hand:

    .venv/bin/python docs/screenshots.py [--out docs] [--actions 30] [--chromium PATH] [--chromedriver PATH]

It runs what `make run` runs — the demo company (its emulated Jira and Confluence), its okrs.yaml and
its story, on the local stack — in a temporary data directory on free ports; plays the story's first
``--actions`` actions, lets the service finish their work, waits for its scheduler to write the dated
child pages SHOTS names (the weekly digest, the monthly review, the close page), signs in to the admin pages
in headless Chromium and photographs each page of SHOTS: at most 1800 CSS pixels of it from its top (or from
the panel a Part names), at 0.8 scale (1024 pixels wide).
A shot over 300 KB fails the run. A new page is one line in SHOTS.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from okrsync.demo.runner import SHOWN_EPIC, SHOWN_KR_ISSUE, DemoOptions, demo_stack, finish, play, start_demo
from okrsync.local_stack import LocalStack, settings_from_env
from okrsync.redis_store import stop_embedded_redis

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ChildPage:
    space: str
    title_start: str


@dataclass(frozen=True)
class Part:
    path: str
    selector: str


# name of the PNG in docs/ → URL path: /admin/… on the web service, anything else on the emulated site; a
# ChildPage is a page the service wrote under a set's page with a dated title, found by its title's start; a
# Part is a page photographed from the panel holding its first element matching a CSS selector
SHOTS: dict[str, str | ChildPage | Part] = {
    "admin-overview": "/admin/",
    "kr-detail": "/admin/sets/checkout/krs/O1.KR2",
    "admin-kr": "/admin/sets/fulfilment/krs/O1.KR1",  # a level KR of a team set, beside kr-detail's
    "sync-health": "/admin/health",
    "admin-problems": "/admin/problems",
    "okr-page": "/wiki/display/OKR/Checkout+%26+Payments+OKRs",
    "problem-review-page": "/wiki/display/PLAT/Platform+problem+review",
    "problem-review-chart": Part("/wiki/display/PLAT/Platform+problem+review", ".chart"),  # the AP candidates
    "weekly-digest": ChildPage("OKR", "Checkout & Payments OKRs — week "),
    "monthly-review": ChildPage("OKR", "Checkout & Payments OKRs — review "),
    "close-page": ChildPage("OKR", "Checkout & Payments OKRs — last quarter — close "),
    "jira-issue": f"/browse/{SHOWN_EPIC}",  # a contributor epic: its KR links, health and status fields
    "jira-kr-issue": f"/browse/{SHOWN_KR_ISSUE}",  # a KR's issue: the service's check-in comments
}
WIDTH, HEIGHT, SCALE = 1280, 1800, 0.8  # CSS pixels of the window, and the device scale of the image
MEASURING_HEIGHT = 400
CHILD_PAGES_WAIT = 180  # seconds
MAX_BYTES = 300 * 1024
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def main() -> int:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="okrsync-screenshots-") as data_dir:
        with demo_played(Path(data_dir), options.actions) as stack, browser(options, Path(data_dir)) as chrome:
            await_child_pages(stack.jira_url, [page for page in SHOTS.values() if isinstance(page, ChildPage)])
            sign_in(chrome, stack)
            sizes = {
                name: shoot(chrome, url_of(stack, path), options.out / f"{name}.png", selector_of(path))
                for name, path in SHOTS.items()
            }
    too_big = [name for name, size in sizes.items() if size > MAX_BYTES]
    if too_big:
        print(f"screenshots: {', '.join(too_big)} over {MAX_BYTES // 1024} KB; lower HEIGHT or SCALE", file=sys.stderr)
        return 1
    return 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go")
    parser.add_argument("--actions", type=int, default=30, help="how many of the story's actions to play first")
    parser.add_argument("--chromium", default=first_existing(CHROMIUM), help="the Chromium binary")
    parser.add_argument("--chromedriver", default=first_existing(CHROMEDRIVER), help="Chromium's WebDriver")
    return parser.parse_args()


@contextmanager
def demo_played(data_dir: Path, actions: int) -> Iterator[LocalStack]:
    """The demo's stack after its first ``actions`` actions, the service's work on them finished."""
    pace = 0.1
    settings = settings_from_env({"OKRSYNC_DATA_DIR": str(data_dir / "demo")})
    options = DemoOptions(port=0, emulator_port=0, duration=actions * pace, pace=pace)
    stack = demo_stack(settings, options, sys.stdout)
    try:
        start_demo(stack, sys.stdout)
        played: list[str] = []
        play(stack, options, played, sys.stdout)
        summary = finish(stack, played, sys.stdout, 120)
        if summary is None or not summary.settled:
            raise SystemExit("screenshots: the service did not finish the story's work; see the log above")
        yield stack
    finally:
        stack.stop()
        stop_embedded_redis(stack.connection)  # now: its directory is removed before this process exits


@contextmanager
def browser(options: argparse.Namespace, data_dir: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not options.chromium or not options.chromedriver:
        raise SystemExit("screenshots: Chromium and its driver are needed (apt-get install chromium chromium-driver)")
    chrome_options = webdriver.ChromeOptions()
    chrome_options.binary_location = options.chromium
    for flag in (*FLAGS, f"--user-data-dir={data_dir / 'chromium'}"):
        chrome_options.add_argument(flag)
    chrome = webdriver.Chrome(options=chrome_options, service=Service(executable_path=options.chromedriver))
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


def sign_in(chrome: Any, stack: LocalStack) -> None:
    """The admin pages' sign-in form, with the token the demo printed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    chrome.get(stack.url + "/admin/")
    chrome.find_element(By.ID, "token").send_keys(stack.env["OKRSYNC_ADMIN_TOKEN"])
    chrome.find_element(By.ID, "signin").click()
    WebDriverWait(chrome, 10).until(expected_conditions.url_matches(r"/admin/$"))


def url_of(stack: LocalStack, path: str | ChildPage | Part) -> str:
    if isinstance(path, ChildPage):
        return stack.jira_url + child_page_path(stack.jira_url, path)
    if isinstance(path, Part):
        return url_of(stack, path.path)
    return (stack.url if path.startswith("/admin") else stack.jira_url) + path


def await_child_pages(site: str, pages: list[ChildPage]) -> None:
    """Until the demo's scheduler has written every one of ``pages`` (it looks for due rituals once a minute)."""
    deadline = time.monotonic() + CHILD_PAGES_WAIT
    missing = pages
    while missing and time.monotonic() < deadline:
        time.sleep(2)
        missing = [page for page in missing if not titles_starting(site, page)]
    if missing:
        raise SystemExit(
            f"screenshots: after {CHILD_PAGES_WAIT} s the demo has written no page titled "
            + ", ".join(f"“{page.title_start}…” in space {page.space}" for page in missing)
            + "; see the scheduler's and the worker's log above"
        )


def titles_starting(site: str, page: ChildPage) -> list[str]:
    """The titles of the pages in ``page.space`` that start with ``page.title_start``, oldest first."""
    response = requests.get(
        f"{site}/wiki/rest/api/content", params={"spaceKey": page.space, "limit": "500"}, timeout=10
    )
    response.raise_for_status()
    return [found["title"] for found in response.json()["results"] if found["title"].startswith(page.title_start)]


def child_page_path(site: str, page: ChildPage) -> str:
    """The display path of the newest page in ``page.space`` whose title starts with ``page.title_start``."""
    titles = titles_starting(site, page)
    if not titles:
        raise SystemExit(f"screenshots: the demo wrote no page titled “{page.title_start}…” in space {page.space}")
    return f"/wiki/display/{page.space}/{quote(titles[-1], safe='')}"


def selector_of(path: str | ChildPage | Part) -> str | None:
    return path.selector if isinstance(path, Part) else None


def shoot(chrome: Any, url: str, target: Path, selector: str | None = None) -> int:
    """The page at ``url`` (from the panel holding ``selector``'s first match, if given), at most HEIGHT CSS
    pixels of it at SCALE, into ``target``; its size in bytes."""
    window(chrome, MEASURING_HEIGHT)  # a short window first: a page is never measured shorter than its window
    chrome.get(url)
    top = part_top(chrome, url, selector) if selector else 0
    window(chrome, min(HEIGHT, int(chrome.execute_script("return document.documentElement.scrollHeight")) - top))
    chrome.execute_script("window.scrollTo(0, arguments[0])", top)
    target.parent.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(target))
    size = target.stat().st_size
    shown = target.relative_to(REPO) if target.is_relative_to(REPO) else target
    print(f"{shown}: {url} ({size // 1024} KB)")
    return size


def part_top(chrome: Any, url: str, selector: str) -> int:
    """Where the panel (or else the element) holding ``selector``'s first match begins, in CSS pixels."""
    top = chrome.execute_script(
        "const found = document.querySelector(arguments[0]);"
        "if (!found) return null;"
        "return (found.closest('div.macro') || found).getBoundingClientRect().top + window.scrollY;",
        selector,
    )
    if top is None:
        raise SystemExit(f"screenshots: {url} has nothing matching {selector!r} to photograph from")
    return max(0, int(top) - 16)


def window(chrome: Any, height: int) -> None:
    chrome.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": height, "deviceScaleFactor": SCALE, "mobile": False},
    )


def first_existing(paths: tuple[str, ...]) -> str | None:
    return next((path for path in paths if Path(path).exists()), None)


if __name__ == "__main__":
    sys.exit(main())
