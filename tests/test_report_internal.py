"""The internal page (考核办内部分析): 自评与核定差异 beyond the rubric's tolerance and
评分细则变化 in words. These sections left the bulletin (they are analysis for the office,
not results for units); their tests moved here with them.

Numbers are worked by hand from the bundled files, each assertion says how:
- guangyuan-reform 2022: 省级指标评估结果 P is the province's 100-point result × 80/100
  (observations.csv), self-assessed on the same 80-point scale (self_assessment.csv); the
  self-assessment adjustment allows 4 points of over-claiming (tolerance 4, over_only).
- sichuan-poverty 2017: self-assessed points but no tolerance in the rubric; 2016.yaml lies
  beside 2017.yaml, and d13 资金监管's cost of 违规使用扶贫资金 rose from 0.5 to 1 point."""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import pytest
from test_official_text import _ids, visible_text

from kaohe.report import sections as present
from kaohe.report.data import prepare, read_scores
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
GUANGYUAN = ROOT / "params" / "guangyuan-reform" / "2022.yaml"
SICHUAN = ROOT / "params" / "sichuan-poverty" / "2017.yaml"


def _data(params: Path, d: Path):
    prepare(params, d)
    return read_scores(d, load_rubric(params).rubric)


@pytest.fixture(scope="module")
def guangyuan(tmp_path_factory):
    return _data(GUANGYUAN, tmp_path_factory.mktemp("gy"))


@pytest.fixture(scope="module")
def sichuan(tmp_path_factory):
    return _data(SICHUAN, tmp_path_factory.mktemp("sc"))


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_gaps_beyond_the_tolerance_are_listed(guangyuan):
    """Each county's gap = self-assessed − verified, verified = result × 80 / 100; only a gap
    above 4 points is listed: 剑阁县 74.8 − 86 × 0.8 = 74.8 − 68.8 = +6.00 (the others:
    利州区 72.8 − 69.6 = 3.2, 朝天区 74.8 − 71.6 = 3.2, … all within 4)."""
    folder = ROOT / "data" / "guangyuan-reform" / "2022"
    verified = {r["unit_id"]: float(r["value"]) * 80 / 100
                for r in _csv(folder / "observations.csv") if r["indicator_id"] == "P"}
    claimed = {r["unit_id"]: float(r["points"]) for r in _csv(folder / "self_assessment.csv")}
    over = {u: claimed[u] - verified[u] for u in claimed if claimed[u] - verified[u] > 4 + 1e-9}
    assert over == pytest.approx({"jiange": 6.0})
    html = present.self_check_gaps(present.internal(guangyuan)).html
    assert "自评与核定差异</h2>" in html
    assert "7个单位提交了自评，其中1个单位共1项指标的自评分高出核定分超过允许偏差4分" in html
    assert _rows(html) == [["剑阁县", "省级指标评估结果", "74.80", "68.80", "+6.00",
                            "self_assessment.csv:7"]]


def test_no_gap_listed_when_none_exceeds_the_tolerance(guangyuan):
    s = guangyuan.self_check
    within = dataclasses.replace(guangyuan, self_check=s[s["unit_id"] != "jiange"])
    html = present.self_check_gaps(present.internal(within)).html
    assert "6个单位提交了自评，各项自评分与核定分的差额均未超过允许偏差4分。" in html
    assert "<table" not in html


def test_no_gap_listed_as_beyond_tolerance_when_the_rubric_has_none(sichuan):
    """sichuan-poverty sets no tolerance: 109 units self-assessed, and gaps (some of a few
    thousandths) are no finding: none listed, none called 超出/超过."""
    s = sichuan.self_check
    assert s["unit_id"].nunique() == 109 and (s["gap"].abs() > 0.005).sum() > 0
    html = present.self_check_gaps(present.internal(sichuan)).html
    assert "109个单位提交了自评。评分细则未规定自评与核定的允许偏差，差额不作为考核结果，不列示。" in html
    assert "<table" not in html and "超出" not in html and "超过" not in html


def test_gaps_absent_without_self_assessment(guangyuan):
    empty = dataclasses.replace(guangyuan, self_check=guangyuan.self_check.iloc[0:0])
    assert present.self_check_gaps(present.internal(empty)) is None


def test_gap_names_are_escaped(guangyuan):
    t = guangyuan.totals.copy()
    t.loc[t["unit_id"] == "jiange", "name"] = "剑阁<b>县"
    html = present.self_check_gaps(present.internal(dataclasses.replace(guangyuan, totals=t))).html
    assert "剑阁&lt;b&gt;县" in html and "<b>" not in html


def test_rubric_changes_in_chinese_names_without_ids(sichuan):
    """2016.yaml → 2017.yaml: year, title, notes reworded, and d13 资金监管: its note and its
    cost per case of 违规使用扶贫资金 (kinds[0]) 0.5 → 1; named by the indicator's and the
    case's Chinese names, no id, no parameter key."""
    html = present.rubric_changes(present.internal(sichuan)).html
    assert "评分细则变化</h2>" in html and "与2016年评分细则相比" in html
    rows = _rows(html)
    assert [r[2] for r in rows][:1] == ["年度由2016改为2017"]
    assert ["5", "指标", "指标“资金监管”评分规则中“违规使用扶贫资金”的每次扣分由0.5改为1"] in rows
    assert len(rows) == len(sichuan.rubric_changes) == 5 and "共有5处变化" in html
    text = visible_text(html)
    assert not set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)) & _ids(SICHUAN)
    for word in ("d13", "kinds", "cost", "（ours）", "（notes）"):
        assert word not in text, word


def test_every_rubric_change_on_every_internal_page_is_in_words():
    """Every bundled year with a previous rubric beside it: no id, no parameter key, no
    English key in parentheses in any sentence of the internal page's table."""
    from kaohe.diff import diff_rubrics, in_words
    from kaohe.report.data import previous_params

    seen = 0
    for params in sorted((ROOT / "params").glob("*/*.yaml")):
        prev = previous_params(params)
        if prev is None or not prev.exists():
            continue
        a, b = load_rubric(prev).rubric, load_rubric(params).rubric
        ids = _ids(params) | _ids(prev)
        for c in diff_rubrics(a, b):
            words = in_words(c, a, b)
            seen += 1
            assert not re.search(r"（[A-Za-z_]+）|\w+\[\d+\]", words), words
            found = set(re.findall(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_]*", words)) & ids
            assert not found, (params.name, words)
    assert seen == 84  # 4 quarters × 2, guangyuan 2021→2022 40, sichuan 5 + 7 + 16 + 8


def test_a_renamed_list_item_is_named_by_its_position():
    """guangyuan 2021 → 2022: t05's first requirement renamed: items[0].name reads as
    第1项要求的名称 (its new name is the value, so it cannot name itself)."""
    from kaohe.diff import diff_rubrics, in_words

    a = load_rubric(ROOT / "params" / "guangyuan-reform" / "2021.yaml").rubric
    b = load_rubric(GUANGYUAN).rubric
    words = [in_words(c, a, b) for c in diff_rubrics(a, b)]
    assert ("指标“加强乡村规划建设”评分规则中第1项要求的名称由“完成村规划试点”改为“全面启动乡村规划编制”"
            in words)
