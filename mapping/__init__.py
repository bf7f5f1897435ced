"""The configuration models (okrs.yaml), validation, lint and the configuration store."""
