"""HTML fragments for reports: every text from data or params is escaped here, numbers are
formatted the way a Chinese official document prints them (two decimals), and nothing
returned carries a Python repr."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DASH = "—"
SHORT_TABLE = 12  # rows of a table printed whole on one page
CN_DIGITS = "零一二三四五六七八九"


def esc(text: object) -> str:
    """Escape any value for HTML text or attribute; None and NaN become empty."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return html.escape(str(text), quote=True)


def is_missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return bool(math.isnan(float(x)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def num(x: object, decimals: int = 2) -> str:
    """91.2102 → '91.21'; missing → '—'; never '-0.00'."""
    if is_missing(x):
        return DASH
    s = f"{float(x):.{decimals}f}"  # type: ignore[arg-type]
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def signed(x: object, decimals: int = 2) -> str:
    """A change or an adjustment: '+0.50', '-1.20', '0.00'."""
    if is_missing(x):
        return DASH
    s = num(x, decimals)
    return s if s.startswith("-") or float(s) == 0 else "+" + s


def pct(x: object, decimals: int = 2) -> str:
    """A share 0.8512 → '85.12%'."""
    return DASH if is_missing(x) else num(float(x) * 100, decimals) + "%"  # type: ignore[arg-type]


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (section numbers up to 99)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    out = ("" if tens == 1 else CN_DIGITS[tens]) + "十" if tens else ""
    return out + (CN_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class Fragment:
    """A piece of a report. Notebooks display it as HTML; its plain repr says what it is,
    never its content, so an export can never fall back to a Python repr of data."""

    html: str
    what: str = "报告内容"

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<{self.what}>"

    def __add__(self, other: Fragment) -> Fragment:
        return Fragment(self.html + other.html, self.what)


def join(parts: Iterable[Fragment | None], what: str = "报告内容") -> Fragment:
    return Fragment("".join(p.html for p in parts if p is not None), what)


def tag(name: str, text: object = "", cls: str = "", raw: str | None = None) -> str:
    """``<name class="cls">escaped text</name>``; ``raw`` is already-escaped inner HTML."""
    attr = f' class="{esc(cls)}"' if cls else ""
    inner = raw if raw is not None else esc(text)
    return f"<{name}{attr}>{inner}</{name}>"


def paragraph(text: object, cls: str = "") -> Fragment:
    return Fragment(tag("p", text, cls), "段落")


@dataclass(frozen=True)
class Column:
    """A table column: header text, and whether it holds numbers (right-aligned)."""

    title: str
    numeric: bool = False
    nowrap: bool = False  # short texts (unit names, data rows) kept on one line

    @property
    def cls(self) -> str:
        return "num" if self.numeric else ("nw" if self.nowrap else "")


@dataclass(frozen=True)
class Cell:
    """A table cell with attributes (``data-delta`` for a program that re-adds the table),
    or with already-escaped inner HTML (a link)."""

    text: object
    attrs: tuple[tuple[str, str], ...] = ()
    raw: bool = False

    def html(self, cls: str) -> str:
        attrs = "".join(f' {k}="{esc(v)}"' for k, v in self.attrs)
        c = f' class="{esc(cls)}"' if cls else ""
        inner = str(self.text) if self.raw else esc(self.text)
        return f"<td{c}{attrs}>{inner}</td>"


def exact(x: float) -> str:
    """A number for a data attribute: the float as stored (shortest exact repr)."""
    return repr(float(x))


def _cell(v: object, cls: str) -> str:
    return v.html(cls) if isinstance(v, Cell) else tag("td", v, cls)


def table(columns: Sequence[Column], rows: Iterable[Sequence[object]], caption: str = "",
          cls: str = "grid", row_classes: Sequence[str] | None = None,
          row_attrs: Sequence[dict[str, str]] | None = None) -> Fragment:
    """A table of already formatted cells; every header and cell is escaped."""
    head = "".join(tag("th", c.title, c.cls) for c in columns)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(_cell(v, c.cls) for c, v in zip(columns, row, strict=True))
        rc = row_classes[i] if row_classes is not None and row_classes[i] else ""
        attrs = "".join(f' {k}="{esc(v)}"' for k, v in (row_attrs[i] if row_attrs else {}).items())
        body.append(f'<tr class="{esc(rc)}"{attrs}>{cells}</tr>' if rc else f"<tr{attrs}>{cells}</tr>")
    cap = tag("caption", caption) if caption else ""
    if len(body) <= SHORT_TABLE:  # printed on one page, never split
        cls = f"{cls} short"
    # the box scrolls sideways on a phone, the page does not
    return Fragment(f'<div class="table-scroll"><table class="{esc(cls)}">{cap}'
                    f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>",
                    "表格")


def key_values(pairs: Iterable[tuple[str, object]], cls: str = "kv") -> Fragment:
    """A two-column table of labels and values (provenance, a unit's key figures)."""
    rows = "".join(f"<tr>{tag('th', k)}{tag('td', v)}</tr>" for k, v in pairs)
    return Fragment(f'<table class="{esc(cls)}"><tbody>{rows}</tbody></table>', "表格")
