"""Hand-worked cases of 广元's monitoring and assessment of the 两项改革“后半篇”文章 (seeds/000,
the plan) and its 24 tasks (seeds/003), on the bundled 2021 and 2022 sample data.

Each case reads the rows from the CSVs here (with the csv module, not kaohe), writes the
documents' arithmetic out, and compares it with the engine:

- 000 二（二）1: county result = provincial-indicator result × 80% + municipal-indicator result
  × 20%; the development zone takes 利州区's provincial result; a county whose self-assessment
  disagrees with the provincial check loses extra points (ours: more than 4 of P's 80 points
  above the check costs 3);
- 000 二（二）: municipal result = annual evaluation × 40% + quarterly 现场比武 × 40% + monthly
  bulletins × 20% — for the counties and, as 市级考核, for the departments;
- the annual evaluation: the 24 tasks of 003, each leaf by its rubric rule (target attainment
  capped at 100%, fewer days better for 办电时间; checklist points; department points), a task the
  zone does not have left out of its maximum;
- 000 四（四）: each quarter the counties, the zone and the departments are scored on site
  (ours: peers' marks, highest and lowest dropped, 现场参观 60 + 现场点评 40) and ranked; the
  two best 县（区）hold the 流动红旗; the year takes the ranks (ours: 100, −4 per place among the
  8, −2 among the 18 departments), averaged over four quarters;
- 000 四（五）: bulletins (ours: −2 per problem, −10 per serious problem that led to a talk);
- 000 四（二）: departments: the office's scoring and the counties' rating (ours: 70/30 in 2021,
  60/40 in 2022);
- 000 四（三）: townships graded by county 优/好/较好/一般 (ours: 20/40/30/10 in 2021,
  15/40/30/15 in 2022; cumulative shares rounded half up; a tie across a cut goes up).
"""

from __future__ import annotations

import csv
import filecmp
import importlib
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from kaohe.cli import main
from kaohe.pipeline import Run, run

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params" / "guangyuan-reform"
DATA = ROOT / "data" / "guangyuan-reform"
YEARS = (2021, 2022)
QUARTERS = ("Q1", "Q2", "Q3", "Q4")

# 000 二（一）: 全市7个县（区）、广元经济技术开发区
COUNTIES = ["利州区", "昭化区", "朝天区", "旺苍县", "青川县", "剑阁县", "苍溪县"]
# 003: the lead unit named first (before the first comma) of each of the 24 tasks
FIRST_LEADS = {
    1: "市委编办", 2: "市财政局", 3: "市财政局", 4: "市发展改革委", 5: "市自然资源局",
    6: "市交通运输局", 7: "市水利局", 8: "市发展改革委", 9: "市住房城乡建设局", 10: "市农业农村局",
    11: "市文化广电旅游局", 12: "市农业农村局", 13: "市农业农村局", 14: "市供销社",
    15: "市政务服务和公共资源交易中心", 16: "市教育局", 17: "市卫生健康委", 18: "市委宣传部",
    19: "市民政局", 20: "市委组织部", 21: "市民政局", 22: "市民政局", 23: "市委政法委",
    24: "市应急管理局",
}
# 乡镇（街道） per county after the merger (统计用区划代码): 135 乡镇 and 7 街道, all in 利州区
TOWNSHIPS_PER_COUNTY = {"利州区": 15, "昭化区": 12, "朝天区": 12, "旺苍县": 23, "青川县": 20,
                        "剑阁县": 29, "苍溪县": 31}
# 003's 2021 city-wide targets, broken down by county in the data
TARGETS_2021 = {"t04a": 10, "t04b": 621, "t06a": 485.8, "t06b": 116, "t08a": 164,
                "t08b": 73.664, "t08c": 512.104, "t08d": 1000, "t10a": 14, "t12": 74,
                "t13a": 39, "t13b": 45, "t24a": 14, "t24b": 6}

