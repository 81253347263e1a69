"""Rank robustness: perturbed weights and drawn quota choices, checked against the engine and
against totals and grades worked out by hand for tiny scheme-years."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import make_dataset, make_rubric

from kaohe.cli import main
from kaohe.engine import applicability, score
from kaohe.pipeline import run
from kaohe.robustness import format_report, rank_robustness, rank_rows, write_robustness

ROOT = Path(__file__).resolve().parents[1]
CHANGSHOU = ROOT / "params" / "changshou-rural" / "2023.yaml"


def leaf(node_id: str, points: float, **kw) -> dict:
    return {"id": node_id, "name": f"指标{node_id}", "points": points,
            "rule": {"kind": "rater_points"}, **kw}


def unit_rows(ids) -> list[dict]:
    return [{"unit_id": u, "name": f"{u}单位", "kind": "dept"} for u in ids]


def rated(values: dict[str, dict[str, float]]) -> list[dict]:
    return [{"unit_id": u, "indicator_id": i, "source": "考评组", "value": v}
            for u, row in values.items() for i, v in row.items()]


@pytest.fixture(scope="module")
def changshou():
    return run(CHANGSHOU)


# -- the vectorised ranking ----------------------------------------------------------------


def test_rank_rows_by_hand():
    v = np.array([[3.0, 1.0, 3.0, 2.0]])
    assert rank_rows(v, "min").tolist() == [[3, 1, 3, 2]]
    assert rank_rows(v, "max").tolist() == [[4, 1, 4, 2]]
    assert rank_rows(v, "dense").tolist() == [[3, 1, 3, 2]]
    w = np.array([[5.0, 5.0, 5.0, 1.0]])
    assert rank_rows(w, "min").tolist() == [[2, 2, 2, 1]]
    assert rank_rows(w, "max").tolist() == [[4, 4, 4, 1]]
    assert rank_rows(w, "dense").tolist() == [[2, 2, 2, 1]]


def test_rank_rows_agrees_with_pandas_on_many_ties():
    rng = np.random.default_rng(7)
    v = rng.integers(0, 6, size=(50, 30)).astype(float)
    for method in ("min", "max", "dense"):
        expected = pd.DataFrame(v).rank(axis=1, method=method).to_numpy(dtype=int)
        assert (rank_rows(v, method) == expected).all(), method


# -- a zero spread with the rubric's own choices is the engine's result ---------------------


@pytest.mark.parametrize("level", ["first", "leaf"])
def test_zero_spread_and_rubric_choices_reproduce_the_engine(changshou, level):
    t = changshou.scores.totals
    r = rank_robustness(changshou.scores, draws=20, spread=0.0, roundings=None, ties=None,
                        level=level, applicable=applicability(changshou.loaded.rubric,
                                                              changshou.data))
    u = r.units
    assert (r.ranks == t["rank"].to_numpy()[None, :]).all()
    assert (u["rank_min"] == t["rank"]).all() and (u["rank_max"] == t["rank"]).all()
    assert (u["rank_p5"] == t["rank"]).all() and (u["rank_p95"] == t["rank"]).all()
    assert (r.totals == t["total"].to_numpy()[None, :]).all()
    assert (u["p_grade"] == 1.0).all()
    for name in r.tiers:  # each unit's engine grade with probability 1, the others 0
        assert (u[f"p_{name}"] == (t["grade"] == name).astype(float)).all()
    assert (u["p_advanced"] == t["advanced"].astype(float)).all()
    assert not u["grade_could_change"].any() and not u["advanced_could_change"].any()
    assert "都不会改变" in format_report(r)


def test_single_choice_equal_to_the_rubrics_is_the_same_as_none(changshou):
    # the rubric grades by quota with half_up and ties higher
    a = rank_robustness(changshou.scores, draws=30, spread=0.0, roundings=["half_up"],
                        ties=["higher"])
    b = rank_robustness(changshou.scores, draws=30, spread=0.0, roundings=None, ties=None)
    assert (a.grades == b.grades).all() and (a.advanced == b.advanced).all()


# -- probabilities, vetoes, reproducibility ---------------------------------------------------


def test_probabilities_sum_to_one_and_vetoed_unit_stays_last(changshou):
    r = rank_robustness(changshou.scores, draws=400, spread=0.2)
    u = r.units.set_index("unit_id")
    probs = u[[f"p_{name}" for name in r.tiers]]
    np.testing.assert_allclose(probs.sum(axis=1).to_numpy(), 1.0)
    # yuntai is vetoed (致贫返贫, last_grade): last of 19 and 较差 in every draw
    assert u.at["yuntai", "rank_min"] == u.at["yuntai", "rank_max"] == 19
    assert u.at["yuntai", "p_较差"] == 1.0 and u.at["yuntai", "p_advanced"] == 0.0
    assert (u["rank_min"] <= u["rank_p5"]).all() and (u["rank_p5"] <= u["rank_p95"]).all()
    assert (u["rank_p95"] <= u["rank_max"]).all()
    assert ((r.factors >= 0.8) & (r.factors <= 1.2)).all()


def test_seeded_draws_are_reproducible(changshou):
    a = rank_robustness(changshou.scores, draws=200, seed=11)
    b = rank_robustness(changshou.scores, draws=200, seed=11)
    c = rank_robustness(changshou.scores, draws=200, seed=12)
    assert (a.factors == b.factors).all() and (a.ranks == b.ranks).all()
    assert a.units.equals(b.units) and a.choices.equals(b.choices)
    assert not (a.factors == c.factors).all()


def test_tied_units_at_the_cut_by_hand(changshou):
    # changshouhu and shuanglong tie at 95.95, 5th of the 18 units graded by quota (yuntai is
    # vetoed). 好 is 30% of 18 = 5.4: half_up 5, floor 5, ceil 6. With ceil both are 好; with
    # a cut at 5, ties 'higher' lifts the pair (rank 5 ≤ 5) and 'lower' drops it (rank 6 > 5).
    r = rank_robustness(changshou.scores, draws=600, spread=0.0)
    good = (r.choices["rounding"] == "ceil") | (r.choices["ties"] == "higher")
    u = r.units.set_index("unit_id")
    for unit in ("changshouhu", "shuanglong"):
        assert u.at[unit, "p_好"] == pytest.approx(good.mean())
        assert u.at[unit, "p_较好"] == pytest.approx(1 - good.mean())
        assert u.at[unit, "grade_could_change"]


# -- weights perturbed: totals worked out by hand -----------------------------------------------


def test_first_level_shares_are_renormalised_to_the_full_score():
    rubric = make_rubric([leaf("A", 50), leaf("B", 50)])
    data = make_dataset(rubric, unit_rows(["x", "y", "z"]),
                        observations=rated({"x": {"A": 50, "B": 0}, "y": {"A": 0, "B": 50},
                                            "z": {"A": 25, "B": 25}}))
    s = score(rubric, data)
    r = rank_robustness(s, draws=300, spread=0.3, roundings=None, ties=None)
    fa, fb = r.factors[:, 0], r.factors[:, 1]
    # shares 50·fA and 50·fB, renormalised to 100: x = 100·fA/(fA+fB), y = 100·fB/(fA+fB)
    np.testing.assert_allclose(r.totals[:, 0], 100 * fa / (fa + fb))
    np.testing.assert_allclose(r.totals[:, 1], 100 * fb / (fa + fb))
    np.testing.assert_allclose(r.totals[:, 2], 50.0)  # z earns half of each: 50 whatever
    clear = np.abs(fa - fb) > 1e-3  # not tied once rounded to 2 decimals
    assert (r.ranks[clear, 0] == np.where(fa > fb, 1, 3)[clear]).all()
    assert (r.ranks[clear, 2] == 2).all()
    # the engine ties all three at 50, rank 1; the draws spread x and y over ranks 1 to 3
    assert s.totals["rank"].tolist() == [1, 1, 1]
    assert r.units["rank_min"].tolist()[:2] == [1, 1]
    assert r.units["rank_max"].tolist()[:2] == [3, 3]


def test_rescaled_unit_with_one_applicable_section_keeps_its_total():
    rubric = make_rubric([leaf("A", 50), leaf("B", 50)], order=["rescale"])
    data = make_dataset(rubric, unit_rows(["p", "q"]),
                        observations=rated({"p": {"A": 40}, "q": {"A": 40, "B": 30}}),
                        not_applicable=[{"unit_id": "p", "indicator_id": "B", "reason": "无此任务"}])
    s = score(rubric, data)
    r = rank_robustness(s, draws=100, spread=0.2)
    fa, fb = r.factors[:, 0], r.factors[:, 1]
    # p: only A applies, 40 / 50 × 100 = 80 whatever A's weight
    np.testing.assert_allclose(r.totals[:, 0], 80.0)
    # q: (40·fA + 30·fB) / (50·fA + 50·fB) × 100
    np.testing.assert_allclose(r.totals[:, 1], (40 * fa + 30 * fb) / (50 * fa + 50 * fb) * 100)


def test_leaf_level_perturbs_weights_inside_a_weighted_section():
    rubric = make_rubric([{
        "id": "A", "name": "工作实绩", "points": 100, "aggregate": "weighted",
        "children": [leaf("a1", 10, weight=0.6), leaf("a2", 10, weight=0.4)]}])
    data = make_dataset(rubric, unit_rows(["x", "y"]),
                        observations=rated({"x": {"a1": 10, "a2": 0}, "y": {"a1": 5, "a2": 10}}))
    s = score(rubric, data)
    assert s.totals["total"].tolist() == pytest.approx([60.0, 70.0])  # 100·0.6; 100·(0.3+0.4)
    r = rank_robustness(s, draws=200, spread=0.5, level="leaf")
    f1, f2 = r.factors[:, 0], r.factors[:, 1]
    w1, w2 = 0.6 * f1, 0.4 * f2  # drawn weights, renormalised by the weighted mean
    np.testing.assert_allclose(r.totals[:, 0], 100 * w1 / (w1 + w2))
    np.testing.assert_allclose(r.totals[:, 1], 100 * (0.5 * w1 + w2) / (w1 + w2))
    assert r.factor_ids == ["a1", "a2"]


# -- quota rounding drawn: grades and advanced by hand ---------------------------------------------


def five_units(**results):
    rubric = make_rubric([leaf("A", 100)], results=results)
    data = make_dataset(rubric, unit_rows(["u1", "u2", "u3", "u4", "u5"]),
                        observations=rated({"u1": {"A": 90}, "u2": {"A": 80}, "u3": {"A": 70},
                                            "u4": {"A": 60}, "u5": {"A": 50}}))
    return score(rubric, data)


def test_quota_rounding_drawn_by_hand():
    s = five_units(grades={"method": "quota", "tiers": [{"name": "好", "share": 0.3},
                                                        {"name": "较好", "share": 0.5},
                                                        {"name": "一般"}]},
                   advanced={"top_share": 0.3})
    r = rank_robustness(s, draws=400, spread=0.1, roundings=["floor", "ceil"], ties=None)
    ceil = (r.choices["rounding"] == "ceil").to_numpy()
    assert 0 < ceil.mean() < 1
    u = r.units.set_index("unit_id")
    # 好: 30% of 5 = 1.5 → floor 1, ceil 2: u2 is 好 exactly when the draw rounds up
    assert u.at["u1", "p_好"] == 1.0
    assert u.at["u2", "p_好"] == pytest.approx(ceil.mean())
    assert (r.grades[:, 1] == np.where(ceil, 0, 1)).all()
    # 较好 up to 80% of 5 = 4 either way: u3, u4 较好 unless lifted; u5 一般 always
    assert u.at["u4", "p_较好"] == 1.0 and u.at["u5", "p_一般"] == 1.0
    # advanced: top 30% = 1.5 → 1 or 2
    assert (r.advanced[:, 1] == ceil).all() and u.at["u1", "p_advanced"] == 1.0
    # one leaf: the weights cannot move anything, the ranks are fixed
    assert (r.ranks == np.array([1, 2, 3, 4, 5])[None, :]).all()


def test_tie_rule_drawn_by_hand():
    rubric = make_rubric([leaf("A", 100)], results={"grades": {
        "method": "quota", "tiers": [{"name": "好", "share": 0.4}, {"name": "一般"}]}})
    data = make_dataset(rubric, unit_rows(["u1", "u2", "u3", "u4", "u5"]),
                        observations=rated({"u1": {"A": 90}, "u2": {"A": 80}, "u3": {"A": 80},
                                            "u4": {"A": 60}, "u5": {"A": 50}}))
    s = score(rubric, data)
    r = rank_robustness(s, draws=300, spread=0.0)
    # 40% of 5 = 2 under every rounding; u2 and u3 tie across the cut (positions 2 and 3)
    higher = (r.choices["ties"] == "higher").to_numpy()
    assert (r.grades[:, 1] == np.where(higher, 0, 1)).all()
    assert (r.grades[:, 2] == r.grades[:, 1]).all()
    assert r.units.set_index("unit_id").at["u3", "p_好"] == pytest.approx(higher.mean())


def test_bad_options_are_refused(changshou):
    for kw in ({"spread": 1.0}, {"draws": 0}, {"roundings": ["up"]}, {"level": "mid"},
               {"ties": []}):
        with pytest.raises(ValueError):
            rank_robustness(changshou.scores, **kw)


# -- output ----------------------------------------------------------------------------------------


def test_report_lists_the_units_that_could_change(changshou, tmp_path):
    r = rank_robustness(changshou.scores, draws=200, spread=0.0)
    text = format_report(r, "长寿区")
    assert "长寿湖镇" in text and "双龙镇" in text
    assert "龙河镇" not in text  # first by 1.9 points, 好 and 通报表扬 in every draw
    paths = write_robustness(r, tmp_path)
    back = pd.read_csv(paths[0], encoding="utf-8-sig")
    assert list(back["unit_id"]) == list(changshou.scores.totals["unit_id"])
    again = write_robustness(r, tmp_path / "again")
    assert paths[0].read_bytes() == again[0].read_bytes()


def test_cli_robustness(tmp_path, capsys):
    code = main(["robustness", str(CHANGSHOU), "--draws", "100", "--spread", "0.05",
                 "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "名次稳健性分析" in out and "±5%" in out and "共抽样100次" in out
    assert (tmp_path / "robustness.csv").exists() and (tmp_path / "robustness.json").exists()
    assert main(["robustness", str(CHANGSHOU), "--spread", "2"]) == 2
