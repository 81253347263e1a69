"""The scoring engine: rubric + validated data → explainable scores. No I/O.

1. decide which indicators apply to which units (``applies_to``, ``not_applicable.csv``);
2. run every leaf's rule on its own rows, vectorised over units;
3. aggregate the tree (sum or weighted; shrink or share the weight of missing items);
4. apply the rubric's ``order`` (rescale, then adjustments such as bonus, inspections);
5. vetoes, ranks, grades, advanced and warning lists, conversion, multi-year flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .dataset import Dataset
from .errors import Code, DataError, Problem
from .rubric import Node, Rubric
from .rules import LeafContext, PeriodTotals, RuleResult
from .rules.base import EPS, fmt, group_join
from .rules.points import MissingDataError
from .rules.selfcheck import self_gaps

STR = pd.StringDtype("python", na_value=np.nan)  # pandas' text dtype as kaohe sets it up

DETAIL_COLUMNS = [
    "unit_id", "unit_name", "indicator_id", "indicator_name", "section", "department", "method",
    "rule", "applicable", "max", "points", "lost", "inputs", "reason", "refs",
]


@dataclass(frozen=True)
class Scores:
    """Everything a report needs, and nothing it has to recompute."""

    rubric: Rubric
    totals: pd.DataFrame  # one row per unit
    details: pd.DataFrame  # one row per unit × scored indicator
    lines: pd.DataFrame  # every point gained or lost: unit, indicator, delta, text, ref
    nodes: pd.DataFrame  # unit × every indicator of the tree: earned, max
    flags: pd.DataFrame  # vetoes and bars: unit, indicator, effect, text, ref
    self_check: pd.DataFrame  # self-assessed vs verified points
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)


def applicability(rubric: Rubric, data: Dataset) -> pd.DataFrame:
    """Boolean unit × indicator (every node and adjustment): does it apply?"""
    units = data.units.set_index("unit_id")
    na = data.not_applicable
    out: dict[str, pd.Series] = {}

    def own(node: Node) -> pd.Series:
        mask = pd.Series(True, index=units.index)
        spec = node.applies_to
        if spec is not None:
            if spec.kinds:
                mask &= units["kind"].isin(spec.kinds)
            if spec.units:
                mask &= units.index.isin(spec.units)
            if spec.except_units:
                mask &= ~units.index.isin(spec.except_units)
        off = na.loc[na["indicator_id"] == node.id, "unit_id"]
        return mask & ~units.index.isin(off)

    def rec(node: Node, parent_mask: pd.Series) -> None:
        mask = parent_mask & own(node)
        out[node.id] = mask
        for child in node.children:
            rec(child, mask)

    everyone = pd.Series(True, index=units.index)
    for top in rubric.indicators:
        rec(top, everyone)
    for adj in rubric.adjustments:
        out[adj.id] = own(adj)
    return pd.DataFrame(out)


def _na_reasons(rubric: Rubric, data: Dataset, appl: pd.DataFrame) -> pd.DataFrame:
    """Why each not-applicable unit × leaf does not apply, in words."""
    na = data.not_applicable.set_index(["unit_id", "indicator_id"])["reason"]
    parents = {n.id: p for n, p, _ in rubric.walk()}
    rows = []
    for leaf in rubric.scored_leaves():
        off = appl.index[~appl[leaf.id]]
        for u in off:
            reason = ""
            node: Node | None = leaf
            while node is not None and not reason:
                if (u, node.id) in na.index:
                    reason = f"{na[(u, node.id)]}"
                elif node.applies_to and node.applies_to.reason:
                    reason = node.applies_to.reason
                node = parents.get(node.id)
            rows.append((u, leaf.id, reason or "本单位不适用"))
    return pd.DataFrame(rows, columns=["unit_id", "indicator_id", "reason"])


def score(rubric: Rubric, data: Dataset, rubric_file: str = "rubric",
          periods: Mapping[str, PeriodTotals] | None = None) -> Scores:
    """Score every unit on every indicator; raise KaoheError listing every problem.

    ``periods``: the totals of the period rubrics that leaves read (``period_results``),
    already scored by the pipeline (``kaohe.pipeline.run``), by stem."""
    periods = dict(periods or {})
    units = data.units.set_index("unit_id")
    appl = applicability(rubric, data)
    # row positions per indicator; each leaf's rows are taken when it is scored, not all at
    # once: a national year has millions of observation rows, and a second copy of them all
    # is hundreds of MB
    obs_at = _indicator_rows(data, "observations")
    ev_at = _indicator_rows(data, "events")
    problems = _rows_for_inapplicable(data, appl, {"observations": obs_at, "events": ev_at})
    unscored = _missing_periods(rubric, periods, rubric_file)
    if unscored:  # the leaves that read them cannot run at all
        raise DataError(problems + unscored)

    empty_obs = data.observations.iloc[0:0]
    empty_ev = data.events.iloc[0:0]
    items = data.items.set_index("item_id")
    roles = data.roles
    results: dict[str, RuleResult] = {}
    leaf_units: dict[str, pd.Index] = {}  # each leaf's applicable units, as its rule saw them
    order = rubric.leaves() + [rubric.node(i) for i in rubric.order if i != "rescale"]
    for leaf in order:
        assert leaf.rule is not None
        mask = appl[leaf.id]
        ctx = LeafContext(
            node_id=leaf.id, name=leaf.name, max_points=leaf.max_points,
            # every unit, as is usual: the one frame, whose index (its hash table, its
            # identity in comparisons) serves every such leaf
            units=units if mask.all() else units[mask.to_numpy()],
            obs=_rows_of(data.observations, obs_at, leaf.id, empty_obs),
            events=_rows_of(data.events, ev_at, leaf.id, empty_ev),
            items=items, roles=roles, self_scores=data.self_scores, prior=results,
            periods=periods,
        )
        try:
            res = leaf.rule.score(ctx)
        except MissingDataError as exc:
            for u in exc.units:
                problems.append(Problem(exc.file or f"{data.directory}/observations.csv", "",
                                        "unit_id",
                                        f"单位“{u}”（{units['name'].get(u, '')}）的指标“{leaf.id} "
                                        f"{leaf.name}”{exc}", Code.INPUT_MISSING,
                                        department=leaf.department))
            continue
        results[leaf.id] = res
        leaf_units[leaf.id] = ctx.unit_ids
    if problems:
        raise DataError(problems)

    details, lines, flags = _details(rubric, data, appl, results, leaf_units)
    nodes = _aggregate(rubric, appl, results)
    from .results import finish_totals  # the totals-level rules

    totals = finish_totals(rubric, data, units, nodes, results, flags)
    gaps = self_gaps(data.self_scores, results, 0.0, False)
    extra = {f"{k}.{name}": df for k, r in results.items() for name, df in r.extra.items()}
    return Scores(rubric, totals, details, lines, nodes, flags, gaps, extra)


def _indicator_rows(data: Dataset, table: str) -> dict[str, np.ndarray]:
    """The row positions of each indicator id of a table (``groupby(...).indices``), from
    the reader's codes where it has them (six million rows are not hashed again)."""
    if data.tables[table].empty:
        return {}
    return data.rows_of(table, "indicator_id")


