"""Where pages are rendered: in this process, in local worker processes, or on a Dask
cluster. Every executor takes batches of ``PageTask`` and hands each ``PageResult`` back to
the build process (``on_done``, always called in the calling thread), which writes files.

A batch that cannot run at all (a worker process died, the cluster lost it) comes back as
one failure per page, never as an exception that stops the build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ..errors import KaoheError, Problem
from .worker import PageResult, PageTask, RenderOptions, close_local, render_batch

OnDone = Callable[[PageResult], None]
DASK_BATCH = 20  # ours: pages per Dask task (a task costs a scheduler round trip)


class Executor(Protocol):
    def submit(self, tasks: list[PageTask], on_done: OnDone) -> None: ...
    def drain(self, on_done: OnDone) -> None: ...
    def close(self) -> None: ...


def batches(tasks: list[PageTask], size: int) -> Iterable[list[PageTask]]:
    for i in range(0, len(tasks), max(1, size)):
        yield tasks[i:i + size]


def lost(batch: list[PageTask], exc: BaseException) -> list[PageResult]:
    """A batch whose worker failed as a whole: each page failed with the reason."""
    return [PageResult(t.path, t.key, problems=[Problem(
        t.notebook, "", "", f"生成“{t.title}”时工作进程出错：{type(exc).__name__}: {exc}")])
        for t in batch]


class InProcess:
    """Render in this process, one page after another (``--jobs 1``)."""

    def __init__(self, options: RenderOptions) -> None:
        self.options = options

    def submit(self, tasks: list[PageTask], on_done: OnDone) -> None:
        for t in tasks:
            for res in render_batch([t], self.options):
                on_done(res)

    def drain(self, on_done: OnDone) -> None:
        pass

    def close(self) -> None:
        close_local()


class _Futures:
    """Pending futures of batches; results handed back as they complete. A subclass says
    how one batch is started (``_start``) and how to wait for the rest (``drain``)."""

    batch: int = 1

    def __init__(self) -> None:
        self.pending: dict[Any, list[PageTask]] = {}  # future → its batch

    def _start(self, batch: list[PageTask]) -> Any:
        """Start one batch; a future (concurrent.futures or Dask) of its results."""
        raise NotImplementedError

    def submit(self, tasks: list[PageTask], on_done: OnDone) -> None:
        for b in batches(tasks, self.batch):
            self.pending[self._start(b)] = b
        self.collect([f for f in list(self.pending) if f.done()], on_done)

    def collect(self, done: Iterable[Any], on_done: OnDone) -> None:
        for fut in done:
            batch = self.pending.pop(fut)
            try:
                results = fut.result()
            except Exception as exc:  # the worker died or the cluster lost the task
                results = lost(batch, exc)
            for res in results:
                on_done(res)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which stops the build and prints one line
    (otherwise every worker prints its own KeyboardInterrupt traceback)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessPool(_Futures):
    """Spawned worker processes, each with its own warm kernel. Spawned, not forked: each
    worker starts its kernels from its own process (kernels started from forked copies
    race for ports)."""

    def __init__(self, jobs: int, options: RenderOptions, batch: int = 1) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        super().__init__()
        self.options = options
        self.batch = batch
        self.pool = ProcessPoolExecutor(max_workers=jobs,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_ignore_sigint)

    def _start(self, batch: list[PageTask]) -> Any:
        return self.pool.submit(render_batch, batch, self.options)

    def drain(self, on_done: OnDone) -> None:
        from concurrent.futures import as_completed

        self.collect(as_completed(list(self.pending)), on_done)

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class DaskCluster(_Futures):
    """Batches of pages as tasks on a Dask distributed scheduler. Workers need kaohe, the
    notebooks, rubrics and score tables at the same paths (a shared file system); the HTML
    comes back to this process, which writes it."""

    def __init__(self, scheduler: str, options: RenderOptions, batch: int = DASK_BATCH) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - distributed is a pinned dependency
            raise KaoheError([Problem("--executor", "", "", "未安装 dask.distributed")]) from exc
        super().__init__()
        self.options = options
        self.batch = batch
        try:
            self.client = Client(scheduler, timeout="30s")  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise KaoheError([Problem("--scheduler", "", "",
                                      f"无法连接 Dask 调度器 {scheduler}：{exc}")]) from exc

    def _start(self, batch: list[PageTask]) -> Any:
        return self.client.submit(render_batch, batch, self.options, pure=False)

    def drain(self, on_done: OnDone) -> None:
        from distributed import as_completed

        self.collect(as_completed(list(self.pending)), on_done)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]


def make_executor(kind: str, *, jobs: int | None, scheduler: str | None,
                  options: RenderOptions, batch: int | None = None) -> Executor:
    """``local``: ``jobs`` worker processes (None: one per core; 1: this process);
    ``dask``: the scheduler at ``scheduler``."""
    if kind == "dask":
        if not scheduler:
            raise KaoheError([Problem("--scheduler", "", "",
                                      "使用 --executor dask 时须给出调度器地址，如 tcp://10.0.0.1:8786")])
        return DaskCluster(scheduler, options, batch or DASK_BATCH)
    if kind != "local":
        raise KaoheError([Problem("--executor", "", "", f"未知的执行方式：{kind}（local 或 dask）")])
    n = jobs if jobs is not None else (os.cpu_count() or 1)
    if n <= 1:
        return InProcess(options)
    return ProcessPool(n, options, batch or 1)