# the rubric's choices (ours:), per year where they change
STEP = {"county": 4, "department": 2}  # rank points: 100 for rank 1, −step per place
PROBLEM, SERIOUS = 2, 10  # bulletin deductions
TOLERANCE, PENALTY = 4, 3  # self-assessment
OFFICE_WEIGHT = {2021: 0.7, 2022: 0.6}  # office vs counties in the departments' year
GRADE_SHARES = {2021: (0.2, 0.4, 0.3), 2022: (0.15, 0.4, 0.3)}
GRADES = ("优", "好", "较好", "一般")


@cache
def read_csv(stem: str, name: str) -> tuple[dict[str, str], ...]:
    path = DATA / stem / name
    if not path.exists():
        return ()
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def obs(stem: str, unit: str, indicator: str) -> dict[str, float]:
    """item → value of one unit's rows of one indicator (one source per item)."""
    return {r["item"]: float(r["value"]) for r in read_csv(stem, "observations.csv")
            if r["unit_id"] == unit and r["indicator_id"] == indicator}


def values(stem: str, unit: str, indicator: str) -> list[float]:
    return [float(r["value"]) for r in read_csv(stem, "observations.csv")
            if r["unit_id"] == unit and r["indicator_id"] == indicator]


def trimmed_mean(xs: list[float]) -> float:
    """Drop one highest and one lowest mark, average the rest."""
    return (sum(xs) - max(xs) - min(xs)) / (len(xs) - 2)


def half_up(x: float) -> int:
    return int(x + 0.5 + 1e-9)


@cache
def rubric_yaml(stem: str) -> dict:
    return yaml.safe_load((PARAMS / f"{stem}.yaml").read_text(encoding="utf-8"))


def node(year: int, node_id: str) -> dict:
    """A node of the YAML tree by id."""
    def find(nodes: list[dict]) -> dict | None:
        for n in nodes:
            if n["id"] == node_id:
                return n
            got = find(n.get("children", []))
            if got is not None:
                return got
        return None

    found = find(rubric_yaml(str(year))["indicators"])
    assert found is not None, node_id
    return found


def leaves_under(year: int, node_id: str) -> list[tuple[dict, list[dict]]]:
    """(leaf, its ancestors from the top) under a node of the YAML tree, in order."""
    out = []

    def walk(node: dict, path: list[dict], inside: bool) -> None:
        inside = inside or node["id"] == node_id
        if node.get("children"):
            for child in node["children"]:
                walk(child, [*path, node], inside)
        elif inside:
            out.append((node, path))

    for top in rubric_yaml(str(year))["indicators"]:
        walk(top, [], False)
    return out


@pytest.fixture(scope="module")
def runs() -> dict[int, Run]:
    return {year: run(PARAMS / f"{year}.yaml") for year in YEARS}


def totals(runs, year: int):
    return runs[year].scores.totals.set_index("unit_id")


# -- every file, every unit ------------------------------------------------------------------


def test_every_params_file_validates_and_scores_on_its_own(runs, capsys):
    files = sorted(PARAMS.glob("*.yaml"))
    assert [f.stem for f in files] == ["2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4", "2021",
                                       "2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2022"]
    # validate loads and scores each file alone (a year with its four quarters)
    assert main(["validate", *map(str, files)]) == 0
    assert capsys.readouterr().out.count("通过：") == 10
    for year in YEARS:
        assert len(runs[year].scores.totals) == 168 and runs[year].data.sample
        assert [p.loaded.rubric.period for p in runs[year].periods] == list(QUARTERS)
        assert all(len(p.scores.totals) == 26 and p.data.sample for p in runs[year].periods)


