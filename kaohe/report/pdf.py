"""PDF documents from the rendered report pages, typeset by Typst.

A page's HTML is read into a tree of print blocks (``kaohe.report.printtree``) and laid out
by one static template, ``print/gongwen.typ``, which gets the tree as JSON: the bulletin is
composed as a GB/T 9704 公文 (版头 with the issuing mark, the bulletin's own 发文字号 and
the red rule; 主送; the body; 附件说明; 落款 and 成文日期; the result tables as 附件1; 版记
with 抄送 and 印发 lines), a unit report gets the unit's name as a running header. The
hooks into the page are few on purpose (``main``, the ``h1``, an ``h2`` whose text holds
考核结果), so the pages' content can change without this module.

Typst (PyPI ``typst``, a compiled typesetting engine) was chosen by measurement
(docs/print.md): a unit report's PDF costs a fraction of what its HTML page costs, fonts are
embedded as subsets, text is selectable, headings become bookmarks, and nothing outside the
wheel is needed at run time. Only the bundled fonts (or the office's own) are used, never
the machine's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from ..publication import annex_mark
from .printtree import column_widths, page_tree

HERE = Path(__file__).resolve().parent
FONTS = HERE / "fonts"
TEMPLATE = HERE / "print" / "gongwen.typ"

# Role → bundled file. 仿宋 and 楷体 have no open simplified-Chinese face we can ship, so
# the closest open faces stand in (docs/print.md says so): Noto Serif (a 宋体) for 仿宋 and
# 楷体, Noto Serif Bold for 小标宋, Noto Sans (a 黑体) for 黑体.
BUNDLED = {
    "fangsong": "NotoSerifSC-Regular.otf",
    "xiaobiaosong": "NotoSerifSC-Bold.otf",
    "heiti": "NotoSansSC-Regular.otf",
    "kaiti": "NotoSerifSC-Regular.otf",
    "song": "NotoSerifSC-Regular.otf",
}
# The face of the full Noto Sans CJK collection that stands in for characters the bundled
# subsets lack: the monospaced SC face has the same CJK glyphs as Noto Sans CJK SC and,
# unlike it, a family name no bundled file has.
FALLBACK_FAMILY = "Noto Sans Mono CJK SC"
TEXT_WIDTH_PT = 156 / 25.4 * 72  # GB/T 9704 text block width
# Table text (pt): a bulletin's body tables, its 附件 (the full results, many columns), and
# the denser unit and internal reports. Column widths are worked out here, from these sizes.
TABLE_PT = {"bulletin": 10.5, "annex": 9.0, "report": 9.5}
CELL_PADDING_PT = 2 * 1.2 / 25.4 * 72  # the template's cell inset, left plus right
MARK_MAX_PT = 42.0  # ours: the issuing mark's size when it is short
RESULTS = "考核结果"  # the bulletin section whose tables become 附件1


def fallback_font() -> Path:
    """The full Noto Sans CJK collection (PyPI ``noto-cjk-sans-otc``), for characters the
    bundled subsets lack."""
    import noto_cjk_sans_otc

    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def font_files(office: dict[str, str] | None = None) -> dict[str, str]:
    """Role → font file: the office's own where given and present, else the bundled face."""
    office = office or {}
    out = {}
    for role, name in BUNDLED.items():
        own = office.get(role) or (office.get("fangsong") if role == "song" else None)
        out[role] = own if own and Path(own).is_file() else str(FONTS / name)
    return out


def fonts_resource(office: dict[str, str] | None) -> dict[str, list[str]]:
    """Font files with their digests: part of a page's build key, so replacing a font file
    makes the PDFs again."""
    out = {}
    for role, path in font_files(office).items():
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if office and \
            office.get(role) == path else "bundled"
        out[role] = [path, digest]
    return out


def mark_size(text: str) -> float:
    """The issuing mark in one line across the text block (GB/T 9704 7.2.2: its size is the
    office's choice, smaller than the title's is not required)."""
    return round(min(MARK_MAX_PT, TEXT_WIDTH_PT / max(len(text), 1) * 0.98), 2)


