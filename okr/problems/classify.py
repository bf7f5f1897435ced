"""One mirror document as a problem: its source, category, themes and impact (pure).

Total over documents of any shape: a field of an unexpected type reads as empty, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from typing import Any

from jql.query import JqlContext
from mapping.models import Classification, Impact, ProblemCategory, ProblemProgram, ProblemSource
from okr.fields import field_time, field_value
from okr.problems.model import CATEGORIES, CROSS, NO_THEME, UNTRIAGED, Document, Problem

Matcher = Callable[[Mapping[str, Any], JqlContext], bool]

# Mirror document keys a theme or impact field may name directly (anything else is a custom field).
_DOCUMENT_KEYS = {
    "priority": "priority",
    "status": "status",
    "resolution": "resolution",
    "assignee": "assignee",
    "reporter": "reporter",
    "issuetype": "issuetype",
    "type": "issuetype",
    "project": "project",
    "labels": "labels",
    "label": "labels",
    "components": "components",
    "component": "components",
}


def texts(value: object) -> list[str]:
    """A field value as a list of non-empty texts: a string, a number, or a list of them."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            continue
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        elif isinstance(item, (int, float)):
            out.append(f"{item:g}")
    return out


def field_texts(document: Document, name: str, custom_fields: Mapping[str, str]) -> list[str]:
    key = _DOCUMENT_KEYS.get(name.strip().lower())
    if key is not None:
        return texts(document.get(key))
    return texts(field_value(document, name, custom_fields))


def first_source(
    document: Document, sources: Sequence[tuple[ProblemSource, Matcher]], context: JqlContext
) -> str | None:
    """The id of the first source whose JQL matches: a problem belongs to exactly one source."""
    for source, matches in sources:
        if matches(document, context):
            return source.id
    return None


def category_of(document: Document, classify: Classification, custom_fields: Mapping[str, str]) -> str:
    found = (
        _label_categories(document, classify.labels)
        if classify.labels
        else _field_categories(document, classify.field or "", custom_fields)
    )
    if not found:
        return UNTRIAGED
    return found[0] if len(found) == 1 else CROSS


def _label_categories(document: Document, labels: Mapping[ProblemCategory, str]) -> list[str]:
    present = {label.lower() for label in texts(document.get("labels"))}
    return [c for c in CATEGORIES if c in labels and labels[c].strip().lower() in present]


def _field_categories(document: Document, name: str, custom_fields: Mapping[str, str]) -> list[str]:
    present = {value.lower() for value in field_texts(document, name, custom_fields)}
    return [c for c in CATEGORIES if c in present]


def themes_of(document: Document, theme: str, custom_fields: Mapping[str, str]) -> tuple[str, ...]:
    """``component``: each component; ``label:<prefix>``: each suffix; ``field:<name>``: each value."""
    kind, _, argument = theme.partition(":")
    if kind == "label":
        found = _label_suffixes(document, argument)
    elif kind == "field":
        found = field_texts(document, argument, custom_fields)
    else:
        found = texts(document.get("components"))
    unique = tuple(dict.fromkeys(found))
    return unique or (NO_THEME,)


def _label_suffixes(document: Document, prefix: str) -> list[str]:
    wanted = prefix.lower()
    return [
        label[len(prefix) :]
        for label in texts(document.get("labels"))
        if label.lower().startswith(wanted) and len(label) > len(prefix)
    ]


def impact_of(document: Document, impact: Impact, custom_fields: Mapping[str, str]) -> tuple[str | None, float]:
    """(what the field said, its impact): mapped by the scale; unmapped or empty → the default."""
    values = field_texts(document, impact.field, custom_fields)
    scale = {name.lower(): weight for name, weight in impact.scale.items()}
    mapped = [impact.scale.get(v, scale.get(v.lower())) for v in values]
    weights = [w for w in mapped if w is not None]
    return (values[0] if values else None), (max(weights) if weights else impact.default)


def problem_of(
    document: Document, source: str, program: ProblemProgram, custom_fields: Mapping[str, str], tz: tzinfo
) -> Problem:
    impact_value, impact = impact_of(document, program.impact, custom_fields)
    summary = document.get("summary")
    return Problem(
        key=str(document.get("key") or document.get("id") or ""),
        summary=summary if isinstance(summary, str) else None,
        source=source,
        category=category_of(document, program.classify, custom_fields),
        themes=themes_of(document, program.theme, custom_fields),
        impact_value=impact_value,
        impact=impact,
        created=field_time(document, "created", custom_fields, tz),
    )
