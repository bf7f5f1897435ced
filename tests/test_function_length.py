"""No function or method in the product packages is longer than MAX_FUNCTION_LINES (def line through last line)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("connector", "webhooks", "sync", "mapping", "okr", "okrsync", "emulator", "bench", "jql", "publish")
MAX_FUNCTION_LINES = 40


@dataclass(frozen=True)
class LongFunction:
    path: str
    line: int
    name: str
    length: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.name} {self.length}"


def source_files(packages: tuple[str, ...]) -> list[Path]:
    return sorted(path for package in packages for path in (REPO / package).rglob("*.py"))


def long_functions(path: Path, root: Path = REPO, limit: int = MAX_FUNCTION_LINES) -> list[LongFunction]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                found.append(LongFunction(relative, node.lineno, node.name, length))
    return sorted(found, key=lambda long: long.line)


def over_limit(packages: tuple[str, ...], limit: int = MAX_FUNCTION_LINES) -> list[LongFunction]:
    return [long for path in source_files(packages) for long in long_functions(path, limit=limit)]


def test_packages_exist() -> None:
    missing = [package for package in PACKAGES if not (REPO / package).is_dir()]
    assert not missing, f"packages named in PACKAGES but absent: {missing}"


def test_no_function_over_the_limit() -> None:
    found = over_limit(PACKAGES)
    listing = "\n".join(str(long) for long in found)
    assert not found, f"{len(found)} function(s) over {MAX_FUNCTION_LINES} lines:\n{listing}"


def test_the_check_finds_a_long_function(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    source = tmp_path / "sample.py"
    source.write_text(f"def short():\n    return 1\n\n\ndef long():\n{body}", encoding="utf-8")
    found = [(long.name, long.length) for long in long_functions(source, root=tmp_path)]
    assert found == [("long", MAX_FUNCTION_LINES + 1)]
