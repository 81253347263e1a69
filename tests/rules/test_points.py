"""Rules that turn measured values into points: rater_points, checklist, attainment,
rate_to_points, component. Expected points are worked out by hand in each test."""

from __future__ import annotations

import pytest
from helpers import ctx, deltas, obs, pts, run_rule, texts, units
from pydantic import ValidationError

from kaohe.rules import REGISTRY
from kaohe.rules.points import MissingDataError

# -- rater_points (changshou 量化打分; 镇街交叉检查 on 100 → 10) ---------------------------


def test_rater_points_single_rater_keeps_source_and_note():
    # 区民政局 gives 4.5 of 5: lost 5 - 4.5 = 0.5
    c = ctx(["fengcheng"], 5, obs_frame=obs([("fengcheng", None, 4.5, "区民政局", "临时救助审批超时限")]))
    r = run_rule("rater_points", {}, c)
    assert pts(r) == {"fengcheng": 4.5}
    assert texts(r, "fengcheng") == ["区民政局评分4.5分，得4.5分，扣0.5分（临时救助审批超时限）"]
    assert deltas(r, "fengcheng") == [-0.5]
    assert list(r.lines["ref"]) == ["observations.csv:2"]


def test_rater_points_full_marks_has_no_deduction_text():
    c = ctx(["a"], 3, obs_frame=obs([("a", None, 3, "区乡村振兴局")]))
    r = run_rule("rater_points", {}, c)
    assert pts(r) == {"a": 3.0}
    assert texts(r, "a") == ["区乡村振兴局评分3分，得3分"]
    assert deltas(r, "a") == [0.0]


@pytest.mark.parametrize(("how", "expected", "word"), [
    ("mean", (6 + 8 + 9 + 10) / 4, "平均"),             # 8.25
    ("trimmed_mean", (8 + 9) / 2, "去掉一个最高分和一个最低分后平均"),  # drop 10 and 6
    ("median", (8 + 9) / 2, "取中位数"),
    ("min", 6.0, "取最低"),
    ("max", 10.0, "取最高"),
])
def test_rater_points_combines_several_raters(how, expected, word):
    rows = [("a", None, v, f"评委{i}") for i, v in enumerate([6, 8, 9, 10])]
    r = run_rule("rater_points", {"combine": how}, ctx(["a"], 10, obs_frame=obs(rows)))
    assert pts(r) == {"a": expected}
    assert texts(r, "a")[0].startswith(f"4个评分{word}")


def test_rater_points_sum_is_capped_at_the_maximum():
    # two departments' partial points add up to 6 > 5: capped, nothing lost
    rows = [("a", None, 3, "区卫健委"), ("a", None, 3, "区医保局")]
    r = run_rule("rater_points", {"combine": "sum"}, ctx(["a"], 5, obs_frame=obs(rows)))
    assert pts(r) == {"a": 5.0}


def test_rater_points_trimmed_mean_of_two_is_their_mean():
    rows = [("a", None, 7, "甲"), ("a", None, 9, "乙")]
    r = run_rule("rater_points", {"combine": "trimmed_mean"}, ctx(["a"], 10, obs_frame=obs(rows)))
    assert pts(r) == {"a": 8.0}  # (7 + 9) / 2, nothing to trim


def test_rater_points_scale_converts_a_hundred_point_score():
    # 交叉检查 85 of 100 → 85 / 100 × 10 = 8.5 of the item's 10
    c = ctx(["a", "b"], 10, obs_frame=obs([("a", None, 85, "交叉检查组"), ("b", None, 100, "交叉检查组")]))
    r = run_rule("rater_points", {"scale": 100}, c)
    assert pts(r) == {"a": 8.5, "b": 10.0}
    assert texts(r, "a") == ["交叉检查组评分85分（100分制，折合10分制），得8.5分，扣1.5分"]


def test_rater_points_is_kept_between_zero_and_the_maximum():
    c = ctx(["a", "b"], 5, obs_frame=obs([("a", None, 7, "甲"), ("b", None, -2, "甲")]))
    r = run_rule("rater_points", {}, c)
    assert pts(r) == {"a": 5.0, "b": 0.0}


def test_rater_points_missing_rating_is_an_error_naming_the_units():
    c = ctx(["a", "b", "c"], 5, obs_frame=obs([("b", None, 4, "甲")]))
    with pytest.raises(MissingDataError) as exc:
        run_rule("rater_points", {}, c)
    assert exc.value.units == ["a", "c"]
    assert str(exc.value) == "缺少评分"


def test_rater_points_missing_zero_scores_nothing_and_says_so():
    c = ctx(["a", "b"], 5, obs_frame=obs([("b", None, 4, "甲")]))
    r = run_rule("rater_points", {"missing": "zero"}, c)
    assert pts(r) == {"a": 0.0, "b": 4.0}
    assert texts(r, "a") == ["无评分，按0分计，得0分，扣5分"]


def test_rater_points_ignores_item_level_rows():
    rows = [("a", None, 4, "甲"), {"unit_id": None, "item": "A1", "value": 1.0}]
    r = run_rule("rater_points", {}, ctx(["a"], 5, obs_frame=obs(rows)))
    assert pts(r) == {"a": 4.0}


