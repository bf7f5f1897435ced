"""Configuration errors: every problem with its path in the document."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigProblem:
    path: str  # okr_sets[0].objectives[1].key_results[2].baseline
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists every one found."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {source}: {problem}" for problem in problems)
        super().__init__(f"{source} is not a valid configuration ({len(problems)} problem(s)):\n{lines}")
