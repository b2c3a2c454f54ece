"""The book build's chapter kernels, forked from a warm worker (book/warm_kernels.py): an ordinary
kernel in its own process group, with the working directory and environment asked for, the
worker's imports but none of its variables, and gone after shutdown."""
import json
import os
import subprocess
import sys
import textwrap

from lupus_utils.paths import PROJECT_ROOT

# Run in a process of its own: warm() replaces jupyter_client's launcher for the whole process,
# and this test process (an xdist worker) also runs nbval's kernels.
SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    import warm_kernels  # from book/, the working directory, as the build script imports it
    warm_kernels.warm()
    from jupyter_client import KernelManager
    WORKER_ONLY = 42
    km = KernelManager(kernel_name="python3")
    env = dict(os.environ, LUPUS_WARM_TEST="from the manager")
    km.start_kernel(cwd=sys.argv[1], env=env)
    proc = km.provisioner.process
    kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)
    out = []
    code = ("import os, sys, json; print(json.dumps({'cwd': os.getcwd(), 'env': os.environ.get('LUPUS_WARM_TEST'),"
            " 'pid': os.getpid(), 'own_group': os.getpgid(0) == os.getpid(), 'pandas': 'pandas' in sys.modules,"
            " 'worker_variable': 'WORKER_ONLY' in globals(), 'backend': __import__('matplotlib').get_backend()}))")
    reply = kc.execute_interactive(code, output_hook=lambda m: out.append(m["content"].get("text", "")), timeout=60)
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    result = json.loads("".join(out))
    result.update(forked=type(proc).__name__, status=reply["content"]["status"], exit=proc.returncode,
                  worker_pid=os.getpid())
    try:
        os.kill(result["pid"], 0)
        result["alive_after_shutdown"] = True
    except ProcessLookupError:
        result["alive_after_shutdown"] = False
    print(json.dumps(result))
""")


def test_a_forked_chapter_kernel_is_a_separate_clean_kernel(tmp_path):
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=PROJECT_ROOT / "book",
                         capture_output=True, text=True, timeout=120, env={**os.environ, "LUPUS_WARM_KERNELS": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["forked"] == "ForkedKernel" and result["status"] == "ok"
    assert result["cwd"] == str(tmp_path)
    assert result["env"] == "from the manager"
    assert result["pid"] != result["worker_pid"] and result["own_group"]
    assert result["pandas"] is True             # imported once, in the worker
    assert result["worker_variable"] is False   # but nothing of the worker's namespace
    assert result["backend"] == "module://matplotlib_inline.backend_inline"
    assert result["exit"] is not None and result["alive_after_shutdown"] is False


def test_switched_off_kernels_start_as_jupyter_client_starts_them(tmp_path):
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=PROJECT_ROOT / "book",
                         capture_output=True, text=True, timeout=120, env={**os.environ, "LUPUS_WARM_KERNELS": "0"})
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["forked"] == "Popen" and result["cwd"] == str(tmp_path) and result["alive_after_shutdown"] is False
