"""The book build's chapter kernels, forked from a warm worker (book/warm_kernels.py), run the way
the build runs them (book/build.py's execute_all: papermill in a fork-context worker pool): each is
a kernel of its own that a fresh interpreter would be, not a copy of the worker. Checked against
the kernel the build would otherwise start (LUPUS_WARM_KERNELS=0)."""
import json
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest

from lupus_utils.paths import PROJECT_ROOT

PROBE = textwrap.dedent("""
    import json, os, signal, sys
    import numpy as np
    import matplotlib.pyplot as plt
    from ipykernel.kernelapp import IPKernelApp
    state = {"cwd": os.getcwd(), "pid": os.getpid(), "own_group": os.getpgid(0) == os.getpid(),
             "own_session": os.getsid(0) == os.getpid(), "sigterm_default": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
             "wakeup_fd": signal.set_wakeup_fd(-1), "parent_watched": IPKernelApp.instance().parent_handle == os.getppid(),
             "worker_variable": "WORKER_ONLY" in globals(), "random": float(np.random.random())}
    print(json.dumps(state))
""")
FIGURE = "plt.plot([0, 1], [1, 0]); plt.show()"

# Run in a process of its own: the pool's workers replace jupyter_client's launcher, and this test
# process (an xdist worker) also runs nbval's kernels.
RUN = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import build  # book/build.py, from book/ (the working directory)
    src = Path(sys.argv[1])
    books = sorted(src.parent.glob("chapter*.ipynb"))
    result = build.execute_all(books, src, {})
    print(json.dumps([[nb.name, err] for nb, err in result]))
""")


def _run_two_chapters(tmp_path, warm: str) -> list[dict]:
    for k in (1, 2):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE), nbformat.v4.new_code_cell(FIGURE)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp_path / f"chapter{k}.ipynb")
    src = tmp_path / "src"
    src.mkdir()
    run = subprocess.run([sys.executable, "-c", RUN, str(src)], cwd=PROJECT_ROOT / "book", capture_output=True,
                         text=True, timeout=240, env={**os.environ, "LUPUS_WARM_KERNELS": warm})
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == [["chapter1.ipynb", None], ["chapter2.ipynb", None]]
    out = []
    for k in (1, 2):
        done = nbformat.read(src / f"chapter{k}.ipynb", as_version=4)
        probe, figure = [c for c in done.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
        state = json.loads("".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream"))
        state["figure_types"] = sorted({t for o in figure.outputs for t in o.get("data", {})})
        out.append(state)
    return out


@pytest.mark.parametrize("warm", ["1", "0"])
def test_chapter_kernels_start_as_fresh_kernels(tmp_path, warm):
    a, b = _run_two_chapters(tmp_path, warm)
    for state in (a, b):
        assert state["own_group"] and state["own_session"]       # killpg never reaches the build
        assert state["sigterm_default"] and state["wakeup_fd"] == -1  # no handler of the worker's loop
        assert state["parent_watched"]                            # the kernel ends with its worker
        assert state["worker_variable"] is False
        assert "image/png" in state["figure_types"]              # plt.show() draws, inline
        assert state["cwd"] == str(PROJECT_ROOT / "notebooks")
    assert a["pid"] != b["pid"] and a["random"] != b["random"]   # numpy's global state is not shared
