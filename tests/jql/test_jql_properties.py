"""Properties: printing round-trips, boolean laws hold on random mirror documents, and evaluation is
total over documents of any shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jql.dates import DATE_FUNCTIONS
from jql.query import (
    And,
    Call,
    Clause,
    CustomField,
    CustomFieldId,
    Empty,
    JqlContext,
    JqlError,
    Not,
    Or,
    OrderKey,
    Query,
    SystemField,
    Value,
    bind,
    format_jql,
    matches,
    parse_jql,
)
from jql.syntax import FIELD_ALIASES, SYSTEM_FIELDS, UNMIRRORED_FIELDS, Node

CONTEXT = JqlContext(
    at=datetime(2026, 10, 15, 12, tzinfo=UTC),
    current_user="u1",
    custom_fields={"story points": "customfield_10016", "team": "customfield_10001"},
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- generated syntax trees ---------------------------------------------------------------------------

texts = st.text(max_size=12)
names = texts.filter(lambda text: text.strip() != "" and not text.isdigit())


def is_free_custom_name(name: str) -> bool:
    lowered = " ".join(name.lower().split())
    return (
        bool(lowered) and FIELD_ALIASES.get(lowered, lowered) not in SYSTEM_FIELDS and lowered not in UNMIRRORED_FIELDS
    )


dates = st.one_of(
    st.dates(min_value=datetime(1900, 1, 1).date(), max_value=datetime(2999, 12, 31).date()).map(
        lambda day: day.isoformat()
    ),
    st.dates().map(lambda day: f"{day.year:04d}/{day.month:02d}/{day.day:02d} 10:30"),
    st.builds(
        lambda sign, amount, unit: f"{sign}{amount}{unit}",
        st.sampled_from(["", "-", "+"]),
        st.integers(0, 500),
        st.sampled_from(["y", "M", "w", "d", "h", "m", ""]),
    ),
)
date_calls = st.builds(
    Call,
    st.sampled_from(sorted(DATE_FUNCTIONS) + ["now"]),
).flatmap(
    lambda call: (
        st.just(call)
        if call.name == "now"
        else st.one_of(
            st.just(call),
            st.integers(-12, 12).map(lambda n: Call(call.name, (str(n),))),
            st.sampled_from(["-1d", "+1w", "-2M", "14d"]).map(lambda offset: Call(call.name, (offset,))),
        )
    )
)


def name_clauses(field: str) -> st.SearchStrategy[Clause]:
    values = names.map(Value)
    return st.one_of(
        st.builds(
            lambda op, v: Clause(SystemField(field), op, v), st.sampled_from(["=", "!="]), values | st.just(Empty())
        ),
        st.builds(
            lambda op, vs: Clause(SystemField(field), op, tuple(vs)),
            st.sampled_from(["in", "not in"]),
            st.lists(values, min_size=1, max_size=3),
        ),
        st.builds(lambda op: Clause(SystemField(field), op, Empty()), st.sampled_from(["is", "is not"])),
    )


def date_clauses(field: str) -> st.SearchStrategy[Clause]:
    return st.builds(
        lambda op, v: Clause(SystemField(field), op, v),
        st.sampled_from(["=", "!=", ">", ">=", "<", "<="]),
        dates.map(Value) | date_calls,
    )


custom_fields = st.one_of(
    names.filter(is_free_custom_name).map(CustomField), st.integers(10000, 99999).map(CustomFieldId)
)
clauses = st.one_of(
    st.sampled_from(["issuetype", "status", "priority", "labels", "assignee", "statusCategory", "component"]).flatmap(
        name_clauses
    ),
    st.sampled_from(["created", "updated", "resolved", "duedate"]).flatmap(date_clauses),
    st.builds(lambda op, v: Clause(SystemField("summary"), op, Value(v)), st.sampled_from(["~", "!~"]), texts),
    st.builds(
        lambda field, op, v: Clause(field, op, Value(v)),
        custom_fields,
        st.sampled_from(["=", "!=", ">", "<=", "~"]),
        texts,
    ),
    st.builds(lambda n: Clause(SystemField("key"), "=", Value(f"ABC-{n}")), st.integers(1, 10_000)),
)


def combine(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    several = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(several.map(And), several.map(Or), children.map(Not))


trees = st.recursive(clauses, combine, max_leaves=8)
order_keys = st.lists(
    st.builds(OrderKey, st.sampled_from(["created", "Rank", "key"]), st.sampled_from([None, "asc", "desc"])), max_size=2
).map(tuple)
queries = st.builds(Query, st.none() | trees, order_keys)


@FAST
@given(queries)
def test_parse_of_format_round_trips(query: Query) -> None:
    assert parse_jql(format_jql(query)) == query


# --- laws on random documents -----------------------------------------------------------------------

CLAUSE_TEXTS = [
    "project = SHOP",
    "project in (OPS, PLAT)",
    "status = Done",
    "status != 'In Progress'",
    "labels = a",
    "labels != b",
    "labels in (a, c)",
    "labels not in (c)",
    "labels is empty",
    "assignee = currentUser()",
    "assignee is not empty",
    "assignee != u2",
    "statusCategory = Done",
    "resolution = Unresolved",
    "created >= -10d",
    "created < startOfMonth()",
    "updated > 2026-10-10",
    "due <= now()",
    "due is empty",
    "summary ~ fix",
    "summary !~ 'crash*'",
    '"Story Points" > 3',
    "Team = core",
    "Team != core",
    "key > SHOP-5",
    "priority in (High, Highest)",
    "component = api",
    '"Epic Link" = SHOP-1',
]
PARSED = [parse_jql(text).where for text in CLAUSE_TEXTS]
atoms = st.sampled_from(PARSED)

timestamps = st.datetimes(min_value=datetime(2026, 9, 1), max_value=datetime(2026, 10, 20)).map(
    lambda moment: moment.isoformat(timespec="milliseconds") + "Z"
)
mirror_documents = st.fixed_dictionaries(
    {
        "id": st.integers(1, 99).map(str),
        "key": st.builds(lambda p, n: f"{p}-{n}", st.sampled_from(["SHOP", "OPS"]), st.integers(1, 10)),
        "project": st.sampled_from(["SHOP", "OPS", "PLAT"]),
        "status": st.sampled_from(["Done", "In Progress", "To Do", None]),
        "statusCategory": st.sampled_from(["new", "indeterminate", "done", None]),
        "summary": st.sampled_from(["Fix crash", "fixes login", "crashing", "", None]),
        "labels": st.lists(st.sampled_from(["a", "b", "c", "A"]), max_size=3),
        "components": st.lists(st.sampled_from(["api", "web"]), max_size=2),
        "priority": st.sampled_from(["High", "Highest", "Low", None]),
        "resolution": st.sampled_from(["Fixed", None]),
        "assignee": st.sampled_from(["u1", "u2", None]),
        "parent": st.sampled_from(["SHOP-1", "SHOP-2", None]),
        "custom": st.fixed_dictionaries(
            {},
            optional={
                "customfield_10016": st.sampled_from([1, 3, 5, "8", None]),
                "customfield_10001": st.sampled_from(["core", "Core", ["core", "x"]]),
            },
        ),
        "created": timestamps | st.none(),
        "updated": timestamps,
        "duedate": st.dates(min_value=datetime(2026, 10, 1).date(), max_value=datetime(2026, 10, 30).date()).map(
            lambda day: day.isoformat()
        )
        | st.none(),
    }
)
formulas = st.recursive(atoms, combine, max_leaves=5)


def holds(node: Node, document: dict[str, Any]) -> bool:
    return bind(Query(node), CONTEXT)(document)


@FAST
@given(formulas, formulas, formulas, mirror_documents)
def test_boolean_laws_hold_on_mirror_documents(a: Node, b: Node, c: Node, document: dict[str, Any]) -> None:
    value = {name: holds(node, document) for name, node in (("a", a), ("b", b), ("c", c))}
    assert holds(Not(Not(a)), document) == value["a"]
    assert holds(Not(And((a, b))), document) == holds(Or((Not(a), Not(b))), document)
    assert holds(Not(Or((a, b))), document) == holds(And((Not(a), Not(b))), document)
    assert holds(And((a, Or((b, c)))), document) == holds(Or((And((a, b)), And((a, c)))), document)
    assert holds(Or((a, And((b, c)))), document) == holds(And((Or((a, b)), Or((a, c)))), document)
    assert holds(And((a, b)), document) == holds(And((b, a)), document) == (value["a"] and value["b"])
    assert holds(Or((a, b)), document) == holds(Or((b, a)), document) == (value["a"] or value["b"])


@FAST
@given(formulas, mirror_documents)
def test_formatting_does_not_change_meaning(a: Node, document: dict[str, Any]) -> None:
    query = Query(a)
    assert matches(parse_jql(format_jql(query)), document, CONTEXT) == matches(query, document, CONTEXT)


# --- totality -----------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | timestamps,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=20), children, max_size=3),
    max_leaves=6,
)
FIELD_KEYS = [
    "id",
    "key",
    "project",
    "issuetype",
    "status",
    "statusCategory",
    "summary",
    "labels",
    "components",
    "priority",
    "resolution",
    "assignee",
    "reporter",
    "parent",
    "custom",
    "created",
    "updated",
    "resolutiondate",
    "duedate",
]
arbitrary_documents = st.dictionaries(st.sampled_from(FIELD_KEYS) | st.text(max_size=5), json_values, max_size=12)
EVERY_CLAUSE = [bind(Query(node), CONTEXT) for node in PARSED] + [
    bind(parse_jql(text), CONTEXT)
    for text in (
        "cf[10016] >= 2026-01-01",
        "Team ~ core",
        "key in (SHOP-1, 3)",
        "resolved <= endOfWeek()",
        "Team in (EMPTY, a)",
        'summary ~ "\\"a b\\" -c"',
        "cf[10016] < now()",
    )
]


@settings(max_examples=300, deadline=None)
@given(arbitrary_documents)
def test_evaluation_never_raises_on_documents_of_any_shape(document: dict[str, Any]) -> None:
    for predicate in EVERY_CLAUSE:
        assert predicate(document) in (True, False)


jql_alphabet = st.sampled_from(
    list("abcXYZ019 =!~<>()\"',-*[]")
    + ["AND ", "OR ", "NOT ", "IN ", "IS ", "EMPTY", "project", "labels", "created", "now()", "cf[1]"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(jql_alphabet, max_size=25).map("".join) | st.text(max_size=60))
def test_parsing_arbitrary_text_raises_only_jql_errors(text: str) -> None:
    try:
        parse_jql(text)
    except JqlError as exc:
        assert str(exc)
