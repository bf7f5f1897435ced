"""A real PostgreSQL server for the session (tests/support/postgres.py) and a SQLite warehouse file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from tests.support.postgres import PostgresServer, start_postgres

CHECKOUT_ROWS = [("2026-11-01", 97.1), ("2026-11-02", 96.5), ("2026-11-03", 97.8)]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        engine = sqlalchemy.create_engine(server.url)
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE checkout_daily (day date PRIMARY KEY, rate numeric(5, 2))")
            for day, rate in CHECKOUT_ROWS:
                connection.exec_driver_sql(
                    "INSERT INTO checkout_daily VALUES (%(day)s, %(rate)s)", {"day": day, "rate": rate}
                )
        engine.dispose()
        yield server
    finally:
        server.stop()


@pytest.fixture
def sqlite_warehouse(tmp_path: Path) -> str:
    """A SQLite file with the same table; its SQLAlchemy URL."""
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE checkout_daily (day TEXT PRIMARY KEY, rate REAL)")
        connection.executemany("INSERT INTO checkout_daily VALUES (?, ?)", CHECKOUT_ROWS)
    return f"sqlite:///{path}"
