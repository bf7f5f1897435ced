"""Jira webhook deliveries as typed events: verified and parsed in one pure function.

``JiraEvent.from_request(headers, body, secrets)`` does no I/O: it checks the HMAC signature over the
raw body, decodes the JSON and validates it into one of the event models below, raising
:class:`WebhookError` subclasses whose messages say what is wrong and where.

Every number of the body must fit a double, as Jira's do: ``NaN``, ``Infinity``, ``1e400`` or an
integer of more than 308 digits makes the delivery malformed (400), so no custom field that is not a
finite number reaches the queue or the mirror, and no integer is converted that Python would refuse.

Both Jira Cloud (users by ``accountId``) and Jira Data Center (users by ``name``/``key``, old
payloads without ``issue_event_type_name``) are accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from typing import Any, ClassVar, Literal, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from webhooks.jiratime import parse_jira_time
from webhooks.shape import well_formed

SIGNATURE_HEADER = "X-Hub-Signature"
IDENTIFIER_HEADER = "X-Atlassian-Webhook-Identifier"
SIGNATURE_PREFIX = "sha256="


class WebhookError(Exception):
    """A delivery the service refuses; ``status`` is the HTTP answer."""

    status: ClassVar[int] = 400
    reason: ClassVar[str] = "invalid"


class SignatureError(WebhookError):
    status = 401
    reason = "signature"


class MalformedBody(WebhookError):
    status = 400
    reason = "malformed"


class NotAJiraEvent(WebhookError):
    status = 400
    reason = "not_jira"


class RequestHeaders(Protocol):
    """A request's headers as the edge reads them: a mapping, or a framework's (case-insensitive) headers."""

    def get(self, key: str, /) -> str | None: ...


# ---------------------------------------------------------------------------- signature


def verify_signature(headers: RequestHeaders, body: bytes, secrets: tuple[bytes, ...]) -> None:
    """Raise SignatureError unless ``X-Hub-Signature: sha256=<hex>`` matches one active secret."""
    header = _header(headers, SIGNATURE_HEADER)
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header (expected 'sha256=<hex digest>')")
    if not header.startswith(SIGNATURE_PREFIX):
        raise SignatureError(f"{SIGNATURE_HEADER} must start with 'sha256='")
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    matched = False
    for secret in secrets:  # no early exit: every secret costs the same
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body for any active secret")


def sign(body: bytes, secret: bytes) -> str:
    """The header value Jira sends for ``body`` under ``secret``."""
    return SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def delivery_identifier(headers: RequestHeaders, body: bytes) -> str:
    """Jira's delivery id, or a digest of the body when the header is absent (retries repeat both)."""
    given = _header(headers, IDENTIFIER_HEADER)
    if given:
        return given.strip()[:200]
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _header(headers: RequestHeaders, name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return value


# ---------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class JiraUser(_Model):
    """A user in either flavour: Cloud has ``accountId``, Data Center ``name`` and ``key``."""

    account_id: str | None = Field(default=None, alias="accountId")
    name: str | None = None
    key: str | None = None
    display_name: str | None = Field(default=None, alias="displayName")
    email: str | None = Field(default=None, alias="emailAddress")

    @property
    def identity(self) -> str | None:
        return self.account_id or self.key or self.name


class ChangelogItem(_Model):
    field: str
    field_id: str | None = Field(default=None, alias="fieldId")
    fieldtype: str | None = None
    from_string: str | None = Field(default=None, alias="fromString")
    to_string: str | None = Field(default=None, alias="toString")


class Changelog(_Model):
    id: str | None = None
    items: list[ChangelogItem] = []

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class Issue(_Model):
    """The issue as Jira sends it; ``fields`` stays raw JSON for the mirror to project."""

    id: str
    key: str = Field(min_length=1)
    fields: dict[str, Any] = {}

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("fields")
    @classmethod
    def _updated_is_a_time(cls, fields: dict[str, Any]) -> dict[str, Any]:
        updated = fields.get("updated")
        if updated is not None:
            try:
                parse_jira_time(updated)
            except (TypeError, ValueError):
                raise ValueError(
                    f"fields.updated must be a Jira time like 2019-02-15T19:01:52.971-0800, got {str(updated)[:60]!r}"
                ) from None
        return fields


class IssueLinkType(_Model):
    name: str | None = None
    outward_name: str | None = Field(default=None, alias="outwardName")
    inward_name: str | None = Field(default=None, alias="inwardName")


class IssueLink(_Model):
    id: str | int
    source_issue_id: str | int = Field(alias="sourceIssueId")
    destination_issue_id: str | int = Field(alias="destinationIssueId")
    link_type: IssueLinkType = Field(default_factory=IssueLinkType, alias="issueLinkType")


class Comment(_Model):
    id: str | int
    body: Any = None
    author: JiraUser | None = None
    self_url: str | None = Field(default=None, alias="self")  # …/rest/api/2/issue/{issue id}/comment/{id}
    created: str | None = None
    updated: str | None = None


class _Event(_Model):
    webhook_event: str = Field(alias="webhookEvent")
    timestamp: int | None = None
    user: JiraUser | None = None

    @property
    def kind(self) -> str:
        return self.webhook_event


class IssueEvent(_Event):
    webhook_event: Literal["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"] = Field(
        alias="webhookEvent"
    )
    issue_event_type_name: str | None = None
    issue: Issue
    changelog: Changelog | None = None

    @property
    def version(self) -> int:
        """Order of this state of the issue: ``fields.updated`` in ms, else the delivery time."""
        updated = self.issue.fields.get("updated")
        if updated is not None:
            return int(parse_jira_time(updated).timestamp() * 1000)
        return self.timestamp or 0


class IssueLinkEvent(_Event):
    webhook_event: Literal["issuelink_created", "issuelink_deleted"] = Field(alias="webhookEvent")
    issue_link: IssueLink = Field(alias="issueLink")


class CommentEvent(_Event):
    webhook_event: Literal["comment_created", "comment_updated", "comment_deleted"] = Field(alias="webhookEvent")
    comment: Comment
    issue: Issue | None = None


class OtherEvent(_Event):
    """An event type the product has no model for: answered 200 and counted."""


JiraEvent = IssueEvent | IssueLinkEvent | CommentEvent | OtherEvent

MODELS: dict[str, type[_Event]] = {
    "jira:issue_created": IssueEvent,
    "jira:issue_updated": IssueEvent,
    "jira:issue_deleted": IssueEvent,
    "issuelink_created": IssueLinkEvent,
    "issuelink_deleted": IssueLinkEvent,
    "comment_created": CommentEvent,
    "comment_updated": CommentEvent,
    "comment_deleted": CommentEvent,
}


# ---------------------------------------------------------------------------- parsing


def from_request(headers: RequestHeaders, body: bytes, secrets: tuple[bytes, ...]) -> JiraEvent:
    """Verify and parse one delivery. Pure: the Flask view only adapts the request to this."""
    verify_signature(headers, body, secrets)
    return parse_event(body)


def routed_kind(headers: RequestHeaders, body: bytes, secrets: tuple[bytes, ...]) -> str:
    """What the edge needs of a delivery: verified, and its event name once it is known that the worker's
    ``parse_event`` will take it (the same refusals, with the same messages), without building the event."""
    verify_signature(headers, body, secrets)
    document, plain = _decode_json(body)
    name = _event_name(document)
    if not (plain and well_formed(name, document)):  # the model decides, and says what is wrong
        _validated(name, document)
    return name


def parse_event(body: bytes) -> JiraEvent:
    """Parse a verified body into its event model, or raise with a message naming the problem."""
    document, _ = _decode_json(body)
    return _validated(_event_name(document), document)


def _event_name(document: Any) -> str:
    if not isinstance(document, dict):
        raise NotAJiraEvent(f"expected a JSON object, got {type(document).__name__}")
    name = document.get("webhookEvent")
    if not isinstance(name, str) or not name.strip():
        raise NotAJiraEvent("not a Jira event: 'webhookEvent' (a string such as 'jira:issue_updated') is missing")
    return name


def _validated(name: str, document: dict[str, Any]) -> JiraEvent:
    model = MODELS.get(name, OtherEvent)
    try:
        return model.model_validate(document)  # type: ignore[return-value]
    except ValidationError as exc:
        raise NotAJiraEvent(f"{name}: {describe_validation_error(exc)}") from None


def _decode_json(body: bytes) -> tuple[Any, bool]:
    """The body's JSON, and whether orjson read it: it does when it reads it exactly as the reference
    parse below does (every integer literal under 20 digits, which orjson keeps exact), else the
    reference parse does, and says precisely what is wrong with a body orjson refuses (it takes what
    orjson alone refuses: a lone UTF-16 surrogate escape)."""
    if not body:
        raise MalformedBody("empty body: expected a Jira webhook JSON object")
    if LONG_DIGIT_RUN not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(body), True
        except orjson.JSONDecodeError:
            pass  # the reference parse decides, and names the problem
    return _decode_json_exactly(body), False


# Every digit as "0" and any other byte as ".": a run of 20 zeros is where a number may be too long for
# orjson to keep exact (an integer beyond 64 bits becomes a float there; the reference keeps it).
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x2E for byte in range(256))
LONG_DIGIT_RUN = b"0" * 20


