"""得分核对: how one unit's total is made, step by step, in total-score points.

A unit must be able to re-add its feedback report by hand. The engine aggregates the tree
(sums, weights, the share of a missing item's weight), rescales (缺项折算), adds the
adjustments in the rubric's order and applies a veto; every one of those operations is
linear in a leaf's points, so each leaf's loss can be carried to the total by the product
of the factors it passes through. This module computes those factors from the scored
tables (``indicators.csv`` and ``totals.csv``) — it never rescores — and lists the steps:

    start (the unit's full score) + Σ delta (each loss, gain, adjustment, veto) = total

with the numbers exactly as in ``totals.csv`` (no rounding here; reports round for display).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .rubric import Node, Rubric
from .rules.base import EPS, fmt

STEP_COLUMNS = ["kind", "node_id", "label", "own", "delta", "path"]


@dataclass(frozen=True)
class Factor:
    """One multiplication a leaf's points pass through on their way to the total."""

    value: float
    text: str  # in words, as the report prints it: "40/100" or "权重40%"
    why: str  # what the factor is: 权重, 缺项权重按比例计入, 缺项折算


@dataclass(frozen=True)
class Reconciliation:
    """One unit's steps from its full score to its total (``steps`` has STEP_COLUMNS).

    kind: start | loss | gain | note | adjust | veto | total; ``own`` is the points on the
    item's own scale (a leaf's loss as its rule scores it), ``delta`` in total-score points."""

    unit_id: str
    start: float
    total: float
    steps: pd.DataFrame
    factors: dict[str, list[Factor]] = field(default_factory=dict)

    def factor(self, node_id: str) -> float:
        """What one point of ``node_id`` (a leaf or adjustment) is worth in the total."""
        out = 1.0
        for f in self.factors.get(node_id, []):
            out *= f.value
        return out

    def residual(self) -> float:
        """start + Σ delta − total: zero (to rounding) when the steps explain the total."""
        body = self.steps[~self.steps["kind"].isin(["start", "total"])]
        return float(self.start + body["delta"].sum() - self.total)


def _ratio(num: float, den: float) -> str:
    return f"{fmt(num)}/{fmt(den)}"


def _pct(x: float) -> str:
    return f"{fmt(x * 100)}%"


def reconcile(rubric: Rubric, totals_row: pd.Series, nodes: pd.DataFrame) -> Reconciliation:
    """The steps of one unit: ``totals_row`` is its row of totals.csv, ``nodes`` its rows of
    indicators.csv (node_id, earned, max)."""
    unit_id = str(totals_row["unit_id"])
    earned = dict(zip(nodes["node_id"], nodes["earned"].astype(float), strict=True))
    maxed = dict(zip(nodes["node_id"], nodes["max"].astype(float), strict=True))
    base_max = float(totals_row["base_max"])
    rescale = "rescale" in rubric.order and base_max > EPS
    top_factors: list[Factor] = []
    if rescale and abs(base_max - rubric.full_score) > EPS:
        top_factors = [Factor(rubric.full_score / base_max,
                              _ratio(rubric.full_score, base_max), "缺项折算")]
    k_top = rubric.full_score / base_max if rescale else 1.0
    start = base_max * k_top
    rows: list[tuple] = [("start", "", "满分", start, start, _start_text(rubric, base_max, rescale))]
    factors: dict[str, list[Factor]] = {}

    kind = str(totals_row.get("kind", ""))

    def walk(node: Node, path: list[Factor], k: float, parent: Node | None) -> None:
        if maxed.get(node.id, 0.0) <= EPS:
            note = _not_applicable(node, parent, rescale, kind)
            if note:
                rows.append(("note", node.id, node.name, 0.0, 0.0, note))
            return
        if node.is_leaf:
            factors[node.id] = path
            own = earned[node.id] - maxed[node.id]
            if abs(own) > EPS:
                text = _path_text(own, path, k)
                if own > 0:
                    text = f"超过本项满分{fmt(maxed[node.id])}分（本项不设上限），" + text
                if node.rule is not None:  # points from a result on another scale
                    conv = node.rule.converted(earned[node.id], maxed[node.id])
                    text = f"{conv}，{text}" if conv else text
                rows.append(("gain" if own > 0 else "loss", node.id, node.name, own, own * k,
                             text))
            return
        # a child whose max is 0 does not apply (or nothing in it does): its weight or
        # points go to the others, which the factors below carry
        kids = [c for c in node.children if maxed.get(c.id, 0.0) > EPS]
        if node.aggregate == "weighted":
            wsum = sum(c.weight or 0.0 for c in kids)
            m = 0.0
        else:
            wsum = 0.0
            m = sum(maxed[c.id] for c in kids)
        for c in node.children:
            if c not in kids:
                walk(c, path, k, node)
            elif node.aggregate == "weighted":
                w = (c.weight or 0.0) / wsum
                scale = maxed[node.id] / maxed[c.id]
                extra = [Factor(w, _pct(w), "权重")]
                if abs(scale - 1) > EPS:
                    extra.append(Factor(scale, _ratio(maxed[node.id], maxed[c.id]),
                                        f"折合{fmt(maxed[node.id])}分"))
                walk(c, path + extra, k * w * scale, node)
            else:
                scale = maxed[node.id] / m
                extra = []
                if abs(scale - 1) > EPS:  # missing: share
                    extra = [Factor(scale, _ratio(maxed[node.id], m), "缺项权重按比例计入")]
                walk(c, path + extra, k * scale, node)

    for top in rubric.indicators:
        walk(top, list(top_factors), k_top, None)
    running = start + sum(r[4] for r in rows[1:])
    for step in rubric.order:
        if step == "rescale":
            continue
        node = rubric.node(step)
        pts = totals_row.get(step)
        pts = 0.0 if pts is None or pd.isna(pts) else float(pts)
        before = rubric.order.index(step) < rubric.order.index("rescale") \
            if "rescale" in rubric.order else False
        path = list(top_factors) if before else []
        factors[step] = path
        if abs(pts) > EPS:
            k = k_top if before else 1.0
            rows.append(("adjust", step, node.name, pts, pts * k, _path_text(pts, path, k)))
            running += pts * k
    total = float(totals_row["total"])
    if abs(total) <= EPS and abs(running) > EPS and bool(totals_row.get("vetoed")):
        rows.append(("veto", "", "一票否决", -running, -running,
                     f"一票否决，考核得分由{fmt(running)}分计为0分"))
    rows.append(("total", "", "总分", total, total, ""))
    steps = pd.DataFrame(rows, columns=STEP_COLUMNS)
    return Reconciliation(unit_id, start, total, steps, factors)


