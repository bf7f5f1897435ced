"""The driven KRs' progress lag ago, read from their recorded readings in Redis."""

from __future__ import annotations

from datetime import timedelta

from mapping.loader import load_config_document
from okr.history import Reading
from sync.chain import lagged_progress
from sync.history import history_key
from tests.okr.test_chain import AT, LAG, LEAD, _document


def test_the_driven_progress_lag_ago_comes_from_the_recorded_history(connection) -> None:  # type: ignore[no-untyped-def]
    config = load_config_document(_document(["shop/KR2"]))
    for days_ago, progress in ((40, 0.1), (30, 0.2), (3, 0.5)):
        at = AT - timedelta(days=days_ago)
        reading = Reading(at.isoformat(), 1.0, None, progress, progress, "on_track", (), None, 1, None, {})
        connection.zadd(history_key(LAG), {reading.to_json(): at.timestamp()})
    assert lagged_progress(connection, config, AT) == {(LEAD, LAG): 0.2}  # the newest reading 28 days ago or more
    assert lagged_progress(connection, config, AT - timedelta(days=5)) == {(LEAD, LAG): 0.1}
    assert lagged_progress(connection, config, AT - timedelta(days=50)) == {(LEAD, LAG): None}
