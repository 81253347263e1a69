"""Rules that start from the maximum and deduct, floor at zero (扣完为止): deductions,
required_count, class_deduction — with the anfu attachment 2 numbers (台帐管理, 分类推进)."""

from __future__ import annotations

import pytest
from helpers import ctx, deltas, items, obs, pts, roles, run_rule, texts

from kaohe.rules.points import MissingDataError

# -- deductions: 每月动态、季度分析、半年小结、年终总结、自评报告 每少一次扣0.5分 (5 points) --

REPORTS = {"kinds": [
    {"id": "monthly", "name": "少报每月动态", "cost": 0.5},
    {"id": "quarterly", "name": "少报季度分析", "cost": 0.5},
    {"id": "half_year", "name": "少报半年小结", "cost": 0.5},
    {"id": "annual", "name": "少报年终总结", "cost": 0.5},
    {"id": "self_report", "name": "少报自评报告", "cost": 0.5},
]}


def test_reports_each_missing_costs_half_a_point():
    # a: 3 monthly + 1 quarterly missing → 4 × 0.5 = 2 lost → 3
    rows = [("a", "monthly", 3), ("a", "quarterly", 1)]
    r = run_rule("deductions", REPORTS, ctx(["a", "b"], 5, obs_frame=obs(rows)))
    assert pts(r) == {"a": 3.0, "b": 5.0}
    assert texts(r, "a") == ["少报每月动态3次，每次扣0.5分，扣1.5分",
                             "少报季度分析1次，每次扣0.5分，扣0.5分"]
    assert deltas(r, "a") == [-1.5, -0.5]
    assert list(r.inputs) == ["扣分情形4次", "无扣分情形"]


def test_reports_floor_at_zero():
    # 12 monthly + 4 quarterly missing → 16 × 0.5 = 8 > 5 → 0 (扣完为止), 3 points not taken
    rows = [("a", "monthly", 12), ("a", "quarterly", 4)]
    r = run_rule("deductions", REPORTS, ctx(["a"], 5, obs_frame=obs(rows)))
    assert pts(r) == {"a": 0.0}
    assert deltas(r, "a") == [-6.0, -2.0, 3.0]
    assert texts(r, "a")[-1] == "应扣8分，超过本项5分，扣完为止"


def test_reports_exactly_used_up_needs_no_floor_line():
    # 10 missing × 0.5 = 5 = the item: 0 points, no 扣完为止 line
    r = run_rule("deductions", REPORTS, ctx(["a"], 5, obs_frame=obs([("a", "monthly", 10)])))
    assert pts(r) == {"a": 0.0}
    assert deltas(r, "a") == [-5.0]


def test_deductions_zero_counts_are_not_occurrences():
    r = run_rule("deductions", REPORTS, ctx(["a"], 5, obs_frame=obs([("a", "monthly", 0)])))
    assert pts(r) == {"a": 5.0}
    assert texts(r, "a") == []


def test_ledger_missed_reports_and_missed_items():
    # 台帐 4 points: 少一次扣1分，少报一项扣0.5分: 2 reports + 3 items → 4 - 2 - 1.5 = 0.5
    p = {"kinds": [{"id": "report", "name": "少报改革事项推进情况报表", "cost": 1},
                   {"id": "item", "name": "报表少报改革事项", "cost": 0.5, "unit": "项"}]}
    r = run_rule("deductions", p, ctx(["a"], 4, obs_frame=obs([("a", "report", 2), ("a", "item", 3)])))
    assert pts(r) == {"a": 0.5}
    assert texts(r, "a") == ["少报改革事项推进情况报表2次，每次扣1分，扣2分",
                             "报表少报改革事项3项，每项扣0.5分，扣1.5分"]


def test_deductions_without_floor_may_go_negative():
    p = {**REPORTS, "floor": False}
    r = run_rule("deductions", p, ctx(["a"], 5, obs_frame=obs([("a", "monthly", 12)])))
    assert pts(r) == {"a": -1.0}  # 5 - 12 × 0.5


def test_deductions_items_are_declared():
    from kaohe.rules import REGISTRY

    model = REGISTRY["deductions"].model_validate(REPORTS)
    assert model.observation_items() == {"monthly", "quarterly", "half_year", "annual",
                                         "self_report"}


# -- required_count: 信息报送全年不少于4次，每少一次扣1分，信息质量不达标的不计分 (4 points) --

