"""Rules over events — awards, adopted reports, pilots, inspections, findings, criticism
(catalogue 5, 6, 12, 15). Every event row carries its own description, which becomes
the reason shown to the unit."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from .base import (
    FLAG_COLUMNS,
    LeafContext,
    Params,
    Reads,
    Rule,
    RuleResult,
    cap_lines,
    concat_lines,
    empty_lines,
    fmt,
    lines_frame,
    register,
)


class Level(Params):
    name: str
    points: float = Field(ge=0)


def _describe(events: pd.DataFrame) -> pd.Series:
    return events["description"].fillna("").astype(str)


# -- 5. points per occurrence by level, capped, with a condition that zeroes the item --


@register
class LevelPoints(Rule):
    """Each event of a listed type earns its level's points; the sum is capped (封顶).
    An event of a ``zero_types`` type (e.g. poor reporting cost the county points) zeroes
    the item."""

    kind: Literal["level_points"] = "level_points"
    title: ClassVar[str] = "按级别计分（封顶）"
    reads: ClassVar[Reads] = "events"
    rows_optional: ClassVar[bool] = True

    levels: dict[str, Level]
    cap: float | None = Field(default=None, ge=0)
    zero_types: dict[str, str] = {}  # type -> what it means, in Chinese

    def event_type_names(self) -> list[tuple[str, str]]:
        return [(k, v.name) for k, v in self.levels.items()] + list(self.zero_types.items())

    def words(self, max_points: float) -> str:
        levels = "、".join(f"{v.name}{fmt(v.points)}分" for v in self.levels.values())
        cap = f"，最多{fmt(self.cap)}分" if self.cap is not None else ""
        return f"按级别计分：{levels}{cap}"

    def score(self, ctx: LeafContext) -> RuleResult:
        ev = ctx.events[ctx.events["type"].isin(self.levels.keys())]
        pts = ev["type"].map({k: v.points for k, v in self.levels.items()}).astype(float)
        lvl = ev["type"].map({k: v.name for k, v in self.levels.items()})
        texts = lvl + "：" + _describe(ev) + "，得" + pts.map(fmt) + "分"
        lines = lines_frame(ev["unit_id"].to_numpy(), pts.to_numpy(), texts.to_numpy(),
                            ev["ref"].to_numpy())
        points = pts.groupby(ev["unit_id"].to_numpy()).sum().reindex(ctx.unit_ids).fillna(0.0)
        cap = self.cap if self.cap is not None else None
        points, cap_l = cap_lines(points, cap, "本项")
        lines = concat_lines([lines, cap_l])
        zero = ctx.events[ctx.events["type"].isin(self.zero_types.keys())].drop_duplicates("unit_id")
        zero = zero[zero["unit_id"].isin(ctx.unit_ids)]
        if len(zero):
            rest = points.reindex(zero["unit_id"]).to_numpy()
            why = zero["type"].map(self.zero_types) + "：" + _describe(zero)
            lines = concat_lines([lines, lines_frame(
                zero["unit_id"].to_numpy(), -rest, (why + "，本项不得分").to_numpy(),
                zero["ref"].to_numpy())])
            points = points.where(~points.index.isin(zero["unit_id"]), 0.0)
        n = ev.groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        inputs = pd.Series(np.where(n > 0, "计分事项" + n.astype(str) + "项", "无计分事项"),
                           index=ctx.unit_ids)
        return RuleResult("zero", points, lines, inputs)


# -- 6. the same work once at its highest level, different works summed --------------


@register
class HighestPerWork(Rule):
    """Events with the same ``work`` (一项改革工作) count once, at their highest level
    (就高不就低); different works add up; ``cap`` None means no cap (上不封顶).
    An event with no ``work`` is a work of its own.

    ``per_piece`` lists the levels where every piece counts (安福: 《安福改革动态》单篇每篇5分):
    a work's score at such a level is its points × the work's pieces at that level, and the
    work still counts once, at the level where it scores most. Elsewhere several events of one
    work at one level count once."""

    kind: Literal["highest_per_work"] = "highest_per_work"
    title: ClassVar[str] = "同一工作就高计分，不同工作累加"
    reads: ClassVar[Reads] = "events"
    rows_optional: ClassVar[bool] = True

    levels: dict[str, Level]
    cap: float | None = Field(default=None, ge=0)
    what: str = "本项"
    per_piece: list[str] = []  # levels whose every piece counts (每篇), not once per work

    @model_validator(mode="after")
    def _per_piece_levels(self) -> HighestPerWork:
        unknown = [t for t in self.per_piece if t not in self.levels]
        if unknown:
            raise ValueError(f"per_piece 中的“{'、'.join(unknown)}”不在 levels 中")
        return self

    def event_type_names(self) -> list[tuple[str, str]]:
        return [(k, v.name) for k, v in self.levels.items()]

    def event_fields(self) -> dict[str, str]:
        return {"work": "工作事项（同一工作就高计分）"}

    def words(self, max_points: float) -> str:
        levels = "、".join(f"{v.name}{fmt(v.points)}分" for v in self.levels.values())
        cap = f"，累计不超过{fmt(self.cap)}分" if self.cap is not None else ""
        return f"同一工作就高计分、不同工作累加：{levels}{cap}"

    def score(self, ctx: LeafContext) -> RuleResult:
        ev = ctx.events.copy()
        ev["pts"] = ev["type"].map({k: v.points for k, v in self.levels.items()}).astype(float)
        ev["lvl"] = ev["type"].map({k: v.name for k, v in self.levels.items()})
        ev["work_key"] = ev["work"].where(ev["work"].notna() & (ev["work"] != ""), "#" + ev["ref"])
        # a work's score at a level: its points, × its pieces there where every piece counts
        each = ev["type"].isin(self.per_piece)
        pieces = ev.groupby(["unit_id", "work_key", "type"], sort=False)["ref"].transform("size")
        ev["level_pts"] = ev["pts"] * pieces.where(each, 1)
        ev = ev.sort_values(["unit_id", "work_key", "level_pts", "pts", "ref"],
                            ascending=[True, True, False, False, True], kind="mergesort")
        top = ev.groupby(["unit_id", "work_key"], sort=False)["type"].transform("first")
        first = ~ev.duplicated(["unit_id", "work_key"], keep="first")
        counted = first | ((ev["type"] == top) & ev["type"].isin(self.per_piece))
        best = ev[counted]
        dup = ev[~counted]
        work_txt = np.where(best["work"].notna() & (best["work"] != ""),
                            "（" + best["work"].fillna("").astype(str) + "）", "")
        texts = best["lvl"] + "：" + _describe(best) + work_txt + "，得" + best["pts"].map(fmt) + "分"
        lines = lines_frame(best["unit_id"].to_numpy(), best["pts"].to_numpy(), texts.to_numpy(),
                            best["ref"].to_numpy())
        if len(dup):
            dup_txt = ("同一工作已按最高级别计分，" + dup["lvl"] + "：" + _describe(dup)
                       + "不重复计分（0分）")
            lines = concat_lines([lines, lines_frame(dup["unit_id"].to_numpy(), 0.0,
                                                     dup_txt.to_numpy(), dup["ref"].to_numpy())])
        points = best.groupby("unit_id")["pts"].sum().reindex(ctx.unit_ids).fillna(0.0)
        points, cap_l = cap_lines(points, self.cap, self.what)
        lines = concat_lines([lines, cap_l])
        works = best.drop_duplicates(["unit_id", "work_key"])
        n = works.groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        inputs = pd.Series(np.where(n > 0, "计分工作" + n.astype(str) + "项", "无计分事项"),
                           index=ctx.unit_ids)
        return RuleResult("zero", points, lines, inputs)


# -- 15. credits that a later finding cancels and turns into a deduction -------------


class Round(Params):
    name: str  # e.g. "市级专项督查"
    credit: float = Field(ge=0)


@register
class CreditsFindings(Rule):
    """One event per unit and round it was inspected in (type = round id). ``value`` is
    the points the higher level deducted because of problems found at this unit (blank or
    0: none). No problem: +credit. A problem: no credit, and the same points deducted."""

    kind: Literal["credits_findings"] = "credits_findings"
    title: ClassVar[str] = "迎检赋分，发现问题取消并扣分"
    reads: ClassVar[Reads] = "events"
    rows_optional: ClassVar[bool] = True

    rounds: dict[str, Round]
    lost_by: str = "上级"  # whose points were lost, e.g. "长寿区"

    def event_type_names(self) -> list[tuple[str, str]]:
        return [(k, v.name) for k, v in self.rounds.items()]

    def event_fields(self) -> dict[str, str]:
        return {"value": "上级扣分（未发现问题留空）"}

    def words(self, max_points: float) -> str:
        rounds = "、".join(f"{v.name}{fmt(v.credit)}分" for v in self.rounds.values())
        return (f"每轮接受检查赋分（{rounds}）；出现问题导致{self.lost_by}被扣分的，"
                "取消该轮赋分并扣减同等分值")

    def score(self, ctx: LeafContext) -> RuleResult:
        ev = ctx.events.copy()
        ev["lost"] = ev["value"].fillna(0.0).astype(float)
        g = ev.groupby(["unit_id", "type"], sort=True)
        per = pd.DataFrame({"lost": g["lost"].sum(), "ref": g["ref"].agg("；".join),
                            "desc": g["description"].agg(lambda s: "；".join(x for x in s if x))})
        per = per.reset_index()
        per["round"] = per["type"].map({k: v.name for k, v in self.rounds.items()})
        per["credit"] = per["type"].map({k: v.credit for k, v in self.rounds.items()}).astype(float)
        found = per["lost"] > 0
        per["delta"] = np.where(found, -per["lost"], per["credit"])
        texts = np.where(
            found,
            "在" + per["round"] + "中出现问题导致" + self.lost_by + "被扣" + per["lost"].map(fmt)
            + "分，取消本轮赋分" + per["credit"].map(fmt) + "分，并扣减" + per["lost"].map(fmt) + "分",
            "接受" + per["round"] + "，赋分" + per["credit"].map(fmt) + "分",
        )
        texts = pd.Series(texts).where(per["desc"] == "", pd.Series(texts) + "（" + per["desc"] + "）")
        lines = lines_frame(per["unit_id"].to_numpy(), per["delta"].to_numpy(), texts.to_numpy(),
                            per["ref"].to_numpy())
        points = per.groupby("unit_id")["delta"].sum().reindex(ctx.unit_ids).fillna(0.0)
        n = per.groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        nf = per[found].groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        inputs = pd.Series(np.where(n > 0, "接受检查" + n.astype(str) + "轮，其中发现问题"
                                    + nf.astype(str) + "轮", "未接受上级检查"), index=ctx.unit_ids)
        return RuleResult("zero", points, lines, inputs)


# -- 12. veto (一票否决) -------------------------------------------------------------

VetoEffect = Literal["last_grade", "no_advanced", "zero"]
# what an effect is, as a label (report tables)
EFFECT_ZH = {"last_grade": "一票否决，评为最后一个等次", "no_advanced": "不得评为先进",
             "zero": "一票否决，考核得分计为0分"}
# a reason's words for an effect the document does not spell out: the rubric's choice, named
# as the 评分细则's (only the document's own words stand alone: ``VetoCase.says``)
EFFECT_BY_RUBRIC = {"last_grade": "一票否决，按评分细则评为最后一个等次",
                    "no_advanced": "不得评为先进",
                    "zero": "一票否决，按评分细则考核得分计为0分"}


class VetoCase(Params):
    """One case of 一票否决. ``says``: the document's own words for what follows (quoted in
    the reason); without it the reason names the effect as the 评分细则's."""

    name: str
    effect: VetoEffect = "last_grade"
    says: str = ""


