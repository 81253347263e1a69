"""Totals-level rules through ``engine.score`` on tiny scheme-years: rescale (缺项折算),
missing: share, the order of adjustments, vetoes, ranking with ties, grades, advanced and
warning lists, the over-100 conversion and conditions over consecutive years."""

from __future__ import annotations

import pytest
from helpers import make_dataset, make_rubric, totals

from kaohe.engine import score
from kaohe.errors import KaoheError


def leaf(node_id: str, points: float, **kw) -> dict:
    return {"id": node_id, "name": f"指标{node_id}", "points": points,
            "rule": {"kind": "rater_points"}, **kw}


def unit_rows(ids, kind: str = "dept", **cols) -> list[dict]:
    return [{"unit_id": u, "name": f"{u}单位", "kind": kind,
             **{c: v[u] for c, v in cols.items()}} for u in ids]


def rated(values: dict[str, dict[str, float]]) -> list[dict]:
    """Observation rows: {unit: {indicator: value}}."""
    return [{"unit_id": u, "indicator_id": i, "source": "考评组", "value": v}
            for u, row in values.items() for i, v in row.items()]


def one_leaf(ids, values: dict[str, float], kind: str = "dept", **kw):
    """A 100-point rubric with a single rated leaf, so each unit's total is its value."""
    rubric = make_rubric([leaf("A", 100)], **kw)
    data = make_dataset(rubric, unit_rows(ids, kind),
                        observations=rated({u: {"A": v} for u, v in values.items()}))
    return rubric, data


# -- rescale: changshou row 22 applies to some units only, full marks 98 → 100 ----------

CHANGSHOU = [leaf("W", 98), leaf("E22", 2, applies_to={
    "except_units": ["puti"], "reason": "无乡村振兴重点帮扶镇街和帮扶村任务"})]


def test_rescale_units_with_a_missing_item():
    rubric = make_rubric(CHANGSHOU, order=["rescale"])
    data = make_dataset(
        rubric, unit_rows(["puti", "fengcheng", "jiangnan"]),
        observations=rated({"puti": {"W": 98}, "fengcheng": {"W": 88.2},
                            "jiangnan": {"W": 90, "E22": 2}}),
        not_applicable=[{"unit_id": "fengcheng", "indicator_id": "E22",
                         "reason": "无重点帮扶任务"}])
    s = score(rubric, data)
    t = totals(s)
    # puti: 98 / 98 × 100 = 100; fengcheng: 88.2 / 98 × 100 = 90; jiangnan: 90 + 2 = 92
    assert t["total"].round(9).to_dict() == {"puti": 100.0, "fengcheng": 90.0, "jiangnan": 92.0}
    assert t.at["puti", "base_max"] == 98 and t.at["jiangnan", "base_max"] == 100
    assert t.at["fengcheng", "explain"] == "缺项折算：适用指标满分98分，得88.2分，按100分制折算为90分"
    assert t.at["jiangnan", "explain"] == ""
    d = s.details.set_index(["unit_id", "indicator_id"])
    assert d.at[("puti", "E22"), "reason"] == \
        "本项不适用（无乡村振兴重点帮扶镇街和帮扶村任务），不计分，按缺项折算"
    assert d.at[("fengcheng", "E22"), "reason"] == "本项不适用（无重点帮扶任务），不计分，按缺项折算"
    assert not d.at[("puti", "E22"), "applicable"]


def test_without_rescale_the_missing_item_is_simply_lost():
    rubric = make_rubric(CHANGSHOU)
    data = make_dataset(rubric, unit_rows(["puti"]), observations=rated({"puti": {"W": 98}}))
    assert totals(score(rubric, data)).at["puti", "total"] == 98.0


BONUS = {"id": "bonus", "name": "加分", "points": 2, "rule": {
    "kind": "highest_per_work", "cap": 2, "what": "加分",
    "levels": {"national_pilot": {"name": "明确为国家级试点示范", "points": 1},
               "municipal_pilot": {"name": "明确为市级试点示范", "points": 0.5}}}}
