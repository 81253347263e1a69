"""How firm each rank is: a Monte Carlo analysis of the choices a rubric could have made.

Weights of an assessment are a policy choice, and where the document leaves a number open
(rounding a quota, ties across a cut) the project had to choose. This module redraws those
choices many times and asks, per unit: between which ranks does it move, how likely is each
grade, could it gain or lose the advanced list?

It starts from computed ``Scores``: the points each unit earned on each indicator are facts
and stay fixed. A draw

1. multiplies each first-level indicator's share (``level="first"``) or each leaf's share
   (``level="leaf"``) by a factor uniform in [1 - spread, 1 + spread], renormalised per unit
   kind so that the full score is unchanged, and re-aggregates (the unit keeps the fraction
   of each item it earned, the item counts more or less);
2. re-totals in the rubric's ``order`` (rescaling for missing items, adjustments added as
   computed, zero-vetoes kept at zero);
3. re-ranks within the ranking groups, re-grades and redraws the advanced list with a drawn
   quota rounding (half_up/floor/ceil) and tie rule (higher/lower).

Everything is vectorised over draws × units with numpy (loops run over indicators, groups
and result specs only), and seeded, so the same call gives the same numbers.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .engine import Scores
from .results import _group_key, _kinds
from .rubric import Node, Rubric
from .rules.base import EPS, fmt, round_count

DEFAULT_SEED = 20240101
ROUNDINGS = ("half_up", "floor", "ceil")
TIES = ("higher", "lower")
ROUNDING_ZH = {"half_up": "四舍五入", "floor": "向下取整", "ceil": "向上取整"}
TIES_ZH = {"higher": "并列跨线同评较高等次", "lower": "并列跨线同评较低等次"}
CHECK_TOLERANCE = 1e-6  # recomputed vs engine totals (points)


@dataclass(frozen=True)
class Robustness:
    """The analysis of one scheme-year: per-unit summary and the raw draws."""

    units: pd.DataFrame  # one row per unit: ranks, grade probabilities, advanced probability
    tiers: list[str]  # grade names, in order; ``grades`` holds indices into this list
    draws: int
    spread: float
    seed: int
    level: str
    roundings: tuple[str, ...] | None  # None: each spec's own rounding in every draw
    ties: tuple[str, ...] | None
    totals: np.ndarray  # draws × units, the drawn totals (before rounding for ranks)
    ranks: np.ndarray  # draws × units, rank within the ranking group
    grades: np.ndarray  # draws × units, tier index, -1 for units without a grade
    advanced: np.ndarray | None  # draws × units, or None when the rubric has no advanced list
    choices: pd.DataFrame  # per draw: rounding, ties
    factors: np.ndarray  # draws × perturbed indicators (before renormalisation)
    factor_ids: list[str]


# -- vectorised ranking -------------------------------------------------------------------


def rank_rows(values: np.ndarray, method: str) -> np.ndarray:
    """Ascending rank of each entry within its row (1 = smallest), ties by ``method``:
    'min' (1, 2, 2, 4), 'max' (1, 3, 3, 4) or 'dense' (1, 2, 2, 3) — pandas' methods,
    for all rows at once."""
    d, n = values.shape
    if n == 0:
        return np.zeros((d, 0), dtype=np.int64)
    order = np.argsort(values, axis=1, kind="stable")
    s = np.take_along_axis(values, order, axis=1)
    pos = np.broadcast_to(np.arange(n), (d, n))
    starts = np.ones((d, n), dtype=bool)
    starts[:, 1:] = s[:, 1:] != s[:, :-1]
    if method == "min":
        r = np.maximum.accumulate(np.where(starts, pos, 0), axis=1) + 1
    elif method == "max":
        ends = np.ones((d, n), dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        r = np.minimum.accumulate(np.where(ends, pos, n - 1)[:, ::-1], axis=1)[:, ::-1] + 1
    elif method == "dense":
        r = np.cumsum(starts, axis=1)
    else:
        raise ValueError(method)
    out = np.empty((d, n), dtype=np.int64)
    np.put_along_axis(out, order, r, axis=1)
    return out


# -- re-totalling -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    """What stays fixed across draws, as arrays over units (in ``totals`` order)."""

    rubric: Rubric
    unit_ids: list[str]
    earned: dict[str, np.ndarray]  # node id → earned points per unit
    applicable: dict[str, np.ndarray]  # node id → bool per unit
    kind_idx: np.ndarray  # per unit, index into rubric.unit_kinds
    adjustments: dict[str, np.ndarray]  # adjustment id → points per unit


def _inputs(scores: Scores, applicable: pd.DataFrame | None) -> _Inputs:
    rubric = scores.rubric
    t = scores.totals
    ids = list(t["unit_id"])
    wide = scores.nodes.pivot(index="unit_id", columns="node_id", values="earned").reindex(ids)
    earned = {c: wide[c].to_numpy(dtype=float) for c in wide.columns}
    if applicable is not None:
        appl = {c: applicable[c].reindex(ids).to_numpy(dtype=bool) for c in applicable.columns}
    else:
        appl = _applicable_from_details(rubric, scores.details, ids)
    kinds = {k: i for i, k in enumerate(rubric.kind_ids())}
    adj = {s: t[s].fillna(0.0).to_numpy(dtype=float) for s in rubric.order if s != "rescale"}
    return _Inputs(rubric, ids, earned, appl, t["kind"].map(kinds).to_numpy(dtype=int), adj)


def _applicable_from_details(rubric: Rubric, details: pd.DataFrame,
                             ids: list[str]) -> dict[str, np.ndarray]:
    """Leaves from ``details``; a group applies where any of its children does (the engine's
    mask except for a group declared applicable whose every leaf is not)."""
    leaf = details.pivot(index="unit_id", columns="indicator_id", values="applicable")
    leaf = leaf.reindex(ids).fillna(False).astype(bool)
    out: dict[str, np.ndarray] = {}

    def rec(node: Node) -> np.ndarray:
        if node.is_leaf:
            out[node.id] = leaf[node.id].to_numpy() if node.id in leaf else np.zeros(len(ids), bool)
        else:
            out[node.id] = np.logical_or.reduce([rec(c) for c in node.children])
        return out[node.id]

    for top in rubric.indicators:
        rec(top)
    return out


def _perturbed_tops(inp: _Inputs, f: np.ndarray):
    """Leaf level: per first-level indicator, earned and max (draws × units) and the
    multiplier of its points (draws), before renormalisation; ``f`` has one factor per leaf.
    Mirrors the engine's aggregation (sum or weighted, shrink or share) with each leaf's
    points (or weight) multiplied by its factor; a factor of 1 gives the engine's values."""
    rubric = inp.rubric
    col = {leaf.id: j for j, leaf in enumerate(rubric.leaves())}

    def rec(node: Node):
        a = inp.applicable[node.id]
        p = node.max_points
        if node.is_leaf:
            m = f[:, col[node.id]]
            e = inp.earned[node.id][None, :] * m[:, None]
            mx = np.where(a, p, 0.0)[None, :] * m[:, None]
            return e, mx, m
        kids = [(c, *rec(c)) for c in node.children]  # (child, earned, max, multiplier)
        if node.aggregate == "sum":
            e = sum(ke for _, ke, _, _ in kids)
            mx = sum(kx for _, _, kx, _ in kids)
            m = (sum(c.max_points * km for c, _, _, km in kids) / p if p > EPS
                 else np.ones(len(f)))
            if node.missing == "share":
                ok = mx > EPS
                e = np.where(ok, e / np.where(ok, mx, 1.0) * (p * m)[:, None], 0.0)
                mx = np.where(ok, (p * m)[:, None], 0.0)
        else:
            m = sum((c.weight or 0.0) * km for c, _, _, km in kids)
            w = [inp.applicable[c.id][None, :] * ((c.weight or 0.0) * km)[:, None]
                 for c, _, _, km in kids]
            wsum = sum(w)
            ratio = sum(wc * np.where(kx > EPS, ke / np.where(kx > EPS, kx, 1.0), 0.0)
                        for wc, (_, ke, kx, _) in zip(w, kids, strict=True))
            ok = wsum > EPS
            e = np.where(ok, ratio / np.where(ok, wsum, 1.0) * (p * m)[:, None], 0.0)
            mx = np.where(ok, (p * m)[:, None], 0.0)
        return np.where(a, e, 0.0), np.where(a, mx, 0.0), m

    return [rec(top) for top in rubric.indicators]


