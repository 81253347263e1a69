"""Hand-worked cases of 四川省脱贫攻坚工作成效考核办法 (seeds/004) on the bundled 2016–2020
sample data.

Each case reads the unit's rows from the CSVs (with the csv module, not kaohe), writes the
document's arithmetic out, and compares it with the engine:

- 第六条: 减贫成效 65, 精准识别 10, 精准帮扶 10, 扶贫资金 15; the 24 items are the project's
  layout (params/sichuan-poverty/*.yaml, `ours:`), scored by attainment of the plan, rates
  between a floor and 100%, deductions and checklists;
- 第六条: with only one or two of the three poverty tasks (people, villages, county exit),
  the three tasks' 45 points are shared among the present ones in proportion:
  45 × earned ÷ (maximum of the present tasks);
- 第八条: a third of the 21 cities (7) and 20% of each region's counties (34→7, 9→2, 13→3,
  32→6, half-up: ours) are advanced; 第九条（三）: a unit whose leaders were held to account
  or had a warning talk that year is not advanced and the next one takes the place;
- 第八条（四）, 第九条（二）: advanced two years running → the leaders are commended; the last
  city, or a county in its region's bottom 10% (34→3, 9→1, 13→1, 32→3), two years running →
  诫勉谈话. The earlier year comes from scoring the earlier rubric (no history.csv).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from kaohe.cli import main
from kaohe.pipeline import Run, run

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params" / "sichuan-poverty"
DATA = ROOT / "data" / "sichuan-poverty"
YEARS = (2016, 2017, 2018, 2019, 2020)
REGION_SIZES = {"秦巴山区": 34, "乌蒙山区": 9, "大小凉山彝区": 13, "高原藏区": 32}
# 20% of each region, half-up: 6.8→7, 1.8→2, 2.6→3, 6.4→6
ADVANCED_PER_REGION = {"秦巴山区": 7, "乌蒙山区": 2, "大小凉山彝区": 3, "高原藏区": 6}
# bottom 10% of each region, half-up: 3.4→3, 0.9→1, 1.3→1, 3.2→3
BOTTOM_PER_REGION = {"秦巴山区": 3, "乌蒙山区": 1, "大小凉山彝区": 1, "高原藏区": 3}


def read_csv(year: int, name: str) -> list[dict[str, str]]:
    with (DATA / str(year) / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def rows_of(year: int, unit: str) -> dict[tuple[str, str], float]:
    """(indicator, item) → value of one unit's observations; item '' when blank."""
    return {(r["indicator_id"], r["item"]): float(r["value"])
            for r in read_csv(year, "observations.csv") if r["unit_id"] == unit}


def missing_tasks(year: int, unit: str) -> set[str]:
    return {r["indicator_id"] for r in read_csv(year, "not_applicable.csv") if r["unit_id"] == unit}


@pytest.fixture(scope="module")
def runs() -> dict[int, Run]:
    """Scoring 2020 scores 2019, which scores 2018 … (each once): the chain of earlier runs."""
    out: dict[int, Run] = {}
    r: Run | None = run(PARAMS / "2020.yaml")
    while r is not None:
        out[r.loaded.rubric.year] = r
        r = r.earlier[0] if r.earlier else None
    assert sorted(out) == list(YEARS)
    return out


@pytest.fixture(scope="module")
def totals(runs):
    return {y: r.scores.totals.set_index("unit_id") for y, r in runs.items()}


# -- the document's arithmetic, written out ----------------------------------------------


def points_of(year: int) -> dict[str, float]:
    """Each item's points in the year's rubric (2019: a11 9, a12 7; 2020: c12 1, c13 4, c14 2)."""
    p = {"a11": 10, "a12": 6, "a13": 4, "a21": 9, "a22": 6, "a31": 6, "a32": 4, "a41": 10,
         "a42": 10, "b11": 3, "b12": 1, "b13": 1, "b21": 3, "b22": 1, "b23": 1, "c11": 3,
         "c12": 2, "c13": 5, "d11": 5, "d12": 2, "d13": 2, "d21": 3, "d22": 2, "d23": 1}
    if year >= 2019:
        p.update(a11=9, a12=7)
    if year >= 2020:
        p.update(c12=1, c13=4, c14=2)
    return p


def between(rate: float, floor: float, ceiling: float = 1.0) -> float:
    return min(1.0, max(0.0, (rate - floor) / (ceiling - floor)))


