"""Results of period rubrics as an indicator of the annual rubric (catalogue 14: a component
that is another assessment's result — here a period's).

广元 scores quarterly on-site contests (现场比武) on their own, each quarter a rubric of its own
(``params/<scheme>/2021-Q1.yaml`` …), and the annual municipal result takes them at 40%. The
pipeline scores the period rubrics first and hands their totals to this rule in
``LeafContext.periods``; the rule itself stays pure: totals in, points and reasons out.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from .base import (
    LeafContext,
    Reads,
    Rule,
    RuleResult,
    combine_values,
    concat_lines,
    fmt,
    fmt_series,
    lines_frame,
    register,
)
from .points import COMBINE_ZH, Combine, MissingDataError


@register
class PeriodResults(Rule):
    """The unit's result in each period rubric named in ``periods`` (file stems beside the
    annual rubric: ``2021-Q1`` … ``2021-Q4``), combined over the periods, on ``scale``,
    converted to the item's points.

    ``by: total`` takes the period's total. ``by: rank`` takes the unit's rank in its ranking
    group of that period and turns it into points on ``scale``: ``first`` for rank 1 and
    ``step`` less for each place below, never under ``floor`` (a rank-to-points table the
    documents leave open). Tied units share a rank, hence the same points.
    """

    kind: Literal["period_results"] = "period_results"
    title: ClassVar[str] = "引用分期考核结果"
    reads: ClassVar[Reads] = "results"

    periods: list[str] = Field(min_length=1)
    by: Literal["total", "rank"] = "total"
    scale: float = Field(default=100.0, gt=0)
    first: float | None = Field(default=None, ge=0)
    step: float = Field(default=0.0, ge=0)
    floor: float = Field(default=0.0, ge=0)
    combine: Combine = "mean"
    what: str = "分期考核"
    missing: Literal["error", "zero"] = "error"

    @model_validator(mode="after")
    def _consistent(self) -> PeriodResults:
        if len(set(self.periods)) != len(self.periods):
            raise ValueError("periods 中有重复的分期")
        if self.by == "rank":
            if self.first is None:
                raise ValueError("by: rank 须给出第一名的得分 first")
            if self.first > self.scale + 1e-9:
                raise ValueError("first 不能超过 scale")
            if self.floor > self.first + 1e-9:
                raise ValueError("floor 不能超过 first")
        return self

    def period_stems(self) -> list[str]:
        return list(self.periods)

    def rank_points(self, rank: pd.Series) -> pd.Series:
        """Points on ``scale`` for a rank: first − (rank − 1) × step, at least floor."""
        first = float(self.first or 0.0)
        return (first - (rank.astype(float) - 1.0) * self.step).clip(lower=self.floor)

    def score(self, ctx: LeafContext) -> RuleResult:
        long, missing = _period_rows(self, ctx)
        if missing and self.missing == "error":  # the first period lacking units; the rest after
            stem, units = next(iter(missing.items()))
            period = ctx.periods[stem]
            raise MissingDataError(units, f"在分期“{stem}”（{period.title}）的结果中没有本单位，"
                                   "缺少该期" + self.what + "结果", file=f"{period.data}/units.csv")
        comb = combine_values(long[["unit_id", "value", "ref"]], self.combine)
        comb = comb.reindex(ctx.unit_ids)
        value = comb["value"].fillna(0.0)
        points = (value / self.scale * ctx.max_points).clip(0.0, ctx.max_points)

        place = ("第" + long["rank"].astype(int).astype(str) + "名（共"
                 + long["group_size"].astype(int).astype(str) + "个）")
        text = long["title"] + "：得分" + fmt_series(long["total"]) + "分，排" + place
        if self.by == "rank":
            text = text + "，按名次计" + fmt_series(long["value"]) + "分"
        text = text.where(~long["advanced"], text + "，获" + long["advanced_name"].where(
            long["advanced_name"] != "", "先进"))
        period_lines = lines_frame(long["unit_id"].to_numpy(), 0.0, text.to_numpy(),
                                   long["ref"].to_numpy())

        n = comb["n"].fillna(0).astype(int)
        how = COMBINE_ZH[self.combine]
        basis = "名次得分" if self.by == "rank" else "得分"
        summary = (n.astype(str) + f"期{self.what}{basis}{how}" + fmt_series(value)
                   + f"分（{fmt(self.scale)}分制），折合" + fmt_series(points) + "分")
        lost = ctx.max_points - points
        summary = summary.where(lost <= 1e-9, summary + "，扣" + fmt_series(lost) + "分")
        summary = summary.where(n > 0, f"无{self.what}结果，按0分计")
        sum_lines = lines_frame(ctx.unit_ids.to_numpy(), (points - ctx.max_points).to_numpy(),
                                summary.to_numpy(), "")

        ordered = long.sort_values(["unit_id", "order"], kind="mergesort")
        ranks = ordered.groupby("unit_id", sort=False)["rank"].agg(
            lambda r: "、".join(str(int(x)) for x in r))
        ranks = ranks.reindex(ctx.unit_ids).astype(object)  # object even when no unit has a rank
        has = ranks.notna()
        inputs = pd.Series(np.where(has, f"{self.what}名次：第" + ranks.where(has, "").astype(str) + "名",
                                    f"无{self.what}结果"), index=ctx.unit_ids)
        return RuleResult("max", points, concat_lines([period_lines, sum_lines]), inputs,
                          extra={"periods": long.drop(columns=["order"])})


def _period_rows(p: PeriodResults, ctx: LeafContext) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """One row per applicable unit × period it has a result in; and, by period, the units
    that have none."""
    frames, missing = [], {}
    for order, stem in enumerate(p.periods):
        period = ctx.periods[stem]
        t = period.totals.drop_duplicates("unit_id").set_index("unit_id")
        have = ctx.unit_ids.intersection(t.index, sort=False)
        absent = [str(u) for u in ctx.unit_ids.difference(t.index)]
        if absent:
            missing[stem] = absent
        rows = t.loc[have]
        advanced = (rows["advanced"].fillna(False).astype(bool) if "advanced" in rows
                    else pd.Series(False, index=have))
        rank = rows["rank"].astype(float)
        value = rows["total"].astype(float) if p.by == "total" else p.rank_points(rank)
        frames.append(pd.DataFrame({
            "unit_id": have.to_numpy(), "order": order, "stem": stem, "title": period.title,
            "total": rows["total"].to_numpy(dtype=float), "rank": rank.to_numpy(),
            "group_size": rows["group_size"].to_numpy(dtype=float),
            "advanced": advanced.to_numpy(), "advanced_name": period.advanced_name,
            "value": value.to_numpy(dtype=float), "ref": period.source,
        }))
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return long, missing


__all__ = ["PeriodResults"]