INSPECTIONS = {"id": "inspections", "name": "市级评估结果运用", "points": 0.7, "rule": {
    "kind": "credits_findings", "lost_by": "长寿区",
    "rounds": {"municipal_inspection": {"name": "市级专项督查", "credit": 0.2},
               "cross_check": {"name": "区县交叉核查", "credit": 0.2},
               "third_party": {"name": "市级第三方评估", "credit": 0.3}}}}


def _changshou_with_adjustments(order):
    rubric = make_rubric(CHANGSHOU, adjustments=[INSPECTIONS, BONUS], order=order)
    ev = [
        {"unit_id": "puti", "indicator_id": "bonus", "type": "national_pilot", "work": "以工代赈",
         "description": "国家级试点"},
        {"unit_id": "puti", "indicator_id": "bonus", "type": "municipal_pilot", "work": "以工代赈",
         "description": "市级试点"},
        {"unit_id": "x", "indicator_id": "inspections", "type": "municipal_inspection",
         "value": 0.5, "description": "督查发现问题"},
        {"unit_id": "x", "indicator_id": "inspections", "type": "cross_check", "value": 0.3,
         "description": "核查发现问题"},
        {"unit_id": "x", "indicator_id": "inspections", "type": "third_party", "value": 0.1,
         "description": "评估发现问题"},
        {"unit_id": "puti", "indicator_id": "inspections", "type": "third_party",
         "description": "接受评估"},
    ]
    data = make_dataset(rubric, unit_rows(["puti", "x"]),
                        observations=rated({"puti": {"W": 97}, "x": {"W": 90, "E22": 2}}),
                        event_rows=ev)
    return totals(score(rubric, data))


def test_adjustments_after_rescale():
    t = _changshou_with_adjustments(["rescale", "inspections", "bonus"])
    # puti: 97 / 98 × 100 + 0.3 (third-party credit) + 1 (same work, highest) = 98.979… + 1.3
    assert t.at["puti", "total"] == pytest.approx(97 / 98 * 100 + 0.3 + 1)
    assert t.at["puti", "rescaled"] == pytest.approx(97 / 98 * 100)
    assert t.at["puti", "bonus"] == 1.0 and t.at["puti", "inspections"] == 0.3
    # X镇: 92 − 0.5 − 0.3 − 0.1 = 91.1 (the document's worked example, no credit)
    assert t.at["x", "total"] == pytest.approx(91.1)
    assert t.at["x", "inspections"] == pytest.approx(-0.9)


def test_an_adjustment_before_rescale_is_rescaled_with_the_base():
    t = _changshou_with_adjustments(["inspections", "bonus", "rescale"])
    # puti: (97 + 0.3 + 1) / 98 × 100 = 98.3 / 98 × 100; x: (92 − 0.9) × 100 / 100 = 91.1
    assert t.at["puti", "total"] == pytest.approx(98.3 / 98 * 100)
    assert t.at["x", "total"] == pytest.approx(91.1)


# -- missing: share (Sichuan 第六条) and weighted nodes --------------------------------

SICHUAN = [
    {"id": "JP", "name": "减贫成效", "points": 65, "missing": "share", "children": [
        leaf("people", 25, name="贫困人口脱贫"), leaf("villages", 20, name="贫困村退出"),
        leaf("county", 20, name="贫困县摘帽")]},
    leaf("other", 35),
]


def test_share_gives_a_missing_tasks_weight_to_the_present_ones():
    rubric = make_rubric(SICHUAN)
    data = make_dataset(
        rubric, unit_rows(["c1", "c2", "c3"]),
        observations=rated({"c1": {"people": 20, "villages": 16, "county": 20, "other": 35},
                            "c2": {"people": 20, "villages": 16, "other": 35},
                            "c3": {"people": 25, "other": 30}}),
        not_applicable=[{"unit_id": "c2", "indicator_id": "county", "reason": "无摘帽任务"},
                        {"unit_id": "c3", "indicator_id": "county", "reason": "无摘帽任务"},
                        {"unit_id": "c3", "indicator_id": "villages", "reason": "无退出任务"}])
    s = score(rubric, data)
    t = totals(s)
    # c1: 20 + 16 + 20 = 56; c2: (20 + 16) / 45 × 65 = 52; c3: 25 / 25 × 65 = 65
    assert t["JP"].round(9).to_dict() == {"c1": 56.0, "c2": 52.0, "c3": 65.0}
    assert t["total"].round(9).to_dict() == {"c1": 91.0, "c2": 87.0, "c3": 95.0}
    assert (t["base_max"] == 100).all()
    n = s.nodes.set_index(["unit_id", "node_id"])
    assert n.at[("c2", "JP"), "max"] == 65 and n.at[("c2", "county"), "max"] == 0


