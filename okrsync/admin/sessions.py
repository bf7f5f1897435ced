"""Server-side sessions of the admin pages: the signed cookie carries a random session id, and the
session is live only while Redis holds it, so signing out revokes every copy of the cookie.

Redis holds the digest of the id, never the id itself: reading Redis does not give a usable cookie
(which also needs the session secret's signature).
"""

from __future__ import annotations

import hashlib
import secrets

import redis

from sync import keys

SESSION_PREFIX = keys.ADMIN_SESSION_PREFIX  # + sha256 of a signed-in session's id → "admin"; expires with the session
SESSION_SECONDS = 12 * 3600  # a sign-in lasts this long at most (the cookie's lifetime too)


def open_session(connection: redis.Redis, user: str) -> str:
    """A new session id for ``user``, stored with the session's lifetime."""
    session_id = secrets.token_urlsafe(32)
    connection.set(_key(session_id), user, ex=SESSION_SECONDS)
    return session_id


def session_user(connection: redis.Redis, session_id: object) -> str | None:
    """Who the session belongs to while it is live; None once it was closed or has expired."""
    if not isinstance(session_id, str) or not session_id:
        return None
    raw = connection.get(_key(session_id))
    return raw.decode() if isinstance(raw, bytes) else raw


def close_session(connection: redis.Redis, session_id: object) -> None:
    if isinstance(session_id, str) and session_id:
        connection.delete(_key(session_id))


def _key(session_id: str) -> str:
    return SESSION_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()
