"""The configuration document behind the admin API: read the applied ``okrs.yaml``, change one part,
validate the whole, store it as the new revision and recompute what it affects.

The API stores the re-dumped YAML, so ``okrsync export`` prints what the API made of it (comments
of an applied file do not survive an API edit).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
import yaml

from mapping.errors import ConfigError
from mapping.loader import load_config_document, read_yaml
from okrsync import ops
from okrsync.admin.errors import ApiError, invalid_config
from sync import keys
from sync.config_store import CONFIG, Applied
from sync.redis_text import decoded
from sync.runtime import Runtime

SOURCE = "api"
EDIT_LOCK = keys.CONFIG_EDIT_LOCK
LOCK_SECONDS = 10
LOCK_WAIT_SECONDS = 5.0
EMPTY_DOCUMENT: dict[str, Any] = {"version": 1, "cycles": []}


def apply_config_text(runtime: Runtime, text: str, author: str, source: str = SOURCE) -> Applied:
    """Validate and store a configuration; everything it affects is recomputed. Raises ConfigError."""
    return ops.apply_config_text(runtime, text, author, source)


def stored_document(connection: redis.Redis) -> dict[str, Any]:
    """The applied document as plain data (a fresh copy), or an empty one before the first apply."""
    raw = connection.hget(CONFIG, "text")
    if raw is None:
        return {**EMPTY_DOCUMENT, "cycles": []}
    document = read_yaml(decoded(raw))
    return document if isinstance(document, dict) else {**EMPTY_DOCUMENT, "cycles": []}


def save_document(runtime: Runtime, document: dict[str, Any], author: str) -> Applied:
    """Validate the whole document (errors carry its paths), then store and recompute."""
    try:
        load_config_document(document, SOURCE)
    except ConfigError as exc:
        raise invalid_config(exc) from None
    return apply_config_text(runtime, dump_document(document), author)


def dump_document(document: dict[str, Any]) -> str:
    return yaml.dump(
        document, Dumper=_DocumentDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120
    )


class _DocumentDumper(yaml.SafeDumper):
    """Safe YAML that writes 6.0 as 6, as a person would."""


def _represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.Node:
    if value.is_integer() and abs(value) < 2**53:
        return dumper.represent_int(int(value))
    return dumper.represent_float(value)


_DocumentDumper.add_representer(float, _represent_float)


@contextmanager
def edit_lock(connection: redis.Redis) -> Iterator[None]:
    """One read-change-store at a time across web processes, so concurrent edits are not lost."""
    token = uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not connection.set(EDIT_LOCK, token, nx=True, ex=LOCK_SECONDS):
        if time.monotonic() > deadline:
            raise ApiError(409, "busy", "another change to the configuration is being saved; retry in a moment")
        time.sleep(0.02)
    try:
        yield
    finally:
        if connection.get(EDIT_LOCK) == token.encode():
            connection.delete(EDIT_LOCK)


# ---------------------------------------------------------------------------- navigating the document


def child(parent: dict[str, Any], section: str, item_id: str, kind: str) -> dict[str, Any]:
    """The item of ``parent[section]`` with this id; 404 naming the known ids otherwise."""
    items = items_of(parent, section)
    index = index_of(items, item_id)
    if index is None:
        raise ApiError(404, "not_found", f"no {kind} {item_id!r} (known: {_known(items)})")
    return items[index]


def items_of(parent: dict[str, Any], section: str) -> list[dict[str, Any]]:
    items = parent.get(section)
    if items is None:
        items = parent[section] = []
    if not isinstance(items, list):
        raise ApiError(
            409,
            "invalid_document",
            f"'{section}' in the stored configuration is not a list; fix it with `okrsync apply okrs.yaml`",
        )
    return items


def index_of(items: list[Any], item_id: str) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("id")) == item_id:
            return index
    return None


def _known(items: list[Any]) -> str:
    ids = [str(i.get("id")) for i in items if isinstance(i, dict)]
    return ", ".join(ids[:20]) or "none yet"