@pytest.mark.parametrize("year", YEARS)
def test_units_8_plus_18_plus_142(year):
    units = read_csv(str(year), "units.csv")
    kinds = {}
    for u in units:
        kinds.setdefault(u["kind"], []).append(u)
    assert [u["name"] for u in kinds["county"]] == COUNTIES
    assert [u["name"] for u in kinds["zone"]] == ["广元经济技术开发区"]
    assert len(kinds["county"]) + len(kinds["zone"]) == 8
    # the 18 lead departments: the first-named lead units of the 24 tasks, in order of first
    # appearance (市扶贫开发局, named second for task 13 only, is not one of them)
    assert [u["name"] for u in kinds["department"]] == list(dict.fromkeys(FIRST_LEADS.values()))
    assert len(kinds["department"]) == 18
    # 135 乡镇 + 7 街道 = 142, grouped by county
    assert len(kinds["township"]) == 135 and len(kinds["street"]) == 7
    per_county = {}
    for u in kinds["township"] + kinds["street"]:
        per_county[u["county"]] = per_county.get(u["county"], 0) + 1
    assert per_county == TOWNSHIPS_PER_COUNTY
    assert {u["county"] for u in kinds["street"]} == {"利州区"}
    # the quarterly contests: the same 8 + 18 units
    for q in QUARTERS:
        contest = read_csv(f"{year}-{q}", "units.csv")
        assert [u["unit_id"] for u in contest] == [
            u["unit_id"] for u in kinds["county"] + kinds["zone"] + kinds["department"]]


def test_2021_targets_add_up_to_the_documents_figures():
    sums: dict[str, float] = {}
    for r in read_csv("2021", "observations.csv"):
        if r["item"] == "target":
            sums[r["indicator_id"]] = sums.get(r["indicator_id"], 0.0) + float(r["value"])
    assert sums.keys() == TARGETS_2021.keys()
    for leaf, figure in TARGETS_2021.items():
        assert sums[leaf] == pytest.approx(figure, abs=1e-9), leaf


# -- a county and the zone, worked out by hand ------------------------------------------------


def leaf_points(stem: str, unit: str, leaf: dict) -> float:
    """One leaf of the 24 tasks, by its rule, from the unit's rows."""
    rule, mx = leaf["rule"], float(leaf["points"])
    got = obs(stem, unit, leaf["id"])
    if rule["kind"] == "attainment":
        target = rule.get("target") or got["target"]
        actual = got["actual"]
        if rule.get("direction") == "lower":  # fewer days is better
            ratio = target / actual if actual > 0 else 1.0
        else:
            ratio = actual / target
        return min(ratio, 1.0) * mx
    if rule["kind"] == "checklist":
        return sum(i["points"] for i in rule["items"] if got[i["id"]] > 0)
    assert rule["kind"] == "rater_points"
    [value] = got.values()
    return min(value / rule["scale"] * mx if "scale" in rule else value, mx)


def applies(leaf: dict, path: list[dict], unit: str, kind: str, stem: str) -> bool:
    off = {(r["unit_id"], r["indicator_id"]) for r in read_csv(stem, "not_applicable.csv")}
    for node in [*path, leaf]:
        spec = node.get("applies_to") or {}
        if spec.get("kinds") and kind not in spec["kinds"]:
            return False
        if spec.get("units") and unit not in spec["units"]:
            return False
        if (unit, node["id"]) in off:
            return False
    return True


def annual_evaluation(year: int, unit: str, kind: str) -> float:
    """M1 as a share: points earned over the points of the tasks the unit has."""
    earned = maximum = 0.0
    for leaf, path in leaves_under(year, "M1"):
        if applies(leaf, path, unit, kind, str(year)):
            earned += leaf_points(str(year), unit, leaf)
            maximum += float(leaf["points"])
    return earned / maximum


@cache
def contest_totals(stem: str) -> dict[str, float]:
    """A quarter's total per unit: marks out of 100, highest and lowest dropped, × 60 and × 40."""
    units = [u["unit_id"] for u in read_csv(stem, "units.csv")]
    return {u: trimmed_mean(values(stem, u, "S1")) / 100 * 60
            + trimmed_mean(values(stem, u, "S2")) / 100 * 40 for u in units}


def contest_rank(stem: str, unit: str) -> int:
    """Competition rank within the unit's pool (县区 and zone; departments), on 2 decimals."""
    pool = {u["unit_id"]: u["pool"] for u in read_csv(stem, "units.csv")}
    t = contest_totals(stem)
    mine = round(t[unit], 2)
    return 1 + sum(1 for u, v in t.items() if pool[u] == pool[unit] and round(v, 2) > mine)


