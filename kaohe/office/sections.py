"""Report sections for the office's marks: 草稿（材料未齐）, 已更正 with before → after, and
a unit's appeals with their decisions. Small functions of the report ``Doc`` (as in
``kaohe.report.sections``), each returning a Fragment, or None when there is nothing to say."""

from __future__ import annotations

from ..report.html import Column, Fragment, table, tag


def _draft(doc) -> str:
    returns = doc.data.provenance.get("returns") or {}
    if returns.get("complete", True):
        return ""
    text = "草稿（材料未齐）：部分责任单位的材料尚未报送，本结果仅供核对，不作为正式考核结果。"
    lacking = returns.get("departments") or {}
    if doc.unit_id is None and lacking:  # departments by name; indicator ids stay internal
        text += "尚缺：" + "、".join(f"{d}（{n}项指标）" for d, n in lacking.items()) + "。"
    return tag("div", text, "draft-banner sample-banner")


def _correction(doc) -> str:
    c = doc.data.correction
    if c.empty:
        return ""
    if doc.unit_id is not None:
        mine = c[c["unit_id"] == doc.unit_id]
        if mine.empty:
            return ""
        changes = "；".join(f"{r['what']} {r['before']} → {r['after']}" for _, r in mine.iterrows())
        why = "；".join(dict.fromkeys(r["why"] for _, r in mine.iterrows() if r["why"]))
        return tag("div", f"已更正：{changes}。" + (f"原因：{why}" if why else ""),
                   "correction-note")
    units = c.drop_duplicates("unit_id")
    names = "、".join(units["name"])
    return tag("div", f"已更正：本版本更正了上一版本中 {len(units)} 个单位的结果（{names}），"
                      "详见更正通知。", "correction-note")


def notices(doc) -> Fragment | None:
    """The draft banner and the correction note, at the top of a page."""
    text = _draft(doc) + _correction(doc)
    return Fragment(text, "更正与草稿说明") if text else None


def appeals(doc) -> Fragment | None:
    """A unit's appeals (申诉) and the office's decisions; nothing when it made none."""
    a = doc.data.appeals
    if doc.unit_id is None or a.empty:
        return None
    mine = a[a["unit_id"] == doc.unit_id]
    if mine.empty:
        return None
    rows = [[r["indicator"], r["received"], r["claim"], r["decision"], r["decided"], r["reason"]]
            for _, r in mine.iterrows()]
    cols = [Column("指标"), Column("收到日期", nowrap=True), Column("申诉事项"),
            Column("复核决定", nowrap=True), Column("决定日期", nowrap=True), Column("理由")]
    body = doc.heading("申诉与复核") + table(cols, rows, doc.caption("本单位的申诉及复核决定")).html
    return Fragment(tag("section", raw=body, cls="appeals"), "申诉与复核")


__all__ = ["notices", "appeals"]
