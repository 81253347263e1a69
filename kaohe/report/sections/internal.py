"""The office's internal page (考核办内部分析, 内部资料): rank robustness, self-assessment gaps
beyond the rubric's tolerance, rubric changes in words and the full provenance."""

from __future__ import annotations

import pandas as pd

from ...rules.base import fmt
from ...rules.selfcheck import SelfAssessment
from ..data import ReportData
from ..html import (
    Column,
    Fragment,
    is_missing,
    num,
    signed,
    table,
    tag,
)
from ..plan import internal_title
from .common import EPS, Doc, _advanced_name, masthead


def _self_check_tolerance(doc: Doc) -> tuple[float, bool] | None:
    """The rubric's allowed deviation of self-assessed from verified points (and whether
    only over-claiming counts), from its self-assessment adjustment; None when it has none."""
    for adj in doc.rubric.adjustments:
        if isinstance(adj.rule, SelfAssessment):  # the rule object holds its parameters
            return float(adj.rule.tolerance), bool(adj.rule.over_only)
    return None


def self_check_gaps(doc: Doc) -> Fragment | None:
    """自评与核定差异 (internal page): the indicators whose self-assessed points differ from
    the verified ones beyond the rubric's tolerance; none when the rubric sets none (a gap
    is then no finding). None without self-assessment."""
    s = doc.data.self_check
    if s.empty:
        return None
    s = s[s["self_points"].notna() & s["verified_points"].notna()]
    if s.empty:
        return None
    title = "自评与核定差异"
    parts = [doc.heading(title)]
    tol = _self_check_tolerance(doc)
    if tol is None:
        parts.append(tag("p", f"{s['unit_id'].nunique()}个单位提交了自评。评分细则未规定自评与核定的"
                              "允许偏差，差额不作为考核结果，不列示。"))
        return Fragment("".join(parts), title)
    limit, over_only = tol
    gap = s["gap"] if over_only else s["gap"].abs()
    off = s[gap > limit + EPS]
    if off.empty:
        parts.append(tag("p", f"{s['unit_id'].nunique()}个单位提交了自评，各项自评分与核定分的差额"
                              f"均未超过允许偏差{fmt(limit)}分。"))
        return Fragment("".join(parts), title)
    order = {u: i for i, u in enumerate(doc.totals.index)}
    off = off.assign(_o=off["unit_id"].map(order).fillna(len(order))) \
        .sort_values("_o", kind="stable")
    names = doc.totals["name"]
    rows = [[names.get(r["unit_id"], r["unit_id"]), doc.name(r["indicator_id"]),
             num(r["self_points"]), num(r["verified_points"]), signed(r["gap"]),
             r["ref"] if "ref" in off else ""] for _, r in off.iterrows()]
    parts.append(tag("p", f"{s['unit_id'].nunique()}个单位提交了自评，其中{off['unit_id'].nunique()}个单位"
                          f"共{len(off)}项指标的自评分高出核定分超过允许偏差{fmt(limit)}分，列示如下"
                          "（差额＝自评−核定，单位：分）。"))
    parts.append(table([Column("单位", nowrap=True), Column("指标"), Column("自评", True),
                        Column("核定", True), Column("差额", True), Column("数据来源", nowrap=True)],
                       rows, doc.caption(title)).html)
    return Fragment("".join(parts), title)


def rubric_changes(doc: Doc) -> Fragment | None:
    """评分细则变化: the differences from the previous year's rubric (``kaohe.diff``), so a
    reader comparing with last year knows which scores were made by different rules. Only
    when that rubric exists beside this one (``rubric_changes.csv`` in the scores)."""
    c = doc.data.rubric_changes
    if c.empty:
        return None
    prev = str(c["previous"].iloc[0])
    prev = f"{prev}年" if prev.isdigit() else prev  # 2019年, or a period: 2021-Q1
    c = c[c["text"] != ""]
    parts = [doc.heading("评分细则变化")]
    if c.empty:
        parts.append(tag("p", f"本年度评分细则与{prev}评分细则相比没有变化。"))
    else:
        parts.append(tag("p", f"与{prev}评分细则相比，本年度评分细则共有{len(c)}处变化"
                              "（按评分细则文件逐项比较得出），列示如下。"))
        # the sentence in words (no ids or parameter keys) where the scores carry it
        text = "words" if "words" in c.columns else "text"
        rows = [[str(i), r["section"], r[text]] for i, r in enumerate(c.to_dict("records"), 1)]
        parts.append(table([Column("序号", True), Column("类别", nowrap=True), Column("变化")],
                           rows, doc.caption(f"与{prev}评分细则相比的变化")).html)
    return Fragment("".join(parts), "评分细则变化")