def contest_points(year: int, unit: str, kind: str) -> float:
    """The four quarters' rank points on 100, averaged."""
    step = STEP["department" if kind == "department" else "county"]
    return sum(100 - step * (contest_rank(f"{year}-{q}", unit) - 1) for q in QUARTERS) / 4


def bulletins(year: int, unit: str, indicator: str) -> float:
    lost = sum((PROBLEM if r["item"] == "problem" else SERIOUS) * float(r["value"])
               for r in read_csv(str(year), "observations.csv")
               if r["unit_id"] == unit and r["indicator_id"] == indicator)
    return max(0.0, 100 - lost)


def provincial(year: int, unit: str) -> float:
    source = "lizhou" if unit == "jingkai" else unit  # the zone takes 利州区's result
    [value] = values(str(year), source, "P")
    return value / 100 * 80


def penalty(year: int, unit: str) -> float:
    for r in read_csv(str(year), "self_assessment.csv"):
        if r["unit_id"] == unit and float(r["points"]) - provincial(year, unit) > TOLERANCE + 1e-9:
            return PENALTY
    return 0.0


COUNTY_CASES = [(2021, "jiange", "county"), (2021, "qingchuan", "county"),
                (2021, "jingkai", "zone"), (2022, "jiange", "county"), (2022, "jingkai", "zone")]


@pytest.mark.parametrize(("year", "unit", "kind"), COUNTY_CASES)
def test_county_and_zone_totals_by_hand(runs, year, unit, kind):
    p = provincial(year, unit)  # × 80%
    m1 = annual_evaluation(year, unit, kind)  # share of the tasks' points
    m2 = contest_points(year, unit, kind)  # of 100
    m3 = bulletins(year, unit, "M3")  # of 100
    m = 20 * (0.4 * m1 + 0.4 * m2 / 100 + 0.2 * m3 / 100)  # × 20%, inside 40/40/20
    expected = p + m - penalty(year, unit)
    t = totals(runs, year).loc[unit]
    assert t["P"] == pytest.approx(p, abs=0.01)
    assert t["M"] == pytest.approx(m, abs=0.01)
    assert t["total"] == pytest.approx(expected, abs=0.01)


def test_the_zone_takes_lizhous_provincial_result(runs):
    for year in YEARS:
        assert values(str(year), "jingkai", "P") == []  # no row of its own
        t = totals(runs, year)
        assert t.at["jingkai", "P"] == pytest.approx(t.at["lizhou", "P"], abs=1e-9)
        d = runs[year].scores.details
        [reason] = d.loc[(d["unit_id"] == "jingkai") & (d["indicator_id"] == "P"), "reason"]
        assert "按利州区结果执行" in reason
        # ranked with the counties: one pool of 8
        assert t.at["jingkai", "group_size"] == 8 and t.at["lizhou", "group_size"] == 8


COUNTY_IDS = ("lizhou", "zhaohua", "chaotian", "wangcang", "qingchuan", "jiange", "cangxi")


def test_self_assessments_far_above_the_provincial_check_lose_extra_points(runs):
    penalised = {year: [u for u in COUNTY_IDS if penalty(year, u)] for year in YEARS}
    assert penalised == {2021: ["qingchuan"], 2022: ["jiange"]}  # the designed disagreements
    for year in YEARS:
        t = totals(runs, year)
        for u in COUNTY_IDS:
            assert t.at[u, "self_check"] == -penalty(year, u)
        # some counties over-claim within the tolerance and lose nothing
        gaps = [float(r["points"]) - provincial(year, r["unit_id"])
                for r in read_csv(str(year), "self_assessment.csv")]
        assert any(0 < g <= TOLERANCE for g in gaps)
    # 青川县 2021: self-assessed well above the check, gap over 4 of P's 80 points
    [me] = [float(r["points"]) for r in read_csv("2021", "self_assessment.csv")
            if r["unit_id"] == "qingchuan"]
    assert me - provincial(2021, "qingchuan") == pytest.approx(6.4, abs=1e-9)  # (x + 8) × 0.8 − x × 0.8


