"""Copy the outputs of the golden cells (tag ``nbval-check-output``) from the executed chapters
in build/src into notebooks/, and strip every other output. Run after ``make book`` when a
result changed on purpose (``make golden``); review the diff before committing."""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = "nbval-check-output"


def refresh(executed_dir: Path = ROOT / "build" / "src", notebooks_dir: Path = ROOT / "notebooks") -> list[str]:
    changed = []
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        done = nbformat.read(executed_dir / path.name, as_version=4)
        by_id = {c.get("id"): c for c in done.cells}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if GOLDEN in cell.metadata.get("tags", []):
                src = by_id.get(cell.get("id"))
                if src is None:
                    raise SystemExit(f"{path.name}: golden cell {cell.get('id')} not found in the executed copy")
                cell.outputs = [o for o in src.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout"]
                cell.execution_count = 1
            else:
                cell.outputs = []
                cell.execution_count = None
        before = path.read_text()
        nbformat.write(nb, path)
        if path.read_text() != before:
            changed.append(path.name)
    return changed


if __name__ == "__main__":
    changed = refresh()
    print("golden outputs refreshed in: " + (", ".join(changed) if changed else "nothing changed"))
    sys.exit(0)
