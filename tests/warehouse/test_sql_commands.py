"""`okrsync evaluate` runs SQL metrics whose connection variable is set, and says which variable is
missing otherwise; `okrsync validate` names the variable of every connection without a usable URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from okrsync.cli import main
from tests.support.postgres import PostgresServer

CONFIG = """
cycles:
  - {id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
metrics:
  conv_dwh:
    description: Checkout conversion, from the warehouse
    source: sql
    connection: dwh
    query: SELECT day, rate FROM checkout_daily
    unit: "%"
  orders_dwh:
    description: Orders a day
    source: sql
    connection: orders
    query: SELECT count(*) FROM orders
okr_sets:
  - id: shop
    name: Shop
    cycle: 2026-Q4
    objectives:
      - id: O1
        title: Checkout converts
        key_results:
          - {id: O1.KR1, title: Conversion from 90% to 99%, metric: conv_dwh, baseline: 90, target: 99}
          - {id: O1.KR2, title: Orders a day from 10 to 20, metric: orders_dwh, baseline: 10, target: 20}
"""


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the shell's directory
    (tmp_path / "okrs.yaml").write_text(CONFIG)
    (tmp_path / "issues.jsonl").write_text("")
    return tmp_path


def _evaluate(*extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["evaluate", "--config", "okrs.yaml", "--issues", "issues.jsonl", "--at", "2026-11-15T00:00:00Z", *extra]
    )
    return result.exit_code, result.stdout, result.stderr


def _kr(document: dict, kr_id: str) -> dict:
    return next(
        kr for s in document["okr_sets"] for o in s["objectives"] for kr in o["key_results"] if kr["id"] == kr_id
    )


def test_evaluate_runs_the_query_on_postgresql_and_names_the_missing_variable(
    files: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRSYNC_SQL_DWH_URL", postgres.url)
    code, out, err = _evaluate("--json")
    assert code == 0, err
    kr = _kr(json.loads(out), "O1.KR1")
    assert (kr["current"], kr["evaluated"], kr["count"], kr["progress"]) == (97.8, "sql", 3, 0.8667)
    assert kr["provenance"]["connection"] == "dwh" and kr["provenance"]["rows"] == 3
    missing = _kr(json.loads(out), "O1.KR2")
    assert (missing["current"], missing["health"]) == (None, "not_measured")
    assert "okrsync: metric orders_dwh: connection 'orders' has no URL: set OKRSYNC_SQL_ORDERS_URL" in err


def test_evaluate_as_text_says_the_value_came_from_the_warehouse(
    files: Path, sqlite_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRSYNC_SQL_DWH_URL", sqlite_warehouse)
    monkeypatch.setenv("OKRSYNC_SQL_ORDERS_URL", sqlite_warehouse)
    code, out, err = _evaluate()
    assert code == 0
    assert "90 → 97.8 → 99" in out and "[evaluated sql]" in out
    assert "metric orders_dwh: connection 'orders'" in err and "no such table: orders" in err
    assert "Traceback" not in out + err


def test_a_url_in_the_env_file_is_read_too(files: Path, sqlite_warehouse: str) -> None:
    (files / ".env").write_text(f"OKRSYNC_SQL_DWH_URL={sqlite_warehouse}\n")
    code, out, _ = _evaluate("--json")
    assert code == 0 and _kr(json.loads(out), "O1.KR1")["current"] == 97.8


def test_validate_names_the_variable_of_each_connection_without_a_usable_url(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRSYNC_SQL_DWH_URL", "the warehouse, password hunter2")
    result = CliRunner().invoke(main, ["validate", "okrs.yaml"])
    assert result.exit_code == 0
    assert "warning: metrics.conv_dwh.connection: metric conv_dwh: OKRSYNC_SQL_DWH_URL is not a SQLAlchemy URL" in (
        result.stderr
    )
    assert "warning: metrics.orders_dwh.connection: metric orders_dwh: connection 'orders' has no URL: set " in (
        result.stderr
    )
    assert "hunter2" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("metric", "words"),
    [
        ({"source": "sql", "query": "SELECT 1"}, "source sql needs 'connection'"),
        ({"source": "sql", "connection": "dwh"}, "source sql needs 'query'"),
        ({"source": "sql", "connection": "dwh", "query": "SELECT 1", "aggregate": "mean"}, "only aggregate latest"),
        ({"source": "sql", "connection": "dwh", "query": "SELECT 1", "refresh": "soon"}, "such as 30s, 15m, 1h or 1d"),
        ({"source": "sql", "connection": "dwh-1", "query": "SELECT 1"}, "connection"),
    ],
)
def test_validate_refuses_a_sql_metric_missing_what_it_needs(files: Path, metric: dict, words: str) -> None:
    import yaml

    document = yaml.safe_load(CONFIG)
    document["metrics"]["conv_dwh"] = metric
    (files / "okrs.yaml").write_text(yaml.safe_dump(document))
    result = CliRunner().invoke(main, ["validate", "okrs.yaml"])
    assert result.exit_code == 1 and "metrics.conv_dwh" in result.output and words in result.output
