"""Official text only: every page that goes out (the bulletin, each unit's report, the
index pages) of every bundled scheme-year is scanned as a reader sees it (the text, not the
markup) and must carry no file paths or names, no rubric or rule parameter names, no
indicator or item ids printed as words, no notes about the project's own choices, no
Python leftovers. The internal page (考核办内部分析) is for the office and is not scanned."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]


class _Text(HTMLParser):
    """The visible text of a page (no <style>, no SVG internals)."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ARG002 (HTMLParser signature)
        if tag in ("style", "script", "svg"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "svg") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return "\n".join(p.parts)


# words a page that goes out must not carry; each says why
FORBIDDEN = [
    (re.compile(r"[\w./-]+\.(csv|ya?ml|json|xlsx|ipynb|py)\b"), "a file name"),
    (re.compile(r"(^|[^\w])(/[\w.-]+){2,}"), "a path"),
    (re.compile(r"shared/|seeds/|params/|data/"), "a project folder"),
    (re.compile(r"\bours\b|项目默认|项目设定|项目自定|本项目"), "a note about our own choices"),
    (re.compile(r"\b(None|nan|NaN|NaT|True|False|inf)\b"), "a Python value"),
    (re.compile(r"Traceback|Error\b|Exception|object at 0x|DataFrame|dtype"), "Python output"),
    (re.compile(r"SHA-?256|[0-9a-f]{40,}"), "a full hash"),
    (re.compile(r"\b(checklist|attainment|rater_points|period_results|self_assessment|"
                r"tolerance|penalty|over_only|max_points|applies_to|items\[\d+\]|"
                r"target|weight|aggregate|missing|rescale)\b"), "a rule or parameter name"),
]


def _ids(params: Path) -> set[str]:
    """Indicator and adjustment ids of a rubric that could be mistaken for words: those
    with a letter and a digit or an underscore (c14, t08h, d2_2_1, M1)."""
    r = load_rubric(params).rubric
    ids = {n.id for n, _, _ in r.walk()} | {a.id for a in r.adjustments}
    return {i for i in ids if re.search(r"[A-Za-z]", i) and re.search(r"[\d_]", i)}


def problems_in(text: str, ids: set[str]) -> list[str]:
    found = [f"{why}: {m.group(0)!r}" for rx, why in FORBIDDEN for m in rx.finditer(text)]
    words = set(re.findall(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_]*(?![A-Za-z0-9_])", text))
    found += [f"an id printed as a word: {w!r}" for w in sorted(words & ids)]
    return found


def test_the_scan_can_fail():
    ids = {"t08h", "c14"}
    assert problems_in("指标t08h失分", ids) == ["an id printed as a word: 't08h'"]
    assert problems_in("见 observations.csv:301", set())
    assert problems_in("cap 由2改为3，ours", set())
    assert problems_in("得分 nan 分", set())
    assert problems_in("考核得分91.21分，第11名（全部单位共19个）", ids) == []


def test_pages_that_go_out_carry_official_text_only(built_all):
    pages = sorted(p for p in built_all.rglob("*.html") if p.name != "internal.html")
    assert len(pages) > 300
    bad = {}
    for page in pages:
        parts = page.relative_to(built_all).parts
        params = ROOT / "params" / parts[0] / f"{parts[1]}.yaml" if len(parts) > 2 else None
        ids = _ids(params) if params is not None and params.exists() else set()
        found = problems_in(visible_text(page.read_text(encoding="utf-8")), ids)
        if found:
            bad[str(page.relative_to(built_all))] = found[:5]
    assert not bad, f"{len(bad)} pages: " + "; ".join(f"{k}: {v}" for k, v in list(bad.items())[:8])


@pytest.mark.parametrize("page", ["bulletin.html", "units/fengcheng.html"])
def test_internal_matter_stays_on_the_internal_page(built_all, page):
    html = (built_all / "changshou-rural" / "2023" / page).read_text(encoding="utf-8")
    text = visible_text(html)
    for word in ("名次稳健性", "评分细则变化", "自评与核定差异", "内部资料"):
        assert word not in text, word
    internal = visible_text((built_all / "changshou-rural/2023/internal.html")
                            .read_text(encoding="utf-8"))
    assert "内部资料" in internal and "名次稳健性" in internal and "SHA-256" in internal
