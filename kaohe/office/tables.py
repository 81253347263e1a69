"""The office's own tables in a data directory: returns.csv and appeals.csv.

Read like every other table (``kaohe.dataset.read_table``: encodings, trimmed cells, numbers
with located errors, pandera), then checked against the rubric and units here. They are not
scoring inputs (``kaohe.schemas.TABLES``): a return says who sent the rows, an appeal why a
row changed; the rows themselves are in observations.csv and events.csv.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from ..dataset import read_table
from ..errors import Problem, display_path
from ..rubric import Rubric
from ..schemas import Table

DATE = r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$"
DECISIONS = ("维持", "部分采纳", "采纳")
UPHELD = ("部分采纳", "采纳")


class Returns(pa.DataFrameModel):
    """材料报送：one row per department × indicator returned (the latest row counts)."""

    department: Series[str] = pa.Field(str_length={"min_value": 1})
    indicator_id: Series[str] = pa.Field(str_length={"min_value": 1})
    file: Series[str] = pa.Field(nullable=True)
    sha256: Series[str] = pa.Field(nullable=True, str_matches=r"^[0-9a-f]{64}$")
    rows: Series[int] = pa.Field(ge=0)
    none_to_report: Series[bool]
    received: Series[str] = pa.Field(str_matches=DATE)
    rubric_digest: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True


class Appeals(pa.DataFrameModel):
    """申诉/复核：a unit's claim about an indicator, and the office's decision."""

    unit_id: Series[str] = pa.Field(str_length={"min_value": 1})
    indicator_id: Series[str] = pa.Field(str_length={"min_value": 1})
    received: Series[str] = pa.Field(str_matches=DATE)
    claim: Series[str] = pa.Field(str_length={"min_value": 1})
    decision: Series[str] = pa.Field(nullable=True, isin=list(DECISIONS))
    decided_by: Series[str] = pa.Field(nullable=True)
    decided: Series[str] = pa.Field(nullable=True, str_matches=DATE)
    reason: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["unit_id", "indicator_id", "received"]


OFFICE_TABLES: dict[str, Table] = {
    "returns": Table("returns.csv", Returns, integer=("rows",), boolean=("none_to_report",)),
    "appeals": Table("appeals.csv", Appeals),
}


def blank(x: object) -> bool:
    """A cell left empty (read as None or NaN)."""
    return x is None or (isinstance(x, float) and x != x)


def read_office(directory: Path, name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """One office table, validated (None when the file is absent)."""
    frame, _, problems = read_table(directory, OFFICE_TABLES[name])
    return frame, problems


def check_office(rubric: Rubric, directory: Path, unit_ids: set[str]) -> list[Problem]:
    """Schema problems of returns.csv and appeals.csv, and references that do not resolve."""
    problems: list[Problem] = []
    ids = {n.id for n, _, _ in rubric.walk()} | {n.id for n in rubric.scored_leaves()}
    returns, probs = read_office(directory, "returns")
    problems += probs
    shown = display_path(directory / OFFICE_TABLES["returns"].file)
    if returns is not None and not probs:
        for _, row in returns.iterrows():
            line = row["ref"].rsplit(":", 1)[1]
            if row["indicator_id"] not in ids:
                problems.append(Problem(shown, line, "indicator_id",
                                        f"指标“{row['indicator_id']}”不在评分细则中"))
    appeals, probs = read_office(directory, "appeals")
    problems += probs
    shown = display_path(directory / OFFICE_TABLES["appeals"].file)
    if appeals is not None and not probs:
        for _, row in appeals.iterrows():
            line = row["ref"].rsplit(":", 1)[1]
            if row["unit_id"] not in unit_ids:
                problems.append(Problem(shown, line, "unit_id",
                                        f"单位“{row['unit_id']}”不在 units.csv 中"))
            if row["indicator_id"] not in ids:
                problems.append(Problem(shown, line, "indicator_id",
                                        f"指标“{row['indicator_id']}”不在评分细则中"))
            decided = not blank(row["decision"])
            for col in ("decided_by", "decided", "reason"):
                if decided and blank(row[col]):
                    problems.append(Problem(shown, line, col, "已作出决定的申诉须填写此项"))
                if not decided and not blank(row[col]):
                    problems.append(Problem(shown, line, "decision",
                                            f"填写了 {col} 但没有决定（维持、部分采纳或采纳）"))
                    break
    return problems


__all__ = ["blank", "Returns", "Appeals", "OFFICE_TABLES", "DECISIONS", "UPHELD", "read_office",
           "check_office"]
