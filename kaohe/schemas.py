"""pandera models of every input table of a scheme-year's data directory.

Each model documents its columns (``docs/data.md`` is checked against ``TABLES``), and
``check_frame`` turns pandera's failure cases into located problems: file, line, column.
Cross-table checks (does the unit exist? does the indicator read observations?) need the
rubric and live in ``kaohe.dataset``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from pandera.typing import Series

from .errors import Problem


def _pandera_without_dask() -> None:
    """Keep pandera from importing ``dask.dataframe`` when it builds a schema.

    A model's ``to_schema()`` asks which index annotations each installed backend offers
    (``pandera.typing.get_index_types``); with dask installed (for ``--executor dask``) that
    imports ``pandera.typing.dask``, which imports ``dask.dataframe``: 0.35–0.55 s of CPU in
    every process that reads a data directory, for models that are pandas only and have no
    index annotation. Importing pandera's dask typing once while ``dask`` is hidden leaves
    it without dask types; ``dask`` itself stays importable (the executor imports it)."""
    if "dask" in sys.modules or "pandera.typing.dask" in sys.modules:
        return  # dask is there already (a Dask worker): nothing to save
    sys.modules["dask"] = None  # type: ignore[assignment]  # an import of it fails at once
    try:
        import pandera.typing.dask  # noqa: F401
    finally:
        del sys.modules["dask"]


_pandera_without_dask()


class Units(pa.DataFrameModel):
    """被考核单位：one row per unit. Extra columns (region, county …) are group columns."""

    unit_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    name: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    kind: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = False


class Observations(pa.DataFrameModel):
    """原始数据：one value per unit × indicator × source (rater) × item."""

    unit_id: Series[str] = pa.Field(nullable=True)  # blank: an item-level row (改革事项)
    indicator_id: Series[str] = pa.Field(str_length={"min_value": 1})
    source: Series[str] = pa.Field(nullable=True)
    item: Series[str] = pa.Field(nullable=True)
    value: Series[float] = pa.Field(nullable=False)
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["unit_id", "indicator_id", "source", "item"]


class Events(pa.DataFrameModel):
    """事件：awards, adopted reports, pilots, inspections, findings, criticism, vetoes."""

    unit_id: Series[str] = pa.Field(str_length={"min_value": 1})
    indicator_id: Series[str] = pa.Field(str_length={"min_value": 1})
    type: Series[str] = pa.Field(str_length={"min_value": 1})
    work: Series[str] = pa.Field(nullable=True)
    value: Series[float] = pa.Field(nullable=True, ge=0)
    date: Series[str] = pa.Field(nullable=True)
    description: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True


class NotApplicable(pa.DataFrameModel):
    """缺项：an indicator that does not apply to a unit this year, with the reason."""

    unit_id: Series[str] = pa.Field(str_length={"min_value": 1})
    indicator_id: Series[str] = pa.Field(str_length={"min_value": 1})
    reason: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        unique = ["unit_id", "indicator_id"]


class Items(pa.DataFrameModel):
    """事项：reform items (改革事项) with their class and peer group (专项)."""

    item_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    class_: Series[str] = pa.Field(alias="class", nullable=True)
    group: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True


class ItemRoles(pa.DataFrameModel):
    """事项分工：which unit leads (lead) or shares (responsible) which item."""

    item_id: Series[str] = pa.Field(str_length={"min_value": 1})
    unit_id: Series[str] = pa.Field(str_length={"min_value": 1})
    role: Series[str] = pa.Field(isin=["lead", "responsible"])

    class Config:
        strict = True
        unique = ["item_id", "unit_id"]


class SelfScores(pa.DataFrameModel):
    """自评：a unit's self-assessed points per indicator."""

    unit_id: Series[str] = pa.Field(str_length={"min_value": 1})
    indicator_id: Series[str] = pa.Field(str_length={"min_value": 1})
    points: Series[float] = pa.Field(ge=0)

    class Config:
        strict = True
        unique = ["unit_id", "indicator_id"]


class History(pa.DataFrameModel):
    """往年结果：earlier years' results, for rules over consecutive years and trends."""

    year: Series[int] = pa.Field(ge=1949, le=2100)
    unit_id: Series[str] = pa.Field(str_length={"min_value": 1})
    total: Series[float] = pa.Field(nullable=True)
    rank: Series[float] = pa.Field(nullable=True, ge=1)
    group_size: Series[float] = pa.Field(nullable=True, ge=1)
    grade: Series[str] = pa.Field(nullable=True)
    advanced: Series[bool]

    class Config:
        strict = False
        unique = ["year", "unit_id"]


@dataclass(frozen=True)
class Table:
    """An input table: its file name, model, numeric and boolean columns, and need."""

    file: str
    model: type[pa.DataFrameModel]
    numeric: tuple[str, ...] = ()
    boolean: tuple[str, ...] = ()
    integer: tuple[str, ...] = ()
    required: bool = False


TABLES: dict[str, Table] = {
    "units": Table("units.csv", Units, required=True),
    "observations": Table("observations.csv", Observations, numeric=("value",)),
    "events": Table("events.csv", Events, numeric=("value",)),
    "not_applicable": Table("not_applicable.csv", NotApplicable),
    "items": Table("items.csv", Items),
    "roles": Table("item_roles.csv", ItemRoles),
    "self_scores": Table("self_assessment.csv", SelfScores, numeric=("points",)),
    "history": Table("history.csv", History, numeric=("total", "rank", "group_size"),
                     boolean=("advanced",), integer=("year",)),
}


def columns_of(model: type[pa.DataFrameModel]) -> list[str]:
    return list(model.to_schema().columns)


def check_frame(df: pd.DataFrame, table: Table, shown: str) -> list[Problem]:
    """Validate with pandera (lazily: every failure) and locate each failure."""
    try:
        table.model.validate(df, lazy=True)
    except SchemaErrors as exc:
        return _locate(exc.failure_cases, shown)
    return []


_CHECK_ZH = {
    "field_uniqueness": "取值重复",
    "unique": "取值重复",
    "multiple_fields_uniqueness": "同一组合重复出现",
    "str_length": "不能为空",
    "not_nullable": "不能为空",
    "isin": "取值不在允许范围内",
    "greater_than_or_equal_to": "数值过小",
    "less_than_or_equal_to": "数值过大",
    "column_in_dataframe": "缺少必需的列",
    "column_in_schema": "多出未定义的列",
    "dtype": "类型不符",
}


def _locate(cases: pd.DataFrame, shown: str) -> list[Problem]:
    out = []
    for case in cases.itertuples(index=False):
        check = str(case.check)
        key = check.split("(")[0]
        zh = next((v for k, v in _CHECK_ZH.items() if key.startswith(k)), "校验未通过")
        idx = case.index
        line = str(int(idx) + 2) if idx is not None and not pd.isna(idx) else ""
        column = "" if case.column is None or pd.isna(case.column) else str(case.column)
        if key in ("column_in_dataframe", "column_in_schema"):
            column = str(case.failure_case)
        detail = "" if case.failure_case is None or pd.isna(case.failure_case) else case.failure_case
        # pandera's check name (not_nullable …) means nothing to the user: the words only
        msg = zh if not detail or key.startswith("column_in") else f"{zh}：{detail}"
        out.append(Problem(shown, line, column, msg))
    return out
