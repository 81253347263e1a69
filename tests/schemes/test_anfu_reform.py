"""Hand-worked cases of 《安福县2017年度全面深化改革工作分类考核评价办法》 (seeds/001) on the
bundled 2017 sample data.

Each case reads the unit's rows from the CSVs here (with the csv module, not kaohe), writes
the document's arithmetic out line by line, and compares it with the engine:

- 附件2 (县直单位): checklists 1+1+1+1+1 and 2+3; 报备 −1 per plan; 信息 ≥4 a year, −1 per
  missing one, zero if the quality fails; 动态等 −0.5 per missing one; 报表 −1 per month,
  −0.5 per item; 督察 −3 per failure; 向上汇报 6/3/1.5 and 6/5/4, capped at 6, zero for poor
  reporting; 培训 3; A/B/C −3/−2/−1 per unmet item; 专业测评 20/60/20 → 10/9/8 × 1.0/0.9,
  mean over items; 满意率 × 10 (ours); 县领导测评 20/60/20 → 15/12/9; 特色影响力 same work at
  its highest level, works summed, no cap; 激励加分 more than 2 led items, drop the worst 2,
  3/2/1 each, at most 10;
- 附件3 (乡镇): the per-line rules of the rubric's `ours:` (checklists and deductions), and
  the 1–7 tier table of 特色影响力, same work once, no cap;
- 第五条: each point above 100 adds 0.1 to 绩效考评 (departments) or 综合考评 (townships), at
  most 3; 第七条: 6 + 3 先进单位, below 60 警示单位.
Quota cuts (ours): share × peers, cumulative, rounded half up; a tie across a cut goes up.
"""

from __future__ import annotations

import csv
import filecmp
import importlib
import sys
from pathlib import Path

import pytest

from kaohe.cli import main
from kaohe.pipeline import Run, run
from kaohe.rubric import Rubric, check_rubric

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params" / "anfu-reform" / "2017.yaml"
DATA = ROOT / "data" / "anfu-reform" / "2017"

# 附件1: every lead unit (牵头单位), in order of first appearance, after the normalisations
# 县国土局 → 县国土资源局, 检察院 → 县检察院, 法院 → 县法院, 司法局 → 县司法局.
LEAD_UNITS = [
    "县金融办", "县住建局", "县教体局", "县政务服务中心", "县城管局", "县委组织部", "县纪委",
    "县工信委", "县发改委", "县财政局", "县工业园区管委会", "县市场与质量监管局", "县政府法制办",
    "县农业局", "县旅发委", "武功山管委会", "县林业局", "县生态办", "县水利局", "县河长制办",
    "县统计局", "县审计局", "县委宣传部", "县公安局", "县委政法委", "县信访局", "县交警大队",
    "县省直管县办", "县政府办", "县委农工部", "县编办", "县国土资源局", "县监察局", "县房管局",
    "县科技局", "县商务局", "县国税局", "县地税局", "县安监局", "县扶贫办", "县环保局",
    "县文广新局", "县委办", "县委改革办", "县人大", "县政协", "县委统战部", "县法院", "县检察院",
    "县司法局", "县卫计委", "县人社局", "县委党校", "县总工会", "团县委", "县妇联", "县科协", "县侨联",
]
TOWNSHIPS = ["平都镇", "浒坑镇", "洲湖镇", "横龙镇", "洋溪镇", "严田镇", "枫田镇", "竹江乡", "瓜畲乡",
             "钱山乡", "赤谷乡", "山庄乡", "洋门乡", "金田乡", "彭坊乡", "泰山乡", "寮塘乡", "甘洛乡",
             "章庄乡"]


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def obs(unit: str, indicator: str) -> dict[str, float]:
    """item → value of one unit's rows of one indicator (one rater per item)."""
    return {r["item"]: float(r["value"]) for r in read_csv("observations.csv")
            if r["unit_id"] == unit and r["indicator_id"] == indicator}


def rater_values(unit: str, indicator: str) -> list[float]:
    return [float(r["value"]) for r in read_csv("observations.csv")
            if r["unit_id"] == unit and r["indicator_id"] == indicator]


