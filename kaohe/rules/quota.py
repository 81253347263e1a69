"""Quota grading among peers (强制分布) and the incentive built on it (catalogue 7, 9)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from ..normalize import ValueSpec
from .base import (
    LeafContext,
    Params,
    Reads,
    Rounding,
    RowLevel,
    Rule,
    RuleResult,
    cap_lines,
    combine_values,
    concat_lines,
    fmt,
    fmt_series,
    lines_frame,
    register,
    tiers_by_quota,
)
from .points import Combine, MissingDataError, unit_rows


class Tier(Params):
    name: str
    share: float | None = Field(default=None, ge=0, le=1)  # the last tier takes the rest
    points: float = Field(ge=0)


@register
class QuotaGrade(Rule):
    """Rank peers by their rating, cut into tiers by share, award each tier's points.

    ``over: units`` — the peers are the units (县领导测评 of all departments).
    ``over: items`` — the peers are items (改革事项) within ``within`` (their 专项); each
    unit gets tier points × its role coefficient for every item it holds, averaged.
    ``rounding`` turns share × peers into a count (cumulative); ``ties`` decides which
    tier takes peers tied across a cut. Neither is set by the documents.
    """

    kind: Literal["quota_grade"] = "quota_grade"
    title: ClassVar[str] = "按比例分档计分（强制分布）"
    reads: ClassVar[Reads] = "observations"

    over: Literal["units", "items"] = "units"
    tiers: list[Tier]
    rounding: Rounding = "half_up"
    ties: Literal["higher", "lower"] = "higher"
    within: str | None = None  # peer group: a units column, or "group" of items
    combine: Combine = "mean"
    roles: dict[str, float] = {"lead": 1.0}
    missing: Literal["error", "zero"] = "error"

    @model_validator(mode="after")
    def _shares(self) -> QuotaGrade:
        if len(self.tiers) < 2:
            raise ValueError("至少需要两档")
        if any(t.share is None for t in self.tiers[:-1]):
            raise ValueError("除最后一档外每档须给出 share")
        if sum(t.share or 0 for t in self.tiers[:-1]) > 1 + 1e-9:
            raise ValueError("各档比例合计超过 1")
        return self

    def shares(self) -> list[float]:
        return [float(t.share or 0) for t in self.tiers[:-1]]

    def check(self, max_points: float) -> list[str]:
        top = max(t.points for t in self.tiers) * max(self.roles.values(), default=1.0)
        if top > max_points + 1e-9:
            return [f"最高档得分 {fmt(top)} 分超过本项 {fmt(max_points)} 分"]
        return []

    def row_level(self) -> RowLevel:
        return "unit" if self.over == "units" else "item"

    def item_roles(self) -> frozenset[str]:
        return frozenset(self.roles)

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        return ValueSpec("测评得分", 0.0)

    def requirement(self, max_points: float, item: str | None) -> str:
        return "填写测评得分（不小于0）；按比例分档计分"

    def words(self, max_points: float) -> str:
        tiers = "、".join(f"{t.name}{fmt(t.points)}分" for t in self.tiers)
        return f"满分{fmt(max_points)}分，测评后按比例分档：{tiers}"

    def score(self, ctx: LeafContext) -> RuleResult:
        tier_pts = dict(enumerate(t.points for t in self.tiers))
        tier_name = dict(enumerate(t.name for t in self.tiers))
        quota_txt = "、".join(
            f"{t.name}{fmt((t.share or 0) * 100)}%" if t.share is not None else f"{t.name}其余"
            for t in self.tiers
        )
        if self.over == "units":
            comb = combine_values(unit_rows(ctx.obs), self.combine)
            if self.missing == "error":
                missing = ctx.unit_ids.difference(comb.index)
                if len(missing):
                    raise MissingDataError(sorted(map(str, missing)), "缺少测评结果")
            comb = comb.reindex(ctx.unit_ids)
            value = comb["value"].fillna(-np.inf)
            group = ctx.units[self.within] if self.within else None
            tier = tiers_by_quota(value, self.shares(), self.rounding, self.ties, group)
            points = tier.map(tier_pts).astype(float)
            inputs = "测评" + fmt_series(comb["value"]) + "分，评为" + tier.map(tier_name)
            lost = ctx.max_points - points
            text = np.array([  # each unit's sentence in one pass, not one pass per "+"
                f"{i}（按{quota_txt}分档），得{pt}分" + (f"，扣{lt}分" if c else "")
                for i, pt, c, lt in zip(inputs.tolist(), fmt_series(points).tolist(),
                                        (~(lost <= 1e-9)).tolist(), fmt_series(lost).tolist(),
                                        strict=True)
            ], dtype=object)
            lines = lines_frame(ctx.unit_ids.to_numpy(), (points - ctx.max_points).to_numpy(),
                                text, comb["ref"].fillna("").to_numpy())
            extra = {"tiers": pd.DataFrame({"value": comb["value"], "tier": tier,
                                            "tier_name": tier.map(tier_name)})}
            return RuleResult("max", points, lines, inputs, extra=extra)

        graded = grade_items(self, ctx)
        held = ctx.roles[ctx.roles["role"].isin(self.roles) & ctx.roles["unit_id"].isin(ctx.unit_ids)]
        # the lines cite the item's rating rows, not item_roles.csv (whose own ``ref`` would
        # otherwise turn the merged column into ref_x / ref_y)
        held = held.drop(columns="ref", errors="ignore").merge(
            graded[["tier", "tier_name", "tier_points", "ref"]], how="left",
            left_on="item_id", right_index=True)
        unrated = held["tier"].isna()
        if unrated.any():
            raise MissingDataError(sorted(set(held.loc[unrated, "unit_id"])),
                                   "所负责的改革事项缺少专业测评结果（item 为事项编号、unit_id 留空）")
        held["coef"] = held["role"].map(self.roles).astype(float)
        held["score"] = held["tier_points"] * held["coef"]
        per_unit = held.groupby("unit_id")["score"].agg(["mean", "size"])
        if self.missing == "error":
            missing = ctx.unit_ids.difference(per_unit.index)
            if len(missing):
                raise MissingDataError(sorted(map(str, missing)), "未负责任何改革事项，无法计算专业测评得分")
        points = per_unit["mean"].reindex(ctx.unit_ids).fillna(0.0)
        role_zh = {"lead": "牵头单位", "responsible": "责任单位"}
        names = ctx.items["name"].reindex(held["item_id"]).to_numpy()
        item_lines = lines_frame(
            held["unit_id"].to_numpy(), 0.0,
            [f"改革事项{i}“{n}”评为{t}（{fmt(tp)}分）×{role_zh.get(r, r)}系数{fmt(c)}＝{fmt(s)}分"
             for i, n, t, tp, r, c, s in zip(held["item_id"], names, held["tier_name"],
                                             held["tier_points"], held["role"], held["coef"],
                                             held["score"], strict=True)],
            held["ref"].to_numpy(),
        )
        k = per_unit["size"].reindex(ctx.unit_ids).fillna(0).astype(int)
        summary = (k.astype(str) + f"个改革事项（按{quota_txt}分档）平均得" + fmt_series(points) + "分")
        lost = ctx.max_points - points
        summary = summary.where(lost <= 1e-9, summary + "，扣" + fmt_series(lost) + "分")
        sum_lines = lines_frame(ctx.unit_ids.to_numpy(), (points - ctx.max_points).to_numpy(),
                                summary.to_numpy(), "")
        inputs = "负责改革事项" + k.astype(str) + "项"
        return RuleResult("max", points, concat_lines([item_lines, sum_lines]), inputs,
                          extra={"tiers": graded, "held": held})


def grade_items(p: QuotaGrade, ctx: LeafContext) -> pd.DataFrame:
    """Tier of every rated item: item_id, group, value, n, ref, tier, tier_name, tier_points."""
    item_obs = ctx.obs[ctx.obs["unit_id"].isna()]
    comb = combine_values(item_obs, p.combine, key="item")
    rated = comb.index.intersection(ctx.items.index)
    comb = comb.loc[rated]
    group = ctx.items["group"].reindex(comb.index) if p.within else None
    tier = tiers_by_quota(comb["value"], p.shares(), p.rounding, p.ties, group)
    out = comb.assign(
        group=group if group is not None else "",
        tier=tier,
        tier_name=tier.map(dict(enumerate(t.name for t in p.tiers))),
        tier_points=tier.map(dict(enumerate(t.points for t in p.tiers))).astype(float),
    )
    out.index.name = "item_id"
    return out


# -- 9. incentive: above a count, drop the worst k, points per remaining tier, capped --


@register
class Incentive(Rule):
    """Units holding more than ``more_than`` items in ``role`` get, after dropping the
    ``drop_worst`` items with the worst tier, ``per_tier[tier name]`` for each remaining
    item, capped. Tiers come from the quota grading of ``tiers_from``."""

    kind: Literal["incentive"] = "incentive"
    title: ClassVar[str] = "多改革激励加分"
    reads: ClassVar[Reads] = "results"

    tiers_from: str
    more_than: int = Field(default=2, ge=0)
    drop_worst: int = Field(default=2, ge=0)
    per_tier: dict[str, float]
    role: str = "lead"
    cap: float | None = Field(default=None, ge=0)

    def refers_to(self) -> list[str]:
        return [self.tiers_from]

    def score(self, ctx: LeafContext) -> RuleResult:
        graded = ctx.prior[self.tiers_from].extra["tiers"]
        held = ctx.roles[(ctx.roles["role"] == self.role) & ctx.roles["unit_id"].isin(ctx.unit_ids)]
        held = held.drop(columns="ref", errors="ignore").merge(
            graded[["tier", "tier_name", "ref"]], how="inner", left_on="item_id", right_index=True,
        ).reset_index(drop=True)  # an empty merge keeps graded's item_id index: ambiguous below
        held["pts"] = held["tier_name"].map(self.per_tier).fillna(0.0).astype(float)
        n = held.groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        eligible = held[held["unit_id"].map(n) > self.more_than]
        # worst first: highest tier index, then lowest points, then item id for a stable choice
        ordered = eligible.sort_values(["unit_id", "tier", "item_id"], ascending=[True, False, True],
                                       kind="mergesort")
        rank_worst = ordered.groupby("unit_id").cumcount()
        dropped = ordered[rank_worst < self.drop_worst]
        kept = ordered[rank_worst >= self.drop_worst]
        names = ctx.items["name"]
        kept_lines = lines_frame(
            kept["unit_id"].to_numpy(), kept["pts"].to_numpy(),
            [f"牵头改革事项{i}“{names.get(i, '')}”专业测评为{t}，加{fmt(x)}分"
             for i, t, x in zip(kept["item_id"], kept["tier_name"], kept["pts"], strict=True)],
            kept["ref"].to_numpy())
        drop_lines = lines_frame(
            dropped["unit_id"].to_numpy(), 0.0,
            [f"剔除专业测评最差的{self.drop_worst}项之一：{i}“{names.get(i, '')}”（{t}），不加分"
             for i, t in zip(dropped["item_id"], dropped["tier_name"], strict=True)],
            dropped["ref"].to_numpy())
        points = kept.groupby("unit_id")["pts"].sum().reindex(ctx.unit_ids).fillna(0.0)
        points, cap_l = cap_lines(points, self.cap, "激励加分")
        lines = concat_lines([kept_lines, drop_lines, cap_l])
        inputs = pd.Series(np.where(n > self.more_than, "牵头改革事项" + n.astype(str) + "项",
                                    "牵头改革事项" + n.astype(str) + f"项，未超过{self.more_than}项，不加分"),
                           index=ctx.unit_ids)
        return RuleResult("zero", points, lines, inputs)

