"""The JQL subset's vocabulary: errors, the evaluation context, the immutable syntax tree and the
catalogue of fields the mirror can answer. Pure data, no behaviour beyond lookups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import Enum
from types import MappingProxyType


class JqlError(ValueError):
    """Malformed JQL: the message says what is wrong, where, and what was expected."""


class JqlUnsupported(JqlError):
    """Valid-looking JQL outside the locally evaluated subset; the caller evaluates it remotely."""


SUNDAY = 6  # datetime.weekday() numbering: Monday is 0


@dataclass(frozen=True)
class JqlContext:
    """Everything evaluation needs besides the query and the document.

    ``week_starts_on`` follows ``datetime.weekday()`` (Monday 0 … Sunday 6); Jira's default locale
    (English, United States) starts the week on Sunday, which is the default here too.
    """

    at: datetime
    tz: tzinfo = UTC
    custom_fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    current_user: str | None = None
    week_starts_on: int = SUNDAY

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("JqlContext.at must be an aware datetime")
        if not 0 <= self.week_starts_on <= 6:
            raise ValueError("JqlContext.week_starts_on must be 0 (Monday) … 6 (Sunday)")

    __hash__ = object.__hash__  # custom_fields may be a dict; identity is what caches need


# --- fields -----------------------------------------------------------------------------------------


class Kind(Enum):
    """How a field's values compare."""

    NAME = "name"  # one case-insensitive name (status, priority, …)
    NAMES = "names"  # several case-insensitive names (labels, components)
    USER = "user"  # one user identity
    DATETIME = "datetime"  # an instant (created, updated, resolved)
    DATE = "date"  # a calendar date (duedate)
    KEY = "key"  # issue key or id
    TEXT = "text"  # free text, searched with ~
    CATEGORY = "category"  # status category: key, name or id
    CUSTOM = "custom"  # a custom field: type unknown until the value is seen
    EPIC_LINK = "epic link"  # the Epic Link custom field, or parent when it is not configured


@dataclass(frozen=True)
class SystemField:
    """A field the mirror document carries: ``name`` is the canonical JQL name."""

    name: str


@dataclass(frozen=True)
class CustomField:
    """A custom field named in the query (``"Story Points"``, ``Team``), resolved at evaluation."""

    name: str


@dataclass(frozen=True)
class CustomFieldId:
    """``cf[10014]``."""

    number: int


FieldRef = SystemField | CustomField | CustomFieldId


@dataclass(frozen=True)
class FieldSpec:
    name: str  # canonical JQL name
    kind: Kind
    document_key: str  # where the mirror document keeps it


SYSTEM_FIELDS: dict[str, FieldSpec] = {
    spec.name.lower(): spec
    for spec in (
        FieldSpec("project", Kind.NAME, "project"),
        FieldSpec("issuetype", Kind.NAME, "issuetype"),
        FieldSpec("status", Kind.NAME, "status"),
        FieldSpec("statusCategory", Kind.CATEGORY, "statusCategory"),
        FieldSpec("labels", Kind.NAMES, "labels"),
        FieldSpec("component", Kind.NAMES, "components"),
        FieldSpec("priority", Kind.NAME, "priority"),
        FieldSpec("resolution", Kind.NAME, "resolution"),
        FieldSpec("assignee", Kind.USER, "assignee"),
        FieldSpec("reporter", Kind.USER, "reporter"),
        FieldSpec("created", Kind.DATETIME, "created"),
        FieldSpec("updated", Kind.DATETIME, "updated"),
        FieldSpec("resolved", Kind.DATETIME, "resolutiondate"),
        FieldSpec("duedate", Kind.DATE, "duedate"),
        FieldSpec("parent", Kind.NAME, "parent"),
        FieldSpec("key", Kind.KEY, "key"),
        FieldSpec("summary", Kind.TEXT, "summary"),
        FieldSpec("text", Kind.TEXT, "summary"),  # only the summary is mirrored
        FieldSpec("Epic Link", Kind.EPIC_LINK, "parent"),
    )
}

FIELD_ALIASES: dict[str, str] = {
    "type": "issuetype",
    "components": "component",
    "createddate": "created",
    "updateddate": "updated",
    "resolutiondate": "resolved",
    "due": "duedate",
    "issuekey": "key",
    "issue": "key",
    "id": "key",
}

# System fields Jira knows but the mirror does not carry: a query using them is evaluated remotely.
UNMIRRORED_FIELDS: frozenset[str] = frozenset(
    name.lower()
    for name in (
        "affectedVersion",
        "approvals",
        "attachments",
        "category",
        "comment",
        "creator",
        "description",
        "environment",
        "filter",
        "request",
        "savedFilter",
        "searchRequest",
        "fixVersion",
        "issueFunction",
        "issueLink",
        "issueLinkType",
        "lastViewed",
        "level",
        "originalEstimate",
        "timeOriginalEstimate",
        "remainingEstimate",
        "timeEstimate",
        "timeSpent",
        "sprint",
        "subtasks",
        "timeTracking",
        "votes",
        "voter",
        "watchers",
        "watcher",
        "workRatio",
        "worklogAuthor",
        "worklogComment",
        "worklogDate",
        "statusCategoryChangedDate",
        "lastStatusChange",
        "hierarchyLevel",
        "updatedBy",
        "resolvedBy",
        "affectedVersions",
        "fixVersions",
        "version",
    )
)


def spec_of(field_ref: FieldRef) -> FieldSpec | None:
    """The catalogue entry of a system field, ``None`` for custom fields."""
    if isinstance(field_ref, SystemField):
        return SYSTEM_FIELDS[field_ref.name.lower()]
    return None


# --- operands and clauses ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A literal exactly as the user meant it (quotes and escapes removed)."""

    text: str


@dataclass(frozen=True)
class Empty:
    """``EMPTY`` / ``NULL``."""


@dataclass(frozen=True)
class Call:
    """A function call; ``name`` in its canonical spelling, arguments as literal texts."""

    name: str
    args: tuple[str, ...] = ()


Operand = Value | Empty | Call

EQUALITY_OPERATORS = ("=", "!=")
ORDER_OPERATORS = (">", ">=", "<", "<=")
TEXT_OPERATORS = ("~", "!~")
LIST_OPERATORS = ("in", "not in")
EMPTINESS_OPERATORS = ("is", "is not")
OPERATORS = EQUALITY_OPERATORS + ORDER_OPERATORS + TEXT_OPERATORS + LIST_OPERATORS + EMPTINESS_OPERATORS
NEGATIVE_OPERATORS = frozenset(("!=", "!~", "not in", "is not"))


@dataclass(frozen=True)
class Clause:
    """``field operator operand``; for IN / NOT IN the operand is a tuple of operands."""

    field: FieldRef
    operator: str
    operand: Operand | tuple[Operand, ...]


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class OrderKey:
    field: str
    direction: str | None = None  # "asc", "desc" or unspecified


@dataclass(frozen=True)
class Query:
    """A parsed query. ``where`` is ``None`` for the empty query (it matches every issue).
    ``order_by`` is kept for printing and ignored by evaluation."""

    where: Node | None
    order_by: tuple[OrderKey, ...] = ()
