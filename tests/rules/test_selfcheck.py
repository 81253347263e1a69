"""self_assessment: self-assessed points against the verified points of the same indicator."""

from __future__ import annotations

import pandas as pd
from helpers import ctx, deltas, pts, run_rule, self_scores, texts

from kaohe.rules import RuleResult
from kaohe.rules.base import empty_lines


def _verified(points: dict[str, float]) -> RuleResult:
    s = pd.Series(points, dtype=float)
    return RuleResult("max", s, empty_lines(), pd.Series("", index=s.index))


PRIOR = {"r01": _verified({"a": 2.5, "b": 3.0}), "r02": _verified({"a": 1.0, "b": 2.0}),
         "r03": _verified({"a": 4.0, "b": 5.0})}


def test_over_claiming_beyond_tolerance_costs_the_penalty():
    rows = [("a", "r01", 3.0),   # gap 0.5, not above the tolerance 0.5
            ("a", "r02", 2.0),   # gap 1 > 0.5 → −1
            ("b", "r01", 2.0),   # under-claimed by 1: not penalised (over_only)
            ("b", "r03", 5.0)]   # equal
    r = run_rule("self_assessment", {"tolerance": 0.5, "penalty": 1},
                 ctx(["a", "b"], 0, self_frame=self_scores(rows), prior=PRIOR))
    assert pts(r) == {"a": -1.0, "b": 0.0}
    assert texts(r, "a") == ["指标r02自评2分，核定1分，相差1分，超过容差0.5分，"
                             "自评与核查结果不一致，扣1分"]
    assert list(r.inputs) == ["自评不一致指标1项", "自评与核查一致"]


def test_both_directions_and_the_cap():
    rows = [("a", "r01", 5.0), ("a", "r02", 3.0), ("a", "r03", 0.0), ("b", "r01", 2.0)]
    r = run_rule("self_assessment", {"penalty": 1, "cap": 2, "over_only": False},
                 ctx(["a", "b"], 0, self_frame=self_scores(rows), prior=PRIOR))
    # a: three gaps (+2.5, +2, −4) → 3 × 1 = 3 → capped at 2; b: −1 → 1
    assert pts(r) == {"a": -2.0, "b": -1.0}
    assert deltas(r, "a") == [-1.0, -1.0, -1.0, 1.0]
    assert texts(r, "a")[-1] == "自评不一致扣分累计3分，2分封顶，超出的1分不计"


def test_indicators_without_a_verified_score_are_skipped():
    rows = [("a", "r99", 5.0)]
    r = run_rule("self_assessment", {"penalty": 1},
                 ctx(["a"], 0, self_frame=self_scores(rows), prior=PRIOR))
    assert pts(r) == {"a": 0.0}
