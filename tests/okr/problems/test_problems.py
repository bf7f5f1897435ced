"""The problem reverse-drive, every rule hand-computed, plus the example."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.errors import ConfigError
from mapping.loader import load_config_document
from mapping.models import ProblemProgram
from okr import metrics as metrics_module
from okr.evaluate import evaluate_config, evaluation_input
from okr.metrics import EvaluationInput
from okr.problems.engine import evaluate_program, program_json
from okr.problems.model import ClusterRef, ProgramResult
from okr.problems.review import action_point_rows, ap_proposals, problem_rows, review_digest
from okrsync.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
AT = datetime(2026, 11, 15, 12, tzinfo=UTC)
LABELS = {"system": "problem-system", "mechanism": "problem-mechanism", "people": "problem-people"}
SOURCES = [
    {
        "id": "retro",
        "name": "Retrospective findings",
        "jql": "project = PLAT AND labels = retro-finding",
        "owner": "delivery-lead@example.com",
    },
    {"id": "small-changes", "name": "Small changes", "jql": "project = PLAT AND labels = small-change"},
    {"id": "escaped", "name": "Escaped", "jql": "project = OPS AND issuetype = Incident", "owner": "sre@example.com"},
    {"id": "interruptions", "name": "Interruptions", "jql": "project = PLAT AND labels = interruption"},
    {"id": "ux-walkthrough", "name": "Walkthrough", "jql": "project = PLAT AND labels = walkthrough"},
]
PROGRAM: dict[str, Any] = {
    "id": "platform",
    "name": "Platform problem reverse-drive",
    "window": "56d",
    "review_every": "14d",
    "sources": SOURCES,
    "classify": {"labels": LABELS},
    "theme": "component",
    "threshold": 9,
    "action_points": {"project": "PLAT", "label": "action-point", "due_in": "14d", "effectiveness_window": "28d"},
}


def _program(**changes: Any) -> ProblemProgram:
    return ProblemProgram.model_validate({**PROGRAM, **changes})


def _time(day: str, clock: str = "09:00:00.000") -> str:
    return f"2026-{day}T{clock}Z"


def _problem(
    key: str,
    created: str | None,
    *categories: str,
    source: str = "retro-finding",
    components: tuple[str, ...] = ("deploy",),
    priority: str | None = "Medium",
    **fields: Any,
) -> dict:
    labels = [source, *(LABELS[c] for c in categories)]
    return {
        "key": key,
        "id": key,
        "project": "PLAT",
        "issuetype": "Task",
        "summary": f"problem {key}",
        "status": "Open",
        "statusCategory": "new",
        "labels": labels,
        "components": list(components),
        "priority": priority,
        "created": created,
        "links": [],
        "custom": {},
        **fields,
    }


def _ap(
    key: str,
    *linked: str,
    done_at: str | None = None,
    assignee: str | None = "u-1",
    due: str | None = "2026-12-01",
    project: str = "PLAT",
    labels: tuple[str, ...] = ("action-point",),
) -> dict:
    return {
        "key": key,
        "id": key,
        "project": project,
        "issuetype": "Task",
        "summary": f"AP {key}",
        "status": "Done" if done_at else "In Progress",
        "statusCategory": "done" if done_at else "indeterminate",
        "labels": list(labels),
        "components": [],
        "priority": "Medium",
        "assignee": assignee,
        "duedate": due,
        "created": _time("01-05"),
        "resolutiondate": done_at,
        "custom": {},
        "links": [
            {"id": f"l{i}", "type": "Relates", "direction": "outward", "issue_id": k, "key": k}
            for i, k in enumerate(linked)
        ],
    }


def _run(
    documents: list[dict],
    program: ProblemProgram | None = None,
    at: datetime = AT,
    custom_fields: dict[str, str] | None = None,
    tz: Any = UTC,
) -> ProgramResult:
    given_input = EvaluationInput(at=at, tz=tz, documents=documents, custom_fields=custom_fields or {})
    return evaluate_program(program or _program(), given_input)


def _cluster(result: ProgramResult, category: str, theme: str):
    return next(c for c in result.clusters if c.ref == ClusterRef(category, theme))


def _refs(result: ProgramResult) -> list[tuple[str, str]]:
    return [(c.ref.category, c.ref.theme) for c in result.clusters]


# --- sources, categories, themes, impact ------------------------------------------------------------------


def test_a_problem_belongs_to_the_first_matching_source_and_non_matches_are_not_problems() -> None:
    both = _problem("PLAT-1", _time("11-01"), "system", source="interruption")
    both["labels"].append("retro-finding")  # matches interruptions and retro: retro comes first
    later = _problem("PLAT-2", _time("11-02"), "system", source="interruption")
    other = {**_problem("HR-1", _time("11-03"), "system"), "project": "HR"}
    result = program_json(_run([both, later, other]))
    assert result["sources"] == {
        "retro": ["PLAT-1"],
        "small-changes": [],
        "escaped": [],
        "interruptions": ["PLAT-2"],
        "ux-walkthrough": [],
    }
    assert all("HR-1" not in c["problems"] for c in result["clusters"])


def test_a_source_outside_the_local_jql_subset_matches_nothing_and_the_next_source_still_applies() -> None:
    sources = [{"id": "sprint", "name": "S", "jql": "project = PLAT AND sprint in openSprints()"}, SOURCES[0]]
    result = _run([_problem("PLAT-1", _time("11-01"), "system")], _program(sources=sources))
    assert result.unsupported_sources == ("sprint",)
    assert {s: [p.key for p in found] for s, found in result.by_source().items()} == {"sprint": [], "retro": ["PLAT-1"]}


def test_a_problem_with_two_components_counts_in_both_clusters() -> None:
    result = _run(
        [
            _problem("PLAT-1", _time("11-01"), "system", components=("api", "ci")),
            _problem("PLAT-2", _time("11-02"), "system", components=("ci",)),
        ]
    )
    assert (_cluster(result, "system", "api").frequency, _cluster(result, "system", "ci").frequency) == (1, 2)
    assert _cluster(result, "system", "ci").problems[1].key == "PLAT-1"


def test_two_category_labels_make_a_cross_problem_and_none_makes_it_untriaged() -> None:
    result = _run(
        [_problem("PLAT-1", _time("11-01"), "system", "people"), _problem("PLAT-2", _time("11-02"), components=())]
    )
    assert _refs(result) == [("untriaged", "(none)"), ("cross", "deploy")]  # both score 3: the newest first
    assert [p.key for p in result.untriaged] == ["PLAT-2"]


def test_untriaged_is_never_a_candidate_whatever_its_score() -> None:
    documents = [_problem(f"PLAT-{n}", _time(f"11-0{n}"), priority="Highest") for n in range(1, 5)]
    cluster = _cluster(_run(documents), "untriaged", "deploy")
    assert (cluster.frequency, cluster.impact, cluster.score, cluster.candidate) == (4, 5, 20, False)


def test_category_from_a_select_field_resolved_by_name_case_insensitive() -> None:
    program = _program(classify={"field": "Problem category"})
    fields = {"problem category": "customfield_10100"}
    documents = [
        _problem("PLAT-1", _time("11-01"), custom={"customfield_10100": "System"}),
        _problem("PLAT-2", _time("11-02"), custom={"customfield_10100": ["mechanism", "People"]}),
        _problem("PLAT-3", _time("11-03"), custom={"customfield_10100": "Other"}),
    ]
    result = _run(documents, program, custom_fields=fields)
    assert {p.key: p.category for p in result.problems} == {
        "PLAT-1": "system",
        "PLAT-2": "cross",
        "PLAT-3": "untriaged",
    }


def test_themes_from_label_suffixes_and_from_a_field() -> None:
    labels = ["retro-finding", "problem-system", "area-db", "Area-ci", "area-"]  # the bare prefix names no theme
    by_label = _run([_problem("PLAT-1", _time("11-01"), "system", labels=labels)], _program(theme="label:area-"))
    assert _refs(by_label) == [("system", "ci"), ("system", "db")]
    by_field = _run(
        [
            _problem("PLAT-1", _time("11-01"), "system", custom={"customfield_7": ["Payments", "Search"]}),
            _problem("PLAT-2", _time("11-02"), "system"),
        ],
        _program(theme="field:Team"),
        custom_fields={"team": "customfield_7"},
    )
    assert sorted(_refs(by_field)) == [("system", "(none)"), ("system", "Payments"), ("system", "Search")]


def test_unmapped_or_empty_priorities_take_the_default_impact() -> None:
    documents = [
        _problem("PLAT-1", _time("11-01"), "system", priority="Minor"),
        _problem("PLAT-2", _time("11-02"), "system", priority=None, components=("ci",)),
        _problem("PLAT-3", _time("11-03"), "system", priority="high", components=("db",)),
    ]
    result = _run(documents, _program(impact={"scale": {"High": 4, "Low": 2}, "default": 2.5}))
    assert {p.key: p.impact for p in result.problems} == {"PLAT-1": 2.5, "PLAT-2": 2.5, "PLAT-3": 4}
    assert result.problems[2].impact_value == "Minor"


def test_impact_from_a_configured_field() -> None:
    program = _program(impact={"field": "Severity", "scale": {"S1": 5, "S2": 3}, "default": 1})
    documents = [
        _problem("PLAT-1", _time("11-01"), "system", custom={"customfield_9": "S1"}),
        _problem("PLAT-2", _time("11-02"), "system"),
    ]
    cluster = _cluster(_run(documents, program, custom_fields={"severity": "customfield_9"}), "system", "deploy")
    assert (cluster.frequency, cluster.impact, cluster.score) == (2, 5, 10)


# --- window, frequency, score, ranking ---------------------------------------------------------------------


def test_window_edges_are_inclusive_at_both_ends() -> None:
    documents = [
        _problem("PLAT-1", "2026-09-20T12:00:00.000Z", "system"),  # exactly at − 56 days
        _problem("PLAT-2", "2026-09-20T11:59:59.999Z", "system"),
        _problem("PLAT-3", "2026-11-15T12:00:00.000Z", "system"),  # exactly at
        _problem("PLAT-4", "2026-11-15T12:00:00.001Z", "system"),
        _problem("PLAT-5", None, "system"),
    ]
    result = _run(documents)
    assert [p.key for p in _cluster(result, "system", "deploy").problems] == ["PLAT-3", "PLAT-1"]
    assert [p.key for p in result.problems_in_window] == ["PLAT-3", "PLAT-1"]


def test_a_cluster_with_no_problem_in_the_window_is_not_listed() -> None:
    result = _run([_problem("PLAT-1", _time("08-01"), "system"), _problem("PLAT-2", _time("11-01"), "people")])
    assert _refs(result) == [("people", "deploy")]


def test_score_is_frequency_times_the_highest_impact_and_the_threshold_is_inclusive() -> None:
    documents = [
        _problem("PLAT-1", _time("11-01"), "system"),
        _problem("PLAT-2", _time("11-02"), "system"),
        _problem("PLAT-3", _time("11-03"), "system", priority="Low"),
    ]
    cluster = _cluster(_run(documents), "system", "deploy")
    assert (cluster.frequency, cluster.impact, cluster.score, cluster.candidate) == (3, 3, 9, True)
    assert not _cluster(_run(documents, _program(threshold=9.5)), "system", "deploy").candidate


def test_candidates_rank_by_score_then_frequency_then_newest_problem_then_the_rest_by_score() -> None:
    def cluster_of(theme: str, count: int, priority: str, last_day: int, category: str = "system") -> list[dict]:
        categories = () if category == "untriaged" else (category,)
        return [
            _problem(
                f"{theme.upper()}-{n}",
                _time(f"11-{last_day - n:02d}"),
                *categories,
                components=(theme,),
                priority=priority,
            )
            for n in range(count)
        ]

    documents = (
        cluster_of("a", 3, "High", 12)
        + cluster_of("b", 4, "Medium", 5)
        + cluster_of("c", 4, "Medium", 10)
        + cluster_of("d", 2, "Low", 14, "mechanism")
        + cluster_of("e", 5, "Highest", 14, "untriaged")
    )
    result = _run(documents)
    assert [(c.ref.theme, c.score, c.candidate) for c in result.clusters] == [
        ("c", 12, True),
        ("b", 12, True),
        ("a", 12, True),
        ("e", 25, False),
        ("d", 4, False),
    ]


# --- action points: coverage, flags, effectiveness ------------------------------------------------------


def test_an_open_ap_covers_its_cluster_but_a_done_one_does_not() -> None:
    problems = [
        _problem("PLAT-1", _time("07-01"), "system"),  # old, outside the window, still the cluster's
        *(_problem(f"PLAT-{n}", _time(f"11-0{n}"), "system") for n in range(2, 5)),
    ]
    open_ap = _run(problems + [_ap("PLAT-90", "PLAT-1")])
    assert (_cluster(open_ap, "system", "deploy").candidate, _cluster(open_ap, "system", "deploy").covered_by) == (
        False,
        ("PLAT-90",),
    )
    done_ap = _run(problems + [_ap("PLAT-90", "PLAT-1", done_at=_time("07-10"))])
    assert _cluster(done_ap, "system", "deploy").candidate


def test_aps_are_the_labelled_issues_of_the_ap_project_and_never_problems() -> None:
    ap_matching_a_source = _ap("PLAT-90", labels=("action-point", "retro-finding"))
    elsewhere = _ap("OPS-90", project="OPS")
    unlabelled = _ap("PLAT-91", labels=())
    result = _run([ap_matching_a_source, elsewhere, unlabelled])
    assert [ap.key for ap in result.action_points] == ["PLAT-90"] and result.problems == ()


def test_ap_flags() -> None:
    documents = [
        _ap("PLAT-1", assignee=None, due=None),
        _ap("PLAT-2", due="2026-11-14"),
        _ap("PLAT-3", due="2026-11-15"),
        _ap("PLAT-4", due="2026-11-01", done_at=_time("11-02")),
    ]
    assert [(ap.key, ap.flags) for ap in _run(documents).action_points] == [
        ("PLAT-1", ("no_owner", "no_due_date")),
        ("PLAT-2", ("overdue",)),
        ("PLAT-3", ()),
        ("PLAT-4", ()),
    ]


def test_overdue_uses_the_configured_time_zone() -> None:
    evening = datetime(2026, 11, 14, 20, tzinfo=UTC)  # already Nov 15, 04:00 in Shanghai
    documents = [_ap("PLAT-1", due="2026-11-14")]
    assert _run(documents, at=evening).action_points[0].flags == ()
    assert _run(documents, at=evening, tz=ZoneInfo("Asia/Shanghai")).action_points[0].flags == ("overdue",)


def _history(resolved: datetime, before: int, after: int) -> list[dict]:
    """`before` problems in [r − 56 d, r] (one exactly at r − 56 d and one exactly at r), `after` in (r, r + 28 d]."""
    moments = [resolved - timedelta(days=56), resolved][:before]
    moments += [resolved - timedelta(days=10 + n) for n in range(before - len(moments))]
    moments += [resolved + timedelta(days=28 - n) for n in range(after)]  # the first exactly at r + 28 d
    moments.append(resolved - timedelta(days=56, seconds=1))  # just before: counts nowhere
    return [_problem(f"PLAT-{n}", m.isoformat().replace("+00:00", "Z"), "system") for n, m in enumerate(moments, 1)]


def test_effectiveness_is_watching_until_the_effectiveness_window_has_passed() -> None:
    resolved = AT - timedelta(days=10)
    result = _run(_history(resolved, before=3, after=0) + [_ap("PLAT-90", "PLAT-1", done_at=resolved.isoformat())])
    judged = result.action_points[0].effectiveness
    assert judged is not None and judged.verdict == "watching"
    assert judged.decided_at == resolved + timedelta(days=28) and (judged.before, judged.after) == (3, 0)
    exactly = _run(
        _history(AT - timedelta(days=28), 2, 0)
        + [_ap("PLAT-90", "PLAT-1", done_at=(AT - timedelta(days=28)).isoformat())]
    )
    assert exactly.action_points[0].effectiveness.verdict == "effective"  # type: ignore[union-attr]


def test_effective_when_the_rate_after_is_at_most_half_the_rate_before() -> None:
    resolved = AT - timedelta(days=40)
    result = _run(_history(resolved, before=4, after=1) + [_ap("PLAT-90", "PLAT-2", done_at=resolved.isoformat())])
    judged = result.action_points[0].effectiveness
    assert judged is not None
    # before 4 / 56 days = 0.0714 per day; after 1 / 28 days = 0.0357 per day: exactly half → effective
    assert (judged.before, judged.after, judged.verdict) == (4, 1, "effective")
    assert (judged.rate_before, judged.rate_after) == (pytest.approx(4 / 56), pytest.approx(1 / 28))


def test_ineffective_when_the_rate_after_is_more_than_half() -> None:
    resolved = AT - timedelta(days=40)
    result = _run(_history(resolved, before=4, after=2) + [_ap("PLAT-90", "PLAT-2", done_at=resolved.isoformat())])
    judged = result.action_points[0].effectiveness
    assert judged is not None
    # after 2 / 28 = 0.0714 per day > 0.5 × 4 / 56 = 0.0357 per day
    assert (judged.before, judged.after, judged.verdict) == (4, 2, "ineffective")
    assert judged.rate_after == pytest.approx(2 / 28)


def test_an_ap_linking_several_clusters_covers_each_and_belongs_to_the_one_most_of_its_problems_are_in() -> None:
    documents = [
        _problem("PLAT-1", _time("11-01"), "system", components=("db",)),
        _problem("PLAT-2", _time("11-02"), "system", components=("db", "ci")),
        _problem("PLAT-3", _time("11-03"), "mechanism", components=("ci",)),
        _ap("PLAT-90", "PLAT-1", "PLAT-2", "PLAT-3", "SHOP-7"),
        _ap("PLAT-91"),
    ]
    first, unlinked = _run(documents).action_points
    assert first.cluster == ClusterRef("system", "db") and first.linked_problems == ("PLAT-1", "PLAT-2", "PLAT-3")
    assert set(first.covers) == {ClusterRef("system", "db"), ClusterRef("system", "ci"), ClusterRef("mechanism", "ci")}
    assert (unlinked.cluster, unlinked.effectiveness) == (None, None)


# --- metrics with source problems, and the report ---------------------------------------------------------


def _metrics_config(threshold: float = 9) -> Any:
    measures = ("problems_in_window", "open_candidates", "overdue_aps", "effective_ap_share")
    return load_config_document(
        {
            "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
            "metrics": {
                m: {"description": m, "source": "problems", "program": "platform", "measure": m} for m in measures
            },
            "okr_sets": [
                {
                    "id": "s",
                    "name": "S",
                    "cycle": "Q4",
                    "objectives": [
                        {
                            "id": "O1",
                            "title": "t",
                            "key_results": [
                                {"id": m, "title": m, "metric": m, "baseline": 0, "target": 100} for m in measures
                            ],
                        }
                    ],
                }
            ],
            "problem_programs": [{**PROGRAM, "threshold": threshold}],
        }
    )


def _measured(config: Any, documents: list[dict]) -> dict[str, tuple]:
    report = evaluate_config(config, evaluation_input(AT, config, documents))
    krs = report["okr_sets"][0]["objectives"][0]["key_results"]
    return {kr["id"]: (kr["current"], kr["count"], kr["evaluated"]) for kr in krs}


def test_the_four_problem_measures() -> None:
    resolved = AT - timedelta(days=40)
    documents = _history(resolved, before=4, after=1)  # PLAT-1..6: four in the window (created ≥ Sep 20)
    documents += [
        _problem("PLAT-20", _time("11-01"), "people", components=("ci",), priority="Highest"),
        _problem("PLAT-21", _time("11-02"), "people", components=("ci",)),
        _ap("PLAT-90", "PLAT-2", done_at=resolved.isoformat()),  # effective
        _ap("PLAT-91", "PLAT-20", due="2026-11-01"),  # open, overdue, covers (people, ci)
        _ap("PLAT-92", due=None),
    ]
    measured = _measured(_metrics_config(), documents)
    # r = Oct 6 12:00; the window [Sep 20 12:00, Nov 15 12:00] holds PLAT-2 (r), PLAT-3 (Sep 26), PLAT-4 (Sep 25),
    # PLAT-5 (r + 28 d = Nov 3), PLAT-20 and PLAT-21
    assert measured["problems_in_window"] == (6.0, 6, "local")
    # (system, deploy): 4 × 3 = 12 → candidate; (people, ci): 2 × 5 = 10 but covered by the open PLAT-91
    assert measured["open_candidates"] == (1.0, 6, "local")
    assert measured["overdue_aps"] == (1.0, 3, "local")
    assert measured["effective_ap_share"] == (100.0, 1, "local")


def test_effective_share_without_a_decided_ap_has_no_value() -> None:
    documents = [_problem("PLAT-1", _time("11-01"), "system"), _ap("PLAT-90", "PLAT-1", done_at=_time("11-10"))]
    assert _measured(_metrics_config(), documents)["effective_ap_share"] == (None, 0, "local")


def test_each_program_is_computed_once_per_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = metrics_module.evaluate_program
    monkeypatch.setattr(metrics_module, "evaluate_program", lambda *a, **k: calls.append(1) or original(*a, **k))
    config = _metrics_config()
    report = evaluate_config(config, evaluation_input(AT, config, [_problem("PLAT-1", _time("11-01"))]))
    assert len(calls) == 1 and report["problem_programs"][0]["untriaged"] == ["PLAT-1"]


def _example_json() -> dict:
    arguments = [
        "evaluate",
        "--config",
        str(EXAMPLES / "okrs.yaml"),
        "--issues",
        str(EXAMPLES / "issues.jsonl"),
        "--measurements",
        str(EXAMPLES / "measurements.jsonl"),
        "--fields",
        str(EXAMPLES / "fields.json"),
        "--at",
        "2026-11-15T12:00:00Z",
        "--json",
    ]
    output = CliRunner().invoke(main, arguments)
    assert output.exit_code == 0, output.output
    return json.loads(output.output)


@pytest.fixture(scope="module")
def example() -> dict:
    return _example_json()


def test_evaluate_json_fills_problem_programs_in_the_documented_shape(example: dict) -> None:
    [program] = example["problem_programs"]
    assert set(program) == {"id", "clusters", "untriaged", "sources", "action_points"}
    assert all(
        set(c) == {"category", "theme", "frequency", "impact", "score", "candidate", "problems"}
        for c in program["clusters"]
    )
    assert all(set(ap) == {"key", "cluster", "flags", "effectiveness"} for ap in program["action_points"])
    assert list(program["sources"]) == ["retro", "small-changes", "escaped", "interruptions", "ux-walkthrough"]


def test_the_example_program_by_hand(example: dict) -> None:
    [program] = example["problem_programs"]
    top = program["clusters"][:4]
    # deploy-pipeline: OPS-7, PLAT-209, PLAT-205, PLAT-201 → 4 × High 4 = 16; ci (mechanism) 3 × 4 = 12 with
    # a done AP (PLAT-303) that does not cover it; on-call 3 × 3 = 9 (PLAT-211's "Minor" → default 3)
    assert [(c["category"], c["theme"], c["frequency"], c["impact"], c["score"], c["candidate"]) for c in top] == [
        ("system", "deploy-pipeline", 4, 4, 16, True),
        ("mechanism", "ci", 3, 4, 12, True),
        ("people", "on-call", 3, 3, 9, True),
        ("untriaged", "platform", 5, 5, 25, False),
    ]
    release = next(c for c in program["clusters"] if c["theme"] == "release-process")
    assert (release["score"], release["candidate"]) == (12, False)  # covered by the open AP PLAT-301
    assert program["sources"]["escaped"] == ["OPS-5", "OPS-7", "OPS-4", "OPS-3", "OPS-2", "OPS-1", "OPS-6"]
    assert program["untriaged"] == ["PLAT-212", "OPS-5", "OPS-4", "OPS-3", "OPS-2", "OPS-1", "OPS-6"]
    assert [(ap["key"], ap["flags"], ap["effectiveness"]) for ap in program["action_points"]] == [
        ("PLAT-301", ["overdue"], None),
        ("PLAT-302", [], "effective"),
        ("PLAT-303", [], "ineffective"),
        ("PLAT-304", [], "watching"),
        ("PLAT-305", ["no_owner", "no_due_date"], None),
    ]
    assert program["action_points"][0]["cluster"] == {"category": "mechanism", "theme": "release-process"}


def test_the_example_krs_read_the_program(example: dict) -> None:
    shop = next(s for s in example["okr_sets"] if s["id"] == "shop-q4")
    krs = {kr["id"]: kr for o in shop["objectives"] for kr in o["key_results"]}
    # 24 problems in the window: PLAT-105, PLAT-201…216 and OPS-1…7; (24 − 40) / (15 − 40) = 0.64
    assert (krs["O3.KR1"]["current"], krs["O3.KR1"]["count"], krs["O3.KR1"]["progress"]) == (24, 24, 0.64)
    # PLAT-302 effective, PLAT-303 ineffective (PLAT-304 still watching) → 50 %
    assert (krs["O3.KR2"]["current"], krs["O3.KR2"]["count"], krs["O3.KR2"]["progress"]) == (50, 2, 0.5)


def test_rows_for_the_text_report(example: dict) -> None:
    [program] = example["problem_programs"]
    assert problem_rows(program)[0] == (
        "system",
        "deploy-pipeline",
        "4",
        "4",
        "16",
        "candidate",
        "OPS-7, PLAT-209, PLAT-205, PLAT-201",
    )
    assert action_point_rows(program)[-1] == ("PLAT-305", "cross/admin-console", "no_owner, no_due_date", "—")


# --- review digest and AP proposals -----------------------------------------------------------------------


def test_review_digest() -> None:
    resolved = AT - timedelta(
        days=50
    )  # Sep 26 12:00: history PLAT-1…6, of which PLAT-2 and PLAT-5 (Oct 24) in the window
    documents = _history(resolved, before=4, after=1) + [
        _problem(
            "PLAT-30", _time("11-01", "12:00:00.000"), "system", source="interruption"
        ),  # exactly at the last review: not new
        _problem("PLAT-31", _time("11-10"), "people", source="interruption"),
        _problem("PLAT-32", _time("11-12"), source="walkthrough"),
        _ap("PLAT-90", "PLAT-2", done_at=resolved.isoformat()),
        _ap("PLAT-91", "PLAT-31", assignee=None),
    ]
    program = _program()
    digest = review_digest(program, _run(documents, program))
    interruptions = next(n for n in digest.new_problems if n.source == "interruptions")
    assert [p.key for p in interruptions.by_category["people"]] == ["PLAT-31"]
    assert sum(len(found) for n in digest.new_problems for found in n.by_category.values()) == 2
    assert [p.key for p in digest.untriaged] == ["PLAT-32"]
    assert [(c.ref, c.frequency, c.impact, c.score) for c in digest.candidates] == [
        (ClusterRef("system", "deploy"), 3, 3, 9)
    ]
    assert [p.key for p in digest.candidates[0].problems] == ["PLAT-30", "PLAT-5", "PLAT-2"]
    assert (digest.window_days, digest.threshold, digest.since) == (56, 9, AT - timedelta(days=14))
    assert [(row.key, row.owner, row.flags, row.effectiveness) for row in digest.action_points] == [
        ("PLAT-90", "u-1", (), "effective"),
        ("PLAT-91", None, ("no_owner",), None),
    ]
    assert [(c.key, c.effectiveness.before, c.effectiveness.after) for c in digest.closed] == [("PLAT-90", 4, 1)]


def test_ap_proposals_for_candidates_without_an_open_ap() -> None:
    documents = [
        _problem("PLAT-1", _time("10-20"), "system", priority="High"),
        _problem("PLAT-2", _time("11-02"), "system", source="walkthrough"),
        _problem("PLAT-3", _time("11-05"), "system", source="interruption"),
        *(
            _problem(f"OPS-{n}", _time(f"11-0{n}"), "mechanism", components=("db",), source="x")
            | {"project": "OPS", "issuetype": "Incident"}
            for n in range(1, 5)
        ),
        _problem("PLAT-9", _time("11-09"), "people", components=("ci",), priority="Highest"),
        _problem("PLAT-10", _time("11-09"), "people", components=("ci",)),
        _ap("PLAT-90", "PLAT-10"),
    ]
    program = _program()
    [db, deploy] = ap_proposals(program, _run(documents, program), AT)  # both 12: db has the higher frequency
    assert (deploy.cluster, deploy.summary) == (
        ClusterRef("system", "deploy"),
        "System problems keep recurring in deploy",
    )
    assert (deploy.links, deploy.label, deploy.due, deploy.project, deploy.issuetype) == (
        ("PLAT-3", "PLAT-2", "PLAT-1"),
        "action-point",
        date(2026, 11, 29),
        "PLAT",
        "Task",
    )
    assert deploy.assignee is None  # the newest problem came from interruptions, which has no owner
    assert "Score 12 = frequency 3 × impact 4 (threshold 9)" in deploy.description
    assert "- PLAT-1: problem PLAT-1 (source retro, High → impact 4, created 2026-10-20)" in deploy.description
    assert (db.cluster, db.assignee) == (ClusterRef("mechanism", "db"), "sre@example.com")


# --- configuration -----------------------------------------------------------------------------------


def test_two_categories_on_one_label_is_a_configuration_error() -> None:
    document = {
        "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "problem_programs": [{**PROGRAM, "classify": {"labels": {"system": "p", "people": "P"}}}],
    }
    with pytest.raises(ConfigError) as raised:
        load_config_document(document)
    assert [str(p) for p in raised.value.problems] == [
        "problem_programs[0].classify.labels: system and people share the label 'p'; give each category its own label"
    ]


# --- totality -----------------------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(
        [
            "PLAT",
            "OPS",
            "retro-finding",
            "problem-system",
            "problem-people",
            "High",
            "action-point",
            "done",
            "2026-11-01",
            "2026-11-01T10:00:00.000Z",
            "0001-01-01",
            "9999-12-31T23:59:59Z",
        ]
    ),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["key", "value", "id"]), inner, max_size=2)
    ),
    max_leaves=6,
)
_documents = st.fixed_dictionaries(
    {},
    optional={
        name: _values
        for name in (
            "key",
            "id",
            "project",
            "issuetype",
            "status",
            "statusCategory",
            "labels",
            "components",
            "priority",
            "assignee",
            "created",
            "updated",
            "resolutiondate",
            "duedate",
            "links",
            "custom",
            "summary",
        )
    },
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_documents, max_size=6), st.sampled_from(["component", "label:problem-", "field:Team"]), st.booleans())
def test_the_computation_never_raises_on_arbitrary_documents(documents: list[dict], theme: str, by_field: bool) -> None:
    program = _program(
        theme=theme,
        classify={"field": "Team"} if by_field else {"labels": LABELS},
        sources=[
            {"id": "all", "name": "All", "jql": "project = PLAT OR labels = retro-finding"},
            {"id": "rest", "name": "Rest", "jql": "created >= -300d"},
        ],
    )
    result = _run(documents, program, custom_fields={"team": "customfield_1"})
    json.dumps(program_json(result))
    review_digest(program, result)
    ap_proposals(program, result, AT)
