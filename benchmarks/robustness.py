"""Rank-robustness benchmark: 200 synthetic units, 1,000 draws, timed through
``kaohe.robustness.rank_robustness``.

Not a test: run it by hand (``.venv/bin/python benchmarks/robustness.py``); the figure goes
into ``docs/performance.md`` (section "Rank robustness"). The target of the issue is 1,000
draws for 200 units in under 10 s.

The synthetic year is seeded and built in memory through the same pydantic model and
cross-checks a rubric file goes through (``check_rubric``), with tables shaped as
``load_dataset`` leaves them and checked by ``check_against``. It exercises every path of the
analysis: two unit kinds ranked and graded by quota within kind, advanced lists by share
within regions, a weighted section and a section with ``missing: share`` (for the leaf
level), a not-applicable item with rescaling (缺项折算), a bonus adjustment, a veto, and
scores rounded to one decimal so that ties across quota cuts occur.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from kaohe.dataset import Dataset, check_against, empty_table
from kaohe.engine import Scores, applicability, score
from kaohe.robustness import rank_robustness
from kaohe.rubric import Rubric, check_rubric

SEED = 2024
REGIONS = 8
STREET_SHARE = 0.15
LEAVES_PER_SECTION = 4


def _leaf(leaf_id: str, points: float, weight: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": leaf_id, "name": f"指标{leaf_id}", "points": points,
                           "rule": {"kind": "rater_points"}}
    if weight is not None:
        out["weight"] = weight
    return out


def build_rubric() -> Rubric:
    """Five 20-point sections of four leaves, a 2-point bonus, a veto, quota results."""
    sections: list[dict[str, Any]] = []
    for s in "ABCDE":
        kids = [_leaf(f"{s}{i}", 5.0) for i in range(1, LEAVES_PER_SECTION + 1)]
        sec: dict[str, Any] = {"id": s, "name": f"板块{s}", "points": 20.0, "children": kids}
        if s == "D":
            sec["missing"] = "share"
        if s == "E":
            sec["aggregate"] = "weighted"
            for kid, w in zip(kids, (0.4, 0.3, 0.2, 0.1), strict=True):
                kid["weight"] = w
        sections.append(sec)
    raw: dict[str, Any] = {
        "scheme": "bench-robustness", "year": 2024, "title": "稳健性基准（合成）",
        "unit_kinds": [{"id": "street", "name": "街道"}, {"id": "town", "name": "乡镇"}],
        "groups": ["kind", "region"],
        "indicators": sections,
        "adjustments": [
            {"id": "bonus", "name": "加分", "points": 2.0,
             "rule": {"kind": "highest_per_work", "cap": 2, "what": "加分", "levels": {
                 "city": {"name": "市级表彰", "points": 1.0},
                 "county": {"name": "县级表彰", "points": 0.5}}}},
            {"id": "veto", "name": "一票否决", "points": 0.0,
             "rule": {"kind": "veto", "cases": {"accident": {"name": "重大事故"}}}},
        ],
        "order": ["rescale", "bonus", "veto"],
        "results": {
            "ranking": {"within": ["kind"]},
            "grades": {"method": "quota", "within": ["kind"], "tiers": [
                {"name": "优秀", "share": 0.2}, {"name": "良好", "share": 0.5},
                {"name": "一般", "share": 0.3}, {"name": "较差"}]},
            "advanced": {"top_share": 0.1, "within": ["region"]},
        },
    }
    rubric = Rubric.model_validate(raw)
    problems = check_rubric(rubric)
    if problems:
        raise SystemExit(f"synthetic rubric refused: {problems}")
    return rubric


def _frame(rows: list[dict], columns: list[str], file: str, numeric=()) -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in columns})
    for c in numeric:
        df[c] = pd.to_numeric(df[c]).astype(float)
    df["ref"] = [f"{file}:{i + 2}" for i in range(len(df))]
    return df


def build_data(rubric: Rubric, n_units: int, rng: np.random.Generator) -> Dataset:
    ids = [f"u{i:04d}" for i in range(n_units)]
    kinds = np.where(rng.random(n_units) < STREET_SHARE, "street", "town")
    regions = [f"片区{int(r) + 1}" for r in rng.integers(0, REGIONS, n_units)]
    units = _frame([{"unit_id": u, "name": f"单位{u}", "kind": k, "region": r}
                    for u, k, r in zip(ids, kinds, regions, strict=True)],
                   ["unit_id", "name", "kind", "region"], "units.csv")
    na_units = set(rng.choice(ids, size=max(1, n_units // 20), replace=False))
    ability = rng.normal(0.85, 0.05, n_units)  # a unit's level across indicators
    obs = []
    for leaf in rubric.leaves():
        values = np.clip(ability + rng.normal(0, 0.04, n_units), 0.5, 1.0) * leaf.max_points
        for u, v in zip(ids, np.round(values, 1), strict=True):
            if leaf.id == "D4" and u in na_units:
                continue
            obs.append({"unit_id": u, "indicator_id": leaf.id, "source": "考评组",
                        "value": float(v)})
    na = [{"unit_id": u, "indicator_id": "D4", "reason": "无此项任务"} for u in sorted(na_units)]
    bonus_units = rng.choice(ids, size=n_units // 10, replace=False)
    events = [{"unit_id": u, "indicator_id": "bonus", "type": str(rng.choice(["city", "county"])),
               "work": f"{u}工作", "description": "获表彰"} for u in bonus_units]
    events.append({"unit_id": ids[0], "indicator_id": "veto", "type": "accident",
                   "description": "发生重大事故"})
    ev_cols = ["unit_id", "indicator_id", "type", "work", "value", "date", "description"]
    tables = {name: empty_table(name) for name in
              ("items", "roles", "self_scores", "history")}
    tables |= {
        "units": units,
        "observations": _frame(obs, ["unit_id", "indicator_id", "source", "item", "value",
                                     "note"], "observations.csv", ("value",)),
        "events": _frame(events, ev_cols, "events.csv", ("value",)),
        "not_applicable": _frame(na, ["unit_id", "indicator_id", "reason"],
                                 "not_applicable.csv"),
    }
    data = Dataset("benchmarks/robustness", True, "合成数据（基准测试）", tables)
    problems = check_against(rubric, data, "synthetic")
    if problems:
        raise SystemExit(f"synthetic data refused: {problems[:5]}")
    return data


def timed(fn, repeat: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, default=200)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    rng = np.random.default_rng(SEED)
    rubric = build_rubric()
    data = build_data(rubric, args.units, rng)
    t0 = time.perf_counter()
    scores: Scores = score(rubric, data)
    t_score = time.perf_counter() - t0
    appl = applicability(rubric, data)
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, {platform.machine()}")
    print(f"{args.units} units, {len(rubric.leaves())} leaves, {args.draws} draws; "
          f"engine.score {t_score:.2f} s (not included below)")
    for level in ("first", "leaf"):
        times, r = timed(lambda lv=level: rank_robustness(
            scores, draws=args.draws, spread=0.1, level=lv, applicable=appl), args.repeat)
        changing = int((r.units["grade_could_change"] | r.units["advanced_could_change"]).sum())
        print(f"level={level}: best {min(times):.3f} s, median {statistics.median(times):.3f} s "
              f"over {args.repeat} runs; {changing} units could change grade or advanced status")
    return 0


if __name__ == "__main__":
    sys.exit(main())