def test_weighted_node_shares_a_missing_components_weight():
    # guangyuan: county result = provincial × 80% + municipal × 20%
    rubric = make_rubric([{"id": "R", "name": "综合", "points": 100, "aggregate": "weighted",
                           "children": [leaf("prov", 100, weight=0.8),
                                        leaf("muni", 100, weight=0.2)]}])
    data = make_dataset(rubric, unit_rows(["lizhou", "jkq"]),
                        observations=rated({"lizhou": {"prov": 90, "muni": 80},
                                            "jkq": {"prov": 90}}),
                        not_applicable=[{"unit_id": "jkq", "indicator_id": "muni",
                                         "reason": "开发区不参加市级指标考核"}])
    t = totals(score(rubric, data))
    # lizhou: 0.8 × 0.9 + 0.2 × 0.8 = 0.88 → 88; jkq: 0.8 × 0.9 / 0.8 → 90
    assert t["total"].round(9).to_dict() == {"lizhou": 88.0, "jkq": 90.0}


# -- vetoes ------------------------------------------------------------------------------

VETO = {"id": "veto", "name": "一票否决", "points": 0, "rule": {"kind": "veto", "cases": {
    "large_scale_return": {"name": "存在规模性返贫", "effect": "last_grade",
                           "says": "一票否决，直接评为最后一个等次"},  # changshou 八
    "held_to_account": {"name": "有关责任人受到责任追究", "effect": "no_advanced"},
    "fraud": {"name": "弄虚作假", "effect": "zero"}}}}


def test_veto_effects():
    values = {"last": 99, "bar": 98, "zero": 97, "a": 90, "b": 80}
    rubric = make_rubric(
        [leaf("A", 100)], adjustments=[VETO], order=["veto"],
        results={"grades": {"method": "thresholds",
                            "tiers": [{"name": "好", "min": 90}, {"name": "较好", "min": 80},
                                      {"name": "较差"}]},
                 "advanced": {"top_n": 2, "name": "通报表扬"}})
    ev = [{"unit_id": "last", "indicator_id": "veto", "type": "large_scale_return",
           "description": "某村规模性返贫"},
          {"unit_id": "bar", "indicator_id": "veto", "type": "held_to_account",
           "description": "副镇长被问责"},
          {"unit_id": "zero", "indicator_id": "veto", "type": "fraud", "description": "数字脱贫"}]
    data = make_dataset(rubric, unit_rows(values),
                        observations=rated({u: {"A": v} for u, v in values.items()}),
                        event_rows=ev)
    s = score(rubric, data)
    t = totals(s)
    # zero: total 0; last: keeps 99 but vetoed; both ranked behind the others
    assert t["total"].to_dict() == {"last": 99.0, "bar": 98.0, "zero": 0.0, "a": 90.0, "b": 80.0}
    assert t["vetoed"].to_dict() == {"last": True, "bar": False, "zero": True, "a": False,
                                     "b": False}
    assert t["barred"].to_dict() == {"last": True, "bar": True, "zero": True, "a": False,
                                     "b": False}
    # unvetoed by score: bar 98 (1), a 90 (2), b 80 (3); then vetoed by score: last, zero
    assert t["rank"].to_dict() == {"bar": 1, "a": 2, "b": 3, "last": 4, "zero": 5}
    assert t["grade"].to_dict() == {"last": "较差", "bar": "好", "zero": "较差", "a": "好",
                                    "b": "较好"}
    # top 2 among those not barred: a and b (bar is top but barred)
    assert t["advanced"].to_dict() == {"last": False, "bar": False, "zero": False, "a": True,
                                       "b": True}
    assert t.at["zero", "explain"] == "一票否决，考核得分由97分计为0分；一票否决，等次评为“较差”"
    assert t.at["last", "veto_reason"] == "存在规模性返贫：某村规模性返贫，一票否决，直接评为最后一个等次"
    assert set(s.flags["effect"]) == {"last_grade", "no_advanced", "zero"}


