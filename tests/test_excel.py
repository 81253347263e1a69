"""Excel templates out, filled templates in, results as Excel.

The round trip: ``kaohe template`` writes one workbook per responsible department; a test
fills them with openpyxl as a department would (only the yellow input cells), ``kaohe import``
reads them into the data directory, ``kaohe score`` scores it — and the scores equal those of
the same data written as CSV. Then the workbook itself: sheets, headers, protection, data
validation, hidden metadata; results.xlsx with its two-level merged header and formats.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from excel_helpers import (
    CS_DATA,
    CS_PARAMS,
    MINI_DATA,
    MINI_EVENTS,
    MINI_PARAMS,
    ROOT,
    accounting,
    bundled,
    changshou,
    fill,
    mini_rows,
    template,
    write_csv,
)
from openpyxl import load_workbook
from pandas.testing import assert_frame_equal

from kaohe.cli import main
from kaohe.excel import layout
from kaohe.excel.results import _plain, _plain_column
from kaohe.excel.template import departments
from kaohe.pipeline import run
from kaohe.rubric import load_rubric

OBS_HEADER = ["unit_id", "indicator_id", "source", "item", "value", "note"]
EVENT_HEADER = ["unit_id", "indicator_id", "type", "work", "value", "date", "description"]


def totals(params: Path, data: Path | None = None) -> pd.DataFrame:
    t = run(params, data).scores.totals
    return t.drop(columns=["explain"]).set_index("unit_id")


# -- templates --------------------------------------------------------------------------------


def test_one_template_per_department(ws, capsys):
    assert main(["template", str(CS_PARAMS), "--out", "templates"]) == 0
    out = capsys.readouterr().out
    files = sorted(p.name for p in (ws / "templates").iterdir())
    # 11 departments named in the rubric + the bonus and veto adjustments, which name none
    assert len(files) == 12, files
    assert "changshou-rural-2023-未注明责任单位.xlsx" in files
    assert "已生成 12 个填报模板" in out
    # 区乡村振兴局: r01 r02 r09 r15 r17 r18 r19 r20 r21 for all 19 units, r22 for the 11 units
    # it applies to (19 − 8 except_units), and two event sheets (r16 veto, inspections)
    assert "区乡村振兴局：数据 182 行，事件表 2 张" in out  # 9 × 19 + 11 = 182
    assert "区民政局：数据 19 行" in out


def test_template_lists_units_and_only_the_departments_indicators(ws):
    wb = load_workbook(template(ws, "区农业农村委"))
    assert wb.sheetnames[:2] == [layout.INSTRUCTIONS, layout.DATA]
    assert wb[layout.META].sheet_state == "veryHidden"
    assert wb[layout.LISTS].sheet_state == "veryHidden"
    data = wb[layout.DATA]
    assert [c.value for c in data[1]] == [c.header for c in layout.OBS_COLUMNS]
    rows = list(data.iter_rows(min_row=2, values_only=True))
    assert {r[2] for r in rows} == {"r11", "r13", "r14"}  # 区农业农村委's three leaves
    assert len(rows) == 3 * 19
    first = rows[0]
    assert first[:4] == ("fengcheng", "凤城街道", "r11", "产业可持续发展")
    assert first[6] == 3  # 满分
    assert "0～3" in first[7]  # the allowed values in words
    assert first[9] == "区农业农村委"  # the rater, prefilled, editable
    meta = {r[0]: r[1] for r in wb[layout.META].iter_rows(values_only=True) if r[0] != "sheet"}
    assert (meta["scheme"], meta["key"], meta["department"]) == ("changshou-rural", "2023",
                                                                 "区农业农村委")
    guide = [c for row in wb[layout.INSTRUCTIONS].iter_rows(values_only=True) for c in row if c]
    assert "按100分制评分后折合" not in " ".join(map(str, guide))  # not this department's rule
    assert "满分3分，直接评分；多个评分人时平均" in guide


def test_template_rows_follow_the_rule(mini_ws):
    wb = load_workbook(template(mini_ws, "甲局", MINI_PARAMS))
    rows = list(wb[layout.DATA].iter_rows(min_row=2, values_only=True))
    # checklist: one row per requirement; deductions: one row per kind — for each of 3 units
    assert [(r[0], r[2], r[4]) for r in rows[:4]] == [
        ("a", "c1", "plan"), ("a", "c1", "meeting"), ("b", "c1", "plan"), ("b", "c1", "meeting")]
    assert len(rows) == 3 * 2 + 3 * 2
    assert rows[0][7] == "制定年度计划：达到填 1，未达到填 0（6分）"
    assert rows[6][7] == "迟报的次数（没有填 0；每次扣1分）"
    wb = load_workbook(template(mini_ws, "乙局", MINI_PARAMS))
    items = [(r[2], r[4]) for r in wb[layout.DATA].iter_rows(min_row=2, max_row=7,
                                                            values_only=True)]
    assert items[:3] == [("t1", "actual"), ("t1", "actual"), ("t1", "actual")]
    assert ("q1", "quality") in [(r[2], r[4]) for r in wb[layout.DATA].iter_rows(
        min_row=2, values_only=True)]


def test_only_input_cells_can_be_edited(ws):
    wb = load_workbook(template(ws, "区民政局"))
    assert wb.security.lockStructure
    data = wb[layout.DATA]
    assert data.protection.sheet
    inputs = {c.header for c in layout.OBS_COLUMNS if c.input}
    assert inputs == {"填报值", "评分人/数据来源", "说明（扣分理由等）"}
    for j, col in enumerate(layout.OBS_COLUMNS, start=1):
        assert data.cell(2, j).protection.locked is (not col.input), col.header
    assert wb[layout.INSTRUCTIONS].protection.sheet


def test_value_cells_carry_excel_validation(ws):
    wb = load_workbook(template(ws, "区乡村振兴局"))
    data = wb[layout.DATA]
    by_range = {str(dv.sqref): dv for dv in data.data_validations.dataValidation}
    kinds = {(dv.type, dv.operator, dv.formula1, dv.formula2) for dv in by_range.values()}
    assert ("decimal", "between", "0", "3") in kinds  # r01: points 0–3
    assert ("decimal", "between", "0", "100") in kinds  # r18, r20: 100-point scale
    assert ("decimal", "between", "0", "1") in kinds  # r19: a rate
    events = wb["事件-r16"]
    lists = {dv.formula1 for dv in events.data_validations.dataValidation}
    assert any("_lists" in f and "$A$1:$A$19" in f for f in lists)  # the 19 unit names
    names = [r[1] for r in wb[layout.LISTS].iter_rows(values_only=True) if r[1]]
    assert names == ["因政策、责任、工作落实不到位导致致贫返贫"]  # the veto case, in Chinese


def test_templates_are_reproducible(ws):
    assert main(["template", str(CS_PARAMS), "--out", "a"]) == 0
    assert main(["template", str(CS_PARAMS), "--out", "b"]) == 0
    for p in sorted((ws / "a").iterdir()):
        assert p.read_bytes() == (ws / "b" / p.name).read_bytes(), p.name


def test_departments_come_from_the_rubric():
    rubric = load_rubric(ROOT / CS_PARAMS).rubric
    deps = departments(rubric)
    assert [n.id for n in deps["区农业农村委"]] == ["r11", "r13", "r14"]
    assert [n.id for n in deps[layout.NO_DEPARTMENT]] == ["bonus", "veto"]


# -- the round trip -----------------------------------------------------------------------------


def test_round_trip_changshou_matches_the_csv(ws, capsys):
    assert main(["template", str(CS_PARAMS), "--out", "templates"]) == 0
    files = sorted((ws / "templates").iterdir())
    for path in files:
        fill(path)
    capsys.readouterr()
    assert main(["import", str(CS_PARAMS), *map(str, files)]) == 0
    out = capsys.readouterr().out
    n_obs, n_ev = len(bundled("observations.csv")), len(bundled("events.csv"))
    assert accounting(out) == (n_obs + n_ev, n_obs + n_ev, 0)  # 410 + 22 rows, none rejected
    assert f"导入 {n_obs} 行" in out and f"导入 {n_ev} 行" in out
    imported = totals(CS_PARAMS)
    from_csv = totals(ROOT / CS_PARAMS, ROOT / CS_DATA)
    assert_frame_equal(imported, from_csv)
    assert main(["score", str(CS_PARAMS), "--out", "out"]) == 0
    assert (ws / "out" / "results.xlsx").is_file()


def test_round_trip_other_rules_matches_the_csv_and_the_hand_computation(mini_ws, capsys):
    files = [fill(template(mini_ws, d, MINI_PARAMS), mini_rows(), MINI_EVENTS,
                  {"a": "甲镇", "b": "乙镇", "c": "丙镇"}, MINI_PARAMS) for d in ("甲局", "乙局")]
    assert main(["import", str(MINI_PARAMS), *map(str, files)]) == 0
    imported = totals(MINI_PARAMS)
    csv_dir = mini_ws / "csv"
    csv_dir.mkdir()
    (csv_dir / "units.csv").write_text((mini_ws / MINI_DATA / "units.csv").read_text("utf-8"),
                                       encoding="utf-8")
    write_csv(csv_dir / "observations.csv", OBS_HEADER, mini_rows())
    write_csv(csv_dir / "events.csv", EVENT_HEADER, MINI_EVENTS)
    assert_frame_equal(imported, totals(MINI_PARAMS, csv_dir))
    # 甲镇: 10 + (10 − 2×1) + 80/100×10 + (10 − 1) + 95%×20 + 90/100×40 = 90, +1 national award
    # 乙镇: 6 + 10 + 10 (120 of 100, capped) + 0 (quality failed) + 20 + 32 = 78, +0.5
    # 丙镇: 0 + 0 (3×1 + 5×2 > 10, floor) + 5 + 10 + 12 + 28 = 55
    assert imported["total"].round(9).to_dict() == {"a": 91.0, "b": 78.5, "c": 55.0}


def test_plain_csv_import_in_gb18030(mini_ws, capsys):
    path = write_csv(mini_ws / "observations.csv", OBS_HEADER, mini_rows(), encoding="gb18030")
    assert main(["import", str(MINI_PARAMS), str(path)]) == 0
    assert accounting(capsys.readouterr().out) == (27, 27, 0)  # the 27 rows of MINI_OBS
    assert totals(MINI_PARAMS)["base"].round(9).to_dict() == {"a": 90.0, "b": 78.0, "c": 55.0}


def test_departments_import_one_after_another(mini_ws, capsys):
    names = {"a": "甲镇", "b": "乙镇", "c": "丙镇"}
    first = fill(template(mini_ws, "甲局", MINI_PARAMS), mini_rows(), MINI_EVENTS, names,
                 MINI_PARAMS)
    second = fill(template(mini_ws, "乙局", MINI_PARAMS), mini_rows(), MINI_EVENTS, names,
                  MINI_PARAMS)
    assert main(["import", str(MINI_PARAMS), str(first)]) == 0
    assert main(["import", str(MINI_PARAMS), str(second)]) == 0  # other rows: no --force needed
    with (mini_ws / MINI_DATA / "observations.csv").open(encoding="utf-8-sig") as f:
        assert sum(1 for _ in csv.DictReader(f)) == 27


# -- results.xlsx -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results_book(tmp_path_factory):
    out = tmp_path_factory.mktemp("scored")
    assert main(["score", str(ROOT / CS_PARAMS), "--data", str(ROOT / CS_DATA),
                 "--out", str(out)]) == 0
    return out


def test_results_bulletin_has_two_level_headers(results_book):
    wb = load_workbook(results_book / "results.xlsx")
    assert wb.sheetnames == ["考核结果", "得分明细", "说明"]
    ws = wb["考核结果"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    # 序号, 单位, 类别 span both header rows; 一、责任落实 spans r01 r02 r03 and its 小计
    assert {"A1:A2", "B1:B2", "C1:C2", "D1:G1"} <= merged
    assert ws["D1"].value == "一、责任落实（10分）"
    assert [ws.cell(2, j).value for j in range(4, 8)] == [
        "主体责任落实（3分）", "内设机构行业责任落实（2分）", "驻村帮扶责任落实（5分）", "小计"]
    assert ws["H1"].value == "二、政策落实（30分）"
    assert ws["K2"].value == "医疗保障成果巩固（10分）"  # r07, the sum of r07a and r07b
    assert ws.freeze_panes == "C3"
    header = [ws.cell(1, j).value or ws.cell(2, j).value for j in range(1, ws.max_column + 1)]
    assert {"基础得分", "折算得分", "总分", "名次", "等次", "通报表扬", "一票否决"} <= set(header)


def test_results_values_formats_and_order(results_book):
    ws = load_workbook(results_book / "results.xlsx")["考核结果"]
    header = [ws.cell(1, j).value or ws.cell(2, j).value for j in range(1, ws.max_column + 1)]
    col = {h: j for j, h in enumerate(header, start=1) if h}
    t = pd.read_csv(results_book / "totals.csv", encoding="utf-8-sig")
    first = t.sort_values("rank", kind="mergesort").iloc[0]
    assert ws.cell(3, col["单位"]).value == first["name"]
    assert ws.cell(3, col["名次"]).value == 1
    assert ws.cell(3, col["总分"]).value == pytest.approx(first["total"], abs=1e-4)
    assert ws.cell(3, col["总分"]).number_format == "0.00"
    ranks = [ws.cell(r, col["名次"]).value for r in range(3, 3 + len(t))]
    assert ranks == sorted(ranks)
    # 凤城街道 does not have r22: its base is out of 98, rescaled 89.386 / 98 × 100 = 91.21
    feng = next(r for r in range(3, 3 + len(t)) if ws.cell(r, col["单位"]).value == "凤城街道")
    assert ws.cell(feng, col["基础得分"]).value == pytest.approx(89.386, abs=1e-9)
    assert ws.cell(feng, col["折算得分"]).value == pytest.approx(89.386 / 98 * 100, abs=1e-9)
    vetoed = next(r for r in range(3, 3 + len(t)) if ws.cell(r, col["单位"]).value == "云台镇")
    assert "返贫" in ws.cell(vetoed, col["一票否决"]).value
    assert ws.column_dimensions["B"].width >= 10
    # every body cell framed; scores two decimals, ranks whole, text as it is
    last = 2 + len(t)
    assert all(ws.cell(r, j).border.left.style == "thin"
               for r in range(3, last + 1) for j in range(1, ws.max_column + 1))
    assert ws.cell(last, col["名次"]).number_format == "0"
    assert ws.cell(last, col["基础得分"]).number_format == "0.00"
    assert ws.cell(last, col["单位"]).number_format == "General"
    assert ws.cell(last, 1).value == len(t)  # 序号


@pytest.mark.parametrize("values", [
    pd.Series([1.5, np.nan, -0.0]), pd.Series([3, 4]), pd.Series([True, False]),
    pd.Series([1, 2], dtype="Int64").reindex([0, 1, 2]),  # a nullable integer with a gap
    pd.Series([True, None], dtype="boolean"), pd.Series([1.0, None], dtype="Float64"),
    pd.Series(["a", None, np.nan]), pd.Series(["a", None], dtype="str"),
    pd.Series([np.int64(3), "x", 2.5, True, None], dtype=object),
], ids=lambda s: str(s.dtype))
def test_column_values_as_each_value(values):
    """A column's cells made at once are the cells made value by value, types included."""
    got, one_by_one = _plain_column(values), [_plain(v) for v in values]
    assert got == one_by_one
    assert [type(v) for v in got] == [type(v) for v in one_by_one]


