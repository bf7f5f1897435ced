"""Numbers through the admin API: finite and within ±1e15 in, strict JSON out (never NaN or Infinity)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
import redis
from flask import Flask, jsonify
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mapping.numbers import NUMBER_LIMIT
from sync.config_store import ConfigStore
from tests.okrsync.admin.conftest import ADMIN, READ

EXPECTED = "a finite number from -1e15 to 1e15 is required"
KR2 = "/api/v1/okr-sets/shop/objectives/O1/key-results/KR2"


def strict_json(data: bytes) -> Any:
    """The body as JSON that any parser reads: NaN, Infinity and -Infinity are not JSON."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in an answer: not JSON")

    return json.loads(data, parse_constant=refuse)


def kr2_with_baseline(literal: str) -> bytes:
    return (
        '{"id": "KR2", "title": "Checkout conversion from 2% to 3%", "metric": "conversion", '
        f'"baseline": {literal}, "target": 3}}'
    ).encode()


@pytest.mark.parametrize(
    "literal, shown",
    [
        ("1e400", "1e400"),
        ("-1e400", "-1e400"),
        ("1e308", "1e+308"),
        ("1e16", "1e+16"),
        ("1" * 5000, "an integer of 5000 digits"),
        ("-" + "9" * 30, "a negative integer of 30 digits"),
        ("true", "True"),
    ],
)
def test_a_kr_baseline_out_of_range_is_422_naming_the_field_and_the_value(
    api: FlaskClient, configured: str, connection: redis.Redis, literal: str, shown: str
) -> None:
    answer = api.put(KR2, headers=ADMIN, data=kr2_with_baseline(literal), content_type="application/json")
    assert answer.status_code == 422, answer.data[:300]
    body = strict_json(answer.data)
    assert body["path"] == "baseline"
    assert body["message"] == f"baseline: {EXPECTED} (got {shown})"
    assert ConfigStore(connection).revision() == 1


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_not_json(api: FlaskClient, configured: str, literal: str) -> None:
    answer = api.put(KR2, headers=ADMIN, data=kr2_with_baseline(literal), content_type="application/json")
    assert answer.status_code == 400
    assert f"{literal} is not a JSON number" in strict_json(answer.data)["message"]


def test_a_whole_document_with_an_infinite_baseline_is_refused_with_its_document_path(
    api: FlaskClient, configured: str
) -> None:
    document = strict_json(api.get("/api/v1/config", headers=READ).data)["document"]
    text = re.sub(r'"baseline": 40(\.0)?', '"baseline": 1e400', json.dumps(document), count=1)
    answer = api.put("/api/v1/config", headers=ADMIN, data=text, content_type="application/json")
    assert answer.status_code == 422, answer.data[:400]
    body = strict_json(answer.data)
    assert body["path"] == "okr_sets[0].objectives[0].key_results[0].baseline"
    assert f"{EXPECTED} (got 1e400)" in body["message"]


@pytest.mark.parametrize(
    "literal, shown",
    [("1e308", "1e+308"), ("-1e16", "-1e+16"), ("1e400", "1e400"), ("7" * 5000, "an integer of 5000 digits")],
)
def test_a_pushed_measurement_out_of_range_is_422(
    api: FlaskClient, configured: str, connection: redis.Redis, literal: str, shown: str
) -> None:
    answer = api.post(
        "/api/v1/metrics/conversion/measurements",
        headers=ADMIN,
        data=f'{{"value": {literal}}}',
        content_type="application/json",
    )
    assert answer.status_code == 422
    body = strict_json(answer.data)
    assert body["path"] == "value" and body["message"] == f"value: {EXPECTED} (got {shown})"
    assert connection.zcard("okrsync:measurements:conversion") == 0


def test_a_measurement_at_the_bound_is_stored(api: FlaskClient, configured: str) -> None:
    answer = api.post("/api/v1/metrics/conversion/measurements", headers=ADMIN, json={"value": -NUMBER_LIMIT})
    assert answer.status_code == 201 and strict_json(answer.data)["value"] == -1e15


def test_the_openapi_document_states_the_bound(api: FlaskClient) -> None:
    schemas = strict_json(api.get("/api/v1/openapi.json").data)["components"]["schemas"]
    value = schemas["MeasurementIn"]["properties"]["value"]
    assert (value["minimum"], value["maximum"]) == (-1e15, 1e15)


def test_a_non_finite_value_reaching_an_answer_is_null(admin_app: Flask) -> None:
    admin_app.add_url_rule(
        "/_non_finite", "non_finite", lambda: jsonify({"score": math.nan, "values": [math.inf, 1.5]})
    )
    answer = admin_app.test_client().get("/_non_finite")
    assert answer.status_code == 200
    assert strict_json(answer.data) == {"score": None, "values": [None, 1.5]}
    with admin_app.app_context():
        assert admin_app.json.dumps([-math.inf]) == "[null]"


def test_a_stored_measurement_that_is_not_a_finite_number_is_skipped(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    """Rows stored before values were bounded (written straight into Redis here) never break a read."""
    rows = {
        '{"metric":"conversion","value":NaN,"at":"2026-01-01T00:00:00Z"}': 1767225600,
        '{"metric":"conversion","value":2.5,"at":"2026-01-02T00:00:00Z"}': 1767312000,
    }
    connection.zadd("okrsync:measurements:conversion", rows)
    answer = api.get("/api/v1/metrics/conversion/measurements", headers=READ)
    assert answer.status_code == 200
    assert [m["value"] for m in strict_json(answer.data)["items"]] == [2.5]


def _bounded(value: float | int) -> bool:
    if isinstance(value, int):
        return abs(value) <= NUMBER_LIMIT
    return math.isfinite(value) and abs(value) <= NUMBER_LIMIT


@example(value=1e15)
@example(value=-1e15 - 1)
@example(value=10**16)
@example(value=5e-324)
@example(value=math.nan)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.floats(), st.integers(), st.floats(min_value=-2e15, max_value=2e15)))
def test_api_baselines_are_accepted_exactly_when_finite_and_bounded(
    api: FlaskClient, configured: str, value: float | int
) -> None:
    body = kr2_with_baseline(json.dumps(value))
    answer = api.put(KR2, headers=ADMIN, data=body, content_type="application/json")
    reply = strict_json(answer.data)
    if _bounded(value):
        assert answer.status_code == 200, reply
        assert strict_json(api.get(KR2, headers=READ).data)["baseline"] == float(value)
    elif isinstance(value, float) and not math.isfinite(value):
        assert answer.status_code == 400 and "is not a JSON number" in reply["message"]
    else:
        assert answer.status_code == 422 and reply["path"] == "baseline" and EXPECTED in reply["message"]
