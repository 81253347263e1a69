"""``results.xlsx``: the scores as an office's own tables, written by ``kaohe score``.

Sheet 考核结果 is the bulletin table: each first-level indicator over its items in a
two-level merged header (一、责任落实（10分） over 主体责任落实（3分） …), then the base, the
rescaled total, the adjustments, the total, the rank and the result lists. Sheet 得分明细 is
``details.csv`` with Chinese headers; sheet 说明 says where the numbers came from. Scores
keep their full precision and show two decimals; headers are frozen; widths fit the text.
The same scores give the same bytes (``workbook.save``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__
from ..rubric import Node, Rubric
from ..rules.base import fmt
from .workbook import (
    BORDER,
    CENTER,
    HEADER_FILL,
    HEADER_FONT,
    TWO_DECIMALS,
    WRAP,
    BulkRows,
    SharedStyle,
    append_rows,
    display_width,
    fit_width,
    save,
)

FILE = "results.xlsx"
BULLETIN = "考核结果"
DETAILS = "得分明细"
ABOUT = "说明"

DETAIL_HEADERS = {
    "unit_id": "单位编号", "unit_name": "单位名称", "indicator_id": "指标编号",
    "indicator_name": "指标名称", "section": "一级指标", "department": "责任单位",
    "method": "考核方式", "rule": "评分规则", "applicable": "是否适用", "max": "满分",
    "points": "得分", "lost": "扣分", "inputs": "依据", "reason": "得分说明", "refs": "数据来源",
}
DETAIL_NUMBERS = ("max", "points", "lost")


@dataclass(frozen=True)
class Col:
    """A bulletin column: its top header (None: spans both header rows), its own header,
    and how to get each unit's value."""

    group: str | None
    header: str
    values: pd.Series  # by unit_id
    number: bool = True


def _points(node: Node) -> str:
    return f"{node.name}（{fmt(node.max_points)}分）"


def bulletin_columns(rubric: Rubric, totals: pd.DataFrame, nodes: pd.DataFrame) -> list[Col]:
    """The columns of the bulletin table, left to right."""
    t = totals.set_index("unit_id")
    earned = nodes.pivot(index="unit_id", columns="node_id", values="earned")
    cols = [Col(None, "单位", t["name"], number=False)]
    kinds = {k.id: k.name for k in rubric.unit_kinds}
    if len(kinds) > 1:
        cols.append(Col(None, "类别", t["kind"].map(kinds).fillna(t["kind"]), number=False))
    for g in rubric.groups:
        if g != "kind" and g in t.columns:
            cols.append(Col(None, g, t[g], number=False))
    for i, top in enumerate(rubric.indicators, start=1):
        head = f"{_cn(i)}、{_points(top)}"
        if top.is_leaf:
            cols.append(Col(None, head, earned[top.id]))
            continue
        for child in top.children:
            cols.append(Col(head, _points(child), earned[child.id]))
        if len(top.children) > 1:
            cols.append(Col(head, "小计", earned[top.id]))
    cols.append(Col(None, "基础得分", t["base"]))
    if "rescale" in rubric.order:
        cols.append(Col(None, "折算得分", t["rescaled"]))
    adjust = [a for a in rubric.adjustments
              if a.rule is not None and a.rule.carries_points and a.id in t.columns]
    for a in adjust:
        cols.append(Col("加减分", a.name, t[a.id]))
    cols.append(Col(None, "总分", t["total"]))
    cols.append(Col(None, "名次", t["rank"]))
    if "grade" in t.columns:
        cols.append(Col(None, "等次", t["grade"], number=False))
    if "advanced" in t.columns:
        name = "、".join(dict.fromkeys(s.name for s in rubric.results.advanced)) or "先进"
        cols.append(Col(None, name, t["advanced"].map({True: "是"}).fillna(""), number=False))
    if "warning" in t.columns:
        name = "、".join(dict.fromkeys(s.name for s in rubric.results.warning)) or "警示"
        cols.append(Col(None, name, t["warning"].map({True: "是"}).fillna(""), number=False))
    if "converted" in t.columns:
        name = "、".join(dict.fromkeys(s.name for s in rubric.results.conversion)) or "折算加分"
        cols.append(Col(None, name, t["converted"]))
    if "vetoed" in t.columns and t["vetoed"].fillna(False).astype(bool).any():
        reason = t["veto_reason"].where(t["vetoed"].fillna(False).astype(bool), "")
        cols.append(Col(None, "一票否决", reason.fillna(""), number=False))
    return cols


def _cn(n: int) -> str:
    from ..report.html import cn_number

    return cn_number(n)


def bulletin_order(rubric: Rubric, totals: pd.DataFrame) -> list[str]:
    """Units as the bulletin lists them: by ranking group (first appearance), then rank."""
    t = totals.reset_index(drop=True)
    within = [c for c in rubric.results.ranking.within if c in t.columns]
    if within:
        group = pd.Series(["|".join("" if pd.isna(x) else str(x) for x in row)
                           for row in t[within].itertuples(index=False, name=None)], index=t.index)
    else:
        group = pd.Series("", index=t.index)
    first = {g: i for i, g in enumerate(dict.fromkeys(group))}
    keyed = pd.DataFrame({"g": group.map(first), "rank": t["rank"].astype(float),
                          "pos": range(len(t)), "unit_id": t["unit_id"]})
    keyed = keyed.sort_values(["g", "rank", "pos"], kind="mergesort")
    return list(keyed["unit_id"])


