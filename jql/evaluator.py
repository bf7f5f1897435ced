"""Syntax tree + context → a fast predicate over mirror documents.

Binding resolves everything that does not depend on the document once (custom field ids, dates
relative to ``at``, case-folded names), so evaluating a document is a handful of dict look-ups and
string comparisons. Every predicate is total: a document with missing keys or values of unexpected
types simply does not match the clause (and never raises).

Instants are compared as UTC ISO-8601 strings with millisecond precision (the mirror's own format),
dates as ``YYYY-MM-DD`` strings; an operand instant that falls inside a millisecond or a day is handled
by the ``exact`` flag of its threshold."""

from __future__ import annotations

import operator as operator_module
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from jql.dates import DATE_FUNCTIONS, date_function, day_start, resolve_date_text
from jql.syntax import (
    And,
    Call,
    Clause,
    CustomField,
    CustomFieldId,
    Empty,
    JqlContext,
    JqlUnsupported,
    Kind,
    Node,
    Not,
    Operand,
    Or,
    Query,
    SystemField,
    Value,
    spec_of,
)
from jql.text import text_matcher
from jql.validate import operands_of

Document = Mapping[str, Any]
Predicate = Callable[[Document], bool]

CATEGORY_KEYS = {
    "new": "new",
    "to do": "new",
    "2": "new",
    "indeterminate": "indeterminate",
    "in progress": "indeterminate",
    "4": "indeterminate",
    "done": "done",
    "3": "done",
    "undefined": "undefined",
    "no category": "undefined",
    "1": "undefined",
}
EPIC_LINK = "epic link"
RESOLUTION = SystemField("resolution")


def always(document: Document) -> bool:
    return True


def never(document: Document) -> bool:
    return False


def bind(query: Query, context: JqlContext) -> Predicate:
    """The query as a predicate over documents, for this context."""
    if query.where is None:
        return always
    return bind_node(query.where, context)


def bind_node(
    node: Node,
    context: JqlContext,
    moving: frozenset[int] = frozenset(),
    fixed: dict[tuple[int, bool], Predicate] | None = None,
    negated: bool = False,
) -> Predicate:
    """The node as a predicate (its negation with ``negated``). With ``fixed`` (binding again for a
    new instant): the subtrees whose id is not in ``moving`` (the nodes with a clause whose matches
    depend on the instant, see ``nodes_with``) are taken from ``fixed``, bound once for a context
    that differs from this one only in ``at``; only the moving clauses are bound anew.

    NOT is evaluated as Jira does: pushed down to the clauses by De Morgan's laws, each clause's
    operator flipped (``=`` ↔ ``!=``, ``IN`` ↔ ``NOT IN``, ``>`` ↔ ``<=`` …, see ``negated_clause``).
    A comparison with an empty field is neither true nor false, so ``NOT labels = x`` matches no
    issue without labels, just as ``labels != x`` does; only EMPTY and IS [NOT] answer for it."""
    if fixed is not None and id(node) not in moving:
        key = (id(node), negated)
        if key not in fixed:
            fixed[key] = bind_node(node, context, negated=negated)
        return fixed[key]
    if isinstance(node, Not):
        return bind_node(node.item, context, moving, fixed, not negated)
    if isinstance(node, (And, Or)):
        items = [bind_node(item, context, moving, fixed, negated) for item in node.items]
        return all_of(items) if isinstance(node, And) != negated else any_of(items)
    return bind_clause(negated_clause(node) if negated else node, context)


NEGATED_OPERATORS: dict[str, str] = {
    "=": "!=",
    "!=": "=",
    "in": "not in",
    "not in": "in",
    "~": "!~",
    "!~": "~",
    "is": "is not",
    "is not": "is",
    ">": "<=",
    ">=": "<",
    "<": ">=",
    "<=": ">",
}


def negated_clause(clause: Clause) -> Clause:
    """``NOT clause`` as one clause, as Jira rewrites it: the same field and operand, the opposite
    operator. Like the clause, it does not match an issue whose field is empty unless its operand
    holds EMPTY (or the operator is IS / IS NOT)."""
    return Clause(clause.field, NEGATED_OPERATORS[clause.operator], clause.operand)


