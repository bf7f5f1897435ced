"""Errors of the admin API: every one answers JSON ``{error, message, path?, problems?}``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from mapping.errors import ConfigError, ConfigProblem
from mapping.loader import _friendly_message as friendly_message  # one wording for the file and the API
from mapping.loader import document_path


class ApiError(Exception):
    """An answer other than success; ``path`` names the field of the request or document at fault."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        path: str | None = None,
        problems: list[ConfigProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.path = path
        self.problems = problems or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.path is not None:
            body["path"] = self.path
        if self.problems:
            body["problems"] = [{"path": p.path, "message": p.message} for p in self.problems]
        return body


def invalid_body(exc: ValidationError, prefix: str = "") -> ApiError:
    """A request body that does not fit its model: 422 with the path of the first problem."""
    problems = [ConfigProblem(_joined(prefix, document_path(e["loc"])), friendly_message(e)) for e in exc.errors()]
    return _invalid("invalid_body", problems)


def invalid_config(exc: ConfigError) -> ApiError:
    """The change would make the configuration invalid: 422 with the document path of each problem."""
    return _invalid("invalid_config", exc.problems)


def _invalid(error: str, problems: list[ConfigProblem]) -> ApiError:
    first = problems[0] if problems else ConfigProblem("", "invalid")
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return ApiError(422, error, f"{first}{more}", path=first.path, problems=problems)


def _joined(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path or path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


def not_found(kind: str, identifier: str, known: Iterable[str]) -> ApiError:
    names = sorted(known)
    listed = ", ".join(names[:20]) if names else "none yet"
    return ApiError(404, "not_found", f"no {kind} {identifier!r} in the configuration (known: {listed})")
