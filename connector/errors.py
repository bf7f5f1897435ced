"""The connector's own exception tree: callers never see ``requests`` or client exceptions.

Each error carries the HTTP status, the method and the path (never the query string, never
credentials), and a message that names the operation, what the server said and, where there is one,
the fix.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A call to Jira or Confluence failed; ``status`` is None when no HTTP answer came back."""

    def __init__(
        self, message: str, *, status: int | None = None, method: str | None = None, url: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.url = url


class SetupError(ConnectorError):
    """The port's settings can never work (a URL without scheme, a user without a token): fix them, do not retry."""


class AuthError(ConnectorError):
    """401/403: the credentials are wrong or the account lacks a permission; retrying cannot help."""


class NotFound(ConnectorError):
    """404: the issue, property, page or webhook does not exist (or the account cannot see it)."""


class Conflict(ConnectorError):
    """409: a Confluence page changed since it was read; re-read, merge and write again."""


class BadRequest(ConnectorError):
    """400 (and other 4xx we do not retry): the request itself is wrong; the message quotes the server."""


class RateLimited(ConnectorError):
    """429 still answered when the retry budget was spent; ``retry_after`` is the server's last hint."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, status=status, method=method, url=url)
        self.retry_after = retry_after


class Unavailable(ConnectorError):
    """5xx, a refused connection or a timeout that outlasted the retries."""
