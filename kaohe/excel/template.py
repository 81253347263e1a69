"""``kaohe template``: one fill-in workbook per responsible department (责任单位).

Each workbook lists the units and only that department's indicators: a data sheet with one
row per unit × indicator × item (values, rater, reason), one sheet per event-type indicator
(bonus, inspections, veto) with dropdowns, an instructions sheet, and a very hidden metadata
sheet (scheme, year, department) that the importer checks. The sheets are protected and the
workbook structure is locked: only the input cells (yellow) can be edited, and their data
validation (number ranges, 1/0 and type dropdowns) catches most slips while typing. The
importer checks everything again: protection guards against accidents, not against intent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__
from ..dataset import Dataset, default_data_dir, empty_table, read_table
from ..engine import applicability
from ..errors import KaoheError, Problem, display_path
from ..normalize import ValueSpec
from ..office.digests import META_ROW, indicator_digest, terms_json
from ..rubric import LoadedRubric, Node, Rubric, load_rubric
from ..rules import Rule
from ..rules.base import fmt
from . import layout
from .layout import departments
from .workbook import (
    BORDER,
    CENTER,
    HEADER_FILL,
    HEADER_FONT,
    INPUT_FILL,
    TWO_DECIMALS,
    WRAP,
    save,
)

UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class Written:
    """One template written: where, for whom, and how many rows it asks for."""

    path: Path
    department: str
    rows: int
    event_sheets: int


def _rule(leaf: Node) -> Rule:
    """The rule of a scored leaf (a checked rubric gives every leaf one)."""
    assert leaf.rule is not None, leaf.id
    return leaf.rule


def read_units(directory: Path) -> Dataset:
    """The tables a template needs (units, not_applicable, items, item_roles), validated."""
    problems: list[Problem] = []
    tables = {}
    for name in ("units", "not_applicable", "items", "roles"):
        frame, _, probs = read_table(directory, name)
        problems += probs
        tables[name] = frame if frame is not None else empty_table(name)
    if not directory.is_dir():
        problems = [Problem(display_path(directory), "", "", "数据目录不存在：请先放入 units.csv"
                            "（或用 kaohe new-year 创建）")]
    if problems:
        raise KaoheError(problems)
    for name in ("observations", "events", "self_scores", "history"):
        tables[name] = empty_table(name)
    return Dataset(display_path(directory), False, "", tables)


def write_templates(params: Path | str, out: Path | str,
                    data_dir: Path | str | None = None) -> list[Written]:
    """Write one workbook per department into ``out``; refuse a broken rubric or units."""
    loaded = load_rubric(params)
    rubric = loaded.rubric
    directory = Path(data_dir) if data_dir else default_data_dir(params, rubric)
    data = read_units(directory)
    appl = applicability(rubric, data)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    key = Path(params).stem
    written, taken = [], set()
    for dept, leaves in departments(rubric).items():
        stem = f"{rubric.scheme}-{key}-{layout.file_stem(dept)}"
        name, n = stem, 2
        while name in taken:
            name, n = f"{stem}-{n}", n + 1
        taken.add(name)
        path = out / f"{name}.xlsx"
        assert path.resolve().parent == out.resolve()  # file_stem keeps it inside ``out``
        wb, rows, sheets = build_workbook(loaded, key, dept, leaves, data, appl)
        save(wb, path)
        written.append(Written(path, dept, rows, sheets))
    return written


def build_workbook(loaded: LoadedRubric, key: str, dept: str, leaves: Sequence[Node],
                   data: Dataset, appl: pd.DataFrame) -> tuple[Workbook, int, int]:
    rubric = loaded.rubric
    wb = Workbook()
    guide = wb.active
    guide.title = layout.INSTRUCTIONS
    lists = wb.create_sheet(layout.LISTS)
    meta = wb.create_sheet(layout.META)
    units = data.units
    names = list(units["name"])
    for i, n in enumerate(names, start=1):
        lists.cell(i, 1, n)
    unit_range = f"{quote_sheetname(layout.LISTS)}!$A$1:$A${max(len(names), 1)}"

    obs_leaves = [n for n in leaves if _rule(n).reads == "observations"]
    event_leaves = [n for n in leaves if _rule(n).reads == "events"]
    sheets: list[tuple[str, str, str]] = []  # (sheet, table, indicator)
    where: dict[str, str] = {}
    rows = 0
    if obs_leaves:
        ws = wb.create_sheet(layout.DATA, 1)
        rows = _data_sheet(ws, obs_leaves, data, appl, dept)
        sheets.append((layout.DATA, "observations", ""))
        for n in obs_leaves:
            where[n.id] = layout.DATA
    taken = {layout.INSTRUCTIONS, layout.DATA, layout.LISTS, layout.META}
    for col, leaf in enumerate(event_leaves, start=2):
        name = layout.event_sheet_name(leaf.id, taken)
        taken.add(name)
        ws = wb.create_sheet(name, len(sheets) + 1)
        types = _rule(leaf).event_type_names()
        for i, (_, tname) in enumerate(types, start=1):
            lists.cell(i, col, tname)
        letter = get_column_letter(col)
        type_range = f"{quote_sheetname(layout.LISTS)}!${letter}$1:${letter}${max(len(types), 1)}"
        _event_sheet(ws, leaf, len(units), unit_range, type_range)
        sheets.append((name, "events", leaf.id))
        where[leaf.id] = name
    _guide(guide, loaded, key, dept, leaves, where, rubric)
    _meta(meta, loaded, key, dept, sheets, leaves)
    lists.sheet_state = "veryHidden"
    meta.sheet_state = "veryHidden"
    wb.active = 0
    wb.security = WorkbookProtection(lockStructure=True)
    return wb, rows, len(event_leaves)


def _header(ws: Worksheet, columns: Sequence[layout.Column]) -> None:
    for j, col in enumerate(columns, start=1):
        c = ws.cell(layout.HEADER_ROW, j, col.header)
        c.font, c.fill, c.alignment, c.border = HEADER_FONT, HEADER_FILL, CENTER, BORDER
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[layout.HEADER_ROW].height = 30


def _protect(ws: Worksheet) -> None:
    """Lock every cell but the unlocked (input) ones; columns and rows may still be resized,
    and the filter used."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False


