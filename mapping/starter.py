"""A first ``okrs.yaml`` for a product company at a given stage, as commented YAML text (pure, no I/O).

``okrsync init`` describes the connected Jira in a :class:`SiteDescription` (or gives none, offline)
and :func:`starter_text` writes the file: the objectives of the stage (see :mod:`mapping.stages`), each
key result either measured by a Jira metric whose JQL uses the site's own names (project keys, the
issue types for bugs, epics and incidents, the top priority, the Done status category) or honestly
``unmeasured`` with the date its first reading is due.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from mapping.models import Stage
from mapping.stages import STAGE_PLANS, KrPattern, StagePlan

PLACEHOLDER_PROJECT = "YOURPROJECT"
FIRST_READING_DAYS = 30  # an unmeasured KR's first reading is due this many days into the cycle (or from today)
MAX_PROJECTS = 10  # a starter names at most this many projects; the others are listed in a comment
MIN_DAYS_LEFT = 30  # fewer days left in this quarter: the starter plans the next one
BUG_TYPES = ("bug", "defect", "缺陷")
EPIC_TYPES = ("epic", "史诗", "长篇故事")
INCIDENT_TYPES = ("incident", "故障", "事故", "事件")
JQL_WORDS = frozenset(
    "and or not empty null order by in is was changed asc desc to from on after before during".split()
)
YAML_WORDS = frozenset("y n yes no on off true false null".split())


@dataclass(frozen=True)
class SiteProject:
    key: str
    name: str
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteIssueType:
    name: str
    hierarchy_level: int = 0


@dataclass(frozen=True)
class SiteStatus:
    name: str
    category: str  # the category's key: new, indeterminate or done
    category_name: str


@dataclass(frozen=True)
class SiteDescription:
    """What a Jira site has, as its API reports it; names are used as they are."""

    url: str
    projects: tuple[SiteProject, ...]
    issue_types: tuple[SiteIssueType, ...]
    statuses: tuple[SiteStatus, ...]
    priorities: tuple[str, ...]  # highest first
    custom_fields: tuple[str, ...]


@dataclass(frozen=True)
class Names:
    """The names the JQL of a starter uses; None where the site has no such thing."""

    projects: tuple[str, ...]
    bug: str | None
    epic: str | None
    incident: str | None
    top_priority: str | None
    done: str
    placeholder: bool

    @property
    def project_clause(self) -> str:
        keys = [jql_value(key) for key in self.projects]
        return f"project = {keys[0]}" if len(keys) == 1 else f"project in ({', '.join(keys)})"


OFFLINE_NAMES = Names((PLACEHOLDER_PROJECT,), "Bug", "Epic", "Incident", "Highest", "Done", placeholder=True)


def site_names(site: SiteDescription | None) -> Names:
    """The names a starter uses: the site's, or Jira's defaults around a placeholder project offline."""
    if site is None:
        return OFFLINE_NAMES
    done = next((s.category_name for s in site.statuses if s.category == "done" and s.category_name), "Done")
    return Names(
        projects=tuple(p.key for p in site.projects[:MAX_PROJECTS]) or (PLACEHOLDER_PROJECT,),
        bug=_type_named(site, BUG_TYPES),
        epic=_type_named(site, EPIC_TYPES) or next((t.name for t in site.issue_types if t.hierarchy_level == 1), None),
        incident=_type_named(site, INCIDENT_TYPES),
        top_priority=site.priorities[0] if site.priorities else None,
        done=done,
        placeholder=not site.projects,
    )


def _type_named(site: SiteDescription, names: tuple[str, ...]) -> str | None:
    return next((t.name for t in site.issue_types if t.name.strip().casefold() in names), None)


def jql_value(name: str) -> str:
    """A name as a JQL value: bare when it is a plain word, else in double quotes."""
    plain = name.isascii() and name.replace("_", "").isalnum() and name[:1].isalpha()
    if plain and name.casefold() not in JQL_WORDS:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def yaml_text(text: str) -> str:
    """Free text as a single-quoted YAML scalar, on one line."""
    return "'" + " ".join(text.split()).replace("'", "''") + "'"


def yaml_word(text: str) -> str:
    """An identifier or key: bare when YAML reads it back as the same string, else quoted."""
    plain = text.isascii() and text.replace("-", "").replace("_", "").replace(".", "").isalnum()
    if plain and text[:1].isalpha() and text.casefold() not in YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def planned_quarter(today: date) -> tuple[str, date, date]:
    """The quarter a starter plans: this one, or the next when fewer than MIN_DAYS_LEFT days are left."""
    start, end = _quarter_of(today)
    if (end - today).days < MIN_DAYS_LEFT:
        start, end = _quarter_of(end + timedelta(days=1))
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}", start, end


def _quarter_of(day: date) -> tuple[date, date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    following = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, following - timedelta(days=1)


def starter_text(site: SiteDescription | None, stage: Stage, today: date) -> str:
    """The commented okrs.yaml for ``stage``; ``site`` None writes placeholders to replace."""
    names, plan = site_names(site), STAGE_PLANS[stage]
    cycle, start, end = planned_quarter(today)
    lines = [
        *_header(site, names, plan, today),
        "version: 1",
        "timezone: UTC",
        "cycles:",
        f"  - {{id: {cycle}, start: {start.isoformat()}, end: {end.isoformat()}}}",
        "",
        *_metrics_section(plan, names),
        *_set_lines(plan, names, cycle, max(today, start) + timedelta(days=FIRST_READING_DAYS)),
    ]
    return "\n".join(lines) + "\n"


def _header(site: SiteDescription | None, names: Names, plan: StagePlan, today: date) -> list[str]:
    where = f"from the Jira at {site.url}" if site is not None else "offline, without a Jira"
    lines = [
        f"# A first okrs.yaml for a product at the {plan.stage} stage, written by okrsync init on {today} {where}.",
        f"# {plan.summary}",
        "# Baselines and targets are starting guesses: put your first reading in as the baseline, then",
        "# check the file with `okrsync validate okrs.yaml` and `okrsync lint okrs.yaml`, and put it in force",
        "# with `okrsync apply okrs.yaml`.",
    ]
    if site is None or names.placeholder:
        lines += _placeholder_note()
    if site is not None:
        lines += _inventory(site)
    return [*lines, ""]


def _placeholder_note() -> list[str]:
    return [
        "#",
        f"# TO REPLACE: {PLACEHOLDER_PROJECT} stands for your Jira project keys, in every jql and in projects:",
        "# (several: project in (SHOP, OPS)). Bug, Epic, Incident, Highest and Done are Jira's default names;",
        "# write your site's where it renamed them. Run okrsync init with OKRSYNC_JIRA_URL set to have them",
        "# filled in from your Jira.",
    ]


def _inventory(site: SiteDescription) -> list[str]:
    """What the site has, so that an edit can use its real names."""
    projects = [f"{p.key} ({p.name}{_components(p)})" for p in site.projects]
    statuses = [f"{s.name} ({s.category_name or s.category})" for s in site.statuses]
    lines = [
        "#",
        "# This Jira has (the JQL below uses these names):",
        f"#   projects: {_listing(projects)}",
        f"#   issue types: {_listing([t.name for t in site.issue_types])}",
        f"#   statuses (status category): {_listing(statuses)}",
        f"#   priorities, highest first: {_listing(list(site.priorities))}",
        f"#   custom fields (usable as value_field or in JQL by name): {_listing(list(site.custom_fields))}",
    ]
    if len(site.projects) > MAX_PROJECTS:
        lines.append(f"# The set below names the first {MAX_PROJECTS} projects; add or remove keys to fit it.")
    return lines


def _components(project: SiteProject) -> str:
    return f"; components {', '.join(project.components)}" if project.components else ""


def _listing(items: list[str], most: int = 30) -> str:
    if not items:
        return "none"
    shown = ", ".join(" ".join(item.split()) for item in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def _metrics_section(plan: StagePlan, names: Names) -> list[str]:
    lines = ["metrics:"]
    for metric_id in plan.metric_ids():
        built = METRIC_BUILDERS[metric_id](names)
        if isinstance(built, MetricDef):
            lines += built.lines(metric_id)
    return ["metrics: {}", ""] if lines == ["metrics:"] else [*lines, ""]


def _set_lines(plan: StagePlan, names: Names, cycle: str, due: date) -> list[str]:
    lines = [
        "okr_sets:",
        f"  - id: {plan.set_id}",
        f"    name: {yaml_text(f'{plan.set_name} — {cycle}')}",
        f"    level: {plan.level}",
        f"    stage: {plan.stage}",
        f"    cycle: {cycle}",
        f"    projects: [{', '.join(yaml_word(key) for key in names.projects)}]",
        "    # confluence: {space: OKR, title: OKRs} publishes the set's page in that space",
        "    objectives:",
    ]
    for number, objective in enumerate(plan.objectives, 1):
        lines += [f"      - id: O{number}", f"        title: {yaml_text(objective.title)}", "        key_results:"]
        for kr_number, pattern in enumerate(objective.key_results, 1):
            lines += _kr_lines(f"O{number}.KR{kr_number}", pattern, names, due)
    return lines


def _kr_lines(kr_id: str, pattern: KrPattern, names: Names, due: date) -> list[str]:
    lines = [f"          - id: {kr_id}", f"            title: {yaml_text(pattern.title)}"]
    built = METRIC_BUILDERS[pattern.metric](names) if pattern.metric else pattern.unmeasured
    if isinstance(built, MetricDef):
        lines += [
            f"            metric: {pattern.metric}",
            f"            baseline: {pattern.baseline:g}  # a starting guess: put your first reading here",
            f"            target: {pattern.target:g}",
        ]
    else:
        lines += [f"            unmeasured: {yaml_text(built or '')}", f"            first_reading_due: {due}"]
    if pattern.signal:
        lines.append(f"            signal: {pattern.signal}")
    return lines


@dataclass(frozen=True)
class MetricDef:
    """A Jira metric of a starter, its JQL already in the site's names."""

    description: str
    aggregate: str
    jql: str
    window: str
    unit: str
    numerator_jql: str | None = None
    duration: str | None = None

    def lines(self, metric_id: str) -> list[str]:
        lines = [
            f"  {metric_id}:",
            f"    description: {yaml_text(self.description)}",
            "    source: jira",
            f"    aggregate: {self.aggregate}",
            f"    jql: {yaml_text(self.jql)}",
        ]
        if self.numerator_jql:
            lines.append(f"    numerator_jql: {yaml_text(self.numerator_jql)}")
        if self.duration:
            lines.append(f"    duration: {self.duration}")
        return [*lines, f"    window: {self.window}", f"    unit: {yaml_word(self.unit)}"]