def _rows_of(df: pd.DataFrame, at: dict, key: str, empty: pd.DataFrame) -> pd.DataFrame:
    """The rows of one indicator (positions from ``groupby(...).indices``), in file order."""
    pos = at.get(key)
    if pos is None:
        return empty
    if len(pos) > 1 and pos[-1] - pos[0] == len(pos) - 1 and (np.diff(pos) == 1).all():
        return df.iloc[pos[0]:pos[-1] + 1]  # the rows are together: a view, not a copy
    return df.take(pos)


def _missing_periods(rubric: Rubric, periods: Mapping[str, PeriodTotals],
                     rubric_file: str) -> list[Problem]:
    """A leaf that reads a period rubric's totals needs them scored first (by the pipeline)."""
    problems = []
    for leaf in rubric.scored_leaves():
        if leaf.rule is None:
            continue
        for stem in leaf.rule.period_stems():
            if stem not in periods:
                problems.append(Problem(rubric_file, f"{leaf.id}.rule.periods", "",
                                        f"指标“{leaf.id} {leaf.name}”需要分期评分细则“{stem}”的结果："
                                        "请用 kaohe score / kaohe.pipeline.run 计分，"
                                        "以便先计分各分期", Code.PERIOD_MISSING))
    return problems


def _rows_for_inapplicable(data: Dataset, appl: pd.DataFrame,
                           at: Mapping[str, Mapping[str, np.ndarray]]) -> list[Problem]:
    """Data for an indicator that does not apply to the unit is refused, not dropped.

    ``at``: per table, the row positions of each indicator. Only the rows of indicators
    that some unit is exempt from are looked at (a national year has millions of rows and
    few exemptions); a unit not in units.csv is left to the cross-checks."""
    problems = []
    for table in ("observations", "events"):
        df = data.tables[table]
        if df.empty:
            continue
        unit_ids = df["unit_id"].to_numpy()
        bad = [pos[pd.Index(unit_ids[pos]).isin(appl.index[~appl[ind].to_numpy(dtype=bool)])]
               for ind, pos in at[table].items()
               if ind in appl.columns and not appl[ind].all()]
        rows = np.sort(np.concatenate(bad)) if bad else np.array([], dtype=np.intp)
        if not len(rows):  # as usual: no take (of a text column in chunks, it joins them)
            continue
        for _, row in df.take(rows).iterrows():
            read, line = row["ref"].rsplit(":", 1)  # observations.csv, or its Parquet file
            problems.append(Problem(f"{data.directory}/{read}", line,
                                    "indicator_id",
                                    f"指标“{row['indicator_id']}”对单位“{row['unit_id']}”不适用，"
                                    "但有数据：请删除该行或修改适用范围", Code.ROW_NOT_READ))
    return problems


