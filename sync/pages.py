"""Confluence pages: one per OKR set and per problem program, with regions the service owns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mapping.models import OkrConfig
from sync.runtime import Runtime


def publish_pages(runtime: Runtime, config: OkrConfig, report: dict[str, Any], now: datetime) -> None:
    """Called at the end of every flush with the fresh evaluation."""


def publish_due_pages(runtime: Runtime, now: datetime | None = None) -> None:
    """Called on every scheduler round: pages whose coalescing interval has passed."""
