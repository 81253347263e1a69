"""The whole catalogue at once: every registered rule is listed here, and each one copes
with an indicator that applies to no unit at all (every unit 不适用)."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import ctx, items, obs, roles, run_rule

from kaohe.rules import REGISTRY, PeriodTotals

TIERS = [{"name": "优", "share": 0.2, "points": 10}, {"name": "良", "share": 0.6, "points": 9},
         {"name": "合格", "points": 8}]

# The smallest valid parameters of every rule; a new rule must be added here (and tested).
MINIMAL = {
    "rater_points": {},
    "checklist": {"items": [{"id": "x", "name": "开展改革调研", "points": 5}]},
    "attainment": {"target": 10},
    "rate_to_points": {},
    "component": {},
    "deductions": {"kinds": [{"id": "m", "name": "少报每月动态", "cost": 0.5}]},
    "required_count": {"what": "报送改革工作信息", "required": 4, "cost": 1},
    "class_deduction": {"costs": {"A": 3, "B": 2, "C": 1}},
    "level_points": {"levels": {"c": {"name": "被中央有关部门采用", "points": 6}}, "cap": 6},
    "highest_per_work": {"levels": {"n": {"name": "国家级试点", "points": 1}}, "cap": 2},
    "credits_findings": {"rounds": {"r": {"name": "市级专项督查", "credit": 0.2}}},
    "veto": {"cases": {"c": {"name": "通报批评"}}},
    "quota_grade": {"over": "items", "within": "group", "tiers": TIERS},
    "incentive": {"tiers_from": "pro", "per_tier": {"优": 3, "良": 2, "合格": 1}, "cap": 10},
    "self_assessment": {"penalty": 1},
    "period_results": {"periods": ["2021-Q1"], "what": "季度现场比武"},
}


def test_every_registered_rule_is_listed():
    assert set(MINIMAL) == set(REGISTRY)
    for kind, cls in REGISTRY.items():
        assert cls.model_fields["kind"].default == kind
        assert cls.title  # shown in reports
        assert cls.reads in ("observations", "events", "results")


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_an_indicator_that_applies_to_no_unit(kind):
    it = items([("A1", "实施县域金融创新工程", "A", "经济")])
    ro = roles([("A1", "fin", "lead")])
    rows = obs([{"unit_id": None, "item": "A1", "value": 90.0}, ("fin", "A1", 0.0)])
    prior = {}
    if kind == "incentive":
        prior["pro"] = run_rule("quota_grade", MINIMAL["quota_grade"],
                                ctx([], 10, obs_frame=rows, item_frame=it, role_frame=ro))
    q1 = PeriodTotals("2021-Q1", "一季度现场比武", "params/t/2021-Q1.yaml",
                      pd.DataFrame({"unit_id": ["fin"], "total": [90.0], "rank": [1.0],
                                    "group_size": [1.0]}))
    r = run_rule(kind, MINIMAL[kind], ctx([], 10, obs_frame=rows, item_frame=it, role_frame=ro,
                                          prior=prior, periods={"2021-Q1": q1}))
    assert r.points.empty
    assert r.lines.empty
    assert r.inputs.empty
    assert r.start in ("max", "zero")
