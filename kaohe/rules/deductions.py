"""Rules that start from the maximum and deduct, floor at zero (扣完为止)
(catalogue 3, 4, 8)."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ..normalize import ZERO_ONE, ValueSpec
from .base import (
    LeafContext,
    Params,
    Reads,
    RowLevel,
    Rule,
    RuleResult,
    combine_values,
    concat_lines,
    floor_lines,
    fmt,
    fmt_series,
    lines_frame,
    register,
)
from .points import MissingDataError, unit_rows

# -- 3. deductions per occurrence ----------------------------------------------------


class DeductionKind(Params):
    id: str
    name: str  # what happened, e.g. "少报每月动态"
    cost: float = Field(gt=0)  # points per occurrence
    unit: str = "次"


@register
class Deductions(Rule):
    """Each observation row counts occurrences of one kind (item = kind id, value = count).

    A unit with no row had no occurrence: deductions are recorded when they happen.
    ``cite``: each reason names the row's ``source`` and ends with its ``note`` — when rows
    come from a series of documents (广元's monthly bulletins: which bulletin, what it found).
    """

    kind: Literal["deductions"] = "deductions"
    title: ClassVar[str] = "按次扣分，扣完为止"
    reads: ClassVar[Reads] = "observations"
    rows_optional: ClassVar[bool] = True

    kinds: list[DeductionKind]
    floor: bool = True
    cite: bool = False

    def observation_items(self) -> frozenset[str]:
        return frozenset(k.id for k in self.kinds)

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        return ValueSpec("次数", 0.0)

    def item_rows(self) -> list[tuple[str | None, str]]:
        return [(k.id, k.name) for k in self.kinds]

    def requirement(self, max_points: float, item: str | None) -> str:
        k = next(k for k in self.kinds if k.id == item)
        return f"{k.name}的{k.unit}数（没有填 0；每{k.unit}扣{fmt(k.cost)}分）"

    def words(self, max_points: float) -> str:
        return f"满分{fmt(max_points)}分，按次扣分，扣完为止：" + "、".join(
            f"{k.name}每{k.unit}扣{fmt(k.cost)}分" for k in self.kinds)

    def score(self, ctx: LeafContext) -> RuleResult:
        obs = unit_rows(ctx.obs)
        kinds = pd.DataFrame([k.model_dump() for k in self.kinds]).set_index("id")
        counts = obs[obs["value"] > 0]
        cost = kinds["cost"].reindex(counts["item"]).to_numpy() * counts["value"].to_numpy()
        names = kinds["name"].reindex(counts["item"]).to_numpy()
        units = kinds["unit"].reindex(counts["item"]).to_numpy()
        each = kinds["cost"].reindex(counts["item"]).to_numpy()
        # numbers formatted once per distinct value (many rows share a count and a cost)
        texts = [
            f"{n}{c}{u}，每{u}扣{e}分，扣{t}分"
            for n, c, u, e, t in zip(names, fmt_series(counts["value"]).tolist(), units,
                                     fmt_series(pd.Series(each)).tolist(),
                                     fmt_series(pd.Series(cost)).tolist(), strict=True)
        ]
        if self.cite:
            texts = [(f"{src}：" if isinstance(src, str) and src else "") + t
                     + (f"（{note}）" if isinstance(note, str) and note else "")
                     for src, t, note in zip(counts["source"], texts, counts["note"], strict=True)]
        lines = lines_frame(counts["unit_id"].to_numpy(), -cost, texts, counts["ref"].to_numpy())
        lost = pd.Series(cost, index=counts["unit_id"].to_numpy()).groupby(level=0).sum()
        raw = ctx.max_points - lost.reindex(ctx.unit_ids).fillna(0.0)
        if self.floor:
            points, back = floor_lines(raw, ctx.max_points)
            lines = concat_lines([lines, back])
        else:
            points = raw
        n = counts.groupby("unit_id", observed=True)["value"].sum().reindex(ctx.unit_ids).fillna(0)
        inputs = pd.Series(np.where(n > 0, "扣分情形" + fmt_series(n) + "次", "无扣分情形"),
                           index=ctx.unit_ids)
        return RuleResult("max", points, lines, inputs)


# -- 4. a required count, with a quality gate ----------------------------------------


@register
class RequiredCount(Rule):
    """``required`` occurrences a year; ``cost`` per one short; a failed quality gate
    (a row with item = ``gate_item`` and value 0) zeroes the item."""

    kind: Literal["required_count"] = "required_count"
    title: ClassVar[str] = "规定次数，少一次扣分"
    reads: ClassVar[Reads] = "observations"
    rows_optional: ClassVar[bool] = True

    what: str  # e.g. "报送改革工作信息"
    required: float = Field(gt=0)
    cost: float = Field(gt=0)
    unit: str = "次"
    count_item: str = "count"
    gate_item: str | None = None
    gate_name: str = "质量不达标"
    floor: bool = True
    missing: Literal["error", "zero"] = "error"

    def observation_items(self) -> frozenset[str]:
        return frozenset({self.count_item} | ({self.gate_item} if self.gate_item else set()))

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        if item is not None and item == self.gate_item:
            return ValueSpec("质量达标情况", choices=ZERO_ONE)
        return ValueSpec("次数", 0.0)

    def item_rows(self) -> list[tuple[str | None, str]]:
        rows: list[tuple[str | None, str]] = [(self.count_item, f"{self.what}次数")]
        if self.gate_item:
            rows.append((self.gate_item, self.gate_name.replace("不达标", "") or "质量"))
        return rows

    def requirement(self, max_points: float, item: str | None) -> str:
        if item == self.gate_item:
            return f"质量达标填 1，{self.gate_name}填 0（不达标本项不得分）"
        return (f"{self.what}的{self.unit}数（要求不少于{fmt(self.required)}{self.unit}，"
                f"每少1{self.unit}扣{fmt(self.cost)}分）")

    def words(self, max_points: float) -> str:
        return (f"满分{fmt(max_points)}分，{self.what}不少于{fmt(self.required)}{self.unit}，"
                f"每少1{self.unit}扣{fmt(self.cost)}分")

    def score(self, ctx: LeafContext) -> RuleResult:
        obs = unit_rows(ctx.obs)
        cnt = combine_values(obs[obs["item"] == self.count_item], "sum")
        if self.missing == "error":
            missing = ctx.unit_ids.difference(cnt.index)
            if len(missing):
                raise MissingDataError(sorted(map(str, missing)), f"缺少{self.what}次数（item={self.count_item}）")
        count = cnt["value"].reindex(ctx.unit_ids).fillna(0.0)
        short = (self.required - count).clip(lower=0.0)
        lost = short * self.cost
        raw = ctx.max_points - lost
        ref = cnt["ref"].reindex(ctx.unit_ids).fillna("")
        has_short = short > 0
        text = (self.what + fmt_series(count) + self.unit + f"，要求不少于{fmt(self.required)}{self.unit}，少"
                + fmt_series(short) + self.unit + f"，每{self.unit}扣{fmt(self.cost)}分，扣" + fmt_series(lost) + "分")
        lines = lines_frame(ctx.unit_ids[has_short].to_numpy(), -lost[has_short].to_numpy(),
                            text[has_short].to_numpy(), ref[has_short].to_numpy())
        if self.floor:
            raw, back = floor_lines(raw, ctx.max_points)
            lines = concat_lines([lines, back])
        points = raw
        inputs = self.what + fmt_series(count) + self.unit
        if self.gate_item:
            gate = obs[obs["item"] == self.gate_item]
            failed = gate[gate["value"] <= 0].drop_duplicates("unit_id").set_index("unit_id")
            failed = failed[failed.index.isin(ctx.unit_ids)]
            if len(failed):
                rest = points.reindex(failed.index)
                gate_lines = lines_frame(
                    failed.index.to_numpy(), -rest.to_numpy(),
                    [f"{self.gate_name}，本项不计分（余下{fmt(r)}分不得）" for r in rest],
                    failed["ref"].to_numpy(),
                )
                lines = concat_lines([lines, gate_lines])
                points = points.where(~points.index.isin(failed.index), 0.0)
                inputs = inputs.where(~inputs.index.isin(failed.index), inputs + "，" + self.gate_name)
        return RuleResult("max", points, lines, inputs)


# -- 8. deduction per unmet item by item class (A/B/C) --------------------------------


@register
class ClassDeduction(Rule):
    """For each item a unit holds in one of ``roles``, a row with value 1 (target met) or 0.

    Rows may name the unit, or leave it blank to apply to every unit holding the item.
    """

    kind: Literal["class_deduction"] = "class_deduction"
    title: ClassVar[str] = "未达年度目标按事项类别扣分"
    reads: ClassVar[Reads] = "observations"
    rows_optional: ClassVar[bool] = True

    costs: dict[str, float]  # class -> points per unmet item
    roles: list[str] = ["lead"]
    floor: bool = True
    missing: Literal["error", "met"] = "error"

    def row_level(self) -> RowLevel:
        return "both"

    def item_roles(self) -> frozenset[str]:
        return frozenset(self.roles)

    def value_spec(self, max_points: float, item: str | None) -> ValueSpec:
        return ValueSpec("达标情况", choices=ZERO_ONE)

    def requirement(self, max_points: float, item: str | None) -> str:
        costs = "、".join(f"{c}类扣{fmt(x)}分" for c, x in self.costs.items())
        return f"本事项年度目标任务：达到填 1，未达到填 0（未达到：{costs}）"

    def words(self, max_points: float) -> str:
        return f"满分{fmt(max_points)}分，负责的改革事项未达年度目标按类别扣分"

    def score(self, ctx: LeafContext) -> RuleResult:
        held = ctx.roles[ctx.roles["role"].isin(self.roles) & ctx.roles["unit_id"].isin(ctx.unit_ids)]
        held = held[["unit_id", "item_id"]].drop_duplicates()
        obs = ctx.obs
        # One value per (unit, item) and per item, so the two merges below stay row-aligned with
        # ``held``; several sources' rows are combined as in checklist: unmet if any says unmet.
        by_unit = obs.dropna(subset=["unit_id"]).rename(columns={"item": "item_id"}).groupby(
            ["unit_id", "item_id"], as_index=False, sort=False).agg(
            value=("value", "min"), ref=("ref", "；".join))
        by_item = obs[obs["unit_id"].isna()].rename(columns={"item": "item_id"}).groupby(
            "item_id", as_index=False, sort=False).agg(value=("value", "min"), ref=("ref", "；".join))
        merged = held.merge(by_unit[["unit_id", "item_id", "value", "ref"]], how="left",
                            on=["unit_id", "item_id"])
        fill = held.merge(by_item[["item_id", "value", "ref"]], how="left", on="item_id")
        merged["value"] = merged["value"].fillna(fill["value"])
        merged["ref"] = merged["ref"].fillna(fill["ref"])
        if self.missing == "error" and merged["value"].isna().any():
            units = sorted(set(merged.loc[merged["value"].isna(), "unit_id"]))
            raise MissingDataError(units, "缺少所负责改革事项的年度目标完成情况（1=达到，0=未达到）")
        unmet = merged[merged["value"].fillna(1.0) <= 0].copy()
        unmet["class"] = ctx.items["class"].reindex(unmet["item_id"]).to_numpy()
        unmet["cost"] = unmet["class"].map(self.costs).fillna(0.0)
        unmet["name"] = ctx.items["name"].reindex(unmet["item_id"]).to_numpy()
        texts = [f"改革事项{i}“{n}”（{c}类）未达到年度目标任务，扣{fmt(x)}分"
                 for i, n, c, x in zip(unmet["item_id"], unmet["name"], unmet["class"], unmet["cost"],
                                       strict=True)]
        lines = lines_frame(unmet["unit_id"].to_numpy(), -unmet["cost"].to_numpy(), texts,
                            unmet["ref"].fillna("").to_numpy())
        lost = unmet.groupby("unit_id")["cost"].sum().reindex(ctx.unit_ids).fillna(0.0)
        raw = ctx.max_points - lost
        if self.floor:
            points, back = floor_lines(raw, ctx.max_points)
            lines = concat_lines([lines, back])
        else:
            points = raw
        n_held = held.groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        n_unmet = unmet.groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        inputs = "负责改革事项" + n_held.astype(str) + "项，未达年度目标" + n_unmet.astype(str) + "项"
        return RuleResult("max", points, lines, inputs)