def _missing(what: str) -> str:
    return (
        f"this Jira has no issue type for {what} that okrsync init recognises; name yours in a jira metric "
        "(see the metrics of docs/configuration.md), or push readings to a push metric"
    )


def _bug_fix_days(n: Names) -> MetricDef | str:
    if n.bug is None:
        return _missing("bugs")
    return MetricDef(
        f"Median days from report to fix of the {n.bug} issues resolved in the last 30 days",
        "duration_median",
        f"{n.project_clause} AND issuetype = {jql_value(n.bug)} AND statusCategory = {jql_value(n.done)}",
        "30d",
        "days",
        duration="{from: created, to: resolutiondate, unit: days}",
    )


def _top_priority_bugs(n: Names) -> MetricDef | str:
    if n.bug is None or n.top_priority is None:
        return _missing("bugs") if n.bug is None else "this Jira has no priorities to tell the urgent bugs apart"
    return MetricDef(
        f"{n.bug} issues at priority {n.top_priority} reported in the last 30 days",
        "count",
        f"{n.project_clause} AND issuetype = {jql_value(n.bug)} AND priority = {jql_value(n.top_priority)}",
        "30d",
        "bugs",
    )


def _escaped_defect_share(n: Names) -> MetricDef | str:
    if n.bug is None or n.top_priority is None:
        return _top_priority_bugs(n)
    bugs = f"{n.project_clause} AND issuetype = {jql_value(n.bug)}"
    return MetricDef(
        f"Share of the last 30 days' {n.bug} issues reported at priority {n.top_priority}: the defects that "
        "reached customers (where escaped bugs carry a label, count labels = escaped instead)",
        "ratio",
        bugs,
        "30d",
        "%",
        numerator_jql=f"{bugs} AND priority = {jql_value(n.top_priority)}",
    )


