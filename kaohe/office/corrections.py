"""Corrections (更正): what changed between two published versions, and why.

A unit's result changed when its total, rank, grade or membership of a list (先进, 警示,
一票否决, results over consecutive years) differs between the previous version's score
table and the new one. Each change is one row: unit, what, before, after, why — why being
the appeals decided for that unit since the previous version, and the publisher's note.

While ``publish`` builds the new version's pages, the correction is handed to the report
preparation (``pending``), so the unit reports of changed units say 已更正, before → after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import pandas as pd

from ..report.html import num
from ..rubric import Rubric

COLUMNS = ["unit_id", "name", "what", "before", "after", "why"]
CORRECTION_CSV = "correction.csv"
CORRECTION_HTML = "correction.html"

# The correction of the version being published, for the report preparation to pass on.
_PENDING: ContextVar[pd.DataFrame | None] = ContextVar("kaohe_pending_correction", default=None)


@contextlib.contextmanager
def pending(correction: pd.DataFrame | None) -> Iterator[None]:
    """Within this block, report preparation writes ``correction`` beside the score tables."""
    token = _PENDING.set(correction)
    try:
        yield
    finally:
        _PENDING.reset(token)


def current() -> pd.DataFrame | None:
    return _PENDING.get()


def read_totals(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def list_columns(rubric: Rubric, totals: pd.DataFrame) -> dict[str, str]:
    """Boolean result columns of totals.csv that are lists, with their Chinese names."""
    r = rubric.results
    names = {
        "advanced": "、".join(dict.fromkeys(s.name for s in r.advanced)) or "先进",
        "warning": "、".join(dict.fromkeys(s.name for s in r.warning)) or "警示",
        "vetoed": "一票否决",
        "barred": "不得评为先进",
        **{hf.id: hf.name for hf in r.history_flags},
    }
    return {c: n for c, n in names.items() if c in totals.columns}


def _truthy(x: str) -> bool:
    return str(x).strip().lower() in ("true", "1", "是")


def _total_text(x: str) -> str:
    try:
        return num(float(x)) if str(x).strip() else "—"
    except ValueError:
        return str(x)


def compare(rubric: Rubric, before: pd.DataFrame, after: pd.DataFrame,
            why: dict[str, str], note: str = "") -> pd.DataFrame:
    """One row per changed result of a unit, in the new table's order."""
    old = before.set_index("unit_id", drop=False)
    lists = list_columns(rubric, after)
    rows = []
    for _, new in after.iterrows():
        u = new["unit_id"]
        reason = "；".join(x for x in (why.get(u, "") or "因其他单位的结果更正而变化", note) if x)
        if u not in old.index:
            rows.append([u, new["name"], "新增单位", "—", _total_text(new["total"]), reason])
            continue
        prev = old.loc[u]
        if prev["total"] != new["total"]:
            a, b = _total_text(prev["total"]), _total_text(new["total"])
            if a == b:  # differs beyond two decimals: show what the tables hold
                a, b = prev["total"], new["total"]
            rows.append([u, new["name"], "总分", a, b, reason])
        if prev.get("rank") != new.get("rank"):
            rows.append([u, new["name"], "名次", prev.get("rank", ""), new.get("rank", ""), reason])
        if "grade" in after.columns and prev.get("grade", "") != new.get("grade", ""):
            rows.append([u, new["name"], "等次", prev.get("grade") or "—", new.get("grade") or "—",
                         reason])
        for col, name in lists.items():
            was, now = _truthy(prev.get(col, "")), _truthy(new.get(col, ""))
            if was != now:
                rows.append([u, new["name"], name, "是" if was else "否", "是" if now else "否",
                             reason])
    for u in old.index.difference(after["unit_id"]):
        rows.append([u, old.at[u, "name"], "删除单位", _total_text(old.at[u, "total"]), "—",
                     note])
    return pd.DataFrame(rows, columns=COLUMNS)


def write_csv(correction: pd.DataFrame, path: Path) -> Path:
    correction.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def notice_html(correction: pd.DataFrame, *, title: str, version: int, previous: int,
                note: str, appeals: list[dict], css: str, authority: str,
                sample: bool) -> str:
    """correction.html: the notice in the reports' style."""
    from .pages import grid, heading, page, para

    units = correction["unit_id"].nunique() if len(correction) else 0
    # no date in the page: the publication time is in manifest.json and the log
    body = [para(f"本版本（第{version}版）更正第{previous}版的考核结果，共涉及 {units} 个单位。")]
    if note:
        body.append(para(f"更正说明：{note}"))
    if len(correction):
        body.append(heading("更正内容"))
        body.append(grid(["单位", "项目", "更正前", "更正后", "更正原因"], nowrap=4, rows=
                         correction[["name", "what", "before", "after", "why"]].to_numpy().tolist()))
    else:
        body.append(para("各单位的总分、名次、等次和名单均无变化。"))
    if appeals:
        body.append(heading("据以更正的申诉复核决定"))
        body.append(grid(["单位", "指标", "收到日期", "申诉事项", "复核决定", "决定日期", "理由"],
                         [[a["unit"], a["indicator"], a["received"], a["claim"], a["decision"],
                           a["decided"], a["reason"]] for a in appeals]))
    name = f"{title}结果更正通知" if title.endswith("考核") else f"{title}考核结果更正通知"
    return page(name, name, "".join(body), css,
                authority=authority, sample=sample)


__all__ = ["COLUMNS", "CORRECTION_CSV", "CORRECTION_HTML", "compare", "pending", "current",
           "write_csv", "notice_html", "read_totals", "list_columns"]