# -- a department, worked out by hand ---------------------------------------------------------


def office_score(year: int, dept: str) -> float:
    """The office's 100: led tasks' annual targets (40, −10 quantified / −6 other per unmet
    task, floor 0) + work quality (30, marked of 100) + duties checklist (30)."""
    stem = str(year)
    cls = {r["item_id"]: r["class"] for r in read_csv(stem, "items.csv")}
    led = [r["item_id"] for r in read_csv(stem, "item_roles.csv")
           if r["unit_id"] == dept and r["role"] == "lead"]
    verdict = obs(stem, "", "D1o1")  # item-level rows: unit_id blank
    lost = sum({"量化": 10, "定性": 6}[cls[t]] for t in led if verdict[t] == 0)
    targets = max(0.0, 40 - lost)
    [quality] = values(stem, dept, "D1o2")
    duties = sum(i["points"] for i in node(year, "D1o3")["rule"]["items"]
                 if obs(stem, dept, "D1o3")[i["id"]] > 0)
    return targets + quality / 100 * 30 + duties


@pytest.mark.parametrize(("year", "dept"), [(2021, "minzheng"), (2021, "gongxiao"),
                                            (2022, "nongye"), (2022, "jiaoyu")])
def test_department_totals_by_hand(runs, year, dept):
    office = office_score(year, dept)
    counties = trimmed_mean(values(str(year), dept, "D1c"))  # 8 raters, of 100
    assert len(values(str(year), dept, "D1c")) == 8
    w = OFFICE_WEIGHT[year]
    d1 = w * office + (1 - w) * counties
    d2 = contest_points(year, dept, "department")
    d3 = bulletins(year, dept, "D3")
    expected = 0.4 * d1 + 0.4 * d2 + 0.2 * d3  # 年度 40%、现场比武 40%、每月通报 20%
    t = totals(runs, year).loc[dept]
    assert t["total"] == pytest.approx(expected, abs=0.01)
    assert t["group_size"] == 18


# -- townships: graded within each county --------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_township_totals_and_grades_by_hand(runs, year):
    t = totals(runs, year)
    units = [u for u in read_csv(str(year), "units.csv") if u["kind"] in ("township", "street")]
    shares = GRADE_SHARES[year]
    for county in COUNTIES:
        mine = [u["unit_id"] for u in units if u["county"] == county]
        score = {u: values(str(year), u, "T")[0] for u in mine}  # the county's result, of 100
        n = len(mine)
        cuts = [half_up(sum(shares[: j + 1]) * n) for j in range(3)]  # cumulative, half up
        for u in mine:
            rank = 1 + sum(1 for v in score.values() if v > score[u])  # a tie takes the higher
            grade = next((GRADES[j] for j in range(3) if rank <= cuts[j]), GRADES[3])
            assert t.at[u, "total"] == pytest.approx(score[u], abs=1e-9)
            assert t.at[u, "grade"] == grade, (county, u)
            assert t.at[u, "group_size"] == n


@pytest.mark.parametrize(("year", "county", "share"), [(2021, "苍溪县", 0.2), (2022, "剑阁县", 0.15)])
def test_a_tie_at_the_you_cut_takes_both_up(runs, year, county, share):
    t = totals(runs, year)
    mine = t[(t["county"] == county) & t["kind"].isin(["township", "street"])]
    mine = mine.sort_values("total", ascending=False)
    k = half_up(share * len(mine))  # 苍溪 31 × 20% = 6.2 → 6; 剑阁 29 × 15% = 4.35 → 4
    assert mine["total"].iloc[k - 1] == mine["total"].iloc[k]  # the designed tie
    assert (mine["grade"] == "优").sum() == k + 1
    assert list(mine["grade"].iloc[: k + 1]) == ["优"] * (k + 1)
    assert mine["grade"].iloc[k + 1] == "好"


