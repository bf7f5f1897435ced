"""The numbers, without I/O: metrics, aggregates, timeframes, scoring, evaluation and the problem reverse-drive."""
