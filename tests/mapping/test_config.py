"""okrs.yaml: loading, precise errors, cross-references, lint, metric versions, the CLI around them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import ConfigError
from mapping.lint import lint
from mapping.loader import load_config_document, load_config_file, load_config_text
from mapping.models import Metric
from mapping.versions import metric_version
from okrsync.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "okrs.yaml"


def _minimal(**overrides):
    document = {
        "version": 1,
        "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "metrics": {"sev1": {"description": "SEV1s", "source": "jira", "jql": "project = OPS"}},
        "okr_sets": [
            {
                "id": "shop",
                "name": "Shop",
                "cycle": "Q4",
                "objectives": [
                    {
                        "id": "O1",
                        "title": "Dependable checkout",
                        "key_results": [
                            {
                                "id": "KR1",
                                "title": "SEV1s down from 6 to 2",
                                "metric": "sev1",
                                "baseline": 6,
                                "target": 2,
                            },
                            {"id": "KR2", "title": "Repeat purchases", "unmeasured": "no survey yet"},
                        ],
                    }
                ],
            }
        ],
    }
    document.update(overrides)
    return document


def _problems(document) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config_document(document, "okrs.yaml")
    return [str(p) for p in raised.value.problems]


def test_the_example_configuration_is_valid() -> None:
    config = load_config_file(EXAMPLE)
    assert {s.id for s in config.okr_sets} == {"company-q4", "shop-q4"}


def test_a_wrong_type_names_the_path_and_what_is_expected() -> None:
    document = _minimal()
    document["okr_sets"][0]["objectives"][0]["key_results"][0]["target"] = "two"
    assert _problems(document) == ["okr_sets[0].objectives[0].key_results[0].target: a number is required (got 'two')"]


def test_a_measured_kr_needs_baseline_and_target() -> None:
    document = _minimal()
    del document["okr_sets"][0]["objectives"][0]["key_results"][0]["baseline"]
    assert _problems(document) == [
        "okr_sets[0].objectives[0].key_results[0]: a KR with a metric needs a number for baseline"
    ]


def test_unknown_keys_are_errors_not_silently_dropped() -> None:
    document = _minimal()
    document["okr_sets"][0]["objectives"][0]["titel"] = "typo"
    assert _problems(document) == [
        "okr_sets[0].objectives[0].titel: unknown key (check the spelling; see `okrsync schema`)"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["okr_sets"][0].update(cycle="Q5"), "okr_sets[0].cycle: unknown cycle 'Q5'"),
        (
            lambda d: d["okr_sets"][0]["objectives"][0]["key_results"][0].update(metric="nope"),
            "okr_sets[0].objectives[0].key_results[0].metric: unknown metric 'nope'",
        ),
        (
            lambda d: d["okr_sets"][0]["objectives"][0]["key_results"][1].update(id="KR1"),
            "okr_sets[0].objectives[0].key_results[1].id: duplicate KR id 'KR1'",
        ),
        (lambda d: d["okr_sets"].append({**d["okr_sets"][0]}), "okr_sets[1].id: duplicate id 'shop'"),
        (lambda d: d["okr_sets"][0].update(aligns_to="company/O9"), "okr_sets[0].aligns_to: no objective 'company/O9'"),
        (
            lambda d: d["metrics"].update(r={"source": "jira", "aggregate": "ratio", "jql": "x"}),
            "metrics.r: aggregate ratio needs 'numerator_jql'",
        ),
        (
            lambda d: d["metrics"].update(p={"source": "problems", "program": "nope", "measure": "overdue_aps"}),
            "metrics.p.program: unknown problem program 'nope'",
        ),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone: unknown time zone 'Mars/Olympus'"),
        (lambda d: d["cycles"][0].update(end="2026-09-01"), "cycles[0]: end 2026-09-01 is before start 2026-10-01"),
        (lambda d: d["metrics"]["sev1"].update(window="month"), "metrics.sev1.window: does not match"),
    ],
)
def test_cross_references_and_rules_are_checked(change, expected) -> None:
    document = _minimal()
    change(document)
    problems = _problems(document)
    assert any(p.startswith(expected) for p in problems), problems


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(ConfigError, match=r"okrs.yaml: YAML syntax error at line 2 column 9"):
        load_config_text("version: 1\ncycles: - a\n", "okrs.yaml")


@pytest.mark.parametrize("text", ["", "- a list\n", "42\n"])
def test_documents_that_are_not_mappings_are_explained(text: str) -> None:
    with pytest.raises(ConfigError, match="expected a mapping with version, cycles"):
        load_config_text(text)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=15,
    )
)
def test_arbitrary_documents_give_config_errors_never_crashes(document) -> None:
    try:
        load_config_document(document)
    except ConfigError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


def _findings(document) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in lint(load_config_document(document)):
        found.setdefault(finding.rule, []).append(finding.where)
    return found


def test_lint_is_quiet_on_a_good_configuration() -> None:
    assert _findings(_minimal()) == {}


def test_lint_flags_each_rule_with_the_kr_it_concerns() -> None:
    document = _minimal()
    document["metrics"]["done_epics"] = {"source": "jira", "jql": "issuetype = Epic AND statusCategory = Done"}
    krs = document["okr_sets"][0]["objectives"][0]["key_results"]
    krs.append({"id": "KR3", "title": "Launch the new checkout", "metric": "done_epics", "baseline": 0, "target": 5})
    krs.append(
        {"id": "KR4", "title": "Shared goal", "owner": ["a@x", "b@x"], "metric": "sev1", "baseline": 3, "target": 3}
    )
    krs.append({"id": "KR5", "title": "Something vague"})
    document["okr_sets"][0]["objectives"] += [
        {"id": f"O{n}", "title": "t", "key_results": [{"id": f"K{n}", "title": "x", "unmeasured": "later"}]}
        for n in (2, 3, 4)
    ]
    found = _findings(document)
    assert found["too-many-objectives"] == ["shop"]
    assert found["kr-count"] == ["shop/O1", "shop/O2", "shop/O3", "shop/O4"]
    assert found["task-shaped"] == ["shop/O1/KR3", "shop/O1/KR3"]  # a delivery verb and a done-count metric
    assert found["shared-kr-owner"] == ["shop/O1/KR4"]
    assert found["baseline-equals-target"] == ["shop/O1/KR4"]
    assert found["no-metric"] == ["shop/O1/KR5"]
    assert found["metric-description"] == ["metrics.done_epics"]


def test_chinese_delivery_verbs_are_task_shaped() -> None:
    document = _minimal()
    document["okr_sets"][0]["objectives"][0]["key_results"][1]["title"] = "上线新版结算页"
    assert _findings(document)["task-shaped"] == ["shop/O1/KR2"]


def test_metric_versions_change_with_the_definition_only() -> None:
    base = Metric(description="a", source="jira", jql="project = OPS")
    assert metric_version(base) == metric_version(Metric(description="changed", source="jira", jql="project  =  OPS "))
    assert metric_version(base) == metric_version(
        Metric(source="jira", aggregate="count", jql="project = OPS", window="cycle")
    )
    assert metric_version(base) != metric_version(Metric(source="jira", jql="project = OPS", window="30d"))
    assert metric_version(base) != metric_version(Metric(source="jira", jql="project = SHOP"))
    assert metric_version(base).startswith("v-") and len(metric_version(base)) == 14


def test_validate_exits_0_on_the_example_and_1_naming_the_path(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(main, ["validate", str(EXAMPLE)])
    assert good.exit_code == 0 and "valid" in good.output
    broken = _minimal()
    broken["okr_sets"][0]["objectives"][0]["key_results"][0]["baseline"] = "six"
    path = tmp_path / "okrs.yaml"
    path.write_text(yaml.safe_dump(broken))
    bad = runner.invoke(main, ["validate", str(path)])
    assert bad.exit_code == 1
    assert f"{path}: okr_sets[0].objectives[0].key_results[0].baseline: a number is required" in bad.output
    missing = runner.invoke(main, ["validate", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "cannot read the file" in missing.output


def test_lint_command_prints_findings_and_strict_fails(tmp_path: Path) -> None:
    document = _minimal()
    document["metrics"]["sev1"]["description"] = ""
    path = tmp_path / "okrs.yaml"
    path.write_text(yaml.safe_dump(document))
    result = CliRunner().invoke(main, ["lint", str(path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == [
        {
            "rule": "metric-description",
            "where": "metrics.sev1",
            "message": "no description: write the definition so everyone reads the number the same way",
        }
    ]
    assert CliRunner().invoke(main, ["lint", str(path), "--strict"]).exit_code == 1


def test_schema_command_prints_a_json_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    schema = json.loads(result.output)
    assert result.exit_code == 0 and schema["title"] == "okrs.yaml"
    assert {"cycles", "metrics", "okr_sets", "problem_programs"} <= set(schema["properties"])