def _totals(inp: _Inputs, level: str, f: np.ndarray, top_max: dict[str, np.ndarray]) -> np.ndarray:
    """Draws × units totals before vetoes, in the rubric's order of operations."""
    rubric = inp.rubric
    if level == "first":
        tops = [(inp.earned[t.id][None, :] * f[:, j, None], top_max[t.id][None, :] * f[:, j, None],
                 f[:, j]) for j, t in enumerate(rubric.indicators)]
    else:
        tops = _perturbed_tops(inp, f)
    # renormalise per unit kind: that kind's first-level points still add up to the full score
    scale = np.ones((len(f), len(rubric.unit_kinds)))
    for k, kind in enumerate(rubric.unit_kinds):
        mine = [j for j, t in enumerate(rubric.indicators) if _admits_kind(t, kind.id)]
        nominal = sum(rubric.indicators[j].max_points for j in mine)
        drawn = sum(rubric.indicators[j].max_points * tops[j][2] for j in mine)
        if mine and nominal > EPS:
            scale[:, k] = nominal / drawn
    per_unit = scale[:, inp.kind_idx]
    base = sum(e for e, _, _ in tops) * per_unit
    base_max = sum(mx for _, mx, _ in tops) * per_unit
    total = base
    for step in rubric.order:
        if step == "rescale":
            ok = base_max > EPS
            # the running total: an adjustment ordered before 'rescale' is rescaled with it
            total = np.where(ok, total * rubric.full_score / np.where(ok, base_max, 1.0), 0.0)
        else:
            total = total + inp.adjustments[step][None, :]
    return total


