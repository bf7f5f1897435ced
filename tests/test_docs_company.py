"""README.md and docs/ show the company the demo and the screenshots show: Northwind Goods (projects
CHK, FUL, OPS, PLAT). The other shop of `examples/` (project SHOP) is named only where a paragraph
speaks of `examples/`."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OTHER_COMPANY = re.compile(r"\bSHOP\b|\bShop OKRs\b|\bshop-q4\b|\bid: shop\b")


def _paragraphs(path: Path) -> list[str]:
    return re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))


def test_the_docs_name_the_examples_company_only_when_speaking_of_examples() -> None:
    stray = [
        f"{path.relative_to(ROOT)}: {paragraph.strip()[:120]}"
        for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
        for paragraph in _paragraphs(path)
        if OTHER_COMPANY.search(paragraph) and "examples/" not in paragraph
    ]
    assert stray == []


def test_the_readme_and_the_screenshots_are_the_demo_company() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Northwind Goods" in readme and "The screenshots are the demo company" in readme
    assert "from okrsync.demo.runner import" in (ROOT / "docs" / "screenshots.py").read_text(encoding="utf-8")
