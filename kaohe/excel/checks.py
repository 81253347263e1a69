"""Each row of a filled template or CSV read and checked against the rubric and units.

A row passes when its unit exists (by id, or by name on events sheets, normalised by
``kaohe.normalize``), its indicator is a leaf whose rule reads this table and, in a template,
one of the template's department; its item or event type is one the rule knows; its value
is one the rule can hold (``normalize.value_spec``); the indicator applies to the unit; an
event has its description (a veto its reason). Rows sent twice are found across all files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..dataset import Dataset
from ..engine import applicability
from ..errors import Problem
from ..normalize import (
    CellError,
    Normalised,
    UnitIndex,
    ValueSpec,
    clean_code,
    clean_text,
    is_blank,
    name_key,
    parse_date,
    parse_number,
    suggest,
)
from ..rubric import LoadedRubric, Node
from ..rules import rows
from .layout import department_of
from .reader import RawRow


@dataclass(frozen=True)
class Clean:
    """A row that passed: its table values (text or float) and where it came from."""

    table: str
    values: dict[str, object]
    row: RawRow

    @property
    def where(self) -> str:
        letter = self.row.letters.get("value") or next(iter(self.row.letters.values()), "")
        cell = f"（单元格{letter}{self.row.line}所在行）" if letter else ""
        return f"{self.row.file}:{self.row.line}{cell}"


# -- the rubric-side context of a row -------------------------------------------------------


@dataclass
class Context:
    """What a row is checked against: the rubric's leaves and their rules, the units, which
    indicator applies to which unit (``applies_to`` and not_applicable.csv), the reform items."""

    loaded: LoadedRubric
    units: UnitIndex
    appl: pd.DataFrame
    na_reasons: dict[tuple[str, str], str]
    item_names: dict[str, str]

    def __post_init__(self) -> None:
        r = self.loaded.rubric
        self.leaves: dict[str, Node] = {n.id: n for n in r.scored_leaves()}
        self.nodes: set[str] = {n.id for n, _, _ in r.walk()} | set(self.leaves)
        self.reads = {i: n.rule.reads for i, n in self.leaves.items() if n.rule}


def context(loaded: LoadedRubric, data: Dataset) -> Context:
    units = data.units
    appl = applicability(loaded.rubric, data)
    na = {(u, i): r for u, i, r in zip(data.not_applicable["unit_id"],
                                       data.not_applicable["indicator_id"],
                                       data.not_applicable["reason"], strict=True)}
    return Context(loaded, UnitIndex(dict(zip(units["unit_id"], units["name"], strict=True))),
                   appl, na, dict(zip(data.items["item_id"], data.items["name"], strict=True)))


# -- one row ---------------------------------------------------------------------------------


class _Row:
    """Collects a row's values, notes and problems while its cells are read."""

    def __init__(self, row: RawRow):
        self.row = row
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []

    def read(self, key: str, fn: Callable[[object], Normalised]) -> object:
        try:
            got = fn(self.row.cells.get(key))
        except CellError as exc:
            self.problems.append(self.row.at(key, str(exc)))
            return None
        self.notes += [self.row.at(key, n) for n in got.notes]
        return got.value

    def fail(self, key: str, message: str) -> None:
        self.problems.append(self.row.at(key, message))


def check_row(row: RawRow, ctx: Context) -> tuple[Clean | None, list[Problem], list[Problem]]:
    """A raw row read and checked: (the clean row or None, problems, notes)."""
    r = _Row(row)
    checker = {"observations": _observation, "events": _event,
               "not_applicable": _not_applicable}[row.table]
    values = checker(r, ctx)
    if r.problems or values is None:
        return None, r.problems, r.notes
    return Clean(row.table, values, row), [], r.notes


