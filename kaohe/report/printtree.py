"""A rendered report page as a tree of print blocks (JSON), the input of the Typst template.

The HTML page stays the one source of what a document says; the print document is laid
out from it by ``print/gongwen.typ``. Only the few elements our own pages are made of are
known here (headings, paragraphs, tables with ``thead``/``tbody``, figures with inline SVG
charts, key figures, lists, sections); anything else is kept as its text, so a new element
on the pages loses its styling in print, never its words. Every piece of text travels as a
JSON string and the template shows it as text: nothing from a page (a unit's name, a note)
is ever read as Typst markup.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from lxml import html as lhtml

Block = dict[str, Any]

SKIP = {"nav", "script", "style", "template", "button", "input", "select", "form"}
SKIP_CLASSES = {"screen-only", "masthead", "crumbs", "doc-nav", "table-tools"}
CONTAINERS = {"div", "section", "article", "aside", "header", "footer", "main", "details",
              "blockquote", "center"}
SPACE = " \t\n\r\f"  # HTML's white space; U+3000 (as in 表1　…) is text
_WS = re.compile(f"[{SPACE}]+")
_PT = re.compile(r"^\s*([\d.]+)\s*(pt|px)?\s*$")

# The HTML parser lowercases SVG names; an SVG handed to a renderer on its own needs them
# back in their case (the HTML standard's table of SVG names, those matplotlib writes and a
# few more).
_SVG_NAMES = {n.lower(): n for n in (
    "viewBox", "clipPath", "clipPathUnits", "preserveAspectRatio", "linearGradient",
    "radialGradient", "gradientUnits", "gradientTransform", "patternUnits",
    "patternContentUnits", "patternTransform", "markerWidth", "markerHeight", "markerUnits",
    "refX", "refY", "stdDeviation", "textLength", "lengthAdjust", "maskUnits",
    "maskContentUnits", "primitiveUnits", "filterUnits", "spreadMethod", "foreignObject",
    "textPath", "startOffset", "feGaussianBlur", "feOffset", "feBlend", "feFlood",
    "feComposite", "feMerge", "feMergeNode", "feColorMatrix")}
_SVG_NAME = re.compile(r"(?<=[<\s/])(" + "|".join(_SVG_NAMES) + r")(?=[\s=>/])")
_HREF = re.compile(r"""(?:href="#|url\(#)([^")]+)""")


def text_of(el) -> str:
    """An element's text as a reader sees it: whitespace runs collapsed."""
    return _WS.sub(" ", el.text_content()).strip(SPACE)


def classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def page_tree(page_html: str) -> dict[str, Any]:
    """The page as ``{"kind", "title", "banner", "mark", "blocks", "provenance"}``."""
    doc = lhtml.document_fromstring(page_html)
    body = doc.find(".//body")
    kind = next((k for k in ("bulletin", "unit", "internal") if body is not None
                 and k in classes(body)), "page")
    main = doc.find(".//main")
    root = main if main is not None else body
    tree: dict[str, Any] = {"kind": kind, "title": "", "banner": "", "mark": "",
                            "provenance": "", "blocks": []}
    if root is None:
        return tree
    walker = _Walker(tree, _svg_defs(root))
    walker.children(root, tree["blocks"])
    return tree


def _svg_defs(root) -> dict[str, Any]:
    """Every element with an id inside the page's SVGs: an inline SVG may use glyph
    outlines defined in another SVG of the page (``charts.share_glyphs``)."""
    return {el.get("id"): el for svg in root.iter("svg") for el in svg.iter()
            if isinstance(el.tag, str) and el.get("id")}


