"""Hand-worked cases of 长寿委农办发〔2024〕3号 (seeds/002) on the bundled 2023 sample data.

Each case reads the unit's rows from the CSVs here (with the csv module, not kaohe), writes
the document's arithmetic out, and compares it with the engine:

- department points (量化打分) count as given; the cross inspection (row 18) and the site
  evaluation (row 20) are out of 100 and worth 10 (score ÷ 100 × 10); the phone survey
  (row 19) is a rate worth 10 (rate × 10) — the rubric's `ours:` conversions;
- 缺项: a unit without row 22 is scored out of 98 and rescaled, × 100 / 98 (附件说明);
- 第五条: each higher-level inspection round earns 0.2 / 0.2 / 0.3; a round whose problems
  cost the district points loses its credit and the same points are deducted;
- 第七条（一）: bonus, the same work counted once at its highest level, at most 2 in total;
- 第七条（二） and row 16: a veto puts the unit in the last grade;
- 第八条: grades by proportion (ours: 30% / 50% / 20%, half-up, ties to the higher grade),
  units rated 好 are commended (通报表扬).
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kaohe.pipeline import Run, run
from kaohe.rules.base import fmt

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params" / "changshou-rural" / "2023.yaml"
DATA = ROOT / "data" / "changshou-rural" / "2023"

# rows scored directly by district departments (量化打分), worth their points as given
DEPARTMENT_ROWS = ["r01", "r02", "r03", "r04", "r05", "r06", "r07a", "r07b", "r08", "r09",
                   "r10", "r11", "r12", "r13", "r14", "r15", "r17", "r21", "r22"]


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a data file with their line number (header = line 1)."""
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return [dict(row, line=str(i + 2)) for i, row in enumerate(csv.DictReader(f))]


def unit_values(unit: str) -> dict[str, float]:
    return {r["indicator_id"]: float(r["value"]) for r in read_csv("observations.csv")
            if r["unit_id"] == unit}


def unit_events(unit: str) -> list[dict[str, str]]:
    return [r for r in read_csv("events.csv") if r["unit_id"] == unit]


@pytest.fixture(scope="module")
def scored() -> Run:
    return run(PARAMS, DATA)


@pytest.fixture(scope="module")
def totals(scored):
    return scored.scores.totals.set_index("unit_id")


def base_of(values: dict[str, float]) -> float:
    """The document's sum for one unit: department points plus the three field results."""
    department = sum(values[r] for r in DEPARTMENT_ROWS if r in values)
    return department + values["r18"] / 100 * 10 + values["r19"] * 10 + values["r20"] / 100 * 10


# -- 凤城街道: no row 22, scored out of 98 and rescaled ---------------------------------


def test_fengcheng_without_row_22_is_rescaled_from_98(scored, totals):
    v = unit_values("fengcheng")
    assert "r22" not in v  # 附件说明 names 凤城街道 among the units scored out of 98
    assert v == {"r01": 2.6, "r02": 1.9, "r03": 4.5, "r04": 4.5, "r05": 4.6, "r06": 4.5,
                 "r07a": 4.6, "r07b": 4.5, "r08": 4.6, "r09": 2.6, "r10": 4.5, "r11": 2.7,
                 "r12": 1.8, "r13": 1.8, "r14": 1.8, "r15": 2.8, "r17": 2.7, "r21": 4.5,
                 "r18": 90.2, "r19": 0.9796, "r20": 90.7}
    department = (2.6 + 1.9 + 4.5 + 4.5 + 4.6 + 4.5 + 4.6 + 4.5 + 4.6 + 2.6 + 4.5 + 2.7
                  + 1.8 + 1.8 + 1.8 + 2.8 + 2.7 + 4.5)  # = 61.5
    field = 90.2 / 100 * 10 + 0.9796 * 10 + 90.7 / 100 * 10  # 9.02 + 9.796 + 9.07 = 27.886
    base = department + field  # 89.386 of 98
    total = base / 98 * 100  # 91.2102…
    assert department == pytest.approx(61.5)
    assert base == pytest.approx(base_of(v))
    t = totals.loc["fengcheng"]
    assert t["base"] == pytest.approx(base, abs=1e-6)
    assert t["base_max"] == 98
    assert t["total"] == pytest.approx(total, abs=1e-6)
    assert round(t["total"], 2) == 91.21
    assert "按100分制折算为91.21分" in t["explain"]
    # no adjustments for 凤城街道
    assert (t["inspections"], t["bonus"]) == (0.0, 0.0)
    d = scored.scores.details.set_index(["unit_id", "indicator_id"])
    r22 = d.loc[("fengcheng", "r22")]
    assert not r22["applicable"] and "满分为98分" in r22["reason"]
    assert t["rank"] == 11 and t["grade"] == "较好" and not t["advanced"]


