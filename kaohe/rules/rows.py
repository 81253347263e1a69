"""Which rows a rule reads: the contract behind "读取 N 行 = 使用 N 行 + 拒绝 N 行".

A row is *used* when its rule reads it for a point or a reason; any other row is refused
with its location and why. The rule says what it reads (``Rule.row_level``,
``observation_items``, ``event_types``, ``value_spec``, ``refused_units``); this module turns
that into refusals of a table's rows, vectorised (a national year has millions of rows, and
only the refused ones are visited). The Excel import asks the same rule methods row by row
(``kaohe.excel.checks``), so a CSV and a template refuse the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import Code
from ..normalize import CellError, parse_number
from .base import Rule

UNIT_REQUIRED = "单位编号不能为空（本指标按单位评分，不读取单位编号为空的行）"
ITEM_ROWS_ONLY = ("本指标按改革事项测评，只读取事项行（单位编号留空、item 填事项编号）："
                  "请清空单位编号，或删除该行")


@dataclass(frozen=True)
class Refusal:
    """Rows (positions in the frame given) refused for one reason, at one column."""

    rows: np.ndarray  # positions
    column: str
    message: str | pd.Series  # one text for all, or one per row (aligned with ``rows``)
    code: Code = Code.ROW_NOT_READ


def wrong_item(indicator: str, allowed: frozenset[str], item: object) -> str | None:
    """Why a unit-level row's ``item`` is not one the rule reads, or None when it is."""
    blank = item is None or (isinstance(item, float) and item != item) or item == ""
    if not allowed:
        if blank:
            return None
        return (f"指标“{indicator}”不分项填报，item 应留空，实为“{item}”"
                "（该行不会参与计分：请清空 item，或删除该行）")
    if not blank and item in allowed:
        return None
    return (f"指标“{indicator}”的 item 应为 {'、'.join(sorted(allowed))} 之一，"
            f"实为“{'' if blank else item}”")


@dataclass(frozen=True)
class RowCodes:
    """The observation rows of one indicator as the checks read them: unit and item as codes
    into their distinct values (-1 where blank), the values as numbers. The loader hands
    over its reader's codes (no hashing of millions of cells per indicator); a frame is
    coded with ``of``."""

    unit: np.ndarray
    units: np.ndarray  # distinct unit ids (objects); may hold ids no row here has
    item: np.ndarray
    items: np.ndarray  # distinct items (objects); may hold items no row here has
    value: np.ndarray  # float, NaN where blank

    @classmethod
    def of(cls, rows: pd.DataFrame) -> RowCodes:
        unit, units = pd.factorize(rows["unit_id"])
        item, items = pd.factorize(rows["item"])
        return cls(unit, np.asarray(units, dtype=object), item, np.asarray(items, dtype=object),
                   rows["value"].to_numpy(dtype=float, na_value=np.nan))

    def __len__(self) -> int:
        return len(self.unit)


def _per_value(codes: np.ndarray, values: np.ndarray, test: Callable[[object], bool]
               ) -> np.ndarray:
    """``test`` of each row's value, False where blank (-1): asked once per distinct value
    that some row has, not once per row."""
    seen = np.zeros(len(values) + 1, dtype=bool)
    seen[codes] = True  # a blank's -1 marks the last slot
    answer = np.zeros(len(values) + 1, dtype=bool)
    for k in np.flatnonzero(seen[:-1]):
        answer[k] = test(values[k])
    out: np.ndarray = answer[codes]
    return out


def _texts(codes: np.ndarray, values: np.ndarray, say: Callable[[object], str | None]
           ) -> pd.Series:
    """One message per row from its value (None where blank)."""
    return pd.Series([say(None if c < 0 else values[c]) for c in codes.tolist()])


def _not_listed(i: object) -> str:
    return f"事项“{'' if i is None else i}”不在 items.csv 中"


