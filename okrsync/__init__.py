"""OKR Sync for Jira: the composition root (settings, app factory, CLI)."""

__version__ = "0.1.0"
