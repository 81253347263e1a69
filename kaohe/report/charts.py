"""Charts for the reports: matplotlib figures as deterministic SVG with Chinese text.

Chinese is set in Noto Sans CJK SC from the ``noto-cjk-sans-otc`` package, a dependency
of the project, so a chart looks the same on every machine whatever fonts it has; glyphs
are written as paths (``svg.fonttype: path``) so the browser needs no font either. A
system copy of the same family (Debian's fonts-noto-cjk) must not win over ours: the
package's faces are put first in matplotlib's font list.

Only ``matplotlib.figure.Figure`` is used, never pyplot, so a notebook kernel never shows
a figure by itself (no stray PNG next to our SVG) and no global figure state is kept.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

FAMILY = "Noto Sans CJK SC"
# One colour per grade name in every scheme (好 is the same green whether it is a scheme's
# first grade or its second), muted enough to print in grey; bars also carry the grade in
# words, so a black-and-white print loses nothing. Names not listed take TIER_COLOURS by
# position.
GRADE_COLOURS = {
    "优": "#1d5e45", "优秀": "#1d5e45", "A": "#1d5e45",
    "好": "#4b8f63", "良": "#4b8f63", "良好": "#4b8f63", "B": "#4b8f63",
    "较好": "#3b6ea8", "合格": "#3b6ea8", "C": "#3b6ea8",
    "一般": "#c9962b", "基本合格": "#c9962b", "D": "#c9962b",
    "较差": "#b23a3a", "差": "#b23a3a", "不合格": "#b23a3a", "E": "#b23a3a",
}
TIER_COLOURS = ["#2f6f4f", "#3b6ea8", "#c9962b", "#b23a3a", "#6b4c8a", "#5f6b73"]
PLAIN = "#3b6ea8"
MEAN_COLOUR = "#222222"
BEST_COLOUR = "#b23a3a"
HEAT = LinearSegmentedColormap.from_list("kaohe", ["#f4f1e8", "#9ec3c0", "#2f6f78", "#173f4a"])

RC: Any = {  # matplotlib rc parameters (its stubs type the keys as a Literal)
    "font.family": [FAMILY],
    "font.size": 9,
    "axes.unicode_minus": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    # User text (unit and indicator names) is text, never TeX: "$…$" must not become math.
    "text.parse_math": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "kaohe",
    "figure.dpi": 72,
    "savefig.bbox": "tight",
    "path.simplify": True,
}

_registered: list[str] = []


def font_path() -> Path:
    """The CJK font file shipped by the ``noto-cjk-sans-otc`` package."""
    import noto_cjk_sans_otc

    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def register_font() -> str:
    """Add the package's font to matplotlib, ahead of any system copy; return its path."""
    path = str(font_path())
    if _registered != [path]:
        fm = font_manager.fontManager
        fm.addfont(path)
        ours = [f for f in fm.ttflist if Path(f.fname) == Path(path)]
        fm.ttflist = ours + [f for f in fm.ttflist if Path(f.fname) != Path(path)]
        fm._findfont_cached.cache_clear()  # type: ignore[attr-defined]
        _registered[:] = [path]
    return path


def resolved_font() -> str:
    """The file matplotlib uses for report text (a test checks it is ours)."""
    register_font()
    with matplotlib.rc_context(RC):
        return str(font_manager.findfont(font_manager.FontProperties(family=FAMILY)))


_XML_HEAD = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_WS = re.compile(r"\s*\n\s*")
_GLYPH_DEF = re.compile(r'<path id="(NotoSans[^"]*)" d="[^"]*"[^>]*/>\n?')


def to_svg(fig: Figure, label: str) -> str:
    """Inline SVG markup of a figure: no XML prolog, no metadata, no date; same bytes for
    the same figure. ``label`` is the accessible name (the glyphs are paths, not text)."""
    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = _METADATA.sub("", _XML_HEAD.sub("", buf.getvalue()))
    svg = _WS.sub("\n", _COMMENT.sub("", svg))  # text comments and indentation: bytes only
    aria = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{aria}" ', 1).strip()


_ID = re.compile(r'\bid="([^"]+)"')


def share_glyphs(svg: str, seen: set[str]) -> str:
    """Drop the glyph outlines an earlier chart of the same page already defined.

    A glyph's id names the font and the glyph (``NotoSansCJKsc-Regular-11``), so equal ids
    are equal outlines, and an inline SVG may use an element of another inline SVG of the
    same document. A page with many charts then carries each Chinese glyph once, not once
    per chart (a glyph outline is about a kilobyte). ``seen`` collects the ids defined."""

    def keep_first(m: re.Match) -> str:
        if m.group(1) in seen:
            return ""
        seen.add(m.group(1))
        return m.group(0)

    return _GLYPH_DEF.sub(keep_first, svg)