def _admits_kind(node: Node, kind: str) -> bool:
    return node.applies_to is None or not node.applies_to.kinds or kind in node.applies_to.kinds


# -- the analysis -------------------------------------------------------------------------


def rank_robustness(
    scores: Scores,
    *,
    draws: int = 1000,
    spread: float = 0.1,
    seed: int = DEFAULT_SEED,
    level: str = "first",
    roundings: Sequence[str] | None = ROUNDINGS,
    ties: Sequence[str] | None = TIES,
    applicable: pd.DataFrame | None = None,
) -> Robustness:
    """Perturb weights and open choices ``draws`` times; summarise ranks, grades, advanced.

    ``roundings``/``ties``: the options drawn (uniformly, independently per draw) for every
    quota — grades by quota and advanced lists by share; None keeps each spec's own choice.
    ``applicable``: the engine's unit × node applicability (``engine.applicability``); when
    omitted it is derived from ``scores.details``.
    """
    if draws < 1:
        raise ValueError("抽样次数须至少为 1")
    if not 0 <= spread < 1:
        raise ValueError("权重扰动幅度须在 0 与 1 之间（不含 1）")
    if level not in ("first", "leaf"):
        raise ValueError("扰动层级须为 first（一级指标）或 leaf（末级指标）")
    for opt, allowed in ((roundings, ROUNDINGS), (ties, TIES)):
        if opt is not None and (not opt or any(o not in allowed for o in opt)):
            raise ValueError(f"可选项须为 {'、'.join(allowed)} 中的一个或多个")
    rubric = scores.rubric
    t = scores.totals
    inp = _inputs(scores, applicable)
    factor_ids = [n.id for n in (rubric.indicators if level == "first" else rubric.leaves())]
    rng = np.random.default_rng(seed)
    f = rng.uniform(1 - spread, 1 + spread, size=(draws, len(factor_ids)))
    r_idx = rng.integers(0, len(roundings), size=draws) if roundings else np.zeros(draws, int)
    t_idx = rng.integers(0, len(ties), size=draws) if ties else np.zeros(draws, int)

    top_max = _top_max(scores, inp)
    drawn = _totals(inp, level, f, top_max)
    reference = _totals(inp, level, np.ones((1, len(factor_ids))), top_max)[0]
    zero = _zero_vetoed(scores)
    engine_total = t["total"].to_numpy(dtype=float)
    gap = np.abs(reference - engine_total)[~zero]
    if gap.size and gap.max() > CHECK_TOLERANCE:
        worst = t["unit_id"].to_numpy()[~zero][int(gap.argmax())]
        raise ValueError(f"无法由指标得分重现单位“{worst}”的总分（相差{gap.max():g}分），"
                         "稳健性分析中止")
    # anchor on the engine's totals, so a zero spread reproduces them to the last bit
    total = np.where(zero[None, :], 0.0, drawn - reference[None, :] + engine_total[None, :])

    spec = rubric.results
    key = np.round(total, spec.ranking.decimals)
    vetoed = t["vetoed"].to_numpy(dtype=bool)
    barred = t["barred"].to_numpy(dtype=bool)
    ranks = np.zeros(key.shape, dtype=np.int64)
    groups = _group_key(t, spec.ranking.within).to_numpy()
    for g in pd.unique(groups):
        idx = np.flatnonzero(groups == g)
        v = vetoed[idx].astype(float) if spec.ranking.vetoed_last else np.zeros(len(idx))
        ranks[:, idx] = rank_rows(v[None, :] * 1e9 + (-key[:, idx]), spec.ranking.method)

    tiers = list(dict.fromkeys(x.name for g in spec.grades for x in g.tiers))
    grades = np.full(key.shape, -1, dtype=np.int64)
    for g in spec.grades:
        m = _kinds(t, g.kinds).to_numpy(dtype=bool)
        grades[:, m] = _grade_draws(g, key[:, m], t[m], vetoed[m], tiers, r_idx, t_idx,
                                    roundings, ties)
    advanced = None
    if spec.advanced:
        advanced = np.zeros(key.shape, dtype=bool)
        for a in spec.advanced:
            m = _kinds(t, a.kinds).to_numpy(dtype=bool)
            advanced[:, m] = _advanced_draws(a, key[:, m], t[m], barred[m], grades[:, m], tiers,
                                             r_idx, roundings)

    choices = pd.DataFrame({  # "rubric": each spec's own choice
        "rounding": [roundings[int(i)] for i in r_idx] if roundings else ["rubric"] * draws,
        "ties": [ties[int(i)] for i in t_idx] if ties else ["rubric"] * draws,
    })
    units = _summary(t, ranks, grades, tiers, advanced)
    return Robustness(units, tiers, draws, spread, seed, level,
                      tuple(roundings) if roundings else None, tuple(ties) if ties else None,
                      total, ranks, grades, advanced, choices, f, factor_ids)


