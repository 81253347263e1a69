"""Properties that must hold for any input, checked with hypothesis: floors and caps,
rescaling of full marks, competition ranks, quota tiers, and the explanation invariant
points == start + sum(delta) (``run_rule`` checks it on every call)."""

from __future__ import annotations

import math

import pandas as pd
from helpers import ctx, events, items, make_dataset, make_rubric, obs, roles, run_rule
from helpers import self_scores as self_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import score
from kaohe.results import _rank
from kaohe.rules import RuleResult, tiers_by_quota
from kaohe.rules.base import empty_lines, round_count

FAST = settings(max_examples=100, deadline=None)
SLOW = settings(max_examples=25, deadline=None)  # each example scores a whole scheme-year

UNITS = [f"u{i}" for i in range(6)]
unit_ids = st.lists(st.sampled_from(UNITS), min_size=1, max_size=6, unique=True)
money = st.floats(min_value=0.0, max_value=10.0, allow_nan=False).map(lambda x: round(x, 2))
small = st.integers(min_value=0, max_value=12)


# -- a deduction never goes below zero, never above the maximum --------------------------


@FAST
@given(ids=unit_ids, max_points=st.sampled_from([2.0, 4.0, 5.0, 6.0]),
       costs=st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=1, max_size=3),
       counts=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2), small), max_size=12))
def test_deductions_stay_between_zero_and_the_maximum(ids, max_points, costs, counts):
    kinds = [{"id": f"k{i}", "name": f"情形{i}", "cost": c} for i, c in enumerate(costs)]
    rows = {}
    for u, k, n in counts:  # one row per unit × kind (the schema's uniqueness)
        rows[(ids[u % len(ids)], f"k{k % len(costs)}")] = n
    r = run_rule("deductions", {"kinds": kinds},
                 ctx(ids, max_points, obs_frame=obs([(u, k, n) for (u, k), n in rows.items()])))
    assert ((r.points >= 0) & (r.points <= max_points + 1e-9)).all()
    for (u, k), n in rows.items():
        if n * costs[int(k[1:])] >= max_points:
            assert r.points[u] == 0.0


@FAST
@given(ids=unit_ids, required=st.integers(1, 8), cost=st.sampled_from([0.5, 1.0, 2.0]),
       max_points=st.sampled_from([2.0, 4.0, 5.0]), counts=st.lists(small, min_size=6, max_size=6),
       gates=st.lists(st.sampled_from([None, 0, 1]), min_size=6, max_size=6))
def test_required_count_stays_between_zero_and_the_maximum(ids, required, cost, max_points,
                                                           counts, gates):
    rows = [(u, "count", counts[i]) for i, u in enumerate(ids)]
    rows += [(u, "quality", gates[i]) for i, u in enumerate(ids) if gates[i] is not None]
    p = {"what": "报送信息", "required": required, "cost": cost, "gate_item": "quality"}
    r = run_rule("required_count", p, ctx(ids, max_points, obs_frame=obs(rows)))
    for i, u in enumerate(ids):
        expected = 0.0 if gates[i] == 0 else max(0.0, max_points - max(0, required - counts[i]) * cost)
        assert math.isclose(r.points[u], expected, abs_tol=1e-9)


@FAST
@given(ids=unit_ids, held=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.booleans()),
                                   max_size=20))
def test_class_deduction_stays_between_zero_and_the_maximum(ids, held):
    it = items([(f"I{i}", f"事项{i}", "ABC"[i % 3], "g") for i in range(6)])
    pairs = {(ids[u % len(ids)], f"I{i}"): met for u, i, met in held}
    ro = roles([(i, u, "lead") for (u, i) in pairs])
    rows = [(u, i, int(met)) for (u, i), met in pairs.items()]
    r = run_rule("class_deduction", {"costs": {"A": 3, "B": 2, "C": 1}},
                 ctx(ids, 5, obs_frame=obs(rows), item_frame=it, role_frame=ro))
    for u in ids:
        lost = sum({"A": 3, "B": 2, "C": 1}["ABC"[int(i[1:]) % 3]]
                   for (v, i), met in pairs.items() if v == u and not met)
        assert math.isclose(r.points[u], max(0.0, 5 - lost), abs_tol=1e-9)