def _indicator(r: _Row, ctx: Context, table: str) -> Node | None:
    if r.row.indicator is not None:
        ind = r.row.indicator
    else:
        ind = r.read("indicator_id", clean_code)  # type: ignore[assignment]  # text or None
        if ind is None:
            if not r.problems:
                r.fail("indicator_id", "指标编号不能为空")
            return None
    node = ctx.leaves.get(ind)
    if node is None:
        r.fail("indicator_id", f"指标“{ind}”不是评分细则中的末级指标或加减分项"
                               f"{suggest(ind, ctx.leaves)}")
        return None
    if ctx.reads.get(ind) != table:
        other = {"observations": "数据填报（observations）", "events": "事件（events）"}.get(
            ctx.reads.get(ind, ""), "")
        where = f"应填在{other}中" if other else "其得分取自其他指标或分期结果，不读取数据"
        r.fail("indicator_id", f"指标“{ind} {node.name}”不读取本表数据：{where}")
        return None
    if r.row.department is not None and department_of(node) != r.row.department:
        r.fail("indicator_id", f"指标“{ind} {node.name}”的责任单位是“{department_of(node)}”，"
                               f"不属于本模板（{r.row.department}）：请用该单位的模板填报")
        return None
    return node


def _unit(r: _Row, ctx: Context, key: str, by_name: bool) -> str | None:
    fn = ctx.units.by_name if by_name else ctx.units.by_id
    return r.read(key, fn)  # type: ignore[return-value]


def _applies(r: _Row, ctx: Context, unit: str, node: Node, key: str) -> None:
    if unit in ctx.appl.index and node.id in ctx.appl.columns and not ctx.appl.at[unit, node.id]:
        reason = ctx.na_reasons.get((unit, node.id)) or (
            node.applies_to.reason if node.applies_to and node.applies_to.reason else "")
        why = f"（{reason}）" if reason else ""
        r.fail(key, f"指标“{node.id} {node.name}”对单位“{ctx.units.names[unit]}”不适用{why}，"
                    "但填了数据：请删除该行，或修改适用范围")


def _observation(r: _Row, ctx: Context) -> dict | None:
    node = _indicator(r, ctx, "observations")
    rule = node.rule if node is not None else None
    level = rule.row_level() if rule is not None else "unit"
    unit = None
    if not is_blank(r.row.cells.get("unit_id")):
        unit = _unit(r, ctx, "unit_id", by_name=False)
        if unit is not None and rule is not None:
            if level == "item":
                r.fail("unit_id", rows.ITEM_ROWS_ONLY)
            elif unit in rule.refused_units():
                r.fail("unit_id", rule.refused_units()[unit])
    elif rule is not None and level == "unit":
        r.fail("unit_id", rows.UNIT_REQUIRED)
    if unit is not None and "unit_name" in r.row.cells:
        written = r.read("unit_name", clean_text)
        listed = ctx.units.names[unit]
        if written is not None and written != listed:
            if name_key(str(written)) == name_key(listed):
                r.notes.append(r.row.at("unit_name", f"单位名称“{written}”按“{listed}”读取"))
            else:
                r.fail("unit_name", f"单位编号 {unit} 对应“{listed}”，名称却是“{written}”：请核对是哪个单位")
    before = len(r.problems)
    item = r.read("item", clean_code)
    item = None if item is None else str(item)
    if node is not None and rule is not None:
        if level != "unit":
            if item is None:
                r.fail("item", "按事项填报的指标须填写事项编号")
            elif item not in ctx.item_names:
                r.fail("item", f"事项“{item}”不在 items.csv 中{suggest(str(item), ctx.item_names)}")
        elif (msg := rows.wrong_item(node.id, rule.observation_items(), item)) is not None:
            r.fail("item", msg)
    value = None
    if node is not None and rule is not None and len(r.problems) == before:
        spec = rule.value_spec(node.max_points, item)  # the allowed values depend on the item
        before = len(r.problems)
        value = r.read("value", lambda v: parse_number(v, spec))
        if value is None and len(r.problems) == before:
            r.fail("value", "填报值为空：没有发生或未达到请填 0；不适用的单位请在 not_applicable.csv 说明")
    source = r.read("source", clean_text)
    note = r.read("note", clean_text)
    if unit is not None and node is not None:
        _applies(r, ctx, unit, node, "indicator_id" if r.row.indicator is None else "unit_name")
    if node is None:
        return None
    return {"unit_id": unit, "indicator_id": node.id, "source": source, "item": item,
            "value": value, "note": note}


