"""What every issue a query matches holds in its name fields (project, issue type, status, status
category, priority, resolution, parent, labels, components), so that an index of those fields can
narrow down which issues need testing at all (pure).

    name_requirements(parse_jql("project = OPS AND (labels = a OR priority in (High, Highest))"))
    # (NamesIn("project", …, {"ops"}),), (NamesIn("labels", …, {"a"}), NamesIn("priority", …, {"high", "highest"}))

Every requirement holds for every match (each is one of the query's top-level AND operands: a
positive name clause, or an OR of them); an issue that meets them all still has to be tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jql.evaluator import folded, folded_items, name_atoms
from jql.syntax import And, Clause, JqlContext, Kind, Node, Or, Query, Value, spec_of
from jql.validate import operands_of

_INDEXED = (Kind.NAME, Kind.NAMES, Kind.CATEGORY)
_NO_CONTEXT = JqlContext(at=datetime(2000, 1, 1, tzinfo=UTC))  # literal names read no context


@dataclass(frozen=True)
class NamesIn:
    """The document's ``key`` holds one of ``names`` as the query compares them (``folded_names``)."""

    key: str
    kind: Kind
    names: frozenset[str]


Requirement = tuple[NamesIn, ...]  # at least one of them holds


def name_requirements(query: Query) -> tuple[Requirement, ...]:
    """Requirements every match of the query meets, all of them; ``()`` when none is known."""
    if query.where is None:
        return ()
    found = []
    for item in _conjuncts(query.where):
        alternatives = item.items if isinstance(item, Or) else (item,)
        tests = [_names_in(alternative) for alternative in alternatives]
        if all(test is not None for test in tests):
            found.append(tuple(test for test in tests if test is not None))
    return tuple(found)


def folded_names(kind: Kind, value: Any) -> list[str]:
    """The names a document's value holds as a name clause of ``kind`` compares them."""
    if kind is Kind.NAMES:
        return folded_items(value)
    name = folded(value)
    return [] if name is None else [name]


def _conjuncts(node: Node) -> Iterator[Node]:
    if isinstance(node, And):
        for item in node.items:
            yield from _conjuncts(item)
    else:
        yield node


def _names_in(node: Node) -> NamesIn | None:
    """A positive name clause of literal names (no EMPTY, no function) as a requirement."""
    if not isinstance(node, Clause) or node.operator not in ("=", "in"):
        return None
    spec = spec_of(node.field)
    if spec is None or spec.kind not in _INDEXED:
        return None
    if not all(isinstance(operand, Value) for operand in operands_of(node)):
        return None
    names, empty = name_atoms(node, spec.kind, _NO_CONTEXT)
    return None if empty else NamesIn(spec.document_key, spec.kind, names)
