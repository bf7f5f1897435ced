"""A small configuration and its issues, evaluated at a fixed instant, for the page tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mapping.loader import load_config_text
from mapping.models import OkrConfig
from mapping.versions import metric_version
from okr.evaluate import evaluate_config, evaluation_input
from okr.metrics import EvaluationInput, FilterCache, counted_documents, program_result
from okr.report import SetReport
from publish.confluence.okr_page import Epic, PageContext, RenderedPage, counted_of, okr_set_page
from publish.confluence.review_page import problem_review_page
from sync.documents import issue_document

AT = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
HOSTILE = '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<script>x()</script>]]></ac:plain-text-body></ac:structured-macro> & ]]> <b>'  # noqa: E501

CONFIG = """
version: 1
cycles: [{id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}]
metrics:
  escaped_share:
    description: Share of shop bugs found in production
    source: jira
    aggregate: ratio
    jql: project = SHOP AND issuetype = Bug
    numerator_jql: project = SHOP AND issuetype = Bug AND labels = escaped
    window: cycle
    unit: "%"
okr_sets:
  - id: shop
    name: Shop & Payments <Q4>
    cycle: 2026-Q4
    owner: lead@example.com
    confluence: {space: SHOP, title: Shop OKRs, parent: OKRs}
    objectives:
      - id: O1
        title: Dependable checkout
        key_results:
          - id: O1.KR1
            title: Escaped defects from 40% to 10% of bugs
            owner: qa@example.com
            metric: escaped_share
            baseline: 40
            target: 10
            contributors: {epics: [SHOP-1]}
          - id: O1.KR2
            title: Repeat purchases
            unmeasured: No survey yet; first reading in December
problem_programs:
  - id: platform
    name: Platform reverse-drive
    window: 56d
    review_every: 14d
    sources:
      - {id: retro, name: Retro findings, jql: project = PLAT AND labels = retro, owner: pm@example.com}
    classify:
      labels: {system: problem-system, mechanism: problem-mechanism, people: problem-people}
    threshold: 6
    action_points: {project: PLAT, label: action-point}
    confluence: {space: PLAT, title: Problem review}