def _top_max(scores: Scores, inp: _Inputs) -> dict[str, np.ndarray]:
    wide = scores.nodes.pivot(index="unit_id", columns="node_id", values="max").reindex(inp.unit_ids)
    return {top.id: wide[top.id].to_numpy(dtype=float) for top in scores.rubric.indicators}


def _zero_vetoed(scores: Scores) -> np.ndarray:
    f = scores.flags
    zero = set(f.loc[f["effect"] == "zero", "unit_id"]) if len(f) else set()
    return scores.totals["unit_id"].isin(zero).to_numpy()


def _grade_draws(g, key, t, vetoed, tiers, r_idx, t_idx, roundings, ties) -> np.ndarray:
    """Tier index (into ``tiers``) per draw × unit of the units graded by spec ``g``."""
    codes = np.array([tiers.index(x.name) for x in g.tiers])
    last = len(g.tiers) - 1
    out = np.full(key.shape, last, dtype=np.int64)
    if g.method == "thresholds":
        # minimums run from high to low: the tier is the number of minimums not reached
        for tier in g.tiers[:-1]:
            out -= (key >= (tier.min or 0) - EPS).astype(np.int64)
    else:
        pool = ~vetoed
        groups = _group_key(t, g.within).to_numpy()
        cum = np.cumsum([float(x.share or 0) for x in g.tiers[:-1]])
        options = list(roundings) if roundings else [g.rounding]
        higher = (np.array([x == "higher" for x in ties])[t_idx] if ties
                  else np.full(len(key), g.ties == "higher"))
        for label in pd.unique(groups[pool]):
            idx = np.flatnonzero(pool & (groups == label))
            n = len(idx)
            cuts = np.array([[round_count(c * n, r) for c in cum] for r in options])[
                r_idx if roundings else np.zeros(len(key), int)]
            neg = -key[:, idx]
            pos = np.where(higher[:, None], rank_rows(neg, "min"), rank_rows(neg, "max"))
            out[:, idx] = (pos[:, :, None] > cuts[:, None, :]).sum(axis=2)
    out[:, vetoed] = last
    return codes[out]