def compose_bulletin(tree: dict[str, Any], pub: dict) -> None:
    """Make the bulletin's tree a 公文: the publication details as printed (missing ones
    already 〔待填〕, see ``kaohe.publication.printed``), the results section's tables moved
    into 附件1 (the body keeps its text and points to the attachment)."""
    annex = annex_mark(pub["attachments"])
    tree["publication"] = {**pub, "mark_size": mark_size(pub["issuer_mark"]), "annex_mark": annex}
    tree["annex"] = []
    blocks = tree["blocks"]
    start = next((i for i, b in enumerate(blocks)
                  if b["t"] == "h" and b["level"] == 2 and _title(b["text"]) == RESULTS),
                 None)
    if start is None:
        return
    end = next((i for i in range(start + 1, len(blocks))
                if blocks[i]["t"] == "h" and blocks[i]["level"] <= 2), len(blocks))
    moved = [i for i in range(start + 1, end)
             if _has_table(blocks[i]) or (blocks[i]["t"] == "h" and blocks[i]["level"] == 3)]
    if not any(_has_table(blocks[i]) for i in moved):
        return
    tree["annex"] = [blocks[i] for i in moved]
    note = {"t": "p", "text": f"各单位考核结果见{annex}。", "class": ""}
    kept = [b for i, b in enumerate(blocks) if i not in set(moved) or i == moved[0]]
    tree["blocks"] = [note if b is blocks[moved[0]] else b for b in kept]
    for b in _tables(tree["annex"]):
        b["annex"] = True


def _title(heading: str) -> str:
    """A section heading without its number: "六、考核结果" → "考核结果" (other sections'
    titles can hold the words too, e.g. "三、连续年度考核结果运用")."""
    return heading.split("、", 1)[-1].strip()


def _has_table(block: dict) -> bool:
    return any(True for _ in _tables([block]))


def _tables(blocks: list[dict]):
    for b in blocks:
        if b["t"] == "table":
            yield b
        elif b["t"] == "group":
            yield from _tables(b["blocks"])


class PdfRenderer:
    """The PDF exporter, one per worker process: a Typst compiler per set of font files,
    kept, so the fonts are read and the template is parsed once."""

    def __init__(self) -> None:
        self._compilers: dict[tuple, tuple[Any, dict]] = {}
        self._links = tempfile.TemporaryDirectory(prefix="kaohe-fonts-")

    def _compiler(self, files: dict[str, str]) -> tuple[Any, dict]:
        """The compiler for these font files and each role's face in it."""
        key = tuple(sorted(files.items()))
        if key not in self._compilers:
            import typst

            # Typst reads fonts from folders: an office's own files are linked into one
            own = Path(self._links.name) / str(len(self._compilers))
            own.mkdir()
            for role, path in files.items():
                if Path(path).parent != FONTS:
                    link = own / f"{role}{Path(path).suffix.lower()}"
                    if not link.exists():
                        os.symlink(Path(path).resolve(), link)
            book = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False,
                               font_paths=[str(own), str(FONTS), str(fallback_font().parent)])
            infos = {(str(Path(f.path).resolve()), f.index): f for f in book.fonts()
                     if f.path}
            faces: dict[str, Any] = {"fallback": {"family": FALLBACK_FAMILY, "weight": 400}}
            for role, path in files.items():
                info = infos.get((str(Path(path).resolve()), 0))
                faces[role] = ({"family": info.family, "weight": info.weight} if info else
                               {"family": FALLBACK_FAMILY, "weight": 400})
            compiler = typst.Compiler(input=str(TEMPLATE), root=str(TEMPLATE.parent),
                                      font_paths=book, ignore_system_fonts=True)
            self._compilers[key] = (compiler, faces)
        return self._compilers[key]

    def tree(self, page_html: str, spec: dict) -> dict[str, Any]:
        """The print tree of a page: ``spec`` (``resources["print"]``) says what kind of
        document it is."""
        tree = page_tree(page_html)
        if spec.get("publication") is not None:
            tree["kind"] = "bulletin"
            compose_bulletin(tree, spec["publication"])
        elif spec.get("header"):
            tree["header"] = spec["header"]
        tree.setdefault("annex", [])
        for i, table in enumerate(_tables([*tree["blocks"], *tree["annex"]])):
            kind = ("annex" if table.get("annex") else "bulletin"
                    if tree["kind"] == "bulletin" else "report")
            size = TABLE_PT[kind]
            table.update(id=i, size=size, widths=column_widths(
                table, TEXT_WIDTH_PT / size, CELL_PADDING_PT / size))
        return tree

    def render(self, page_html: str, resources: dict) -> bytes:
        """The PDF of a rendered page; ``resources["print"]`` says what kind of document."""
        spec = resources.get("print") or {}
        tree = self.tree(page_html, spec)
        files = {role: v[0] for role, v in (spec.get("fonts") or {}).items()} or font_files()
        compiler, faces = self._compiler(files)
        tree["fonts"] = faces
        doc = json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
        return compiler.compile(format="pdf", sys_inputs={"doc": doc})


@cache
def renderer() -> PdfRenderer:
    return PdfRenderer()