def nodes_with(node: Node, clauses: frozenset[int]) -> frozenset[int]:
    """The ids of ``node`` and its descendants that are, or hold, one of ``clauses`` (ids)."""
    if isinstance(node, Clause):
        return frozenset((id(node),)) if id(node) in clauses else frozenset()
    children = (node.item,) if isinstance(node, Not) else node.items
    found = frozenset().union(*(nodes_with(child, clauses) for child in children))
    return found | {id(node)} if found else found


def all_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda document: first(document) and second(document)

    def check(document: Document) -> bool:
        for predicate in predicates:
            if not predicate(document):
                return False
        return True

    return check


def any_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda document: first(document) or second(document)

    def check(document: Document) -> bool:
        for predicate in predicates:
            if predicate(document):
                return True
        return False

    return check


# --- clauses ----------------------------------------------------------------------------------------


def bind_clause(clause: Clause, context: JqlContext) -> Predicate:
    kind, read = accessor(clause, context)
    if clause.operator == "is":
        return lambda document: is_empty(read(document))
    if clause.operator == "is not":
        return lambda document: not is_empty(read(document))
    binder = BINDERS[kind]
    return binder(clause, read, context)


def accessor(clause: Clause, context: JqlContext) -> tuple[Kind, Callable[[Document], Any]]:
    """How to read the clause's field from a document, and how its values compare."""
    spec = spec_of(clause.field)
    if spec is not None and spec.kind is not Kind.EPIC_LINK:
        return spec.kind, top_level(spec.document_key)
    if spec is not None:  # Epic Link: the configured custom field, else the parent
        field_id = epic_link_field(context.custom_fields)
        return (Kind.CUSTOM, custom_value(field_id)) if field_id else (Kind.NAME, top_level("parent"))
    return Kind.CUSTOM, custom_value(custom_field_id(clause.field, context))


def epic_link_field(custom_fields: Mapping[str, str]) -> str | None:
    """The Epic Link custom field's id; None where the site has none (Cloud links epics by ``parent``).

    Before the field names are known (none learned from Jira yet) it cannot be told which: the clause
    is then evaluated remotely rather than read as ``parent`` — on Data Center that would count 0."""
    if not custom_fields:
        raise JqlUnsupported(
            "'Epic Link' cannot be resolved before the Jira field names are known "
            "(they are read from Jira at start; offline, give --fields); it is evaluated remotely"
        )
    return custom_fields.get(EPIC_LINK) or None


def custom_field_id(field: CustomField | CustomFieldId | Any, context: JqlContext) -> str:
    if isinstance(field, CustomFieldId):
        return f"customfield_{field.number}"
    name = " ".join(field.name.split())
    found = context.custom_fields.get(name.lower())
    if found is None:
        folded = name.casefold()
        found = next((v for k, v in context.custom_fields.items() if k.casefold() == folded), None)
    if found is None:
        raise JqlUnsupported(f"the field '{field.name}' is not a known custom field; it is evaluated remotely")
    return found


def top_level(key: str) -> Callable[[Document], Any]:
    return lambda document: document.get(key)


def custom_value(field_id: str) -> Callable[[Document], Any]:
    def read(document: Document) -> Any:
        custom = document.get("custom")
        return custom.get(field_id) if isinstance(custom, Mapping) else None

    return read