"""


def jira_issue(
    key: str,
    kind: str,
    summary: str,
    created: str,
    *,
    labels: list[str] | None = None,
    status: str = "To Do",
    category: str = "new",
    **extra: Any,
) -> dict[str, Any]:
    fields = {
        "project": {"key": key.split("-")[0]},
        "issuetype": {"name": kind},
        "summary": summary,
        "status": {"name": status, "statusCategory": {"key": category}},
        "labels": labels or [],
        "components": [{"name": c} for c in extra.pop("components", [])],
        "priority": {"name": "High"},
        "created": created,
        "updated": created,
        **extra,
    }
    project, number = key.split("-")
    return {"id": str(sum(ord(c) for c in project) * 1000 + int(number)), "key": key, "fields": fields}


def link(key: str) -> dict[str, Any]:
    return {"id": "1", "type": {"name": "Relates"}, "outwardIssue": {"id": "9", "key": key}}


def documents(epic_summary: str = "Contract tests for payments") -> list[dict[str, Any]]:
    issues = [
        jira_issue("SHOP-1", "Epic", epic_summary, "2026-10-02T09:00:00.000+0000", status="Done", category="done"),
        *[
            jira_issue(
                f"SHOP-{n}", "Bug", f"Bug {n}", "2026-11-01T09:00:00.000+0000", labels=["escaped"] if n < 4 else []
            )
            for n in range(2, 12)
        ],
        *[
            jira_issue(
                f"PLAT-{n}",
                "Task",
                f"Flaky deploy {n}",
                f"2026-11-{n:02d}T09:00:00.000+0000",
                labels=["retro", "problem-system"],
                components=["Deploy"],
            )
            for n in range(1, 4)
        ],
        *[
            jira_issue(
                f"PLAT-{n}",
                "Task",
                f"Search times out {n}",
                f"2026-11-{n:02d}T09:00:00.000+0000",
                labels=["retro", "problem-system"],
                components=["Search"],
            )
            for n in (4, 5)
        ],
        jira_issue(
            "PLAT-20",
            "Task",
            "Deploy froze",
            "2026-10-05T09:00:00.000+0000",
            labels=["retro", "problem-system"],
            components=["Deploy"],
        ),
        jira_issue(
            "PLAT-8",
            "Task",
            "Freeze-proof deploys",
            "2026-10-06T09:00:00.000+0000",
            status="Done",
            category="done",
            labels=["action-point"],
            duedate="2026-10-20",
            resolutiondate="2026-10-10T09:00:00.000+0000",
            assignee={"accountId": "ops-lead"},
            issuelinks=[link("PLAT-20")],
        ),
        jira_issue(
            "PLAT-9",
            "Task",
            "Fix the deploy pipeline",
            "2026-10-01T09:00:00.000+0000",
            labels=["action-point"],
            duedate="2026-11-01",
            issuelinks=[link("PLAT-1")],
        ),
    ]
    return [issue_document(issue) for issue in issues]


def config() -> OkrConfig:
    return load_config_text(CONFIG, "okrs.yaml")


def evaluated(docs: list[dict[str, Any]] | None = None) -> tuple[OkrConfig, EvaluationInput, dict[str, Any]]:
    cfg = config()
    given = evaluation_input(AT, cfg, docs if docs is not None else documents())
    return cfg, given, evaluate_config(cfg, given)


# O1.KR1's recorded moves in the cycle: two on one day (the page's chart keeps the day's last), then two more days.
HISTORY = (
    (datetime(2026, 10, 5, 9, 0, tzinfo=UTC), 20.0),
    (datetime(2026, 10, 5, 15, 0, tzinfo=UTC), 22.5),
    (datetime(2026, 10, 20, 9, 0, tzinfo=UTC), 25.0),
    (datetime(2026, 11, 10, 9, 0, tzinfo=UTC), 30.0),
)


TRIGGERED = str(datetime(2026, 11, 15, 11, 58, tzinfo=UTC).timestamp())  # when the change came, epoch seconds
IN_FORCE = metric_version(config().metrics["escaped_share"])  # the definition the evaluation reads


def context(**overrides: Any) -> PageContext:
    values: dict[str, Any] = {
        "at": AT,
        "tz": UTC,
        "jira_url": "https://acme.atlassian.net",
        "trigger": {"kind": "webhook", "event": "jira:issue_updated", "issue": "SHOP-5", "at": TRIGGERED},
        "trends": {"O1.KR1": [20.0, 25.0, 30.0]},
        "history": {"O1.KR1": HISTORY},
        "epics": {"O1.KR1": [Epic("SHOP-1", "Contract tests for payments", "Done")]},
        "metric_history": {
            "escaped_share": [
                {"version": "v-1", "at": "2026-09-20T10:00:00+00:00", "author": "a"},
                {"version": IN_FORCE, "at": "2026-11-02T10:00:00+00:00", "author": "b"},
            ]
        },
    }
    return PageContext(**{**values, **overrides})


def set_page(**overrides: Any) -> RenderedPage:
    cfg, given, report = evaluated()
    counted = counted_documents(cfg.metrics["escaped_share"], cfg.cycle("2026-Q4"), given, FilterCache()) or []
    values = {"counted": {"O1.KR1": counted_of(counted)}, **overrides}
    return okr_set_page(cfg, cfg.okr_sets[0], SetReport.from_dict(report["okr_sets"][0]), context(**values))


def review_page(docs: list[dict[str, Any]] | None = None) -> RenderedPage:
    cfg, given, _ = evaluated(docs)
    program = cfg.problem_programs[0]
    return problem_review_page(program, program_result(program, given, FilterCache()), context())