def step(rate: float, bands: list[tuple[float, float]]) -> float:
    return next((share for low, share in bands if rate >= low - 1e-12), 0.0)


def hand_total(year: int, unit: str) -> dict[str, float]:
    """The unit's first-level points and total, from its raw rows."""
    v = rows_of(year, unit)
    P = points_of(year)
    get = lambda ind, item="": v.get((ind, item), 0.0)  # noqa: E731  (no row: nothing found)
    done = lambda ind: P[ind] * min(1.0, get(ind, "actual") / get(ind, "target"))  # noqa: E731
    growth_target = {2016: 10.0, 2017: 10.0, 2018: 9.5, 2019: 9.5, 2020: 8.0}[year]
    absent_cost = 0.2 if year <= 2017 else 0.3
    misuse_cost = 0.5 if year == 2016 else 1.0

    # 贫困发生率, lower is better: full at or below the planned rate (0% when it is 0%)
    rate, planned = get("a13", "actual"), get("a13", "target")
    a13 = P["a13"] * (1.0 if rate == 0 else min(1.0, planned / rate))
    tasks = {"A1": (done("a11") + P["a12"] * between(get("a12"), 0.9) + a13,
                    P["a11"] + P["a12"] + P["a13"])}
    if "A2" not in missing_tasks(year, unit):
        tasks["A2"] = (done("a21") + P["a22"] * between(get("a22"), 0.8), P["a21"] + P["a22"])
    if "A3" not in missing_tasks(year, unit):
        tasks["A3"] = (done("a31") + P["a32"] * get("a32"), P["a31"] + P["a32"])
    earned = sum(e for e, _ in tasks.values())
    present = sum(m for _, m in tasks.values())
    plan = 45 * earned / present  # 第六条: the missing tasks' weight shared in proportion
    income = done("a41") + P["a42"] * min(1.0, get("a42", "actual") / growth_target)
    A = plan + income

    # 漏评率 and 错退率: full at or below 2%, else 2% ÷ the rate (0%: full)
    below_2 = lambda ind: min(1.0, 2.0 / max(get(ind, "actual"), 1e-12))  # noqa: E731
    B = P["b11"] * between(get("b11"), 0.9) + P["b12"] * below_2("b12")
    B += max(0.0, P["b13"] - 0.1 * get("b13", "data_error") - 0.2 * get("b13", "late_update"))
    B += P["b21"] * between(get("b21"), 0.9) + P["b22"] * below_2("b22")
    B += 0.25 * sum(get("b23", k) for k in ("appraisal", "verification", "publicity",
                                             "announcement"))

    C = P["c11"] * step(get("c11"), [(1.0, 1.0), (0.98, 0.8), (0.95, 0.5)])
    C += max(0.0, P["c12"] - absent_cost * get("c12", "absent") - 0.1 * get("c12", "unaware"))
    C += P["c13"] * between(get("c13"), 0.8)
    if year >= 2020:
        C += 0.5 * sum(get("c14", k) for k in ("mechanism", "timely", "measures", "clearance"))

    D = P["d11"] * get("d11") / 100 + P["d12"] * min(1.0, get("d12", "actual") / 90)
    D += max(0.0, P["d13"] - misuse_cost * get("d13", "misuse") - 0.3 * get("d13", "idle")
             - 0.2 * get("d13", "publicity"))
    D += done("d21") + done("d22")
    D += P["d23"] * step(get("d23"), [(0.98, 1.0), (0.95, 0.8), (0.9, 0.5)])
    return {"T": plan, "A": A, "B": B, "C": C, "D": D, "total": A + B + C + D}


# -- every year validates and scores; the units are the real ones ----------------------


def test_every_year_validates(capsys):
    assert main(["validate", *(str(PARAMS / f"{y}.yaml") for y in YEARS)]) == 0
    assert capsys.readouterr().out.count("通过") == 5


@pytest.mark.parametrize("year", YEARS)
def test_units_are_21_cities_and_88_counties_in_four_regions(totals, year):
    t = totals[year]
    assert (t["kind"] == "city").sum() == 21
    assert (t["kind"] == "county").sum() == 88
    assert t.loc[t["kind"] == "city", "region"].isna().all()
    assert t[t["kind"] == "county"].groupby("region").size().to_dict() == REGION_SIZES
    assert sum(REGION_SIZES.values()) == 88
    assert t.loc[["chengdu", "liangshan"], "name"].tolist() == ["成都市", "凉山彝族自治州"]
    assert t.loc["muli", ["region", "city"]].tolist() == ["高原藏区", "liangshan"]
    # cities ranked together (1–21), counties within their region
    assert sorted(t.loc[t["kind"] == "city", "group_size"].unique()) == [21]
    assert t.loc["cangxi", "group_size"] == 34 and t.loc["junlian", "group_size"] == 9


