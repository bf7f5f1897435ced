"""Running a ``source: sql`` metric's query against its warehouse, read-only and within its timeout.

    url = connection_url("conv_dwh", metric, os.environ)     # WarehouseError: unset or malformed
    fetched = fetch_sql_metric("conv_dwh", metric, url, now)  # WarehouseError: refused, slow, not a number

The connection's SQLAlchemy URL comes from ``OKRSYNC_SQL_<NAME>_URL``; it is only ever shown with its
password hidden. PostgreSQL runs the query in a ``READ ONLY`` transaction with a ``statement_timeout``;
SQLite opens the file read-only (``mode=ro``) and interrupts a query that outlives its timeout. Any
other dialect (installed with its package) runs it in a transaction that is always rolled back: give
the connection a read-only role there. Every failure is one sentence naming the metric.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from mapping.models import Metric
from mapping.warehouse import connection_variable, duration_seconds, query_digest
from okr.sql_rows import SqlAnswerError, SqlReading, read_rows

# SQLAlchemy itself is imported by the functions that use it: a process without source: sql metrics
# (most workers) does not pay for importing it at start
if TYPE_CHECKING:
    from sqlalchemy import URL, Connection, Engine, exc

MAX_ROWS = 10_000  # a history query returning more is refused: it should keep to the recent rows
CONNECT_TIMEOUT_SECONDS = 10
_PROGRESS_STEPS = 1_000  # SQLite virtual-machine steps between two looks at the clock
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE of a statement stopped by statement_timeout
_READ_ONLY = "25006"  # … of a write inside a READ ONLY transaction


class WarehouseError(Exception):
    """A SQL metric could not be read: the message names the metric, the connection and the fix."""


@dataclass(frozen=True)
class SqlFetch:
    """One run of a metric's query: the reading and where it came from."""

    reading: SqlReading
    connection: str
    query_digest: str
    fetched_at: datetime


def connection_url(metric_id: str, metric: Metric, environment: Mapping[str, str]) -> URL:
    """The metric's connection URL from ``environment``; WarehouseError names the variable to set or fix."""
    from sqlalchemy import exc, make_url

    name = metric.connection or ""
    variable = connection_variable(name)
    raw = environment.get(variable, "").strip()
    if not raw:
        raise WarehouseError(
            f"metric {metric_id}: connection {name!r} has no URL: set {variable} to its SQLAlchemy URL "
            "(such as postgresql+psycopg://reader:password@host/warehouse or sqlite:////data/warehouse.db)"
        )
    try:
        return make_url(raw)
    except (exc.ArgumentError, ValueError):
        raise WarehouseError(
            f"metric {metric_id}: {variable} is not a SQLAlchemy URL (expected dialect+driver://user:password@host"
            "/database, such as postgresql+psycopg://reader:password@host/warehouse or sqlite:////data/warehouse.db)"
        ) from None


def shown(url: URL) -> str:
    """The URL as logs and messages may show it: the password hidden."""
    return url.render_as_string(hide_password=True)


def fetch_sql_metric(
    metric_id: str, metric: Metric, url: URL, now: datetime | None = None, tz: tzinfo = UTC
) -> SqlFetch:
    """Run the metric's query read-only within its ``statement_timeout`` and read its answer."""
    from sqlalchemy import exc

    now = now or datetime.now(UTC)
    query = metric.query or ""
    where = f"metric {metric_id}: connection {metric.connection!r} ({shown(url)})"
    timeout = duration_seconds(metric.statement_timeout)
    try:
        columns, rows = _run(url, query, timeout)
    except WarehouseError as error:
        raise WarehouseError(f"{where}: {error}") from None
    except exc.NoSuchModuleError:
        raise WarehouseError(
            f"{where}: no SQLAlchemy dialect for {url.drivername!r} is installed; install the package that "
            "provides it (such as snowflake-sqlalchemy or sqlalchemy-bigquery) next to okrsync"
        ) from None
    except exc.DBAPIError as error:
        raise WarehouseError(f"{where}: {_failure(error, metric.statement_timeout)}") from None
    except exc.SQLAlchemyError as error:
        raise WarehouseError(f"{where}: {type(error).__name__}: {_first_line(error)}") from None
    try:
        reading = read_rows(metric_id, columns, rows, now, tz)
    except SqlAnswerError as error:
        raise WarehouseError(str(error)) from None
    return SqlFetch(reading, metric.connection or "", query_digest(query), now)


def _run(url: URL, query: str, timeout: float) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    engine = _engine(url)
    try:
        with engine.connect() as connection, _read_only(connection, timeout):
            result = connection.exec_driver_sql(query, execution_options={"no_parameters": True})
            if not result.returns_rows:
                raise WarehouseError("the query returned no result set; a metric's query is a SELECT")
            rows = [tuple(row) for row in result.fetchmany(MAX_ROWS + 1)]
            columns = tuple(result.keys())
            connection.rollback()
    finally:
        engine.dispose()
    if len(rows) > MAX_ROWS:
        raise WarehouseError(f"the query returned more than {MAX_ROWS} rows; keep a history query to recent rows")
    return columns, rows


def _engine(url: URL) -> Engine:
    """An engine of one connection: SQLite files opened read-only (a missing file is not created)."""
    from sqlalchemy import create_engine

    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = url.database
        return create_engine(url, creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    if url.get_backend_name() == "postgresql":
        return create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    return create_engine(url)


@contextmanager
def _read_only(connection: Connection, timeout: float) -> Iterator[None]:
    """The dialect's read-only transaction and timeout around the query."""
    backend = connection.engine.url.get_backend_name()
    if backend == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
        yield
    elif backend == "sqlite":
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.execute("PRAGMA query_only = ON")
        raw.set_progress_handler(_deadline(time.monotonic() + timeout), _PROGRESS_STEPS)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)
    else:
        yield


def _deadline(at: float) -> Callable[[], int]:
    """SQLite's progress handler: a non-zero answer interrupts the running statement."""
    return lambda: int(time.monotonic() >= at)


def _failure(error: exc.DBAPIError, timeout: str) -> str:
    """What a driver's error means, in one sentence with its fix."""
    original = error.orig
    state = getattr(original, "sqlstate", None)
    name = getattr(original, "sqlite_errorname", None)
    if state == _QUERY_CANCELED or name == "SQLITE_INTERRUPT":
        return (
            f"the query ran longer than its statement_timeout of {timeout} and was stopped; make it cheaper "
            "(an index, a summary table) or raise statement_timeout"
        )
    if state == _READ_ONLY or name == "SQLITE_READONLY":
        return "the query tried to write and was refused: a metric's query runs read-only and may only read (SELECT)"
    return f"the query failed: {_first_line(original)}"


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
