"""Totals-level rules: rescale (缺项折算), adjustments in the rubric's order, veto, ranking
within groups with ties, grades by threshold or quota, advanced and warning lists, the
over-the-top conversion, and conditions over consecutive years (catalogue 12, 13, 16–18)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import Dataset
from .rubric import AdvancedSpec, GradeSpec, HistoryFlag, Rubric, WarningSpec
from .rules import RuleResult, tiers_by_quota
from .rules.base import EPS, fmt, round_count


def finish_totals(rubric: Rubric, data: Dataset, units: pd.DataFrame, nodes: pd.DataFrame,
                  results: dict[str, RuleResult], flags: pd.DataFrame) -> pd.DataFrame:
    idx = units.index
    tops = [t.id for t in rubric.indicators]
    walked = [n.id for n, _, _ in rubric.walk()]
    if len(set(walked)) == len(walked):  # ids are unique: the first level is depth 1
        top = nodes[nodes["depth"].to_numpy() == 1]  # (no text compared, 1.2 million rows)
    else:
        top = nodes[nodes["node_id"].isin(tops)]
    earned = _top_columns(top, idx, tops, "earned")
    maxed = _top_columns(top, idx, tops, "max")
    t = units[["name", "kind"] + [g for g in rubric.groups if g != "kind"]].copy()
    for top_id in tops:
        t[top_id] = earned[top_id]
    t["base"] = earned.sum(axis=1)
    t["base_max"] = maxed.sum(axis=1)
    explain: dict[str, list[str]] = {u: [] for u in idx}
    _share_notes(rubric, nodes, explain)
    total = t["base"].copy()
    t["rescaled"] = total
    for step in rubric.order:
        if step == "rescale":
            factor = rubric.full_score / t["base_max"].where(t["base_max"] > EPS)
            # the running total: an adjustment ordered before 'rescale' is rescaled with it
            rescaled = (total * factor).fillna(0.0)
            for u in idx[(t["base_max"] - rubric.full_score).abs() > EPS]:
                explain[u].append(
                    f"缺项折算：适用指标满分{fmt(t.at[u, 'base_max'])}分，得{fmt(total[u])}分，"
                    f"按{fmt(rubric.full_score)}分制折算为{fmt(rescaled[u])}分")
            total = rescaled
            t["rescaled"] = total
        else:
            adj = results[step].points.reindex(idx).fillna(0.0)
            t[step] = adj
            total = total + adj
    t["total"] = total

    # vetoes: zero > last grade > no advanced
    veto = flags.groupby("unit_id").agg(
        effects=("effect", lambda s: set(s)), veto_reason=("text", "；".join)
    ) if len(flags) else pd.DataFrame(columns=["effects", "veto_reason"])

    def flagged(test) -> pd.Series:
        """``test`` of each flagged unit's effects (a few units), False for the others."""
        return veto["effects"].map(test).reindex(idx, fill_value=False).astype(bool)

    zero = flagged(lambda s: "zero" in s)
    last = flagged(lambda s: bool(s & {"zero", "last_grade"}))
    bar = flagged(lambda _: True)
    for u in idx[zero]:
        explain[u].append(f"一票否决，考核得分由{fmt(t.at[u, 'total'])}分计为0分")
    t.loc[zero, "total"] = 0.0
    t["vetoed"] = last
    t["veto_reason"] = veto["veto_reason"].reindex(idx).fillna("")
    t["barred"] = bar

    spec = rubric.results
    key = t["total"].round(spec.ranking.decimals)
    groups = _group_key(t, spec.ranking.within)
    order_key = pd.DataFrame({"v": t["vetoed"] if spec.ranking.vetoed_last else False, "k": -key})
    t["rank"] = _rank(order_key, groups, spec.ranking.method)
    codes, sizes = _group_codes(groups)
    t["group_size"] = pd.Series(sizes[codes], index=groups.index)

    if spec.grades:
        t["grade"] = pd.Series(pd.NA, index=idx, dtype=object)
        for g in spec.grades:
            m = _kinds(t, g.kinds)
            t.loc[m, "grade"] = _grades(g, key[m], t[m], explain)
    if spec.advanced:
        t["advanced"] = False
        for a in spec.advanced:
            m = _kinds(t, a.kinds)
            t.loc[m, "advanced"] = _advanced(a, key[m], t[m])
    if spec.warning:
        t["warning"] = False
        for w in spec.warning:
            m = _kinds(t, w.kinds)
            t.loc[m, "warning"] = t.loc[m, "warning"] | _warning(w, key[m], t[m])
    if spec.conversion:
        t["converted"] = 0.0
        t["conversion_name"] = ""
        for c in spec.conversion:  # one spec per unit kind at most (checked by the rubric)
            m = _kinds(t, c.kinds)
            conv = ((t.loc[m, "total"] - c.above).clip(lower=0.0) * c.rate)
            if c.cap is not None:
                conv = conv.clip(upper=c.cap)
            t.loc[m, "converted"] = conv.round(6)
            t.loc[m, "conversion_name"] = c.name
            for u in conv.index[conv > 0]:
                explain[u].append(f"超过{fmt(c.above)}分部分{fmt(t.at[u, 'total'] - c.above)}分，"
                                  f"每分折算{fmt(c.rate)}分，{c.name}{fmt(conv[u])}分"
                                  + (f"（最多{fmt(c.cap)}分）" if c.cap is not None else ""))
    for hf in spec.history_flags:
        t[hf.id] = _history_flag(hf, rubric, data, t, explain)
    if idx.is_unique:  # (a unit's list, in the units' order: no dictionary to look up)
        t["explain"] = pd.Series(["；".join(explain[u]) for u in idx], index=idx)
    else:
        t["explain"] = pd.Series({u: "；".join(v) for u, v in explain.items()}).reindex(idx)
    t.index.name = "unit_id"
    return t.reset_index()