# -- a cap is never exceeded ------------------------------------------------------------

LEVELS = {"hi": {"name": "国家级", "points": 1.0}, "mid": {"name": "市级", "points": 0.5},
          "lo": {"name": "区级", "points": 0.2}}
event_rows = st.lists(st.tuples(st.integers(0, 5), st.sampled_from(list(LEVELS)),
                                st.sampled_from([None, "甲", "乙", "丙"])), max_size=15)


@FAST
@given(ids=unit_ids, rows=event_rows, cap=st.one_of(st.none(), st.sampled_from([0.5, 1, 2])))
def test_highest_per_work_never_exceeds_its_cap(ids, rows, cap):
    ev = events([{"unit_id": ids[u % len(ids)], "type": t, "work": w} for u, t, w in rows])
    r = run_rule("highest_per_work", {"levels": LEVELS, "cap": cap}, ctx(ids, 2, event_frame=ev))
    for u in ids:
        best: dict[object, float] = {}
        for i, (v, t, w) in enumerate(rows):
            if ids[v % len(ids)] == u:
                key = w if w is not None else f"#{i}"
                best[key] = max(best.get(key, 0.0), LEVELS[t]["points"])
        expected = sum(best.values())
        expected = min(expected, cap) if cap is not None else expected
        assert math.isclose(r.points[u], expected, abs_tol=1e-9)
    if cap is not None:
        assert (r.points <= cap + 1e-9).all()


@FAST
@given(ids=unit_ids, rows=event_rows, cap=st.sampled_from([1.0, 1.5, 6.0]),
       zeroed=st.sets(st.integers(0, 5), max_size=2))
def test_level_points_never_exceed_the_cap_and_zero_wins(ids, rows, cap, zeroed):
    ev = [{"unit_id": ids[u % len(ids)], "type": t} for u, t, _ in rows]
    ev += [{"unit_id": ids[u % len(ids)], "type": "poor"} for u in zeroed]
    p = {"levels": LEVELS, "cap": cap, "zero_types": {"poor": "因汇报沟通不到位，影响全县考评"}}
    r = run_rule("level_points", p, ctx(ids, cap, event_frame=events(ev)))
    assert ((r.points >= 0) & (r.points <= cap + 1e-9)).all()
    for u in {ids[z % len(ids)] for z in zeroed}:
        assert r.points[u] == 0.0


@FAST
@given(n_items=st.integers(1, 12), lead=st.sets(st.integers(0, 11), max_size=12),
       cap=st.sampled_from([2.0, 5.0, 10.0]), drop=st.integers(0, 3), more_than=st.integers(0, 4),
       values=st.lists(st.integers(60, 100), min_size=12, max_size=12))
def test_incentive_never_exceeds_its_cap(n_items, lead, cap, drop, more_than, values):
    it = items([(f"I{i:02d}", f"事项{i}", "C", "g") for i in range(n_items)])
    rows = [{"unit_id": None, "item": f"I{i:02d}", "value": values[i]} for i in range(n_items)]
    ro = roles([(f"I{i:02d}", "u", "lead") for i in sorted(lead) if i < n_items])
    tiers = [{"name": "优", "share": 0.2, "points": 10}, {"name": "良", "share": 0.6, "points": 9},
             {"name": "合格", "points": 8}]
    graded = run_rule("quota_grade", {"over": "items", "tiers": tiers, "missing": "zero"},
                      ctx(["u"], 10, obs_frame=obs(rows), item_frame=it, role_frame=ro))
    per_tier = {"优": 3, "良": 2, "合格": 1}
    p = {"tiers_from": "pro", "per_tier": per_tier, "cap": cap, "drop_worst": drop,
         "more_than": more_than}
    r = run_rule("incentive", p, ctx(["u"], cap, item_frame=it, role_frame=ro,
                                     prior={"pro": graded}))
    held = sorted(per_tier[graded.extra["tiers"].at[f"I{i:02d}", "tier_name"]]
                  for i in lead if i < n_items)
    expected = min(cap, sum(held[drop:])) if len(held) > more_than else 0.0
    assert math.isclose(r.points["u"], expected, abs_tol=1e-9)


