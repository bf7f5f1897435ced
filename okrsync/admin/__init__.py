"""The admin API (`/api/v1`) and the server-rendered admin pages (`/admin`)."""

from __future__ import annotations

import redis
from flask import Flask

from okrsync.admin.api import api_blueprint
from okrsync.admin.auth import session_secret
from okrsync.admin.context import admin_context
from okrsync.admin.page_routes import pages_blueprint
from okrsync.admin.routing import ADMIN_EXTENSION
from okrsync.admin.sessions import SESSION_SECONDS
from okrsync.settings import Settings


def register_admin(app: Flask, settings: Settings, connection: redis.Redis) -> None:
    app.extensions[ADMIN_EXTENSION] = admin_context(settings, connection)
    app.secret_key = session_secret(settings)
    app.config.update(
        SESSION_COOKIE_NAME="okrsync_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies(settings),
        SESSION_COOKIE_PATH="/admin",
        PERMANENT_SESSION_LIFETIME=SESSION_SECONDS,
    )
    app.register_blueprint(api_blueprint())
    app.register_blueprint(pages_blueprint())


def secure_cookies(settings: Settings) -> bool:
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return (settings.public_url or "").lower().startswith("https://")