def _top_columns(top: pd.DataFrame, idx: pd.Index, tops: list[str], values: str) -> pd.DataFrame:
    """``top.pivot(index="unit_id", columns="node_id", values=values).reindex(idx)[tops]``:
    a column of ``values`` per top indicator, a row per unit.

    The engine's nodes come unit by unit in ``idx``'s order, each unit's top indicators in
    the rubric's order: then the column is reshaped, not hashed and sorted by pivot (40,000
    units); checking that layout is one comparison of the ids."""
    n, k = len(idx), len(tops)
    if k and len(top) == n * k and idx.is_unique:
        units, nodes = top["unit_id"].to_numpy(), top["node_id"].to_numpy()
        if (nodes == np.tile(np.array(tops, dtype=object), n)).all() \
                and (units == np.repeat(idx.to_numpy(), k)).all():
            wide = top[values].to_numpy().reshape(n, k)
            return pd.DataFrame({t: wide[:, j] for j, t in enumerate(tops)}, index=idx)
    return top.pivot(index="unit_id", columns="node_id", values=values).reindex(idx)[tops]


def _share_notes(rubric: Rubric, nodes: pd.DataFrame, explain: dict[str, list[str]]) -> None:
    """Say where a ``missing: share`` group gave the weight of its missing items to the
    present ones (四川第六条: only one or two of the three poverty tasks)."""
    shared = [n for n, _, _ in rubric.walk()
              if not n.is_leaf and n.missing == "share" and n.aggregate == "sum"]
    if not shared:  # pivoting every unit × node (over a million rows) is not free
        return
    ids = {n.id for n in shared} | {c.id for n in shared for c in n.children}
    nodes = nodes[nodes["node_id"].isin(ids)]
    earned = nodes.pivot(index="unit_id", columns="node_id", values="earned")
    maxed = nodes.pivot(index="unit_id", columns="node_id", values="max")
    for node in shared:
        kids = [c.id for c in node.children]
        m = maxed[kids].sum(axis=1)
        e = earned[kids].sum(axis=1)
        short = (m > EPS) & (m < node.max_points - EPS)
        for u in m.index[short]:
            present = "、".join(c.name for c in node.children if maxed.at[u, c.id] > EPS)
            explain[u].append(
                f"{node.name}：适用的只有{present}，满分{fmt(m[u])}分、得{fmt(e[u])}分，"
                f"缺项权重按比例计入，折算为{fmt(earned.at[u, node.id])}分（满分{fmt(node.max_points)}分）")


def _kinds(t: pd.DataFrame, kinds: list[str]) -> pd.Series:
    return t["kind"].isin(kinds) if kinds else pd.Series(True, index=t.index)


def _group_key(t: pd.DataFrame, within: list[str]) -> pd.Series:
    if not within:
        return pd.Series("全部", index=t.index)
    # a blank group cell (a city has no region) is a group of its own, not an error
    if t.empty:
        return t[within].astype(object).fillna("").astype(str).agg(" / ".join, axis=1)
    # column by column, not row by row: the same " / "-joined text, 40,000 rows in ms
    cols = [t[c].astype(object).fillna("").astype(str) for c in within]
    key = cols[0]
    for col in cols[1:]:
        key = key + " / " + col
    return key


