"""What a template looks like, shared by the writer (``template``) and the reader
(``reader``): sheet names, the columns of each sheet, and the hidden metadata sheet.

A template is refused on import when its structure differs from this layout (a renamed
sheet, a column added or removed), so the two sides can never drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..rubric import Node, Rubric
from ..rules import Rule

FORMAT = "kaohe-template/1"
INSTRUCTIONS = "填报说明"
DATA = "数据填报"
META = "_kaohe"  # very hidden: scheme, year, department, sheets
LISTS = "_lists"  # very hidden: the dropdown lists (unit names, event types)
EVENT_PREFIX = "事件-"
NO_DEPARTMENT = "未注明责任单位"
HEADER_ROW = 1  # the header is the first row of every data sheet; data start below it
EVENT_ROWS_MIN = 30  # empty rows offered on an events sheet (at least; 2 per unit otherwise)


@dataclass(frozen=True)
class Column:
    """One column of a data sheet: the table column it fills, its Chinese header, its width,
    and whether the department types in it (the only unlocked cells)."""

    key: str
    header: str
    width: float
    input: bool = False


OBS_COLUMNS: tuple[Column, ...] = (
    Column("unit_id", "单位编号", 14),
    Column("unit_name", "单位名称", 20),
    Column("indicator_id", "指标编号", 10),
    Column("indicator_name", "指标名称", 26),
    Column("item", "分项编号", 14),
    Column("item_name", "分项名称", 24),
    Column("max", "满分", 8),
    Column("requirement", "填报要求", 50),
    Column("value", "填报值", 12, input=True),
    Column("source", "评分人/数据来源", 22, input=True),
    Column("note", "说明（扣分理由等）", 40, input=True),
)


EVENT_FIELD_WIDTHS = {"work": 28, "value": 16}


def event_columns(rule: Rule) -> tuple[Column, ...]:
    """Columns of an events sheet; ``work`` and ``value`` only where the rule reads them."""
    cols = [Column("unit_name", "单位名称", 22, input=True),
            Column("type", "事件类型", 34, input=True)]
    cols += [Column(key, header, EVENT_FIELD_WIDTHS.get(key, 20), input=True)
             for key, header in rule.event_fields().items()]
    cols += [Column("date", "日期", 14, input=True),
             Column("description", "情况说明（必填）", 60, input=True)]
    return tuple(cols)


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def event_sheet_name(indicator_id: str, taken: set[str]) -> str:
    """``事件-bonus``: a valid, unique Excel sheet name (≤ 31 characters, no []:*?/\\)."""
    base = (EVENT_PREFIX + _BAD_SHEET_CHARS.sub("_", indicator_id))[:31]
    name, n = base, 2
    while name in taken:
        suffix = f"~{n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    return name


_UNSAFE_FILE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def file_stem(text: str) -> str:
    """A file-name-safe stem from a department's name: no path separators, no characters
    Windows refuses, no leading dots or runs of dots, at most 60 characters
    (``../../etc/x`` → ``___etc_x``): the file always lands in the output directory."""
    stem = _UNSAFE_FILE_CHARS.sub("_", text).strip(" .")
    stem = re.sub(r"\.{2,}", "_", stem)
    return stem[:60] or "_"


def department_of(node: Node) -> str:
    """The department a leaf's data comes from: its 责任单位, or a sheet of its own."""
    return node.department.strip() or NO_DEPARTMENT


def departments(rubric: Rubric) -> dict[str, list[Node]]:
    """Leaves that read observations or events, by responsible department, rubric order.
    Here, not beside the templates: ``kaohe score`` asks it for the returns state and
    should not import openpyxl for that (a quarter of a second)."""
    out: dict[str, list[Node]] = {}
    for leaf in rubric.scored_leaves():
        if leaf.rule is not None and leaf.rule.reads in ("observations", "events"):
            out.setdefault(department_of(leaf), []).append(leaf)
    return out


EXCEL_ROWS = 1_048_576  # rows of an Excel worksheet


def fits(details: pd.DataFrame) -> bool:
    """Whether the details sheet of ``results.xlsx`` (a header row and one row per unit ×
    indicator) fits in a worksheet; a national year (40,000 units × 30 indicators) does
    not. Asked before openpyxl is imported: a year that does not fit never needs it."""
    return len(details) + 1 <= EXCEL_ROWS
