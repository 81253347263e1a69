"""Pages the office writes beside the reports, in the reports' style: a correction notice
(更正), the list of published versions, the internal page (returns, appeals, log).

Every text is escaped (``kaohe.report.html``); the body is assembled from escaped parts."""

from __future__ import annotations

from collections.abc import Sequence

from ..report.export import STYLE
from ..report.html import Column, table, tag
from ..report.index import SAMPLE_NOTE, _env


def page(title: str, heading: str, body: str, css: str, *, authority: str = "",
         crumbs: Sequence[tuple[str, str]] = (), sample: bool = False) -> str:
    """A whole HTML page: the reports' base layout around ``body`` (already escaped)."""
    return _env().get_template("office.html.j2").render(
        title=title, here=heading, heading=heading, css=css, style=STYLE, crumbs=list(crumbs),
        authority=authority, sample=sample, sample_note=SAMPLE_NOTE, body=body)


def grid(headers: Sequence[str], rows: Sequence[Sequence[object]], caption: str = "",
         nowrap: int = 0) -> str:
    """A table of texts; the first ``nowrap`` columns (short texts) kept on one line."""
    return table([Column(h, nowrap=i < nowrap) for i, h in enumerate(headers)],
                 [[str(c) for c in r] for r in rows], caption).html


def para(text: str, cls: str = "") -> str:
    return tag("p", text, cls)


def heading(text: str) -> str:
    return tag("h2", text)


__all__ = ["page", "grid", "para", "heading"]