INFO = {"what": "报送改革工作信息", "required": 4, "cost": 1, "gate_item": "quality",
        "gate_name": "信息质量不达标"}


def test_info_each_report_short_costs_one_point():
    rows = [("full", "count", 4), ("more", "count", 6), ("one", "count", 1), ("none", "count", 0)]
    r = run_rule("required_count", INFO, ctx(["full", "more", "one", "none"], 4, obs_frame=obs(rows)))
    # 4 - max(0, 4 - n): 4, 4, 4 - 3 = 1, 4 - 4 = 0
    assert pts(r) == {"full": 4.0, "more": 4.0, "one": 1.0, "none": 0.0}
    assert texts(r, "one") == ["报送改革工作信息1次，要求不少于4次，少3次，每次扣1分，扣3分"]
    assert texts(r, "full") == []
    assert list(r.inputs) == ["报送改革工作信息4次", "报送改革工作信息6次",
                              "报送改革工作信息1次", "报送改革工作信息0次"]


def test_info_quality_gate_zeroes_the_item():
    # enough reports but quality failed: 4 points → 0; short by 1 and failed: 3 → 0
    rows = [("a", "count", 5), ("a", "quality", 0), ("b", "count", 3), ("b", "quality", 0),
            ("c", "count", 4), ("c", "quality", 1)]
    r = run_rule("required_count", INFO, ctx(["a", "b", "c"], 4, obs_frame=obs(rows)))
    assert pts(r) == {"a": 0.0, "b": 0.0, "c": 4.0}
    assert texts(r, "a") == ["信息质量不达标，本项不计分（余下4分不得）"]
    assert deltas(r, "b") == [-1.0, -3.0]
    assert texts(r, "b")[1] == "信息质量不达标，本项不计分（余下3分不得）"
    assert list(r.inputs)[0] == "报送改革工作信息5次，信息质量不达标"


def test_township_info_five_articles_and_the_floor():
    # 乡镇: 每年至少报送信息5篇，每少一篇扣1分 (5 points); required 6 on 4 points → floor
    p = {"what": "报送改革信息", "required": 5, "cost": 1, "unit": "篇"}
    r = run_rule("required_count", p, ctx(["a"], 5, obs_frame=obs([("a", "count", 2)])))
    assert pts(r) == {"a": 2.0}
    assert texts(r, "a") == ["报送改革信息2篇，要求不少于5篇，少3篇，每篇扣1分，扣3分"]
    p6 = {**p, "required": 6}
    r = run_rule("required_count", p6, ctx(["a"], 4, obs_frame=obs([("a", "count", 0)])))
    assert pts(r) == {"a": 0.0}  # 6 short × 1 = 6 > 4: 扣完为止
    assert deltas(r, "a") == [-6.0, 2.0]


def test_required_count_counts_are_summed_over_rows():
    rows = [("a", "count", 1, "上半年"), ("a", "count", 2, "下半年")]
    r = run_rule("required_count", INFO, ctx(["a"], 4, obs_frame=obs(rows)))
    assert pts(r) == {"a": 3.0}  # 1 + 2 = 3 reports, one short


def test_required_count_missing():
    with pytest.raises(MissingDataError) as exc:
        run_rule("required_count", INFO, ctx(["a", "b"], 4, obs_frame=obs([("a", "count", 4)])))
    assert exc.value.units == ["b"]
    assert str(exc.value) == "缺少报送改革工作信息次数（item=count）"
    r = run_rule("required_count", {**INFO, "missing": "zero"}, ctx(["b"], 4))
    assert pts(r) == {"b": 0.0}  # no row: 0 reports, 4 short


# -- class_deduction: 1项未达到年度目标任务的，A/B/C 分别扣3分、2分、1分，扣完为止 (5 points) --

COSTS = {"costs": {"A": 3, "B": 2, "C": 1}}
ITEMS = items([
    ("A1", "实施县域金融创新工程", "A", "经济"),
    ("A2", "建立智慧安福综合指挥体系", "A", "经济"),
    ("B1", "落实城区居民生活用水阶梯水价机制", "B", "经济"),
    ("C1", "发展新经济培育新动能", "C", "经济"),
])