def test_units_scored_out_of_98_are_those_the_document_names(totals):
    # 菩提街道、凤城街道、晏家街道、渡舟街道、新市街道、但渡镇、邻封镇、海棠镇为98分，其余镇街为100分
    named = {"菩提街道", "凤城街道", "晏家街道", "渡舟街道", "新市街道", "但渡镇", "邻封镇", "海棠镇"}
    out_of_98 = set(totals.loc[totals["base_max"] == 98, "name"])
    assert out_of_98 == named
    assert set(totals.loc[totals["base_max"] == 100, "name"]).isdisjoint(named)
    assert len(totals) == 19


# -- 石堰镇: the worked example of 第五条 ------------------------------------------------


def test_shiyan_inspections_reproduce_the_documents_example(scored, totals):
    v = unit_values("shiyan")
    assert v == {"r01": 2.7, "r02": 1.7, "r03": 4.6, "r04": 4.4, "r05": 4.5, "r06": 4.5,
                 "r07a": 4.6, "r07b": 4.4, "r08": 4.6, "r09": 2.6, "r10": 4.5, "r11": 2.8,
                 "r12": 1.7, "r13": 1.7, "r14": 1.8, "r15": 2.6, "r17": 2.8, "r21": 4.4,
                 "r22": 1.7, "r18": 88.1, "r19": 0.978, "r20": 88.7}
    department = (2.7 + 1.7 + 4.6 + 4.4 + 4.5 + 4.5 + 4.6 + 4.4 + 4.6 + 2.6 + 4.5 + 2.8
                  + 1.7 + 1.7 + 1.8 + 2.6 + 2.8 + 4.4 + 1.7)  # = 62.6
    field = 88.1 / 100 * 10 + 0.978 * 10 + 88.7 / 100 * 10  # 8.81 + 9.78 + 8.87 = 27.46
    base = department + field  # 62.6 + 27.46 = 90.06 of 100 (石堰镇 has row 22)
    assert department == pytest.approx(62.6) and base == pytest.approx(base_of(v))
    ev = {e["type"]: e for e in unit_events("shiyan")}
    assert {k: float(e["value"]) for k, e in ev.items()} == {
        "municipal_inspection": 0.5, "cross_check": 0.3, "third_party": 0.1}
    # 例：督查扣0.5、交叉核查扣0.3、第三方评估扣0.1 → no credit in any round (0.2, 0.2, 0.3
    # are not earned) and 0.5 + 0.3 + 0.1 deducted
    inspections = -0.5 - 0.3 - 0.1  # = −0.9
    t = totals.loc["shiyan"]
    assert t["base_max"] == 100
    assert t["base"] == pytest.approx(base, abs=1e-6)
    assert t["inspections"] == pytest.approx(inspections, abs=1e-9)
    assert t["total"] == pytest.approx(base + inspections, abs=1e-6)
    assert round(t["total"], 2) == 89.16  # 90.06 − 0.9
    lines = scored.scores.lines
    mine = lines[(lines["unit_id"] == "shiyan") & (lines["indicator_id"] == "inspections")]
    got = {r["ref"]: r["delta"] for _, r in mine.iterrows()}
    assert got == pytest.approx({f"events.csv:{ev['municipal_inspection']['line']}": -0.5,
                                 f"events.csv:{ev['cross_check']['line']}": -0.3,
                                 f"events.csv:{ev['third_party']['line']}": -0.1})
    assert all("取消本轮赋分" in x for x in mine["text"])
    # 15th of 19 after 15 units above it; 一般 (positions 15–18 of the 18 graded)
    assert (t["rank"], t["grade"], bool(t["advanced"])) == (15, "一般", False)


def test_inspection_credits_without_problems(totals):
    # 长寿湖镇: municipal inspection and third-party evaluation, no problems: 0.2 + 0.3
    assert totals.at["changshouhu", "inspections"] == pytest.approx(0.2 + 0.3)
    # 葛兰镇: cross check, no problem: 0.2; 洪湖镇: cross check cost the district 0.2: −0.2
    assert totals.at["gelan", "inspections"] == pytest.approx(0.2)
    assert totals.at["honghu", "inspections"] == pytest.approx(-0.2)


# -- 江南街道: bonus, the same work once, at most 2 ------------------------------------


