"""Which rows a rule reads: the contract behind "读取 N 行 = 使用 N 行 + 拒绝 N 行".

A row is *used* when its rule reads it for a point or a reason; any other row is refused
with its location and why. The rule says what it reads (``Rule.row_level``,
``observation_items``, ``event_types``, ``value_spec``, ``refused_units``); this module turns
that into refusals of a table's rows, vectorised (a national year has millions of rows, and
only the refused ones are visited). The Excel import asks the same rule methods row by row
(``kaohe.excel.checks``), so a CSV and a template refuse the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def observation_refusals(indicator: str, rule: Rule, rows: pd.DataFrame, max_points: float,
                         item_ids: set[str]) -> Iterator[Refusal]:
    """The observation rows of one indicator that its rule does not read."""
    level = rule.row_level()
    blank = rows["unit_id"].isna().to_numpy()
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
        units = rows["unit_id"]
        hit = take(units.isin(list(away)).to_numpy())
        if len(hit):
            yield Refusal(hit, "unit_id", units.iloc[hit].map(away).reset_index(drop=True))
    items = rows["item"]
    item_rows = blank if level == "both" else np.full(len(rows), level == "item")
    bad_item = item_rows & ~items.isin(item_ids).to_numpy()
    hit = take(bad_item)
    if len(hit):
        texts = items.iloc[hit].map(lambda i: f"事项“{'' if i is None else i}”不在 items.csv 中")
        yield Refusal(hit, "item", texts.reset_index(drop=True))
    if level == "unit" or level == "both":
        allowed = rule.observation_items()
        unit_rows = ~item_rows & ~refused
        if level == "both":
            ok = items.isin(item_ids).to_numpy()
        elif allowed:
            ok = items.isin(list(allowed)).to_numpy()
        else:
            ok = items.isna().to_numpy()
        hit = take(unit_rows & ~ok)
        if len(hit):
            if level == "both":
                texts = items.iloc[hit].map(
                    lambda i: f"事项“{'' if i is None else i}”不在 items.csv 中")
            else:
                texts = items.iloc[hit].map(lambda i: wrong_item(indicator, allowed, i))
            yield Refusal(hit, "item", texts.reset_index(drop=True))
    yield from _values(indicator, rule, rows, max_points, refused)


def _values(indicator: str, rule: Rule, rows: pd.DataFrame, max_points: float,
            refused: np.ndarray) -> Iterator[Refusal]:
    """Values the rule cannot hold (``Rule.value_spec``): refused, never clipped.

    Linear in the rows: one spec per distinct item, then one vectorised comparison of every
    row against its item's bounds (a survey has 100,000 distinct items); only the rows
    refused are visited for their message."""
    if rows.empty:
        return
    codes, uniq = pd.factorize(rows["item"], use_na_sentinel=True)  # blank item → -1
    codes = np.where(codes < 0, len(uniq), codes)
    blank = rule.value_spec(max_points, None)
    read = set(np.unique(codes[~refused]).tolist())  # items of refused rows have no spec
    specs = [rule.value_spec(max_points, item) if i in read else blank
             for i, item in enumerate(uniq)]
    specs.append(blank)
    v = rows["value"].to_numpy(dtype=float, na_value=np.nan)
    lo = np.array([-np.inf if s.choices or s.lo is None else s.lo for s in specs])[codes]
    hi = np.array([np.inf if s.choices or s.hi is None else s.hi + 1e-9 for s in specs])[codes]
    bad = (v < lo) | (v > hi)
    for choices in {tuple(s.choices) for s in specs if s.choices}:  # 1/0 and the like
        these = np.array([tuple(s.choices or ()) == choices for s in specs])[codes]
        bad[these] = ~np.isin(v[these], choices)
    hit = np.flatnonzero(~refused & bad & ~np.isnan(v))
    if not len(hit):
        return
    texts = []
    for pos in hit:
        try:
            parse_number(float(v[pos]), specs[codes[pos]])
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