def is_empty(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == ():
        return True
    if isinstance(value, (list, tuple)):
        return not any(item is not None and item != "" for item in value)
    return False


# --- names: project, status, users, … ----------------------------------------------------------------


def folded(value: Any) -> str | None:
    return value.casefold() if isinstance(value, str) and value else None


def name_atoms(clause: Clause, kind: Kind, context: JqlContext) -> tuple[frozenset[str], bool]:
    """The operand as case-folded names, and whether EMPTY is among them."""
    names: set[str] = set()
    empty = False
    for operand in operands_of(clause):
        if isinstance(operand, Empty):
            empty = True
        elif isinstance(operand, Call):
            if operand.name == "currentUser" and context.current_user:
                names.add(context.current_user.casefold())
        else:
            text = operand.text.casefold()
            if kind is Kind.CATEGORY:
                text = CATEGORY_KEYS.get(" ".join(text.split()), text)
            if clause.field == RESOLUTION and text == "unresolved":
                empty = True
                continue
            names.add(text)
    return frozenset(names), empty


def bind_name(clause: Clause, read: Callable[[Document], Any], context: JqlContext) -> Predicate:
    names, empty = name_atoms(clause, Kind.NAME, context)
    if clause.operator in ("=", "in"):

        def positive(document: Document) -> bool:
            value = read(document)
            if isinstance(value, str) and value:
                return value.casefold() in names
            return empty

        return positive

    def negative(document: Document) -> bool:
        value = read(document)
        return isinstance(value, str) and value != "" and value.casefold() not in names

    return negative


def bind_category(clause: Clause, read: Callable[[Document], Any], context: JqlContext) -> Predicate:
    names, empty = name_atoms(clause, Kind.CATEGORY, context)
    positive = clause.operator in ("=", "in")

    def check(document: Document) -> bool:
        value = folded(read(document))
        if value is None:
            return empty and positive
        return (value in names) == positive

    return check


def folded_items(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.casefold()] if value else []
    if isinstance(value, (list, tuple)):
        return [item.casefold() for item in value if isinstance(item, str) and item]
    return []


def bind_names(clause: Clause, read: Callable[[Document], Any], context: JqlContext) -> Predicate:
    """Multi-valued fields: ``=`` contains, ``!=`` does not contain (and is not empty)."""
    names, empty = name_atoms(clause, Kind.NAMES, context)
    positive = clause.operator in ("=", "in")

    def check(document: Document) -> bool:
        items = folded_items(read(document))
        if not items:
            return empty and positive
        hit = any(item in names for item in items)
        return hit if positive else not hit

    return check


# --- issue keys -------------------------------------------------------------------------------------


def split_key(key: Any) -> tuple[str, int] | None:
    if not isinstance(key, str):
        return None
    project, _, number = key.rpartition("-")
    return (project.upper(), int(number)) if project and number.isdigit() else None


def bind_key(clause: Clause, read: Callable[[Document], Any], context: JqlContext) -> Predicate:
    texts = [operand.text.strip() for operand in operands_of(clause) if isinstance(operand, Value)]
    if clause.operator in (">", ">=", "<", "<="):
        return bind_key_order(clause.operator, split_key(texts[0]) if texts else None)
    keys = frozenset(text.upper() for text in texts if not text.isdigit())
    ids = frozenset(text for text in texts if text.isdigit())
    positive = clause.operator in ("=", "in")

    def check(document: Document) -> bool:
        key, issue_id = document.get("key"), document.get("id")
        if not isinstance(key, str) or not key:
            return False
        hit = key.upper() in keys or (isinstance(issue_id, (str, int)) and str(issue_id) in ids)
        return hit == positive

    return check


def bind_key_order(operator: str, bound: tuple[str, int] | None) -> Predicate:
    if bound is None:
        return never
    project, number = bound
    compare = ORDERINGS[operator]

    def check(document: Document) -> bool:
        own = split_key(document.get("key"))
        return own is not None and own[0] == project and compare(own[1], number)

    return check


ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator_module.gt,
    ">=": operator_module.ge,
    "<": operator_module.lt,
    "<=": operator_module.le,
}