def _data_rows(leaves: Sequence[Node], data: Dataset,
               appl: pd.DataFrame) -> list[tuple[Node, str | None, str, str | None, str]]:
    """(leaf, unit_id, unit name, item, item name) of every row of the data sheet."""
    units = data.units
    items = data.items
    roles = data.roles
    out: list[tuple[Node, str | None, str, str | None, str]] = []
    for leaf in leaves:
        rule = _rule(leaf)
        if rule.row_level() != "unit":  # rows about reform items: one per item held
            held = set(roles.loc[roles["role"].isin(list(rule.item_roles())), "item_id"])
            for item_id, name in zip(items["item_id"], items["name"], strict=True):
                if item_id in held:
                    out.append((leaf, None, "", item_id, name))
            continue
        mask = appl[leaf.id]
        for u, name in zip(units["unit_id"], units["name"], strict=True):
            if not mask.get(u, False):
                continue
            for item, item_name in rule.item_rows():
                out.append((leaf, u, name, item, item_name))
    return out


def _data_sheet(ws: Worksheet, leaves: Sequence[Node], data: Dataset,
                appl: pd.DataFrame, dept: str) -> int:
    cols = layout.OBS_COLUMNS
    _header(ws, cols)
    pos = {c.key: j for j, c in enumerate(cols, start=1)}
    source = "" if dept == layout.NO_DEPARTMENT else dept
    checks: dict[tuple, DataValidation] = {}
    rows = _data_rows(leaves, data, appl)
    for r, (leaf, unit_id, unit_name, item, item_name) in enumerate(rows, start=2):
        values = {"unit_id": unit_id, "unit_name": unit_name or None, "indicator_id": leaf.id,
                  "indicator_name": leaf.name, "item": item, "item_name": item_name or None,
                  "max": leaf.max_points, "requirement": _rule(leaf).requirement(leaf.max_points, item),
                  "value": None, "source": source or None, "note": None}
        for col in cols:
            c = ws.cell(r, pos[col.key], values[col.key])
            c.border = BORDER
            c.alignment = WRAP
            if col.input:
                c.protection = UNLOCKED
                c.fill = INPUT_FILL
        ws.cell(r, pos["max"]).number_format = TWO_DECIMALS
        spec = _rule(leaf).value_spec(leaf.max_points, item)
        dv = checks.get(_spec_key(spec))
        if dv is None:
            dv = _validation(spec)
            checks[_spec_key(spec)] = dv
            ws.add_data_validation(dv)
        dv.add(ws.cell(r, pos["value"]))
    ws.freeze_panes = ws.cell(2, pos["indicator_id"])
    last = get_column_letter(len(cols))
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    _protect(ws)
    return len(rows)


def _spec_key(spec: ValueSpec) -> tuple:
    return (spec.what, spec.lo, spec.hi, spec.choices)


def _validation(spec: ValueSpec) -> DataValidation:
    """Excel's own check while typing: a 1/0 dropdown, or a number range."""
    if spec.choices:
        dv = DataValidation(type="list", formula1='"1,0"', allow_blank=True)
    elif spec.hi is not None:
        dv = DataValidation(type="decimal", operator="between", formula1=_f(spec.lo),
                            formula2=_f(spec.hi), allow_blank=True)
    else:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual",
                            formula1=_f(spec.lo or 0.0), allow_blank=True)
    dv.errorTitle = "填报值不符合要求"
    dv.error = f"{spec.what}应为 {spec.words()}"
    dv.promptTitle = "填报值"
    dv.prompt = f"{spec.what}：{spec.words()}"
    dv.showErrorMessage = True
    dv.showInputMessage = True
    return dv