# -- full marks rescale to exactly the full scale -----------------------------------------


@SLOW
@given(parts=st.lists(st.integers(1, 40), min_size=2, max_size=6),
       off=st.lists(st.booleans(), min_size=6, max_size=6), full=st.sampled_from([100, 98, 150]))
def test_full_marks_rescale_to_the_full_score(parts, off, full):
    # leaf points: a partition of the full score, some not applicable to unit "x"
    points = [p * full / sum(parts) for p in parts]
    leaves = [{"id": f"L{i}", "name": f"指标{i}", "points": p, "rule": {"kind": "rater_points"}}
              for i, p in enumerate(points)]
    rubric = make_rubric(leaves, full_score=full, order=["rescale"])
    missing = [i for i in range(len(points)) if off[i]][: len(points) - 1]  # one stays
    rows = [{"unit_id": u, "indicator_id": f"L{i}", "source": "考评组", "value": p}
            for u in ("x", "y") for i, p in enumerate(points) if not (u == "x" and i in missing)]
    na = [{"unit_id": "x", "indicator_id": f"L{i}", "reason": "无此项任务"} for i in missing]
    data = make_dataset(rubric, [{"unit_id": u, "name": f"{u}单位", "kind": "dept"}
                                 for u in ("x", "y")], observations=rows, not_applicable=na)
    t = score(rubric, data).totals.set_index("unit_id")
    assert math.isclose(t.at["x", "total"], full, rel_tol=1e-12)
    assert math.isclose(t.at["y", "total"], full, rel_tol=1e-12)


# -- ranks: competition ranking within groups, vetoed last --------------------------------


@FAST
@given(keys=st.lists(st.integers(0, 5), min_size=1, max_size=15),
       groups=st.lists(st.sampled_from(["甲", "乙"]), min_size=15, max_size=15),
       vetoed=st.lists(st.booleans(), min_size=15, max_size=15))
def test_ranks_are_a_permutation_up_to_ties(keys, groups, vetoed):
    n = len(keys)
    idx = [f"u{i}" for i in range(n)]
    key = pd.Series(keys, index=idx, dtype=float)
    g = pd.Series(groups[:n], index=idx)
    v = pd.Series(vetoed[:n], index=idx)
    comp = _rank(pd.DataFrame({"v": v, "k": -key}), g, "min")
    dense = _rank(pd.DataFrame({"v": v, "k": -key}), g, "dense")
    for u in idx:
        peers = [w for w in idx if g[w] == g[u]]
        better = [w for w in peers if (v[w], -key[w]) < (v[u], -key[u])]
        assert comp[u] == 1 + len(better)
        assert dense[u] == 1 + len({(v[w], key[w]) for w in better})
    for grp in set(g):
        ranks = sorted(comp[g == grp])
        # sorted competition ranks: each rank r is repeated c times and the next is r + c
        i = 0
        while i < len(ranks):
            c = ranks.count(ranks[i])
            assert ranks[i] == i + 1
            i += c
        members = g[g == grp].index
        if v[members].any() and (~v[members]).any():
            assert comp[members][~v[members]].max() < comp[members][v[members]].min()


# -- quota tiers respect their proportions under the rounding -----------------------------

share_lists = st.lists(st.sampled_from([0.1, 0.2, 0.25, 0.3, 1 / 3, 0.5, 0.6]),
                       min_size=1, max_size=3).filter(lambda s: sum(s) <= 1 + 1e-9)
