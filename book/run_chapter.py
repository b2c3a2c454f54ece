"""Execute one chapter with papermill (called by build.py in its own process).

    python book/run_chapter.py NOTEBOOK OUTPUT PARAMETERS_JSON

The kernel is shut down immediately after the last cell: a graceful shutdown of a kernel that
rendered widgets can hang, and the outputs are complete by then."""
import json
import sys
from pathlib import Path

import papermill as pm

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    notebook, output, params = argv[1], argv[2], json.loads(argv[3])
    try:
        pm.execute_notebook(notebook, output, parameters=params, kernel_name="python3",
                            progress_bar=False, cwd=str(ROOT / "notebooks"), shutdown_kernel="immediate")
    except pm.PapermillExecutionError as err:
        print(f"cell {err.exec_count}: {err.ename}: {err.evalue}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