@register
class Veto(Rule):
    """Each event of a listed type vetoes the unit with that case's effect. No points."""

    kind: Literal["veto"] = "veto"
    title: ClassVar[str] = "一票否决"
    reads: ClassVar[Reads] = "events"
    rows_optional: ClassVar[bool] = True
    carries_points: ClassVar[bool] = False

    cases: dict[str, VetoCase]

    def event_type_names(self) -> list[tuple[str, str]]:
        return [(k, v.name) for k, v in self.cases.items()]

    def words(self, max_points: float) -> str:
        return "一票否决：" + "、".join(c.name for c in self.cases.values())

    def score(self, ctx: LeafContext) -> RuleResult:
        ev = ctx.events
        name = ev["type"].map({k: v.name for k, v in self.cases.items()})
        effect = ev["type"].map({k: v.effect for k, v in self.cases.items()})
        says = ev["type"].map({k: v.says or EFFECT_BY_RUBRIC[v.effect]
                               for k, v in self.cases.items()})
        text = name + "：" + _describe(ev) + "，" + says
        flags = pd.DataFrame({"unit_id": ev["unit_id"].to_numpy(), "effect": effect.to_numpy(),
                              "text": text.to_numpy(), "ref": ev["ref"].to_numpy()})[FLAG_COLUMNS]
        lines = lines_frame(ev["unit_id"].to_numpy(), 0.0, text.to_numpy(), ev["ref"].to_numpy())
        points = pd.Series(0.0, index=ctx.unit_ids)
        n = ev.groupby("unit_id").size().reindex(ctx.unit_ids).fillna(0).astype(int)
        inputs = pd.Series(np.where(n > 0, "否决情形" + n.astype(str) + "项", "无否决情形"),
                           index=ctx.unit_ids)
        return RuleResult("zero", points, lines if len(lines) else empty_lines(), inputs, flags)

