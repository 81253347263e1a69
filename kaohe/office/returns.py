"""Returns (材料报送): which department returned what, and what the year still lacks.

Every responsible department (``department`` of a rubric leaf that reads observations or
events) owes the data of its indicators. ``returns.csv`` records each return; an indicator is

- 已报送 (returned): its latest return was made against the indicator as it stands;
- 已过期 (stale): its latest return was made against other terms (points, rule, parameters);
- 被拒绝 (refused): no return, and the department's last import was refused;
- 未报送 (missing): nothing was returned.

"Returned, nothing to report" (``none_to_report``) and "never returned" are different rows:
an events or deductions indicator with no rows scores full marks only when it was returned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem, display_path
from ..excel.layout import departments
from ..rubric import Node, Rubric
from . import auditlog
from .digests import indicator_digest
from .tables import OFFICE_TABLES, blank, read_office

RETURNED, STALE, REFUSED, MISSING = "已报送", "已过期", "被拒绝", "未报送"
COLUMNS = list(OFFICE_TABLES["returns"].model.to_schema().columns)


def owed(rubric: Rubric) -> dict[str, list[Node]]:
    """Indicators each department owes data for, rubric order."""
    return departments(rubric)


@dataclass(frozen=True)
class Line:
    """The state of one indicator of one department."""

    department: str
    indicator_id: str
    name: str
    state: str
    detail: str = ""


@dataclass
class Status:
    """Every owed indicator's state; the year is complete when all are returned."""

    lines: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # returns.csv could not be read

    @property
    def complete(self) -> bool:
        return not self.problems and all(x.state == RETURNED for x in self.lines)

    def lacking(self) -> dict[str, list[Line]]:
        """Departments with indicators not returned, and those indicators."""
        out: dict[str, list[Line]] = {}
        for x in self.lines:
            if x.state != RETURNED:
                out.setdefault(x.department, []).append(x)
        return out

    def summary(self) -> list[str]:
        """One line per department still owing: 区商务委：r04 未报送、r05 已过期."""
        return [f"{d}：" + "、".join(f"{x.indicator_id} {x.state}" for x in xs)
                for d, xs in self.lacking().items()]

    def as_provenance(self) -> dict:
        return {"complete": self.complete, "lacking": self.summary(),
                "departments": {d: len(xs) for d, xs in self.lacking().items()}}

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([x.__dict__ for x in self.lines],
                            columns=["department", "indicator_id", "name", "state", "detail"])


def status(rubric: Rubric, directory: Path) -> Status:
    """The returns state of a scheme-year's data directory."""
    out = Status()
    frame, problems = read_office(Path(directory), "returns")
    if problems:
        out.problems = problems
        frame = None
    latest: dict[tuple[str, str], dict] = {}
    if frame is not None:
        for row in frame.sort_values("received", kind="mergesort").to_dict("records"):
            latest[(row["department"], row["indicator_id"])] = row
    refused = _refused(Path(directory))
    for dept, leaves in owed(rubric).items():
        for leaf in leaves:
            row = latest.get((dept, leaf.id))
            if row is None:
                state = REFUSED if dept in refused else MISSING
                detail = refused.get(dept, "")
            elif not blank(row["rubric_digest"]) and row["rubric_digest"] != indicator_digest(leaf):
                state, detail = STALE, f"{row['received']} 按修改前的评分细则报送，须重新报送"
            else:
                none = "，无相关情形（已确认）" if row["none_to_report"] else ""
                state, detail = RETURNED, f"{row['received']} {row['rows']} 行{none}"
            out.lines.append(Line(dept, leaf.id, leaf.name, state, detail))
    return out


def _refused(directory: Path) -> dict[str, str]:
    """Departments whose last import in the log was refused (and when)."""
    last: dict[str, dict] = {}
    for entry in auditlog.read(directory):
        if entry.get("command") == "import":
            for dept in entry.get("departments", []):
                last[dept] = entry
    return {d: f"{e.get('time', '')} 导入被拒绝（{e.get('problems', 0)} 个问题）"
            for d, e in last.items() if e.get("outcome") == "refused"}


def record(directory: Path, rows: list[dict]) -> Path:
    """Append return rows to returns.csv (created with its header when absent)."""
    import csv
    import io

    path = Path(directory) / OFFICE_TABLES["returns"].file
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if not path.exists():
        w.writerow(COLUMNS)
    for r in rows:
        w.writerow(["" if r.get(c) is None else
                    ("1" if r[c] is True else "0" if r[c] is False else str(r[c]))
                    for c in COLUMNS])
    with open(path, "a", encoding="utf-8") as f:
        f.write(buf.getvalue())
    return path


def return_rows(department: str, leaves: list[Node], file: Path, sha256: str,
                counts: dict[str, int], received: str) -> list[dict]:
    """The returns.csv rows of one file returning ``leaves`` for ``department``."""

    rows = []
    for leaf in leaves:
        n = counts.get(leaf.id, 0)
        may_be_empty = leaf.rule is not None and leaf.rule.rows_optional
        rows.append({"department": department, "indicator_id": leaf.id, "file": file.name,
                     "sha256": sha256, "rows": n, "none_to_report": n == 0 and may_be_empty,
                     "received": received, "rubric_digest": indicator_digest(leaf)})
    return rows


def received_text(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M:%S")


def format_status(st: Status, title: str, directory: Path) -> str:
    """``kaohe status``: per department and indicator, then what the year still lacks."""
    lines = [f"{title}：材料报送情况（{display_path(directory)}）"]
    by_dept: dict[str, list[Line]] = {}
    for x in st.lines:
        by_dept.setdefault(x.department, []).append(x)
    for dept, xs in by_dept.items():
        done = sum(x.state == RETURNED for x in xs)
        lines.append(f"{dept}（{done}/{len(xs)} 已报送）")
        for x in xs:
            lines.append(f"  {x.indicator_id} {x.name}：{x.state}" + (f"（{x.detail}）" if x.detail else ""))
    for p in st.problems:
        lines.append(str(p))
    if st.complete:
        lines.append(f"材料已齐：{len(st.lines)} 个指标均已报送。")
    else:
        lacking = st.lacking()
        n = sum(len(v) for v in lacking.values())
        lines.append(f"材料未齐：{len(lacking)} 个责任单位的 {n} 个指标尚缺"
                     "（计分可以进行，报告标注“草稿（材料未齐）”；不能发布）：")
        lines += [f"  {s}" for s in st.summary()]
    return "\n".join(lines)


__all__ = ["RETURNED", "STALE", "REFUSED", "MISSING", "Status", "Line", "status", "record",
           "return_rows", "owed", "format_status", "received_text"]
