"""Screenshots of the Confluence pages for the example configuration. Run by hand:

    .venv/bin/python docs/screenshot_pages.py [--chromium /usr/bin/chromium] [--out docs]

It starts the emulator on a free port, evaluates ``examples/`` at 2026-11-15T12:00:00Z, renders the
Shop OKR page and the problem review page, stores them in the emulator's Confluence (with a note a
person wrote between the panels, to show it next to them) and photographs the emulator's page viewer
with headless Chromium: ``docs/okr-page.png`` and ``docs/problem-review-page.png`` (2000 CSS pixels of
each page at 0.8 scale: 1024 × 1600 images, well under 300 KB). The cadence's pages go under the
Shop page: ``docs/weekly-digest.png`` (the week to AT, compared with the evaluation a week before),
``docs/monthly-review.png`` (compared with the review a month before) and ``docs/close-page.png``
(the cycle closed on 4 Jan 2027, with a person's learnings).
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
from okr.closing import freeze
from okr.evaluate import evaluate_report, evaluation_input
from okr.history import reading_of
from okr.metrics import EvaluationInput, FilterCache, program_result
from okrsync.offline import read_field_names, read_issues, read_measurements
from publish.confluence.cadence_pages import (
    DECISIONS,
    DigestInput,
    KrWeek,
    PreviousReview,
    ReviewInput,
    digest_page,
    review_figures,
)
from publish.confluence.cadence_pages import review_page as review_page_of
from publish.confluence.close_page import CloseInput, ProgramOutcome, close_page
from publish.confluence.okr_page import PageContext, RenderedPage, kr_label, okr_set_page
from publish.confluence.regions import find_regions
from publish.confluence.review_page import problem_review_page
from sync.close_page import program_text
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
    "weekly-digest": "<p><strong>Check-in notes:</strong> the vendor API is late; we asked platform for one "
    "engineer until the incident review lands.</p>",
    "monthly-review": "",
    "close-page": "",
}
# The people the example names, as Jira would answer their display names.
NAMES = {
    "shop-lead@example.com": "Mei Lin",
    "sre-lead@example.com": "Sam Reyes",
    "platform-lead@example.com": "Priya Nair",
    "qa-lead@example.com": "Quinn Adebayo",
}
DECIDED = "<p>Move one QA engineer from growth to checkout for December; keep the payment rewrite paused.</p>"
LEARNED = "<p>Contract tests caught what staging never did; next quarter every new service starts with them.</p>"


def main() -> None:
    options = arguments()
    config = load_config_text((EXAMPLES / "okrs.yaml").read_text(encoding="utf-8"), "examples/okrs.yaml")
    documents = read_issues(EXAMPLES / "issues.jsonl")
    measurements = read_measurements(EXAMPLES / "measurements.jsonl")
    fields = read_field_names(EXAMPLES / "fields.json")
    given = evaluation_input(AT, config, documents, measurements, fields)

    def at(instant: datetime) -> EvaluationInput:
        return evaluation_input(instant, config, documents, measurements, fields)

    shop = okr_page(config, given, trends(config, documents, measurements, fields))
    pages = {
        "okr-page": shop,
        "problem-review-page": review_page(config, given),
        **cadence_pages(config, at),
    }
    with emulator() as url:
        confluence = ConfluencePort(ConfluenceSettings(f"{url}/wiki", "admin@acme.example", "any"))
        for name, (space, rendered, parent) in pages.items():
            page_id = store(confluence, space, rendered, parent, PERSON_NOTES[name])
            if name in PEOPLE_PARTS:
                person_writes(confluence, page_id, *PEOPLE_PARTS[name])
            shoot(options.chromium, f"{url}/view/pages/{page_id}", options.out / f"{name}.png")


def cadence_pages(config: OkrConfig, at: Any) -> dict[str, tuple[str, RenderedPage, str | None]]:
    """The shop set's weekly digest and monthly review at AT, and its close page after the cycle."""
    okr_set = next(s for s in config.okr_sets if s.id == "shop-q4")
    assert okr_set.confluence is not None
    space, title = okr_set.confluence.space, okr_set.confluence.title
    now, week_ago = evaluate_report(config, at(AT)), evaluate_report(config, at(AT - timedelta(weeks=1)))
    month_ago = evaluate_report(config, at(AT - timedelta(days=30))).okr_set(okr_set.id)
    result = now.okr_set(okr_set.id)
    assert result is not None and month_ago is not None
    before = {e.kr.id: reading_of(e.kr, week_ago.at, {}) for e in week_ago.key_results() if e.okr_set.id == okr_set.id}
    krs = tuple(
        KrWeek(kr_label(o, kr), kr.title, found, before.get(kr.id), unit(config, kr.metric))
        for o in okr_set.objectives
        for kr in o.key_results
        if (found := now.find(okr_set.id, kr.id)) is not None
    )
    week = DigestInput(okr_set.name, title, "2026-W46", AT, config.zone, AT - timedelta(weeks=1), krs)
    previous = PreviousReview("2026-10", review_figures(month_ago))
    month = ReviewInput(okr_set, result, title, "2026-11", AT, config.zone, previous, NAMES)
    closed_at = datetime(2027, 1, 4, 6, tzinfo=UTC)
    record = freeze(evaluate_report(config, at(closed_at)), config, "2026-Q4", closed_at.isoformat(), "scheduler")
    programs = tuple(
        ProgramOutcome(p.name, program_text(found))
        for p in config.problem_programs
        for found in now.problem_programs
        if found["id"] == p.id
    )
    close = CloseInput(config, okr_set, record, title, closed_at, config.zone, programs=programs, names=NAMES)
    return {
        "weekly-digest": (space, digest_page(week), title),
        "monthly-review": (space, review_page_of(month), title),
        "close-page": (space, close_page(close), title),
    }


