"""The configuration document (``okrs.yaml``) as pydantic models.

The same models sit behind the admin API. Unknown keys are errors (a typo must not silently drop a
setting); cross-references between sections are checked in :mod:`mapping.references`. Every number
is a :data:`mapping.numbers.Number`: finite and within ±1e15.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from mapping.decision import kill_below_problem
from mapping.numbers import Number
from mapping.warehouse import CONNECTION_NAME, SQL_DURATION, sql_metric_problem

DAYS = re.compile(r"^[1-9][0-9]*d$")

Identifier = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
Days = Annotated[str, Field(pattern=DAYS.pattern, description="a number of days such as 14d")]
CHECKIN_EVERY = "7d"  # how often a person checks in on a KR unless the set or the KR says otherwise
Window = Annotated[str, Field(pattern=r"^(cycle|[1-9][0-9]*d)$", description="cycle, or a number of days such as 30d")]

JIRA_AGGREGATES = ("count", "ratio", "sum", "mean", "median", "p90", "duration_median", "duration_p90")
VALUE_AGGREGATES = ("sum", "mean", "median", "p90")
DURATION_AGGREGATES = ("duration_median", "duration_p90")
# How a KR's progress is read: level (where a value stands), accumulate (a count or sum that should
# grow over the cycle), cap (a count or sum over the cycle that must stay at or below the target), keep
# (a value to hold within bounds, which comes with KPIs). Without ``kind:`` it follows from the metric.
Kind = Literal["level", "accumulate", "cap", "keep"]
# Where a product company stands, which decides the objectives worth having (``okrsync init --stage``).
Stage = Literal["prototype", "early-users", "validation", "pmf", "growth", "scale"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def days(text: str) -> int:
    """'14d' → 14."""
    return int(text[:-1])


CLOSE_AFTER = re.compile(r"^(0|[1-9][0-9]{0,2})d$")


class Cycle(_Model):
    id: Identifier
    start: date
    end: date
    close_after: str = Field(
        "3d", description="how long after its end the cycle closes and its results are frozen: 0d to 999d"
    )

    @field_validator("close_after")
    @classmethod
    def _close_after_is_days(cls, value: str) -> str:
        if not CLOSE_AFTER.match(value):
            raise ValueError("a cycle's close_after must be a number of days from 0d to 999d, such as 3d")
        return value

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Cycle:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Duration(_Model):
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    unit: Literal["minutes", "hours", "days"] = "hours"


class Metric(_Model):
    description: str | None = None
    source: Literal["jira", "push", "problems", "sql"] = "jira"
    aggregate: (
        Literal["count", "ratio", "sum", "mean", "median", "p90", "duration_median", "duration_p90", "latest"] | None
    ) = None
    jql: str | None = None
    numerator_jql: str | None = None
    date_field: str | None = None
    value_field: str | None = None
    duration: Duration | None = None
    window: Window = "cycle"
    unit: str | None = None
    stale_after: Days | None = None
    program: str | None = None
    measure: Literal["problems_in_window", "open_candidates", "overdue_aps", "effective_ap_share"] | None = None
    connection: str | None = Field(
        default=None,
        pattern=CONNECTION_NAME.pattern,
        description="source sql: the connection's name; its SQLAlchemy URL is in OKRSYNC_SQL_<NAME>_URL",
    )
    query: str | None = Field(
        default=None, description="source sql: a read-only query returning one number, or rows of (at, value)"
    )
    refresh: str = Field(default="1h", description="source sql: how often the query runs (30m, 1h, 1d)")
    statement_timeout: str = Field(default="30s", description="source sql: the longest a query may run (30s, 2m)")

    @field_validator("refresh", "statement_timeout")
    @classmethod
    def _a_duration(cls, value: str, info: ValidationInfo) -> str:
        if not SQL_DURATION.match(value):
            raise ValueError(
                f"{info.field_name} is a number with a unit: s, m, h or d, such as 30s, 15m, 1h or 1d (got {value!r})"
            )
        return value

    @property
    def effective_aggregate(self) -> str:
        if self.aggregate:
            return self.aggregate
        return "latest" if self.source in ("push", "sql") else "count"

    @property
    def effective_date_field(self) -> str:
        if self.date_field:
            return self.date_field
        if self.duration is not None:
            return self.duration.to
        return "created"

    @model_validator(mode="after")
    def _fields_the_source_needs(self) -> Metric:
        problem = _missing_for_source(self)
        if problem:
            raise ValueError(problem)
        return self


def _missing_for_source(metric: Metric) -> str | None:
    aggregate = metric.effective_aggregate
    if metric.source == "jira":
        if aggregate not in JIRA_AGGREGATES:
            return f"aggregate '{aggregate}' is not available for source jira (expected one of {', '.join(JIRA_AGGREGATES)})"  # noqa: E501
        if not metric.jql:
            return "source jira needs 'jql' (the issues this metric counts)"
        if aggregate == "ratio" and not metric.numerator_jql:
            return "aggregate ratio needs 'numerator_jql' (the issues counted above the line)"
        if aggregate in VALUE_AGGREGATES and not metric.value_field:
            return f"aggregate {aggregate} needs 'value_field' (a numeric field such as Story Points)"
        if aggregate in DURATION_AGGREGATES and metric.duration is None:
            return f"aggregate {aggregate} needs 'duration: {{from: created, to: resolutiondate, unit: hours}}'"
    if metric.source == "push" and aggregate != "latest":
        return "source push supports only aggregate latest"
    if metric.source == "problems" and (not metric.program or not metric.measure):
        return "source problems needs 'program' (a problem program id) and 'measure'"
    return sql_metric_problem(metric.source, aggregate, metric.connection, metric.query, metric.jql)


class Contributors(_Model):
    jql: str | None = None
    epics: list[str] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Contributors:
        if (self.jql is None) == (self.epics is None):
            raise ValueError("give either 'jql' or 'epics' (a list of issue keys), not both or neither")
        return self


Person = Annotated[str, Field(min_length=1, max_length=200, description="an account id, user key or user name")]


class Roles(_Model):
    """Who does what for a KR (RACI): responsible people, the one accountable, those consulted and informed."""

    responsible: list[Person] = []
    accountable: Person | None = None
    consulted: list[Person] = []
    informed: list[Person] = []

    @field_validator("responsible", "consulted", "informed")
    @classmethod
    def _no_one_twice(cls, value: list[str], info: ValidationInfo) -> list[str]:
        twice = sorted({p for p in value if value.count(p) > 1})
        if twice:
            raise ValueError(f"{info.field_name} names {', '.join(twice)} more than once: name each person once")
        return value

    def people(self) -> list[str]:
        """Everyone named, in role order, each once."""
        named = [*self.responsible, *([self.accountable] if self.accountable else []), *self.consulted, *self.informed]
        return list(dict.fromkeys(named))


class Escalation(_Model):
    """Where a KPI out of band (or a KR off track) for too long becomes a problem: an issue in the problem
    program's project (or ``project``) with ``label``, the label one of the program's sources selects."""

    program: str = Field(min_length=1, description="the problem program the breach becomes a problem of")
    label: str = Field(min_length=1, description="the label of the program's source for KPI breaches")
    project: str | None = Field(default=None, min_length=1, description="default: the program's AP project")
    issuetype: str = Field(default="Task", min_length=1)


class Keep(_Model):
    """A healthy band: the value stays at or above ``above``, or at or below ``below``."""

    above: Number | None = None
    below: Number | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Keep:
        if (self.above is None) == (self.below is None):
            raise ValueError("keep takes one bound: {above: X} (stay at or above X) or {below: X} (at or below X)")
        return self

    def holds(self, value: float) -> bool:
        if self.above is not None:
            return value >= self.above
        return self.below is not None and value <= self.below

    @property
    def words(self) -> str:
        return f"≥ {self.above:g}" if self.above is not None else f"≤ {self.below:g}"


class KeyResult(_Model):
    id: Identifier
    title: str = Field(min_length=1)
    owner: str | list[str] | None = None
    accountable: str | None = None
    roles: Roles | None = Field(
        default=None, description="responsible, accountable, consulted, informed: account ids or user keys"
    )
    metric: str | None = None
    baseline: Number | None = None
    target: Number | None = None
    weight: Number = Field(default=1.0, gt=0)
    signal: Literal["leading", "lagging"] | None = None
    contributors: Contributors | None = None
    jira_issue: str | None = None
    unmeasured: str | None = None
    first_reading_due: date | None = Field(
        default=None, description="for an unmeasured KR: the date by which its first reading is due"
    )
    kind: Kind | None = None
    keep: Keep | None = Field(
        default=None, description="instead of baseline and target: the band to hold, {above: X} or {below: X}"
    )
    escalate_after_weeks: int | None = Field(
        default=None, ge=1, le=52, description="with escalate: off track this many weeks, the KR becomes a problem"
    )
    escalate: Escalation | None = None
    drives: list[Annotated[str, Field(pattern=r"^[^/]+/[^/]+$")]] = Field(
        default=[], description="a leading KR: the KRs it is meant to move, as set-id/KR-id"
    )
    lag: Days = Field(default="28d", description="with drives: how long the driven KRs may take to follow")
    decide_by: date | None = Field(
        default=None, description="for a validation KR: the date by which to decide whether to keep going or stop"
    )
    kill_below: Number | None = Field(
        default=None, description="with decide_by: below this value of the KR's metric on that date, stop"
    )
    checkin_every: Days | None = Field(
        default=None, description="a person checks in at least this often (flag no_checkin); default the set's"
    )

    @property
    def owners(self) -> list[str]:
        if self.owner is None:
            return []
        return [self.owner] if isinstance(self.owner, str) else list(self.owner)

    @property
    def accountable_person(self) -> str | None:
        """The one accountable: ``accountable:``, else ``roles.accountable``."""
        return self.accountable or (self.roles.accountable if self.roles else None)

    @property
    def people(self) -> list[str]:
        """Everyone the KR names (owners, then its roles), each once."""
        return list(dict.fromkeys([*self.owners, *([self.accountable] if self.accountable else []), *self._roled()]))

    def _roled(self) -> list[str]:
        return self.roles.people() if self.roles else []

    @model_validator(mode="after")
    def _one_accountable(self) -> KeyResult:
        if self.roles and self.roles.accountable and self.accountable and self.roles.accountable != self.accountable:
            raise ValueError(
                f"accountable is {self.accountable!r} but roles.accountable is {self.roles.accountable!r}: "
                "a KR has one accountable person; keep one of the two, or make them the same"
            )
        return self

    @model_validator(mode="after")
    def _measured_needs_numbers(self) -> KeyResult:
        if self.keep is not None:
            if self.baseline is not None or self.target is not None:
                raise ValueError(
                    "a keep KR holds its metric within a band: give keep: {above: X} or {below: X}, "
                    "or baseline and target, not both"
                )
            return self
        if self.metric and not self.unmeasured:
            missing = [name for name in ("baseline", "target") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"a KR with a metric needs a number for {' and '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _escalation_whole(self) -> KeyResult:
        if (self.escalate is None) != (self.escalate_after_weeks is None):
            raise ValueError(
                "a KR escalates with both escalate_after_weeks (how long off track) and escalate "
                "({program: …, label: …}: where the problem is opened), or with neither"
            )
        return self

    @model_validator(mode="after")
    def _first_reading_only_when_unmeasured(self) -> KeyResult:
        if self.first_reading_due is not None and not self.unmeasured:
            raise ValueError(
                "first_reading_due is the date an unmeasured KR's first reading is due: give the KR an "
                "'unmeasured' reason, or remove first_reading_due"
            )
        return self

    @field_validator("kill_below")
    @classmethod
    def _kill_below_has_a_decision(cls, value: float | None, info: ValidationInfo) -> float | None:
        problem = None if value is None else kill_below_problem(info.data)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _kind_fits_the_numbers(self) -> KeyResult:
        problem = _keep_contradiction(self.kind, self.keep) or _kind_contradiction(
            self.kind, self.baseline, self.target
        )
        if problem:
            raise ValueError(problem)
        return self


def _keep_contradiction(kind: Kind | None, keep: Keep | None) -> str | None:
    """kind: keep comes with its band, and a band makes the KR a keep."""
    if kind == "keep" and keep is None:
        return "kind: keep needs the band to hold: keep: {above: X} or keep: {below: X} instead of baseline and target"
    if keep is not None and kind not in (None, "keep"):
        return f"a KR with keep: is of kind keep (got kind: {kind}); remove kind, or the keep band"
    return None


def _kind_contradiction(kind: Kind | None, baseline: float | None, target: float | None) -> str | None:
    """A cap must come down to its target and an accumulation must grow to it."""
    if baseline is None or target is None:
        return None
    if kind == "cap" and target > baseline:
        return (
            f"kind: cap is a most-allowed count, so its target must be below its baseline "
            f"(got baseline {baseline:g}, target {target:g}); use kind: accumulate for a count that should grow"
        )
    if kind == "accumulate" and target < baseline:
        return (
            f"kind: accumulate is a count that should grow, so its target must be above its baseline "
            f"(got baseline {baseline:g}, target {target:g}); use kind: cap for a count that must stay low"
        )
    return None


class Kpi(_Model):
    """A health metric of a set, kept apart from its objectives: healthy while within its band; ``warn``:
    how close to the bound it may come before it reads as a warning; ``escalate``: out of band for
    ``breach_after``, it opens one problem issue."""

    metric: str = Field(min_length=1)
    keep: Keep
    warn: Number | None = Field(default=None, ge=0, description="a margin inside the band that reads as a warning")
    breach_after: Days = Field(default="1d", description="how long out of band before the breach is escalated")
    escalate: Escalation | None = None


class Objective(_Model):
    id: Identifier
    title: str = Field(min_length=1)
    weight: Number = Field(default=1.0, gt=0)
    key_results: list[KeyResult] = Field(min_length=1)


class ConfluenceTarget(_Model):
    space: str = Field(min_length=1)
    title: str = Field(min_length=1)
    parent: str | None = None


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def zone_problem(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (expected an IANA name such as UTC or Asia/Shanghai)"
    return None


class Cadence(_Model):
    """When a set's rituals are due: the weekly digest's day, the monthly review's day of the month."""

    weekly: str = Field(default="monday", description="the weekly digest's day: monday … sunday")
    monthly: int = Field(default=1, description="the monthly review's day of the month: 1 to 28")
    timezone: str | None = Field(default=None, description="the zone those days are read in (default: the config's)")
    digest_comment: bool = Field(default=False, description="also comment the weekly digest on the set's jira_issue")

    @field_validator("weekly", mode="before")
    @classmethod
    def _a_weekday(cls, value: object) -> str:
        if not isinstance(value, str) or value.strip().lower() not in WEEKDAYS:
            raise ValueError(f"the weekly digest's day must be a day of the week: {', '.join(WEEKDAYS)}")
        return value.strip().lower()

    @field_validator("monthly", mode="before")
    @classmethod
    def _a_day_of_every_month(cls, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 28:
            raise ValueError(
                "the monthly review's day of the month must be a whole number from 1 to 28 (a day every month has)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        problem = None if value is None else zone_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def weekday(self) -> int:
        """Monday 0 … Sunday 6, as ``date.weekday()`` counts."""
        return WEEKDAYS.index(self.weekly)


class OkrSet(_Model):
    id: Identifier
    name: str = Field(min_length=1)
    level: Literal["company", "department", "team"] = "team"
    stage: Stage | None = Field(default=None, description="the product's stage: prototype … scale")
    cycle: str
    owner: str | None = None
    aligns_to: str | None = Field(default=None, pattern=r"^[^/]+/[^/]+$", description="set-id/objective-id")
    projects: list[str] = []
    confluence: ConfluenceTarget | None = None
    checkin_every: Days = Field(
        default=CHECKIN_EVERY, description="a person checks in on each KR at least this often (flag no_checkin)"
    )
    jira_issue: str | None = Field(
        default=None,
        min_length=1,
        description="an issue the weekly digest is commented on and whose okrsync.status property carries the KPIs",
    )
    cadence: Cadence = Cadence()
    kpis: list[Kpi] = Field(default=[], description="health metrics with a band, shown apart from the objectives")
    objectives: list[Objective] = Field(min_length=1)


class ProblemSource(_Model):
    id: Identifier
    name: str = Field(min_length=1)
    jql: str = Field(min_length=1)
    owner: str | None = Field(
        default=None, min_length=1, description="who keeps this source up to date; assignee of its APs"
    )


ProblemCategory = Literal["system", "mechanism", "people"]


class Classification(_Model):
    labels: dict[ProblemCategory, Annotated[str, Field(min_length=1)]] | None = None
    field: str | None = Field(
        default=None, min_length=1, description="a select field with options System / Mechanism / People"
    )

    @model_validator(mode="after")
    def _one_way(self) -> Classification:
        if (self.labels is None) == (self.field is None):
            raise ValueError("give either 'labels' (system/mechanism/people → label) or 'field', not both or neither")
        return self


class Impact(_Model):
    field: str = "priority"
    scale: dict[str, Number] = {"Highest": 5, "High": 4, "Medium": 3, "Low": 2, "Lowest": 1}
    default: Number = 3


class ActionPoints(_Model):
    mode: Literal["propose", "create"] = "propose"
    project: str = Field(min_length=1)
    issuetype: str = Field(default="Task", min_length=1)
    label: str = Field(default="action-point", min_length=1)
    due_in: Days = "14d"
    effectiveness_window: Days = "28d"


class ProblemProgram(_Model):
    id: Identifier
    name: str = Field(min_length=1)
    window: Days = "56d"
    review_every: Days = "14d"
    owner: Person | None = Field(default=None, description="who answers for the program; named in escalations")
    escalate_after: Days = Field(default="7d", description="an AP overdue longer than this is escalated")
    sources: list[ProblemSource] = Field(min_length=1)
    classify: Classification
    theme: str = Field(default="component", pattern=r"^(component|label:.+|field:.+)$")
    impact: Impact = Impact()
    threshold: Number = Field(default=9, gt=0)
    action_points: ActionPoints
    confluence: ConfluenceTarget | None = None


class HealthBands(_Model):
    """Gap (expected − progress) limits: at or below on_track → on track; at or below at_risk → at risk."""

    on_track: Number = Field(default=0.10, ge=0)
    at_risk: Number = Field(default=0.25, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> HealthBands:
        if self.at_risk < self.on_track:
            raise ValueError("at_risk must be at least on_track")
        return self


class Writeback(_Model):
    """What the service writes into Jira besides the ``okrsync.status`` issue property."""

    epic_field: str | None = Field(default=None, description="A text field on contributor epics, by name")
    kr_fields: dict[Literal["score", "health", "progress", "current", "summary"], str] = Field(
        default={}, description="Fields of a KR's jira_issue, by name: score → 'OKR score', …"
    )
    checkin_comments: bool = Field(default=True, description="Comment on a KR's jira_issue when its health changes")
    remote_links: bool = Field(
        default=True, description="A remote issue link per KR on its contributor epics and its jira_issue"
    )
    health_field: str | None = Field(
        default=None,
        description="A single-select (or labels) field, by name, holding the health on contributor epics and KR "
        "issues: On track, At risk, Off track, Done, Missed, Not measured",
    )
    status_field: str | None = Field(
        default=None, description="A text field, by name, holding the status line(s) on contributor epics and KR issues"
    )

    @property
    def field_names(self) -> set[str]:
        """The lower-cased names of the fields the service owns (its writes there are not news). Jira's
        own Labels field is shared with people, so it is never counted as the service's."""
        names = set(self.kr_fields.values())
        names |= {n for n in (self.epic_field, self.health_field, self.status_field) if n}
        return {n.strip().lower() for n in names} - {"labels"}


class OkrConfig(_Model):
    version: Literal[1] = 1
    timezone: str = "UTC"
    health: HealthBands = HealthBands()
    writeback: Writeback = Writeback()
    cycles: list[Cycle] = Field(min_length=1)
    metrics: dict[Identifier, Metric] = {}
    okr_sets: list[OkrSet] = []
    problem_programs: list[ProblemProgram] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        problem = zone_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def cycle(self, cycle_id: str) -> Cycle:
        return next(c for c in self.cycles if c.id == cycle_id)
