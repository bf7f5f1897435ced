"""``okrsync init``: read what the connected Jira has and write a first okrs.yaml for the product's stage.

The Jira side lives here (projects with their components, issue types, statuses with their
categories, priorities, custom fields); the file itself is written by the pure
:func:`mapping.starter.starter_text`. Every refusal is one sentence on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click

from connector import ConnectorError, JiraPort, RetryPolicy, jira_from_settings
from mapping.models import Stage
from mapping.stages import STAGE_PLANS, STAGES
from mapping.starter import (
    MAX_PROJECTS,
    SiteDescription,
    SiteIssueType,
    SiteProject,
    SiteStatus,
    starter_text,
)
from okrsync.settings import load_settings

# A first-hour command: a site that does not answer is said within seconds, not after minutes of retries.
INIT_POLICY = RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=2.0, max_total_wait=5.0)


@dataclass(frozen=True)
class InitOptions:
    stage: Stage | None
    out: Path
    offline: bool
    force: bool


def refuse(message: str) -> NoReturn:
    click.echo(f"okrsync: {message}", err=True)
    sys.exit(2)


def run_init(options: InitOptions, today: date | None = None) -> None:
    """Write the starter file, or refuse in one sentence (an existing file without --force, no Jira, …)."""
    if options.out.exists() and not options.force:
        refuse(f"{options.out} exists already; give --force to overwrite it, or --out to write another file")
    stage = options.stage or _chosen_stage()
    site = None if options.offline else describe_site(_connected_jira())
    text = starter_text(site, stage, today or date.today())
    _write(options.out, text, options.force)
    plan = STAGE_PLANS[stage]
    source = "offline: replace YOURPROJECT and the default names marked in it" if site is None else site.url
    click.echo(
        f"okrsync: wrote {options.out} for the {stage} stage ({plan.level} set, {len(plan.objectives)} objectives; "
        f"{source}); next: okrsync validate {options.out} && okrsync lint {options.out}"
    )


def _chosen_stage() -> Stage:
    """The stage from a numbered list when a person is at the terminal; else --stage is required."""
    if not stdin_is_terminal():
        refuse(f"give --stage, one of {', '.join(STAGES)} (stdin is not a terminal to ask on)")
    click.echo("Which stage is the product at?")
    for number, stage in enumerate(STAGES, 1):
        click.echo(f"  {number}. {stage}: {STAGE_PLANS[stage].summary.split(': ', 1)[-1]}")
    number = click.prompt("Stage", type=click.IntRange(1, len(STAGES)))
    return STAGES[number - 1]


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _connected_jira() -> JiraPort:
    try:
        jira = jira_from_settings(load_settings(), INIT_POLICY)
    except ConnectorError as exc:
        refuse(str(exc))
    if jira is None:
        refuse("no Jira configured: set OKRSYNC_JIRA_URL, OKRSYNC_JIRA_USER and OKRSYNC_JIRA_TOKEN, or give --offline")
    return jira


def describe_site(jira: JiraPort) -> SiteDescription:
    """What the site has, read through the Jira port; a failed read is one sentence and exit 2."""
    try:
        return _read_site(jira)
    except ConnectorError as exc:
        reason = str(exc).rstrip(".")
        refuse(f"could not read the Jira at {jira.settings.url}: {reason} (--offline writes a starter without it)")


def _read_site(jira: JiraPort) -> SiteDescription:
    projects = [p for p in jira.projects() if p.get("key")]
    return SiteDescription(
        url=jira.settings.url,
        projects=tuple(_project(jira, p, index < MAX_PROJECTS) for index, p in enumerate(projects)),
        issue_types=tuple(_unique_by_name(_issue_type(t) for t in jira.issue_types() if t.get("name"))),
        statuses=tuple(_unique_by_name(_status(s) for s in jira.statuses() if s.get("name"))),
        priorities=tuple(dict.fromkeys(str(p["name"]) for p in jira.priorities() if p.get("name"))),
        custom_fields=tuple(sorted({str(f["name"]) for f in jira.fields() if _is_custom(f) and f.get("name")})),
    )


def _project(jira: JiraPort, entry: dict[str, Any], with_components: bool) -> SiteProject:
    """A project; its components are read (one call each) for the projects the starter names."""
    key = str(entry["key"])
    components: tuple[str, ...] = ()
    if with_components:
        detail = jira.project(key)
        components = tuple(str(c["name"]) for c in detail.get("components") or [] if c.get("name"))
    return SiteProject(key, str(entry.get("name") or key), components)


def _issue_type(entry: dict[str, Any]) -> SiteIssueType:
    level = entry.get("hierarchyLevel")
    return SiteIssueType(str(entry["name"]), level if isinstance(level, int) else 0)


def _status(entry: dict[str, Any]) -> SiteStatus:
    category = entry.get("statusCategory") or {}
    return SiteStatus(str(entry["name"]), str(category.get("key") or ""), str(category.get("name") or ""))


def _unique_by_name(items: Any) -> list[Any]:
    """Cloud lists a name once per project that has its own copy: each name once, first wins."""
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(item.name.casefold(), item)
    return list(seen.values())


def _is_custom(field: dict[str, Any]) -> bool:
    return bool(field.get("custom")) or str(field.get("id", "")).startswith("customfield_")


def _write(out: Path, text: str, force: bool) -> None:
    """Write the file; without --force only a new one (a file appearing meanwhile is not overwritten)."""
    try:
        with open(out, "w" if force else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        refuse(f"{out} exists already; give --force to overwrite it, or --out to write another file")
    except OSError as exc:
        refuse(f"cannot write {out}: {exc.strerror or exc}")