def scope_ids(svg: str, prefix: str, keep: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """Prefix every id of an inline SVG (and the references to it) except those in ``keep``
    (shared glyphs): charts in one page must not share ids such as ``figure_1``."""
    ids = set(_ID.findall(svg)) - set(keep)
    if not ids:
        return svg

    def ref(m: re.Match) -> str:
        name = m.group(2)
        return f"{m.group(1)}{prefix}{name}" if name in ids else m.group(0)

    svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"' if m.group(1) in ids else m.group(0),
                  svg)
    return re.sub(r'(href="#|url\(#)([^")]+)', ref, svg)


def _figure(width: float, height: float) -> Figure:
    register_font()
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), layout="constrained")


def short(name: str, n: int = 14) -> str:
    """Long indicator names are cut in charts (tables carry them in full)."""
    return name if len(name) <= n else name[: n - 1] + "…"


def tier_colours(tiers: Sequence[str]) -> dict[str, str]:
    """Each grade's colour: by its name where known, else by its place in the scheme."""
    return {t: GRADE_COLOURS.get(t, TIER_COLOURS[i % len(TIER_COLOURS)])
            for i, t in enumerate(tiers)}


def percent_label(share: float) -> str:
    """A share as a percentage tick label, exact to one decimal (82.5, not 82)."""
    text = f"{share * 100:.1f}"
    return text[:-2] if text.endswith(".0") else text


def ranked_bars(names: Sequence[str], totals: Sequence[float], grades: Sequence[str],
                tiers: Sequence[str], label: str) -> str:
    """The ranking as inline SVG (see ``ranked_figure``)."""
    return to_svg(ranked_figure(names, totals, grades, tiers), label)


def ranked_figure(names: Sequence[str], totals: Sequence[float], grades: Sequence[str],
                  tiers: Sequence[str]) -> Figure:
    """Totals in rank order (first at the top), each bar in its grade's colour and the grade
    written beside its total."""
    n = len(names)
    fig = _figure(6.6, 0.9 + 0.24 * n)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        colours = tier_colours(tiers)
        y = np.arange(n)[::-1]
        vals = np.asarray(totals, dtype=float)
        ax.barh(y, vals, color=[colours.get(g, PLAIN) for g in grades], height=0.68)
        ax.set_yticks(y, [short(s, 12) for s in names])
        finite = vals[np.isfinite(vals)]
        lo = float(np.floor((finite.min() - 2) / 5) * 5) if finite.size else 0.0
        lo = max(0.0, lo) if finite.size and finite.min() >= 0 else min(lo, 0.0)
        hi = float(finite.max()) if finite.size else 1.0
        ax.set_xlim(lo, hi + max(1.0, (hi - lo) * 0.2))
        for yi, v, g in zip(y, vals, grades, strict=True):
            if np.isfinite(v):
                text = f"{v:.2f}（{g}）" if g in colours else f"{v:.2f}"
                ax.text(v + (hi - lo) * 0.01, yi, text, va="center", fontsize=7.5)
        ax.set_xlabel(f"总分（横轴自{lo:g}分起）" if lo else "总分")
        ax.tick_params(axis="y", length=0)
        present = [t for t in tiers if t in set(grades)]
        if present:
            handles = [matplotlib.patches.Patch(color=colours[t], label=t) for t in present]
            ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False,
                      title="等次", title_fontsize=8)
    return fig


def heatmap(rows: Sequence[str], cols: Sequence[str], shares: np.ndarray, label: str,
            annotate: bool = True) -> str:
    """The heat map as inline SVG (see ``heatmap_figure``)."""
    return to_svg(heatmap_figure(rows, cols, shares, annotate), label)


def heatmap_figure(rows: Sequence[str], cols: Sequence[str], shares: np.ndarray,
                   annotate: bool = True) -> Figure:
    """Units × first-level indicators, the share of points earned; blank where not scored.
    ``annotate`` writes each share in its cell (for a small scheme; the ranking tables carry
    every number, and hundreds of numbers drawn as glyphs weigh hundreds of kilobytes).

    The scale stops at 100%: a share above it (points above an uncapped maximum) takes the
    top colour and is marked "↑" in its cell and in the colour bar's label, so one unit's
    275% cannot wash out everyone else's differences. A single column would only repeat the
    totals, so it is refused (the caller shows the ranking instead)."""
    data = np.asarray(shares, dtype=float)
    if data.ndim != 2 or data.shape[1] < 2:
        raise ValueError("a heat map needs two or more indicators")
    fig = _figure(min(6.6, 1.6 + 0.95 * len(cols)), 0.9 + 0.24 * len(rows))
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        finite = data[np.isfinite(data)]
        vmax = 1.0
        vmin = float(np.floor(min(finite.min(), 0.9) * 10) / 10) if finite.size else 0.0
        over = bool(finite.size and finite.max() > vmax + 1e-9)
        cmap = HEAT.with_extremes(bad="#e6e6e6", over=HEAT(1.0))
        img = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=vmin, vmax=vmax,
                        aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(cols)), [short(c, 8) for c in cols], fontsize=8)
        ax.set_yticks(range(len(rows)), [short(r, 12) for r in rows], fontsize=8)
        ax.tick_params(length=0)
        ax.xaxis.tick_top()
        for s in ax.spines.values():
            s.set_visible(False)
        mid = vmin + (vmax - vmin) * 0.55
        for i in range(data.shape[0] if annotate else 0):
            for j in range(data.shape[1]):
                v = data[i, j]
                text = "—" if not np.isfinite(v) else f"{v * 100:.1f}" + ("↑" if v > vmax else "")
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if np.isfinite(v) and v > mid else "#222222")
        bar = fig.colorbar(img, ax=ax, shrink=0.6, pad=0.02, extend="max" if over else "neither")
        bar.set_label("得分率（%）" + ("；超过100%的按100%着色" + ("，标“↑”" if annotate else "")
                                       if over else ""))
        step = 0.05 if vmax - vmin <= 0.3 else 0.1
        bar.ax.yaxis.set_major_locator(matplotlib.ticker.MultipleLocator(step))
        bar.ax.yaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(lambda x, _: percent_label(x)))
    return fig