def _details(rubric, data, appl, results, leaf_units):
    units = data.units.set_index("unit_id")
    sections = {}
    for top in rubric.indicators:
        for n, _, _ in _walk_one(top):
            sections[n.id] = top.name
    for adj in rubric.adjustments:
        sections[adj.id] = "加减分"
    leaf_order = {n.id: i for i, n in enumerate(rubric.scored_leaves())}
    unit_order = {u: i for i, u in enumerate(units.index)}
    # the sort keys of each leaf's rows, made leaf by leaf: its units are usually the
    # applicable ones in units.csv order (their positions), its indicator one code; a
    # national year has over a million detail rows, not hashed again
    unique = units.index.is_unique and appl.index.equals(units.index)
    frames, line_frames, flag_frames, u_codes, i_codes = [], [], [], [], []
    for leaf_id, res in results.items():
        leaf = rubric.node(leaf_id)
        lines = res.lines.assign(indicator_id=leaf_id)
        line_frames.append(lines)
        if len(res.flags):
            flag_frames.append(res.flags.assign(indicator_id=leaf_id))
        ids = res.points.index
        at = _positions(ids, units.index, appl[leaf_id].to_numpy(dtype=bool),
                        leaf_units.get(leaf_id)) if unique else None
        reason, refs = _join_lines(lines, ids, at is not None)
        mx = leaf.max_points
        inputs = res.inputs if res.inputs.index is ids else res.inputs.reindex(ids)
        frames.append(pd.DataFrame({
            "unit_id": ids,
            "indicator_id": leaf_id,
            "applicable": True,
            "max": mx,
            "points": res.points.to_numpy(dtype=float),
            "inputs": _texts(inputs),
            "reason": reason,
            "refs": refs,
        }))
        u_codes.append(at if at is not None else _codes(pd.Series(ids, dtype=object), unit_order))
        i_codes.append(np.full(len(ids), leaf_order.get(leaf_id, len(leaf_order)), dtype=np.int64))
    na = _na_reasons(rubric, data, appl)
    if len(na):
        # only a rubric that rescales (缺项折算) may say so; an indicator of another unit kind
        # (安福: 县直单位 vs 乡镇 rubrics) is simply not part of the unit's rubric
        rescaled = "，按缺项折算" if "rescale" in rubric.order else ""
        frames.append(pd.DataFrame({
            "unit_id": na["unit_id"], "indicator_id": na["indicator_id"], "applicable": False,
            "max": 0.0, "points": np.nan, "inputs": "",
            "reason": "本项不适用（" + na["reason"] + "），不计分" + rescaled, "refs": "",
        }))
        u_codes.append(_codes(na["unit_id"], unit_order))
        i_codes.append(_codes(na["indicator_id"], leaf_order))
    details = pd.concat(frames, ignore_index=True)
    # by unit, then indicator (stable)
    u_code = np.concatenate(u_codes).astype(np.int64, copy=False)
    i_code = np.concatenate(i_codes).astype(np.int64, copy=False)
    order = np.lexsort((i_code, u_code))
    details, u_code, i_code = details.take(order), u_code[order], i_code[order]
    meta = {n.id: n for n in rubric.scored_leaves()}
    leaf_ids = [n.id for n in rubric.scored_leaves()]  # position = code, as in leaf_order

    def by_leaf(mapper) -> pd.Series:
        return _map_codes(details["indicator_id"], i_code, leaf_ids, mapper)

    details["unit_name"] = _map_codes(details["unit_id"], u_code, units.index, units["name"])
    details["indicator_name"] = by_leaf({k: v.name for k, v in meta.items()})
    details["section"] = by_leaf(sections)
    details["department"] = by_leaf({k: v.department for k, v in meta.items()})
    details["method"] = by_leaf({k: v.method for k, v in meta.items()})
    details["rule"] = by_leaf({k: v.rule.title for k, v in meta.items() if v.rule})
    start_max = {k: r.start == "max" for k, r in results.items()}
    lost = (details["max"] - details["points"]).where(by_leaf(start_max)
                                                      .fillna(False).astype(bool), 0.0)
    details["lost"] = lost.clip(lower=0.0).where(details["applicable"], 0.0)
    details = details[DETAIL_COLUMNS].reset_index(drop=True)
    lines = pd.concat(line_frames, ignore_index=True) if line_frames else pd.DataFrame(
        columns=["unit_id", "delta", "text", "ref", "indicator_id"])
    lines = lines[["unit_id", "indicator_id", "delta", "text", "ref"]]
    lines["ref"] = lines["ref"].fillna("")
    flags = pd.concat(flag_frames, ignore_index=True) if flag_frames else pd.DataFrame(
        columns=["unit_id", "effect", "text", "ref", "indicator_id"])
    return details, lines, flags