def _robustness_method() -> str:
    """The analysis in words, with the defaults ``kaohe build`` ran it with."""
    import inspect

    from ...robustness import rank_robustness

    p = inspect.signature(rank_robustness).parameters
    return (f"在各一级指标权重各自上下浮动{fmt(p['spread'].default * 100)}%（按满分重新归一）、"
            "名额取整方式（四舍五入、向下取整、向上取整）和并列跨线处理（同评较高或较低等次）"
            f"随机选取的{p['draws'].default}次模拟中（固定随机种子，结果可重现）")


def _tier_columns(rob: pd.DataFrame) -> list[str]:
    return [c for c in rob.columns if c.startswith("p_") and c not in ("p_grade", "p_advanced")]


def robustness(doc: Doc) -> Fragment | None:
    """名次稳健性. In the bulletin: the units whose grade or advanced status could change
    under other defensible weights and quota choices, with their rank interval and grade
    probabilities; in a unit's report: that unit's line. None without ``robustness.csv``."""
    rob = doc.data.robustness
    if rob.empty:
        return None
    rob = rob.set_index("unit_id", drop=False)
    tiers = _tier_columns(rob)
    has_adv = "p_advanced" in rob.columns
    if doc.unit_id is not None:
        if doc.unit_id not in rob.index:
            return None
        r = rob.loc[doc.unit_id]
        bits = [f"名次在第{int(r['rank_min'])}至第{int(r['rank_max'])}名之间"
                f"（90%的模拟在第{int(r['rank_p5'])}至第{int(r['rank_p95'])}名之间）"]
        probs = [f"{c[2:]}{num(r[c])}" for c in tiers if not is_missing(r[c])]
        if probs:
            bits.append("评为各等次的概率：" + "、".join(probs))
        if has_adv:
            bits.append(f"列入{_advanced_name(doc, r['kind'])}的概率{num(r['p_advanced'])}")
        text = (f"{_robustness_method()}，本单位（本次第{int(r['rank'])}名）"
                + "；".join(bits) + "。")
        return Fragment(doc.heading("名次稳健性") + tag("p", text), "名次稳健性")
    could = pd.Series(False, index=rob.index)
    if "grade_could_change" in rob.columns:
        could |= rob["grade_could_change"]
    if has_adv:
        could |= rob["advanced_could_change"]
    parts = [doc.heading("名次稳健性")]
    what = "等次" + ("或" + _advanced_name(doc) + "结果" if has_adv else "")
    if not could.any():
        parts.append(tag("p", f"{_robustness_method()}，所有单位的{what}均不变。"))
        return Fragment("".join(parts), "名次稳健性")
    shown = rob[could]
    shown = shown.assign(group=doc.totals["group"].reindex(shown.index))
    shown = shown.sort_values(["group", "rank"], kind="mergesort")
    parts.append(tag("p", f"{_robustness_method()}，以下{len(shown)}个单位的{what}可能改变"
                          "（概率保留两位小数）。"))
    cols = [Column("单位", nowrap=True), Column("名次", True), Column("名次区间", nowrap=True)]
    cols += [Column(f"{c[2:]}概率", True) for c in tiers]
    if has_adv:
        cols.append(Column(f"{_advanced_name(doc)}概率", True))
    rows = []
    for _, r in shown.iterrows():
        row = [r["name"], str(int(r["rank"])), f"{int(r['rank_min'])}–{int(r['rank_max'])}"]
        row += [num(r[c]) for c in tiers]
        if has_adv:
            row.append(num(r["p_advanced"]))
        rows.append(row)
    parts.append(table(cols, rows, doc.caption("等次或评先结果可能改变的单位")).html)
    return Fragment("".join(parts), "名次稳健性")


def internal(data: ReportData) -> Doc:
    """Start the internal page of a scheme-year: analysis for the office, never for units."""
    return Doc(data)


def internal_header(doc: Doc) -> Fragment:
    head = masthead(doc, internal_title(doc.rubric.title), "内部资料　不得对外印发")
    note = tag("p", "本页供考核办内部研判使用：名次稳健性、自评与核定差异、评分细则变化和完整的"
                    "数据来源记录不随通报印发，也不发给被考核单位。")
    return Fragment(tag("div", "内部资料", "internal-mark") + head.html + note, head.what)
