"""The demo company's data warehouse: a small SQLite file of daily rows, as an analytics pipeline keeps them.

    orders(day, orders, payments_ok, payments_failed, revenue)      # payment success reads it: a KPI
    checkouts(day, sessions, reached_payment, paid)                 # payment-step completion: a SQL-bound KR

One row a day from the cycle's start (at least ``DAYS_AT_LEAST`` days back) to yesterday. Each day's
figures come from the seed and the day's distance from today only, so every run of a seed tells the same
story: completion creeping up over the quarter, then the last ``OUTAGE_DAYS`` days a payment provider
failing more often than it should, payment success below its band of 97 % (the KPI's breach the demo
escalates into a platform problem) and completion dipping with it.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

FILE = "warehouse.db"
DAYS_AT_LEAST = 30  # rows reach this far back even early in a quarter: the KPI has a history before its breach
OUTAGE_DAYS = 3  # the most recent days, up to yesterday, out of the payment success band
QUARTER_DAYS = 91


@dataclass(frozen=True)
class DemoDay:
    day: date
    orders: int
    payments_ok: int
    payments_failed: int
    revenue: float
    sessions: int
    reached_payment: int
    paid: int


def demo_days(today: date, cycle_start: date, seed: int) -> list[DemoDay]:
    """The warehouse's rows, oldest first: one a day up to yesterday."""
    first = min(cycle_start, today - timedelta(days=DAYS_AT_LEAST))
    return [_day(today - timedelta(days=back), back, seed) for back in range((today - first).days, 0, -1)]


def _day(day: date, back: int, seed: int) -> DemoDay:
    """The figures of the day ``back`` days before today."""
    rng = random.Random(seed * 100_003 + back)
    outage = back <= OUTAGE_DAYS
    sessions = rng.randint(5200, 6400) + (900 if day.weekday() >= 5 else 0)
    reached = round(sessions * rng.uniform(0.40, 0.44))
    completion = 0.70 + 0.045 * max(0.0, 1 - back / QUARTER_DAYS) + rng.uniform(-0.006, 0.006)
    attempts = round(reached * (completion + 0.02))
    failure = rng.uniform(0.042, 0.055) if outage else rng.uniform(0.010, 0.019)
    failed = round(attempts * failure)
    paid = min(reached, attempts - failed)
    return DemoDay(
        day, attempts, attempts - failed, failed, round(paid * rng.uniform(54.0, 61.0), 2), sessions, reached, paid
    )


def write_demo_warehouse(data_dir: Path, today: date, cycle_start: date, seed: int) -> str:
    """The warehouse written anew in ``data_dir``; its SQLAlchemy URL (for ``OKRSYNC_SQL_DWH_URL``)."""
    path = data_dir / FILE
    path.unlink(missing_ok=True)
    days = demo_days(today, cycle_start, seed)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE orders (day TEXT PRIMARY KEY, orders INTEGER, payments_ok INTEGER, "
            "payments_failed INTEGER, revenue REAL)"
        )
        connection.execute(
            "CREATE TABLE checkouts (day TEXT PRIMARY KEY, sessions INTEGER, reached_payment INTEGER, paid INTEGER)"
        )
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
            [(d.day.isoformat(), d.orders, d.payments_ok, d.payments_failed, d.revenue) for d in days],
        )
        connection.executemany(
            "INSERT INTO checkouts VALUES (?, ?, ?, ?)",
            [(d.day.isoformat(), d.sessions, d.reached_payment, d.paid) for d in days],
        )
    connection.close()
    return f"sqlite:///{path}"