def test_class_deduction_per_class_and_floor():
    ro = roles([("A1", "fin", "lead"), ("B1", "fin", "lead"), ("C1", "fin", "lead"),
                ("A1", "dev", "lead"), ("A2", "dev", "lead"), ("C1", "dev", "lead")])
    rows = [("fin", "A1", 0), ("fin", "B1", 0), ("fin", "C1", 1),
            ("dev", "A1", 0), ("dev", "A2", 0), ("dev", "C1", 0)]
    r = run_rule("class_deduction", COSTS,
                 ctx(["fin", "dev"], 5, obs_frame=obs(rows), item_frame=ITEMS, role_frame=ro))
    # fin: A and B unmet → 3 + 2 = 5 → 0; dev: A, A, C unmet → 3 + 3 + 1 = 7 > 5 → 0
    assert pts(r) == {"fin": 0.0, "dev": 0.0}
    assert texts(r, "fin") == ["改革事项A1“实施县域金融创新工程”（A类）未达到年度目标任务，扣3分",
                               "改革事项B1“落实城区居民生活用水阶梯水价机制”（B类）未达到年度目标任务，扣2分"]
    assert deltas(r, "dev") == [-3.0, -3.0, -1.0, 2.0]
    assert texts(r, "dev")[-1] == "应扣7分，超过本项5分，扣完为止"
    assert list(r.inputs) == ["负责改革事项3项，未达年度目标2项", "负责改革事项3项，未达年度目标3项"]


def test_class_deduction_item_level_rows_and_unit_rows():
    # item-level rows (unit blank) apply to every lead unit; a unit row overrides for that unit
    ro = roles([("B1", "u1", "lead"), ("B1", "u2", "lead"), ("C1", "u2", "lead")])
    rows = [{"unit_id": None, "item": "B1", "value": 0}, {"unit_id": None, "item": "C1", "value": 0},
            ("u2", "B1", 1)]
    r = run_rule("class_deduction", COSTS,
                 ctx(["u1", "u2"], 5, obs_frame=obs(rows), item_frame=ITEMS, role_frame=ro))
    # u1: B1 unmet → 5 - 2 = 3; u2: B1 met by its own row, C1 unmet → 5 - 1 = 4
    assert pts(r) == {"u1": 3.0, "u2": 4.0}


def test_class_deduction_several_sources_for_one_item_stay_aligned():
    # two item-level rows for A2 (two sources) must not shift the other items' values
    ro = roles([("A2", "u1", "lead"), ("B1", "u1", "lead"), ("C1", "u2", "lead")])
    rows = [{"unit_id": None, "item": "A2", "value": 0, "source": "专项小组"},
            {"unit_id": None, "item": "A2", "value": 0, "source": "改革办"},
            {"unit_id": None, "item": "B1", "value": 1}, {"unit_id": None, "item": "C1", "value": 0}]
    r = run_rule("class_deduction", COSTS,
                 ctx(["u1", "u2"], 5, obs_frame=obs(rows), item_frame=ITEMS, role_frame=ro))
    assert pts(r) == {"u1": 2.0, "u2": 4.0}  # u1: A2 unmet (−3), B1 met; u2: C1 unmet (−1)


def test_class_deduction_only_counts_the_listed_roles():
    ro = roles([("A1", "u1", "responsible"), ("C1", "u1", "lead")])
    rows = [("u1", "A1", 0), ("u1", "C1", 0)]
    c = ctx(["u1"], 5, obs_frame=obs(rows), item_frame=ITEMS, role_frame=ro)
    assert pts(run_rule("class_deduction", COSTS, c)) == {"u1": 4.0}  # only C1 (lead): −1
    both = {**COSTS, "roles": ["lead", "responsible"]}
    assert pts(run_rule("class_deduction", both, c)) == {"u1": 1.0}  # −3 − 1


def test_class_deduction_missing_target_row():
    ro = roles([("A1", "u1", "lead"), ("C1", "u1", "lead")])
    c = ctx(["u1"], 5, obs_frame=obs([("u1", "A1", 1)]), item_frame=ITEMS, role_frame=ro)
    with pytest.raises(MissingDataError) as exc:
        run_rule("class_deduction", COSTS, c)
    assert exc.value.units == ["u1"]
    r = run_rule("class_deduction", {**COSTS, "missing": "met"}, c)
    assert pts(r) == {"u1": 5.0}


def test_class_deduction_unit_without_items_keeps_full_points():
    r = run_rule("class_deduction", COSTS, ctx(["u1"], 5, item_frame=ITEMS))
    assert pts(r) == {"u1": 5.0}
    assert list(r.inputs) == ["负责改革事项0项，未达年度目标0项"]