# --- dates and instants -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """An operand instant reduced to the document's granularity: ``text`` is the largest document
    value not after the instant; ``exact`` says whether the instant equals it."""

    text: str
    exact: bool


def instant_of(operand: Operand, context: JqlContext) -> datetime | None:
    """The operand as an instant; ``None`` when it is not a date or falls outside the calendar
    (``-99999999y``), in which case it matches nothing."""
    try:
        return _instant_of(operand, context)
    except (ValueError, OverflowError):
        return None


def _instant_of(operand: Operand, context: JqlContext) -> datetime | None:
    if isinstance(operand, Value):
        return resolve_date_text(operand.text, context.at, context.tz)
    if isinstance(operand, Call) and operand.name == "now":
        return context.at
    if isinstance(operand, Call) and operand.name in DATE_FUNCTIONS:
        argument = operand.args[0] if operand.args else None
        return date_function(operand.name, argument, context.at, context.tz, context.week_starts_on)
    return None


def utc_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def datetime_threshold(moment: datetime) -> Threshold:
    utc = moment.astimezone(UTC)
    floored = utc.replace(microsecond=utc.microsecond // 1000 * 1000)
    return Threshold(utc_millis(floored), floored == utc)


def date_threshold(moment: datetime, context: JqlContext) -> Threshold:
    day = moment.astimezone(context.tz).date()
    return Threshold(day.isoformat(), day_start(day, context.tz) == moment)


def threshold_test(operator: str, threshold: Threshold) -> Callable[[str], bool]:
    """``value OP instant`` for a document value at the threshold's granularity."""
    edge, exact = threshold.text, threshold.exact
    if operator == "<":
        return (lambda value: value < edge) if exact else (lambda value: value <= edge)
    if operator == "<=":
        return lambda value: value <= edge
    if operator == ">":
        return lambda value: value > edge
    if operator == ">=":
        return (lambda value: value >= edge) if exact else (lambda value: value > edge)
    return (lambda value: value == edge) if exact else (lambda value: False)


