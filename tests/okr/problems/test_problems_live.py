"""A problem program worked out from a long-lived worker's kept queries equals one worked out by a
pass over every issue, whatever the changes, deletions and instants of evaluation."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from okr.live import IndexedMirror
from okr.metrics import EvaluationInput, FilterCache, program_result
from okr.problems.engine import ProblemMemo, evaluate_program
from tests.okr.problems.test_problems import AT, LABELS, SOURCES, _ap, _problem, _program

MOVING = {
    "id": "recent-walkthroughs",
    "name": "Recent walkthrough findings",
    "jql": "project = PLAT AND labels = walkthrough AND created >= -21d",
}
NOT_LOCAL = {"id": "commented", "name": "Commented", "jql": 'project = PLAT AND comment ~ "flaky"'}
ODD_LABEL = 'ap" OR labels = "other \\ x'  # quoted into JQL, or it would read as another query
PROGRAMS = {
    "as in the examples": _program(),
    "an AP label with quotes and a backslash": _program(
        action_points={**_program().action_points.model_dump(), "label": ODD_LABEL}
    ),
    "a source with a moving date": _program(sources=[MOVING, *(s for s in SOURCES if s["id"] != "ux-walkthrough")]),
    "a source outside the local subset": _program(sources=[*SOURCES, NOT_LOCAL]),
}
SOURCE_LABELS = ["retro-finding", "small-change", "interruption", "walkthrough"]
KEYS = [f"PLAT-{n}" for n in range(1, 7)] + ["OPS-1", "OPS-2"]
days = st.integers(min_value=-120, max_value=20)


def _stamp(day_offset: int) -> str:
    return (AT + timedelta(days=day_offset)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@st.composite
def issues(draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from(KEYS))
    kind = draw(st.sampled_from(["problem", "action point", "other"]))
    if kind == "action point":
        linked = draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True))
        done = draw(st.one_of(st.none(), days.map(_stamp)))
        labels = draw(
            st.sampled_from(
                [
                    ("action-point",),
                    ("Action-Point", "retro-finding"),
                    ("other",),
                    (" action-point",),
                    (ODD_LABEL,),
                    (ODD_LABEL.upper(), "walkthrough"),
                ]
            )
        )
        document = _ap(
            key, *linked, done_at=done, labels=labels, due=draw(st.sampled_from([None, "2026-11-01", "2026-12-01"]))
        )
    else:
        source = draw(st.sampled_from([*SOURCE_LABELS, "ux"]))
        categories = draw(st.lists(st.sampled_from(sorted(LABELS)), max_size=2, unique=True))
        created = draw(st.one_of(st.none(), days.map(_stamp)))
        document = _problem(
            key,
            created,
            *categories,
            source=source,
            components=tuple(draw(st.lists(st.sampled_from(["deploy", "auth", "db"]), max_size=2))),
        )
        document["labels"] += draw(st.lists(st.sampled_from(SOURCE_LABELS), max_size=1))  # in two sources
        if kind == "other":
            document["labels"] = [label for label in document["labels"] if label not in SOURCE_LABELS]
    project = key.split("-")[0]
    document.update(id=key, project=project, issuetype="Incident" if project == "OPS" else "Task")
    return document


steps = st.lists(
    st.one_of(
        st.tuples(st.just("put"), issues()),
        st.tuples(st.just("remove"), st.sampled_from(KEYS)),
        st.tuples(st.just("evaluate"), days),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(PROGRAMS)), plan=steps)
def test_program_from_kept_queries_equals_a_pass_over_the_issues(name: str, plan: list[tuple[str, Any]]) -> None:
    program = PROGRAMS[name]
    live = IndexedMirror(UTC, {})
    partly_kept = ProblemMemo()  # for the same program when one source's query is not kept
    for kind, argument in plan + [("evaluate", 0)]:
        if kind == "put":
            live.put(argument)
        elif kind == "remove":
            live.remove(argument)
        else:
            at = AT + timedelta(days=argument)
            kept = EvaluationInput(at=at, tz=UTC, documents=live.documents(), problem_programs=[program], live=live)
            passed = evaluate_program(program, EvaluationInput(at=at, tz=UTC, documents=list(live.documents())))
            assert program_result(program, kept, FilterCache()) == passed
            assert live.kept > 0  # the kept path ran, not a pass

            def all_but_interruptions(jql: str, when: Any = at) -> Any:
                return None if "interruption" in jql else live.matching(jql, when)

            assert evaluate_program(program, kept, matching=all_but_interruptions, memo=partly_kept) == passed


def test_a_moving_source_follows_the_instant_back_and_forth() -> None:
    program = PROGRAMS["a source with a moving date"]
    live = IndexedMirror(UTC, {})
    live.put(_problem("PLAT-1", _stamp(-10), source="walkthrough"))
    found = []
    for day in (15, 0, 15, -30):
        given_input = EvaluationInput(
            at=AT + timedelta(days=day),
            tz=UTC,
            documents=live.documents(),
            problem_programs=[program],
            live=live,
        )
        found.append([p.key for p in program_result(program, given_input, FilterCache()).problems])
    assert found == [[], ["PLAT-1"], [], ["PLAT-1"]]  # created 10 days before AT: within 21 days at 0 and -30


def test_action_points_are_listed_by_key() -> None:
    documents = [_ap("PLAT-10"), _ap("PLAT-2"), _ap("PLAT-1")]
    result = evaluate_program(_program(), EvaluationInput(at=AT, tz=UTC, documents=documents))
    assert [ap.key for ap in result.action_points] == ["PLAT-1", "PLAT-2", "PLAT-10"]


def test_documents_other_than_the_mirrors_are_evaluated_by_a_pass() -> None:
    live = IndexedMirror(UTC, {})
    live.put(_problem("PLAT-1", _stamp(-3)))
    elsewhere = [_problem("PLAT-2", _stamp(-2))]
    given_input = EvaluationInput(at=AT, tz=UTC, documents=elsewhere, problem_programs=[_program()], live=live)
    assert [p.key for p in program_result(_program(), given_input, FilterCache()).problems] == ["PLAT-2"]
    assert live.kept == 0
