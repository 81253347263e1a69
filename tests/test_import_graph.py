"""kaohe/report has no import cycle: read with ast, every import of a report module by
another (at the top or inside a function, where a cycle hides until run time) is an edge;
the graph must have no cycle. Today's layers: data (scores on disk → ReportData) ← rows, views
(a unit's view) ← build; worker → kernel → execute (a kernel never imports its worker)."""

from __future__ import annotations

import ast
from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "kaohe" / "report"


def import_graph(package: Path, name: str) -> dict[str, set[str]]:
    """Module → the modules of ``package`` it imports (relative or absolute, anywhere)."""
    mods = {p.stem for p in package.glob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m in mods:
        tree = ast.parse((package / f"{m}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level == 1:
                    targets = [base.split(".")[0]] if base else [a.name for a in node.names]
                elif node.level == 0 and base.startswith(f"{name}."):
                    targets = [base.removeprefix(f"{name}.").split(".")[0]]
                else:
                    continue
            elif isinstance(node, ast.Import):
                targets = [a.name.removeprefix(f"{name}.").split(".")[0] for a in node.names
                           if a.name.startswith(f"{name}.")]
            else:
                continue
            graph[m] |= {t for t in targets if t in mods and t != m}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by depth-first search (each reported once, from its first node)."""
    found, state = [], {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                found.append(path[path.index(n):] + [n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return found


def test_the_check_finds_a_cycle():
    g = {"data": {"views"}, "views": {"data"}, "build": {"views"}}
    (c,) = cycles(g)
    assert c[0] == c[-1] and set(c) == {"data", "views"}
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_report_has_no_import_cycle():
    graph = import_graph(REPORT, "kaohe.report")
    assert "views" in graph["build"] and "data" in graph["views"]  # the graph is read
    assert cycles(graph) == []