def events(unit: str, indicator: str) -> list[tuple[str, str]]:
    """(type, work) of one unit's events of one indicator."""
    return [(r["type"], r["work"]) for r in read_csv("events.csv")
            if r["unit_id"] == unit and r["indicator_id"] == indicator]


def half_up(x: float) -> int:
    return int(x + 0.5 + 1e-9)


def quota_points(value: float, peers: list[float], points: tuple[float, float, float]) -> float:
    """20% / 60% / 20% by position: the cut after half_up(0.2 n) and half_up(0.8 n) places;
    peers tied with each other take the best position of the tie (ties go up)."""
    position = 1 + sum(v > value for v in peers)
    n = len(peers)
    if position <= half_up(0.2 * n):
        return points[0]
    if position <= half_up(0.8 * n):
        return points[1]
    return points[2]


def item_ratings() -> dict[str, float]:
    return {r["item"]: float(r["value"]) for r in read_csv("observations.csv")
            if r["indicator_id"] == "d2_2_2" and r["unit_id"] == ""}


def expert_points(item: str) -> float:
    """专业测评 of one item within its 专项: 优 10, 良 9, 合格 8."""
    groups = {r["item_id"]: r["group"] for r in read_csv("items.csv")}
    ratings = item_ratings()
    peers = [ratings[i] for i, g in groups.items() if g == groups[item]]
    return quota_points(ratings[item], peers, (10, 9, 8))


def leader_means() -> dict[str, float]:
    values: dict[str, list[float]] = {}
    for r in read_csv("observations.csv"):
        if r["indicator_id"] == "d3_2":
            values.setdefault(r["unit_id"], []).append(float(r["value"]))
    return {u: sum(v) / len(v) for u, v in values.items()}


def leader_points(unit: str) -> float:
    """县领导测评 of one department among all departments: 优 15, 良 12, 合格 9."""
    means = leader_means()
    return quota_points(means[unit], list(means.values()), (15, 12, 9))


def completion() -> dict[str, float]:
    return {r["item"]: float(r["value"]) for r in read_csv("observations.csv")
            if r["indicator_id"] == "d2_2_1" and r["unit_id"] == ""}


def roles_of(unit: str) -> dict[str, str]:
    return {r["item_id"]: r["role"] for r in read_csv("item_roles.csv") if r["unit_id"] == unit}


@pytest.fixture(scope="module")
def scored() -> Run:
    return run(PARAMS, DATA)


@pytest.fixture(scope="module")
def totals(scored):
    return scored.scores.totals.set_index("unit_id")


def node(scored: Run, unit: str, node_id: str) -> float:
    n = scored.scores.nodes
    return float(n[(n["unit_id"] == unit) & (n["node_id"] == node_id)]["earned"].iloc[0])


# -- the command line ---------------------------------------------------------------------


def test_validate_and_score_succeed(tmp_path, capsys):
    assert main(["validate", str(PARAMS)]) == 0
    assert main(["score", str(PARAMS), "--out", str(tmp_path)]) == 0
    with (tmp_path / "totals.csv").open(encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.DictReader(f))) == 58 + 19
    assert "示例数据" in capsys.readouterr().out


# -- units and items are the document's ---------------------------------------------------


def test_units_are_every_lead_unit_and_every_township():
    units = read_csv("units.csv")
    assert [u["name"] for u in units if u["kind"] == "department"] == LEAD_UNITS
    assert [u["name"] for u in units if u["kind"] == "township"] == TOWNSHIPS
    assert (len(LEAD_UNITS), len(TOWNSHIPS)) == (58, 19)
    ids = {u["unit_id"]: u["name"] for u in units}
    leads = {ids[r["unit_id"]] for r in read_csv("item_roles.csv") if r["role"] == "lead"}
    assert leads == set(LEAD_UNITS)  # every department leads an item; no other unit does