def test_results_details_sheet(results_book):
    ws = load_workbook(results_book / "results.xlsx")["得分明细"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["单位编号", "单位名称", "指标编号", "指标名称"]
    assert ws.max_row == 19 * 26 + 1  # as details.csv: 19 units × (23 leaves + 3 adjustments)
    row = [c.value for c in ws[2]]
    assert row[:3] == ["fengcheng", "凤城街道", "r01"]
    points = ws.cell(2, header.index("得分") + 1)
    assert points.value == pytest.approx(2.6) and points.number_format == "0.00"
    assert ws.freeze_panes == "C2"
    # the reasons and inputs wrap on every row, blank ones too; nothing else is styled
    wrapped = {name: [ws.cell(r, header.index(name) + 1) for r in range(2, ws.max_row + 1)]
               for name in ("得分说明", "依据")}
    assert all(c.alignment.wrap_text for cells in wrapped.values() for c in cells)
    assert any(c.value is None for c in wrapped["依据"])  # blank cells among them
    unit = [ws.cell(r, 1) for r in range(2, ws.max_row + 1)]
    assert not any(c.alignment.wrap_text or c.border.left.style for c in unit)


# -- the commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["template", "import"])
def test_help_has_an_example(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "示例" in out and f"kaohe {command} params/changshou-rural/2023.yaml" in out


def test_template_needs_the_units(tmp_path, monkeypatch, capsys):
    changshou(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / CS_DATA / "units.csv").unlink()
    assert main(["template", str(CS_PARAMS), "--out", "t"]) == 1
    err = capsys.readouterr().err
    assert f"{CS_DATA}/units.csv::: 缺少必需的数据文件" in err
    assert not (tmp_path / "t").exists()


def test_import_prints_the_accounting_per_sheet(ws, capsys):
    book = fill(template(ws, "区乡村振兴局"))
    capsys.readouterr()
    assert main(["import", str(CS_PARAMS), str(book)]) == 0
    out = capsys.readouterr().out
    # 182 data rows (9 leaves × 19 units + r22 for 11), and the sample's events of r16 (云台镇's
    # veto) and of inspections (the inspection rounds)
    n_r16 = sum(e["indicator_id"] == "r16" for e in bundled("events.csv"))
    n_insp = sum(e["indicator_id"] == "inspections" for e in bundled("events.csv"))
    assert (n_r16, n_insp) == (1, 10)
    assert accounting(out) == (182 + 1 + 10, 193, 0)
    assert "区乡村振兴局.xlsx[数据填报]：读取 182 行 = 使用 182 行 + 拒绝 0 行" in out
    assert "区乡村振兴局.xlsx[事件-r16]：读取 1 行 = 使用 1 行 + 拒绝 0 行" in out
