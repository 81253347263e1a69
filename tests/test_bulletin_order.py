"""Leader first: the bulletin opens with the decisions (grades, commended, warned, vetoed,
诫勉谈话 …), then 共性失分, then the tables; a grade taken within groups (guangyuan's
townships within their county) is shown group by group.

guangyuan-reform 2022 grades townships and streets within their county by quota: 优 15%, 好 40%,
较好 30%, the rest 一般, head counts by cumulative share rounded half up. 利州区 has 15:
优 round(2.25) = 2, 好 round(8.25) − 2 = 6, 较好 round(12.75) − 8 = 5, 一般 15 − 13 = 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaohe.report import sections as present
from kaohe.report.data import prepare, read_scores
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
GUANGYUAN = ROOT / "params" / "guangyuan-reform" / "2022.yaml"

DECISIONS = ("overview", "honours", "warnings_list", "history_flags", "vetoes")


def test_decisions_then_common_losses_then_tables():
    s = present.BULLETIN_SECTIONS
    assert s[0] == "bulletin_header"
    assert s[1:1 + len(DECISIONS)] == DECISIONS
    assert s[1 + len(DECISIONS)] == "common_losses"
    assert s.index("common_losses") < s.index("rankings") < s.index("heatmaps")


@pytest.fixture(scope="module")
def guangyuan(tmp_path_factory):
    d = tmp_path_factory.mktemp("gy")
    prepare(GUANGYUAN, d)
    return read_scores(d, load_rubric(GUANGYUAN).rubric)


def test_township_grades_by_county(guangyuan):
    html = present.grade_distribution(present.bulletin(guangyuan)).html
    head = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", html)
    assert head == ["县（区）", "等次", "单位数", "占比", "单位（按名次）"]
    body = html.split("<tbody>", 1)[1]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)]
    t = guangyuan.totals
    graded = t[t["kind"].isin(["township", "street"])]
    counties = list(dict.fromkeys(graded["county"]))
    assert len(counties) == 7 and len(rows) == 7 * 4
    assert [r[0] for r in rows] == [c for c in counties for _ in range(4)]
    lizhou = [r for r in rows if r[0] == "利州区"]
    assert (graded["county"] == "利州区").sum() == 15
    assert [(r[1], r[2], r[3]) for r in lizhou] == [
        ("优", "2", "13.33%"), ("好", "6", "40.00%"), ("较好", "5", "33.33%"), ("一般", "2", "13.33%")]
    for r in rows:  # each row's names are its county's units of that grade
        members = graded[(graded["county"] == r[0]) & (graded["grade"] == r[1])]
        assert sorted(r[4].split("、")) == sorted(members["name"]) and r[2] == str(len(members))
