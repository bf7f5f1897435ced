"""The admin pages render whatever numbers the stored evaluation holds (NaN or infinities written by an
older version, 1e308), and never show Python's 'nan' or 'inf'."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from sync.confluence_writer import REPORT
from tests.okrsync.admin.conftest import mirror_issues, recompute
from tests.okrsync.admin.test_pages import sign_in

PYTHON_SPELLING = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)


def _with_every_float(value: Any, replacement: float) -> Any:
    if isinstance(value, float):
        return replacement
    if isinstance(value, dict):
        return {k: _with_every_float(v, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_every_float(v, replacement) for v in value]
    return value


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324])
def test_overview_and_kr_detail_render_any_stored_number(
    api: FlaskClient, configured: str, connection: redis.Redis, value: float
) -> None:
    mirror_issues(connection)
    report = recompute(connection)
    connection.set(REPORT, json.dumps(_with_every_float(report, value)))  # Python writes NaN / Infinity here
    sign_in(api)
    for path in ("/admin/", "/admin/sets/shop/krs/KR1", "/admin/sets/shop/krs/KR2", "/admin/problems"):
        answer = api.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        text = re.sub(r"<style.*?</style>", "", answer.data.decode(), flags=re.S)
        assert not PYTHON_SPELLING.search(text), (path, PYTHON_SPELLING.search(text))
    if math.isnan(value):
        assert 'style="width: 0%"' in api.get("/admin/").data.decode()