def test_veto_as_a_zero_point_leaf_of_the_tree():
    # changshou row 16: a 0-point row of 巩固成效 that vetoes instead of scoring
    rubric = make_rubric([{"id": "D", "name": "巩固成效", "points": 100, "children": [
        {**VETO, "id": "r16", "name": "防止返贫致贫成效"}, leaf("r17", 100)]}])
    data = make_dataset(rubric, unit_rows(["a", "b"]),
                        observations=rated({"a": {"r17": 95}, "b": {"r17": 85}}),
                        event_rows=[{"unit_id": "a", "indicator_id": "r16",
                                     "type": "large_scale_return", "description": "规模性返贫"}])
    t = totals(score(rubric, data))
    assert t["total"].to_dict() == {"a": 95.0, "b": 85.0}
    assert t["rank"].to_dict() == {"a": 2, "b": 1}


# -- ranking ---------------------------------------------------------------------------


def test_competition_and_dense_ranking_with_ties():
    values = {"a": 95, "b": 90, "c": 90, "d": 85}
    assert totals(score(*one_leaf(values, values)))["rank"].to_dict() == \
        {"a": 1, "b": 2, "c": 2, "d": 4}
    dense = one_leaf(values, values, results={"ranking": {"method": "dense"}})
    assert totals(score(*dense))["rank"].to_dict() == {"a": 1, "b": 2, "c": 2, "d": 3}


def test_ranking_uses_the_published_decimals():
    values = {"a": 90.004, "b": 90.001, "c": 89.0}
    assert totals(score(*one_leaf(values, values)))["rank"].to_dict() == {"a": 1, "b": 1, "c": 3}
    three = one_leaf(values, values, results={"ranking": {"decimals": 3}})
    assert totals(score(*three))["rank"].to_dict() == {"a": 1, "b": 2, "c": 3}


def test_ranking_within_groups():
    rubric = make_rubric([leaf("A", 100)], groups=["region"],
                         results={"ranking": {"within": ["region"]}})
    region = {"q1": "秦巴山区", "q2": "秦巴山区", "q3": "秦巴山区", "w1": "乌蒙山区", "w2": "乌蒙山区"}
    values = {"q1": 80, "q2": 90, "q3": 80, "w1": 70, "w2": 75}
    data = make_dataset(rubric, unit_rows(values, region=region),
                        observations=rated({u: {"A": v} for u, v in values.items()}))
    t = totals(score(rubric, data))
    assert t["rank"].to_dict() == {"q1": 2, "q2": 1, "q3": 2, "w1": 2, "w2": 1}
    assert t["group_size"].to_dict() == {"q1": 3, "q2": 3, "q3": 3, "w1": 2, "w2": 2}


# -- grades ----------------------------------------------------------------------------


def test_grades_by_thresholds():
    values = {"a": 90, "b": 89.99, "c": 80, "d": 60, "e": 59.99}
    grades = {"method": "thresholds", "tiers": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 80},
                                                 {"name": "合格", "min": 60}, {"name": "不合格"}]}
    t = totals(score(*one_leaf(values, values, results={"grades": grades})))
    assert t["grade"].to_dict() == {"a": "优秀", "b": "良好", "c": "良好", "d": "合格",
                                    "e": "不合格"}


def test_grades_by_quota_leave_vetoed_units_out_of_the_pool():
    # changshou: 好 30%, 较好 50%, 一般 20%, 较差 only for vetoes; 10 units, 1 vetoed → 9:
    # 好 round(2.7) = 3; 较好 round(7.2) − 3 = 4; 一般 9 − 7 = 2; the vetoed unit 较差
    ids = [f"u{i:02d}" for i in range(1, 11)]
    values = {u: 100 - i for i, u in enumerate(ids)}
    grades = {"method": "quota", "tiers": [{"name": "好", "share": 0.3},
                                           {"name": "较好", "share": 0.5},
                                           {"name": "一般", "share": 0.2}, {"name": "较差"}]}
    rubric = make_rubric([leaf("A", 100)], adjustments=[VETO], order=["veto"],
                         results={"grades": grades})
    data = make_dataset(rubric, unit_rows(ids),
                        observations=rated({u: {"A": v} for u, v in values.items()}),
                        event_rows=[{"unit_id": "u01", "indicator_id": "veto",
                                     "type": "large_scale_return", "description": "规模性返贫"}])
    t = totals(score(rubric, data))
    assert list(t.loc[ids, "grade"]) == ["较差", "好", "好", "好", "较好", "较好", "较好", "较好",
                                         "一般", "一般"]
    assert t.at["u01", "rank"] == 10