def _advanced_draws(a, key, t, barred, grades, tiers, r_idx, roundings) -> np.ndarray:
    """Advanced or not per draw × unit of the units covered by spec ``a``: the top N or top
    share of each group, or the units drawn into the grades ``grade_in``."""
    ok = np.broadcast_to(~barred, key.shape)
    if a.min_total is not None:
        ok = ok & (key >= a.min_total - EPS)
    if a.grade_in:
        codes = [tiers.index(g) for g in a.grade_in if g in tiers]
        return ok & np.isin(grades, codes)
    groups = _group_key(t, a.within).to_numpy()
    out = np.zeros(key.shape, dtype=bool)
    options = list(roundings) if roundings else [a.rounding]
    for label in pd.unique(groups):
        idx = np.flatnonzero(groups == label)
        if a.top_n is not None:
            k = np.full(len(key), a.top_n)
        else:
            counts = np.array([round_count((a.top_share or 0) * len(idx), r) for r in options])
            k = counts[r_idx if roundings else np.zeros(len(key), int)]
        sub_ok = ok[:, idx]
        pos = rank_rows(np.where(sub_ok, -key[:, idx], np.inf), "min")
        out[:, idx] = sub_ok & (pos <= k[:, None])
    return out


def _summary(t: pd.DataFrame, ranks: np.ndarray, grades: np.ndarray, tiers: list[str],
             advanced: np.ndarray | None) -> pd.DataFrame:
    out = t[["unit_id", "name", "kind", "total", "rank", "group_size"]].copy()
    out["rank_min"] = ranks.min(axis=0)
    out["rank_p5"] = np.quantile(ranks, 0.05, axis=0, method="inverted_cdf").astype(int)
    out["rank_p95"] = np.quantile(ranks, 0.95, axis=0, method="inverted_cdf").astype(int)
    out["rank_max"] = ranks.max(axis=0)
    if tiers:
        graded = (grades >= 0).all(axis=0)
        out["grade"] = t["grade"].to_numpy()
        for j, name in enumerate(tiers):
            out[f"p_{name}"] = np.where(graded, (grades == j).mean(axis=0), np.nan)
        own = np.array([tiers.index(g) if isinstance(g, str) and g in tiers else -1
                        for g in t["grade"]])
        p_own = (grades == own[None, :]).mean(axis=0)
        out["p_grade"] = np.where(graded, p_own, np.nan)
        out["grade_could_change"] = graded & (p_own < 1.0)
    if advanced is not None:
        adv = t["advanced"].to_numpy(dtype=bool)
        p = advanced.mean(axis=0)
        out["advanced"] = adv
        out["p_advanced"] = p
        out["advanced_could_change"] = np.where(adv, p < 1.0, p > 0.0)
    return out.reset_index(drop=True)


# -- in words -----------------------------------------------------------------------------


