"""Warm kernels: one Jupyter kernel executes many report notebooks, still through papermill.

Starting a kernel and importing pandas, matplotlib and kaohe costs about two seconds; a
report executed in a kernel that already has them costs a fraction of that. A
``WarmKernel`` starts once, imports the heavy modules once (``kaohe.report.warm``), and
between notebooks resets the kernel to the state it had right after those imports: user
namespace and history, matplotlib figures and rcParams, warnings filters, working
directory, ``sys.path``. It restarts every ``restart_every`` notebooks and after any
failure, so a report that broke the kernel cannot touch the next one.

Notebooks run through ``papermill.execute_notebook`` as before (parameters cell, injected
parameters, papermill's error cell); the only difference is the ``kaohe-warm`` engine, which
hands papermill's notebook client the running kernel instead of letting it start one.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from ..errors import KaoheError, Problem, display_path
from .execute import _ANSI, NativeKernelManager, clean, output_problems

ENGINE = "kaohe-warm"
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]

WARM_UP = "import kaohe.report.warm as _kaohe_warm\n_kaohe_warm.snapshot()\ndel _kaohe_warm\n"
RESET = ("get_ipython().run_line_magic('reset', '-f')\n"
         "import kaohe.report.warm as _kaohe_warm\n_kaohe_warm.restore()\ndel _kaohe_warm\n")

log = logging.getLogger(__name__)


class WarmEngine(NBClientEngine):
    """papermill's nbclient engine, given a running kernel (``km``, ``kc``) to execute in.

    The client does not own the kernel manager, so nbclient leaves the kernel running after
    the notebook; the executed notebook is also put in ``keep`` so a failed one can be saved
    with papermill's error cell."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 **kwargs):
        km, kc, keep = kwargs.pop("km"), kwargs.pop("kc"), kwargs.pop("keep")
        kwargs.pop("input_path", None)
        client = PapermillNotebookClient(
            nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
            kernel_name=kernel_name, log=log, log_output=log_output,
            stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
        client.kc = kc
        keep.append(nb_man.nb)
        return client.execute()


papermill_engines.register(ENGINE, WarmEngine)


def save_failed(nb, path: Path) -> None:
    """Write an executed notebook that failed, with papermill's error cell on top (what
    ``papermill`` itself writes to its output path), atomically."""
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import raise_for_execution_errors

    from .files import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        try:
            raise_for_execution_errors(nb, str(tmp))
        except PapermillExecutionError:
            return
        import nbformat

        nbformat.write(nb, str(tmp))  # no error cell (output problems): the notebook as run


class WarmKernel:
    """A kernel that executes report notebooks one after another.

    ``cwd`` is the kernel's working directory. ``restart_every`` notebooks (and after a
    failure) the kernel is replaced by a fresh one."""

    def __init__(self, cwd: Path | None, restart_every: int, timeout: int = 600) -> None:
        self.cwd = cwd
        self.restart_every = max(1, restart_every)
        self.timeout = timeout
        self.km: Any = None  # the kernel manager and client of the running kernel
        self.kc: Any = None
        self.runs = 0  # notebooks executed by the current kernel
        self.starts = 0  # kernels started so far

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        km = NativeKernelManager(kernel_name="python3")
        run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGS,
                                  cwd=str(self.cwd) if self.cwd else None)
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=60)
        except Exception:
            kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
            raise
        self.km, self.kc, self.runs = km, kc, 0
        self.starts += 1
        self._run_code(WARM_UP, "预热内核")

    def stop(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            with contextlib.suppress(Exception):  # already gone: nothing to stop
                run_sync(self.km.shutdown_kernel)(now=True)
            run_sync(self.km.cleanup_resources)()
        self.km = self.kc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    # -- executing --------------------------------------------------------------------------
    def execute(self, notebook: Path, parameters: dict, what: str,
                failed: Path | None = None):
        """Run ``notebook`` with ``parameters``; the cleaned, checked result. On failure the
        executed notebook is saved to ``failed`` (when given) and the kernel restarted."""
        import papermill
        from papermill.exceptions import PapermillExecutionError

        if self.km is None or self.runs >= self.restart_every or not run_sync(self.km.is_alive)():
            self.restart()
        where = display_path(notebook)
        keep: list = []
        self.runs += 1
        try:
            nb = papermill.execute_notebook(
                str(notebook), None, parameters=parameters, engine_name=ENGINE,
                kernel_name="python3", progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, execution_timeout=self.timeout,
                km=self.km, kc=self.kc, keep=keep)
        except PapermillExecutionError as exc:
            self._after_failure(keep, failed)
            raise KaoheError([Problem(where, f"单元格{exc.exec_count or ''}", "",
                                      f"生成“{what}”时出错：{exc.ename}: "
                                      f"{_ANSI.sub('', str(exc.evalue))}")]) from None
        except Exception as exc:  # the kernel died or timed out: a problem of this page only
            self._after_failure(keep, failed)
            raise KaoheError([Problem(where, "", "", f"生成“{what}”时内核出错："
                                                     f"{type(exc).__name__}: {exc}")]) from None
        problems = output_problems(nb, where)
        if problems:
            self._after_failure([nb], failed)
            raise KaoheError(problems)
        self._run_code(RESET, "重置内核")
        return clean(nb)

    def _after_failure(self, keep: list, failed: Path | None) -> None:
        if failed is not None and keep:
            save_failed(keep[-1], failed)
        self.stop()  # the next notebook gets a fresh kernel

    def _run_code(self, code: str, what: str) -> None:
        """Run kaohe's own set-up code; any output or error means the kernel is unusable."""
        seen: list[str] = []

        def hook(msg) -> None:
            kind = msg["msg_type"]
            if kind in ("stream", "error", "display_data", "execute_result"):
                seen.append(f"{kind}: {msg['content']}")

        reply = run_sync(self.kc.execute_interactive)(
            code, silent=False, store_history=False, timeout=self.timeout, output_hook=hook)
        if reply["content"]["status"] != "ok" or seen:
            detail = "；".join(seen)[:300] or reply["content"].get("evalue", "")
            self.stop()
            raise KaoheError([Problem("kaohe", "", "", f"{what}失败：{detail}")])