def test_grades_per_unit_kind():
    rubric = make_rubric(
        [leaf("A", 100)],
        unit_kinds=[{"id": "city", "name": "市州"}, {"id": "county", "name": "贫困县"}],
        results={"grades": [
            {"method": "thresholds", "kinds": ["city"], "tiers": [{"name": "好", "min": 90},
                                                                 {"name": "一般"}]},
            {"method": "quota", "kinds": ["county"], "tiers": [{"name": "好", "share": 0.5},
                                                               {"name": "一般"}]}]})
    rows = unit_rows(["c1", "c2"], "city") + unit_rows(["k1", "k2", "k3", "k4"], "county")
    values = {"c1": 95, "c2": 85, "k1": 70, "k2": 60, "k3": 50, "k4": 40}
    data = make_dataset(rubric, rows, observations=rated({u: {"A": v} for u, v in values.items()}))
    t = totals(score(rubric, data))
    # cities by threshold 90; counties: 4 × 50% = 2 好 regardless of their low scores
    assert t["grade"].to_dict() == {"c1": "好", "c2": "一般", "k1": "好", "k2": "好", "k3": "一般",
                                    "k4": "一般"}


# -- advanced and warning (anfu 第七条; Sichuan 第八条) ---------------------------------


def _anfu(depts: dict[str, float], towns: dict[str, float], **results):
    rubric = make_rubric(
        [leaf("A", 100)],
        unit_kinds=[{"id": "dept", "name": "县直单位"}, {"id": "town", "name": "乡镇"}],
        results=results)
    data = make_dataset(rubric, unit_rows(depts, "dept") + unit_rows(towns, "town"),
                        observations=rated({u: {"A": v} for u, v in {**depts, **towns}.items()}))
    return totals(score(rubric, data))


ANFU_ADVANCED = [{"kinds": ["dept"], "top_n": 6, "name": "先进单位"},
                 {"kinds": ["town"], "top_n": 3, "name": "先进单位"}]


def test_anfu_six_departments_and_three_townships():
    depts = {f"d{i}": 100 - i for i in range(1, 9)}    # d1 99 … d8 92
    towns = {f"t{i}": 95 - i for i in range(1, 6)}     # t1 94 … t5 90
    t = _anfu(depts, towns, advanced=ANFU_ADVANCED, warning={"below": 60})
    assert sorted(t.index[t["advanced"]]) == ["d1", "d2", "d3", "d4", "d5", "d6", "t1", "t2", "t3"]
    assert not t["warning"].any()


def test_top_n_with_a_tie_at_the_cut_takes_every_tied_unit():
    depts = {"d1": 99, "d2": 98, "d3": 97, "d4": 96, "d5": 95, "d6": 94, "d7": 94, "d8": 90}
    t = _anfu(depts, {"t1": 90}, advanced=ANFU_ADVANCED)
    # d6 and d7 share 6th place: both advanced (7 units), d8 not
    assert sorted(t.index[t["advanced"] & (t["kind"] == "dept")]) == [f"d{i}" for i in range(1, 8)]


def test_ties_none_at_the_cut_leaves_the_tied_units_out():
    # anfu 第七条 six 先进单位, with the tie on 6th place read the other way (ties: none)
    depts = {"d1": 99, "d2": 98, "d3": 97, "d4": 96, "d5": 95, "d6": 94, "d7": 94, "d8": 90}
    none = [{**ANFU_ADVANCED[0], "ties": "none"}, ANFU_ADVANCED[1]]
    t = _anfu(depts, {"t1": 90}, advanced=none)
    assert sorted(t.index[t["advanced"] & (t["kind"] == "dept")]) == [f"d{i}" for i in range(1, 6)]


