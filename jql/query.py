"""JQL over the mirror: the subset of Jira's query language the product evaluates locally.

    query = parse_jql('project = SHOP AND labels = escaped AND created >= startOfMonth(-1)')
    matches(query, document, JqlContext(at=now, tz=zone, custom_fields=fields))
    check = compile_jql(text); check(document, context)     # the fast path for many documents

``JqlError`` is a malformed query (a user error, with its position); ``JqlUnsupported`` is valid JQL
outside the local subset: the caller evaluates it remotely through Jira search instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, cast

from jql.dates import DATE_FUNCTIONS, is_relative_period
from jql.evaluator import EPIC_LINK, Predicate, bind, bind_node, clauses_of, nodes_with
from jql.formatting import format_jql
from jql.parser import parse_jql
from jql.syntax import (
    ORDER_OPERATORS,
    And,
    Call,
    Clause,
    CustomField,
    CustomFieldId,
    Empty,
    JqlContext,
    JqlError,
    JqlUnsupported,
    Kind,
    Not,
    Or,
    OrderKey,
    Query,
    SystemField,
    Value,
    spec_of,
)
from jql.validate import operands_of

__all__ = [
    "And",
    "Call",
    "Clause",
    "CustomField",
    "CustomFieldId",
    "Empty",
    "JqlContext",
    "JqlError",
    "JqlUnsupported",
    "Not",
    "Or",
    "OrderKey",
    "Query",
    "SystemField",
    "Value",
    "bind",
    "bound_predicate",
    "compile_jql",
    "depends_on_time",
    "fields_of",
    "moving_clauses",
    "format_jql",
    "matches",
    "parse_jql",
    "query_reads",
    "reads_current_user",
]

Evaluator = Callable[[Mapping[str, Any], JqlContext], bool]
Fixed = dict[tuple[int, bool], Predicate]  # subtrees bound once, by (node id, negated)


def matches(query: Query, document: Mapping[str, Any], context: JqlContext) -> bool:
    """Whether one document matches. Binds the query each call: use ``compile_jql`` or ``bind`` for many."""
    return bind(query, context)(document)


def compile_jql(text: str) -> Evaluator:
    """Parse once; the returned function re-binds only when it is handed a different context object."""
    query = parse_jql(text)
    return compile_query(query)


def compile_query(query: Query) -> Evaluator:
    """A query whose matches do not depend on the instant keeps its binding across contexts that
    differ only in ``at`` (a flush makes a context per instant); one that does binds again only its
    moving clauses (``moving_clauses``), keeping the rest."""
    cache: list[tuple[JqlContext, Predicate, Fixed]] = []
    lock = threading.Lock()
    moving = nodes_with(query.where, frozenset(map(id, moving_clauses(query)))) if query.where else frozenset()

    def evaluate(document: Mapping[str, Any], context: JqlContext) -> bool:
        bound = cache[0] if cache else None
        if bound is None or bound[0] is not context:
            with lock:
                bound = _bound_for(query, context, moving, cache[0] if cache else None)
                cache[:] = [bound]
        return bound[1](document)

    def bound(context: JqlContext) -> Predicate:
        with lock:
            found = _bound_for(query, context, moving, cache[0] if cache else None)
            cache[:] = [found]
        return found[1]

    evaluate.query = query  # type: ignore[attr-defined]
    evaluate.bound = bound  # type: ignore[attr-defined]
    return evaluate


def bound_predicate(evaluator: Evaluator, context: JqlContext) -> Predicate:
    """The evaluator's predicate for one context, for a pass over many documents (no check per call
    of which context it is bound to)."""
    bound = getattr(evaluator, "bound", None)
    if bound is None:
        return lambda document: evaluator(document, context)
    return cast("Predicate", bound(context))


def _bound_for(
    query: Query, context: JqlContext, moving: frozenset[int], before: tuple[JqlContext, Predicate, Fixed] | None
) -> tuple[JqlContext, Predicate, Fixed]:
    """The query bound for ``context``, reusing what the binding ``before`` holds that still applies."""
    fixed: Fixed = {}
    if before is not None and same_apart_from_instant(before[0], context):
        if not moving:
            return context, before[1], before[2]
        fixed = before[2]
    if query.where is None:
        return context, bind(query, context), fixed
    return context, bind_node(query.where, context, moving, fixed), fixed


def same_apart_from_instant(one: JqlContext, other: JqlContext) -> bool:
    return (
        one.tz == other.tz
        and one.current_user == other.current_user
        and one.week_starts_on == other.week_starts_on
        and (one.custom_fields is other.custom_fields or dict(one.custom_fields) == dict(other.custom_fields))
    )


def fields_of(query: Query, custom_fields: Mapping[str, str] | None = None) -> frozenset[str]:
    """The mirror document keys the query reads: top-level keys (``status``, ``labels``,
    ``resolutiondate`` …) and ``customfield_NNNNN`` for custom fields. A custom field named in the
    query that ``custom_fields`` cannot resolve is reported as ``custom:<lower-cased name>``; an
    unconfigured Epic Link reads ``parent``."""
    mapping = custom_fields or {}
    found: set[str] = set()
    if query.where is None:
        return frozenset()
    for clause in clauses_of((query.where,)):
        found.update(clause_fields(clause, mapping))
    return frozenset(found)


def query_reads(text: str, custom_fields: Mapping[str, str]) -> frozenset[str] | None:
    """``fields_of`` a JQL text; ``None`` when it does not parse or names a custom field the mapping
    cannot resolve (what it reads is then not known)."""
    try:
        found = fields_of(parse_jql(text), custom_fields)
    except JqlError:
        return None
    return None if any(name.startswith("custom:") for name in found) else found


def clause_fields(clause: Clause, mapping: Mapping[str, str]) -> set[str]:
    field = clause.field
    if isinstance(field, CustomFieldId):
        return {f"customfield_{field.number}"}
    spec = spec_of(field)
    if spec is not None and spec.name == "key":
        return {"key", "id"}
    if spec is not None and spec.name != "Epic Link":
        return {spec.document_key}
    if spec is not None:  # Epic Link, read as the evaluator reads it (jql.evaluator.accessor)
        if not mapping:
            return {"custom:epic link"}  # not known yet which field it is
        field_id = mapping.get(EPIC_LINK)
        return {field_id} if field_id else {"parent"}
    name = " ".join(field.name.split()).lower()
    if name in mapping:
        return {mapping[name]}
    return {f"custom:{name}"}


def reads_current_user(query: Query) -> bool:
    """Whether the query calls ``currentUser()``: its matches depend on who asks (``JqlContext.current_user``)."""
    if query.where is None:
        return False
    return any(
        isinstance(operand, Call) and operand.name == "currentUser"
        for clause in clauses_of((query.where,))
        for operand in operands_of(clause)
    )


def depends_on_time(query: Query) -> bool:
    """Whether the query's matches can change while the issues do not: a date function
    (``startOfMonth()``, ``now()`` …) or a relative period (``-30d``) compared with a date, datetime or
    custom field. Such a query's matches depend on the instant of evaluation."""
    return bool(moving_clauses(query))


def moving_clauses(query: Query) -> tuple[Clause, ...]:
    """The clauses of ``depends_on_time``."""
    if query.where is None:
        return ()
    return tuple(clause for clause in clauses_of((query.where,)) if _clause_depends_on_time(clause))


def _clause_depends_on_time(clause: Clause) -> bool:
    operands = operands_of(clause)
    if any(isinstance(o, Call) and (o.name == "now" or o.name in DATE_FUNCTIONS) for o in operands):
        return True
    spec = spec_of(clause.field)
    if spec is not None and spec.kind not in (Kind.DATE, Kind.DATETIME):
        return False
    if spec is None and clause.operator not in ORDER_OPERATORS:  # custom fields compare dates only by order
        return False
    return any(isinstance(o, Value) and is_relative_period(o.text) for o in operands)
