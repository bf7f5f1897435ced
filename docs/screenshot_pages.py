"""Screenshots of the Confluence pages for the example configuration. Run by hand:

    .venv/bin/python docs/screenshot_pages.py [--chromium /usr/bin/chromium] [--out docs]

It starts the emulator on a free port, evaluates ``examples/`` at 2026-11-15T12:00:00Z, renders the
Shop OKR page and the problem review page, stores them in the emulator's Confluence (with a note a
person wrote between the panels, to show it next to them) and photographs the emulator's page viewer
with headless Chromium: ``docs/okr-page.png`` and ``docs/problem-review-page.png`` (2000 CSS pixels of
each page at 0.8 scale: 1024 × 1600 images, well under 300 KB).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from connector import ConfluencePort, ConfluenceSettings
from emulator.app import create_emulator
from mapping.loader import load_config_text
from mapping.models import OkrConfig
from okr.evaluate import evaluate_report, evaluation_input
from okr.metrics import EvaluationInput, FilterCache, program_result
from okrsync.offline import read_field_names, read_issues, read_measurements
from publish.confluence.okr_page import PageContext, RenderedPage, okr_set_page
from publish.confluence.regions import find_regions
from publish.confluence.review_page import problem_review_page
from sync.confluence_writer import contributor_epics

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
AT = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
JIRA = "https://acme.atlassian.net"
SPACES = {
    "spaces": [
        {"key": "OKR", "name": "Objectives and Key Results"},
        {
            "key": "SHOP",
            "name": "Shop product-tech",
            "pages": [{"title": "OKRs", "body": "<p>The shop team's OKRs.</p>"}],
        },
        {"key": "PLAT", "name": "Platform"},
    ]
}
PERSON_NOTES = {
    "okr-page": "<h2>Team notes</h2><p>Monday check-in: MTTR work is paying off; the bug-fix KR needs the triage "
    "rota back. <strong>Decision:</strong> pause the payment rewrite until O2 is green.</p>",
    "problem-review-page": "<p><strong>Review notes:</strong> triage the escaped incidents before Thursday; "
    "deploy-pipeline AP goes to the SRE guild.</p>",
}


def main() -> None:
    options = arguments()
    config = load_config_text((EXAMPLES / "okrs.yaml").read_text(encoding="utf-8"), "examples/okrs.yaml")
    documents = read_issues(EXAMPLES / "issues.jsonl")
    measurements = read_measurements(EXAMPLES / "measurements.jsonl")
    fields = read_field_names(EXAMPLES / "fields.json")
    given = evaluation_input(AT, config, documents, measurements, fields)
    pages = {
        "okr-page": okr_page(config, given, trends(config, documents, measurements, fields)),
        "problem-review-page": review_page(config, given),
    }
    with emulator() as url:
        confluence = ConfluencePort(ConfluenceSettings(f"{url}/wiki", "admin@acme.example", "any"))
        for name, (space, rendered, parent) in pages.items():
            page_id = store(confluence, space, rendered, parent, PERSON_NOTES[name])
            shoot(options.chromium, f"{url}/view/pages/{page_id}", options.out / f"{name}.png")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="chromium", help="the Chromium binary")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go")
    return parser.parse_args()


def okr_page(
    config: OkrConfig, given: EvaluationInput, history: dict[str, list[tuple[datetime, float]]]
) -> tuple[str, RenderedPage, str | None]:
    okr_set = next(s for s in config.okr_sets if s.id == "shop-q4")
    result = evaluate_report(config, given).okr_set(okr_set.id)
    assert result is not None
    context = PageContext(
        at=AT,
        tz=config.zone,
        jira_url=JIRA,
        trigger={"kind": "webhook", "event": "jira:issue_updated", "issue": "SHOP-31"},
        trends={kr: [value for _, value in moves] for kr, moves in history.items()},
        history=history,
        epics=contributor_epics(okr_set, given),
    )
    assert okr_set.confluence is not None
    return okr_set.confluence.space, okr_set_page(config, okr_set, result, context), okr_set.confluence.parent


def review_page(config: OkrConfig, given: EvaluationInput) -> tuple[str, RenderedPage, str | None]:
    program = config.problem_programs[0]
    context = PageContext(at=AT, tz=config.zone, jira_url=JIRA, trigger={"kind": "reconcile"})
    assert program.confluence is not None
    rendered = problem_review_page(program, program_result(program, given, FilterCache()), context)
    return program.confluence.space, rendered, program.confluence.parent


def trends(
    config: OkrConfig, documents: list[dict[str, Any]], measurements: list[Any], fields: dict[str, str]
) -> dict[str, list[tuple[datetime, float]]]:
    """Each shop KR's value at weekly evaluations up to AT, kept when it moved (as the service keeps them)."""
    history: dict[str, list[tuple[datetime, float]]] = {}
    for weeks in range(5, -1, -1):
        at = AT - timedelta(weeks=weeks)
        report = evaluate_report(config, evaluation_input(at, config, documents, measurements, fields))
        for entry in report.key_results():
            if entry.okr_set.id != "shop-q4":
                continue
            moves = history.setdefault(entry.kr.id, [])
            if entry.kr.current is not None and (not moves or moves[-1][1] != entry.kr.current):
                moves.append((at, entry.kr.current))
    return history


class emulator:
    """The emulator on a free local port, for the length of a ``with`` block."""

    def __enter__(self) -> str:
        self.app = create_emulator({"confluence": SPACES}, flavor="cloud")
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.app.extensions["emulator"].dispatcher.stop()


def store(confluence: ConfluencePort, space: str, rendered: RenderedPage, parent: str | None, note: str) -> str:
    """Create the page as the service does, then add a person's note after the first panels."""
    parent_page = confluence.find_page(space, parent) if parent else None
    page = confluence.create_page(
        space, rendered.title, rendered.new_page_body(), parent_page.id if parent_page else None
    )
    anchor = find_regions(page.body)[1].end
    confluence.update_page(page, page.body[:anchor] + note + page.body[anchor:], "a person's notes")
    return page.id


def shoot(chromium: str, url: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={target}",
                "--window-size=1280,2000",
                "--force-device-scale-factor=0.8",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    size = target.stat().st_size
    print(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: {size // 1024} KB")
    if size > 300 * 1024:
        print(f"warning: {target.name} is over 300 KB", file=sys.stderr)


if __name__ == "__main__":
    main()
