"""Who is calling: bearer tokens for the API, the admin token signed into a session for the pages.

Tokens are compared in constant time; a token never appears in a log or an answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from okrsync.admin.errors import ApiError
from okrsync.settings import Settings

ADMIN = "admin"
READ_ONLY = "read"
REALM = 'Bearer realm="okrsync"'
NO_ADMIN_TOKEN = (
    "the admin API is off: no admin token is configured; set OKRSYNC_ADMIN_TOKEN "
    "(e.g. OKRSYNC_ADMIN_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))'))"
)


@dataclass(frozen=True)
class Caller:
    name: str  # "admin" or "read": recorded as the author of a change

    @property
    def can_write(self) -> bool:
        return self.name == ADMIN


def configured_tokens(settings: Settings) -> dict[str, bytes]:
    tokens = {}
    if settings.admin_token is not None and settings.admin_token.get_secret_value():
        tokens[ADMIN] = settings.admin_token.get_secret_value().encode()
    if settings.read_token is not None and settings.read_token.get_secret_value():
        tokens[READ_ONLY] = settings.read_token.get_secret_value().encode()
    return tokens


def caller_for_token(token: str, tokens: dict[str, bytes]) -> Caller | None:
    """Every configured token is compared (no early exit), each in constant time."""
    offered = token.encode()
    found = None
    for name, expected in tokens.items():
        if hmac.compare_digest(offered, expected):
            found = name
    return Caller(found) if found else None


def authenticate(authorization: str | None, settings: Settings) -> Caller:
    """The caller of an API request, from its Authorization header. Raises ApiError 401/503."""
    tokens = configured_tokens(settings)
    if ADMIN not in tokens:
        raise ApiError(503, "not_configured", NO_ADMIN_TOKEN)
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthorized",
            "send the admin or read-only token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": REALM},
        )
    caller = caller_for_token(token.strip(), tokens)
    if caller is None:
        raise InvalidToken(
            401,
            "unauthorized",
            "the bearer token is not the admin or the read-only token (OKRSYNC_ADMIN_TOKEN / OKRSYNC_READ_TOKEN)",
            headers={"WWW-Authenticate": REALM + ', error="invalid_token"'},
        )
    return caller


class InvalidToken(ApiError):
    """A bearer token was offered and is not a configured one: a failed authentication (a missing
    header is not one)."""


def require_write(caller: Caller) -> None:
    if not caller.can_write:
        raise ApiError(
            403, "forbidden", "the read-only token cannot change anything; use the admin token (OKRSYNC_ADMIN_TOKEN)"
        )


def session_secret(settings: Settings) -> bytes:
    """Signs the pages' session cookie: OKRSYNC_SESSION_SECRET, else derived from the admin token,
    so several web processes agree without another setting; changing the admin token signs everyone out."""
    if settings.session_secret is not None and settings.session_secret.get_secret_value():
        return settings.session_secret.get_secret_value().encode()
    tokens = configured_tokens(settings)
    if ADMIN in tokens:
        return hmac.new(tokens[ADMIN], b"okrsync admin session", hashlib.sha256).digest()
    return secrets.token_bytes(32)  # no admin token: nobody can sign in anyway


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, offered: str | None) -> bool:
    return bool(expected) and bool(offered) and hmac.compare_digest(str(expected), str(offered))
