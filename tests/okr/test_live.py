"""The live mirror gives exactly the numbers a pass over the issues gives, whatever the order of
changes, deletions and instants of evaluation (including instants that go back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.loader import load_config_document
from okr.evaluate import contributing_epics, evaluation_input
from okr.live import IndexedMirror
from okr.metrics import FilterCache, evaluate_metric

AT = datetime(2026, 11, 15, 12, tzinfo=UTC)
FIELDS = {"story points": "customfield_10016", "target date": "customfield_10020"}

METRICS: dict[str, dict[str, Any]] = {
    "count_cycle": {"jql": "project = SHOP", "aggregate": "count", "window": "cycle"},
    "count_30d_resolved": {
        "jql": "project = SHOP AND issuetype = Bug",
        "aggregate": "count",
        "window": "30d",
        "date_field": "resolved",
    },
    "ratio": {
        "jql": "project in (SHOP, OPS)",
        "numerator_jql": "labels = escaped",
        "aggregate": "ratio",
        "window": "cycle",
    },
    "moving_resolved": {"jql": "resolved >= -10d AND resolution = Done", "aggregate": "count", "window": "cycle"},
    "moving_month": {
        "jql": "created >= startOfMonth(-1) AND created < startOfMonth()",
        "aggregate": "count",
        "window": "cycle",
    },
    "moving_due": {"jql": "duedate < now() AND statusCategory != Done", "aggregate": "count", "window": "cycle"},
    "sum_points": {"jql": "updated >= -7d", "aggregate": "sum", "value_field": "Story Points", "window": "cycle"},
    "mean_points": {"jql": "project = OPS", "aggregate": "mean", "value_field": "Story Points", "window": "14d"},
    "median_points": {
        "jql": "statusCategory = Done",
        "aggregate": "median",
        "value_field": "Story Points",
        "window": "cycle",
    },
    "p90_points": {
        "jql": "project = SHOP",
        "aggregate": "p90",
        "value_field": "Story Points",
        "window": "60d",
        "date_field": "updated",
    },
    "lead_time": {
        "jql": "statusCategory = Done",
        "aggregate": "duration_median",
        "window": "cycle",
        "duration": {"from": "created", "to": "resolved", "unit": "hours"},
    },
    "lead_time_p90": {
        "jql": "project = OPS",
        "aggregate": "duration_p90",
        "window": "30d",
        "duration": {"from": "created", "to": "resolved", "unit": "days"},
    },
    "custom_number_order": {"jql": '"Story Points" >= 5', "aggregate": "count", "window": "cycle"},
    "custom_date_moving": {"jql": '"Target date" < now() AND project = SHOP', "aggregate": "count", "window": "cycle"},
    "custom_date_relative": {"jql": '"Target date" >= -3d', "aggregate": "count", "window": "cycle"},
    "outside_subset": {"jql": "sprint in openSprints()", "aggregate": "count", "window": "cycle"},
}


def config() -> Any:
    metrics = {name: {"description": name, "source": "jira", **shape} for name, shape in METRICS.items()}
    krs = [
        {"id": f"KR{n}", "title": name, "metric": name, "baseline": 0, "target": 10} for n, name in enumerate(METRICS)
    ]
    krs.append(
        {
            "id": "EPICS",
            "title": "epics",
            "unmeasured": "delivery only",
            "contributors": {"jql": "issuetype = Epic AND project = SHOP"},
        }
    )
    krs.append(
        {
            "id": "LISTED",
            "title": "listed",
            "unmeasured": "delivery only",
            "contributors": {"epics": ["SHOP-1", "OPS-2", "SHOP-404"]},
        }
    )
    return load_config_document(
        {
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "metrics": metrics,
            "okr_sets": [
                {"id": "s", "name": "S", "cycle": "Q4", "objectives": [{"id": "O", "title": "O", "key_results": krs}]}
            ],
        }
    )


CONFIG = config()


def stamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


minutes = st.integers(min_value=-120 * 24 * 60, max_value=40 * 24 * 60)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    number = draw(st.integers(min_value=1, max_value=12))
    project = draw(st.sampled_from(["SHOP", "OPS"]))
    created = AT + timedelta(minutes=draw(minutes))
    done = draw(st.booleans())
    resolved = created + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 50))) if done else None
    points = draw(st.one_of(st.none(), st.sampled_from([1, 2, 3, 5, 8, 0.5, "13", "x", float("nan"), 1e308])))
    target = created + timedelta(minutes=draw(minutes))
    target_date = draw(
        st.sampled_from(
            [
                None,
                7,
                stamp(target),
                target.date().isoformat(),
                [stamp(target), "x"],
                [target.date().isoformat(), 3],
                target.isoformat(),
            ]
        )
    )
    custom: dict[str, Any] = {} if points is None else {"customfield_10016": points}
    if target_date is not None:
        custom["customfield_10020"] = target_date
    return {
        "id": str(10000 + number),
        "key": f"{project}-{number}",
        "project": project,
        "issuetype": draw(st.sampled_from(["Bug", "Story", "Epic"])),
        "status": "Done" if done else "To Do",
        "statusCategory": "done" if done else "new",
        "labels": draw(st.lists(st.sampled_from(["escaped", "ux"]), max_size=2, unique=True)),
        "resolution": "Done" if done else None,
        "links": [],
        "custom": custom,
        "created": stamp(created),
        "updated": stamp(created + timedelta(minutes=abs(draw(minutes)))),
        "resolutiondate": stamp(resolved) if resolved else None,
        "duedate": draw(
            st.one_of(st.none(), st.just((created + timedelta(days=draw(st.integers(0, 40)))).date().isoformat()))
        ),
    }


steps = st.lists(
    st.one_of(
        st.tuples(st.just("put"), documents()),
        st.tuples(st.just("remove"), st.integers(min_value=1, max_value=12)),
        st.tuples(st.just("evaluate"), minutes),
    ),
    min_size=1,
    max_size=40,
)


def assert_same_numbers(live: IndexedMirror, at: datetime) -> None:
    plain = evaluation_input(at, CONFIG, list(live.documents()), custom_fields=FIELDS)
    kept = evaluation_input(at, CONFIG, live.documents(), custom_fields=FIELDS, live=live)
    cycle = CONFIG.cycle("Q4")
    for name, metric in CONFIG.metrics.items():
        expected = evaluate_metric(name, metric, cycle, plain, FilterCache())
        found = evaluate_metric(name, metric, cycle, kept, FilterCache())
        assert found == expected, (name, at)
    for kr in CONFIG.okr_sets[0].objectives[0].key_results:
        if kr.contributors is not None:
            expected_epics = contributing_epics(kr.contributors, plain.documents, plain, FilterCache())
            found_epics = contributing_epics(kr.contributors, kept.documents, kept, FilterCache())
            assert _keys(found_epics) == _keys(expected_epics), kr.id


def _keys(documents: Any) -> list[str] | None:
    return None if documents is None else sorted(d["key"] for d in documents)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_live_mirror_matches_a_pass_over_the_issues(plan: list[tuple[str, Any]]) -> None:
    live = IndexedMirror(CONFIG.zone, FIELDS)
    at = AT
    for action, argument in plan:
        if action == "put":
            live.put(argument)
        elif action == "remove":
            live.remove(str(10000 + argument))
        else:
            at = AT + timedelta(minutes=argument)
        assert_same_numbers(live, at)


def test_a_query_outside_the_local_subset_is_not_kept() -> None:
    live = IndexedMirror(UTC, {})
    assert live.selection("sprint in openSprints()", "created", ("count",), AT) is None
    assert live.matching("project = ", AT) is None


def test_a_moving_query_gives_its_matches_at_each_instant_asked() -> None:
    issues = [
        {
            "id": str(n),
            "key": f"A-{n}",
            "project": "A",
            "resolution": "Done",
            "resolutiondate": stamp(AT - timedelta(days=n)),
        }
        for n in range(1, 101)
    ]
    live = IndexedMirror(UTC, {}, issues)

    def resolved_within_ten_days(at: datetime) -> list[str]:
        return sorted(d["key"] for d in live.matching("resolved >= -10d", at) or [])

    assert resolved_within_ten_days(AT) == sorted(f"A-{n}" for n in range(1, 11))
    assert resolved_within_ten_days(AT + timedelta(days=5)) == sorted(f"A-{n}" for n in range(1, 6))
    assert resolved_within_ten_days(AT - timedelta(days=20)) == sorted(f"A-{n}" for n in range(1, 31))


deferring_steps = st.lists(
    st.one_of(
        st.tuples(st.just("put"), documents()),
        st.tuples(st.just("remove"), st.integers(min_value=1, max_value=12)),
        st.tuples(st.just("evaluate"), minutes),
        st.tuples(st.just("keep"), minutes),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(deferring_steps)
def test_a_mirror_that_defers_its_selections_matches_a_pass_before_and_after_they_are_made(
    plan: list[tuple[str, Any]],
) -> None:
    live = IndexedMirror(CONFIG.zone, FIELDS, defer_selections=True)
    at = AT
    for action, argument in plan:
        if action == "put":
            live.put(argument)
        elif action == "remove":
            live.remove(str(10000 + argument))
        elif action == "keep":
            live.keep_deferred(AT + timedelta(minutes=argument))
            assert live.deferred == 0
        else:
            at = AT + timedelta(minutes=argument)
        assert_same_numbers(live, at)


def test_a_deferred_selection_is_read_by_a_pass_until_it_is_made() -> None:
    issues = [{"id": str(n), "key": f"SHOP-{n}", "project": "SHOP", "created": stamp(AT)} for n in range(3)]
    live = IndexedMirror(UTC, {}, issues, defer_selections=True)
    assert live.selection("project = SHOP", "created", ("count",), AT) is None
    assert live.deferred == 1 and live.kept == 0  # nothing made, nothing passed over yet
    live.keep_selections([("project = SHOP", "created", ("count",))], AT)  # asked again: still one wait
    assert live.deferred == 1
    live.keep_deferred(AT)
    selection = live.selection("project = SHOP", "created", ("count",), AT)
    assert live.deferred == 0 and selection is not None
    assert selection.count(AT.timestamp(), AT.timestamp()) == 3
