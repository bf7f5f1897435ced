"""Metric definition versions: a hash of the normalised definition, so a changed definition shows."""

from __future__ import annotations

import hashlib
import json
import re

from mapping.memo import once_per_object
from mapping.models import Metric

# What a reader is told, or how often and how long a warehouse query may run, not how the number is
# computed: changing these is not a new definition.
_NOT_DEFINITION = {"description", "unit", "refresh", "statement_timeout"}


def _version_of(metric: Metric) -> str:
    """A short stable id of how the metric is computed: 'v-3f2a9c1b04de'."""
    fields = metric.model_dump(by_alias=True, exclude=_NOT_DEFINITION)
    fields["aggregate"] = metric.effective_aggregate
    fields["date_field"] = metric.effective_date_field
    normalised = {key: _normalise(value) for key, value in fields.items() if value is not None}
    digest = hashlib.sha256(json.dumps(normalised, sort_keys=True, default=str).encode()).hexdigest()
    return "v-" + digest[:12]


metric_version = once_per_object(_version_of)  # definitions are immutable: hashed once per object


def _normalise(value: object) -> object:
    if isinstance(value, str):
        return re.sub(r"\s+", " ", value.strip())
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if v is not None}
    return value