def unit(config: OkrConfig, metric: str | None) -> str | None:
    found = config.metrics.get(metric or "")
    return found.unit if found else None


# What people wrote on a cadence page: (the empty part the service left, what they put there).
PEOPLE_PARTS = {
    "monthly-review": (f"<h2>{DECISIONS}</h2><p />", f"<h2>{DECISIONS}</h2>{DECIDED}"),
    "close-page": ("</h3><p />", f"</h3>{LEARNED}"),
}


def person_writes(confluence: ConfluencePort, page_id: str, empty: str, written: str) -> None:
    page = confluence.get_page(page_id)
    confluence.update_page(page, page.body.replace(empty, written, 1), "a person's words")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="chromium", help="the Chromium binary")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go")
    return parser.parse_args()


def okr_page(
    config: OkrConfig, given: EvaluationInput, history: dict[str, list[float]]
) -> tuple[str, RenderedPage, str | None]:
    okr_set = next(s for s in config.okr_sets if s.id == "shop-q4")
    result = evaluate_report(config, given).okr_set(okr_set.id)
    assert result is not None
    context = PageContext(
        at=AT,
        tz=config.zone,
        jira_url=JIRA,
        trigger={"kind": "webhook", "event": "jira:issue_updated", "issue": "SHOP-31"},
        trends=history,
        epics=contributor_epics(okr_set, given),
        names=NAMES,
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
) -> dict[str, list[float]]:
    """Each shop KR's value at weekly evaluations up to AT, kept when it moved (as the service keeps them)."""
    history: dict[str, list[float]] = {}
    for weeks in range(5, -1, -1):
        report = evaluate_report(
            config, evaluation_input(AT - timedelta(weeks=weeks), config, documents, measurements, fields)
        )
        for entry in report.key_results():
            if entry.okr_set.id != "shop-q4":
                continue
            values = history.setdefault(entry.kr.id, [])
            if entry.kr.current is not None and (not values or values[-1] != entry.kr.current):
                values.append(entry.kr.current)
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
    if not note:
        return page.id
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