def test_items_are_attachment_1():
    items = read_csv("items.csv")
    classes = [i["class"] for i in items]
    assert (classes.count("A"), classes.count("B"), classes.count("C")) == (11, 33, 56)
    assert [i["item_id"] for i in items] == (
        [f"A{k:02d}" for k in range(1, 12)] + [f"B{k:02d}" for k in range(1, 34)]
        + [f"C{k:02d}" for k in range(1, 57)])
    assert len({i["group"] for i in items}) == 8  # 八大专项
    ids = {u["unit_id"]: u["name"] for u in read_csv("units.csv")}
    lead = {}
    for r in read_csv("item_roles.csv"):
        if r["role"] == "lead":
            lead.setdefault(r["item_id"], set()).add(ids[r["unit_id"]])
    # split and normalised as printed: “县公安局、检察院、法院、司法局”, “县政府法制办、司法局”
    assert lead["C46"] == {"县公安局", "县检察院", "县法院", "县司法局"}
    assert lead["C47"] == {"县政府法制办", "县司法局"}
    assert lead["B14"] == {"县财政局", "县发改委", "县生态办"}
    assert lead["C14"] == lead["B28"] - {"县发改委", "县住建局"} == {"县国土资源局"}
    assert lead["B10"] == {"武功山管委会", "县住建局"}


# -- 县委组织部: a star above 100, worked out line by line ------------------------------


def test_zuzhibu_total_by_hand(scored, totals):
    u = "zuzhibu"
    # 部署谋划 10: 1+1+1+1+1 and 2+3, every requirement met
    assert obs(u, "d1_1_1") == {"research": 1, "leadership_meeting": 1, "division_of_labour": 1,
                                "full_time_staff": 1, "safeguards": 1}
    assert obs(u, "d1_1_2") == {"ledger": 1, "implementing_rules": 1}
    d1_1 = (1 + 1 + 1 + 1 + 1) + (2 + 3)
    # 台帐管理 15
    assert obs(u, "d1_2_1") == {"filed_late": 1}
    d1_2_1 = 2 - 1 * 1  # one plan filed after 5 working days: −1
    assert obs(u, "d1_2_2") == {"count": 6, "quality": 1}
    d1_2_2 = 4 - max(0, 4 - 6) * 1  # 6 reports ≥ 4, quality met
    assert obs(u, "d1_2_3") == {"monthly": 1}
    d1_2_3 = 5 - 1 * 0.5  # one monthly report missing
    assert obs(u, "d1_2_4") == {}
    d1_2_4 = 4
    # 协同推进 15
    assert obs(u, "d2_1_1") == {}
    d2_1_1 = 6
    assert sorted(events(u, "d2_1_2")) == [("info_provincial", ""), ("info_provincial", ""),
                                           ("pilot_provincial", "")]
    d2_1_2 = min(3 + 3 + 5, 6)  # 11, 此项得分6分封顶
    assert obs(u, "d2_1_3") == {"training": 1}
    d2_1_3 = 3
    # 分类推进 15: leads A06 A09 A10 B30 B31 B32 C51, responsible for B26
    held = roles_of(u)
    assert held == {"A06": "lead", "A09": "lead", "A10": "lead", "B30": "lead", "B31": "lead",
                    "B32": "lead", "C51": "lead", "B26": "responsible"}
    done = completion()
    assert [i for i in held if done[i] == 0] == ["B31"]
    d2_2_1 = 5 - 2  # B31 (B类) missed its annual target
    # 专业测评: 党的建设 has 12 items, 优 = half_up(2.4) = 2 places, 优+良 = half_up(9.6) = 10;
    # A09 and A10 tie at 93.5 on place 2, so both are 优 (3 优 in all)
    assert item_ratings()["A09"] == item_ratings()["A10"] == 93.5
    tiers = {i: expert_points(i) for i in held}
    assert tiers == {"A06": 10, "A09": 10, "A10": 10, "B30": 9, "B31": 9, "B32": 9, "C51": 9,
                     "B26": 9}
    d2_2_2 = (10 + 10 + 10 + 9 + 9 + 9 + 9 + 9 * 0.9) / 8  # B26 × 0.9 as 责任单位; 9.2625
    # 满意度 10: the mean of the six rater groups' rates × 10
    rates = rater_values(u, "d3_1")
    assert rates == [0.96, 0.95, 0.975, 0.94, 0.975, 0.96]
    d3_1 = (0.96 + 0.95 + 0.975 + 0.94 + 0.975 + 0.96) / 6 * 10  # 0.96 → 9.6
    # 县领导测评 15: 99 from every leader, first of 58 → 优
    assert rater_values(u, "d3_2") == [99.0] * 11
    assert leader_points(u) == 15
    d3_2 = 15
    # 特色影响力: same work at its highest level, different works added, no cap
    assert sorted(events(u, "d4_1")) == sorted([
        ("publication_provincial", "党建+一线工作法"), ("instruction_municipal", "党建+一线工作法"),
        ("anfu_bulletin", "党建+一线工作法"), ("instruction_provincial", "容错纠错减责免责机制"),
        ("speech_municipal", "容错纠错减责免责机制"), ("anfu_bulletin", "青年干部八小时外自主学习"),
        ("county_website", "双重组织生活制度"), ("county_website", "“一树两强”活动")])
    d4 = max(15, 10, 5) + max(15, 15) + 5 + 1 + 1  # 37, above the section's 20
    # 激励加分: 7 led items > 2; drop the worst two (two 良), 3 × 优 + 2 × 良 = 13 → 10
    incentive = min(3 + 3 + 3 + 2 + 2, 10)
    total = (d1_1 + d1_2_1 + d1_2_2 + d1_2_3 + d1_2_4 + d2_1_1 + d2_1_2 + d2_1_3 + d2_2_1
             + d2_2_2 + d3_1 + d3_2 + d4 + incentive)
    assert total == pytest.approx(122.3625)
    assert node(scored, u, "d1") == pytest.approx(10 + 1 + 4 + 4.5 + 4)
    assert node(scored, u, "d2_2") == pytest.approx(3 + 9.2625)
    assert node(scored, u, "d4") == pytest.approx(37)  # the engine keeps what exceeds 20
    assert totals.at[u, "incentive"] == pytest.approx(10)
    assert totals.at[u, "total"] == pytest.approx(total, abs=0.01)
    # 第五条: (122.3625 − 100) × 0.1 = 2.23625 绩效考评加分 (under the cap of 3)
    assert totals.at[u, "converted"] == pytest.approx((total - 100) * 0.1)
    assert totals.at[u, "conversion_name"] == "绩效考评加分"


