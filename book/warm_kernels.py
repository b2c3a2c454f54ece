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
    pid = os.fork()
    if pid:
        try:
            os.setpgid(pid, pid)  # also set by the child: whichever runs first, the group exists
        except OSError:
            pass
        return ForkedKernel(pid)
    stderr_fd = os.dup(2)
    try:  # the kernel
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        if cwd:
            os.chdir(cwd)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        import asyncio

        asyncio.events._set_running_loop(None)  # the worker's loop (left untouched) is not the kernel's
        asyncio.set_event_loop(asyncio.new_event_loop())
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = [sys.executable, "-m", "ipykernel_launcher", *args]
        app = IPKernelApp.instance()
        app.initialize(args)
        app.start()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    except BaseException:
        import traceback

        os.write(stderr_fd, traceback.format_exc().encode())  # ipykernel has taken sys.stderr
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


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