roundings = st.sampled_from(["half_up", "floor", "ceil"])


@FAST
@given(n=st.integers(1, 40), shares=share_lists, rounding=roundings,
       ties=st.sampled_from(["higher", "lower"]), seed=st.randoms(use_true_random=False))
def test_quota_counts_without_ties(n, shares, rounding, ties, seed):
    values = list(range(n))
    seed.shuffle(values)
    s = pd.Series(values, index=[f"e{i}" for i in range(n)], dtype=float)
    tier = tiers_by_quota(s, shares, rounding, ties)
    cum = 0.0
    for j, share in enumerate(shares):
        cum += share
        assert (tier <= j).sum() == min(n, round_count(cum * n, rounding))
    # better values never land in a worse tier
    order = s.sort_values(ascending=False).index
    assert list(tier[order]) == sorted(tier[order])


@FAST
@given(values=st.lists(st.integers(0, 6), min_size=1, max_size=30), shares=share_lists,
       rounding=roundings, ties=st.sampled_from(["higher", "lower"]))
def test_quota_ties_never_split_and_move_as_told(values, shares, rounding, ties):
    n = len(values)
    s = pd.Series(values, index=[f"e{i}" for i in range(n)], dtype=float)
    tier = tiers_by_quota(s, shares, rounding, ties)
    for v in set(values):
        assert tier[s == v].nunique() == 1  # tied entries share a tier
    cum = 0.0
    for j, share in enumerate(shares):
        cum += share
        cut = round_count(cum * n, rounding)
        inside = tier <= j
        greater = s.map(lambda x: int((s > x).sum()))
        at_least = s.map(lambda x: int((s >= x).sum()))
        if ties == "higher":  # a tie straddling the cut is lifted: in iff fewer than cut above
            assert (inside == (greater < cut)).all()
            assert inside.sum() >= min(cut, n)
        else:  # dropped: in iff the whole tie fits within the cut
            assert (inside == (at_least <= cut)).all()
            assert inside.sum() <= cut


# -- points == start + sum(delta) for random inputs of several rules -----------------------


@FAST
@given(ids=unit_ids, vals=st.lists(st.lists(st.floats(-2, 12, allow_nan=False), min_size=1,
                                            max_size=4), min_size=6, max_size=6),
       how=st.sampled_from(["mean", "trimmed_mean", "sum", "min", "max", "median"]),
       scale=st.sampled_from([None, 10.0, 100.0]))
def test_invariant_rater_points(ids, vals, how, scale):
    rows = [(u, None, v, f"评委{k}") for i, u in enumerate(ids) for k, v in enumerate(vals[i])]
    r = run_rule("rater_points", {"combine": how, "scale": scale},
                 ctx(ids, 5, obs_frame=obs(rows)))
    assert ((r.points >= 0) & (r.points <= 5)).all()


@FAST
@given(ids=unit_ids, met=st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=6,
                                  max_size=6))
def test_invariant_checklist(ids, met):
    p = {"items": [{"id": "a", "name": "甲", "points": 1}, {"id": "b", "name": "乙", "points": 1.5},
                   {"id": "c", "name": "丙", "points": 2.5}]}
    rows = [(u, k, int(m)) for i, u in enumerate(ids) for k, m in zip("abc", met[i], strict=True)]
    r = run_rule("checklist", p, ctx(ids, 5, obs_frame=obs(rows)))
    for i, u in enumerate(ids):
        assert math.isclose(r.points[u], sum(w for w, m in zip([1, 1.5, 2.5], met[i], strict=True)
                                             if m), abs_tol=1e-9)


@FAST
@given(ids=unit_ids, found=st.lists(st.tuples(st.integers(0, 5),
                                              st.sampled_from(["m", "c", "t"]), money),
                                    max_size=12))
