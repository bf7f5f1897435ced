"""/readyz names the configuration revision in force, as the config store holds it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sync.config_store import ConfigStore

EXAMPLE = Path(__file__).parents[2] / "examples" / "okrs.yaml"


def test_readyz_says_not_configured_before_any_apply(client) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["config"] == "not configured"


def test_readyz_reports_the_revision_in_force(client, connection) -> None:
    store = ConfigStore(connection)
    store.apply(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE), "admin", datetime(2026, 11, 2, tzinfo=UTC))
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ready"
    config = ready.json["checks"]["config"]
    assert config["revision"] == 1 and config["source"] == str(EXAMPLE)
    assert config["applied_at"].startswith("2026-11-02")