@pytest.mark.parametrize(("ties", "flags"), [("all", ["c1", "c2", "c3"]), ("none", ["c1"])])
def test_guangyuan_red_flags_with_a_tie_on_second_place(ties, flags):
    # 工作方案四（四）: 流动红旗 for the two best 县（区）of the quarter; c2 and c3 tie on 2nd
    counties = {"c1": 95.5, "c2": 93.25, "c3": 93.25, "c4": 90}
    t = _anfu(counties, {"z": 99}, advanced=[{"kinds": ["dept"], "top_n": 2, "ties": ties,
                                              "name": "流动红旗"}])
    assert sorted(t.index[t["advanced"]]) == flags


@pytest.mark.parametrize(("ties", "warned"), [("none", ["d10"]), ("all", ["d10", "d9", "d8"])])
def test_warning_bottom_share_with_a_tie_on_the_line(ties, warned):
    # 10 departments, bottom 20% = 2 places; d8 and d9 tie on the 2nd-last place
    depts = {f"d{i}": 90 - i for i in range(1, 8)} | {"d8": 80, "d9": 80, "d10": 70}
    t = _anfu(depts, {"t1": 99}, warning={"bottom_share": 0.2, "within": ["kind"], "ties": ties})
    assert sorted(t.index[t["warning"]]) == sorted(warned)


def test_tie_defaults_keep_the_units_favour():
    from kaohe.rubric import AdvancedSpec, WarningSpec
    assert AdvancedSpec(top_n=1).ties == "all" and WarningSpec().ties == "none"


def test_warning_below_sixty():
    t = _anfu({"d1": 60, "d2": 59.99, "d3": 30}, {"t1": 59}, warning={"below": 60})
    assert t["warning"].to_dict() == {"d1": False, "d2": True, "d3": True, "t1": True}


def test_warning_bottom_share_within_groups():
    t = _anfu({f"d{i}": 90 - i for i in range(1, 11)}, {"t1": 80, "t2": 70},
              warning={"bottom_share": 0.1, "within": ["kind"]})
    # departments: round(1.0) = 1 → d10; townships: round(0.2) = 0 → none
    assert list(t.index[t["warning"]]) == ["d10"]


def test_sichuan_top_share_per_kind_and_region():
    rubric = make_rubric(
        [leaf("A", 100)], groups=["region"],
        unit_kinds=[{"id": "city", "name": "市州"}, {"id": "county", "name": "贫困县"}],
        results={"advanced": [{"kinds": ["city"], "top_share": 1 / 3},
                              {"kinds": ["county"], "top_share": 0.2, "within": ["region"]}]})
    cities = {f"c{i:02d}": 100 - i for i in range(1, 22)}                  # 21 cities
    qinba = {f"q{i:02d}": 90 - i for i in range(1, 11)}                    # 10 counties
    wumeng = {f"w{i}": 80 - i for i in range(1, 8)}                        # 7 counties
    region = {**{u: "全省" for u in cities}, **{u: "秦巴山区" for u in qinba},
              **{u: "乌蒙山区" for u in wumeng}}
    rows = (unit_rows(cities, "city", region={u: region[u] for u in cities})
            + unit_rows(qinba, "county", region={u: region[u] for u in qinba})
            + unit_rows(wumeng, "county", region={u: region[u] for u in wumeng}))
    values = {**cities, **qinba, **wumeng}
    data = make_dataset(rubric, rows, observations=rated({u: {"A": v} for u, v in values.items()}))
    t = totals(score(rubric, data))
    # 21 / 3 = 7 cities; 秦巴 10 × 20% = 2; 乌蒙 7 × 20% = 1.4 → 1 (half_up)
    assert sorted(t.index[t["advanced"]]) == ([f"c{i:02d}" for i in range(1, 8)]
                                              + ["q01", "q02", "w1"])