def _pct(p: float) -> str:
    return f"{fmt(p * 100)}%"


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table aligned for Chinese (wide characters count two columns)."""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        lines.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True))
                     .rstrip())
    return "\n".join(lines)


def describe(r: Robustness) -> str:
    """One paragraph: what was perturbed, how, how often."""
    what = "各一级指标" if r.level == "first" else "各末级指标"
    rnd = ("、".join(ROUNDING_ZH[x] for x in r.roundings) if r.roundings else "按评分细则")
    tie = ("、".join(TIES_ZH[x] for x in r.ties) if r.ties else "按评分细则")
    return (f"{what}的权重各自在±{fmt(r.spread * 100)}%内均匀抽取并归一（满分不变），"
            f"各单位的指标得分率不变；按比例定等次和先进名额的人数取整在（{rnd}）中抽取，"
            f"按比例定等次时分数并列跨线在（{tie}）中抽取；共抽样{r.draws}次，随机种子{r.seed}。")


def format_report(r: Robustness, title: str = "") -> str:
    """The terminal text of ``kaohe robustness``: the units whose grade or advanced status
    could change (all units' rank ranges when the rubric has neither)."""
    u = r.units
    lines = [f"名次稳健性分析：{title}" if title else "名次稳健性分析", describe(r)]
    has_grade = "grade_could_change" in u
    has_adv = "advanced_could_change" in u
    if not has_grade and not has_adv:
        sel = u[u["rank_min"] != u["rank_max"]]
        lines.append(f"评分细则未规定等次和先进名单；{len(u)}个单位中{len(sel)}个的名次可能变化：")
    else:
        change = np.zeros(len(u), dtype=bool)
        if has_grade:
            change |= u["grade_could_change"].to_numpy(dtype=bool)
        if has_adv:
            change |= u["advanced_could_change"].to_numpy(dtype=bool)
        sel = u[change]
        if sel.empty:
            lines.append(f"在上述扰动下，{len(u)}个单位的等次和先进名单都不会改变。")
            return "\n".join(lines)
        lines.append(f"{len(u)}个单位中{len(sel)}个的等次或先进名单可能改变：")
    sel = sel.sort_values(["rank", "unit_id"], kind="mergesort")
    header = ["单位", "总分", "名次", "名次范围", "90%区间"]
    if has_grade:
        header += ["等次", "各等次概率"]
    if has_adv:
        header += ["先进", "先进概率"]
    rows = []
    for _, x in sel.iterrows():
        row = [str(x["name"]), fmt(x["total"]), f"{x['rank']}/{x['group_size']}",
               f"{x['rank_min']}–{x['rank_max']}", f"{x['rank_p5']}–{x['rank_p95']}"]
        if has_grade:
            probs = [f"{name}{_pct(x[f'p_{name}'])}" for name in r.tiers
                     if pd.notna(x[f"p_{name}"]) and x[f"p_{name}"] > 0]
            row += [str(x["grade"]) if pd.notna(x["grade"]) else "—", "、".join(probs) or "—"]
        if has_adv:
            row += ["是" if x["advanced"] else "否", _pct(x["p_advanced"])]
        rows.append(row)
    lines.append(text_table(header, rows))
    lines.append("名次范围为全部抽样中的最好与最差名次，90%区间为第5至第95百分位。")
    return "\n".join(lines)


def write_robustness(r: Robustness, out: Path | str, provenance: dict | None = None) -> list[Path]:
    """robustness.csv (one row per unit) and robustness.json (how it was drawn, and the
    scores' provenance), deterministic bytes for the same inputs."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "robustness.csv"
    r.units.to_csv(csv, index=False, encoding="utf-8-sig", float_format="%.4f",
                   lineterminator="\n")
    meta = out / "robustness.json"
    meta.write_text(json.dumps({
        "draws": r.draws, "spread": r.spread, "seed": r.seed, "level": r.level,
        "roundings": list(r.roundings) if r.roundings else "rubric",
        "ties": list(r.ties) if r.ties else "rubric",
        "method": describe(r),
        "provenance": provenance or {},
    }, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [csv, meta]


__all__ = ["Robustness", "rank_robustness", "rank_rows", "format_report", "describe",
           "text_table", "write_robustness", "DEFAULT_SEED", "ROUNDINGS", "TIES"]