# -- 县侨联: a 警示单位, worked out line by line -----------------------------------------


def test_qiaolian_total_by_hand(scored, totals):
    u = "qiaolian"
    assert obs(u, "d1_1_1") == {"research": 1, "leadership_meeting": 1, "division_of_labour": 1,
                                "full_time_staff": 0, "safeguards": 0}
    assert obs(u, "d1_1_2") == {"ledger": 1, "implementing_rules": 0}
    d1_1 = (1 + 1 + 1) + 2
    assert obs(u, "d1_2_1") == {"filed_late": 1}
    d1_2_1 = 2 - 1
    assert obs(u, "d1_2_2") == {"count": 3, "quality": 0}
    d1_2_2 = 0  # 4 − 1 = 3, but 信息质量不达标的不计分
    assert obs(u, "d1_2_3") == {"monthly": 2, "half_year": 1}
    d1_2_3 = 5 - 3 * 0.5
    assert obs(u, "d1_2_4") == {"missed_month": 4, "missed_item": 1}
    d1_2_4 = max(0, 4 - 4 * 1 - 1 * 0.5)  # −0.5 → 0, 扣完为止
    assert obs(u, "d2_1_1") == {"inspection_failed": 1, "not_rectified": 1}
    d2_1_1 = max(0, 6 - 3 - 3)  # zeroed
    assert sorted(events(u, "d2_1_2")) == [("info_municipal", ""), ("poor_reporting", "")]
    d2_1_2 = 0  # 1.5 earned, but 因汇报沟通不到位，影响全县考评的，此项不得分
    assert obs(u, "d2_1_3") == {"training": 0}
    d2_1_3 = 0
    assert roles_of(u) == {"C56": "lead"} and completion()["C56"] == 0
    d2_2_1 = 5 - 1  # C类 missed: −1
    # 党的建设: C56 is last of 12 (76.5), place 12 > half_up(9.6) = 10 → 合格
    assert expert_points("C56") == 8
    d2_2_2 = 8 * 1.0
    assert rater_values(u, "d3_1") == [0.8, 0.75, 0.85, 0.7, 0.9, 0.8]
    d3_1 = (0.8 + 0.75 + 0.85 + 0.7 + 0.9 + 0.8) / 6 * 10
    assert rater_values(u, "d3_2") == [60.0] * 11
    assert sum(m > 60 for m in leader_means().values()) == 57  # last of 58 → 合格
    d3_2 = 9
    assert sorted(events(u, "d4_1")) == [("anfu_bulletin", "侨联改革"), ("county_website", "侨联改革")]
    d4 = max(5, 1)  # one work, counted once at its highest level
    incentive = 0  # leads one item, not more than 2
    total = (d1_1 + d1_2_1 + d1_2_2 + d1_2_3 + d1_2_4 + d2_1_1 + d2_1_2 + d2_1_3 + d2_2_1
             + d2_2_2 + d3_1 + d3_2 + d4 + incentive)
    assert total == pytest.approx(43.5)
    assert node(scored, u, "d2_1") == 0.0  # both 协同推进 items zeroed, and no training
    assert totals.at[u, "total"] == pytest.approx(total, abs=0.01)
    assert bool(totals.at[u, "warning"]) and totals.at[u, "converted"] == 0


