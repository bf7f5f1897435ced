"""RQ workers: the issue mirror, the event stream they drain, and (later) write-back and reconciliation."""
