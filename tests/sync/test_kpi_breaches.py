"""End to end: a KPI out of its band for breach_after opens exactly one problem issue in the problem
program's project with the program's source label and the evidence; its recovery is noted on the
same issue, and a second breach too, never as a second issue."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sync.dirty import mark_all
from sync.escalation import ESCALATION_PROPERTY
from sync.flush import REPORT, flush
from sync.kpi_breaches import claim_key
from sync.kpis import kpi_history_key
from sync.scheduling import schedule_flush
from sync.sql_metrics import refresh_sql_metrics
from tests.conftest import QUEUE, run_worker
from tests.support.waiting import wait_until

PAY_METRIC = """
  pay_success:
    description: Payment success, from the warehouse
    source: sql
    connection: dwh
    query: SELECT rate FROM payments
    unit: "%"
"""
KPIS = """
    kpis:
      - metric: pay_success
        keep: {above: 97}
        breach_after: 1d
        escalate: {program: shop-problems, label: kpi-breach}
"""
PROGRAM = """
problem_programs:
  - id: shop-problems
    name: Shop problems
    sources:
      - {id: kpi, name: KPI breaches, jql: project = OKR AND labels = kpi-breach}
    classify:
      labels: {system: problem-system, mechanism: problem-mechanism, people: problem-people}
    action_points: {project: OKR}
"""


def _warehouse(tmp_path: Path, rate: float) -> str:
    path = tmp_path / "dwh.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS payments (rate REAL)")
        connection.execute("DELETE FROM payments")
        connection.execute("INSERT INTO payments VALUES (?)", (rate,))
    connection.close()
    return f"sqlite:///{path}"


def _apply(runtime, connection, metric: str = PAY_METRIC) -> None:  # type: ignore[no-untyped-def]
    text = connection.hget("okrsync:config", "text").decode()
    text = text.replace("okr_sets:", metric.strip("\n") + "\nokr_sets:", 1)
    text = text.replace("    objectives:", KPIS.strip("\n") + "\n    objectives:", 1)
    runtime.config_store.apply(text.rstrip("\n") + "\n" + PROGRAM, "okrs.yaml", "test", datetime.now(UTC))


def _flush(runtime, connection) -> None:  # type: ignore[no-untyped-def]
    refresh_sql_metrics(runtime, force=True)
    mark_all(connection, {"kind": "test"})
    schedule_flush(connection, QUEUE)
    run_worker(connection)


def _problems(jira) -> list[dict]:  # type: ignore[no-untyped-def]
    return list(jira.search("project = OKR AND labels = kpi-breach"))


def _comments(jira, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    issue = jira.get_issue(key, fields=["comment"])
    return [
        c["body"] if isinstance(c["body"], str) else json.dumps(c["body"])
        for c in issue["fields"]["comment"]["comments"]
    ]


def test_a_kpi_out_of_band_opens_one_problem_and_its_recovery_is_noted_on_it(stack, connection, tmp_path) -> None:
    runtime, jira = stack["runtime"], stack["jira"]
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": _warehouse(tmp_path, 95.5)}
    _apply(runtime, connection)
    _flush(runtime, connection)
    assert _problems(jira) == []  # out of band, but not for a day yet

    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    earlier = {"at": two_days_ago.isoformat(), "v": 95.0, "s": "breached"}
    connection.zadd(kpi_history_key("shop", "pay_success"), {json.dumps(earlier): two_days_ago.timestamp()})
    _flush(runtime, connection)
    [problem] = _problems(jira)
    fields = problem["fields"]
    assert fields["labels"] == ["kpi-breach"] and fields["summary"].startswith("KPI pay_success out of band (≥ 97)")
    description = fields["description"] if isinstance(fields["description"], str) else json.dumps(fields["description"])
    assert "95" in description and f"{two_days_ago:%Y-%m-%d}" in description
    assert "okrsync" not in description  # no marker among the words people read: it is in the property
    held = jira.get_property(problem["key"], ESCALATION_PROPERTY)
    assert (held["claim"], held["watched"]) == (claim_key("shop", "pay_success"), "KPI shop/pay_success")
    assert held["marker"].startswith("okrsync-escalation:")
    claim = json.loads(connection.get(claim_key("shop", "pay_success")))
    assert (claim["issue"], claim["recovered"]) == (problem["key"], False)

    _flush(runtime, connection)  # still out of band: no second issue, no note
    assert len(_problems(jira)) == 1 and _comments(jira, problem["key"]) == []

    _warehouse(tmp_path, 98.2)
    _flush(runtime, connection)
    [note] = _comments(jira, problem["key"])
    assert "KPI pay_success is back in its band (≥ 97)" in note and "now 98.2" in note
    _flush(runtime, connection)
    assert len(_comments(jira, problem["key"])) == 1  # noted once

    # out of band again, for two days by now (the readings since the earlier one dropped): the same issue hears of it
    _warehouse(tmp_path, 90.0)
    history = kpi_history_key("shop", "pay_success")
    connection.zremrangebyscore(history, f"({two_days_ago.timestamp()}", "+inf")
    _flush(runtime, connection)
    assert len(_problems(jira)) == 1
    assert any("out of band again" in c for c in _comments(jira, problem["key"]))


HISTORY_METRIC = """
  pay_success:
    description: Payment success per hour, from the warehouse
    source: sql
    connection: dwh
    query: SELECT at, rate FROM payment_rows ORDER BY at
    unit: "%"
