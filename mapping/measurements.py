"""Pushed measurements (``POST /api/v1/metrics/{id}/measurements`` and ``--measurements`` files)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mapping.numbers import Number


class Measurement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(min_length=1)
    value: Number
    at: datetime
    note: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=200)

    @field_validator("at")
    @classmethod
    def _with_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("'at' needs a UTC offset, e.g. 2026-11-20T09:00:00Z")
        return value