# -- 特色影响力: every article in the county bulletin counts (附件2 第4项, 附件3 第1项) --------


def test_every_article_in_the_county_bulletin_counts(scored):
    # 附件2 第4项: “《安福改革动态》单篇每篇5分；县政府门户网站改革专栏单篇每篇1分”. The 就高
    # clause takes one work's highest-scoring level; it does not make a second article worth 0.
    u = "tongjiju"  # 县统计局: one work, two articles in the bulletin and one on the website
    assert sorted(events(u, "d4_1")) == [("anfu_bulletin", "自然资源资产负债表编制")] * 2 + [
        ("county_website", "自然资源资产负债表编制")]
    assert node(scored, u, "d4_1") == max(2 * 5, 1 * 1) == 10


def test_every_article_counts_for_a_township_too(scored):
    # 附件3 第1项: “在县政府门户网站改革专栏、《安福改革动态》……单篇刊发,每篇分别得1分、5分……”
    u = "jintian"  # 金田乡: 农村环境整治 in the bulletin; 土地流转 in the bulletin and twice online
    assert sorted(events(u, "t3_1")) == [
        ("anfu_bulletin", "金田乡农村环境整治"), ("anfu_bulletin", "金田乡土地流转"),
        ("county_website", "金田乡土地流转"), ("county_website", "金田乡土地流转")]
    assert node(scored, u, "t3_1") == 5 + max(5, 2 * 1) == 10


# -- 洲湖镇: a township above 100, worked out line by line --------------------------------