# -- the quarterly contests: red flags -----------------------------------------------------------


@pytest.mark.parametrize("stem", [f"{y}-{q}" for y in YEARS for q in QUARTERS])
def test_red_flags_go_to_the_two_best_counties_of_each_quarter(runs, stem):
    t_hand = contest_totals(stem)
    counties = [u["unit_id"] for u in read_csv(stem, "units.csv") if u["kind"] == "county"]
    flags = sorted(counties, key=lambda u: -round(t_hand[u], 2))[:2]
    year = int(stem[:4])
    [period] = [p for p in runs[year].periods if Path(p.loaded.path).stem == stem]
    t = period.scores.totals.set_index("unit_id")
    assert sorted(t.index[t["advanced"]]) == sorted(flags)
    for u, v in t_hand.items():
        assert t.at[u, "total"] == pytest.approx(v, abs=0.01)
        assert t.at[u, "rank"] == contest_rank(stem, u)
    assert not t.at["jingkai", "advanced"]  # the zone is ranked, but 县（区）hold the flag


def test_when_the_zone_ranks_second_the_flag_passes_to_the_third(runs):
    for stem, holders in (("2021-Q3", {"wangcang", "jiange"}), ("2022-Q4", {"lizhou", "chaotian"})):
        [period] = [p for p in runs[int(stem[:4])].periods if Path(p.loaded.path).stem == stem]
        t = period.scores.totals.set_index("unit_id")
        assert t.at["jingkai", "rank"] == 2
        assert set(t.index[t["advanced"]]) == holders
        assert sorted(t.loc[sorted(holders), "rank"]) == [1, 3]


def test_the_year_reads_the_quarters_ranks(runs):
    d = runs[2021].scores.details
    [reason] = d.loc[(d["unit_id"] == "jingkai") & (d["indicator_id"] == "M2"), "reason"]
    assert "第三季度" in reason and "排第2名（共8个），按名次计96分" in reason  # 100 − 4 × (2 − 1)
    assert [p["period"] for p in runs[2021].provenance["periods"]] == list(QUARTERS)


# -- 2022 differs as an office would revise it ---------------------------------------------------


def test_2022_new_indicator_changed_weight_changed_quota():
    ids = {y: {leaf["id"] for leaf, _ in leaves_under(y, "M1")} for y in YEARS}
    assert ids[2022] - ids[2021] == {"t08h"} and ids[2021] - ids[2022] == {"t08g"}
    assert {y: (node(y, "D1o")["weight"], node(y, "D1c")["weight"]) for y in YEARS} == {
        2021: (0.7, 0.3), 2022: (0.6, 0.4)}
    grades = {y: [t.get("share") for t in rubric_yaml(str(y))["results"]["grades"][0]["tiers"]]
              for y in YEARS}
    assert grades == {2021: [0.2, 0.4, 0.3, None], 2022: [0.15, 0.4, 0.3, None]}


# -- sample data -----------------------------------------------------------------------------------


def test_sample_data_are_marked_and_equal_the_generator_output(tmp_path):
    stems = sorted(p.name for p in DATA.iterdir())
    assert len(stems) == 10
    for stem in stems:
        assert yaml.safe_load((DATA / stem / "dataset.yaml").read_text(encoding="utf-8"))["sample"]
        assert "示例数据" in (DATA / stem / "README.md").read_text(encoding="utf-8")
    sys.path.insert(0, str(ROOT / "data"))
    try:
        gen = importlib.import_module("generators.guangyuan_reform")
    finally:
        sys.path.remove(str(ROOT / "data"))
    files = gen.generate(tmp_path)
    assert len(files) == 6 * 2 + 2 * 8 + 2 * 10  # CSVs of the years and quarters + meta
    for f in files:
        committed = DATA / f.relative_to(tmp_path / "guangyuan-reform")
        assert filecmp.cmp(f, committed, shallow=False), committed