def _event_type(r: _Row, node: Node) -> str | None:
    written = r.read("type", clean_text)
    if written is None:
        r.fail("type", "事件类型不能为空")
        return None
    assert node.rule is not None
    types = node.rule.event_type_names()
    for tid, name in types:
        if written in (tid, name):
            return tid
    key = name_key(str(written))
    for tid, name in types:
        if key in (name_key(tid), name_key(name)):
            r.notes.append(r.row.at("type", f"事件类型“{written}”按“{name}”读取"))
            return tid
    names = "、".join(f"{name}（{tid}）" for tid, name in types)
    r.fail("type", f"指标“{node.id}”的事件类型应为 {names} 之一，实为“{written}”")
    return None


def _event(r: _Row, ctx: Context) -> dict | None:
    node = _indicator(r, ctx, "events")
    by_name = "unit_name" in r.row.cells
    unit = _unit(r, ctx, "unit_name" if by_name else "unit_id", by_name)
    etype = _event_type(r, node) if node is not None else None
    work = r.read("work", clean_text) if "work" in r.row.cells else None
    value = None
    if "value" in r.row.cells:
        value = r.read("value", lambda v: parse_number(v, ValueSpec("上级扣分", 0.0)))
    date = r.read("date", parse_date)
    before = len(r.problems)
    description = r.read("description", clean_text)
    if description is None and len(r.problems) == before:
        if node is not None and node.rule is not None and not node.rule.carries_points:
            r.fail("description", "一票否决须写明情况说明（否决的事实和依据），不能为空")
        else:
            r.fail("description", "情况说明不能为空（将写入考核反馈）")
    if unit is not None and node is not None:
        _applies(r, ctx, unit, node, "unit_name" if by_name else "indicator_id")
    if node is None:
        return None
    return {"unit_id": unit, "indicator_id": node.id, "type": etype, "work": work,
            "value": value, "date": date, "description": description}


def _not_applicable(r: _Row, ctx: Context) -> dict | None:
    unit = _unit(r, ctx, "unit_id", by_name=False)
    ind = r.read("indicator_id", clean_code)
    if ind is None:
        r.fail("indicator_id", "指标编号不能为空")
    elif ind not in ctx.nodes:
        r.fail("indicator_id", f"指标“{ind}”不在评分细则中{suggest(str(ind), ctx.nodes)}")
    reason = r.read("reason", clean_text)
    if reason is None:
        r.fail("reason", "缺项须写明原因，不能为空")
    return {"unit_id": unit, "indicator_id": ind, "reason": reason}


# -- rows sent twice ------------------------------------------------------------------------------


def duplicate_key(c: Clean) -> tuple:
    """Rows that are the same row: same unit, indicator, rater and item (observations); the same
    event in every column but its value (events); the same unit and indicator (缺项)."""
    v = c.values
    if c.table == "observations":
        return (c.table, v["unit_id"], v["indicator_id"], v["source"], v["item"])
    if c.table == "events":
        return (c.table, v["unit_id"], v["indicator_id"], v["type"], v["work"], v["date"],
                v["description"])
    return (c.table, v["unit_id"], v["indicator_id"])


def duplicates(rows: Sequence[Clean]) -> list[Problem]:
    seen: dict[tuple, Clean] = {}
    problems = []
    for c in rows:
        k = duplicate_key(c)
        if k in seen:
            first = seen[k]
            same = "同一文件" if first.row.origin == c.row.origin else "另一文件"
            problems.append(c.row.at("", f"与{same} {first.where} 重复（{_what(c)}）：请删除其中一行"))
        else:
            seen[k] = c
    return problems


def _what(c: Clean) -> str:
    v = c.values
    if c.table == "observations":
        parts = [f"单位 {v['unit_id'] or '（事项）'}", f"指标 {v['indicator_id']}"]
        if v["item"]:
            parts.append(f"分项 {v['item']}")
        parts.append(f"评分人 {v['source'] or '（空）'}")
        return "、".join(parts) + "均相同"
    if c.table == "events":
        return f"单位 {v['unit_id']}、指标 {v['indicator_id']}、类型 {v['type']}、情况说明均相同"
    return f"单位 {v['unit_id']}、指标 {v['indicator_id']}均相同"


__all__ = ["Clean", "Context", "context", "check_row", "duplicates", "duplicate_key"]