def _codes(col: pd.Series, order: dict) -> np.ndarray:
    """``col.map(order)`` as integers, a key not in ``order`` (or missing) coded past the
    end, so that it sorts last as NaN does; each distinct key is looked up once."""
    codes, keys = pd.factorize(col, sort=False)
    missing = len(order)
    known = np.array([order.get(k, missing) for k in keys] + [missing], dtype=np.int64)
    return known[codes]  # code -1 (a missing key) takes the last entry


def _map_codes(col: pd.Series, codes: np.ndarray, keys, mapper) -> pd.Series:
    """``col.map(mapper)`` where row i of ``col`` is ``keys[codes[i]]``: each distinct key is
    mapped once (as a Series of ``col``'s dtype, so the result's dtype is the same)."""
    if len(codes) and codes.max() >= len(keys):  # a key outside ``keys``: row by row
        return col.map(mapper)
    small = pd.Series(np.asarray(keys, dtype=object), dtype=col.dtype).map(mapper)
    return small.take(codes).set_axis(col.index).rename(col.name)


def _walk_one(top: Node):
    def rec(node, parent, depth):
        yield node, parent, depth
        for c in node.children:
            yield from rec(c, node, depth + 1)
    yield from rec(top, None, 1)


def _positions(ids: pd.Index, units: pd.Index, mask: np.ndarray,
               given: pd.Index | None = None) -> np.ndarray | None:
    """The positions in ``units`` (unique) of a leaf's units when they are the applicable
    units in ``units``' order (what the rules return: ``ctx.unit_ids``, ``given``), else
    None. Results indexed by ``given`` itself are not compared id by id."""
    pos = np.flatnonzero(mask)
    if ids is given or (len(pos) == len(ids) and ids.equals(units[pos])):
        return pos
    return None