def _decode_json_exactly(body: bytes) -> Any:
    try:
        return json.loads(
            body.decode("utf-8"), parse_int=_json_integer, parse_float=_json_float, parse_constant=_json_constant
        )
    except _NotADouble as exc:
        raise MalformedBody(f"{exc}; expected finite JSON numbers (Jira sends doubles)") from None
    except UnicodeDecodeError:
        raise MalformedBody("body is not UTF-8 text: expected a Jira webhook JSON object") from None
    except json.JSONDecodeError as exc:
        raise MalformedBody(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise MalformedBody("JSON nested too deeply") from None


DOUBLE_DIGITS = 308  # an integer literal with more digits may not fit a double


class _NotADouble(ValueError):
    """A number of the body that no double holds: the delivery is refused, so none reaches the mirror."""


def _json_integer(text: str) -> int:
    """Never converts an integer a double cannot hold (Python refuses beyond 4300 digits anyway)."""
    digits = len(text) - text.startswith("-")
    if digits > DOUBLE_DIGITS:
        raise _NotADouble(f"the body holds an integer of {digits} digits, beyond the range of a double")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotADouble(f"the body holds the number {text[:40]}, beyond the range of a double")
    return value


def _json_constant(name: str) -> Any:
    raise _NotADouble(f"the body holds {name}, which is not a JSON number")


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """'issue.key: Field required; …' — where each problem is and what was expected."""
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "(document)"
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
