"""Workspaces, templates and filled-in templates for the Excel and bad-input tests.

A workspace is a copy of a scheme-year laid out like the repository (``params/<scheme>/``,
``data/<scheme>/<year>/`` with only units.csv and dataset.yaml: no data yet), used as the
working directory. ``fill`` fills a template the way a department would — with openpyxl,
only the yellow input cells — from the bundled CSV of the same scheme-year, so a test can
then break exactly one cell. ``MINI`` is a three-unit rubric with the rule kinds the
changshou rubric lacks (checklist, deductions, attainment, required_count with a quality gate,
a rate kept in percent, level points), its points worked out by hand in the tests.
"""

from __future__ import annotations

import atexit
import csv
import hashlib
import re
import shutil
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from kaohe.cli import main
from kaohe.excel import layout
from kaohe.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
CS_PARAMS = Path("params/changshou-rural/2023.yaml")
CS_DATA = Path("data/changshou-rural/2023")
PROBLEM = re.compile(r"^(?P<file>[^:]+):(?P<row>[^:]*):(?P<column>[^:]*): (?P<message>.+)$")


def changshou(root: Path) -> Path:
    """A changshou-rural 2023 workspace in ``root`` with units but no observations or events."""
    shutil.copytree(ROOT / CS_PARAMS.parent, root / CS_PARAMS.parent)
    (root / CS_DATA).mkdir(parents=True)
    for name in ("units.csv", "dataset.yaml"):
        shutil.copyfile(ROOT / CS_DATA / name, root / CS_DATA / name)
    return root