def test_advanced_needs_the_minimum_total():
    t = _anfu({"d1": 95, "d2": 85, "d3": 80}, {"t1": 70},
              advanced={"top_n": 3, "min_total": 85, "kinds": ["dept"]})
    assert t["advanced"].to_dict() == {"d1": True, "d2": True, "d3": False, "t1": False}


# -- conversion: anfu 第五条 (each point above 100 → 0.1, at most 3) -------------------

INFLUENCE = {"id": "B", "name": "改革特色影响力", "points": 20, "rule": {
    "kind": "highest_per_work", "what": "改革特色影响力",
    "levels": {"national": {"name": "省部级以上", "points": 20},
               "provincial": {"name": "市厅级", "points": 15},
               "bulletin": {"name": "《安福改革动态》单篇刊发", "points": 5},
               "website": {"name": "县政府门户网站改革专栏单篇刊发", "points": 1}}}}


def test_points_above_one_hundred_convert_to_the_performance_score():
    rubric = make_rubric(
        [leaf("A", 80), INFLUENCE],
        unit_kinds=[{"id": "dept", "name": "县直单位"}, {"id": "town", "name": "乡镇"}],
        results={"conversion": [
            {"kinds": ["dept"], "above": 100, "rate": 0.1, "cap": 3, "name": "绩效考评加分"},
            {"kinds": ["town"], "above": 100, "rate": 0.1, "cap": 3, "name": "综合考评加分"}]})
    ev = ([{"unit_id": "d1", "indicator_id": "B", "type": "national", "work": "林权"},
           {"unit_id": "d1", "indicator_id": "B", "type": "bulletin", "work": "水价"}]
          + [{"unit_id": "d1", "indicator_id": "B", "type": "website", "description": f"文章{i}"}
             for i in range(5)]
          + [{"unit_id": "d2", "indicator_id": "B", "type": t, "work": w} for t, w in
             (("national", "林权"), ("national", "河长制"), ("provincial", "水价"))]
          + [{"unit_id": u, "indicator_id": "B", "type": "national", "work": "林权"}
             for u in ("d3", "d4", "t1")])
    values = {"d1": 77.5, "d2": 80, "d3": 79, "d4": 80, "t1": 80}
    data = make_dataset(rubric, unit_rows(["d1", "d2", "d3", "d4"]) + unit_rows(["t1"], "town"),
                        observations=rated({u: {"A": v} for u, v in values.items()}),
                        event_rows=ev)
    t = totals(score(rubric, data))
    # d1: 77.5 + 20 + 5 + 5 × 1 = 107.5 → 0.75; d2: 80 + 55 = 135 → 3.5 → 3 (cap);
    # d3: 79 + 20 = 99 → 0; d4: exactly 100 → 0; t1: 100 → 0
    assert t["total"].to_dict() == {"d1": 107.5, "d2": 135.0, "d3": 99.0, "d4": 100.0,
                                    "t1": 100.0}
    assert t["converted"].to_dict() == {"d1": 0.75, "d2": 3.0, "d3": 0.0, "d4": 0.0, "t1": 0.0}
    assert t.at["d1", "explain"] == "超过100分部分7.5分，每分折算0.1分，绩效考评加分0.75分（最多3分）"
    assert t.at["d2", "explain"] == "超过100分部分35分，每分折算0.1分，绩效考评加分3分（最多3分）"
    assert t.at["t1", "conversion_name"] == "综合考评加分"


# -- conditions over consecutive years (Sichuan 第八条、第九条) -------------------------


def _sichuan_years(this_year: dict[str, float], history: list[dict], flags: list[dict],
                   advanced: list[dict] | None = None):
    rubric = make_rubric([leaf("A", 100)], groups=["region"],
                         results={"ranking": {"within": ["region"]}, "history_flags": flags,
                                  "advanced": advanced or []})
    data = make_dataset(rubric, unit_rows(this_year, region={u: "秦巴山区" for u in this_year}),
                        observations=rated({u: {"A": v} for u, v in this_year.items()}),
                        history=history)
    return totals(score(rubric, data))


def _hist(unit: str, rank: int, size: int, advanced: bool = False, year: int = 2022) -> dict:
    return {"year": year, "unit_id": unit, "total": 80.0, "rank": rank, "group_size": size,
            "grade": None, "advanced": advanced}