def observation_refusals(indicator: str, rule: Rule, rows: pd.DataFrame | RowCodes,
                         max_points: float, item_ids: set[str]) -> Iterator[Refusal]:
    """The observation rows of one indicator that its rule does not read."""
    if isinstance(rows, pd.DataFrame):
        rows = RowCodes.of(rows)
    level = rule.row_level()
    blank = rows.unit < 0
    refused = np.zeros(len(rows), dtype=bool)

    def take(mask: np.ndarray) -> np.ndarray:
        nonlocal refused
        mask = mask & ~refused
        refused |= mask
        return np.flatnonzero(mask)

    if level == "unit" and blank.any():
        yield Refusal(take(blank), "unit_id", UNIT_REQUIRED)
    if level == "item" and (~blank).any():
        yield Refusal(take(~blank), "unit_id", ITEM_ROWS_ONLY)
    away = rule.refused_units()
    if away:
        hit = take(_per_value(rows.unit, rows.units, lambda u: u in away))
        if len(hit):
            yield Refusal(hit, "unit_id", _texts(rows.unit[hit], rows.units, lambda u: away[str(u)]))
    listed = _per_value(rows.item, rows.items, lambda i: i in item_ids)
    item_rows = blank if level == "both" else np.full(len(rows), level == "item")
    hit = take(item_rows & ~listed)
    if len(hit):
        yield Refusal(hit, "item", _texts(rows.item[hit], rows.items, _not_listed))
    if level == "unit" or level == "both":
        allowed = rule.observation_items()
        unit_rows = ~item_rows & ~refused
        if level == "both":
            ok = listed
        elif allowed:
            ok = _per_value(rows.item, rows.items, lambda i: i in allowed)
        else:
            ok = rows.item < 0
        hit = take(unit_rows & ~ok)
        if len(hit):
            say = (_not_listed if level == "both"
                   else lambda i: wrong_item(indicator, allowed, i))
            yield Refusal(hit, "item", _texts(rows.item[hit], rows.items, say))
    yield from _values(indicator, rule, rows, max_points, refused)


def _values(indicator: str, rule: Rule, rows: RowCodes, max_points: float,
            refused: np.ndarray) -> Iterator[Refusal]:
    """Values the rule cannot hold (``Rule.value_spec``): refused, never clipped.

    Linear in the rows: one spec per distinct item read, then one vectorised comparison of
    every row against its item's bounds (a survey has 100,000 distinct items); only the rows
    refused are visited for their message."""
    if not len(rows):
        return
    n = len(rows.items)
    codes = np.where(rows.item < 0, n, rows.item)  # blank item → n
    read = np.zeros(n + 1, dtype=bool)
    read[codes[~refused]] = True  # items of refused rows have no spec
    blank = rule.value_spec(max_points, None)
    specs = {int(k): rule.value_spec(max_points, rows.items[k]) if k < n else blank
             for k in np.flatnonzero(read)}
    lo = np.full(n + 1, -np.inf)
    hi = np.full(n + 1, np.inf)
    for k, s in specs.items():
        if not s.choices:
            lo[k] = -np.inf if s.lo is None else s.lo
            hi[k] = np.inf if s.hi is None else s.hi + 1e-9
    v = rows.value
    bad = (v < lo[codes]) | (v > hi[codes])
    for choices in {tuple(s.choices) for s in specs.values() if s.choices}:  # 1/0 and the like
        same = np.zeros(n + 1, dtype=bool)
        same[[k for k, s in specs.items() if tuple(s.choices) == choices]] = True
        these = same[codes]
        bad[these] = ~np.isin(v[these], choices)
    hit = np.flatnonzero(~refused & bad & ~np.isnan(v))
    if not len(hit):
        return
    texts = []
    for pos in hit:
        try:
            parse_number(float(v[pos]), specs[int(codes[pos])])
            texts.append(f"指标“{indicator}”：取值不符")
        except CellError as exc:
            texts.append(f"指标“{indicator}”：{exc}")
    yield Refusal(hit, "value", pd.Series(texts), Code.VALUE_OUT_OF_RANGE)


def event_refusals(indicator: str, rule: Rule, rows: pd.DataFrame) -> Iterator[Refusal]:
    """The event rows of one indicator that its rule does not read."""
    types = rule.event_types()
    hit = np.flatnonzero(~rows["type"].isin(list(types)).to_numpy())
    if len(hit):
        texts = rows["type"].iloc[hit].map(
            lambda t: f"指标“{indicator}”的事件类型应为 {'、'.join(sorted(types))} 之一，实为“{t}”")
        yield Refusal(hit, "type", texts.reset_index(drop=True))