def test_exit_tasks_follow_the_real_exit_years():
    """A county has the county-exit task only in its exit year (2016: 5 … 2020: 7)."""
    exits = {y: {r["unit_id"] for r in read_csv(y, "observations.csv")
                 if r["indicator_id"] == "a31" and r["item"] == "target"} for y in YEARS}
    counties = {r["unit_id"] for r in read_csv(2016, "units.csv") if r["kind"] == "county"}
    assert {y: len(exits[y] & counties) for y in YEARS} == {2016: 5, 2017: 15, 2018: 30,
                                                            2019: 31, 2020: 7}
    assert exits[2016] & counties == {"nanbu", "pengan", "guanganqu", "qianfeng", "huaying"}
    assert exits[2020] & counties == {"puge", "butuo", "jinyang", "zhaojue", "xide", "yuexi",
                                      "meigu"}
    assert set().union(*exits.values()) >= counties  # each of the 88 exits once


def test_rubric_layout_and_the_yearly_changes(runs):
    for year, r in runs.items():
        rubric = r.loaded.rubric
        assert [(t.id, t.points) for t in rubric.indicators] == [("A", 65), ("B", 10),
                                                                 ("C", 10), ("D", 15)]
        second = ["A1", "A2", "A3", "A4", "B1", "B2", "C1", "D1", "D2"]  # 第六条: 9 二级指标
        assert all(not rubric.node(i).is_leaf for i in second)
        assert rubric.node("T").missing == "share"
        assert [c.id for c in rubric.node("T").children] == ["A1", "A2", "A3"]
        assert len(rubric.leaves()) == (24 if year < 2020 else 25)
        assert rubric.node("a11").points == (10 if year < 2019 else 9)
        assert rubric.node("a12").points == (6 if year < 2019 else 7)
    assert runs[2020].loaded.rubric.node("c14").points == 2


# -- hand-worked totals ------------------------------------------------------------------


def test_cangxi_2017_without_county_exit_task_written_out(totals):
    """苍溪县 2017: people and villages but no county exit (摘帽 2019) — 第六条 sharing."""
    v = rows_of(2017, "cangxi")
    assert missing_tasks(2017, "cangxi") == {"A3"}
    assert (v["a11", "target"], v["a11", "actual"], v["a12", ""]) == (5949, 5967, 0.9589)
    assert (v["a13", "target"], v["a13", "actual"]) == (8.32, 8.31)
    assert (v["a21", "target"], v["a21", "actual"], v["a22", ""]) == (18, 18, 1.0)
    assert (v["a41", "target"], v["a41", "actual"], v["a42", "actual"]) == (1122, 1116, 9.94)
    a1 = 10 * 1 + 6 * (0.9589 - 0.9) / 0.1 + 4 * 1  # 5967 ≥ 5949; 8.31% ≤ 8.32%
    a2 = 9 * 18 / 18 + 6 * (1.0 - 0.8) / 0.2
    plan = 45 * (a1 + a2) / (20 + 15)  # 32.534 of 35 → 41.829 of 45
    A = plan + 10 * 1116 / 1122 + 10 * 9.94 / 10.0
    assert v[("b11", "")] == 0.9628 and v[("b12", "actual")] == 1.13
    assert v[("b13", "data_error")] == 2 and ("b13", "late_update") not in v
    assert (v["b21", ""], v["b22", "actual"]) == (0.9706, 1.65)
    B = 3 * 0.628 + 1 + (1 - 0.1 * 2) + 3 * 0.706 + 1 + 4 * 0.25
    assert (v["c11", ""], v["c13", ""]) == (1.0, 0.9404) and ("c12", "absent") not in v
    C = 3 + 2 + 5 * (0.9404 - 0.8) / 0.2
    assert (v["d11", ""], v["d12", "actual"], v["d23", ""]) == (94.3, 95.6, 0.9895)
    assert (v["d22", "target"], v["d22", "actual"]) == (12543, 11956)
    D = 5 * 94.3 / 100 + 2 + 2 + 3 * 1838 / 1838 + 2 * 11956 / 12543 + 1
    t = totals[2017].loc["cangxi"]
    assert t["A"] == pytest.approx(A, abs=0.01)
    assert t["total"] == pytest.approx(A + B + C + D, abs=0.01)
    assert t["total"] == pytest.approx(92.65, abs=0.01)
    assert ("年度减贫计划完成情况：适用的只有贫困人口脱贫、贫困村退出，满分35分、得32.53分，"
            "缺项权重按比例计入，折算为41.83分（满分45分）") in t["explain"]