def test_zhouhu_total_by_hand(scored, totals):
    u = "zhouhu"
    # 工作机制 20
    assert obs(u, "t1_1_1") == {"personally_deploy": 1, "personally_review": 1,
                                "personally_coordinate": 1, "personally_supervise": 1}
    t1_1_1 = 1 + 1 + 1 + 1
    assert obs(u, "t1_1_2") == {"count": 3}
    t1_1_2 = 4 - max(0, 2 - 3) * 2  # 2次以上: 3 done
    assert obs(u, "t1_1_3") == {"organisation": 1, "full_time_staff": 1,
                                "division_of_labour": 1, "budget": 0}
    t1_1_3 = 1 + 1 + 1
    assert obs(u, "t1_1_4") == {"poor_cooperation": 1}
    t1_1_4 = 8 - 2
    # 信息报送 20
    assert obs(u, "t1_2_1") == {"count": 4}
    t1_2_1 = 5 - (5 - 4) * 1  # 至少5篇，每少一篇扣1分
    assert obs(u, "t1_2_2") == {"filed_late": 1}
    t1_2_2 = 5 - 1
    assert obs(u, "t1_2_3") == {}
    t1_2_3 = 5
    assert obs(u, "t1_2_4") == {"monthly": 2}
    t1_2_4 = 5 - 2 * 0.5
    # 部署安排 20
    assert obs(u, "t2_1_1") == {}
    assert obs(u, "t2_1_2") == {"key_points": 1, "aligned": 1}
    assert obs(u, "t2_1_3") == {"ledger": 1, "responsible": 1, "schedule": 1, "targets": 0}
    assert obs(u, "t2_1_4") == {"no_risk_assessment": 1}
    t2_1 = 5 + (3 + 2) + (2 + 1 + 1) + (5 - 1)
    # 任务推进 20
    assert obs(u, "t2_2_1") == {"task_behind": 1}
    assert obs(u, "t2_2_2") == {}
    assert obs(u, "t2_2_3") == {"supervision": 1, "guidance": 1}
    assert obs(u, "t2_2_4") == {"missed_item": 1}
    t2_2 = (6 - 2) + 4 + (1 + 1) + (8 - 0.5)
    # 特色影响力: 附件3 items 1–7, same work at its highest, works added, no cap
    assert sorted(events(u, "t3_1")) == sorted([
        ("jiangxi_bulletin", "农村集体产权制度改革"), ("award_municipal", "农村集体产权制度改革"),
        ("anfu_bulletin", "农村集体产权制度改革"), ("jian_bulletin", "村级事务阳光公开"),
        ("tv_jian", "村级事务阳光公开"), ("anfu_bulletin", "乡贤理事会"),
        ("county_website", "“一事一议”财政奖补")])
    t3 = max(15, 10, 5) + max(10, 10) + 5 + 1  # 31, above the section's 20
    t1 = t1_1_1 + t1_1_2 + t1_1_3 + t1_1_4 + t1_2_1 + t1_2_2 + t1_2_3 + t1_2_4
    total = t1 + t2_1 + t2_2 + t3
    assert (t1, t2_1 + t2_2, t3, total) == (34, 35.5, 31, 100.5)
    assert node(scored, u, "t1") == t1 and node(scored, u, "t3") == t3
    assert totals.at[u, "total"] == pytest.approx(total, abs=0.01)
    # 第五条（二）: 0.5 above 100 → 0.05 综合考评加分
    assert totals.at[u, "converted"] == pytest.approx((total - 100) * 0.1)
    assert totals.at[u, "conversion_name"] == "综合考评加分"


# -- results: 先进单位, 警示单位, conversion ---------------------------------------------


def test_six_advanced_departments_and_three_townships(totals):
    adv = totals[totals["advanced"].astype(bool)]
    assert set(adv[adv["kind"] == "department"]["name"]) == {
        "县住建局", "县委组织部", "县水利局", "县发改委", "县政务服务中心", "县纪委"}
    assert set(adv[adv["kind"] == "township"]["name"]) == {"严田镇", "横龙镇", "洲湖镇"}
    for kind, n in (("department", 6), ("township", 3)):
        ranked = totals[totals["kind"] == kind]["total"].sort_values(ascending=False)
        assert set(ranked.index[:n]) == set(adv[adv["kind"] == kind].index)
        assert ranked.iloc[n - 1] > ranked.iloc[n]  # no tie at the cut


def test_warning_units_are_those_below_60(totals):
    warned = totals[totals["warning"].astype(bool)]
    assert set(warned["name"]) == {"县侨联", "章庄乡"}
    assert set(warned.index) == set(totals.index[totals["total"] < 60])


def test_conversion_above_100_by_kind(totals):
    # 县住建局: far above 130, so (total − 100) × 0.1 > 3 and the cap applies
    assert totals.at["zhujianju", "total"] > 130
    assert totals.at["zhujianju", "converted"] == 3
    for u, row in totals.iterrows():
        expected = min(max(row["total"] - 100, 0) * 0.1, 3)
        assert row["converted"] == pytest.approx(expected), u
        assert row["conversion_name"] == {"department": "绩效考评加分",
                                          "township": "综合考评加分"}[row["kind"]]
    assert (totals["converted"] > 0).sum() == 6 + 3  # exactly the stars are above 100


# -- quota cuts and ties (ours: half up, ties go up) --------------------------------------


def test_leader_rating_tie_at_the_cut_goes_up(scored):
    means = leader_means()
    ranked = sorted(means.values(), reverse=True)
    cut = half_up(0.2 * 58)  # 11.6 → 12 places for 优
    assert ranked[cut - 1] == ranked[cut] > ranked[cut + 1]  # places 12 and 13 tie
    tiers = scored.scores.extra["d3_2.tiers"]
    assert (tiers["tier_name"] == "优").sum() == cut + 1
    assert (tiers["tier_name"] == "合格").sum() == 58 - half_up(0.8 * 58)  # 58 − 46 = 12
    d = scored.scores.details
    points = d[d["indicator_id"] == "d3_2"].set_index("unit_id")["points"]
    for u in means:
        assert points[u] == leader_points(u), u


