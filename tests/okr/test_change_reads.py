"""What a change of an issue can move: a query or a metric entry none of whose fields changed gives
the same answer before and after (what lets the affected-KR step skip them), and a query bound again
for a new instant (only its moving clauses) answers as a fresh binding does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jql.query import JqlContext, bind, compile_jql, parse_jql, query_reads
from okr.fields import changed_fields, same_value
from okr.live import entry_reads, metric_entry
from okr.metrics import metric_reader
from tests.okr.test_live import AT, CONFIG, FIELDS, METRICS, documents, minutes

QUERIES = [m["jql"] for m in METRICS.values() if m["jql"] != "sprint in openSprints()"] + [
    "key > SHOP-5 AND NOT labels = escaped",
    "labels is empty OR labels in (ux)",
    '"Epic Link" = SHOP-1',
    "status not in (Done) AND resolution = Unresolved",
    "statusCategory = 'To Do' AND issuetype in (Bug, Epic)",
    "summary ~ 'check*'",
    '"Story Points" > 2 OR "Target date" <= startOfWeek()',
    "cf[10016] in (1, 2, 3) AND created > -5d",
    "(project = OPS OR project = SHOP) AND NOT (status = Done OR labels is empty)",
]
CONTEXT = JqlContext(at=AT, tz=CONFIG.zone, custom_fields=FIELDS)
KEYS = [
    "project",
    "issuetype",
    "status",
    "statusCategory",
    "labels",
    "resolution",
    "created",
    "updated",
    "resolutiondate",
    "duedate",
    "key",
    "parent",
    "customfield_10016",
    "customfield_10020",
]
MAPPINGS = [FIELDS, {**FIELDS, "epic link": ""}, {**FIELDS, "epic link": "customfield_10020"}]


@st.composite
def changes(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """An issue and the same issue with a few of its fields taken from another one."""
    before, other = draw(documents()), draw(documents())
    for issue in (before, other):
        parent = draw(st.sampled_from([None, "SHOP-1", "OPS-2"]))
        if parent:
            issue["parent"] = parent
    moved = draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True))
    after = {**before, "custom": dict(before["custom"])}
    for key in moved:
        source, target = (other["custom"], after["custom"]) if key.startswith("customfield_") else (other, after)
        if key in source:
            target[key] = source[key]
        else:
            target.pop(key, None)
    return before, after


@settings(max_examples=400, deadline=None)
@given(changes(), st.sampled_from(QUERIES), st.sampled_from(MAPPINGS))
def test_a_query_reading_none_of_the_changed_fields_keeps_its_verdict(
    change: tuple[dict, dict], jql: str, fields: dict[str, str]
) -> None:
    before, after = change
    reads = query_reads(jql, fields)
    assert reads is not None, jql
    test, context = compile_jql(jql), JqlContext(at=AT, tz=CONFIG.zone, custom_fields=fields)
    if reads.isdisjoint(changed_fields(before, after)):
        assert test(before, context) == test(after, context), (jql, before, after)


@settings(max_examples=300, deadline=None)
@given(changes(), st.sampled_from(sorted(CONFIG.metrics)))
def test_an_entry_reading_none_of_the_changed_fields_stays(change: tuple[dict, dict], name: str) -> None:
    before, after = change
    metric = CONFIG.metrics[name]
    reader = metric_reader(metric)
    reads = entry_reads(metric.effective_date_field, reader, FIELDS)
    if reads is None or not reads.isdisjoint(changed_fields(before, after)):
        return
    numerator = compile_jql(metric.numerator_jql) if metric.numerator_jql else None
    hits = (lambda d: numerator(d, CONTEXT)) if numerator else None  # noqa: E731
    entries = [metric_entry(d, metric.effective_date_field, reader, FIELDS, CONFIG.zone, hits) for d in change]
    assert entries[0] == entries[1], (name, before, after)


def test_epic_link_is_read_where_the_evaluator_reads_it() -> None:
    assert query_reads('"Epic Link" = SHOP-1', {"epic link": "customfield_10014"}) == {"customfield_10014"}
    assert query_reads('"Epic Link" = SHOP-1', {"epic link": ""}) == {"parent"}
    assert query_reads('"Epic Link" = SHOP-1', {"team": "customfield_10001"}) == {"parent"}  # the site has none
    assert query_reads('"Epic Link" = SHOP-1', {}) is None  # field names not known yet: not known what it reads


def test_what_reads_unknown_fields_is_not_known() -> None:
    assert query_reads('"No Such Field" = 1 AND project = SHOP', FIELDS) is None
    assert query_reads("project = ", FIELDS) is None
    assert entry_reads("created", ("ratio", '"No Such Field" = 1'), FIELDS) is None
    assert entry_reads("resolved", ("duration", "created", "Target date", 3600.0), FIELDS) == {
        "resolutiondate",
        "created",
        "customfield_10020",
    }


def test_changed_fields_name_top_level_keys_and_custom_ids_strictly() -> None:
    before = {"status": "Done", "points": 1, "labels": [1], "custom": {"customfield_1": {"a": [1]}, "customfield_2": 2}}
    assert changed_fields(before, before) == frozenset()
    after = {**before, "points": True, "labels": [1.0], "custom": {"customfield_1": {"a": [1]}, "customfield_3": 2}}
    assert changed_fields(before, after) == {"points", "labels", "custom", "customfield_2", "customfield_3"}
    assert changed_fields({"status": "Done"}, {"status": "Done", "custom": 7}) == {"custom"}
    assert not same_value(float("nan"), float("nan"))
    assert same_value({"a": (1, "x")}, {"a": (1, "x")}) and not same_value({"a": 1}, {"b": 1})


@settings(max_examples=150, deadline=None)
@given(
    st.lists(minutes, min_size=1, max_size=6), st.lists(documents(), min_size=1, max_size=4), st.sampled_from(QUERIES)
)
def test_a_query_bound_again_at_each_instant_answers_as_a_fresh_binding(
    offsets: list[int], issues: list[dict[str, Any]], jql: str
) -> None:
    compiled, query = compile_jql(jql), parse_jql(jql)
    for offset in offsets:
        context = JqlContext(at=AT + timedelta(minutes=offset), tz=CONFIG.zone, custom_fields=FIELDS)
        fresh = bind(query, context)
        assert [compiled(d, context) for d in issues] == [fresh(d) for d in issues], (jql, offset)