def test_invariant_credits_findings(ids, found):
    rounds = {"m": {"name": "市级专项督查", "credit": 0.2}, "c": {"name": "区县交叉核查", "credit": 0.2},
              "t": {"name": "市级第三方评估", "credit": 0.3}}
    ev = events([{"unit_id": ids[u % len(ids)], "type": t, "value": v} for u, t, v in found])
    r = run_rule("credits_findings", {"rounds": rounds}, ctx(ids, 0.7, event_frame=ev))
    for u in ids:
        expected = 0.0
        for t, rd in rounds.items():
            lost = [v for w, tt, v in found if ids[w % len(ids)] == u and tt == t]
            if lost:
                expected += -sum(lost) if sum(lost) > 0 else rd["credit"]
        assert math.isclose(r.points[u], expected, abs_tol=1e-9)


@FAST
@given(ids=unit_ids, values=st.lists(st.integers(0, 10), min_size=6, max_size=6),
       rounding=roundings, ties=st.sampled_from(["higher", "lower"]))
def test_invariant_quota_grade_over_units(ids, values, rounding, ties):
    tiers = [{"name": "优", "share": 0.2, "points": 15}, {"name": "良", "share": 0.6, "points": 12},
             {"name": "合格", "points": 9}]
    rows = [(u, None, values[i]) for i, u in enumerate(ids)]
    r = run_rule("quota_grade", {"tiers": tiers, "rounding": rounding, "ties": ties},
                 ctx(ids, 15, obs_frame=obs(rows)))
    assert set(r.points) <= {15.0, 12.0, 9.0}


@FAST
@given(ids=unit_ids, claims=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["r1", "r2"]),
                                               st.floats(0, 5, allow_nan=False)), max_size=12),
       tolerance=st.sampled_from([0.0, 0.5]), cap=st.one_of(st.none(), st.just(1.5)),
       over_only=st.booleans())
def test_invariant_self_assessment(ids, claims, tolerance, cap, over_only):
    verified = {k: RuleResult("max", pd.Series({u: 2.5 for u in ids}), empty_lines(),
                              pd.Series("", index=ids)) for k in ("r1", "r2")}
    rows = {(ids[u % len(ids)], k): v for u, k, v in claims}
    p = {"tolerance": tolerance, "penalty": 1, "cap": cap, "over_only": over_only}
    r = run_rule("self_assessment", p,
                 ctx(ids, 0, self_frame=self_frame([(u, k, v) for (u, k), v in rows.items()]),
                     prior=verified))
    assert (r.points <= 0).all()
    if cap is not None:
        assert (r.points >= -cap - 1e-9).all()


@FAST
@given(ids=unit_ids, actual=st.lists(st.floats(0, 200, allow_nan=False), min_size=6, max_size=6),
       direction=st.sampled_from(["higher", "lower"]), zero_below=st.sampled_from([0.0, 0.6]))
def test_invariant_attainment(ids, actual, direction, zero_below):
    rows = [(u, "actual", actual[i]) for i, u in enumerate(ids)]
    r = run_rule("attainment", {"target": 80, "direction": direction, "zero_below": zero_below},
                 ctx(ids, 4, obs_frame=obs(rows)))
    assert ((r.points >= 0) & (r.points <= 4 + 1e-9)).all()


@FAST
@given(ids=unit_ids, rates=st.lists(st.floats(0, 1, allow_nan=False), min_size=6, max_size=6),
       method=st.sampled_from(["linear", "bands"]))
def test_invariant_rate_to_points(ids, rates, method):
    p = ({"floor": 0.6, "ceiling": 0.9} if method == "linear" else
         {"method": "bands", "bands": [{"min": 0.9, "share": 1}, {"min": 0.7, "share": 0.6}]})
    r = run_rule("rate_to_points", p, ctx(ids, 10, obs_frame=obs(
        [(u, None, rates[i]) for i, u in enumerate(ids)])))
    assert ((r.points >= 0) & (r.points <= 10 + 1e-9)).all()
