"""Any measurement body: never a server error, always a JSON answer, and stored only when it is a
real number within ±1e15 at a time that is not in the future."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mapping.numbers import NUMBER_LIMIT
from tests.okrsync.admin.conftest import ADMIN

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20)
)
times = st.one_of(
    scalars,
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
)
bodies = st.one_of(
    st.fixed_dictionaries(
        {"value": scalars}, optional={"at": times, "note": scalars, "source": scalars, "idempotency_key": scalars}
    ),
    st.dictionaries(st.text(max_size=8), scalars, max_size=4),
    st.lists(scalars, max_size=3),
    scalars,
)


def acceptable(body: object) -> bool:
    if not isinstance(body, dict) or set(body) - {"value", "at", "note", "source", "idempotency_key"}:
        return False
    value = body.get("value")
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and abs(value) <= NUMBER_LIMIT
        and math.isfinite(value)
        and _time_ok(body.get("at", None), "at" in body)
        and _optional_text(body.get("note"), 2000)
        and _optional_text(body.get("source"), 200)
        and _key_ok(body.get("idempotency_key"))
    )


def _time_ok(at: object, given_: bool) -> bool:
    if not given_ or at is None:
        return True
    try:
        moment = datetime.fromisoformat(str(at))
    except ValueError:
        return False
    return moment.tzinfo is not None and moment <= datetime.now(UTC) + timedelta(minutes=5)


def _optional_text(value: object, limit: int) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= limit)


def _key_ok(value: object) -> bool:
    return value is None or (
        isinstance(value, str) and 0 < len(value) <= 200 and all(0x21 <= ord(c) <= 0x7E for c in value)
    )


@example(body={"value": 10**400})
@example(body={"value": 1e308})
@example(body={"value": -1e15})
@example(body={"value": 1e15 + 1})
@example(body={"value": 1, "at": "2999-01-01T00:00:00Z"})
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_measurement_bodies(api, configured, body) -> None:
    answer = api.post(
        "/api/v1/metrics/conversion/measurements", headers=ADMIN, data=json.dumps(body), content_type="application/json"
    )
    assert answer.status_code < 500
    reply = answer.get_json()
    if answer.status_code in (200, 201):
        assert acceptable(body), body
        assert reply["metric"] == "conversion" and reply["value"] == float(body["value"])
    else:
        assert not acceptable(body) or answer.status_code == 409, (body, reply)
        assert reply["error"] and reply["message"]
