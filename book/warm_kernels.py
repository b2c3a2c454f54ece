"""Chapter kernels forked from a warm worker, for the book build (``book/build.py``).

Every chapter imports pandas, matplotlib, seaborn, scipy and the library: about 2.6 s of CPU in
each of the twelve kernels when each starts from nothing. A build worker imports them once
(:func:`warm`) and then starts each chapter's kernel by forking itself (:func:`launch_kernel`, put
in place of jupyter_client's ``launch_kernel`` for the local provisioner) rather than by starting a
new interpreter. The forked kernel is an ordinary ipykernel in its own process and process group,
with the environment and working directory jupyter_client asked for; what it inherits is modules
already imported, never a variable of another chapter (the worker runs no chapter code itself).

``LUPUS_WARM_KERNELS=0`` turns this off (kernels start as jupyter_client starts them).
"""
from __future__ import annotations

import os
import signal
import sys

#: What the chapters import; only imports, no state.
WARM_MODULES = ("numpy", "pandas", "scipy.stats", "matplotlib", "matplotlib.pyplot",
                "matplotlib_inline.backend_inline", "seaborn", "IPython", "ipykernel.kernelapp",
                "ipywidgets", "openpyxl", "great_tables", "statsmodels.formula.api", "lifelines",
                "lupus_utils", "lupus_utils.presentation.report", "lupus_utils.presentation.tables", "lupus_utils.presentation.journal",
                "lupus_utils.science.results", "lupus_utils.science.subgroups", "lupus_utils.presentation.plots", "lupus_utils.presentation.scorecard",
                "lupus_utils.presentation.widgets", "lupus_utils.presentation.context", "lupus_utils.presentation.explorer",
                "lupus_utils.science.longitudinal")


def enabled() -> bool:
    return os.environ.get("LUPUS_WARM_KERNELS", "1") not in ("0", "no", "false") and hasattr(os, "fork")


class ForkedKernel:
    """The forked kernel, seen as jupyter_client sees a ``Popen``: ``pid``, ``poll``, ``wait``,
    ``send_signal``, ``terminate``, ``kill``, ``returncode``."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def _reap(self, flags: int) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, flags)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        if timeout is None:
            return self._reap(0)
        import time

        end = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < end:
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def launch_kernel(cmd: list[str], stdin=None, stdout=None, stderr=None, env=None, independent=False,
                  cwd=None, **kw) -> ForkedKernel:
    """jupyter_client's ``launch_kernel`` for an ipykernel command (``... -m ipykernel_launcher -f
    CONNECTION_FILE``), by fork; any other command is started as jupyter_client starts it."""
    if "ipykernel_launcher" not in cmd:
        from jupyter_client.launcher import launch_kernel as spawn

        return spawn(cmd, stdin=stdin, stdout=stdout, stderr=stderr, env=env, independent=independent, cwd=cwd, **kw)
    args = cmd[cmd.index("ipykernel_launcher") + 1:]
    sys.stdout.flush()
    sys.stderr.flush()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(ready_w)
        ready = os.read(ready_r, 1)  # the kernel has its own session and process group
        os.close(ready_r)
        if ready != b"1":
            os.waitpid(pid, 0)
            raise RuntimeError("the forked chapter kernel failed before it started (see the kernels' log)")
        return ForkedKernel(pid)
    code, stderr_fd = 1, 2
    try:  # the kernel: whatever happens here ends in os._exit, never back in the worker
        stderr_fd = os.dup(2)  # ipykernel takes fd 2 over; a failure is written here
        os.close(ready_r)
        os.setsid()  # its own session and process group, as jupyter_client's launcher gives it
        os.write(ready_w, b"1")
        os.close(ready_w)
        code = _run_kernel(args, env, cwd, parent=os.getppid())
    except BaseException:
        try:
            import traceback

            os.write(stderr_fd, traceback.format_exc().encode())
        except BaseException:
            pass
    finally:
        os._exit(code)


def _fresh_process_state(env: dict | None, cwd: str | None, parent: int) -> None:
    """In the forked kernel, undo what the worker's state would otherwise leak into it: signal
    handlers and the signal wake-up fd of the worker's event loop, its running loop, its
    environment and directory, numpy's global random state; standard input from /dev/null."""
    import asyncio

    signal.set_wakeup_fd(-1)
    for sig in signal.valid_signals():
        try:
            if callable(signal.getsignal(sig)):  # a Python handler of the worker's (asyncio, nbclient)
                signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError, TypeError):
            continue
    signal.signal(signal.SIGINT, signal.default_int_handler)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if cwd:
        os.chdir(cwd)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    os.environ["JPY_PARENT_PID"] = str(parent)  # as jupyter_client's launcher sets it
    asyncio.events._set_running_loop(None)  # the worker's loop (left untouched) is not the kernel's
    asyncio.set_event_loop(asyncio.new_event_loop())
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # fresh entropy, as a new interpreter has
    import random

    random.seed()


def _run_kernel(args: list[str], env: dict | None, cwd: str | None, parent: int) -> int:
    """Set up the forked process as a new kernel would be, then run ipykernel until it is shut
    down; its exit code."""
    _fresh_process_state(env, cwd, parent)
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = [sys.executable, "-m", "ipykernel_launcher", *args]
    # the parent watcher (the kernel ends with its worker), which the environment variable sets
    # only when ipykernel is imported, and ipykernel is imported in the worker
    app = IPKernelApp.instance(parent_handle=parent)
    try:
        app.initialize(args)
        # matplotlib's inline backend hooks into the kernel's shell when it is imported; it was
        # imported in the worker, which has no shell, so hook it now (plt.show() gives an image)
        from matplotlib_inline import backend_inline

        backend_inline._enable_matplotlib_integration()
        app.start()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def warm() -> None:
    """In a build worker, before any chapter: import what the chapters import (with matplotlib's
    backend the kernel would choose) and start kernels by fork."""
    if not enabled():
        return
    import importlib

    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for module in WARM_MODULES:
        importlib.import_module(module)
    from jupyter_client.provisioning import local_provisioner

    local_provisioner.launch_kernel = launch_kernel
