"""The library's parts and the one-way flow (README, Architecture): every module belongs to one
layer and imports only its own layer or those below; no import cycle; nothing imports the
synthetic generator; the notebooks use the public API and the presentation part only."""
from __future__ import annotations

import ast
import json
from pathlib import Path

from lupus_utils.paths import NOTEBOOKS_DIR, PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "lupus_utils"
#: The layers of the flow data -> instruments/outcomes -> statistics -> results -> tables,
#: plots, widgets -> notebooks -> book; the generator stands apart.
LAYERS = {
    "foundation": (0, {"paths", "numbers", "codebook"}),
    "science": (1, {"instruments", "outcomes", "visit_order", "stats", "inference", "longitudinal", "courses"}),
    "data": (1, {"data", "ingest", "readers", "centres", "identifiers", "normalisation", "plausibility", "pseudonyms",
                  "provenance", "template", "redcap"}),
    "results": (2, {"results", "subgroups"}),
    "presentation": (3, {"scorecard", "tables", "journal", "plots", "context", "explorer", "widgets", "report"}),
}
LEVEL = {m: level for level, mods in LAYERS.values() for m in mods}


def _imports() -> dict[str, set[str]]:
    """Each module's imports of the library's own modules (at the top or inside a function)."""
    out = {}
    for path in PACKAGE.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lupus_utils."):
                deps.add(node.module.split(".")[1])
        out[path.stem] = deps
    return out


def test_every_module_has_a_layer():
    assert set(_imports()) - {"__init__"} == set(LEVEL)


def test_imports_go_one_way():
    wrong = [f"{m} ({LEVEL[m]}) imports {d} ({LEVEL[d]})" for m, deps in _imports().items() if m != "__init__"
             for d in deps if d in LEVEL and LEVEL[d] > LEVEL[m]]
    assert wrong == []


def test_nothing_imports_the_generator_and_there_is_no_cycle():
    graph = _imports()
    assert [m for m, deps in graph.items() if "generator" in deps] == []
    seen, stack = set(), []

    def visit(m):
        if m in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
        if m in seen:
            return
        stack.append(m)
        for d in graph.get(m, ()):
            visit(d)
        stack.pop()
        seen.add(m)

    for m in graph:
        visit(m)


def test_notebooks_import_the_public_api_or_the_presentation_part():
    allowed = {"lupus_utils"} | {f"lupus_utils.{m}" for m in LAYERS["presentation"][1] | LAYERS["results"][1]
                                 | LAYERS["foundation"][1]}
    found = {}
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lupus_utils"):
                    found.setdefault(node.module, set()).add(nb.stem)
    assert {m: sorted(nbs) for m, nbs in found.items() if m not in allowed} == {}