def _epic_lead_days(n: Names) -> MetricDef | str:
    if n.epic is None:
        return _missing("epics")
    return MetricDef(
        f"Median days from opening an {n.epic} to finishing it, over those finished in the last 90 days: "
        "how long customers wait for a change",
        "duration_median",
        f"{n.project_clause} AND issuetype = {jql_value(n.epic)} AND statusCategory = {jql_value(n.done)}",
        "90d",
        "days",
        duration="{from: created, to: resolutiondate, unit: days}",
    )


def _incident_clause(n: Names) -> tuple[str, str] | None:
    """The JQL of production incidents and how it reads: the incident type, else top-priority bugs."""
    if n.incident is not None:
        return f"issuetype = {jql_value(n.incident)}", f"{n.incident} issues"
    if n.bug is not None and n.top_priority is not None:
        clause = f"issuetype = {jql_value(n.bug)} AND priority = {jql_value(n.top_priority)}"
        return clause, f"{n.bug} issues at priority {n.top_priority} (this Jira has no incident type)"
    return None


def _production_incidents(n: Names) -> MetricDef | str:
    found = _incident_clause(n)
    if found is None:
        return _missing("incidents")
    clause, words = found
    return MetricDef(
        f"Production incidents this cycle: {words} opened",
        "count",
        f"{n.project_clause} AND {clause}",
        "cycle",
        "incidents",
    )


def _restore_hours(n: Names) -> MetricDef | str:
    found = _incident_clause(n)
    if found is None:
        return _missing("incidents")
    clause, words = found
    return MetricDef(
        f"Median hours from opening to resolving a production incident ({words}), last 30 days",
        "duration_median",
        f"{n.project_clause} AND {clause} AND statusCategory = {jql_value(n.done)}",
        "30d",
        "hours",
        duration="{from: created, to: resolutiondate, unit: hours}",
    )


METRIC_BUILDERS = {
    "bug_fix_days": _bug_fix_days,
    "top_priority_bugs": _top_priority_bugs,
    "escaped_defect_share": _escaped_defect_share,
    "epic_lead_days": _epic_lead_days,
    "production_incidents": _production_incidents,
    "restore_hours": _restore_hours,
}