def _bulletin(ws: Worksheet, rubric: Rubric, totals: pd.DataFrame, nodes: pd.DataFrame) -> None:
    cols = [Col(None, "序号", pd.Series(dtype=object), number=False)]
    cols += bulletin_columns(rubric, totals, nodes)
    order = bulletin_order(rubric, totals)
    # two header rows: a column with a group spans it in row 1; one without spans both rows
    j = 1
    while j <= len(cols):
        col = cols[j - 1]
        if col.group is None:
            _head(ws, 1, j, col.header)
            _head(ws, 2, j, None)
            ws.merge_cells(start_row=1, start_column=j, end_row=2, end_column=j)
            j += 1
            continue
        k = j
        while k < len(cols) and cols[k].group == col.group:
            k += 1
        _head(ws, 1, j, col.group)
        for m in range(j, k + 1):
            _head(ws, 2, m, cols[m - 1].header)
            if m > j:
                _head(ws, 1, m, None)
        if k > j:
            ws.merge_cells(start_row=1, start_column=j, end_row=1, end_column=k)
        j = k + 1
    framed = SharedStyle(border=BORDER)
    shown = {f: SharedStyle(border=BORDER, number_format=f) for f in ("0", TWO_DECIMALS)}
    # each column's number style: ranks whole, scores two decimals; None for text
    numbers = [None if not col.number else shown["0" if col.header == "名次" else TWO_DECIMALS]
               for col in cols[1:]]
    values = [_plain_column(col.values.reindex(order)) for col in cols[1:]]
    append_rows(ws, [range(1, len(order) + 1), *values],  # 序号, then the columns
                lambda j, value: numbers[j - 1] if j and numbers[j - 1] and isinstance(
                    value, float) else framed)
    ws.freeze_panes = ws.cell(3, 3)
    for j, col in enumerate(cols, start=1):
        if col.number:  # the header wraps over two lines; numbers need ~8 columns
            width = min(14.0, max(9.0, display_width(col.header) / 2 + 2))
        else:
            width = fit_width([col.header] + [str(v) for v in col.values.reindex(order)], hi=40)
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[2].height = 45


def _head(ws: Worksheet, row: int, col: int, text: str | None) -> None:
    c = ws.cell(row, col, text)
    c.font, c.fill, c.alignment, c.border = HEADER_FONT, HEADER_FILL, CENTER, BORDER


def _plain_column(values: pd.Series) -> list[object]:
    """``_plain`` of every value of a column, by its dtype where that says what they are
    (a numpy bool, integer or float column; any other, such as nullable integers, value
    by value)."""
    kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else ""
    if kind == "b":
        return ["是" if v else "否" for v in values.tolist()]
    if kind in ("i", "u"):
        return [float(v) for v in values.tolist()]
    if kind == "f":
        return [None if v != v else v for v in values.tolist()]  # NaN is blank
    return [v if type(v) is str else _plain(v) for v in values.tolist()]


def _plain(value: object) -> object:
    """A cell value openpyxl writes as it should read: numpy scalars to Python, NaN blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return float(value)
    return value


def _details(ws: Worksheet, details: pd.DataFrame) -> None:
    keys = [k for k in DETAIL_HEADERS if k in details.columns]
    for j, k in enumerate(keys, start=1):
        _head(ws, 1, j, DETAIL_HEADERS[k])
    frame = details[keys]
    # the numbers show two decimals; the reasons and inputs wrap, blank or not
    number, wrap = SharedStyle(number_format=TWO_DECIMALS), SharedStyle(alignment=WRAP)
    numbers = [k in DETAIL_NUMBERS for k in keys]
    wraps = [wrap if k in ("reason", "inputs") else None for k in keys]
    values = [_plain_column(frame[k]) for k in keys]
    BulkRows(ws, values, lambda j, value: number if numbers[j] and isinstance(value, float)
             else wraps[j])
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{max(len(frame) + 1, 2)}"
    for j, k in enumerate(keys, start=1):
        sample = frame[k].astype(str).head(200).tolist()
        hi = 60 if k in ("reason", "inputs") else 30
        ws.column_dimensions[get_column_letter(j)].width = fit_width(
            [DETAIL_HEADERS[k]] + sample, lo=8, hi=hi)


def _about(ws: Worksheet, rubric: Rubric, provenance: dict) -> None:
    rows: Sequence[tuple[str, object]] = [
        ("考核", rubric.title), ("文件", rubric.document or "—"), ("组织单位", rubric.authority or "—"),
        ("评分细则", provenance.get("rubric", "")), ("评分细则 SHA-256", provenance.get("rubric_sha256", "")),
        ("数据目录", provenance.get("data", "")),
        ("示例数据", "是：本结果由示例数据计算，非真实考核结果" if provenance.get("sample_data") else "否"),
        ("计算程序", f"kaohe {__version__}"),
        ("格式", "分数保留全部精度，显示两位小数；排名按评分细则（results.ranking.decimals）公布的位数"),
        ("明细", "得分明细表即 details.csv；每一处加分扣分及其数据来源行见 reasons.csv"),
    ]
    for r, (k, v) in enumerate(rows, start=1):
        ws.cell(r, 1, k).font = HEADER_FONT
        ws.cell(r, 2, v).alignment = WRAP
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 90


def write_results(rubric: Rubric, totals: pd.DataFrame, details: pd.DataFrame,
                  nodes: pd.DataFrame, provenance: dict, out: Path | str) -> Path:
    """Write ``results.xlsx`` into ``out``; the same scores give the same bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = BULLETIN
    _bulletin(ws, rubric, totals, nodes)
    _details(wb.create_sheet(DETAILS), details)
    _about(wb.create_sheet(ABOUT), rubric, provenance)
    return save(wb, Path(out) / FILE)
