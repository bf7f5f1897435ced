"""Request and answer bodies of the admin API that are not configuration models themselves.

The configuration parts (cycles, metrics, OKR sets, objectives, KRs, problem programs) travel as the
``mapping.models`` models; these are the envelopes around them and the operational bodies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, StrictBool, field_validator

from mapping.models import Contributors, Identifier, Metric
from mapping.numbers import Number

T = TypeVar("T")

ProjectKey = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
ClientKey = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(_Body):
    path: str
    message: str


class ErrorBody(_Body):
    error: str = Field(description="a stable code such as unauthorized, invalid_body, invalid_config, not_found")
    message: str = Field(description="what is wrong and how to fix it")
    path: str | None = Field(
        default=None, description="the field at fault, e.g. okr_sets[0].objectives[1].key_results[0].target"
    )
    problems: list[Problem] | None = None


class MetricChange(_Body):
    metric: str
    old: str | None
    new: str


class Saved(_Body, Generic[T]):
    revision: int = Field(description="the configuration revision now in force")
    changed: bool = Field(description="false when the change left the configuration as it was")
    metric_changes: list[MetricChange] = Field(description="metric definitions that got a new version")
    item: T | None = Field(description="the part as stored (null after a delete)")


class Items(_Body, Generic[T]):
    items: list[T]


class ConfigDocument(_Body):
    revision: int
    source: str | None = None
    author: str | None = None
    applied_at: str | None = None
    document: dict[str, Any] | None = Field(
        description="the configuration in force as JSON; null before the first apply"
    )


class MetricVersion(_Body):
    version: str
    at: str
    author: str


class MetricEntry(_Body):
    id: str
    definition: Metric
    versions: list[MetricVersion] = Field(description="definition versions, oldest first")


class NewMetric(Metric):
    """A metric definition with the id it is filed under in the metric dictionary."""

    id: Identifier


class Projects(_Body):
    projects: list[ProjectKey] = Field(description="Jira project keys mapped to the OKR set")


class ContributorsBody(Contributors):
    """Epics doing the work of a KR: a JQL filter or a list of issue keys."""


class MeasurementIn(_Body):
    value: Annotated[Number, Strict()] = Field(description="a JSON number, finite and within ±1e15")
    at: AwareDatetime | None = Field(default=None, description="when it was measured (default: now); with a UTC offset")
    note: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=200, description="the pipeline or person that pushed it")
    idempotency_key: ClientKey | None = Field(
        default=None, description="a retry with the same key stores nothing new (also as the Idempotency-Key header)"
    )

    @field_validator("at", mode="before")
    @classmethod
    def _iso_text(cls, value: object) -> object:
        if value is not None and not isinstance(value, (str, datetime)):
            raise ValueError("an ISO-8601 time with a UTC offset such as 2026-11-20T09:00:00Z is required")
        return value


class MeasurementOut(_Body):
    metric: str
    value: float
    at: datetime
    note: str | None
    source: str | None
    idempotency_key: str | None
    replayed: bool = Field(description="true when this key was seen before: nothing new was stored")
    marked: list[str] = Field(description="the KRs (set/kr) queued for recomputation")


class StoredMeasurement(_Body):
    metric: str
    value: float
    at: datetime
    note: str | None = None
    source: str | None = None


class ResyncIn(_Body):
    full: StrictBool = Field(default=False, description="start over and forget issues Jira no longer has")


class ResyncOut(_Body):
    job_id: str
    full: bool
    queue: str
    status: str


class Backlog(_Body):
    waiting: int
    pending: int
    dead: int
    lag_seconds: float


class SystemCalls(_Body):
    system: str
    calls: int
    rate_limited: int = Field(description="attempts answered 429")
    retries: int = Field(description="attempts answered 429, 5xx or not at all; the connector retries these")
    conflicts: int = Field(
        description="attempts answered 409: a page a person changed since it was read; re-read, merged, written again"
    )
    errors: int = Field(description="attempts answered 4xx other than 409 and 429")


class Reconciliation(_Body):
    at: str | None
    seen: int
    drift: int
    drifted: list[str]


class LastEvent(_Body):
    issue: str | None = Field(description="the most recently updated mirrored issue of the mapping")
    updated: str | None
    mirrored_issues: int


class WriteBacks(_Body):
    targets: int = Field(description="Jira targets (issue properties, fields, comments) with a recorded write")
    issues: list[str] = Field(description="up to 50 of those issues")


class PageStatus(_Body):
    kind: str = Field(
        description="okr_set, problem_program, weekly_digest, monthly_review, close_page (a set's latest "
        "weekly digest, monthly review or close page under its page) or problem_review (a program's latest "
        "dated review under its page)"
    )
    id: str
    space: str
    title: str
    url: str | None = Field(description="where people read the page, when Confluence said so")
    written: bool = Field(description="the service has written its region of this page")
    written_at: str | None = Field(description="the last write-back to the page")
    failed_at: str | None = Field(description="the last failed attempt, when it failed since the last write")
    reason: str | None = Field(description="why that attempt failed, when it is known")
    pending: bool = Field(description="a change waits for the page's coalescing interval")


class MappingStatus(_Body):
    okr_set: str
    name: str
    projects: list[str]
    last_event: LastEvent
    queue_lag_seconds: float
    write_backs: WriteBacks
    last_reconciliation: Reconciliation | None
    pages: list[PageStatus]


class FailingTarget(_Body):
    target: str = Field(
        description='what could not be written: "property:SHOP-12", "checkin:set/KR1", "remote metric m@cycle"'
    )
    issue: str | None = Field(description="the Jira issue it concerns")
    kind: str = Field(
        description="permanent (refused: tried again when the configuration or the issue changes) "
        "or transient (tried again after a backoff)"
    )
    status: int | None = Field(description="the HTTP status Jira answered; null without an answer")
    reason: str
    since: str = Field(description="the first failure of this run of failures (UTC)")
    attempts: int
    retry_at: str | None = Field(description="a transient failure is not tried again before this time (UTC)")
    retry: str = Field(description="when it is tried again, in words")


class Status(_Body):
    configured: bool
    revision: int
    evaluated_at: str | None = Field(description="time of the latest evaluation; null before the first one")
    queue: Backlog
    events: dict[str, float]
    calls: list[SystemCalls]
    write_backs_total: int
    last_reconciliation: Reconciliation | None
    mappings: list[MappingStatus]
    pages: list[PageStatus]
    failing: list[FailingTarget] = Field(description="every target whose last write failed; the others are current")


class RescopeIn(_Body):
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S", description="why the scope is set again")


class RescopeOut(_Body):
    okr_set: str
    kr: str
    recorded_at: str = Field(description="when the scope was recorded (ISO 8601, in the configuration's zone)")
    epics: dict[str, bool] = Field(description="the contributing epics now the scope, key → done")
    reason: str
    author: str


ConfidenceWord = Literal["low", "medium", "high"]


class CheckInIn(_Body):
    confidence: Annotated[float, Field(ge=0, le=1)] | ConfidenceWord = Field(
        description="how sure the people are that the KR will make it: 0 to 1, or low/medium/high (0.3/0.6/0.9)"
    )
    note: str | None = Field(default=None, max_length=2000, description="what moved, what is in the way")
    blockers: str | None = Field(default=None, max_length=500, description="what blocks the KR")
    asks: str | None = Field(default=None, max_length=500, description="the help asked of others")
    author: str | None = Field(
        default=None, min_length=1, max_length=200, description="who checks in (display name); default the token's"
    )


class CheckInOut(_Body):
    id: str
    okr_set: str
    kr: str
    author: str = Field(description="the author's display name")
    author_id: str = Field(description="the Jira account id (or user key) of a comment's author; the token otherwise")
    at: str = Field(description="when the check-in was made (ISO 8601)")
    confidence: float
    note: str
    blockers: str
    asks: str
    source: Literal["comment", "api", "admin"]
    comment_id: str | None = None


class CheckInList(_Body):
    okr_set: str
    kr: str
    checkins: list[CheckInOut] = Field(description="newest first")
