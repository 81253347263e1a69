"""Execute a parameterised notebook with papermill and check what it printed.

The kernel is always the interpreter running the build (ipykernel's native spec, whatever
kernels the user has installed), so a fresh clone's ``make reports`` needs no kernel
registration. An executed notebook is refused if any cell raised, wrote to stdout or
stderr (warnings land there) or showed an object with no HTML or image form (a Python
repr): such output must never reach a report, nor be silently dropped from one.
"""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

from ..errors import KaoheError, Problem, display_path

SHOWN = ("text/html", "image/svg+xml", "image/png")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NativeKernelManager(AsyncKernelManager):
    """A kernel manager that only knows ipykernel's native spec (this interpreter)."""

    @default("kernel_spec_manager")
    def _native_only(self) -> KernelSpecManager:
        return KernelSpecManager(kernel_dirs=[], parent=self)


def output_problems(nb, where: str) -> list[Problem]:
    """Everything in an executed notebook's outputs that must not be in a report."""
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                msg = f"运行出错：{out.get('ename', '')}: {_ANSI.sub('', out.get('evalue', ''))}"
            elif kind == "stream":
                msg = f"输出了 {out.get('name')}：{_ANSI.sub('', out.get('text', ''))[:300].strip()}"
            elif kind in ("display_data", "execute_result") and not set(out.get("data", {})) & set(SHOWN):
                text = out.get("data", {}).get("text/plain", "")
                msg = f"显示了没有 HTML 或图片形式的对象：{str(text)[:200]}"
            else:
                continue
            problems.append(Problem(where, f"单元格{i + 1}", "", msg))
    return problems


def clean(nb):
    """Drop what papermill and nbclient record about the run (times, durations, paths)."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.execution_count = None
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = None
    return nb


def execute(notebook: Path, parameters: dict, what: str, timeout: int = 600,
            cwd: Path | None = None, failed: Path | None = None):
    """Run ``notebook`` with ``parameters`` in a fresh kernel; the cleaned, checked result.
    ``cwd`` is the kernel's working directory (the notebook's own directory gives the
    default parameters' relative paths the meaning they have in JupyterLab). A notebook
    that fails is written to ``failed`` when given (papermill adds its error cell)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    where = display_path(notebook)
    try:
        nb = papermill.execute_notebook(
            str(notebook), str(failed) if failed else None, parameters=parameters,
            kernel_name="python3",
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            cwd=str(cwd) if cwd is not None else None,
            execution_timeout=timeout, kernel_manager_class=NativeKernelManager,
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except PapermillExecutionError as exc:
        raise KaoheError([Problem(where, f"单元格{exc.exec_count or ''}", "",
                                  f"生成“{what}”时出错：{exc.ename}: "
                                  f"{_ANSI.sub('', str(exc.evalue))}")]) from None
    problems = output_problems(nb, where)
    if problems:
        raise KaoheError(problems)
    if failed is not None and failed.exists():
        failed.unlink()  # papermill saved the successful run there too
    return clean(nb)
