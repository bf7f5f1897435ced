"""Run the app factory under gunicorn from `okrsync serve` (the Procfile calls gunicorn directly)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _OkrsyncApplication(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # newer gunicorn releases know more settings
                self.cfg.set(key, value)

    def load(self) -> Any:
        from okrsync.app import create_app

        return create_app()


def run_gunicorn(bind: str, workers: int) -> None:
    _OkrsyncApplication(
        {
            "bind": bind,
            "workers": workers,
            "threads": 4,
            "accesslog": "-",
            "timeout": 30,
            # one shared default path would clash between instances on one machine
            "control_socket_disable": True,
        }
    ).run()