@pytest.mark.parametrize("year, unit, missing", [
    (2016, "huaying", set()),  # 华蓥市 2016: exit year, all three tasks
    (2018, "huaying", {"A2", "A3"}),  # after its exit: only people, 45 × a1 ÷ 20
    (2017, "cangxi", {"A3"}),
    (2016, "guangan", set()),  # a city with counties exiting that year
    (2019, "seda", {"A2"}),  # 色达县 2019: exit year, villages all out before
    (2020, "liangshan", set()),  # the last seven counties; 2020 adds c14
    (2020, "chengdu", {"A2", "A3"}),
])
def test_totals_worked_from_raw_rows(totals, year, unit, missing):
    assert missing_tasks(year, unit) == missing
    hand = hand_total(year, unit)
    t = totals[year].loc[unit]
    for key in ("A", "B", "C", "D", "total"):
        assert t[key] == pytest.approx(hand[key], abs=0.01), key


def test_every_unit_every_year_matches_the_hand_arithmetic(totals):
    for year in YEARS:
        for unit, t in totals[year].iterrows():
            assert t["total"] == pytest.approx(hand_total(year, unit)["total"], abs=0.01), \
                (year, unit)


def test_weight_sharing_keeps_45_points_for_the_plan(runs):
    nodes = runs[2018].scores.nodes.set_index(["unit_id", "node_id"])
    # 华蓥市 2018: only people (20 points) — earned × 45 / 20
    a1 = nodes.loc[("huaying", "A1"), "earned"]
    assert nodes.loc[("huaying", "A2"), "max"] == 0 and nodes.loc[("huaying", "A3"), "max"] == 0
    assert nodes.loc[("huaying", "T"), "earned"] == pytest.approx(a1 * 45 / 20)
    assert nodes.loc[("huaying", "T"), "max"] == 45
    assert (runs[2018].scores.totals["base_max"] == 100).all()


# -- advanced, accountability -------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_advanced_a_third_of_cities_and_20_percent_per_region(totals, year):
    t = totals[year]
    cities = t[t["kind"] == "city"]
    assert cities["advanced"].sum() == 7  # 21 ÷ 3
    counties = t[t["kind"] == "county"]
    assert counties.groupby("region")["advanced"].sum().to_dict() == ADVANCED_PER_REGION
    # the best-ranked units not barred (第九条（三）), in order
    for group, k in [(cities, 7)] + [(g, ADVANCED_PER_REGION[r]) for r, g in
                                      counties.groupby("region")]:
        eligible = group[~group["barred"]].sort_values("total", ascending=False)
        assert set(group.index[group["advanced"]]) == set(eligible.index[:k])


def test_held_to_account_cannot_be_advanced(totals, runs):
    # 巴中市 2017 ranks first of the cities but a county's 数字脱贫 was held to account
    b = totals[2017].loc["bazhong"]
    assert (b["rank"], b["barred"], b["advanced"]) == (1, True, False)
    # 苍溪县 2018 ranks third of 秦巴山区; fund misuse held to account → not advanced
    c = totals[2018].loc["cangxi"]
    assert c["rank"] <= 7 and c["barred"] and not c["advanced"]
    flags = runs[2018].scores.flags
    row = flags[flags["unit_id"] == "cangxi"].iloc[0]
    assert row["effect"] == "no_advanced" and "违反扶贫资金管理使用规定" in row["text"]
    assert "不得评为先进" in row["text"] and row["ref"] == "events.csv:2"
    # 自贡市 2020 ranks 5th, but its leaders had the 诫勉谈话 of 2019's result that year
    z = totals[2020].loc["zigong"]
    assert z["rank"] <= 7 and z["barred"] and not z["advanced"]
    # every finding is listed per unit, one flag per event row
    for year, r in runs.items():
        events = read_csv(year, "events.csv")
        assert sorted(r.scores.flags["unit_id"]) == sorted(e["unit_id"] for e in events)
        assert set(r.scores.totals.loc[r.scores.totals["barred"], "unit_id"]) == \
            {e["unit_id"] for e in events}


