"""Which pages a build makes and where they go (pure: no I/O).

Layout under the output directory, every link relative so the tree works opened from the
file system, copied or zipped:

    index.html                                 all scheme-years
    static/kaohe.css                           the stylesheet (each page carries it inlined)
    <scheme>/<key>/index.html                  one scheme-year (key: params file stem)
    <scheme>/<key>/bulletin.html               通报
    <scheme>/<key>/internal.html               考核办内部分析 (内部资料, not for units)
    <scheme>/<key>/bulletin.pdf                通报 as a GB/T 9704 公文 (print, with the HTML)
    <scheme>/<key>/bulletin.docx               通报 for editing before 审签 (Word)
    <scheme>/<key>/rubric.docx, rubric.xlsx    考核指标体系, the rubric as its attachment
    <scheme>/<key>/units/<page>.html           反馈, one per unit (and <page>.pdf)
    <scheme>/<key>/data/                       score tables and provenance.json
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

STYLESHEET = PurePosixPath("static/kaohe.css")
TOP_INDEX = PurePosixPath("index.html")
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,80}")


def page_name(unit_id: str) -> str:
    """A file name for a unit's report: the id when it is a plain slug, else a stable hash
    (ids may be Chinese or carry characters a file system or a URL would mangle)."""
    if _SAFE.fullmatch(unit_id):
        return unit_id
    return "u-" + hashlib.sha256(unit_id.encode("utf-8")).hexdigest()[:12]


def pdf_path(page: str | PurePosixPath) -> PurePosixPath:
    """A page's print document: ``x.html`` → ``x.pdf``."""
    return PurePosixPath(page).with_suffix(".pdf")


def relative(from_page: PurePosixPath, target: PurePosixPath) -> str:
    """The relative URL from one page of the tree to another file of it. Both are paths in
    the tree (relative, no ``..``), so this is path arithmetic: ``posixpath.relpath`` made
    the absolute paths of the working directory for every link, 0.2 s of a no-change
    rebuild of every scheme-year."""
    src, dst = from_page.parent.parts, PurePosixPath(target).parts
    common = 0
    while common < min(len(src), len(dst)) and src[common] == dst[common]:
        common += 1
    return posixpath.join(*[".."] * (len(src) - common), *dst[common:]) if \
        len(src) > common or len(dst) > common else "."


@dataclass(frozen=True)
class SchemeYear:
    """One rubric file: ``params/<scheme>/<key>.yaml`` → ``<scheme>/<key>/``."""

    scheme: str
    key: str
    title: str

    @property
    def root(self) -> PurePosixPath:
        return PurePosixPath(self.scheme) / self.key

    @property
    def index(self) -> PurePosixPath:
        return self.root / "index.html"

    @property
    def bulletin(self) -> PurePosixPath:
        return self.root / "bulletin.html"

    @property
    def internal(self) -> PurePosixPath:
        return self.root / "internal.html"

    @property
    def data(self) -> PurePosixPath:
        return self.root / "data"

    @property
    def bulletin_docx(self) -> PurePosixPath:
        return self.root / "bulletin.docx"

    @property
    def rubric_docx(self) -> PurePosixPath:
        return self.root / "rubric.docx"

    @property
    def rubric_xlsx(self) -> PurePosixPath:
        return self.root / "rubric.xlsx"

    def unit_page(self, unit_id: str) -> PurePosixPath:
        return self.root / "units" / f"{page_name(unit_id)}.html"


@dataclass(frozen=True)
class Page:
    """One notebook execution and the HTML page it becomes."""

    kind: str  # "bulletin" | "internal" | "unit"
    notebook: str
    path: PurePosixPath  # relative to the output directory
    title: str
    parameters: dict[str, Any] = field(default_factory=dict)
    crumbs: tuple[tuple[str, str], ...] = ()

    def resources(self) -> dict[str, Any]:
        """What the HTML template needs: title, stylesheet link, breadcrumbs."""
        return {"title": self.title, "kind": self.kind,
                "css": relative(self.path, STYLESHEET),
                "crumbs": [list(c) for c in self.crumbs], "here": self.title}


def bulletin_title(title: str) -> str:
    """长寿区2023年度……考核 → 长寿区2023年度……考核结果通报 (the office's style)."""
    return title + "结果通报"


def internal_title(title: str) -> str:
    return title + "：考核办内部分析"


def feedback_title(title: str, unit_name: str) -> str:
    return f"{title}结果反馈（{unit_name}）"


def pages(sy: SchemeYear, params: Path, scores_dir: Path,
          units: list[tuple[str, str]]) -> list[Page]:
    """The bulletin, the internal page and one feedback page per (unit_id, name), in the
    given order."""
    def crumbs(path: PurePosixPath) -> tuple[tuple[str, str], ...]:
        return (("全部报告", relative(path, TOP_INDEX)), (sy.title, relative(path, sy.index)))

    common = {"params": str(params.resolve()), "scores_dir": str(scores_dir.resolve())}
    out = [Page("bulletin", "bulletin.ipynb", sy.bulletin, bulletin_title(sy.title),
                dict(common), crumbs(sy.bulletin)),
           Page("internal", "internal.ipynb", sy.internal, internal_title(sy.title),
                dict(common), crumbs(sy.internal))]
    for unit_id, name in units:
        path = sy.unit_page(unit_id)
        out.append(Page("unit", "unit.ipynb", path, feedback_title(sy.title, name),
                        {**common, "unit_id": unit_id}, crumbs(path)))
    return out
