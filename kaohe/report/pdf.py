"""PDF documents from the rendered report pages (WeasyPrint, paged-media CSS).

The PDF is made from the very HTML a page becomes, with ``print/gongwen.css`` on top: the
bulletin is recomposed as a GB/T 9704 公文 (版头 with the issuing mark, the bulletin's own
发文字号 and the red rule; 主送; the body; 附件说明; 落款 and 成文日期; the result tables as
附件1; 版记 with 抄送 and 印发 lines), a unit report gets the unit's name as a running
header. The hooks into the page are few on purpose (``main.doc``, ``h1.title``, an
``h2`` whose text holds 考核结果), so the pages' content can change without this module.

WeasyPrint was chosen by measurement (docs/print.md): pure Python from PyPI on the
system's Pango, fonts embedded as subsets, text selectable, bookmarks from the headings,
and no browser or network at run time.
"""

from __future__ import annotations

import hashlib
import html
import io
from functools import cache
from pathlib import Path

from lxml import html as lhtml

FONTS = Path(__file__).resolve().parent / "fonts"
PRINT_CSS = Path(__file__).resolve().parent / "print" / "gongwen.css"
STATIC = Path(__file__).resolve().parent / "static"

# Family → bundled file. 仿宋 and 楷体 have no open simplified-Chinese face we can ship, so
# the closest open faces stand in (docs/print.md says so): Noto Serif (a 宋体) for 仿宋 and
# 楷体, Noto Serif Bold for 小标宋, Noto Sans (a 黑体) for 黑体.
BUNDLED = {
    "fangsong": "NotoSerifSC-Regular.otf",
    "xiaobiaosong": "NotoSerifSC-Bold.otf",
    "heiti": "NotoSansSC-Regular.otf",
    "kaiti": "NotoSerifSC-Regular.otf",
    "song": "NotoSerifSC-Regular.otf",
}
FAMILY = {"fangsong": "Kaohe Fangsong", "xiaobiaosong": "Kaohe Xiaobiaosong",
          "heiti": "Kaohe Hei", "kaiti": "Kaohe Kai", "song": "Kaohe Song"}
TEXT_WIDTH_PT = 156 / 25.4 * 72  # GB/T 9704 text block width
MARK_MAX_PT = 42.0  # ours: the issuing mark's size when it is short


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


def print_css(files: dict[str, str]) -> str:
    """The paged-media stylesheet with its @font-face rules. Roles that share a file share
    one family, so each file is embedded once."""
    css = PRINT_CSS.read_text(encoding="utf-8")
    families: dict[str, str] = {}
    rules = []
    for role, path in files.items():
        uri = Path(path).resolve().as_uri()
        if uri not in families:
            families[uri] = f"Kaohe F{len(families)}"
            rules.append(f'@font-face {{ font-family: "{families[uri]}"; src: url("{uri}"); }}')
        css = css.replace(f'"{FAMILY[role]}"', f'"{families[uri]}"')
    rules.append(f'@font-face {{ font-family: "Kaohe Fallback"; '
                 f'src: url("{fallback_font().as_uri()}"); }}')
    return "\n".join(rules) + "\n" + css


def mark_size(text: str) -> float:
    """The issuing mark in one line across the text block (GB/T 9704 7.2.2: its size is the
    office's choice, smaller than the title's is not required)."""
    return round(min(MARK_MAX_PT, TEXT_WIDTH_PT / max(len(text), 1) * 0.98), 2)


def _el(tag: str, text: str = "", cls: str = ""):
    e = lhtml.Element(tag)
    if cls:
        e.set("class", cls)
    e.text = text
    return e