def test_expert_rating_points_follow_the_quota_in_every_group(scored):
    graded = scored.scores.extra["d2_2_2.tiers"]
    assert len(graded) == 100
    for item, row in graded.iterrows():
        assert row["tier_points"] == expert_points(item), item


def test_zeroed_reporting_item_outside_the_hand_cases(scored):
    # 县商务局: adopted reports and a pilot earn 6/3/1.5 and 6/5/4, capped at 6 — and then
    # 因汇报沟通不到位，影响全县考评的，此项不得分
    level = {"info_central": 6, "info_provincial": 3, "info_municipal": 1.5, "pilot_central": 6,
             "pilot_provincial": 5, "pilot_municipal": 4}
    types = [t for t, _ in events("shangwuju", "d2_1_2")]
    assert "poor_reporting" in types
    assert min(sum(level[t] for t in types if t in level), 6) == 6  # would have been full
    d = scored.scores.details
    row = d[(d["unit_id"] == "shangwuju") & (d["indicator_id"] == "d2_1_2")].iloc[0]
    assert row["points"] == 0.0
    assert "因汇报沟通不到位，影响全县考评" in row["reason"]


def test_lines_add_up_to_points(scored):
    """points = start + Σ delta: the maximum for deducting rules, 0 for awarding ones."""
    s = scored.scores
    delta = s.lines.groupby(["unit_id", "indicator_id"])["delta"].sum()
    zero_start = {"d2_1_2", "d4_1", "t3_1", "incentive"}
    for _, row in s.details[s.details["applicable"].astype(bool)].iterrows():
        start = 0.0 if row["indicator_id"] in zero_start else row["max"]
        got = start + delta.get((row["unit_id"], row["indicator_id"]), 0.0)
        assert got == pytest.approx(row["points"], abs=1e-9), (row["unit_id"],
                                                               row["indicator_id"])


# -- what the engine needed for this scheme ------------------------------------------------


def _conversion_rubric(conversion) -> tuple[Rubric, dict]:
    raw = {"scheme": "t", "year": 2017, "title": "测试",
           "unit_kinds": [{"id": "department", "name": "县直单位"},
                          {"id": "township", "name": "乡镇"}],
           "indicators": [{"id": "A", "name": "甲", "points": 100,
                           "rule": {"kind": "rater_points"}}],
           "results": {"conversion": conversion}}
    return Rubric.model_validate(raw), raw


def test_one_conversion_per_kind():
    rubric, raw = _conversion_rubric({"above": 100, "rate": 0.1, "cap": 3, "name": "折算加分"})
    assert [c.name for c in rubric.results.conversion] == ["折算加分"]  # one mapping still works
    assert check_rubric(rubric) == []
    rubric, raw = _conversion_rubric([{"kinds": ["department"], "rate": 0.1, "name": "绩效考评加分"},
                                      {"rate": 0.1, "name": "综合考评加分"}])
    assert check_rubric(rubric) == [
        ("results.conversion[1].kinds", "单位类别“department”已由 conversion[0] 折算，不能重复折算")]


def test_other_kinds_indicators_are_not_said_to_be_rescaled(scored):
    d = scored.scores.details
    row = d[(d["unit_id"] == "zhouhu") & (d["indicator_id"] == "d4_1")].iloc[0]
    assert not row["applicable"]
    assert row["reason"] == "本项不适用（县直单位考评指标（附件2），乡镇按附件3考评），不计分"


# -- the sample data are the seeded generator's output ---------------------------------


def test_sample_data_equal_the_generator_output(tmp_path):
    sys.path.insert(0, str(ROOT / "data"))
    try:
        gen = importlib.import_module("generators.anfu_reform")
    finally:
        sys.path.remove(str(ROOT / "data"))
    files = gen.generate(tmp_path)
    assert files
    for f in files:
        committed = DATA / f.relative_to(tmp_path / "anfu-reform" / "2017")
        assert filecmp.cmp(f, committed, shallow=False), committed