def indicator_profile(names: Sequence[str], own: Sequence[float], mean: Sequence[float],
                      best: Sequence[float], label: str) -> str:
    """The indicator profile as inline SVG (see ``profile_figure``)."""
    return to_svg(profile_figure(names, own, mean, best), label)


def profile_figure(names: Sequence[str], own: Sequence[float], mean: Sequence[float],
                   best: Sequence[float]) -> Figure:
    """One unit's share of points per first-level indicator against its group's mean and
    best share: a dot plot, so the axis may start above zero without exaggerating bars."""
    n = len(names)
    fig = _figure(6.6, 1.1 + 0.42 * n)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        o, m, b = (np.asarray(v, dtype=float) * 100 for v in (own, mean, best))
        every = np.concatenate([o, m, b])
        every = every[np.isfinite(every)]
        lo = float(np.floor((min(every.min(), 100.0) - 3) / 5) * 5) if every.size else 0.0
        lo = max(0.0, lo)
        hi = 100.0  # the scale stops at full marks; points above it are marked, not drawn
        for yi in y:
            ax.axhline(yi, color="#e3e3e3", linewidth=0.8, zorder=0)
        ax.axvline(hi, color="#9a9a9a", linewidth=0.8, linestyle=":", zorder=0)
        capped = [np.minimum(v, hi) for v in (o, m, b)]
        ax.scatter(capped[0], y, marker="o", s=46, color=PLAIN, label="本单位", zorder=3)
        ax.scatter(capped[1], y, marker="|", s=220, linewidths=2.0, color=MEAN_COLOUR,
                   label="组内平均", zorder=2)
        ax.scatter(capped[2], y, marker="D", s=26, facecolors="none", edgecolors=BEST_COLOUR,
                   linewidths=1.2, label="组内最好", zorder=2)
        for yi, v in zip(y, o, strict=True):
            if np.isfinite(v):
                text = f"{v:.2f}%" + ("（超出满分，按100%绘制）" if v > hi else "")
                ax.annotate(text, (min(v, hi), yi), textcoords="offset points",
                            xytext=(0, -13), ha="right" if v > hi else "center",
                            fontsize=7.5, color=PLAIN)
        ax.set_xlim(lo, hi + (hi - lo) * 0.04)
        ax.set_ylim(-0.7, n - 0.4)
        ax.set_yticks(y, [short(s, 12) for s in names])
        ax.set_xlabel(f"得分率（%，横轴自{lo:g}起）" if lo else "得分率（%）")
        ax.tick_params(axis="y", length=0)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8,
                  frameon=False)
    return fig


def trend(years: Sequence[int], totals: Sequence[float], ranks: Sequence[str], label: str) -> str:
    """A unit's total over the years, each point labelled with its rank."""
    fig = _figure(6.6, 2.4)
    with matplotlib.rc_context(RC):
        ax = fig.add_subplot()
        x = np.arange(len(years))
        v = np.asarray(totals, dtype=float)
        ax.plot(x, v, color=PLAIN, marker="o", linewidth=1.6)
        for xi, vi, r in zip(x, v, ranks, strict=True):
            if np.isfinite(vi):
                ax.annotate(f"{vi:.2f}（{r}）" if r else f"{vi:.2f}", (xi, vi),
                            textcoords="offset points", xytext=(0, 7), ha="center", fontsize=7.5)
        ax.set_xticks(x, [f"{y}年" for y in years])
        finite = v[np.isfinite(v)]
        if finite.size:
            pad = max(2.0, (finite.max() - finite.min()) * 0.3)
            ax.set_ylim(finite.min() - pad, finite.max() + pad)
        ax.set_ylabel("总分")
        ax.set_xlim(-0.5, len(years) - 0.5)
    return to_svg(fig, label)
