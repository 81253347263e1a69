"""Rules that turn measured values into points: rater scores, checklists, rates, targets,
and components taken from other assessments (catalogue 1, 2, 10, 11, 14)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype
from pydantic import Field, model_validator

from ..normalize import ZERO_ONE, ValueSpec
from .base import (
    EPS,
    LeafContext,
    Params,
    Reads,
    Rule,
    RuleResult,
    combine_values,
    fmt,
    fmt_series,
    group_join,
    lines_frame,
    on_units,
    refs_by_unit,
    register,
)

Combine = Literal["mean", "trimmed_mean", "sum", "min", "max", "median"]
COMBINE_ZH = {
    "mean": "平均",
    "trimmed_mean": "去掉一个最高分和一个最低分后平均",
    "sum": "合计",
    "min": "取最低",
    "max": "取最高",
    "median": "取中位数",
}


class MissingDataError(ValueError):
    """A unit has no input for an indicator that needs one; the engine locates it, in
    ``file`` when the input is not a row of observations.csv (a period rubric's totals)."""

    def __init__(self, units: list[str], what: str, file: str | None = None):
        self.units = units
        self.file = file
        super().__init__(what)


def unit_rows(obs: pd.DataFrame) -> pd.DataFrame:
    """``obs.dropna(subset=["unit_id"])``: the rows about a unit (an item's rows have none).

    When every unit_id is text, as is usual, pandas' type check of the column says so at C
    speed; ``dropna`` would test each of a leaf's cells (200,000 in a national year) for
    every kind of missing value."""
    col = obs["unit_id"]
    if col.dtype == object and len(col) and infer_dtype(col.to_numpy(), skipna=False) == "string":
        return obs.copy(deep=False)  # as dropna returns a frame that drops nothing
    return obs.dropna(subset=["unit_id"])


def _require(ctx: LeafContext, have: pd.Index, what: str) -> None:
    missing = ctx.unit_ids.difference(have)
    if len(missing):
        raise MissingDataError(sorted(map(str, missing)), what)


def _conversion(what: str, scale: float, earned: float, max_points: float) -> str:
    """'省级指标评估结果85.2分（100分制）× 80/100 = 68.16分': the result read back from the
    points (points = result ÷ scale × full marks)."""
    if max_points <= EPS:
        return ""
    result = earned / max_points * scale
    return (f"{what}{fmt(result)}分（{fmt(scale)}分制）× {fmt(max_points)}/{fmt(scale)}"
            f" = {fmt(earned)}分")


# -- 1. direct points from raters ----------------------------------------------------


@register
class RaterPoints(Rule):
    kind: Literal["rater_points"] = "rater_points"
    title: ClassVar[str] = "评分直接计分"
    reads: ClassVar[Reads] = "observations"
    combine: Combine = "mean"
    scale: float | None = Field(default=None, gt=0)  # raters score out of this; None = points
    missing: Literal["error", "zero"] = "error"

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        if self.scale:
            return ValueSpec(f"评分（{fmt(self.scale)}分制）", 0.0, float(self.scale))
        return ValueSpec("评分", 0.0, float(max_points), hi_is_max=True)

    def converted(self, earned: float, max_points: float) -> str:
        return _conversion("评分", self.scale, earned, max_points) if self.scale else ""

    def requirement(self, max_points: float, item: str | None) -> str:
        s = self.value_spec(max_points, item)
        if self.scale:
            return (f"填写评分（{fmt(self.scale)}分制，{s.words()}），折合本项{fmt(max_points)}分"
                    "：得分＝评分÷" + fmt(self.scale) + "×" + fmt(max_points))
        return f"填写本项得分（{s.words()}分）；扣分请在“说明”中写明理由"

    def words(self, max_points: float) -> str:
        scale = f"按{fmt(self.scale)}分制评分后折合" if self.scale else "直接评分"
        return f"满分{fmt(max_points)}分，{scale}；多个评分人时{COMBINE_ZH[self.combine]}"

    def score(self, ctx: LeafContext) -> RuleResult:
        """Each rater gives points; several raters are combined; capped at the maximum."""
        obs = unit_rows(ctx.obs)
        comb = combine_values(obs, self.combine)
        if self.missing == "error":
            _require(ctx, comb.index, "缺少评分")
        comb = on_units(comb, ctx.unit_ids)
        raw = comb["value"].fillna(0.0)
        factor = ctx.max_points / self.scale if self.scale else 1.0
        points = (raw * factor).clip(lower=0.0, upper=ctx.max_points)
        n = comb["n"].fillna(0).astype(int)
        # the raters are named only for a unit scored by one rater; notes are rare: join only
        # the rows that matter (a national year has 40,000 units × dozens of rated leaves)
        single = n.index[n.to_numpy() == 1]
        if len(single):
            one = obs[obs["unit_id"].isin(single)]
            sources = group_join(one["unit_id"], one["source"],
                                 lambda s: "、".join(dict.fromkeys(x for x in s if x))
                                 ).reindex(ctx.unit_ids).fillna("")
        else:  # no unit scored by one rater: no rater is named
            sources = pd.Series("", index=ctx.unit_ids, dtype=object)
        notes = _notes(obs, ctx.unit_ids)
        how = COMBINE_ZH[self.combine]
        scale_txt = f"（{fmt(self.scale)}分制，折合{fmt(ctx.max_points)}分制）" if self.scale else ""
        lost = ctx.max_points - points
        # a unit's sentences follow from (raters, the one rater's name, value, notes): build each
        # distinct combination once (hundreds to thousands among 40,000 units), then hand it out
        # (the same "" for every unit sets no combination apart)
        first, which = _combinations(n, sources, raw, notes) if len(single) else \
            _combinations(n, raw, notes)
        inputs_of = np.array([
            "无评分，按0分计" if k == 0
            else f"{s}评分{r}分{scale_txt}" if k == 1
            else f"{k}个评分{how}{r}分{scale_txt}"
            for k, s, r in zip(n.to_numpy()[first].tolist(), sources.to_numpy()[first].tolist(),
                               fmt_series(raw.iloc[first]).tolist(), strict=True)
        ], dtype=object)
        text_of = np.array([
            f"{i}，得{pt}分" + (f"，扣{lt}分" if c else "") + (f"（{nt}）" if nt != "" else "")
            for i, pt, c, lt, nt in zip(inputs_of.tolist(), fmt_series(points.iloc[first]).tolist(),
                                        (~(lost.iloc[first] <= 1e-9)).tolist(),
                                        fmt_series(lost.iloc[first]).tolist(),
                                        notes.to_numpy()[first].tolist(), strict=True)
        ], dtype=object)
        inputs = pd.Series(inputs_of[which], index=ctx.unit_ids)
        text = text_of[which]
        refs = comb["ref"].fillna("")
        lines = lines_frame(ctx.unit_ids.to_numpy(), (points - ctx.max_points).to_numpy(),
                            text, refs.to_numpy())
        return RuleResult("max", points, lines, inputs)


def _notes(obs: pd.DataFrame, units: pd.Index) -> pd.Series:
    """Each unit's notes (the texts among them), joined; "" for a unit without. Notes are
    rare: when no row has one, nothing is filtered or grouped."""
    has = obs["note"].notna().to_numpy()
    if not has.any():
        return pd.Series("", index=units, dtype=object)
    # the two columns of the noted rows, not every column (the refs are Arrow text in chunks)
    unit_id, note = obs["unit_id"][has], obs["note"][has]
    texts = np.array([isinstance(x, str) and x != "" for x in note], dtype=bool)
    joined = group_join(unit_id[texts], note[texts], "；".join)
    if not units.is_unique:
        return joined.reindex(units).fillna("")
    # the few noted units looked up among the units (whose hash table the leaves share),
    # rather than every unit among the noted ones
    out = np.full(len(units), "", dtype=object)
    at = units.get_indexer(joined.index)
    out[at[at >= 0]] = joined.to_numpy(dtype=object)[at >= 0]
    return pd.Series(out, index=units, name=joined.name)


def _combinations(*cols: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct combination of the columns' values, and for every row
    the number of its combination (an index into those first rows), numbered in order of
    first appearance. A column with one value throughout (every unit's "" of no notes)
    sets no row apart and is skipped."""
    key = np.zeros(len(cols[0]), dtype=np.int64)
    for col in cols:
        codes, uniques = pd.factorize(col)  # a missing value is a value of its own (-1)
        if len(uniques) == 1 and codes[0] == 0 and (codes == 0).all():
            continue
        key = pd.factorize(key * (len(uniques) + 1) + codes + 1)[0]
    # the codes of pd.factorize number the combinations in order of first appearance (as
    # np.unique's sorted numbering of them would): a combination's first row is where its
    # code exceeds every code before it, found without sorting
    before = np.maximum.accumulate(np.r_[-1, key[:-1]]) if len(key) else key
    return np.flatnonzero(key > before), key


# -- 2. checklist --------------------------------------------------------------------


class Requirement(Params):
    id: str
    name: str
    points: float = Field(gt=0)


@register
class Checklist(Rule):
    kind: Literal["checklist"] = "checklist"
    title: ClassVar[str] = "逐项达标计分"
    reads: ClassVar[Reads] = "observations"
    items: list[Requirement]
    missing: Literal["error", "unmet"] = "error"

    def observation_items(self) -> frozenset[str]:
        return frozenset(r.id for r in self.items)

    def check(self, max_points: float) -> list[str]:
        total = sum(r.points for r in self.items)
        if abs(total - max_points) > 1e-6:
            return [f"各项要求分值合计 {fmt(total)} 分，与本项 {fmt(max_points)} 分不符"]
        return []

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        return ValueSpec("达标情况", choices=ZERO_ONE)

    def item_rows(self) -> list[tuple[str | None, str]]:
        return [(r.id, r.name) for r in self.items]

    def requirement(self, max_points: float, item: str | None) -> str:
        req = next(r for r in self.items if r.id == item)
        return f"{req.name}：达到填 1，未达到填 0（{fmt(req.points)}分）"

    def words(self, max_points: float) -> str:
        return f"满分{fmt(max_points)}分，逐项达标计分：" + "、".join(
            f"{r.name}{fmt(r.points)}分" for r in self.items)

    def score(self, ctx: LeafContext) -> RuleResult:
        """Points per requirement met (value 1 = met, 0 = not met); one row per requirement."""
        obs = unit_rows(ctx.obs)
        reqs = pd.DataFrame([r.model_dump() for r in self.items]).set_index("id")
        grid = pd.MultiIndex.from_product([ctx.unit_ids, reqs.index], names=["unit_id", "item"])
        got = obs.groupby(["unit_id", "item"], observed=True).agg(
            value=("value", "min"), ref=("ref", "first")
        )
        got = got.reindex(grid)
        if self.missing == "error":
            absent = got["value"].isna()
            if absent.any():
                units = sorted({u for u, _ in got.index[absent]})
                raise MissingDataError(units, "缺少逐项达标数据（每个要求一行，1=达到，0=未达到）")
        met = got["value"].fillna(0.0) > 0
        req_points = reqs["points"].reindex(grid.get_level_values("item")).to_numpy()
        earned = pd.Series(np.where(met, req_points, 0.0), index=grid).groupby(level=0).sum()
        points = earned.reindex(ctx.unit_ids).fillna(0.0)
        unmet = got[~met.to_numpy()].reset_index()
        names = reqs["name"].reindex(unmet["item"]).to_numpy()
        pts = reqs["points"].reindex(unmet["item"]).to_numpy()
        lines = lines_frame(
            unmet["unit_id"].to_numpy(), -pts,
            ["未达到：" + n + "，扣" + fmt(x) + "分" for n, x in zip(names, pts, strict=True)],
            unmet["ref"].fillna("").to_numpy(),
        )
        n_met = met.groupby(level=0).sum().reindex(ctx.unit_ids).fillna(0).astype(int)
        inputs = "达到" + n_met.astype(str) + f"项/共{len(reqs)}项要求"
        return RuleResult("max", points, lines, inputs)


# -- 10. attainment of a target ------------------------------------------------------


@register
class Attainment(Rule):
    kind: Literal["attainment"] = "attainment"
    title: ClassVar[str] = "目标完成率计分"
    reads: ClassVar[Reads] = "observations"
    target: float | None = Field(default=None, gt=0)  # None: per-unit target rows (item=target)
    direction: Literal["higher", "lower"] = "higher"
    quantity: str = "完成值"
    unit_of_measure: str = ""
    zero_below: float = Field(default=0.0, ge=0, le=1)  # ratio under which the item scores 0
    missing: Literal["error", "zero"] = "error"

    def observation_items(self) -> frozenset[str]:
        return frozenset({"actual", "target"} if self.target is None else {"actual"})

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        return ValueSpec("目标值" if item == "target" else "完成值", 0.0)

    def item_rows(self) -> list[tuple[str | None, str]]:
        rows: list[tuple[str | None, str]] = [("actual", self.quantity)]
        if self.target is None:
            rows.append(("target", "目标值"))
        return rows

    def requirement(self, max_points: float, item: str | None) -> str:
        u = self.unit_of_measure
        if item == "target":
            return f"本单位的目标值{('（' + u + '）') if u else ''}"
        target = f"，目标{fmt(self.target)}{u}" if self.target is not None else ""
        better = "，越少越好" if self.direction == "lower" else ""
        return f"{self.quantity}的完成值{('（' + u + '）') if u else ''}{target}{better}"

    def words(self, max_points: float) -> str:
        return f"满分{fmt(max_points)}分，按{self.quantity}目标完成率计分"

    def score(self, ctx: LeafContext) -> RuleResult:
        """Points in proportion to attainment of a target, either direction, capped at full."""
        obs = unit_rows(ctx.obs)
        actual = combine_values(obs[obs["item"] == "actual"], "sum")
        if self.missing == "error":
            _require(ctx, actual.index, "缺少完成值（item=actual）")
        if self.target is None:
            tgt = combine_values(obs[obs["item"] == "target"], "sum")
            _require(ctx, tgt.index, "缺少目标值（item=target）")
            target = tgt["value"].reindex(ctx.unit_ids)
            tref = tgt["ref"].reindex(ctx.unit_ids).fillna("")
        else:
            target = pd.Series(self.target, index=ctx.unit_ids)
            tref = pd.Series("", index=ctx.unit_ids)
        act = actual["value"].reindex(ctx.unit_ids).fillna(0.0)
        if self.direction == "higher":
            ratio = act / target
        else:
            ratio = (target / act.where(act > 0)).fillna(1.0)
        ratio = ratio.clip(lower=0.0)
        used = ratio.clip(upper=1.0).where(ratio >= self.zero_below, 0.0)
        points = used * ctx.max_points
        u = self.unit_of_measure
        better = "" if self.direction == "higher" else "（越少越好）"
        inputs = (self.quantity + fmt_series(act) + u + "，目标" + fmt_series(target) + u + better
                  + "，完成率" + fmt_series(ratio * 100) + "%")
        text = inputs + "，得" + fmt_series(points) + "分"
        lost = ctx.max_points - points
        text = text.where(lost <= 1e-9, text + "，扣" + fmt_series(lost) + "分")
        if self.zero_below > 0:
            low = ratio < self.zero_below
            text = text.where(~low, text + f"（完成率低于{fmt(self.zero_below * 100)}%，本项不得分）")
        refs = actual["ref"].reindex(ctx.unit_ids).fillna("")
        refs = refs.where(tref == "", refs + "；" + tref)
        lines = lines_frame(ctx.unit_ids.to_numpy(), (points - ctx.max_points).to_numpy(),
                            text.to_numpy(), refs.to_numpy())
        return RuleResult("max", points, lines, inputs)


# -- 11. survey or satisfaction rate to points ---------------------------------------


class Band(Params):
    min: float = Field(ge=0, le=1)
    share: float = Field(ge=0, le=1)  # share of the item's maximum earned at or above min


@register
class RateToPoints(Rule):
    """``linear``: floor → 0, ceiling → full, in between in proportion; ``bands``: steps."""

    kind: Literal["rate_to_points"] = "rate_to_points"
    title: ClassVar[str] = "比率换算得分"
    reads: ClassVar[Reads] = "observations"

    method: Literal["linear", "bands"] = "linear"
    floor: float = Field(default=0.0, ge=0, le=1)
    ceiling: float = Field(default=1.0, gt=0, le=1)
    bands: list[Band] = []
    percent: bool = False  # values given as 92.5 rather than 0.925
    combine: Combine = "mean"
    what: str = "满意度"
    missing: Literal["error", "zero"] = "error"

    @model_validator(mode="after")
    def _bands(self) -> RateToPoints:
        if self.method == "bands" and not self.bands:
            raise ValueError("method: bands 须给出 bands")
        if self.method == "linear" and self.floor >= self.ceiling:
            raise ValueError("floor 须小于 ceiling")
        return self

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        if self.percent:
            return ValueSpec(self.what, 0.0, 100.0, percent="percent")
        return ValueSpec(self.what, 0.0, 1.0, percent="rate")

    def requirement(self, max_points: float, item: str | None) -> str:
        if self.percent:
            s = self.value_spec(max_points, item)
            return f"填写{self.what}（百分数的数值，{s.words()}，如 95.5）"
        return f"填写{self.what}（0～1 的小数，如 0.955；填 95.5% 按 0.955 读取）"

    def words(self, max_points: float) -> str:
        several = f"；多个评分人时{COMBINE_ZH[self.combine]}"
        if self.method == "linear":
            return (f"满分{fmt(max_points)}分，{self.what}{fmt(self.floor * 100)}%及以下得0分，"
                    f"{fmt(self.ceiling * 100)}%及以上得满分，其间按比例{several}")
        bands = "、".join(f"{fmt(b.min * 100)}%以上得{fmt(b.share * 100)}%" for b in self.bands)
        return f"满分{fmt(max_points)}分，{self.what}按分档计分：{bands}{several}"

    def score(self, ctx: LeafContext) -> RuleResult:
        obs = unit_rows(ctx.obs)
        comb = combine_values(obs, self.combine)
        if self.missing == "error":
            _require(ctx, comb.index, f"缺少{self.what}数据")
        rate = comb["value"].reindex(ctx.unit_ids).fillna(0.0)
        if self.percent:
            rate = rate / 100.0
        rate = rate.clip(0.0, 1.0)
        if self.method == "linear":
            share = ((rate - self.floor) / (self.ceiling - self.floor)).clip(0.0, 1.0)
            how = f"（{fmt(self.floor * 100)}%及以下得0分，{fmt(self.ceiling * 100)}%及以上得满分，其间按比例）"
        else:
            bands = sorted(self.bands, key=lambda b: b.min, reverse=True)
            share = pd.Series(0.0, index=ctx.unit_ids)
            for b in reversed(bands):
                share = share.where(rate < b.min - 1e-12, b.share)
            how = "（按分档计分）"
        points = share * ctx.max_points
        inputs = self.what + fmt_series(rate * 100) + "%"
        lost = ctx.max_points - points
        text = np.array([  # each unit's sentence in one pass, not one pass per "+"
            f"{i}{how}，得{pt}分" + (f"，扣{lt}分" if c else "")
            for i, pt, c, lt in zip(inputs.tolist(), fmt_series(points).tolist(),
                                    (~(lost <= 1e-9)).tolist(), fmt_series(lost).tolist(), strict=True)
        ], dtype=object)
        lines = lines_frame(ctx.unit_ids.to_numpy(), (points - ctx.max_points).to_numpy(),
                            text, comb["ref"].reindex(ctx.unit_ids).fillna("").to_numpy())
        return RuleResult("max", points, lines, inputs)


# -- 14. a component taken from another assessment (a level's, a period's, a proxy's) --


@register
class Component(Rule):
    """The item is another assessment's result on ``scale``, converted to this item's points.

    Several rows per unit (periods: quarters, months) are combined; ``proxy`` lets a unit
    take another unit's result (广元经开区 takes 利州区's provincial result).
    """

    kind: Literal["component"] = "component"
    title: ClassVar[str] = "引用其他考核结果"
    reads: ClassVar[Reads] = "observations"

    what: str = "评估结果"
    scale: float = Field(default=100.0, gt=0)
    combine: Combine = "mean"
    proxy: dict[str, str] = {}
    missing: Literal["error", "zero"] = "error"

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        return ValueSpec(f"{self.what}（{fmt(self.scale)}分制）", 0.0, float(self.scale))

    def converted(self, earned: float, max_points: float) -> str:
        return _conversion(self.what, self.scale, earned, max_points)

    def units_named(self) -> list[str]:
        return [u for pair in self.proxy.items() for u in pair]

    def refused_units(self) -> dict[str, str]:
        return {unit: f"本单位的{self.what}按单位“{other}”的结果执行（评分细则 proxy），"
                      "本单位自己的结果不参与计分：请删除该行"
                for unit, other in self.proxy.items()}

    def requirement(self, max_points: float, item: str | None) -> str:
        s = self.value_spec(max_points, item)
        return f"填写{self.what}（{fmt(self.scale)}分制，{s.words()}）"

    def words(self, max_points: float) -> str:
        return (f"满分{fmt(max_points)}分，{self.what}（{fmt(self.scale)}分制）折合本项分值"
                f"；多个评分人时{COMBINE_ZH[self.combine]}")

    def score(self, ctx: LeafContext) -> RuleResult:
        obs = unit_rows(ctx.obs)
        comb = combine_values(obs, self.combine)
        source_unit = pd.Series(ctx.unit_ids, index=ctx.unit_ids).replace(self.proxy)
        taken = comb.reindex(source_unit.to_numpy())
        taken.index = ctx.unit_ids
        if self.missing == "error":
            _require(ctx, taken.dropna(subset=["value"]).index, f"缺少{self.what}")
        value = taken["value"].fillna(0.0)
        points = (value / self.scale * ctx.max_points).clip(0.0, ctx.max_points)
        n = taken["n"].fillna(0).astype(int)
        periods = np.where(n > 1, n.astype(str) + "期" + COMBINE_ZH[self.combine], "")
        inputs = self.what + periods + fmt_series(value) + f"分（{fmt(self.scale)}分制）"
        proxied = source_unit != source_unit.index
        if proxied.any():
            names = ctx.units["name"].reindex(source_unit).to_numpy()
            names = pd.Series(names, index=ctx.unit_ids).fillna(source_unit)
            inputs = inputs.where(~proxied, inputs + "，按" + names + "结果执行")
        text = inputs + "，折合" + fmt_series(points) + "分"
        lines = lines_frame(ctx.unit_ids.to_numpy(), (points - ctx.max_points).to_numpy(),
                            text.to_numpy(), taken["ref"].fillna("").to_numpy())
        return RuleResult("max", points, lines, inputs)


__all__ = ["MissingDataError", "refs_by_unit", "unit_rows"]