def _group_codes(groups: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(each row's group number, each group's size) of a group key (``_group_key``: text,
    never missing); the sizes as ``groups.value_counts()`` gives them, looked up by number."""
    codes, _ = pd.factorize(groups)
    return codes, np.bincount(codes).astype(np.int64)


def _rank(order_key: pd.DataFrame, groups: pd.Series, method: str) -> pd.Series:
    """Competition ranking (1, 2, 2, 4) or dense ranking within groups; vetoed last."""
    composite = order_key["v"].astype(float) * 1e9 + order_key["k"].astype(float)
    return composite.groupby(groups, sort=False).rank(method=method).astype(int)


def _grades(g: GradeSpec, key: pd.Series, t: pd.DataFrame, explain) -> pd.Series:
    names = [x.name for x in g.tiers]
    last = names[-1]
    pool = ~t["vetoed"]
    grade = pd.Series(last, index=t.index, dtype=object)
    if g.method == "thresholds":
        for tier in reversed(g.tiers[:-1]):
            grade = grade.where(key < (tier.min or 0) - EPS, tier.name)
    else:
        groups = _group_key(t, g.within)
        shares = [float(x.share or 0) for x in g.tiers[:-1]]
        tier = tiers_by_quota(key[pool], shares, g.rounding, g.ties, groups[pool])
        grade[pool] = tier.map(dict(enumerate(names)))
    for u in t.index[t["vetoed"]]:
        grade[u] = last
        explain[u].append(f"一票否决，等次评为“{last}”")
    return grade


def _eligible(t: pd.DataFrame) -> pd.Series:
    return ~t["barred"]


def _advanced(a: AdvancedSpec, key: pd.Series, t: pd.DataFrame) -> pd.Series:
    ok = _eligible(t)
    if a.min_total is not None:
        ok &= key >= a.min_total - EPS
    if a.grade_in:
        return ok & t["grade"].isin(a.grade_in) if "grade" in t else ok & False
    groups = _group_key(t, a.within)
    out = pd.Series(False, index=t.index)
    # the whole group's size sets the quota; the eligible members are ranked (vectorised:
    # a national year has thousands of groups)
    codes, sizes = _group_codes(groups)
    k_of = np.array([a.top_n if a.top_n is not None
                     else round_count((a.top_share or 0) * int(n_group), a.rounding)
                     for n_group in sizes], dtype=np.int64)
    # ties "all": a tie at the line takes the tie's best place (every tied unit is in)
    method = "min" if a.ties == "all" else "max"
    pos = key[ok].groupby(groups[ok], sort=False).rank(method=method, ascending=False)
    out[ok] = (pos <= k_of[codes[ok.to_numpy(dtype=bool)]]).to_numpy()
    return out


def _warning(w: WarningSpec, key: pd.Series, t: pd.DataFrame) -> pd.Series:
    out = pd.Series(False, index=t.index)
    if w.below is not None:
        out |= key < w.below - EPS
    if w.bottom_share is not None:
        groups = _group_key(t, w.within)
        codes, sizes = _group_codes(groups)
        k_of = np.array([round_count(w.bottom_share * int(n), w.rounding) for n in sizes],
                        dtype=np.int64)
        method = "min" if w.ties == "all" else "max"
        pos = key.groupby(groups, sort=False).rank(method=method, ascending=True)
        out |= (pos <= k_of[codes]).to_numpy()
    return out


def _history_flag(hf: HistoryFlag, rubric: Rubric, data: Dataset, t: pd.DataFrame,
                  explain) -> pd.Series:
    """This year and the ``years - 1`` before it all meet the condition."""
    groups = _group_key(t, rubric.results.ranking.within)  # ranks are within these groups
    this = _condition(hf, t["rank"], t["group_size"], t.get("advanced"), groups)
    hist = data.history
    out = this & _kinds(t, hf.kinds)
    for back in range(1, hf.years):
        year = rubric.year - back
        h = hist[hist["year"] == year].set_index("unit_id").reindex(t.index)
        cond = _condition(hf, h["rank"], h["group_size"], h["advanced"].fillna(False).astype(bool),
                          groups)
        out &= cond.fillna(False).astype(bool)
    years = "、".join(str(rubric.year - b) for b in range(hf.years - 1, -1, -1))
    for u in t.index[out]:
        explain[u].append(f"{years}年连续{_condition_zh(hf)}：{hf.name}")
    return out


def _condition(hf: HistoryFlag, rank, size, advanced, groups: pd.Series) -> pd.Series:
    if hf.when == "advanced":
        return advanced.fillna(False).astype(bool) if advanced is not None else rank.isna() & False
    if hf.when == "last_in_group":
        # the last place of the group: units tied for last share it (competition ranks give
        # them n-1, so "rank == group size" would miss them)
        worst = rank.groupby(groups).transform("max")
        return (rank == worst) & rank.notna()
    k = size.map(lambda n: round_count((hf.share or 0) * n, hf.rounding) if pd.notna(n) else 0)
    return (rank > size - k) & rank.notna()


def _condition_zh(hf: HistoryFlag) -> str:
    if hf.when == "advanced":
        return "评为先进"
    if hf.when == "last_in_group":
        return "排名末位"
    return f"排名倒数{fmt((hf.share or 0) * 100)}%以内"


__all__ = ["finish_totals", "np"]