def _texts(s: pd.Series):
    """The values of a text column for a new frame: pandas' text array as it is (building
    the frame from its objects would check every one again), anything else as objects."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype == STR:
        return s.array
    return s.to_numpy()


def _join_lines(lines: pd.DataFrame, units: pd.Index, unique: bool = False) -> tuple:
    """One reason text and one refs text per unit; fast when each unit has one line.
    ``unique``: ``units`` is known to have no duplicates."""
    if lines.empty:
        return np.full(len(units), "", dtype=object), np.full(len(units), "", dtype=object)
    if (unique or units.is_unique) and pd.Index(lines["unit_id"]).equals(units):  # a line per unit, in order
        return _texts(lines["text"].fillna("")), _texts(lines["ref"].fillna(""))
    if lines["unit_id"].is_unique:
        s = lines.set_index("unit_id")
        return (s["text"].reindex(units).fillna("").to_numpy(),
                s["ref"].fillna("").reindex(units).fillna("").to_numpy())
    if unique:  # several lines of a unit (deductions): joined unit by unit in one pass
        return _joined_by_unit(lines, units)
    text = group_join(lines["unit_id"], lines["text"], "；".join)
    refs = group_join(lines["unit_id"], lines["ref"], _distinct_refs)
    return text.reindex(units).fillna("").to_numpy(), refs.reindex(units).fillna("").to_numpy()


def _joined_by_unit(lines: pd.DataFrame, units: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """``group_join`` of the texts and the refs of the lines by unit, reindexed to ``units``
    (unique): the lines in row order within a unit, a line of no unit in ``units`` left out,
    "" for a unit without lines. Grouped by the units' positions, without a groupby."""
    at = units.get_indexer(lines["unit_id"])
    order = np.argsort(at, kind="stable")
    order = order[at[order] >= 0]
    unit_at = at[order]
    texts = lines["text"].to_numpy(dtype=object)[order].tolist()
    refs = lines["ref"].to_numpy(dtype=object)[order].tolist()
    text_out = np.full(len(units), "", dtype=object)
    refs_out = np.full(len(units), "", dtype=object)
    if not len(order):
        return text_out, refs_out
    starts = np.flatnonzero(np.r_[True, unit_at[1:] != unit_at[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for a, b, u in zip(starts.tolist(), ends.tolist(), unit_at[starts].tolist(), strict=True):
        text_out[u] = "；".join(texts[a:b])
        refs_out[u] = _distinct_refs(refs[a:b])
    return text_out, refs_out


def _distinct_refs(refs: list) -> str:
    """The non-blank refs of a unit's lines, each once, joined (most units have one line)."""
    if len(refs) == 1 and (not refs[0] or isinstance(refs[0], str)):
        return refs[0] if refs[0] else ""
    return "；".join(dict.fromkeys(x for x in refs if x))


def _aggregate(rubric: Rubric, appl: pd.DataFrame, results: dict[str, RuleResult]) -> pd.DataFrame:
    """Earned and maximum points of every node of the tree, per unit (long: unit × node).

    Worked on arrays aligned to ``appl``'s units, in the order and with the operations the
    sums always had (the same floats): Series arithmetic would check, at every step, that
    two indexes of 40,000 unit ids are equal, comparing them id by id."""
    earned: dict[str, np.ndarray] = {}
    maxed: dict[str, np.ndarray] = {}
    idx = appl.index
    applies = {c: appl[c].to_numpy(dtype=bool) for c in appl.columns}

    def masked(x: Any) -> np.ndarray:
        """``x.where(x > EPS)``: NaN where a maximum (or a weight) is zero."""
        return np.where(x > EPS, x, np.nan)

    def rec(node: Node) -> None:
        a = applies[node.id]
        if node.is_leaf:
            pts = results[node.id].points.reindex(idx).to_numpy(dtype=float)
            earned[node.id] = np.where(a & ~np.isnan(pts), pts, 0.0)  # where(a, 0).fillna(0)
            maxed[node.id] = np.where(a, node.max_points, 0.0)
            return
        for c in node.children:
            rec(c)
        if node.aggregate == "sum":
            e = sum(earned[c.id] for c in node.children)
            m = sum(maxed[c.id] for c in node.children)
            if node.missing == "share":
                e = _nan_to_zero(e / masked(m) * node.max_points)
                m = np.where(m > EPS, node.max_points, 0.0)
        else:
            wsum = sum(applies[c.id].astype(float) * (c.weight or 0) for c in node.children)
            ratio = sum(
                applies[c.id].astype(float) * (c.weight or 0)
                * _nan_to_zero(earned[c.id] / masked(maxed[c.id]))
                for c in node.children
            )
            e = _nan_to_zero(ratio / masked(wsum) * node.max_points)
            m = np.where(wsum > EPS, node.max_points, 0.0)
        earned[node.id] = np.where(a, e, 0.0)
        maxed[node.id] = np.where(a, m, 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):  # as pandas' arithmetic is
        for top in rubric.indicators:
            rec(top)
    ids = list(earned)
    long = pd.DataFrame({
        "unit_id": np.repeat(idx.to_numpy(), len(ids)),
        "node_id": np.tile(np.array(ids, dtype=object), len(idx)),
        "earned": np.column_stack([earned[i] for i in ids]).ravel() if ids else np.array([]),
        "max": np.column_stack([maxed[i] for i in ids]).ravel() if ids else np.array([]),
    })
    depth = {n.id: d for n, _, d in rubric.walk()}
    if all(i in depth for i in ids):  # the ids repeat per unit: tile their depths
        long["depth"] = np.tile(np.array([depth[i] for i in ids], dtype=np.int64), len(idx))
    else:
        long["depth"] = long["node_id"].map(depth)
    return long


def _nan_to_zero(x: np.ndarray) -> np.ndarray:
    """``fillna(0.0)`` of a float array."""
    return np.where(np.isnan(x), 0.0, x)


__all__ = ["Scores", "score", "applicability", "fmt"]