# -- two years running --------------------------------------------------------------------


def expected_flags(totals, year: int) -> dict[str, set[str]]:
    """The 第八条（四）/ 第九条（二） conditions worked from this and last year's ranks."""
    out = {"city_talk": set(), "county_talk": set(), "commend": set()}
    if year - 1 not in totals:
        return out
    both = [totals[year], totals[year - 1]]
    for unit in totals[year].index:
        rows = [t.loc[unit] for t in both]
        if rows[0]["kind"] == "city" and all(r["rank"] == r["group_size"] for r in rows):
            out["city_talk"].add(unit)
        if rows[0]["kind"] == "county" and all(
                r["rank"] > r["group_size"] - math.floor(0.1 * r["group_size"] + 0.5)
                for r in rows):
            out["county_talk"].add(unit)
        if all(r["advanced"] for r in rows):
            out["commend"].add(unit)
    return out


@pytest.mark.parametrize("year", YEARS)
def test_flags_follow_the_two_years_of_results(totals, year):
    got = {f: set(totals[year].index[totals[year][f]]) for f in
           ("city_talk", "county_talk", "commend")}
    assert got == expected_flags(totals, year)


def test_flags_against_hand_worked_histories(totals):
    rank = lambda y, u: (totals[y].loc[u, "rank"], totals[y].loc[u, "group_size"])  # noqa: E731
    # 遂宁市 last in 2016 only: no talk in 2017; 自贡市 last in 2018 and 2019: talk in 2019
    assert rank(2016, "suining") == (21, 21) and rank(2017, "suining")[0] < 21
    assert rank(2018, "zigong") == (21, 21) and rank(2019, "zigong") == (21, 21)
    assert {y: set(totals[y].index[totals[y]["city_talk"]]) for y in YEARS} == {
        2016: set(), 2017: set(), 2018: set(), 2019: {"zigong"}, 2020: set()}
    # 开江县, 营山县 in the bottom 3 of 秦巴山区 (34 × 10% → 3) in 2017 and 2018
    for u in ("kaijiang", "yingshan"):
        for y in (2017, 2018):
            assert rank(y, u)[0] > 34 - 3
    # 筠连县 last of 乌蒙山区 (9 × 10% → 1) in 2019 and 2020; 色达县 bottom in 2016 only
    assert rank(2019, "junlian") == (9, 9) and rank(2020, "junlian") == (9, 9)
    assert rank(2016, "seda")[0] > 32 - 3 and rank(2017, "seda")[0] <= 32 - 3
    assert {y: set(totals[y].index[totals[y]["county_talk"]]) for y in YEARS} == {
        2016: set(), 2017: {"wusheng"}, 2018: {"kaijiang", "yingshan", "mabian"},
        2019: {"yingshan"}, 2020: {"junlian", "yingshan"}}
    # 泸定县 and 成都市 advanced 2016 and 2017 → leaders commended in 2017
    assert {"luding", "chengdu"} <= set(totals[2017].index[totals[2017]["commend"]])
    assert "2016、2017年连续评为先进" in totals[2017].loc["luding", "explain"]
    assert not totals[2016][["city_talk", "county_talk", "commend"]].any().any()


def test_each_talk_is_recorded_the_next_year(totals):
    """A 诫勉谈话 called for by year Y's result is a warning_talk event in Y + 1's data."""
    for year in YEARS[1:]:
        talks = {e["unit_id"] for e in read_csv(year, "events.csv") if e["type"] == "warning_talk"}
        t = totals[year - 1]
        assert talks == set(t.index[t["city_talk"] | t["county_talk"]]), year


def test_history_computed_from_the_earlier_rubric(runs):
    r = runs[2019]
    assert [e.loaded.rubric.year for e in r.earlier] == [2018]
    h = r.data.history
    assert set(h["year"]) == {2018} and len(h) == 109
    prev = runs[2018].scores.totals.set_index("unit_id")
    got = h.set_index("unit_id")
    assert (got["rank"] == prev["rank"]).all()
    assert (got["advanced"] == prev["advanced"]).all()
    assert r.provenance["history"]["source"] == "computed"
    assert r.provenance["history"]["runs"][0]["rubric"].endswith("sichuan-poverty/2018.yaml")