def bundled(name: str) -> list[dict[str, str]]:
    with (ROOT / CS_DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


_MADE: dict[str, Path] = {}  # templates already generated, by the inputs they came from


def template(root: Path, department: str, params: Path = CS_PARAMS) -> Path:
    """The template of ``department`` for the workspace ``root`` (the working directory), in
    ``root/templates``. All templates of the same rubric and units are generated once per test
    session, with ``kaohe template``, and copied: they are the same bytes either way."""
    rubric = load_rubric(root / params).rubric
    units = root / "data" / rubric.scheme / params.stem / "units.csv"
    key = hashlib.sha256((root / params).read_bytes() + units.read_bytes()).hexdigest()
    if key not in _MADE:
        made = Path(tempfile.mkdtemp(prefix="kaohe-templates-"))
        atexit.register(shutil.rmtree, made, True)
        assert main(["template", str(params), "--out", str(made)]) == 0
        _MADE[key] = made
    name = f"{rubric.scheme}-{params.stem}-{layout.file_stem(department)}.xlsx"
    out = root / "templates"
    out.mkdir(exist_ok=True)
    return Path(shutil.copyfile(_MADE[key] / name, out / name))


def fill(path: Path, observations: list[dict[str, str]] | None = None,
         events: list[dict[str, str]] | None = None, names: dict[str, str] | None = None,
         params: Path = CS_PARAMS, save_as: Path | None = None) -> Path:
    """Fill a template's input cells from CSV-shaped rows, as a department would by hand."""
    obs = {(r["unit_id"] or None, r["indicator_id"], r["item"] or None): r
           for r in (observations if observations is not None else bundled("observations.csv"))}
    evs = events if events is not None else bundled("events.csv")
    names = names if names is not None else {r["unit_id"]: r["name"] for r in bundled("units.csv")}
    rubric = load_rubric(path.parents[1] / params if not params.is_absolute() else params).rubric
    wb = load_workbook(path)
    if layout.DATA in wb.sheetnames:
        ws = wb[layout.DATA]
        col = {c.key: j for j, c in enumerate(layout.OBS_COLUMNS, start=1)}
        for r in range(2, ws.max_row + 1):
            key = (ws.cell(r, col["unit_id"]).value, ws.cell(r, col["indicator_id"]).value,
                   ws.cell(r, col["item"]).value)
            row = obs.get(key)
            if row is None:
                continue
            ws.cell(r, col["value"]).value = float(row["value"])
            ws.cell(r, col["source"]).value = row["source"] or None
            ws.cell(r, col["note"]).value = row["note"] or None
    meta = {row[1].value: row[3].value for row in wb[layout.META].iter_rows()
            if row[0].value == "sheet" and row[2].value == "events"}
    for sheet, indicator in meta.items():
        ws = wb[sheet]
        leaf = rubric.node(indicator)
        type_names = dict(leaf.rule.event_type_names())
        cols = layout.event_columns(leaf.rule)
        r = 2
        for e in evs:
            if e["indicator_id"] != indicator:
                continue
            values = {"unit_name": names[e["unit_id"]], "type": type_names[e["type"]],
                      "work": e.get("work") or None,
                      "value": float(e["value"]) if e.get("value") else None,
                      "date": e.get("date") or None, "description": e.get("description") or None}
            for j, c in enumerate(cols, start=1):
                ws.cell(r, j).value = values[c.key]
            r += 1
    target = save_as or path
    wb.save(target)
    return target


def problems(err: str) -> list[dict[str, str]]:
    """The located problems printed on stderr, each as file/row/column/message."""
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert lines and re.fullmatch(r"共发现 \d+ 个问题。", lines[-1]), err
    found = [PROBLEM.match(ln) for ln in lines[:-1]]
    assert all(found), lines
    return [m.groupdict() for m in found]


def accounting(out: str) -> tuple[int, int, int]:
    """(read, used, rejected) of the first accounting line printed."""
    m = re.search(r"读取 (\d+) 行 = 使用 (\d+) 行 \+ 拒绝 (\d+) 行", out)
    assert m, out
    read, used, rejected = (int(x) for x in m.groups())
    assert read == used + rejected
    return read, used, rejected


# -- a small rubric with the rule kinds changshou lacks -----------------------------------------

MINI_PARAMS = Path("params/mini/2023.yaml")
MINI_DATA = Path("data/mini/2023")
MINI_YAML = """\
scheme: mini
year: 2023
title: 测试县2023年度小型考核
full_score: 100
unit_kinds: [{id: town, name: 镇}]
indicators:
  - id: A
    name: 基础工作
    points: 30
    children:
      - id: c1
        name: 制度建设
        points: 10
        department: 甲局
        rule:
          kind: checklist
          items:
            - {id: plan, name: 制定年度计划, points: 6}
            - {id: meeting, name: 召开专题会议, points: 4}
      - id: d1
        name: 信息报送
        points: 10
        department: 甲局
        rule:
          kind: deductions
          kinds:
            - {id: late, name: 迟报, cost: 1}
            - {id: missing, name: 漏报, cost: 2}
      - id: t1
        name: 新增就业
        points: 10
        department: 乙局
        rule: {kind: attainment, target: 100, quantity: 新增就业人数, unit_of_measure: 人}
  - id: B
    name: 工作成效
    points: 70
    children:
      - id: q1
        name: 工作简报
        points: 10
        department: 乙局
        rule: {kind: required_count, what: 报送工作简报, required: 4, cost: 1, gate_item: quality}
      - id: p1
        name: 群众满意度
        points: 20
        department: 乙局
        rule: {kind: rate_to_points, percent: true, what: 满意度}
      - id: r1
        name: 综合评价
        points: 40
        department: 乙局
        rule: {kind: rater_points, scale: 100}
adjustments:
  - id: bonus
    name: 加分
    points: 2
    department: 甲局
    rule:
      kind: level_points
      cap: 2
      levels:
        national: {name: 国家级表彰, points: 1}
        provincial: {name: 省级表彰, points: 0.5}
  - id: veto
    name: 一票否决
    points: 0
    rule:
      kind: veto
      cases:
        accident: {name: 发生重大安全事故, effect: last_grade}
order: [bonus, veto]
"""
MINI_UNITS = "unit_id,name,kind\na,甲镇,town\nb,乙镇,town\nc,丙镇,town\n"
# What the departments send: 甲镇 meets both requirements, reported late twice, 80 of 100 new
# jobs, 3 of 4 briefings of good quality, 95% satisfied, 90 of 100 in the overall rating and
# a national award; 乙镇 and 丙镇 differ in one way each (see tests).
MINI_OBS = [
    # unit, indicator, item, value
    ("a", "c1", "plan", 1), ("a", "c1", "meeting", 1),
    ("b", "c1", "plan", 1), ("b", "c1", "meeting", 0),
    ("c", "c1", "plan", 0), ("c", "c1", "meeting", 0),
    ("a", "d1", "late", 2), ("a", "d1", "missing", 0),
    ("b", "d1", "late", 0), ("b", "d1", "missing", 0),
    ("c", "d1", "late", 3), ("c", "d1", "missing", 5),
    ("a", "t1", "actual", 80), ("b", "t1", "actual", 120), ("c", "t1", "actual", 50),
    ("a", "q1", "count", 3), ("a", "q1", "quality", 1),
    ("b", "q1", "count", 4), ("b", "q1", "quality", 0),
    ("c", "q1", "count", 6), ("c", "q1", "quality", 1),
    ("a", "p1", None, 95), ("b", "p1", None, 100), ("c", "p1", None, 60),
    ("a", "r1", None, 90), ("b", "r1", None, 80), ("c", "r1", None, 70),
]
MINI_EVENTS = [
    {"unit_id": "a", "indicator_id": "bonus", "type": "national", "date": "2023-05-04",
     "description": "获国家级表彰"},
    {"unit_id": "b", "indicator_id": "bonus", "type": "provincial", "date": "2023-07-01",
     "description": "获省级表彰"},
]


def mini(root: Path) -> Path:
    (root / MINI_PARAMS.parent).mkdir(parents=True)
    (root / MINI_PARAMS).write_text(MINI_YAML, encoding="utf-8")
    (root / MINI_DATA).mkdir(parents=True)
    (root / MINI_DATA / "units.csv").write_text(MINI_UNITS, encoding="utf-8")
    return root


def mini_rows(source: dict[str, str] | None = None) -> list[dict[str, str]]:
    """MINI_OBS as observations.csv rows; the source is the indicator's department."""
    source = source or {"c1": "甲局", "d1": "甲局", "t1": "乙局", "q1": "乙局", "p1": "乙局",
                        "r1": "乙局"}
    return [{"unit_id": u, "indicator_id": i, "source": source[i], "item": item or "",
             "value": str(v), "note": ""} for u, i, item, v in MINI_OBS]


def write_csv(path: Path, header: list[str], rows: list[dict[str, object]],
              encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in header])
    return path
