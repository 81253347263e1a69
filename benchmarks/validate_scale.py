"""Validation at survey scale: 1,000,000 observation rows with 100,000 distinct items.

Not a test: run it by hand (``.venv/bin/python benchmarks/validate_scale.py``); the figures
go into docs/performance.md. A survey scored by ``rater_points`` has one row per respondent
(``item`` = the respondent), so the items of a leaf run into the hundred thousands. The range
check of every row (now ``kaohe.rules.rows._values``, the range part of each rule's
``observation_refusals``) used to filter a leaf's rows once per
distinct item — quadratic: 100,000 rows took 422 s. It now compares every row with its
item's bounds at once. Printed side by side, in the same run: the range checks as they are
and as they were (the old code, copied below, on growing slices of the same rows: it cannot
finish the full size), then ``pipeline.load`` of the whole year from CSV files (read, parse,
validate, cross-check). Progress is printed as each phase starts and ends.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_scale import build_dataset, build_rubric, write_csv_dir  # noqa: E402

from kaohe import pipeline  # noqa: E402
from kaohe.dataset import _rows_by, check_against  # noqa: E402
from kaohe.normalize import CellError, parse_number  # noqa: E402
from kaohe.rules import rows  # noqa: E402


def _out_of_range_before(grp, leaf) -> list[str]:
    """The range check before issue 13: one filter of the rows per distinct item."""
    problems: list[str] = []
    items = grp["item"]
    distinct = pd.unique(items)
    for item in distinct:
        sub = grp if len(distinct) == 1 else grp[
            items.isna() if item is None or item != item else items == item]
        spec = leaf.rule.value_spec(leaf.max_points, item if item == item else None)
        v = sub["value"]
        bad = pd.Series(False, index=v.index)
        if spec.choices:
            bad = ~v.isin(spec.choices)
        else:
            if spec.lo is not None:
                bad |= v < spec.lo
            if spec.hi is not None:
                bad |= v > spec.hi + 1e-9
        for _, row in sub[bad].iterrows():
            try:
                parse_number(float(row["value"]), spec)
            except CellError as exc:
                problems.append(f"指标“{leaf.id}”：{exc}")
    return problems


def _out_of_range_now(grp, leaf) -> list:
    """The range check as it is: every row against its item's bounds at once."""
    return list(rows._values(leaf.id, leaf.rule, grp, leaf.max_points,
                             np.zeros(len(grp), dtype=bool)))


def step(label: str) -> float:
    print(f"[{time.strftime('%H:%M:%S')}] {label} …", flush=True)
    return time.perf_counter()


def range_checks(fn, rubric, obs) -> float:
    leaves = {n.id: n for n in rubric.scored_leaves()}
    t = time.perf_counter()
    for i, grp in _rows_by(obs, *pd.factorize(obs["indicator_id"])):
        fn(grp, leaves[i])
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20231231)
    ap.add_argument("--before", default="2000,5000",
                    help="rows of the slices the old range check is timed on")
    args = ap.parse_args(argv)
    t = step(f"building {args.rows:,} rows, {args.items:,} distinct items")
    rubric, raw = build_rubric(30)
    raters = 5
    units = max(2, args.rows // (len(rubric.leaves()) * raters))
    data = build_dataset(rubric, units, raters, args.seed)
    obs = data.observations
    # every row of a rater leaf gets one of many distinct items, as a survey's respondents
    # would be: the range check keys its bounds by item. (Today rater rows carry no item, so
    # such rows are for the range checks only; check_against and the load read the year as
    # built.)
    surveyed = [n.id for n in rubric.leaves() if n.rule.kind == "rater_points"]
    at = obs["indicator_id"].isin(surveyed).to_numpy()
    rng = np.random.default_rng(args.seed)
    survey = obs.copy()
    item = survey["item"].to_numpy(dtype=object, copy=True)
    item[at] = np.array([f"答卷{i:06d}" for i in range(args.items)], dtype=object)[
        rng.integers(0, args.items, at.sum())]
    survey["item"] = item
    n_items = survey["item"].nunique()
    print(f"  {len(obs):,} observation rows, {n_items:,} distinct items in {len(surveyed)} "
          f"survey leaves; built in {time.perf_counter() - t:.1f} s", flush=True)

    figures = []
    for n in [int(x) for x in args.before.split(",") if x]:
        part = survey.iloc[:n]
        k = part["item"].nunique()
        t = step(f"range checks on {n:,} rows ({k:,} items): before / now")
        before = range_checks(_out_of_range_before, rubric, part)
        now = range_checks(_out_of_range_now, rubric, part)
        figures.append((f"{n:,} rows, {k:,} items", before, now))
    t = step(f"range checks on all {len(obs):,} rows: now")
    figures.append((f"{len(obs):,} rows, {n_items:,} items", None,
                    range_checks(_out_of_range_now, rubric, survey)))
    del survey
    t = step("check_against (every cross-check)")
    problems = check_against(rubric, data, "rubric")
    cross = time.perf_counter() - t
    assert not problems, problems[:3]
    with tempfile.TemporaryDirectory(prefix="kaohe-validate-") as tmp:
        t = step("writing the year as CSV files")
        params, data_dir = write_csv_dir(raw, data, Path(tmp))
        del data
        t = step("pipeline.load: read, parse, validate, cross-check")
        pipeline.load(params, data_dir)
        load = time.perf_counter() - t
    print()
    print("| range checks of | before | now |")
    print("|---|---:|---:|")
    for label, before, now in figures:
        print(f"| {label} | {'—' if before is None else f'{before:.2f} s'} | {now:.2f} s |")
    print(f"\ncheck_against, {len(obs):,} rows: {cross:.2f} s; "
          f"pipeline.load from CSV: {load:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