# -- checklist (anfu 部署谋划: one point per requirement met) ---------------------------

DEPLOY = {"items": [
    {"id": "survey", "name": "开展改革调研", "points": 1},
    {"id": "meeting", "name": "单位领导班子会商部署改革工作", "points": 1},
    {"id": "division", "name": "明确责任分工", "points": 1},
    {"id": "staff", "name": "配备专职人员", "points": 1},
    {"id": "support", "name": "落实保障措施", "points": 1},
]}


def _checklist_rows(unit, met: dict[str, int]):
    return [(unit, k, v) for k, v in met.items()]


def test_checklist_one_point_per_requirement_met():
    rows = (_checklist_rows("a", {"survey": 1, "meeting": 1, "division": 1, "staff": 0, "support": 0})
            + _checklist_rows("b", {"survey": 1, "meeting": 1, "division": 1, "staff": 1, "support": 1}))
    r = run_rule("checklist", DEPLOY, ctx(["a", "b"], 5, obs_frame=obs(rows)))
    assert pts(r) == {"a": 3.0, "b": 5.0}  # a: 1+1+1, two requirements not met
    assert texts(r, "a") == ["未达到：配备专职人员，扣1分", "未达到：落实保障措施，扣1分"]
    assert texts(r, "b") == []
    assert list(r.inputs) == ["达到3项/共5项要求", "达到5项/共5项要求"]


def test_checklist_unequal_points_nothing_earned():
    # 做好对接、建立台账得2分；按要求制定工作细则得3分
    p = {"items": [{"id": "ledger", "name": "做好对接、建立台账", "points": 2},
                   {"id": "rules", "name": "按要求制定工作细则", "points": 3}]}
    r = run_rule("checklist", p, ctx(["a"], 5, obs_frame=obs([("a", "ledger", 0), ("a", "rules", 0)])))
    assert pts(r) == {"a": 0.0}
    assert deltas(r, "a") == [-2.0, -3.0]
    assert texts(r, "a")[1] == "未达到：按要求制定工作细则，扣3分"


def test_checklist_missing_requirement_row():
    c = ctx(["a"], 5, obs_frame=obs(_checklist_rows("a", {"survey": 1, "meeting": 1})))
    with pytest.raises(MissingDataError) as exc:
        run_rule("checklist", DEPLOY, c)
    assert exc.value.units == ["a"]
    r = run_rule("checklist", {**DEPLOY, "missing": "unmet"}, c)
    assert pts(r) == {"a": 2.0}  # three absent requirements count as unmet
    assert len(texts(r, "a")) == 3


def test_checklist_points_must_add_up_to_the_item():
    model = REGISTRY["checklist"].model_validate(DEPLOY)
    assert model.check(5) == []
    assert model.check(6) == ["各项要求分值合计 5 分，与本项 6 分不符"]
    assert model.observation_items() == {"survey", "meeting", "division", "staff", "support"}


# -- attainment (guangyuan targets: more is better, or fewer days is better) ------------


def test_attainment_in_proportion_and_capped_at_full():
    # target 80 km: 60 km → 75% → 0.75 × 4 = 3; 100 km → 125% → capped at 4
    p = {"target": 80, "quantity": "建成公路", "unit_of_measure": "公里"}
    c = ctx(["a", "b"], 4, obs_frame=obs([("a", "actual", 60), ("b", "actual", 100)]))
    r = run_rule("attainment", p, c)
    assert pts(r) == {"a": 3.0, "b": 4.0}
    assert texts(r, "a") == ["建成公路60公里，目标80公里，完成率75%，得3分，扣1分"]
    assert texts(r, "b") == ["建成公路100公里，目标80公里，完成率125%，得4分"]


def test_attainment_lower_is_better():
    # target 10 days: 12.5 days → 10 / 12.5 = 80% → 0.8 × 5 = 4; 8 days → capped 5
    p = {"target": 10, "direction": "lower", "quantity": "办结时限", "unit_of_measure": "天"}
    c = ctx(["a", "b"], 5, obs_frame=obs([("a", "actual", 12.5), ("b", "actual", 8)]))
    r = run_rule("attainment", p, c)
    assert pts(r) == {"a": 4.0, "b": 5.0}
    assert texts(r, "a") == ["办结时限12.5天，目标10天（越少越好），完成率80%，得4分，扣1分"]


def test_attainment_per_unit_targets_and_zero_below():
    # a: 45 of 50 = 90% → 9; b: 5 of 10 = 50% < 60% → 0
    p = {"zero_below": 0.6}
    rows = [("a", "actual", 45), ("a", "target", 50), ("b", "actual", 5), ("b", "target", 10)]
    r = run_rule("attainment", p, ctx(["a", "b"], 10, obs_frame=obs(rows)))
    assert pts(r) == {"a": 9.0, "b": 0.0}
    assert texts(r, "b")[0].endswith("得0分，扣10分（完成率低于60%，本项不得分）")
    assert r.lines.set_index("unit_id").at["a", "ref"] == "observations.csv:2；observations.csv:3"