def svg_markup(svg, defs: dict[str, Any]) -> str:
    """One inline SVG as a stand-alone document: the elements it uses from the page's other
    SVGs copied in, names in their SVG case."""
    own = {el.get("id") for el in svg.iter() if isinstance(el.tag, str) and el.get("id")}
    text = etree.tostring(svg, encoding="unicode", with_tail=False)
    wanted = [i for i in dict.fromkeys(_HREF.findall(text)) if i not in own and i in defs]
    if wanted:
        extra = "".join(etree.tostring(defs[i], encoding="unicode", with_tail=False)
                        for i in wanted)
        close = text.index(">", text.index("<svg")) + 1
        text = text[:close] + "<defs>" + extra + "</defs>" + text[close:]
    text = _SVG_NAME.sub(lambda m: _SVG_NAMES[m.group(1)], text)
    if "xmlns=" not in text[: text.index(">")]:
        text = text.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return text


def png_svg(src: str) -> tuple[str, float, float]:
    """A PNG data URI wrapped in an SVG, with its size in points (a pixel at 96 dpi), so the
    template takes every chart as SVG and no image file is written."""
    import base64
    import struct

    head = base64.b64decode(src.split(",", 1)[1][:32] + "==")
    px_w, px_h = struct.unpack(">II", head[16:24])
    width, height = px_w * 0.75, px_h * 0.75
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="{width}pt" height="{height}pt" viewBox="0 0 {px_w} {px_h}">'
           f'<image width="{px_w}" height="{px_h}" xlink:href="{src}"/></svg>')
    return svg, width, height


def _points(value: str | None) -> float | None:
    m = _PT.match(value or "")
    if not m:
        return None
    return float(m.group(1)) * (0.75 if m.group(2) == "px" else 1.0)


class _Walker:
    """Walks a page's main element once, appending blocks."""

    def __init__(self, tree: dict[str, Any], defs: dict[str, Any]) -> None:
        self.tree = tree
        self.defs = defs

    def children(self, el, out: list[Block]) -> None:
        if el.text and el.text.strip(SPACE):
            out.append({"t": "p", "text": _WS.sub(" ", el.text).strip(SPACE), "class": ""})
        for child in el:
            self.element(child, out)
            if child.tail and child.tail.strip(SPACE):
                out.append({"t": "p", "text": _WS.sub(" ", child.tail).strip(SPACE),
                            "class": ""})

    def element(self, el, out: list[Block]) -> None:
        if not isinstance(el.tag, str):
            return  # comments, processing instructions
        tag, cls = el.tag.lower(), classes(el)
        if tag in SKIP or cls & SKIP_CLASSES:
            return
        if "sample-banner" in cls:
            self.tree["banner"] = text_of(el)
        elif "internal-mark" in cls:
            self.tree["mark"] = text_of(el)
        elif "provenance-line" in cls:
            self.tree["provenance"] = text_of(el)
        elif tag == "h1" and not self.tree["title"]:
            self.tree["title"] = text_of(el)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            out.append({"t": "h", "level": min(int(tag[1]), 4), "text": text_of(el)})
        elif tag == "table":
            out.append(self.table(el))
        elif tag == "figure" or tag == "svg":
            fig = self.figure(el)
            if fig is not None:
                out.append(fig)
        elif "keyfigs" in cls:
            out.append({"t": "keyfigs", "items": [
                {"k": _part(k, "k"), "v": _part(k, "v"), "n": _part(k, "n")}
                for k in el if isinstance(k.tag, str) and "keyfig" in classes(k)]})
        elif tag in ("ul", "ol"):
            items = [text_of(li) for li in el if isinstance(li.tag, str) and li.tag == "li"]
            out.append({"t": "list", "ordered": tag == "ol", "items": [i for i in items if i]})
        elif tag in CONTAINERS:
            section: list[Block] = []
            self.children(el, section)
            if section:
                out.append({"t": "group", "class": " ".join(sorted(cls)), "blocks": section})
        else:  # p and anything unknown: its words
            text = text_of(el)
            if text:
                out.append({"t": "p", "text": text, "class": " ".join(sorted(cls))})

    def table(self, el) -> Block:
        caption = el.find("caption")
        head = [self.row(r) for part in el.findall("thead") for r in part.findall("tr")]
        body = [self.row(r) for part in [*el.findall("tbody"), el] for r in part.findall("tr")]
        if not head and body and all(c["th"] for c in body[0]["cells"]) \
                and "kv" not in classes(el):
            head, body = body[:1], body[1:]
        return {"t": "table", "class": " ".join(sorted(classes(el))),
                "caption": text_of(caption) if caption is not None else "",
                "head": head, "body": body}

    @staticmethod
    def row(tr) -> Block:
        cells = []
        for c in tr:
            if not isinstance(c.tag, str) or c.tag not in ("td", "th"):
                continue
            cls = classes(c)
            cells.append({"text": text_of(c), "th": c.tag == "th", "num": "num" in cls,
                          "nw": "nw" in cls, "colspan": int(c.get("colspan") or 1),
                          "rowspan": int(c.get("rowspan") or 1)})
        return {"class": " ".join(sorted(classes(tr))), "cells": cells}

    def figure(self, el) -> Block | None:
        svg = el if el.tag == "svg" else el.find(".//svg")
        caption = el.find("figcaption") if el.tag == "figure" else None
        block: Block = {"t": "figure", "caption": text_of(caption) if caption is not None else ""}
        if svg is not None:
            block.update(svg=svg_markup(svg, self.defs), width=_points(svg.get("width")),
                         height=_points(svg.get("height")))
            return block
        img = el.find(".//img")
        src = img.get("src", "") if img is not None else ""
        if src.startswith("data:image/png;base64,"):
            svg_text, width, height = png_svg(src)
            block.update(svg=svg_text, width=width, height=height)
            return block
        if block["caption"]:
            return {"t": "p", "text": block["caption"], "class": "caption"}
        return None


