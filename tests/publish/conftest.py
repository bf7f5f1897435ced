"""Fixtures of the page tests: a runtime on the real (embedded) Redis with a recording Confluence,
and, for the end-to-end tests, the emulator's Jira and Confluence with a real worker and scheduler."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from okrsync.settings import Settings
from sync.runtime import Runtime, new_runtime
from tests.conftest import QUEUE, SECRET
from tests.publish.fakes import FakeConfluence
from tests.publish.sample import AT, CONFIG, documents


@pytest.fixture()
def confluence() -> FakeConfluence:
    fake = FakeConfluence()
    fake.add("SHOP", "OKRs", "<p>All our OKR pages.</p>")
    return fake


@pytest.fixture()
def page_runtime(connection: redis.Redis, confluence: FakeConfluence, tmp_path: Path) -> Runtime:
    settings = Settings(
        webhook_secret=SECRET,
        data_dir=tmp_path,
        queue_name=QUEUE,
        jira_url="https://acme.atlassian.net",
        _env_file=None,
    )
    runtime = new_runtime(settings, connection, confluence=confluence)
    runtime.config_store.apply(CONFIG, "okrs.yaml", "test", AT)
    for version, document in enumerate(documents(), start=1):
        runtime.mirror.upsert(document, version)
    return runtime


@pytest.fixture()
def pages_stack(connection: redis.Redis, tmp_path: Path) -> Iterator[dict[str, Any]]:
    from tests.publish.stack import page_stack

    yield from page_stack(connection, tmp_path)
