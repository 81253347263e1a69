"""Rendering report pages where the kernels run: in the build process, in a local worker
process, or on a Dask worker. Light on imports (no pandas, no scoring), so a spawned worker
starts quickly.

A worker keeps one ``WarmKernel`` and one HTML exporter per thread for its whole life. It
returns each page's HTML (or its problems and the failed notebook) to the build process,
which alone writes files, atomically: a worker never touches the output tree.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KaoheError, Problem

RESTART_EVERY = 200  # ours: a warm kernel is replaced after this many pages


@dataclass(frozen=True)
class PageTask:
    """One page to render: its notebook, parameters and HTML resources; ``path`` is where
    the build will write it (relative to the output directory) and ``key`` its build key."""

    notebook: str
    parameters: dict
    title: str
    resources: dict
    path: str
    key: str


@dataclass(frozen=True)
class RenderOptions:
    """How pages are executed: a fresh kernel per page (audited builds) or warm kernels
    restarted every ``restart_every`` pages; ``cwd`` is the kernels' working directory."""

    fresh: bool = False
    restart_every: int = RESTART_EVERY
    timeout: int = 600
    cwd: str | None = None


@dataclass
class PageResult:
    """A rendered page, or why it failed (and the executed notebook, when there is one)."""

    path: str
    key: str
    html: str | None = None
    pdf: bytes | None = None  # the page as a print document, when the task asks for one
    problems: list[Problem] = field(default_factory=list)
    failed_notebook: str | None = None

    @property
    def ok(self) -> bool:
        return self.html is not None


class Renderer:
    """Executes page notebooks and exports them; one per thread of a worker."""

    def __init__(self, options: RenderOptions) -> None:
        from .export import Exporter

        self.options = options
        self.exporter = Exporter()
        self.kernel = None
        if not options.fresh:
            from .kernel import WarmKernel

            self.kernel = WarmKernel(Path(options.cwd) if options.cwd else None,
                                     restart_every=options.restart_every,
                                     timeout=options.timeout)

    def render(self, task: PageTask) -> PageResult:
        """The page's HTML, or its problems; never raises for a page's own failure."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="kaohe-failed-") as tmp:
            failed = Path(tmp) / "failed.ipynb"
            try:
                nb = self._execute(task, failed)
                html = self.exporter.export(nb, task.resources)
                pdf = self._pdf(html, task)
            except KaoheError as exc:
                kept = failed.read_text(encoding="utf-8") if failed.exists() else None
                return PageResult(task.path, task.key, problems=list(exc.problems),
                                  failed_notebook=kept)
            except Exception as exc:  # anything else is still this page's failure only
                return PageResult(task.path, task.key, problems=[Problem(
                    task.notebook, "", "", f"生成“{task.title}”失败：{type(exc).__name__}: {exc}")])
        return PageResult(task.path, task.key, html=html, pdf=pdf)

    def _pdf(self, html: str, task: PageTask) -> bytes | None:
        """The page's PDF (``kaohe.report.pdf``), when its resources carry print settings."""
        if not task.resources.get("print"):
            return None
        from .pdf import renderer

        return renderer().render(html, task.resources)

    def _execute(self, task: PageTask, failed: Path):
        notebook = Path(task.notebook)
        if self.kernel is not None:
            return self.kernel.execute(notebook, task.parameters, task.title, failed=failed)
        from .execute import execute

        cwd = Path(self.options.cwd) if self.options.cwd else None
        return execute(notebook, task.parameters, task.title, timeout=self.options.timeout,
                       cwd=cwd, failed=failed)

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.stop()


_LOCAL = threading.local()
_ALL: list[Renderer] = []


def _renderer(options: RenderOptions) -> Renderer:
    r = getattr(_LOCAL, "renderer", None)
    if r is None or r.options != options:
        if r is not None:
            r.close()
        r = _LOCAL.renderer = Renderer(options)
        _ALL.append(r)
    return r


def render_batch(tasks: list[PageTask], options: RenderOptions) -> list[PageResult]:
    """Render ``tasks`` in this process's (this thread's) warm kernel, one after another."""
    r = _renderer(options)
    return [r.render(t) for t in tasks]


def close_local() -> None:
    """Stop this thread's renderer and its kernel (the build process's, after a build)."""
    r = getattr(_LOCAL, "renderer", None)
    if r is not None:
        r.close()
        _LOCAL.renderer = None


@atexit.register
def _stop_kernels() -> None:
    for r in _ALL:
        r.close()
