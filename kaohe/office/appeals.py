"""Appeals (申诉/复核) against a published result, and the data changes they imply.

appeals.csv lists each appeal (unit, indicator, received, claim) and the office's decision
(维持 / 部分采纳 / 采纳, by whom, when, why). An upheld appeal (部分采纳 or 采纳) must come
with the data change it implies: publishing refuses it while the unit's rows of that
indicator are the same as in the version the appeal was against. An appeal is cited by the
first version published after its decision, and by no later one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..dataset import read_csv_text
from ..errors import Problem, display_path
from ..rubric import Rubric
from .tables import OFFICE_TABLES, UPHELD, blank, read_office

DATA_FILES = ("observations.csv", "events.csv", "not_applicable.csv")


@dataclass(frozen=True)
class Appeal:
    """One appeal as read, with where it is (appeals.csv:3)."""

    unit_id: str
    indicator_id: str
    received: str
    claim: str
    decision: str | None
    decided_by: str | None
    decided: str | None
    reason: str | None
    ref: str

    @property
    def key(self) -> str:
        """How a manifest cites it: unit, indicator and date received."""
        return f"{self.unit_id}/{self.indicator_id}/{self.received}"

    @property
    def upheld(self) -> bool:
        return self.decision in UPHELD

    def as_dict(self, rubric: Rubric, names: dict[str, str]) -> dict:
        try:
            indicator = f"{self.indicator_id} {rubric.node(self.indicator_id).name}"
        except KeyError:
            indicator = self.indicator_id
        return {"key": self.key, "unit_id": self.unit_id, "unit": names.get(self.unit_id, self.unit_id),
                "indicator_id": self.indicator_id, "indicator": indicator,
                "received": self.received, "claim": self.claim,
                "decision": self.decision or "待复核", "decided_by": self.decided_by or "",
                "decided": self.decided or "", "reason": self.reason or ""}


def read_appeals(directory: Path) -> list[Appeal]:
    """The appeals of a data directory (none when appeals.csv is absent or unreadable:
    validation reports its problems)."""
    frame, problems = read_office(Path(directory), "appeals")
    if frame is None or problems:
        return []
    cols = ["unit_id", "indicator_id", "received", "claim", "decision", "decided_by",
            "decided", "reason", "ref"]
    return [Appeal(**{c: None if blank(r[c]) else r[c] for c in cols})  # type: ignore[arg-type]
            for r in frame.to_dict("records")]


def _rows(directory: Path, unit: str, indicator: str) -> list[tuple]:
    """The unit's rows of an indicator in the data files, as text, order-free."""
    out = []
    for name in DATA_FILES:
        path = Path(directory) / name
        if not path.exists():
            continue
        df = read_csv_text(path, display_path(path))
        if {"unit_id", "indicator_id"} <= set(df.columns):
            mine = df[(df["unit_id"] == unit) & (df["indicator_id"] == indicator)]
            out += [(name, *row) for row in mine.itertuples(index=False)]
    return sorted(out)


def unchanged_upheld(appeals: list[Appeal], directory: Path,
                     before: Path | None) -> list[Problem]:
    """Upheld appeals whose unit's rows of the indicator are the same as in ``before`` (the
    data directory of the version appealed against)."""
    if before is None:
        return []
    shown = display_path(Path(directory) / OFFICE_TABLES["appeals"].file)
    problems = []
    for a in appeals:
        if a.upheld and _rows(directory, a.unit_id, a.indicator_id) == \
                _rows(before, a.unit_id, a.indicator_id):
            problems.append(Problem(shown, a.ref.rsplit(":", 1)[1], "decision",
                                    f"申诉已{a.decision}，但单位“{a.unit_id}”指标“{a.indicator_id}”"
                                    "的数据与上一版本相同：请先按复核决定修改数据"
                                    "（kaohe import --force），或改正决定"))
    return problems


def table(appeals: list[Appeal], rubric: Rubric, names: dict[str, str]) -> pd.DataFrame:
    """Appeals as the reports read them (appeals.csv beside the score tables)."""
    cols = ["unit_id", "unit", "indicator", "received", "claim", "decision", "decided_by",
            "decided", "reason"]
    return pd.DataFrame([{c: a.as_dict(rubric, names)[c] for c in cols} for a in appeals],
                        columns=cols)


__all__ = ["Appeal", "read_appeals", "unchanged_upheld", "table"]