def test_jiangnan_bonus_same_work_once_capped_at_two(scored, totals):
    v = unit_values("jiangnan")
    assert v == {"r01": 3, "r02": 1.8, "r03": 4.7, "r04": 4.6, "r05": 4.6, "r06": 4.9,
                 "r07a": 4.6, "r07b": 4.8, "r08": 4.8, "r09": 2.9, "r10": 4.7, "r11": 2.9,
                 "r12": 2, "r13": 1.9, "r14": 1.9, "r15": 2.7, "r17": 2.8, "r21": 4.7,
                 "r22": 1.9, "r18": 92.7, "r19": 0.9268, "r20": 90.5}
    department = (3 + 1.8 + 4.7 + 4.6 + 4.6 + 4.9 + 4.6 + 4.8 + 4.8 + 2.9 + 4.7 + 2.9 + 2
                  + 1.9 + 1.9 + 2.7 + 2.8 + 4.7 + 1.9)  # = 66.2
    field = 92.7 / 100 * 10 + 0.9268 * 10 + 90.5 / 100 * 10  # 9.27 + 9.268 + 9.05 = 27.588
    base = department + field  # 93.788
    assert department == pytest.approx(66.2) and base == pytest.approx(base_of(v))
    events = unit_events("jiangnan")
    assert [(e["type"], e["work"]) for e in events] == [
        ("national_pilot", "江南街道以工代赈"), ("municipal_pilot", "江南街道以工代赈"),
        ("central_media", "江南街道稻渔综合种养"), ("municipal_commend", "江南街道防返贫监测"),
        ("chongqing_media", "江南街道消费帮扶"), ("district_commend", "江南街道乡村治理")]
    # 以工代赈 is one work: national pilot 1, not also municipal pilot 0.5 (就高不就低);
    # + central media 0.3 + municipal commendation 0.5 + 华龙网 0.2 + district commendation 0.2
    bonus = min(2.0, 1 + 0.3 + 0.5 + 0.2 + 0.2)  # 2.2, capped at 2 (累计加分不超过2分)
    t = totals.loc["jiangnan"]
    assert t["base"] == pytest.approx(base, abs=1e-6)
    assert t["bonus"] == pytest.approx(bonus)
    assert t["total"] == pytest.approx(base + bonus, abs=1e-6)
    assert round(t["total"], 2) == 95.79
    lines = scored.scores.lines
    mine = lines[(lines["unit_id"] == "jiangnan") & (lines["indicator_id"] == "bonus")]
    by_ref = {r["ref"]: (r["delta"], r["text"]) for _, r in mine.iterrows()}
    municipal = by_ref[f"events.csv:{events[1]['line']}"]
    assert municipal[0] == 0.0 and "不重复计分" in municipal[1]
    assert by_ref[f"events.csv:{events[0]['line']}"][0] == 1.0
    # the cap cut off 0.2 and says so
    cap = mine[mine["text"].str.contains("封顶")]
    assert list(cap["delta"]) == [pytest.approx(-0.2)]
    assert cap["text"].iloc[0] == "加分累计2.2分，2分封顶，超出的0.2分不计"
    assert (t["rank"], t["grade"], bool(t["advanced"])) == (7, "较好", False)