def document_datetime(value: Any) -> str | None:
    """A document instant as the mirror's UTC millisecond string (fast path: already is one)."""
    if type(value) is str and len(value) == 24 and value[10] == "T" and value[23] == "Z":
        return value
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return utc_millis(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def document_date(value: Any) -> str | None:
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None


def bind_temporal(clause: Clause, read: Callable[[Document], Any], context: JqlContext, is_date: bool) -> Predicate:
    normalise = document_date if is_date else document_datetime
    tests = temporal_tests(clause, context, is_date)
    negative = clause.operator in ("!=", "not in")
    if len(tests.tests) == 1 and not negative and not tests.empty:
        test = tests.tests[0]

        def single(document: Document) -> bool:  # the common case, without the loop
            value = normalise(read(document))
            return value is not None and test(value)

        return single

    def check(document: Document) -> bool:
        value = normalise(read(document))
        if value is None:
            return tests.empty and not negative
        hit = any(test(value) for test in tests.tests)
        return hit != negative

    return check


@dataclass(frozen=True)
class TemporalTests:
    tests: tuple[Callable[[str], bool], ...]
    empty: bool


def temporal_tests(clause: Clause, context: JqlContext, is_date: bool) -> TemporalTests:
    operator = "=" if clause.operator in ("=", "!=", "in", "not in") else clause.operator
    tests: list[Callable[[str], bool]] = []
    empty = False
    for operand in operands_of(clause):
        if isinstance(operand, Empty):
            empty = True
            continue
        moment = instant_of(operand, context)
        if moment is not None:
            threshold = date_threshold(moment, context) if is_date else datetime_threshold(moment)
            tests.append(threshold_test(operator, threshold))
    return TemporalTests(tuple(tests), empty)


def bind_datetime(clause: Clause, read: Callable[[Document], Any], context: JqlContext) -> Predicate:
    return bind_temporal(clause, read, context, is_date=False)


def bind_date(clause: Clause, read: Callable[[Document], Any], context: JqlContext) -> Predicate:
    return bind_temporal(clause, read, context, is_date=True)


# --- text -------------------------------------------------------------------------------------------


def bind_text(clause: Clause, read: Callable[[Document], Any], context: JqlContext) -> Predicate:
    operand = clause.operand
    if not isinstance(operand, Value):  # "= EMPTY" / "!= EMPTY"
        wants_empty = clause.operator == "="
        return lambda document: is_empty(read(document)) == wants_empty
    matcher = text_matcher(operand.text)
    positive = clause.operator == "~"

    def check(document: Document) -> bool:
        texts = [item for item in as_items(read(document)) if isinstance(item, str) and item]
        if not texts:
            return False
        hit = any(matcher(text) for text in texts)
        return hit == positive

    return check


def as_items(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --- custom fields: strings, numbers, dates, users, or lists of them ---------------------------------


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Atom:
    """One operand value of a custom-field clause, pre-read in every way a value could compare."""

    text: str
    number: float | None
    instant: datetime | None


def custom_atoms(clause: Clause, context: JqlContext) -> tuple[tuple[Atom, ...], bool]:
    atoms: list[Atom] = []
    empty = False
    for operand in operands_of(clause):
        if isinstance(operand, Empty):
            empty = True
        elif isinstance(operand, Call) and operand.name == "currentUser":
            if context.current_user:
                atoms.append(Atom(context.current_user.casefold(), None, None))
        elif isinstance(operand, Call):
            atoms.append(Atom("", None, instant_of(operand, context)))
        else:
            atoms.append(Atom(operand.text.casefold(), as_number(operand.text), instant_of(operand, context)))
    return tuple(atoms), empty


def looks_numeric(text: str) -> bool:
    """Cheap pre-check so most strings never reach ``float()`` (and its exception)."""
    return text[:1] in _NUMERIC_STARTS and text != ""


_NUMERIC_STARTS = frozenset("0123456789+-.")


def equality_test(atoms: tuple[Atom, ...]) -> Callable[[Any], bool]:
    """Whether one custom-field item equals any atom: as a number when both are numbers,
    else as case-insensitive text."""
    texts = frozenset(atom.text for atom in atoms if atom.text)
    numbers = frozenset(atom.number for atom in atoms if atom.number is not None)

    def equal(item: Any) -> bool:
        if type(item) is str:
            if item.casefold() in texts:
                return True
            return bool(numbers) and looks_numeric(item) and as_number(item) in numbers
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            return float(item) in numbers
        return False

    return equal


def order_test(atoms: tuple[Atom, ...], operator: str, context: JqlContext) -> Callable[[Any], bool]:
    """``item OP atom`` for some atom: numerically for numbers, as dates or instants for date-like text."""
    compare = ORDERINGS[operator]
    bounds = tuple(atom.number for atom in atoms if atom.number is not None)
    instants = [atom.instant for atom in atoms if atom.instant is not None]
    day_tests = tuple(threshold_test(operator, date_threshold(moment, context)) for moment in instants)
    moment_tests = tuple(threshold_test(operator, datetime_threshold(moment)) for moment in instants)

    def test(item: Any) -> bool:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            if len(bounds) == 1:
                return compare(item, bounds[0])
            return any(compare(item, bound) for bound in bounds)
        if type(item) is not str:
            return False
        if bounds and looks_numeric(item):
            number = as_number(item)
            if number is not None:
                return any(compare(number, bound) for bound in bounds)
        if len(item) == 10:
            day = document_date(item)
            return day is not None and any(day_test(day) for day_test in day_tests)
        moment = document_datetime(item) if moment_tests else None
        return moment is not None and any(moment_test(moment) for moment_test in moment_tests)

    return test


def bind_custom(clause: Clause, read: Callable[[Document], Any], context: JqlContext) -> Predicate:
    if clause.operator in ("~", "!~"):
        return bind_text(clause, read, context)
    atoms, empty = custom_atoms(clause, context)
    operator = clause.operator
    negative = operator in ("!=", "not in")
    test = order_test(atoms, operator, context) if operator in ORDERINGS else equality_test(atoms)

    def check(document: Document) -> bool:
        value = read(document)
        if isinstance(value, (list, tuple)):
            items = [item for item in value if item is not None and item != ""]
            if not items:
                return empty and not negative
            hit = any(test(item) for item in items)
        elif value is None or value == "":
            return empty and not negative
        else:
            hit = test(value)
        return hit != negative

    return check


BINDERS: dict[Kind, Callable[[Clause, Callable[[Document], Any], JqlContext], Predicate]] = {
    Kind.NAME: bind_name,
    Kind.USER: bind_name,
    Kind.CATEGORY: bind_category,
    Kind.NAMES: bind_names,
    Kind.KEY: bind_key,
    Kind.DATETIME: bind_datetime,
    Kind.DATE: bind_date,
    Kind.TEXT: bind_text,
    Kind.CUSTOM: bind_custom,
}


def clauses_of(nodes: Iterable[Node]) -> Iterable[Clause]:
    """Every clause of a tree, depth first."""
    for node in nodes:
        if isinstance(node, Clause):
            yield node
        elif isinstance(node, Not):
            yield from clauses_of((node.item,))
        else:
            yield from clauses_of(node.items)