def _f(x: float | None) -> str:
    v = float(x or 0.0)
    return fmt(v) if v.is_integer() else repr(v)


def _event_sheet(ws: Worksheet, leaf: Node, n_units: int, unit_range: str,
                 type_range: str) -> None:
    cols = layout.event_columns(_rule(leaf))
    _header(ws, cols)
    n_rows = max(layout.EVENT_ROWS_MIN, 2 * n_units)
    pos = {c.key: j for j, c in enumerate(cols, start=1)}
    first, last = 2, n_rows + 1
    for r in range(first, last + 1):
        for j, _ in enumerate(cols, start=1):
            c = ws.cell(r, j)
            c.protection = UNLOCKED
            c.fill = INPUT_FILL
            c.border = BORDER
        ws.cell(r, pos["date"]).number_format = "yyyy-mm-dd"
    unit_dv = DataValidation(type="list", formula1=unit_range, allow_blank=True)
    unit_dv.error, unit_dv.errorTitle = "请从下拉列表中选择被考核单位", "单位不在名单中"
    type_dv = DataValidation(type="list", formula1=type_range, allow_blank=True)
    type_dv.error, type_dv.errorTitle = "请从下拉列表中选择事件类型", "类型不在列表中"
    checks = [(unit_dv, "unit_name"), (type_dv, "type")]
    if "value" in pos:
        v = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                           allow_blank=True)
        v.error, v.errorTitle = "上级扣分应为不小于0的数值", "填报值不符合要求"
        checks.append((v, "value"))
    for dv, key in checks:
        dv.showErrorMessage = True
        letter = get_column_letter(pos[key])
        dv.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    _protect(ws)


def _guide(ws: Worksheet, loaded: LoadedRubric, key: str, dept: str, leaves: Sequence[Node],
           where: dict[str, str], rubric: Rubric) -> None:
    """The instructions sheet: what this workbook is, how to fill it, every indicator."""
    lines = [
        (f"{rubric.title}　填报模板", None),
        ("责任单位", dept),
        ("考核年度", key),
        ("考核文件", rubric.document or "—"),
        ("填报说明", "只能在黄色单元格中填写；其他单元格和工作表结构已保护，请勿改名、增删工作表或列。"),
        ("", "“数据填报”表：每行一个单位的一个指标（或分项），在“填报值”中填数字；"
             "没有发生或未达到请填 0，不要留空；扣分请在“说明”中写明理由。"),
        ("", "同一指标有多位评分人时，可复制本文件，每人一份，分别修改“评分人/数据来源”后一并导入。"),
        ("", "“事件-…”表：每行一件事，从下拉列表选择单位和类型，日期写成 2023-06-12，"
             "情况说明必填（将写入考核反馈）；未用的行留空。"),
        ("", "请勿使用公式或合并单元格；数值按每行的“填报要求”填写（比率可填 95.5% 或 0.955）。"),
        ("导入", f"kaohe import {loaded.path} 本文件.xlsx（kaohe {__version__} 生成）"),
    ]
    r = 1
    for label, text in lines:
        if text is None:
            ws.cell(r, 1, label).font = HEADER_FONT
        else:
            ws.cell(r, 1, label).font = HEADER_FONT
            ws.cell(r, 2, text).alignment = WRAP
        r += 1
    r += 1
    header = ["指标编号", "指标名称", "满分", "考核内容", "评分规则", "填报位置"]
    for j, h in enumerate(header, start=1):
        c = ws.cell(r, j, h)
        c.font, c.fill, c.alignment, c.border = HEADER_FONT, HEADER_FILL, CENTER, BORDER
    for leaf in leaves:
        r += 1
        values = [leaf.id, leaf.name, leaf.max_points, leaf.content or leaf.standard,
                  _rule(leaf).words(leaf.max_points), where.get(leaf.id, "")]
        for j, v in enumerate(values, start=1):
            c = ws.cell(r, j, v)
            c.alignment, c.border = WRAP, BORDER
        ws.cell(r, 3).number_format = TWO_DECIMALS
    for j, w in enumerate((12, 40, 8, 40, 50, 16), start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    _protect(ws)


def _meta(ws: Worksheet, loaded: LoadedRubric, key: str, dept: str,
          sheets: Sequence[tuple[str, str, str]], leaves: Sequence[Node]) -> None:
    r = loaded.rubric
    rows: list[tuple[object, ...]] = [("format", layout.FORMAT), ("scheme", r.scheme), ("key", key), ("year", r.year),
            ("period", r.period), ("department", dept), ("rubric_sha256", loaded.sha256),
            ("kaohe_version", __version__)]
    rows += [("sheet", name, table, ind) for name, table, ind in sheets]
    # what each indicator asked when the template was made: an import refuses it if changed
    rows += [(META_ROW, leaf.id, indicator_digest(leaf), terms_json(leaf)) for leaf in leaves]
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row, start=1):
            ws.cell(i, j, v)
    _protect(ws)
