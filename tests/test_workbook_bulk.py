"""``workbook.BulkRows``: rows serialised a distinct value at a time must give the bytes
openpyxl gives when every cell is appended and written one by one (results.xlsx of every
scheme-year is compared byte for byte with the golden outputs as well)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from kaohe.excel.workbook import (
    BORDER,
    TWO_DECIMALS,
    WRAP,
    BulkRows,
    SharedStyle,
    append_rows,
    save,
)

NASTY = [
    "a & b < c > d \"q\" 'a'", " leading", "trailing ", "\tTab", "line\nbreak", "cr\rlf\r\n",
    "中文（全角）", "emoji 😀", "=1+1", "=", "#N/A", "#DIV/0!", "", None, "x" * 40_000,
    "]]>", "&amp;", "\u3000全角空格\u3000", "\u00a0nbsp",
]
NUMBERS = [0.0, -0.0, 1 / 3, 1e-20, 123456789.125, -7.5, None, 2.0, 1e16]


def _columns(n: int) -> list[list[object]]:
    """Four columns of ``n`` rows mixing the nasty values (each repeats, as in details)."""
    return [
        [f"u{i % 7}" for i in range(n)],
        [NASTY[i % len(NASTY)] for i in range(n)],
        [NUMBERS[i % len(NUMBERS)] for i in range(n)],
        [NASTY[(i * 5) % len(NASTY)] for i in range(n)],
    ]


def _book(tmp: Path, bulk: bool, columns: list[list[object]]) -> bytes:
    """A workbook like results.xlsx: a styled sheet before, the rows, a sheet after that
    shares the rows' wrap style; the rows appended cell by cell or as ``BulkRows``."""
    wb = Workbook()
    first = wb.active
    first.title = "前"
    framed = SharedStyle(border=BORDER)
    first.append([framed.cell(first, "表头"), framed.cell(first, 1.5)])
    ws = wb.create_sheet("明细")
    ws.append(["编号", "文本", "分数", "说明"])
    number, wrap = SharedStyle(number_format=TWO_DECIMALS), SharedStyle(alignment=WRAP)

    def style(j: int, value: object) -> SharedStyle | None:
        return number if j == 2 and isinstance(value, float) else wrap if j == 3 else None

    if bulk:
        BulkRows(ws, columns, style)
    else:
        append_rows(ws, columns, style)
    ws.auto_filter.ref = f"A1:D{len(columns[0]) + 1}"
    ws.freeze_panes = "C2"
    after = wb.create_sheet("说明")
    after.cell(1, 1, "说明").alignment = WRAP
    return save(wb, tmp / f"{'bulk' if bulk else 'cells'}.xlsx").read_bytes()


@pytest.mark.parametrize("n", [0, 1, 3, 60])
def test_bulk_rows_give_openpyxl_bytes(n, tmp_path):
    """Escaping, xml:space, formulas kept as text, error codes, empty and None cells, -0,
    long texts cut at 32,767, style ids in order of first use: all as openpyxl writes."""
    columns = _columns(n)
    bulk, one_by_one = _book(tmp_path, True, columns), _book(tmp_path, False, columns)
    a, b = zipfile.ZipFile(io.BytesIO(bulk)), zipfile.ZipFile(io.BytesIO(one_by_one))
    assert a.namelist() == b.namelist()
    for name in a.namelist():
        assert a.read(name) == b.read(name), name
    assert bulk == one_by_one


def test_bulk_rows_read_back(tmp_path):
    _book(tmp_path, True, _columns(20))
    ws = load_workbook(tmp_path / "bulk.xlsx")["明细"]
    assert ws.max_row == 21 and ws.max_column == 4
    assert ws["B2"].value == NASTY[0]
    assert ws["B10"].value == "=1+1" and ws["B10"].data_type == "s"  # text, not a formula
    assert ws["C3"].value == 0 and ws["C3"].number_format == TWO_DECIMALS
    assert ws["D2"].alignment.wrap_text


def test_bulk_rows_refuse_an_illegal_character_as_openpyxl_does(tmp_path):
    columns = [["ok", "bad\x01text"]]
    with pytest.raises(IllegalCharacterError):
        _book(tmp_path, False, columns)
    with pytest.raises(IllegalCharacterError):
        _book(tmp_path, True, columns)