def test_last_in_group_two_years_running():
    flag = {"id": "talk", "name": "诫勉谈话", "years": 2, "when": "last_in_group",
            "within": ["region"]}
    this = {"a": 90, "b": 80, "c": 70}
    # c last this year and last year (3 of 3): flagged; b last last year only: not
    t = _sichuan_years(this, [_hist("c", 3, 3), _hist("a", 1, 3)], [flag])
    assert t["talk"].to_dict() == {"a": False, "b": False, "c": True}
    assert t.at["c", "explain"] == "2022、2023年连续排名末位：诫勉谈话"
    t = _sichuan_years(this, [_hist("b", 3, 3), _hist("c", 2, 3)], [flag])
    assert not t["talk"].any()


def test_units_tied_for_last_place_are_both_last():
    flag = {"id": "talk", "name": "诫勉谈话", "years": 2, "when": "last_in_group",
            "within": ["region"]}
    this = {"a": 90, "b": 70, "c": 70}  # b and c tie for last: competition ranks 1, 2, 2
    t = _sichuan_years(this, [_hist("b", 3, 3), _hist("c", 1, 3)], [flag])
    assert t["rank"].to_dict() == {"a": 1, "b": 2, "c": 2}
    # b was last last year and shares last place this year; c was first last year
    assert t["talk"].to_dict() == {"a": False, "b": True, "c": False}


def test_bottom_share_two_years_running():
    flag = {"id": "talk", "name": "诫勉谈话", "years": 2, "when": "bottom_share", "share": 0.1,
            "within": ["region"]}
    this = {f"k{i:02d}": 100 - i for i in range(1, 21)}  # 20 counties: bottom 10% = 2 (k19, k20)
    hist = [_hist("k19", 20, 20), _hist("k20", 17, 20), _hist("k18", 19, 20)]
    t = _sichuan_years(this, hist, [flag])
    # k19: bottom 2 both years; k20: 17th of 20 last year (not bottom 2); k18 not bottom now
    assert list(t.index[t["talk"]]) == ["k19"]
    assert t.at["k19", "explain"] == "2022、2023年连续排名倒数10%以内：诫勉谈话"


def test_advanced_two_years_running():
    flag = {"id": "praise", "name": "主要负责人通报表扬", "years": 2, "when": "advanced"}
    this = {"a": 90, "b": 85, "c": 70, "d": 60, "e": 50}
    t = _sichuan_years(this, [_hist("a", 1, 5, True), _hist("b", 3, 5, False),
                              _hist("c", 1, 5, True)], [flag],
                       advanced=[{"top_share": 0.4}])  # 5 × 40% = 2: a and b
    assert t["advanced"].to_dict() == {"a": True, "b": True, "c": False, "d": False, "e": False}
    assert t["praise"].to_dict() == {"a": True, "b": False, "c": False, "d": False, "e": False}


# -- the engine around the rules -------------------------------------------------------


def test_an_indicator_that_applies_to_no_unit_in_the_data():
    # a township-only item in a data set of departments only
    info = {"id": "T", "name": "信息报送", "points": 100, "applies_to": {"kinds": ["town"]},
            "rule": {"kind": "required_count", "what": "报送改革信息", "required": 5, "cost": 1,
                     "unit": "篇"}}
    rubric = make_rubric(
        [{**leaf("A", 100), "applies_to": {"kinds": ["dept"]}}, info],
        unit_kinds=[{"id": "dept", "name": "县直单位"}, {"id": "town", "name": "乡镇"}])
    data = make_dataset(rubric, unit_rows(["d1"]), observations=rated({"d1": {"A": 88}}))
    t = totals(score(rubric, data))
    assert t.at["d1", "total"] == 88.0


def test_missing_data_is_reported_with_the_unit_and_indicator():
    rubric = make_rubric([leaf("A", 100)])
    data = make_dataset(rubric, unit_rows(["a", "b"]), observations=rated({"a": {"A": 90}}))
    with pytest.raises(KaoheError) as exc:
        score(rubric, data)
    [problem] = exc.value.problems
    assert problem.message == "单位“b”（b单位）的指标“A 指标A”缺少评分"
    assert problem.file.endswith("observations.csv")
