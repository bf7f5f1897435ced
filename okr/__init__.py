"""The pure core: JQL over the mirror, metrics, scoring, health and rendering. No I/O."""
