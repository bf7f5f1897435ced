"""Any check-in body: a 201 with the check-in stored whole, or a 422 naming a field with nothing stored;
never a server error. The pure check (`check_in_words`) either gives bounded words or names each field
at fault, whatever it is given."""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from okr.checkins import CONFIDENCE_WORDS, NOTE_LIMIT, PART_LIMIT, CheckInInvalid, CheckInWords, check_in_words
from tests.okrsync.admin.conftest import ADMIN

CHECKINS = "/api/v1/okr-sets/shop/key-results/KR2/checkins"
PREFIX = "okrsync:people-checkins:"
FIELDS = {"confidence", "note", "blockers", "asks", "author"}
LIMITS = {"note": NOTE_LIMIT, "blockers": PART_LIMIT, "asks": PART_LIMIT}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20)
)
confidences = st.one_of(
    scalars,
    st.floats(min_value=-0.5, max_value=1.5),
    st.sampled_from(["low", "Medium", " HIGH ", "0.6", ".3", "1", "1.0", "1.5", "-0.1", "1e-1", "nan", "0x1", "."]),
    st.decimals(min_value=-1, max_value=2, places=3).map(str),
)
texts = st.one_of(
    st.none(),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
    st.text(max_size=30),
    st.integers(NOTE_LIMIT - 2, NOTE_LIMIT + 2).map(lambda n: "x" * n),
    st.integers(PART_LIMIT - 2, PART_LIMIT + 2).map(lambda n: "y" * n),
    st.just("z" * 100_000),
)
plain = st.one_of(st.none(), st.text(max_size=40))
likely = st.fixed_dictionaries(  # mostly good check-ins: a confidence in range, short words
    {"confidence": st.one_of(st.floats(min_value=0, max_value=1), st.sampled_from(sorted(CONFIDENCE_WORDS)))},
    optional={"note": plain, "blockers": plain, "asks": plain, "author": st.text(min_size=1, max_size=20)},
)
bodies = st.one_of(
    likely,
    st.fixed_dictionaries(
        {"confidence": confidences},
        optional={"note": texts, "blockers": texts, "asks": texts, "author": st.one_of(texts, st.just("  "))},
    ),
    st.dictionaries(st.text(max_size=8), scalars, max_size=3),
    st.lists(scalars, max_size=2),
    scalars,
)


def confidence_of(raw: object) -> float | None:
    """What the documentation says a confidence is: a number from 0 to 1, or low/medium/high."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        return float(raw) if math.isfinite(raw) and 0 <= raw <= 1 else None
    if not isinstance(raw, str):
        return None
    word = raw.strip().lower()
    if word in CONFIDENCE_WORDS:
        return CONFIDENCE_WORDS[word]
    plain = word and word != "." and word.count(".") <= 1 and len(word) <= 12
    if not plain or any(c not in "0123456789." for c in word):
        return None
    return confidence_of(float(word))


def text_ok(raw: object, limit: int) -> bool:
    return raw is None or (isinstance(raw, str) and len(raw.strip()) <= limit)


def acceptable(body: object) -> bool:
    if not isinstance(body, dict) or set(body) - FIELDS or confidence_of(body.get("confidence")) is None:
        return False
    author = body.get("author")
    if author is not None and (not isinstance(author, str) or not author.strip() or len(author) > 200):
        return False
    return all(text_ok(body.get(name), limit) for name, limit in LIMITS.items())


def stored(connection) -> int:
    return sum(connection.zcard(key) for key in connection.scan_iter(f"{PREFIX}*"))


@example(body={"confidence": 1.5})
@example(body={"confidence": 0.5, "note": "x" * 100_000})
@example(body={"confidence": "high", "asks": "one QA person", "author": "Mia Krystof"})
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_checkin_bodies(api, configured, connection, body) -> None:
    before = stored(connection)
    answer = api.post(CHECKINS, headers=ADMIN, data=json.dumps(body), content_type="application/json")
    assert answer.is_json, answer.data[:200]
    if acceptable(body):
        assert answer.status_code == 201, (body, answer.get_json())
        created = answer.get_json()
        assert created["confidence"] == confidence_of(body["confidence"])
        assert all(created[name] == (body.get(name) or "").strip() for name in LIMITS)
        assert stored(connection) == before + 1
    else:
        assert answer.status_code == 422, (body, answer.get_json())
        problem = answer.get_json()
        assert problem["message"] and (problem["path"] in FIELDS or problem["path"] == "" or problem["path"] in body)
        assert stored(connection) == before  # nothing stored half


@settings(max_examples=300, deadline=None)
@given(confidence=confidences, note=texts, blockers=texts, asks=texts)
def test_the_check_is_whole_or_names_each_field(confidence, note, blockers, asks) -> None:
    given_values = {"confidence": confidence, "note": note, "blockers": blockers, "asks": asks}
    try:
        words = check_in_words(confidence, note, blockers, asks)
    except CheckInInvalid as exc:
        faulty = [p.field for p in exc.problems]
        expected = [name for name in given_values if not _field_ok(name, given_values[name])]
        assert faulty == expected and all(p.message for p in exc.problems)
        return
    assert isinstance(words, CheckInWords) and words.confidence == confidence_of(confidence)
    assert all(_field_ok(name, value) for name, value in given_values.items())
    assert len(words.note) <= NOTE_LIMIT and len(words.blockers) <= PART_LIMIT and len(words.asks) <= PART_LIMIT


def _field_ok(name: str, value: object) -> bool:
    return confidence_of(value) is not None if name == "confidence" else text_ok(value, LIMITS[name])
