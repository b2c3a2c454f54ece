"""The library's parts and the one-way flow (README, Architecture). The folders are the parts:
the foundation (the package's top-level modules), ``science``, ``data``, ``presentation`` and the
``generator``. Every module imports only its own level or those below; no import cycle; nothing
outside the generator imports it; a part's ``__init__`` holds no code (importing a part does no
work); no module reaches 600 lines; the notebooks use the public API (``lupus_utils``) and the
presentation part only."""
from __future__ import annotations

import ast
import functools
import json

from lupus_utils.paths import NOTEBOOKS_DIR, PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "lupus_utils"
PARTS = ("science", "data", "presentation", "generator")
#: The levels of the flow data -> instruments/outcomes -> statistics -> results -> tables, plots,
#: widgets -> notebooks -> book; a module may import its own level and those below. The data part
#: validates with the instruments' definitions (SLEDAI-2K lab thresholds, the gap inputs), so it
#: sits above the science, which never imports it; the generator stands apart.
LEVELS = {"foundation": 0, "science": 1, "data": 2, "presentation": 3, "generator": 4}
#: The study's analysis as data (results, subgroups) sits above the rest of the science.
ABOVE_THE_SCIENCE = {"science.results": 1.5, "science.subgroups": 1.5}
LONGEST_MODULE = 600


@functools.cache
def _modules() -> dict[str, object]:
    """Every module of the package by dotted name below ``lupus_utils`` ('science.outcomes', 'paths')."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(PACKAGE).with_suffix("")
        out[".".join(rel.parts)] = path
    return out


def _part(module: str) -> str:
    head = module.split(".")[0]
    return head if head in PARTS else "foundation"


def _level(module: str) -> float:
    if module == "__init__":  # the public API gathers the science and the data, not the presentation
        return 2
    return ABOVE_THE_SCIENCE.get(module, LEVELS[_part(module)])


def _module_named(dotted: str, mods: dict) -> str | None:
    """The module a dotted name below ``lupus_utils`` is: a module, or a package's __init__."""
    if dotted in mods:
        return dotted
    init = f"{dotted}.__init__" if dotted else "__init__"
    return init if init in mods else None


def _resolve(module: str, node: ast.AST) -> list[str]:
    """The library modules an import statement names, as dotted names below ``lupus_utils``
    ('science.outcomes', 'presentation.__init__', '__init__' for the public API), whatever its
    form: ``import lupus_utils.x.y``, ``from lupus_utils[.x] import y``, ``from ..x import y``,
    ``from . import y``."""
    import importlib.util

    mods = _modules()
    here = "lupus_utils." + module
    package = here.rsplit(".", 1)[0] if not module.endswith("__init__") else here.removesuffix(".__init__")
    if module == "__init__":
        package = "lupus_utils"
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names if a.name == "lupus_utils" or a.name.startswith("lupus_utils.")]
        return [m for t in targets if (m := _module_named(t.removeprefix("lupus_utils").removeprefix("."), mods))]
    if not isinstance(node, ast.ImportFrom):
        return []
    name = "." * node.level + (node.module or "")
    try:
        target = importlib.util.resolve_name(name, package) if node.level else name
    except ImportError:
        return []
    if target != "lupus_utils" and not target.startswith("lupus_utils."):
        return []
    base = target.removeprefix("lupus_utils").removeprefix(".")
    found = [m] if (m := _module_named(base, mods)) else []
    for a in node.names:            # from lupus_utils import presentation / from . import redcap
        sub = f"{base}.{a.name}" if base else a.name
        if (m := _module_named(sub, mods)) and m not in found:
            found.append(m)
    return found


def _imports() -> dict[str, set[str]]:
    """Each module's imports of the library's own modules (at the top or inside a function)."""
    out = {}
    for module, path in _modules().items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            deps |= set(_resolve(module, node))
        out[module] = deps - {module}
    return out


def test_every_module_is_in_a_part_and_the_parts_are_folders():
    mods = _modules()
    top = sorted(m for m in mods if "." not in m and m != "__init__")
    assert top == ["codebook", "numbers", "paths"]          # the foundation, small and shared
    assert {m.split(".")[0] for m in mods if "." in m} == set(PARTS)


def test_imports_go_one_way():
    wrong = [f"{m} ({_level(m)}) imports {d} ({_level(d)})" for m, deps in _imports().items()
             for d in deps if _level(d) > _level(m)]
    assert wrong == []


def test_nothing_imports_the_generator_and_there_is_no_cycle():
    graph = _imports()
    assert sorted(m for m, deps in graph.items() if _part(m) != "generator"
                  and any(_part(d) == "generator" for d in deps)) == []
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


def test_a_part_does_no_work_when_imported():
    """A part's __init__ is its docstring and nothing else: importing lupus_utils.science reads no
    file and imports nothing that the caller did not ask for."""
    busy = {}
    for part in PARTS:
        body = ast.parse((PACKAGE / part / "__init__.py").read_text(encoding="utf-8")).body
        code = [n for n in body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        if code:
            busy[part] = len(code)
    assert busy == {}


def test_no_module_reaches_the_length_limit():
    long = {m: n for m, p in _modules().items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= LONGEST_MODULE}
    assert long == {}


def test_notebooks_import_the_public_api_or_the_presentation_part():
    found = {}
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            src = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(src)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lupus_utils"):
                    found.setdefault(node.module, set()).add(nb.stem)
                    if node.module == "lupus_utils":   # from lupus_utils import science: a part, not the API
                        for a in node.names:
                            if a.name in PARTS:
                                found.setdefault(f"lupus_utils.{a.name}", set()).add(nb.stem)
                elif isinstance(node, ast.Import):
                    for a in node.names:
                        if a.name.startswith("lupus_utils"):
                            found.setdefault(a.name, set()).add(nb.stem)
    allowed = lambda m: m == "lupus_utils" or m.split(".")[:2] == ["lupus_utils", "presentation"]  # noqa: E731
    assert {m: sorted(nbs) for m, nbs in found.items() if not allowed(m)} == {}