def test_bonus_over_two_is_capped(tmp_path):
    """One more commendation for 江南街道 (a different work, district level +0.2): 2.4 → 2."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    with (data / "events.csv").open("a", encoding="utf-8") as f:
        f.write("jiangnan,bonus,district_commend,江南街道人居环境,,2023-12-20,"
                "人居环境整治获区委、区政府表彰\n")
    s = run(PARAMS, data).scores
    assert s.totals.set_index("unit_id").at["jiangnan", "bonus"] == pytest.approx(2.0)
    mine = s.lines[(s.lines["unit_id"] == "jiangnan") & (s.lines["indicator_id"] == "bonus")]
    # 1 + 0.3 + 0.5 + 0.2 + 0.2 = 2.2, of which 0.2 is not counted
    (cap,) = mine.loc[mine["text"].str.contains("封顶"), "text"]
    assert cap == "加分累计2.4分，2分封顶，超出的0.4分不计"
    assert mine["delta"].sum() == pytest.approx(2.0)


# -- 云台镇: vetoed --------------------------------------------------------------------


def test_yuntai_vetoed_is_last_and_not_commended(scored, totals):
    v = unit_values("yuntai")
    department = sum(v[r] for r in DEPARTMENT_ROWS)
    assert department == pytest.approx(2.9 + 1.9 + 4.4 + 4.6 + 4.4 + 4.4 + 4.4 + 4.4 + 4.5
                                       + 2.6 + 4.6 + 2.7 + 1.9 + 1.9 + 1.9 + 2.7 + 2.8 + 4.5
                                       + 1.7)  # = 63.2
    base = 63.2 + 89.4 / 100 * 10 + 0.9 * 10 + 90.3 / 100 * 10  # 63.2 + 8.94 + 9 + 9.03
    assert base == pytest.approx(base_of(v))
    (veto,) = unit_events("yuntai")
    assert (veto["indicator_id"], veto["type"]) == ("r16", "return_to_poverty")
    t = totals.loc["yuntai"]
    # a veto does not change the points (effect last_grade), it decides the grade
    assert t["total"] == pytest.approx(base, abs=1e-6)
    assert bool(t["vetoed"]) and bool(t["barred"])
    assert veto["description"] in t["veto_reason"]
    # ranked after every other unit although 90.17 is above five of them
    assert (totals["total"] < t["total"]).sum() == 5
    assert (t["rank"], t["grade"], bool(t["advanced"])) == (19, "较差", False)
    flags = scored.scores.flags
    assert flags.loc[flags["unit_id"] == "yuntai", "ref"].tolist() == [f"events.csv:{veto['line']}"]


# -- grades, ranks, commendations ------------------------------------------------------


def test_grades_by_quota_with_the_tie_at_the_cut(totals):
    # 18 units graded (云台镇 vetoed): 好 30% × 18 = 5.4 → 5; 好+较好 80% × 18 = 14.4 → 14;
    # 长寿湖镇 and 双龙镇 tie at 5th, so both are 好 (ties to the higher grade): 6 好,
    # positions 7–14 较好 (8), 15–18 一般 (4), 云台镇 较差.
    assert totals.at["changshouhu", "total"] == totals.at["shuanglong", "total"]
    assert totals.at["changshouhu", "rank"] == totals.at["shuanglong", "rank"] == 5
    expected = {
        "好": {"longhe", "duzhou", "yunji", "bake", "changshouhu", "shuanglong"},
        "较好": {"jiangnan", "yanjia", "puti", "honghu", "fengcheng", "xinshi", "haitang",
                 "linfeng"},
        "一般": {"shiyan", "wanshun", "gelan", "dandu"},
        "较差": {"yuntai"},
    }
    for grade, units in expected.items():
        assert set(totals.index[totals["grade"] == grade]) == units, grade
    assert round(0.3 * 18) == 5 and round(0.8 * 18) == 14
    # grades follow the ranking: nobody graded lower outranks somebody graded higher
    order = ["好", "较好", "一般", "较差"]
    ranked = totals.sort_values("rank")
    assert [order.index(g) for g in ranked["grade"]] == sorted(order.index(g)
                                                             for g in ranked["grade"])


def test_ranks_are_competition_ranks_on_published_totals(totals):
    graded = totals[~totals["vetoed"]]
    published = graded["total"].round(2)
    for unit, total in published.items():
        # rank = 1 + the number of units with a higher published total
        assert totals.at[unit, "rank"] == 1 + int((published > total).sum()), unit
    assert sorted(totals["rank"]) == [1, 2, 3, 4, 5, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                      17, 18, 19]


def test_units_rated_good_are_commended(totals):
    # 第八条：综合评价"好"的镇街予以通报表扬
    advanced = set(totals.index[totals["advanced"].astype(bool)])
    assert advanced == set(totals.index[totals["grade"] == "好"])
    assert advanced == {"longhe", "duzhou", "yunji", "bake", "changshouhu", "shuanglong"}


# -- every lost point has a reason and its row ---------------------------------------


def test_every_lost_point_has_a_reason_with_its_row(scored):
    obs = {r["line"]: r for r in read_csv("observations.csv")}
    d = scored.scores.details
    lost = d[d["applicable"].astype(bool) & (d["lost"] > 1e-9)]
    assert len(lost) > 100
    for _, row in lost.iterrows():
        assert f"扣{fmt(row['lost'])}分" in row["reason"], row["reason"]
        m = re.fullmatch(r"observations\.csv:(\d+)", row["refs"])
        assert m, row["refs"]
        source = obs[m.group(1)]
        assert (source["unit_id"], source["indicator_id"]) == (row["unit_id"],
                                                               row["indicator_id"])
    # the department's own reason travels with the score
    shiyan_r01 = d[(d["unit_id"] == "shiyan") & (d["indicator_id"] == "r01")].iloc[0]
    assert shiyan_r01["reason"] == "区乡村振兴局评分2.7分，得2.7分，扣0.3分（年度工作部署未细化到村）"


def test_lines_add_up_to_points(scored):
    """points = start + Σ delta: max for scores that lose points, 0 for adjustments."""
    s = scored.scores
    delta = s.lines.groupby(["unit_id", "indicator_id"])["delta"].sum()
    for _, row in s.details[s.details["applicable"].astype(bool)].iterrows():
        start = 0.0 if row["indicator_id"] in ("inspections", "bonus", "veto") else row["max"]
        got = start + delta.get((row["unit_id"], row["indicator_id"]), 0.0)
        assert got == pytest.approx(row["points"], abs=1e-9), (row["unit_id"],
                                                               row["indicator_id"])


# -- the sample data are the seeded generator's output ---------------------------------


def test_sample_data_equal_the_generator_output():
    done = subprocess.run([sys.executable, "data/generate.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
