"""Screenshots of the product on the demo company, for the README and docs/. Run by hand:

    .venv/bin/python docs/screenshots.py [--out docs] [--actions 30] [--chromium PATH] [--chromedriver PATH]

It runs what `make run` runs — the demo company (its emulated Jira and Confluence), its okrs.yaml and
its story, on the local stack — in a temporary data directory on free ports; plays the story's first
``--actions`` actions, lets the service finish their work, signs in to the admin pages in headless
Chromium and photographs each page of SHOTS: at most its top 2000 CSS pixels, at 0.8 scale (1024 pixels wide).
A shot over 300 KB fails the run. A new page is one line in SHOTS.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from okrsync.demo.runner import DemoOptions, demo_stack, finish, play, start_demo
from okrsync.local_stack import LocalStack, settings_from_env
from okrsync.redis_store import stop_embedded_redis

REPO = Path(__file__).resolve().parents[1]
# name of the PNG in docs/ → URL path: /admin/… on the web service, anything else on the emulated site
SHOTS = {
    "admin-overview": "/admin/",
    "kr-detail": "/admin/sets/checkout/krs/O1.KR2",
    "sync-health": "/admin/health",
    "admin-problems": "/admin/problems",
    "okr-page": "/wiki/display/OKR/Checkout+%26+Payments+OKRs",
    "problem-review-page": "/wiki/display/PLAT/Platform+problem+review",
}
WIDTH, HEIGHT, SCALE = 1280, 2000, 0.8  # CSS pixels of the window, and the device scale of the image
MEASURING_HEIGHT = 400
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
            sign_in(chrome, stack)
            sizes = {
                name: shoot(chrome, url_of(stack, path), options.out / f"{name}.png") for name, path in SHOTS.items()
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


def url_of(stack: LocalStack, path: str) -> str:
    return (stack.url if path.startswith("/admin") else stack.jira_url) + path


def shoot(chrome: Any, url: str, target: Path) -> int:
    """The page at ``url``, at most its top HEIGHT CSS pixels at SCALE, into ``target``; its size in bytes."""
    window(chrome, MEASURING_HEIGHT)  # a short window first: a page is never measured shorter than its window
    chrome.get(url)
    window(chrome, min(HEIGHT, int(chrome.execute_script("return document.documentElement.scrollHeight"))))
    target.parent.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(target))
    size = target.stat().st_size
    shown = target.relative_to(REPO) if target.is_relative_to(REPO) else target
    print(f"{shown}: {url} ({size // 1024} KB)")
    return size


def window(chrome: Any, height: int) -> None:
    chrome.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": height, "deviceScaleFactor": SCALE, "mobile": False},
    )


def first_existing(paths: tuple[str, ...]) -> str | None:
    return next((path for path in paths if Path(path).exists()), None)


if __name__ == "__main__":
    sys.exit(main())