def test_attainment_exactly_at_zero_below_still_scores():
    # 60% is not below 60%: 0.6 × 10 = 6
    r = run_rule("attainment", {"target": 10, "zero_below": 0.6},
                 ctx(["a"], 10, obs_frame=obs([("a", "actual", 6)])))
    assert pts(r) == {"a": 6.0}


def test_attainment_missing_actual_or_target():
    with pytest.raises(MissingDataError) as exc:
        run_rule("attainment", {"target": 10}, ctx(["a", "b"], 5, obs_frame=obs([("a", "actual", 3)])))
    assert exc.value.units == ["b"]
    with pytest.raises(MissingDataError) as exc:
        run_rule("attainment", {}, ctx(["a"], 5, obs_frame=obs([("a", "actual", 3)])))
    assert str(exc.value) == "缺少目标值（item=target）"


# -- rate_to_points (satisfaction, recognition rates) ---------------------------------


def test_rate_linear_between_floor_and_ceiling():
    # floor 60%, ceiling 90%: 75% → (0.75-0.6)/0.3 = 0.5 → 5 of 10; 95% → full; 50% → 0
    p = {"floor": 0.6, "ceiling": 0.9}
    c = ctx(["a", "b", "c"], 10, obs_frame=obs([("a", None, 0.75), ("b", None, 0.95), ("c", None, 0.5)]))
    r = run_rule("rate_to_points", p, c)
    assert pts(r) == {"a": 5.0, "b": 10.0, "c": 0.0}
    assert texts(r, "a") == ["满意度75%（60%及以下得0分，90%及以上得满分，其间按比例），得5分，扣5分"]


def test_rate_percent_values_and_mean_of_surveys():
    # changshou 群众认可度 as percentages from two surveys: (92 + 96) / 2 = 94% → 9.4 of 10
    rows = [("a", None, 92, "市级赛马比拼"), ("a", None, 96, "区级电话调查")]
    r = run_rule("rate_to_points", {"percent": True, "what": "群众认可度"},
                 ctx(["a"], 10, obs_frame=obs(rows)))
    assert pts(r) == {"a": 9.4}
    assert texts(r, "a")[0].startswith("群众认可度94%")


def test_rate_bands():
    p = {"method": "bands", "bands": [{"min": 0.9, "share": 1.0}, {"min": 0.8, "share": 0.8},
                                      {"min": 0.6, "share": 0.5}]}
    rows = [("a", None, 0.9), ("b", None, 0.85), ("c", None, 0.6), ("d", None, 0.59)]
    r = run_rule("rate_to_points", p, ctx(["a", "b", "c", "d"], 10, obs_frame=obs(rows)))
    # 90% → full band 10; 85% → 0.8 × 10 = 8; 60% → 0.5 × 10 = 5; 59% → below every band 0
    assert pts(r) == {"a": 10.0, "b": 8.0, "c": 5.0, "d": 0.0}
    assert "（按分档计分）" in texts(r, "b")[0]


def test_rate_parameter_checks():
    model = REGISTRY["rate_to_points"]
    with pytest.raises(ValidationError):
        model.model_validate({"method": "bands"})
    with pytest.raises(ValidationError):
        model.model_validate({"floor": 0.9, "ceiling": 0.9})


def test_rate_missing():
    with pytest.raises(MissingDataError):
        run_rule("rate_to_points", {}, ctx(["a"], 10))
    r = run_rule("rate_to_points", {"missing": "zero"}, ctx(["a"], 10))
    assert pts(r) == {"a": 0.0}


# -- component (guangyuan: another assessment's result; a proxy unit) -------------------


def test_component_periods_combined_on_their_scale():
    # quarterly contests 80 and 90 of 100, mean 85 → 0.85 × 40 = 34
    rows = [("lizhou", "Q1", 80), ("lizhou", "Q2", 90)]
    r = run_rule("component", {"what": "季度现场比武成绩"}, ctx(["lizhou"], 40, obs_frame=obs(rows)))
    assert pts(r) == {"lizhou": 34.0}
    assert texts(r, "lizhou") == ["季度现场比武成绩2期平均85分（100分制），折合34分"]


def test_component_proxy_takes_another_units_result():
    # 广元经开区 takes 利州区's provincial result: 90 / 100 × 80 = 72 for both
    u = units(["lizhou", "jkq"], kind="county", names={"lizhou": "利州区", "jkq": "广元经开区"})
    p = {"what": "省考指标结果", "proxy": {"jkq": "lizhou"}}
    r = run_rule("component", p, ctx(u, 80, obs_frame=obs([("lizhou", None, 90)])))
    assert pts(r) == {"lizhou": 72.0, "jkq": 72.0}
    assert texts(r, "jkq") == ["省考指标结果90分（100分制），按利州区结果执行，折合72分"]
    assert texts(r, "lizhou") == ["省考指标结果90分（100分制），折合72分"]


def test_component_missing():
    with pytest.raises(MissingDataError) as exc:
        run_rule("component", {"what": "年度评价"}, ctx(["a", "b"], 40, obs_frame=obs([("a", None, 90)])))
    assert exc.value.units == ["b"]
    assert str(exc.value) == "缺少年度评价"