def compose_bulletin(doc, pub: dict) -> None:
    """Turn the bulletin page into a 公文 in place. ``pub``: the publication details as
    printed (missing ones already 〔待填〕), see ``kaohe.publication.Publication.text``."""
    main = doc.find(".//main")
    if main is None:
        return
    title = main.find(".//h1")
    head = _el("div", cls="gw-head")
    mark = _el("div", pub["issuer_mark"], "gw-mark")
    mark.set("style", f"font-size: {mark_size(pub['issuer_mark'])}pt")
    head.append(mark)
    head.append(_el("p", pub["number"], "gw-number"))
    head.append(_el("div", cls="gw-rule"))
    to = _el("p", pub["addressees"] + "：", "gw-to")
    if title is not None:
        title.addnext(to)
        title.addprevious(head)
    else:
        main.insert(0, head)
        head.addnext(to)
    attachments = pub["attachments"]
    annex = _results_annex(main, attachments[0])
    # 附件说明 (only when something is attached), 落款 and 成文日期.
    tail = []
    if annex is not None:
        notes = _el("div", cls="gw-attachments")
        for i, name in enumerate(attachments, 1):
            label = f"附件：{i}．{name}" if i == 1 else f"{i}．{name}"
            p = _el("p", label if len(attachments) > 1 else f"附件：{name}")
            if i == 1:
                p.set("class", "gw-first")
            notes.append(p)
        tail.append(notes)
    sign = _el("p", cls="gw-sign")
    span = _el("span")
    span.text = pub["signatory"]
    span.append(_el("br"))
    span[-1].tail = pub["date"]
    sign.append(span)
    tail.append(sign)
    provenance = main.find(".//*[@class='provenance']")
    for t in tail:
        if provenance is not None:
            provenance.addprevious(t)
        else:
            main.append(t)
    if annex is not None:
        main.append(annex)
    record = _el("div", cls="gw-record")
    record.append(_el("p", f"抄送：{pub['cc']}。", "gw-cc"))
    printed = _el("p", cls="gw-printed")
    printed.append(_el("span", pub["printer"]))
    printed.append(_el("span", f"{pub['print_date']}印发"))
    record.append(printed)
    main.append(record)


def _results_annex(main, title: str):
    """Move the tables of the results section (the ``h2`` holding 考核结果) into 附件1;
    the body keeps its text and points to the attachment."""
    heads = main.findall(".//h2")
    start = next((h for h in heads if "考核结果" in h.text_content()), None)
    if start is None:
        return None
    moved = []
    node = start.getnext()
    while node is not None and node.tag != "h2":
        nxt = node.getnext()
        if node.tag in ("table", "h3") or node.find(".//table") is not None:
            moved.append(node)
        node = nxt
    if not any(n.tag == "table" or n.find(".//table") is not None for n in moved):
        return None
    annex = _el("section", cls="gw-annex")
    annex.append(_el("p", "附件1", "gw-annex-label"))
    annex.append(_el("p", title, "gw-annex-title"))
    note = _el("p", "各单位考核结果见附件1。", "gw-results-note")
    moved[0].addprevious(note)
    for n in moved:
        annex.append(n)  # lxml moves the element
    return annex


def compose_unit(doc, header: str) -> None:
    """A running header with the unit's name on every page of its report."""
    body = doc.find(".//body")
    if body is None:
        return
    h = _el("div", header, "unit-header")
    body.insert(0, h)


class PdfRenderer:
    """One per worker: WeasyPrint's font configuration and the stylesheets are built once."""

    def __init__(self, office_fonts: dict[str, str] | None = None) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        self.office = office_fonts
        self.screen = CSS(filename=str(STATIC / "kaohe.css"), font_config=self.fonts)
        self._font_css: dict[str, object] = {}

    def _fonts_css(self, files: dict[str, str]):
        key = repr(sorted(files.items()))
        if key not in self._font_css:
            from weasyprint import CSS

            self._font_css[key] = CSS(string=print_css(files), font_config=self.fonts)
        return self._font_css[key]

    def render(self, page_html: str, resources: dict) -> bytes:
        """The PDF of a rendered page; ``resources["print"]`` says what kind of document."""
        from weasyprint import HTML

        spec = resources.get("print") or {}
        doc = lhtml.document_fromstring(page_html)
        for link in doc.findall(".//link[@rel='stylesheet']"):
            link.getparent().remove(link)  # kaohe.css comes from the package instead
        if spec.get("publication") is not None:
            compose_bulletin(doc, spec["publication"])
        elif spec.get("header"):
            compose_unit(doc, spec["header"])
        text = lhtml.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")
        files = {role: v[0] for role, v in (spec.get("fonts") or {}).items()} or font_files()
        document = HTML(string=text, base_url=str(STATIC)).render(
            stylesheets=[self.screen, self._fonts_css(files)], font_config=self.fonts)
        out = io.BytesIO()
        document.write_pdf(out, identifier=hashlib.sha256(text.encode()).hexdigest()[:32].encode(),
                           pdf_tags=False)
        return out.getvalue()


@cache
def renderer() -> PdfRenderer:
    return PdfRenderer()


def escape(text: str) -> str:
    return html.escape(text, quote=True)
