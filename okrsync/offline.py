"""Input files of the offline commands (`okrsync evaluate`), read with errors that name the line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mapping.measurements import Measurement
from mapping.models import OkrConfig
from okr.metrics import MetricValue
from sync.documents import issue_document
from webhooks.events import describe_validation_error


class InputFileError(ValueError):
    """A line of an input file is not what it should be; the message says which and why."""


def read_jsonl(path: Path) -> list[tuple[int, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read ({exc})") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{path} line {number}: not JSON ({exc.msg} at column {exc.colno})") from None
    return rows


def read_issues(path: Path) -> list[dict[str, Any]]:
    """Jira REST issue objects, one per line → mirror documents."""
    documents = []
    for number, issue in read_jsonl(path):
        if not isinstance(issue, dict) or not issue.get("key") or not isinstance(issue.get("fields"), dict):
            raise InputFileError(f"{path} line {number}: expected a Jira issue object with 'key' and 'fields'")
        documents.append(issue_document(issue))
    return documents


def read_measurements(path: Path) -> list[Measurement]:
    measurements = []
    for number, row in read_jsonl(path):
        try:
            measurements.append(Measurement.model_validate(row))
        except ValidationError as exc:
            raise InputFileError(
                f"{path} line {number}: {describe_validation_error(exc)} "
                '(expected {"metric": ID, "value": NUMBER, "at": ISO-TIME})'
            ) from None
    return measurements


def read_field_names(path: Path) -> dict[str, str]:
    """Jira's /rest/api/2/field answer → lower-cased field name → field id."""
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read a JSON field list ({exc})") from None
    if not isinstance(fields, list):
        raise InputFileError(f"{path}: expected the JSON list that Jira's /rest/api/2/field returns")
    names = {}
    for entry in fields:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("id"), str):
            names[entry["name"].strip().lower()] = entry["id"]
    return names


def fetch_sql_values(
    config: OkrConfig, urls: Mapping[str, str], now: datetime
) -> tuple[dict[str, MetricValue], list[str]]:
    """Every ``source: sql`` metric's query run now, for `okrsync evaluate`: the values, and one sentence
    per metric that could not be fetched (its connection variable unset, a failing query, an answer
    that is not a number); those metrics are then not measured."""
    from sync.sql_metrics import sql_metrics, sql_value
    from sync.warehouse import WarehouseError, connection_url, fetch_sql_metric

    values: dict[str, MetricValue] = {}
    problems = []
    for metric_id, metric in sql_metrics(config).items():
        try:
            url = connection_url(metric_id, metric, urls)
            values[metric_id] = sql_value(fetch_sql_metric(metric_id, metric, url, now, config.zone))
        except WarehouseError as exc:
            problems.append(f"{exc} (not measured in this evaluation)")
    return values, problems


def sql_connection_warnings(config: OkrConfig, urls: Mapping[str, str]) -> list[str]:
    """For `okrsync validate`: each SQL metric whose connection has no URL here, or a URL SQLAlchemy
    cannot read, with its path and the variable to set (the query itself runs only in the service)."""
    from sync.sql_metrics import sql_metrics
    from sync.warehouse import WarehouseError, connection_url

    warnings = []
    for metric_id, metric in sorted(sql_metrics(config).items()):
        try:
            connection_url(metric_id, metric, urls)
        except WarehouseError as exc:
            warnings.append(f"metrics.{metric_id}.connection: {exc}")
    return warnings
