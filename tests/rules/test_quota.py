"""Quota grading (强制分布) over units and over items, and the incentive built on it
(anfu attachment 2: 县领导测评, 专业测评, 改革激励加分)."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import ctx, deltas, items, obs, pts, roles, run_rule, texts, units

from kaohe.rules import REGISTRY, tiers_by_quota
from kaohe.rules.base import round_count
from kaohe.rules.points import MissingDataError

LEADERS = {"tiers": [{"name": "优", "share": 0.2, "points": 15},
                     {"name": "良", "share": 0.6, "points": 12},
                     {"name": "合格", "points": 9}]}
PROFESSIONAL = {"over": "items", "within": "group",
                "roles": {"lead": 1.0, "responsible": 0.9},
                "tiers": [{"name": "优", "share": 0.2, "points": 10},
                          {"name": "良", "share": 0.6, "points": 9},
                          {"name": "合格", "points": 8}]}


def _ids(n: int) -> list[str]:
    return [f"u{i:02d}" for i in range(1, n + 1)]


def _leaders(values: dict[str, float], **params):
    rows = [(u, None, v, "县领导") for u, v in values.items()]
    return run_rule("quota_grade", {**LEADERS, **params},
                    ctx(list(values), 15, obs_frame=obs(rows)))


def _tally(points: dict[str, float]) -> dict[float, int]:
    out: dict[float, int] = {}
    for p in points.values():
        out[p] = out.get(p, 0) + 1
    return dict(sorted(out.items(), reverse=True))


# -- 县领导测评 over units: 20% / 60% / 20% into 15 / 12 / 9 -------------------------------


def test_leaders_ten_departments():
    # 10 × 20% = 2 优; 10 × 80% = 8 → positions 3–8 良; 9–10 合格
    values = dict(zip(_ids(10), [100, 99, 98, 97, 96, 95, 94, 93, 92, 91], strict=True))
    r = _leaders(values)
    assert pts(r) == {"u01": 15.0, "u02": 15.0, "u03": 12.0, "u04": 12.0, "u05": 12.0,
                      "u06": 12.0, "u07": 12.0, "u08": 12.0, "u09": 9.0, "u10": 9.0}
    assert texts(r, "u01") == ["测评100分，评为优（按优20%、良60%、合格其余分档），得15分"]
    assert texts(r, "u03") == ["测评98分，评为良（按优20%、良60%、合格其余分档），得12分，扣3分"]
    assert list(r.extra["tiers"]["tier_name"])[-1] == "合格"


def test_leaders_mean_of_several_leaders():
    # u01: (90 + 80) / 2 = 85 > u02's 84: u01 is 优 among 5 (5 × 20% = 1)
    rows = [("u01", None, 90, "甲"), ("u01", None, 80, "乙"), ("u02", None, 84, "甲"),
            ("u03", None, 70, "甲"), ("u04", None, 60, "甲"), ("u05", None, 50, "甲")]
    r = run_rule("quota_grade", LEADERS, ctx(_ids(5), 15, obs_frame=obs(rows)))
    # cut 1 = round(1.0) = 1; cut 2 = round(4.0) = 4
    assert pts(r) == {"u01": 15.0, "u02": 12.0, "u03": 12.0, "u04": 12.0, "u05": 9.0}


@pytest.mark.parametrize(("ties", "expected"), [
    # u02, u03 tie across the first cut (position 2); u08, u09 across the second (position 8)
    # higher (positions by 'min'): u02, u03 at 2 ≤ 2 → 优; u08, u09 at 8 ≤ 8 → 良
    ("higher", {15.0: 3, 12.0: 6, 9.0: 1}),  # 优 u01–u03, 良 u04–u09, 合格 u10
    # lower (positions by 'max'): u02, u03 at 3 > 2 → 良; u08, u09 at 9 > 8 → 合格
    ("lower", {15.0: 1, 12.0: 6, 9.0: 3}),   # 优 u01, 良 u02–u07, 合格 u08–u10
])
def test_leaders_ties_exactly_at_a_cut(ties, expected):
    values = dict(zip(_ids(10), [100, 95, 95, 90, 89, 88, 87, 80, 80, 70], strict=True))
    r = _leaders(values, ties=ties)
    assert _tally(pts(r)) == expected
    got = pts(r)
    assert got["u02"] == got["u03"]
    assert got["u08"] == got["u09"]
    if ties == "higher":
        assert (got["u03"], got["u09"], got["u10"]) == (15.0, 12.0, 9.0)
    else:
        assert (got["u01"], got["u02"], got["u07"], got["u08"]) == (15.0, 12.0, 12.0, 9.0)


@pytest.mark.parametrize(("rounding", "n_top", "n_mid", "n_low"), [
    ("half_up", 4, 11, 4),  # 19 × 20% = 3.8 → 4; 19 × 80% = 15.2 → 15
    ("floor", 3, 12, 4),    # 3.8 → 3; 15.2 → 15
    ("ceil", 4, 12, 3),     # 3.8 → 4; 15.2 → 16
])
def test_leaders_nineteen_units_and_rounding(rounding, n_top, n_mid, n_low):
    values = {u: 100 - i for i, u in enumerate(_ids(19))}
    r = _leaders(values, rounding=rounding)
    assert _tally(pts(r)) == {15.0: n_top, 12.0: n_mid, 9.0: n_low}
    # the best units get the best tier
    assert pts(r)["u01"] == 15.0 and pts(r)["u19"] == 9.0


def test_round_count_is_robust_to_float_noise():
    assert round_count((0.2 + 0.6) * 19, "half_up") == 15
    assert round_count(0.2 * 19, "floor") == 3
    assert round_count(0.1 * 30, "ceil") == 3  # 3.0000000000000004 must not become 4
    assert round_count(0.5 * 5, "half_up") == 3  # 2.5 rounds half up


def test_leaders_within_groups():
    # two groups of 5: each gets its own 优 (5 × 20% = 1) and 合格 (5 − round(4.0) = 1)
    ids = _ids(10)
    u = units(ids, kind="dept", sector={i: ("党群" if n < 5 else "政府") for n, i in enumerate(ids)})
    rows = [(i, None, 100 - n, "县领导") for n, i in enumerate(ids)]
    r = run_rule("quota_grade", {**LEADERS, "within": "sector"}, ctx(u, 15, obs_frame=obs(rows)))
    got = pts(r)
    assert [got[i] for i in ids] == [15, 12, 12, 12, 9, 15, 12, 12, 12, 9]


def test_leaders_missing_rating():
    c = ctx(_ids(3), 15, obs_frame=obs([("u01", None, 90), ("u02", None, 80)]))
    with pytest.raises(MissingDataError) as exc:
        run_rule("quota_grade", LEADERS, c)
    assert exc.value.units == ["u03"]
    # missing: zero ranks the unrated unit last, in the last tier (not at 0 points)
    r = run_rule("quota_grade", {**LEADERS, "missing": "zero"}, c)
    assert pts(r) == {"u01": 15.0, "u02": 12.0, "u03": 9.0}  # cuts: round(0.6)=1, round(2.4)=2


def test_quota_parameters_are_checked():
    model = REGISTRY["quota_grade"]
    with pytest.raises(ValueError, match="至少需要两档"):
        model.model_validate({"tiers": [{"name": "优", "points": 10}]})
    with pytest.raises(ValueError, match="除最后一档外每档须给出 share"):
        model.model_validate({"tiers": [{"name": "优", "points": 10}, {"name": "良", "points": 9}]})
    with pytest.raises(ValueError, match="各档比例合计超过 1"):
        model.model_validate({"tiers": [{"name": "优", "share": 0.7, "points": 10},
                                        {"name": "良", "share": 0.7, "points": 9},
                                        {"name": "合格", "points": 8}]})
    p = model.model_validate(PROFESSIONAL)
    assert p.check(10) == []
    assert p.check(9) == ["最高档得分 10 分超过本项 9 分"]


# -- 专业测评 over items: each 专项 grades its items; coefficient 1.0 lead / 0.9 responsible --

ITEMS = items(
    [(f"E{i}", f"经济改革事项{i}", "B", "经济") for i in range(1, 6)]
    + [(f"S{i:02d}", f"生态改革事项{i}", "C", "生态") for i in range(1, 11)]
)
# 经济 (5 items): E1 95, E2 90, E3 85, E4 80, E5 75 → cut round(1.0)=1, round(4.0)=4:
#   E1 优; E2–E4 良; E5 合格.
# 生态 (10 items): S01 100 … S10 91 → S01–S02 优; S03–S08 良; S09–S10 合格.
ITEM_ROWS = ([{"unit_id": None, "item": f"E{i}", "value": v, "source": "经济专项"}
              for i, v in zip(range(1, 6), [95, 90, 85, 80, 75], strict=True)]
             + [{"unit_id": None, "item": f"S{i:02d}", "value": 101 - i, "source": "生态专项"}
                for i in range(1, 11)])


def _professional(role_rows, unit_ids, params=None, rows=ITEM_ROWS):
    return run_rule("quota_grade", {**PROFESSIONAL, **(params or {})},
                    ctx(unit_ids, 10, obs_frame=obs(rows), item_frame=ITEMS,
                        role_frame=roles(role_rows)))


def test_professional_mean_over_a_units_items():
    r = _professional([("E1", "fin", "lead"), ("S09", "fin", "lead"), ("E3", "fin", "responsible"),
                       ("E2", "dev", "lead"),
                       ("S01", "forest", "responsible"), ("E5", "forest", "responsible")],
                      ["fin", "dev", "forest"])
    # fin: (10 × 1.0 + 8 × 1.0 + 9 × 0.9) / 3 = 26.1 / 3 = 8.7
    # dev: 9 × 1.0 = 9; forest: (10 × 0.9 + 8 × 0.9) / 2 = 8.1
    assert pts(r) == {"fin": 8.7, "dev": 9.0, "forest": 8.1}
    fin = texts(r, "fin")
    assert "改革事项E1“经济改革事项1”评为优（10分）×牵头单位系数1＝10分" in fin
    assert "改革事项E3“经济改革事项3”评为良（9分）×责任单位系数0.9＝8.1分" in fin
    assert fin[-1] == "3个改革事项（按优20%、良60%、合格其余分档）平均得8.7分，扣1.3分"
    assert list(r.inputs) == ["负责改革事项3项", "负责改革事项1项", "负责改革事项2项"]
    tiers = r.extra["tiers"]
    assert tiers.loc["E1", "tier_name"] == "优" and tiers.loc["E5", "tier_name"] == "合格"
    assert list(tiers.loc[["S02", "S03", "S08", "S09"], "tier_name"]) == ["优", "良", "良", "合格"]


def test_professional_items_combine_several_raters():
    # E1 rated 70 and 100 → mean 85 < E2's 90: E2 becomes the 优 of 经济
    rows = [r for r in ITEM_ROWS if r["item"] != "E1"] + [
        {"unit_id": None, "item": "E1", "value": 70, "source": "甲"},
        {"unit_id": None, "item": "E1", "value": 100, "source": "乙"}]
    r = _professional([("E1", "a", "lead"), ("E2", "b", "lead")], ["a", "b"], rows=rows)
    assert pts(r) == {"a": 9.0, "b": 10.0}


def test_professional_without_groups_grades_all_items_together():
    # 15 items together: cut round(3.0)=3 → S01, S02, S03 (100, 99, 98) are 优, E1 (95) is not
    r = _professional([("E1", "a", "lead"), ("S03", "b", "lead")], ["a", "b"],
                      params={"within": None})
    assert pts(r) == {"a": 9.0, "b": 10.0}


def test_professional_ties_at_the_top_of_a_group():
    # 经济 with E1 = E2 = 95: 'higher' → both 优; 'lower' → both 良 (no 优 in the group)
    rows = [r for r in ITEM_ROWS if r["item"] != "E2"] + [
        {"unit_id": None, "item": "E2", "value": 95, "source": "经济专项"}]
    role_rows = [("E1", "a", "lead"), ("E2", "b", "lead")]
    assert pts(_professional(role_rows, ["a", "b"], rows=rows)) == {"a": 10.0, "b": 10.0}
    lower = _professional(role_rows, ["a", "b"], params={"ties": "lower"}, rows=rows)
    assert pts(lower) == {"a": 9.0, "b": 9.0}


def test_professional_missing_grade_or_items():
    rows = [r for r in ITEM_ROWS if r["item"] != "E4"]
    with pytest.raises(MissingDataError) as exc:
        _professional([("E4", "a", "lead")], ["a"], rows=rows)
    assert exc.value.units == ["a"]
    assert "缺少专业测评结果" in str(exc.value)
    with pytest.raises(MissingDataError) as exc:
        _professional([("E1", "a", "lead")], ["a", "b"])
    assert exc.value.units == ["b"]
    r = _professional([("E1", "a", "lead")], ["a", "b"], params={"missing": "zero"})
    assert pts(r) == {"a": 10.0, "b": 0.0}


def test_professional_unknown_role_is_not_counted():
    # a role without a coefficient is ignored: only the lead item counts
    r = _professional([("E1", "a", "lead"), ("E5", "a", "responsible")], ["a"],
                      params={"roles": {"lead": 1.0}})
    assert pts(r) == {"a": 10.0}


# -- 改革激励加分: leading more than 2 items, drop the 2 worst, +3/+2/+1, cap 10 ----------

INCENTIVE = {"tiers_from": "pro", "more_than": 2, "drop_worst": 2,
             "per_tier": {"优": 3, "良": 2, "合格": 1}, "cap": 10}


def _incentive(role_rows, unit_ids, item_frame=ITEMS, rows=ITEM_ROWS):
    ro = roles(role_rows)
    graded = run_rule("quota_grade", {**PROFESSIONAL, "missing": "zero"},
                      ctx(unit_ids, 10, obs_frame=obs(rows), item_frame=item_frame, role_frame=ro))
    return run_rule("incentive", INCENTIVE,
                    ctx(unit_ids, 10, item_frame=item_frame, role_frame=ro, prior={"pro": graded}))


def test_incentive_drops_the_two_worst_and_adds_per_tier():
    r = _incentive(
        [("S01", "big", "lead"), ("S02", "big", "lead"), ("S03", "big", "lead"),
         ("S09", "big", "lead"), ("S10", "big", "lead"),
         ("S04", "two", "lead"), ("S05", "two", "lead"),
         ("S06", "three", "lead"), ("S07", "three", "lead"), ("E5", "three", "lead"),
         ("E1", "resp", "responsible"), ("E2", "resp", "responsible"),
         ("E3", "resp", "responsible"), ("E4", "resp", "responsible")],
        ["big", "two", "three", "resp"])
    # big: 优 优 良 合格 合格 → drop S09, S10 (合格) → 3 + 3 + 2 = 8
    # two: leads 2 items, not more than 2 → 0
    # three: 良 良 合格 → drop E5 (合格) and S06 (良; the first id of the tie) → 2
    # resp: responsible only, leads nothing → 0
    assert pts(r) == {"big": 8.0, "two": 0.0, "three": 2.0, "resp": 0.0}
    assert "牵头改革事项S01“生态改革事项1”专业测评为优，加3分" in texts(r, "big")
    assert "剔除专业测评最差的2项之一：S10“生态改革事项10”（合格），不加分" in texts(r, "big")
    assert sorted(deltas(r, "big")) == [0.0, 0.0, 2.0, 3.0, 3.0]
    assert list(r.inputs) == ["牵头改革事项5项", "牵头改革事项2项，未超过2项，不加分",
                              "牵头改革事项3项", "牵头改革事项0项，未超过2项，不加分"]
    kept = {t.split("“")[0] for t in texts(r, "three") if t.startswith("牵头")}
    assert kept == {"牵头改革事项S07"}


def test_incentive_capped_at_ten():
    # a 专项 of 20 items: 20 × 20% = 4 优, 20 × 80% = 16 → 12 良, 4 合格
    big = items([(f"T{i:02d}", f"专项事项{i}", "C", "专项") for i in range(1, 21)])
    rows = [{"unit_id": None, "item": f"T{i:02d}", "value": 100 - i} for i in range(1, 21)]
    lead = [(f"T{i:02d}", "u", "lead") for i in range(1, 9)]  # T01–T04 优, T05–T08 良
    r = _incentive(lead, ["u"], item_frame=big, rows=rows)
    # drop T07, T08 (the 2 worst 良) → 4 × 3 + 2 × 2 = 16 → 10 封顶
    assert pts(r) == {"u": 10.0}
    assert texts(r, "u")[-1] == "激励加分累计16分，10分封顶，超出的6分不计"
    assert deltas(r, "u")[-1] == -6.0


def test_incentive_refers_to_its_grading():
    assert REGISTRY["incentive"].model_validate(INCENTIVE).refers_to() == ["pro"]


# -- tiers_by_quota directly -----------------------------------------------------------


def test_tiers_by_quota_groups_and_last_tier_takes_the_rest():
    values = pd.Series([5.0, 4, 3, 2, 1, 10, 9], index=list("abcdefg"))
    groups = pd.Series(["x"] * 5 + ["y"] * 2, index=values.index)
    tier = tiers_by_quota(values, [0.2, 0.6], "half_up", "higher", groups)
    # x (5): cuts 1 and 4 → a | b c d | e;  y (2): cuts round(0.4)=0, round(1.6)=2 → f g both 良
    assert tier.to_dict() == {"a": 0, "b": 1, "c": 1, "d": 1, "e": 2, "f": 1, "g": 1}
    assert tiers_by_quota(pd.Series(dtype=float), [0.2], "half_up", "higher").empty
