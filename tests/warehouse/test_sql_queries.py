"""source: sql metrics run against a real PostgreSQL server and a SQLite file: one number or a history,
read-only, within their timeout, and every bad answer a sentence naming the metric."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy

from mapping.models import Metric
from mapping.warehouse import query_digest
from sync.warehouse import WarehouseError, connection_url, fetch_sql_metric
from tests.support.postgres import PostgresServer

NOW = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
LATEST = "SELECT rate FROM checkout_daily WHERE day = (SELECT max(day) FROM checkout_daily)"
HISTORY = "SELECT day, rate FROM checkout_daily"


def _metric(query: str, timeout: str = "30s") -> Metric:
    return Metric.model_validate(
        {"source": "sql", "connection": "dwh", "query": query, "statement_timeout": timeout, "unit": "%"}
    )


def _fetch(url: str, query: str, timeout: str = "30s"):  # type: ignore[no-untyped-def]
    metric = _metric(query, timeout)
    return fetch_sql_metric("conv_dwh", metric, connection_url("conv_dwh", metric, {"OKRSYNC_SQL_DWH_URL": url}), NOW)


def _refused(url: str, query: str, timeout: str = "30s") -> str:
    with pytest.raises(WarehouseError) as caught:
        _fetch(url, query, timeout)
    return str(caught.value)


@pytest.fixture(params=["postgresql", "sqlite"])
def warehouse(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        return server.url
    return str(request.getfixturevalue("sqlite_warehouse"))


def test_one_number_with_its_provenance(warehouse: str) -> None:
    fetched = _fetch(warehouse, LATEST)
    assert fetched.reading.value == 97.8
    assert (fetched.reading.rows, fetched.reading.at, fetched.fetched_at) == (1, NOW, NOW)
    assert (fetched.connection, fetched.query_digest) == ("dwh", query_digest(LATEST))
    assert fetched.query_digest.startswith("sha256:") and len(fetched.query_digest) == len("sha256:") + 12


def test_rows_of_at_and_value_are_a_history_whose_newest_is_current(warehouse: str) -> None:
    fetched = _fetch(warehouse, HISTORY + " ORDER BY rate")  # out of order on purpose
    assert fetched.reading.value == 97.8 and fetched.reading.rows == 3
    assert fetched.reading.at == datetime(2026, 11, 3, tzinfo=UTC)
    assert [value for _, value in fetched.reading.history] == [97.1, 96.5, 97.8]
    assert fetched.reading.history[0][0] == "2026-11-01T00:00:00+00:00"


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM checkout_daily",
        "INSERT INTO checkout_daily VALUES ('2026-12-01', 1)",
        "UPDATE checkout_daily SET rate = 0",
        "CREATE TABLE intruder (x int)",
    ],
)
def test_a_query_that_writes_is_refused_by_the_read_only_transaction(warehouse: str, query: str) -> None:
    message = _refused(warehouse, query)
    assert "metric conv_dwh" in message and "tried to write and was refused" in message
    assert _fetch(warehouse, "SELECT count(*) FROM checkout_daily").reading.value == 3  # nothing changed


def test_a_data_modifying_cte_and_a_second_statement_are_refused_on_postgresql(postgres: PostgresServer) -> None:
    cte = "WITH gone AS (DELETE FROM checkout_daily RETURNING 1) SELECT count(*) FROM gone"
    assert "tried to write and was refused" in _refused(postgres.url, cte)
    second = "SELECT 1; DELETE FROM checkout_daily"
    assert "refused" in _refused(postgres.url, second)
    assert _fetch(postgres.url, "SELECT count(*) FROM checkout_daily").reading.value == 3


def test_a_slow_query_hits_the_statement_timeout_on_postgresql(postgres: PostgresServer) -> None:
    message = _refused(postgres.url, "SELECT pg_sleep(5)", timeout="1s")
    assert "ran longer than its statement_timeout of 1s and was stopped" in message
    assert message.startswith("metric conv_dwh: connection 'dwh'")


def test_a_slow_query_is_interrupted_on_sqlite(sqlite_warehouse: str) -> None:
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n"
    started = datetime.now(UTC)
    message = _refused(sqlite_warehouse, endless, timeout="1s")
    assert "ran longer than its statement_timeout of 1s" in message
    assert (datetime.now(UTC) - started).total_seconds() < 10


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    assert "unable to open database file" in _refused(f"sqlite:///{path}", "SELECT 1")
    assert not path.exists()


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("SELECT 'high'", "returned str 'high' in row 1 where a number belongs"),
        ("SELECT day, rate, rate FROM checkout_daily", "returned 3 columns (day, rate, rate)"),
        ("SELECT rate FROM checkout_daily WHERE rate > 1000", "returned no rows"),
        ("SELECT NULL", "returned NULL in row 1"),
        ("SELECT rate FROM checkout_daily", "returned 3 rows of one column"),
        ("SELECT 'someday', 1", "returned 'someday' as the 'at' of row 1; expected a date or a timestamp"),
    ],
)
def test_an_answer_that_is_not_a_number_names_the_metric(warehouse: str, query: str, words: str) -> None:
    message = _refused(warehouse, query)
    assert message.startswith("metric conv_dwh: the query ") and words in message


def test_a_query_error_is_reported_with_the_password_hidden(postgres: PostgresServer) -> None:
    url = sqlalchemy.make_url(postgres.url).set(password="s3cret-pw").render_as_string(hide_password=False)
    message = _refused(url, "SELECT nope FROM checkout_daily")
    assert 'the query failed: column "nope" does not exist' in message
    assert "s3cret-pw" not in message and "***" in message


def test_a_percent_sign_in_the_query_is_sql_not_a_placeholder(warehouse: str) -> None:
    assert (
        _fetch(warehouse, "SELECT count(*) FROM checkout_daily WHERE CAST(day AS text) LIKE '%-02'").reading.value == 1
    )


def test_an_unset_or_malformed_url_says_which_variable(tmp_path: Path) -> None:
    metric = _metric("SELECT 1")
    with pytest.raises(WarehouseError, match=r"metric m: connection 'dwh' has no URL: set OKRSYNC_SQL_DWH_URL"):
        connection_url("m", metric, {})
    with pytest.raises(WarehouseError) as caught:
        connection_url("m", metric, {"OKRSYNC_SQL_DWH_URL": "postgres at the usual place pw=hunter2"})
    assert "metric m: OKRSYNC_SQL_DWH_URL is not a SQLAlchemy URL" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_dialect_that_is_not_installed_says_to_install_its_package() -> None:
    message = _refused("snowflake://reader:pw@account/db", "SELECT 1")
    assert "no SQLAlchemy dialect for 'snowflake' is installed; install the package" in message
    assert "pw@" not in message