def text_width(text: str) -> float:
    """Width of a text in em, roughly: CJK and full-width characters 1, others 0.55."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.3 if ch == " " else 0.55 for ch in text)


def _min_width(cell: dict) -> float:
    """The narrowest a cell gets: names and numbers are not broken; text wraps, but keeps
    its longest Latin word and at least three characters on a line."""
    text = cell["text"]
    natural = text_width(text)
    if cell["num"] or cell["nw"]:
        return natural
    words = [text_width(w) for w in re.findall(r"[\x21-\x7e]+", text)]
    return min(natural, max([3.0, *words]))


def column_widths(table: dict, width_em: float, padding_em: float = 0.6,
                  slack_em: float = 0.3) -> list[float]:
    """Column widths (fractions of the table's width) by the auto table layout browsers
    use: every column at least its widest unbreakable content; what is left goes to each
    column in proportion to how much more its widest line wants. ``width_em``: the table's
    width in em of its font; ``padding_em``: a cell's left plus right inset; ``slack_em``:
    added to every estimate, which is rough (proportional digits, punctuation)."""
    ncol = max((sum(c["colspan"] for c in r["cells"]) for r in [*table["head"],
                *table["body"]]), default=0)
    if ncol == 0:
        return []
    padding_em += slack_em
    lo, hi = [padding_em + 1.0] * ncol, [padding_em + 1.0] * ncol
    for row in [*table["head"], *table["body"]]:
        x = 0
        for c in row["cells"]:
            if c["colspan"] == 1 and x < ncol:
                head = row in table["head"]
                natural = text_width(c["text"]) + padding_em
                least = (min(natural, 2.0 + padding_em) if head and not c["nw"]
                         else _min_width(c) + padding_em)
                lo[x], hi[x] = max(lo[x], least), max(hi[x], natural)
            x += c["colspan"]
    total_lo, total_hi = sum(lo), sum(hi)
    if total_hi <= width_em:  # everything fits on one line: widened in proportion
        widths = hi
    elif total_lo >= width_em:
        widths = lo
    else:
        share = (width_em - total_lo) / (total_hi - total_lo)
        widths = [a + (b - a) * share for a, b in zip(lo, hi, strict=True)]
    total = sum(widths)
    return [round(w / total, 4) for w in widths]


def _part(el, cls: str) -> str:
    found = [c for c in el if isinstance(c.tag, str) and cls in classes(c)]
    return text_of(found[0]) if found else ""
