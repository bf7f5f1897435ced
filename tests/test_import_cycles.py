"""No import circle among the product's modules: every package's parts import one another one way only.

The graph is grimp's (the one import-linter checks the layers with); it counts imports made inside
functions and under ``TYPE_CHECKING`` too, so a circle cannot hide behind a lazy import. A circle is a
strongly connected component of more than one module (or a module importing itself)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import grimp
import pytest

PRODUCT_PACKAGES = ("connector", "webhooks", "sync", "mapping", "okr", "okrsync", "emulator", "jql", "publish")

Graph = Mapping[str, frozenset[str]]


@cache
def import_graph(packages: tuple[str, ...]) -> tuple[grimp.ImportGraph, Graph]:
    """Built once per run, from the sources (no cache written into the repository)."""
    graph = grimp.build_graph(*packages, include_external_packages=False, cache_dir=None)
    edges = {module: frozenset(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    return graph, edges


def strongly_connected(edges: Graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative (a deep package would overflow the recursion), modules sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        _visit(root, index, low, stack, on_stack)
        while work:
            module, successors = work[-1]
            successor = next(successors, None)
            if successor is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    found.append(_pop_component(module, stack, on_stack))
            elif successor not in index:
                _visit(successor, index, low, stack, on_stack)
                work.append((successor, iter(sorted(edges.get(successor, ())))))
            elif successor in on_stack:
                low[module] = min(low[module], index[successor])
    return found


def _visit(module: str, index: dict[str, int], low: dict[str, int], stack: list[str], on_stack: set[str]) -> None:
    index[module] = low[module] = len(index)
    stack.append(module)
    on_stack.add(module)


def _pop_component(root: str, stack: list[str], on_stack: set[str]) -> list[str]:
    component = []
    while True:
        module = stack.pop()
        on_stack.discard(module)
        component.append(module)
        if module == root:
            return sorted(component)


def circles(edges: Graph) -> list[list[str]]:
    """The components that are circles: more than one module, or one importing itself."""
    return [c for c in strongly_connected(edges) if len(c) > 1 or c[0] in edges.get(c[0], ())]


def describe(graph: grimp.ImportGraph, circle: list[str]) -> str:
    """The circle's modules and every import between them, with its line."""
    lines = [" <-> ".join(circle)]
    for importer in circle:
        for imported in circle:
            if not graph.direct_import_exists(importer=importer, imported=imported):
                continue
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"    {importer}:{detail['line_number']}: {detail['line_contents']}")
    return "\n".join(lines)


def test_tarjan_finds_circles_and_only_circles() -> None:
    edges = {
        "a": frozenset({"b"}),
        "b": frozenset({"c"}),
        "c": frozenset({"a", "d"}),
        "d": frozenset({"e"}),
        "e": frozenset(),
        "f": frozenset({"f"}),
    }
    assert sorted(circles(edges)) == [["a", "b", "c"], ["f"]]
    assert circles({"a": frozenset({"b"}), "b": frozenset()}) == []


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_no_import_circle(package: str) -> None:
    """One test per package, so a circle is reported where it is; the graph spans every package, so a
    circle through two packages is reported for both."""
    graph, edges = import_graph(PRODUCT_PACKAGES)
    mine = [c for c in circles(edges) if any(m == package or m.startswith(package + ".") for m in c)]
    assert not mine, "import circle(s):\n" + "\n".join(describe(graph, c) for c in mine)
