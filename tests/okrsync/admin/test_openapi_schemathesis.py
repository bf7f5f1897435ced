"""The published OpenAPI document is kept true: schemathesis generates requests for every operation
(bounded, deterministic) and checks that no answer is a 5xx or breaks the documented schema."""

from __future__ import annotations

import pytest
import redis
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.okrsync.admin.conftest import ADMIN, READ

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {"admin": 10, "read-only": 4}  # bounded: the whole run stays well under a minute


def test_openapi_document_lists_every_route(api, configured) -> None:
    document = api.get("/api/v1/openapi.json").get_json()
    served = {
        (rule.rule, method)
        for rule in api.application.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path.replace("{", "<").replace("}", ">"), method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert served == documented


@pytest.mark.parametrize("token", ["admin", "read-only"])
def test_no_server_error_and_no_schema_violation(
    admin_app: Flask, configured: str, connection: redis.Redis, token: str
) -> None:
    """Anonymous calls are covered by the auth tests; a read-only token meets the 403 paths."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", admin_app)
    headers = ADMIN if token == "admin" else READ
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    for operation in operations:
        _exercise(operation, headers, EXAMPLES[token], failures)
    assert not failures, "\n\n".join(failures[:5])


def _exercise(operation, headers: dict[str, str], examples: int, failures: list[str]) -> None:
    @seed(20261121)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as exc:  # collect, so one run reports every broken operation
            failures.append(f"{operation.label}: {exc}")
            raise

    try:
        run()
    except Exception:
        pass
