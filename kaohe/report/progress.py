"""Build progress: a bar with counts and ETA on a terminal, plain lines elsewhere (CI logs).

The total grows while the build plans scheme-years, so the bar is told of pages as they
are queued (``add``) and of pages done (``advance``)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

LINE_EVERY = 10.0  # seconds between plain progress lines


def _on_terminal() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


class Progress:
    """Counts pages done out of pages queued; ``enabled`` None: a bar on a terminal only."""

    def __init__(self, log: Callable[[str], None], enabled: bool | None = None) -> None:
        self.log = log
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self._last_line = self.started
        self.bar = None
        if enabled if enabled is not None else _on_terminal():
            from tqdm import tqdm

            self.bar = tqdm(total=0, unit="份", desc="生成报告", dynamic_ncols=True,
                            file=sys.stderr)

    def add(self, n: int) -> None:
        self.total += n
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif time.monotonic() - self._last_line >= LINE_EVERY or self.done == self.total:
            self._last_line = time.monotonic()
            self.log(self.line())

    def line(self) -> str:
        """``进度 120/1202（10%），已用 35 秒，预计还需 5 分 16 秒``"""
        spent = time.monotonic() - self.started
        pct = 100 * self.done / self.total if self.total else 100.0
        text = f"进度 {self.done}/{self.total}（{pct:.0f}%），已用 {_duration(spent)}"
        if 0 < self.done < self.total:
            text += f"，预计还需 {_duration(spent / self.done * (self.total - self.done))}"
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} 秒"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} 分 {s} 秒"
    h, m = divmod(m, 60)
    return f"{h} 小时 {m} 分"
