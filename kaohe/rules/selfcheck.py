"""Self-assessment against the verified score, with an optional penalty (catalogue 19)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from .base import (
    LeafContext,
    Reads,
    Rule,
    RuleResult,
    cap_lines,
    concat_lines,
    fmt,
    lines_frame,
    register,
)


@register
class SelfAssessment(Rule):
    """Compare each unit's self-assessed points (``self_assessment.csv``) with the verified
    points of the same indicator. A gap above ``tolerance`` (over-claiming by default) is
    flagged; each flagged indicator costs ``penalty`` points, capped at ``cap``."""

    kind: Literal["self_assessment"] = "self_assessment"
    title: ClassVar[str] = "自评与核查不一致扣分"
    reads: ClassVar[Reads] = "results"

    tolerance: float = Field(default=0.0, ge=0)
    penalty: float = Field(default=0.0, ge=0)
    cap: float | None = Field(default=None, ge=0)
    over_only: bool = True  # only self-scores above the verified score are penalised
    what: str = "自评与核查结果不一致"

    def score(self, ctx: LeafContext) -> RuleResult:
        gaps = self_gaps(ctx.self_scores, dict(ctx.prior), self.tolerance, self.over_only)
        flagged = gaps[gaps["flagged"] & gaps["unit_id"].isin(ctx.unit_ids)]
        texts = [
            f"指标{i}自评{fmt(s)}分，核定{fmt(v)}分，相差{fmt(g)}分，超过容差{fmt(self.tolerance)}分，"
            f"{self.what}，扣{fmt(self.penalty)}分"
            for i, s, v, g in zip(flagged["indicator_id"], flagged["self_points"],
                                  flagged["verified_points"], flagged["gap"], strict=True)
        ]
        lines = lines_frame(flagged["unit_id"].to_numpy(), -self.penalty, texts, flagged["ref"].to_numpy())
        lost = flagged.groupby("unit_id").size().astype(float) * self.penalty
        lost = lost.reindex(ctx.unit_ids).fillna(0.0)
        lost, cap_l = cap_lines(lost, self.cap, "自评不一致扣分")
        cap_l["delta"] = -cap_l["delta"]  # a capped deduction gives points back
        points = 0.0 - lost  # not -lost: no "-0.0" for units without a deduction
        n = flagged.groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        inputs = pd.Series(np.where(n > 0, "自评不一致指标" + n.astype(str) + "项", "自评与核查一致"),
                           index=ctx.unit_ids)
        return RuleResult("zero", points, concat_lines([lines, cap_l]), inputs)


def self_gaps(self_scores: pd.DataFrame, prior: Mapping[str, RuleResult], tolerance: float,
              over_only: bool) -> pd.DataFrame:
    """Gap per unit × indicator where both a self-score and a verified score exist."""
    rows = []
    for ind, grp in self_scores.groupby("indicator_id", sort=True):
        if ind not in prior:
            continue
        verified = prior[ind].points
        g = grp[grp["unit_id"].isin(verified.index)]
        rows.append(pd.DataFrame({
            "unit_id": g["unit_id"].to_numpy(),
            "indicator_id": ind,
            "self_points": g["points"].to_numpy(dtype=float),
            "verified_points": verified.reindex(g["unit_id"]).to_numpy(dtype=float),
            "ref": g["ref"].to_numpy(),
        }))
    if not rows:
        return pd.DataFrame(columns=["unit_id", "indicator_id", "self_points", "verified_points",
                                     "gap", "flagged", "ref"])
    out = pd.concat(rows, ignore_index=True)
    out["gap"] = out["self_points"] - out["verified_points"]
    size = out["gap"] if over_only else out["gap"].abs()
    out["flagged"] = size > tolerance + 1e-9
    return out