"""


def _rows(tmp_path: Path, *rows: tuple[datetime, float]) -> str:
    """The warehouse's payment_rows with these rows added; its URL."""
    path = tmp_path / "history.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS payment_rows (at TEXT PRIMARY KEY, rate REAL)")
        connection.executemany("INSERT INTO payment_rows VALUES (?, ?)", [(at.isoformat(), v) for at, v in rows])
    connection.close()
    return f"sqlite:///{path}"


def _at(runtime, connection, now: datetime):  # type: ignore[no-untyped-def]
    """The warehouse read and everything flushed at ``now``: the clock moved on to it."""
    refresh_sql_metrics(runtime, now, force=True)
    mark_all(connection, {"kind": "test"})
    return flush(runtime, now)


def _kpi(connection) -> dict:  # type: ignore[no-untyped-def]
    report = json.loads(connection.get(REPORT))
    return next(s for s in report["okr_sets"] if s["id"] == "shop")["kpis"][0]


def test_warehouse_rows_out_of_band_past_breach_after_open_one_problem_that_hears_of_the_recovery(
    stack, connection, tmp_path
) -> None:
    """The history rows of the warehouse drive the KPI: nothing while it has been out for less than a day,
    one problem in the program's project (its source's label, the rows as evidence) once the clock has
    moved past breach_after, no second one however often it flushes, and the recovery as a comment on it."""
    runtime, jira, emulator = stack["runtime"], stack["jira"], stack["emulator"]
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    healthy = [(now - timedelta(days=days), 98.5) for days in (4, 3, 2)]
    url = _rows(tmp_path, *healthy, (now - timedelta(hours=20), 95.5), (now - timedelta(hours=2), 95.2))
    runtime.sql_urls = {"OKRSYNC_SQL_DWH_URL": url}
    _apply(runtime, connection, HISTORY_METRIC)
    _at(runtime, connection, now)
    assert (_kpi(connection)["state"], _kpi(connection)["current"]) == ("breached", 95.2)
    assert _problems(jira) == []  # out of band for 20 hours: not for a day yet

    _rows(tmp_path, (now + timedelta(hours=5), 95.0))
    _at(runtime, connection, now + timedelta(hours=6))  # out since 20 h before: 26 h by now
    [problem] = _problems(jira)
    fields = problem["fields"]
    since = now - timedelta(hours=20)
    assert fields["project"]["key"] == "OKR" and fields["labels"] == ["kpi-breach"]
    assert fields["summary"] == f"KPI pay_success out of band (≥ 97): now 95 since {since:%Y-%m-%d}"
    description = _text(fields["description"])
    for at, value in ((since, "95.5"), (now - timedelta(hours=2), "95.2"), (now + timedelta(hours=5), "95")):
        assert f"{at:%Y-%m-%d %H:%M} UTC: {value}\n" in description + "\n", description
    assert "98.5" not in description and "out of its band (≥ 97)" in description and "longer than 1d" in description

    for hours in (7, 8):  # flushed again, still out of band: no second issue, no note
        _at(runtime, connection, now + timedelta(hours=hours))
    assert len(_problems(jira)) == 1 and _comments(jira, problem["key"]) == []
    wait_until(emulator.dispatcher.idle, 30, "the issue's webhook delivered")
    run_worker(connection)  # the problem engine counts it as a problem of the program's KPI source
    wait_until(lambda: _program_sources(connection).get("kpi") == [problem["key"]], 30, "the problem counted")

    _rows(tmp_path, (now + timedelta(hours=29), 98.3))
    _at(runtime, connection, now + timedelta(hours=30))
    _at(runtime, connection, now + timedelta(hours=31))
    [note] = _comments(jira, problem["key"])
    assert f"KPI pay_success is back in its band (≥ 97) as of {now + timedelta(hours=30):%Y-%m-%d %H:%M}" in note
    assert "now 98.3" in note and len(_problems(jira)) == 1


def _program_sources(connection) -> dict:  # type: ignore[no-untyped-def]
    run_worker(connection)
    report = json.loads(connection.get(REPORT))
    return report["problem_programs"][0]["sources"]


def _text(document: object) -> str:
    """A description's words: wiki text as it is, an ADF document's text nodes one a line."""
    if isinstance(document, str):
        return document
    if isinstance(document, dict):
        own = [document["text"]] if isinstance(document.get("text"), str) else []
        return "\n".join(own + [_text(child) for child in document.get("content", [])])
    return ""
