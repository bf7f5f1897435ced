"""Jira webhooks: signature check, typed events, de-duplication, routing, enqueue. No business logic."""