def _start_text(rubric: Rubric, base_max: float, rescale: bool) -> str:
    if rescale:
        if abs(base_max - rubric.full_score) > EPS:
            return (f"适用指标满分{fmt(base_max)}分，按{fmt(rubric.full_score)}分制折算"
                    f"（各项得失分×{_ratio(rubric.full_score, base_max)}）")
        return f"满分{fmt(rubric.full_score)}分"
    if abs(base_max - rubric.full_score) > EPS:
        return f"本单位适用指标满分{fmt(base_max)}分"
    return f"满分{fmt(rubric.full_score)}分"


def _amount(x: float) -> str:
    """Points in words: two decimals, four below 0.01 (a loss never reads as '失0分')."""
    x = abs(x)
    return fmt(x) if x >= 0.005 else f"{x:.4f}".rstrip("0").rstrip(".")


def _path_text(own: float, path: list[Factor], k: float) -> str:
    """'失13分 × 40%（权重）× 20/100（折合20分）= 失1.04分' in words."""
    verb = "得" if own > 0 else "失"
    if not path:
        return f"{verb}{_amount(own)}分"
    steps = "".join(f" × {f.text}（{f.why}）" for f in path)
    return f"{verb}{_amount(own)}分{steps} = {verb}{_amount(own * k)}分"


def _not_applicable(node: Node, parent: Node | None, rescale: bool, kind: str) -> str:
    """What happens to an item that does not apply to the unit (delta 0: the factors of the
    other items already carry its weight). Items only for other unit kinds are not part of
    this unit's rubric and are not mentioned."""
    spec = node.applies_to
    if spec is not None and spec.kinds and kind not in spec.kinds:
        return ""
    text = f"本项不适用（满分{fmt(node.max_points)}分），不计分"
    if parent is not None and (parent.aggregate == "weighted" or parent.missing == "share"):
        return text + f"，其权重按比例计入“{parent.name}”的其余各项"
    if rescale:
        return text + "，按缺项折算"
    return text


def loss_cost(rec: Reconciliation, node_id: str, own: float) -> float:
    """A loss (or gain) of ``own`` points of an item, in total-score points."""
    return own * rec.factor(node_id)


__all__ = ["Factor", "Reconciliation", "STEP_COLUMNS", "reconcile", "loss_cost"]
