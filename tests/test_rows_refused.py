"""Rows that no rule reads are refused with file:line by ``kaohe validate`` and by
``kaohe import`` alike — three rows that used to be counted "used" and changed nothing (or
changed a score they should not have):

- a blank-unit row for a unit-level quota (anfu d3_2 县领导测评, ``over: units``);
- the development zone's own provincial row (guangyuan P: 经开区 takes 利州区's result);
- a row with an ``item`` for a rule that reads none (changshou r19, item 复核: averaged in,
  9.80 → 7.40).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from excel_helpers import accounting, problems, write_csv

from kaohe.cli import main

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["unit_id", "indicator_id", "source", "item", "value", "note"]

CASES = {
    "blank unit, unit-level quota": (
        "anfu-reform", "2017",
        {"unit_id": "", "indicator_id": "d3_2", "source": "县委书记", "item": "", "value": 87.4},
        "unit_id"),
    "the zone's own provincial row": (
        "guangyuan-reform", "2021",
        {"unit_id": "jingkai", "indicator_id": "P", "source": "省领导小组", "item": "",
         "value": 80}, "unit_id"),
    "an item for a rule that reads none": (
        "changshou-rural", "2023",
        {"unit_id": "fengcheng", "indicator_id": "r19", "source": "电话调查", "item": "复核",
         "value": 0.5}, "item"),
}


def workspace(root: Path, scheme: str, year: str) -> tuple[Path, Path]:
    """A copy of a scheme's params and one year's data (and its period data) under ``root``."""
    shutil.copytree(ROOT / "params" / scheme, root / "params" / scheme)
    for d in (ROOT / "data" / scheme).glob(f"{year}*"):
        shutil.copytree(d, root / "data" / scheme / d.name)
    return root / "params" / scheme / f"{year}.yaml", root / "data" / scheme / year


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_the_row_with_file_and_line(case, tmp_path, monkeypatch, capsys):
    scheme, year, row, column = CASES[case]
    monkeypatch.chdir(tmp_path)
    params, data = workspace(tmp_path, scheme, year)
    path = data / "observations.csv"
    with path.open("a", encoding="utf-8") as f:
        f.write(",".join(str(row.get(c, "")) for c in HEADER) + "\n")
    line = str(len(path.read_text(encoding="utf-8-sig").splitlines()))
    assert main(["validate", str(params.relative_to(tmp_path))]) == 1
    out = capsys.readouterr()
    found = [p for p in problems(out.err) if p["file"].endswith("observations.csv")]
    assert [(p["row"], p["column"]) for p in found] == [(line, column)], out.err


@pytest.mark.parametrize("case", sorted(CASES))
def test_import_refuses_the_same_row(case, tmp_path, monkeypatch, capsys):
    scheme, year, row, column = CASES[case]
    monkeypatch.chdir(tmp_path)
    params, _ = workspace(tmp_path, scheme, year)
    sent = write_csv(tmp_path / "sent.csv", HEADER, [row])
    assert main(["import", str(params.relative_to(tmp_path)), sent.name]) == 1
    out = capsys.readouterr()
    assert [(p["file"], p["row"], p["column"]) for p in problems(out.err)] == [
        ("sent.csv", "2", column)], out.err
    assert accounting(out.out) == (1, 0, 1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_refusal_is_a_data_error_coded_row_not_read(case, tmp_path):
    from kaohe.errors import Code, DataError
    from kaohe.pipeline import load

    scheme, year, row, column = CASES[case]
    params, data = workspace(tmp_path, scheme, year)
    with (data / "observations.csv").open("a", encoding="utf-8") as f:
        f.write(",".join(str(row.get(c, "")) for c in HEADER) + "\n")
    with pytest.raises(DataError) as exc:
        load(params, data)
    assert [(p.column, p.code) for p in exc.value.problems] == [(column, Code.ROW_NOT_READ)]
