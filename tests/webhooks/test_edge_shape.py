"""The edge's cheap reading of a delivery answers exactly as building the typed event does: its shape
check never says yes to a document the event model refuses, and orjson is used only where it reads a
body as the reference parse does."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.conftest import fixture_paths
from webhooks import events
from webhooks.shape import CHECKS, well_formed

SECRETS = (b"edge-secret",)
ODD_VALUES = [None, True, 0, 1.0, -1, "", "x", "2019-02-15T19:01:52.971-0800", "not a time", [], [{}], {}, {"a": 1}]


def _documents() -> list[dict[str, Any]]:
    return [json.loads(path.read_bytes()) for path in fixture_paths()]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (dict keys and list positions), down to a depth of 5."""
    found = [prefix] if prefix else []
    if len(prefix) >= 5:
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for number, item in enumerate(value[:3]):
            found += _paths(item, (*prefix, number))
    return found


def _replaced(document: dict[str, Any], path: tuple[Any, ...], value: Any, remove: bool) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    holder = changed
    for step in path[:-1]:
        holder = holder[step]
    if remove and isinstance(holder, dict):
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return changed


def _model_accepts(kind: str, document: dict[str, Any]) -> bool:
    try:
        events.MODELS[kind].model_validate(document)
    except ValidationError:
        return False
    return True


def test_the_checks_cover_exactly_the_modelled_events() -> None:
    assert set(CHECKS) == set(events.MODELS)


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.stem)
def test_every_captured_payload_takes_the_fast_path(path) -> None:
    document, plain = events._decode_json(path.read_bytes())
    assert plain and well_formed(document["webhookEvent"], document)


DOCUMENTS = _documents()


@settings(max_examples=600, deadline=None)
@given(data=st.data())
def test_the_shape_check_never_says_yes_to_what_the_model_refuses(data) -> None:
    document = data.draw(st.sampled_from(DOCUMENTS))
    places = _paths(document)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(places))
        value = data.draw(st.sampled_from(ODD_VALUES))
        document = _replaced(document, path, value, remove=data.draw(st.booleans()))
        places = _paths(document) or [("webhookEvent",)]
    kind = document.get("webhookEvent")
    if isinstance(kind, str) and kind in events.MODELS and well_formed(kind, document):
        assert _model_accepts(kind, document), document


@pytest.mark.parametrize(
    "body, plain",
    [
        (b'{"webhookEvent": "x", "n": 1234567890123456789}', True),  # 19 digits: exact in orjson
        (b'{"webhookEvent": "x", "n": 123456789012345678901}', False),  # beyond 64 bits: the reference keeps it
        (b'{"webhookEvent": "x", "s": "\\ud800"}', False),  # a lone surrogate: orjson refuses, the reference takes it
    ],
)
def test_orjson_reads_only_what_it_reads_exactly(body: bytes, plain: bool) -> None:
    document, used_orjson = events._decode_json(body)
    assert used_orjson is plain
    assert document == json.loads(body)


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.stem)
def test_both_parses_read_every_captured_payload_alike(path) -> None:
    body = path.read_bytes()
    assert events._decode_json(body)[0] == events._decode_json_exactly(body)


def test_an_odd_but_valid_delivery_is_still_queued_and_a_bad_one_named() -> None:
    odd = b'{"webhookEvent": "jira:issue_updated", "timestamp": 1.0, "issue": {"id": "1", "key": "A-1"}}'
    assert events.routed_kind({events.SIGNATURE_HEADER: events.sign(odd, SECRETS[0])}, odd, SECRETS) == (
        "jira:issue_updated"
    )
    bad = b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "1", "key": ""}}'
    with pytest.raises(events.NotAJiraEvent, match="issue.key"):
        events.routed_kind({events.SIGNATURE_HEADER: events.sign(bad, SECRETS[0])}, bad, SECRETS)
    surrogate = b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "1", "key": "\\ud800"}}'
    with pytest.raises(events.NotAJiraEvent, match="issue.key"):  # what the model refuses, orjson or not
        events.routed_kind({events.SIGNATURE_HEADER: events.sign(surrogate, SECRETS[0])}, surrogate, SECRETS)
