"""A JQL field neither the local subset nor the site's field list knows is a warning naming it, where it
is, that the metric goes to Jira, and the field probably meant; validate and lint both show it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from mapping.jql_fields import unknown_fields
from mapping.lint import lint
from mapping.loader import load_config_document
from okrsync.cli import main


def _document(jql: str, contributors: str = "project = CHK") -> dict[str, Any]:
    kr = {"id": "KR1", "title": "Checkout conversion up", "metric": "conv", "baseline": 1, "target": 2}
    kr2 = {"id": "KR2", "title": "Fewer incidents", "unmeasured": "no data yet", "contributors": {"jql": contributors}}
    objective = {"id": "O1", "title": "A checkout people finish", "key_results": [kr, kr2]}
    return {
        "version": 1,
        "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
        "metrics": {"conv": {"description": "Orders", "source": "jira", "jql": jql}},
        "okr_sets": [{"id": "shop", "name": "Shop", "cycle": "Q4", "projects": ["CHK"], "objectives": [objective]}],
    }


def _config(jql: str, contributors: str = "project = CHK") -> Any:
    return load_config_document(_document(jql, contributors))


def test_a_misspelled_field_is_a_warning_with_the_field_meant() -> None:
    [found] = unknown_fields(_config("projct = CHK"))
    assert found.where == "metrics.conv.jql" and found.field == "projct" and found.suggestion == "project"
    assert "the field 'projct'" in found.message and "evaluated remotely by Jira" in found.message
    assert "did you mean project?" in found.message and found.message.startswith("the field")


def test_known_fields_are_not_warned_about() -> None:
    text = "project = CHK AND type = Bug AND resolution is EMPTY AND sprint in openSprints() ORDER BY priority"
    assert unknown_fields(_config(text)) == []


def test_the_site_field_list_makes_a_custom_field_known_by_name_or_id() -> None:
    config = _config('"Story Points" > 3 AND cf[10016] > 1 AND cf[10999] > 1 AND "Story Pionts" > 1')
    site = {"story points": "customfield_10016"}
    assert [(u.field, u.suggestion) for u in unknown_fields(config, site)] == [
        ("cf[10999]", None),
        ("Story Pionts", "story points"),
    ]
    without_site = [u.field for u in unknown_fields(config)]  # cf[NNNNN] taken on trust
    assert without_site == ["Story Points", "Story Pionts"]


def test_a_contributors_query_is_named_as_a_query() -> None:
    [found] = unknown_fields(_config("project = CHK", contributors="projekt = CHK"))
    assert found.where == "okr_sets[0].objectives[0].key_results[1].contributors.jql"
    assert "the query will be evaluated remotely" in found.message and "did you mean project?" in found.message


def test_lint_reports_it_as_unknown_field() -> None:
    findings = [f for f in lint(_config("projct = CHK")) if f.rule == "unknown-field"]
    assert [(f.where, "did you mean project?" in f.message) for f in findings] == [("metrics.conv.jql", True)]


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "okrs.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_validate_and_lint_show_the_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, _document("projct = CHK"))
    validated = CliRunner().invoke(main, ["validate", str(path)])
    assert validated.exit_code == 0, validated.output
    assert "warning: metrics.conv.jql: the field 'projct'" in validated.output
    assert "did you mean project?" in validated.output
    linted = CliRunner().invoke(main, ["lint", str(path)])
    assert "metrics.conv.jql: the field 'projct'" in linted.output and "[unknown-field]" in linted.output
    assert "did you mean project?" in linted.output and "1 finding(s)" in linted.output


def test_validate_reads_the_site_field_list_from_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _document('"Story Points" > 3'))
    assert "Story Points" in CliRunner().invoke(main, ["validate", str(path)]).output
    fields = tmp_path / "fields.json"
    fields.write_text(json.dumps([{"id": "customfield_10016", "name": "Story Points"}]))
    result = CliRunner().invoke(main, ["validate", str(path), "--fields", str(fields)])
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    fields.write_text("{}")
    bad = CliRunner().invoke(main, ["validate", str(path), "--fields", str(fields)])
    assert bad.exit_code == 2 and "expected the JSON list" in bad.output and "Traceback" not in bad.output


def test_lint_reads_the_site_field_list_from_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _document('"Story Points" > 3'))
    without = CliRunner().invoke(main, ["lint", str(path)])
    assert "'Story Points'" in without.output and "validate --online" in without.output
    fields = tmp_path / "fields.json"
    fields.write_text(json.dumps([{"id": "customfield_10016", "name": "Story Points"}]))
    result = CliRunner().invoke(main, ["lint", str(path), "--fields", str(fields), "--strict"])
    assert result.exit_code == 0 and "0 finding(s)" in result.output, result.output
