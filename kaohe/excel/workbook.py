"""Saving workbooks reproducibly, and the cell styles templates and results share.

openpyxl stamps the save time into the file (the zip entries' dates and the document's
``modified`` property); ``save`` fixes both, so the same inputs give the same bytes, as
every other output of kaohe does.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from copy import copy
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.cell._writer import write_cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.functions import xmlfile

if TYPE_CHECKING:
    from _typeshed import SizedBuffer

FIXED_TIME = dt.datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")
HEADER_FONT = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
TWO_DECIMALS = "0.00"


def save(wb: Workbook, path: Path) -> Path:
    """Write ``wb`` to ``path`` with fixed timestamps: byte-identical for the same content.
    kaohe writes no formulas: a text cell openpyxl took for one (a unit name ``=1+1``) is
    written as text."""
    for ws in wb.worksheets:  # every cell, so the private dict rather than iter_rows' grid
        for cell in ws._cells.values():
            _never_formula(cell)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "kaohe"
    wb.properties.lastModifiedBy = "kaohe"
    out = io.BytesIO()
    bulk = {ws: ws._kaohe_bulk for ws in wb.worksheets if hasattr(ws, "_kaohe_bulk")}
    with _Archive(out, bulk) as archive:
        ExcelWriter(wb, archive).write_data()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


def _never_formula(cell: Cell) -> None:
    """User text starting with "=" (a unit name ``=1+1``), which openpyxl takes for a
    formula, is written as text: kaohe writes no formulas."""
    if cell.data_type == "f" and isinstance(cell.value, str):
        cell.data_type = "s"


def append_rows(ws: Worksheet, columns: Sequence[Sequence[object]],
                style: Callable[[int, object], SharedStyle | None]) -> None:
    """Rows appended below a worksheet's last row, cell by cell: ``style(j, value)`` is the
    style of a cell of column ``j`` (0-based) holding ``value``, or None. ``BulkRows``
    writes the same rows faster, to the same bytes."""
    for row in zip(*columns, strict=True):
        ws.append([v if (s := style(j, v)) is None else s.cell(ws, v)
                   for j, v in enumerate(row)])


class SharedStyle:
    """One combination of cell styles, for many cells: the first cell is styled through
    openpyxl's attributes (its font, border, format … entered in the workbook's lists in
    the order cells are written, as when every cell is styled so), later ones get a copy of
    its style array, as openpyxl's own ``WorksheetCopy`` copies styles. Setting an attribute
    hashes the style object to find it in the workbook's list: on 64,000 rows of details
    that was most of the time spent styling. Made per workbook (the array holds that
    workbook's ids), for cells not styled before."""

    def __init__(self, **styles: object) -> None:
        self._styles = styles
        self._array: StyleArray | None = None

    def cell(self, ws: Worksheet, value: object) -> Cell:
        """A new cell of ``ws`` holding ``value``, in this style (for ``ws.append``)."""
        if self._array is not None:
            return Cell(ws, value=value, style_array=self._array)  # a copy of the array
        cell = Cell(ws, value=value)
        for name, style in self._styles.items():
            setattr(cell, name, style)
        self._array = copy(cell._style)
        return cell


class BulkRows:
    """Rows appended below a worksheet's last row, serialised at ``save`` a distinct value
    at a time: openpyxl writes one cell of each distinct (column, value) — so its
    escaping, types, style ids and checks (an illegal character refused, a long text cut)
    are openpyxl's own — and that cell's XML is repeated for every cell holding the value.
    openpyxl made and wrote a Python object per cell: on 64,000 rows of details that was
    nearly all of ``kaohe score``'s time. ``style`` as for ``append_rows``."""

    def __init__(self, ws: Worksheet, columns: Sequence[Sequence[object]],
                 style: Callable[[int, object], SharedStyle | None]) -> None:
        self.first_row = ws.max_row + 1
        self.columns = columns
        self.style = style
        self.ws = ws
        ws._kaohe_bulk = self  # type: ignore[attr-defined]  # found by ``save``

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def _cell(self, j: int, value: object) -> str | None:
        """A cell's XML after ``<c r="…"`` as openpyxl writes it; None: not written."""
        style = self.style(j, value)
        cell = style.cell(self.ws, value) if style is not None else Cell(self.ws, value=value)
        _never_formula(cell)  # as ``save`` does
        if cell._value is None and not cell.has_style:
            return None  # openpyxl writes no element for an empty unstyled cell
        cell.row, cell.column = 1, 1
        buf = io.BytesIO()
        with xmlfile(buf) as xf:
            write_cell(xf, self.ws, cell, cell.has_style)
        text = buf.getvalue().decode("ascii")
        head = '<c r="A1"'
        if not text.startswith(head):
            raise AssertionError(f"unexpected cell XML from openpyxl: {text[:40]}")
        return text[len(head):]

    def xml(self) -> bytes:
        """The rows' XML, in order, as openpyxl writes them (styles are entered into the
        workbook in the order of their first cell, as when every cell is written)."""
        letters = [get_column_letter(j) for j in range(1, len(self.columns) + 1)]
        memo: list[dict[tuple[object, ...], str | None]] = [{} for _ in self.columns]
        parts = []
        for i, row in enumerate(zip(*self.columns, strict=True), start=self.first_row):
            n = str(i)
            cells = []
            for j, value in enumerate(row):
                key: tuple[object, ...] = (type(value), value)
                if value == 0 and type(value) is float:
                    key = (float, value, str(value))  # -0.0 == 0.0, but is written "-0"
                seen = memo[j]
                if key not in seen:
                    seen[key] = self._cell(j, value)
                tail = seen[key]
                if tail is not None:
                    cells.append(f'<c r="{letters[j]}{n}"{tail}')
            parts.append(f'<row r="{n}">{"".join(cells)}</row>')
        return "".join(parts).encode("ascii")

    def into(self, sheet: bytes) -> bytes:
        """The worksheet's XML as openpyxl wrote it without these rows, with them."""
        if not len(self):
            return sheet
        ref = self.ws.calculate_dimension()
        last = get_column_letter(max(self.ws.max_column, len(self.columns)))
        old = f'<dimension ref="{ref}"/>'.encode()
        new = f'<dimension ref="{ref.split(":")[0]}:{last}{self.first_row + len(self) - 1}"/>'
        new_b = new.encode()
        end = b"</sheetData>"
        if sheet.count(old) != 1 or sheet.count(end) != 1:
            raise AssertionError("unexpected worksheet XML from openpyxl")
        rows = self.xml()
        return sheet.replace(old, new_b).replace(end, rows + end)


class _Archive(zipfile.ZipFile):
    """A zip archive whose entries all carry one fixed time and mode, however openpyxl adds
    them (``writestr`` of a part, ``write`` of a worksheet from its temporary file): the
    workbook is compressed once, as it is written, rather than written and then copied
    entry by entry into a second archive (which compressed every entry twice). A worksheet
    with ``BulkRows`` gets them here, once openpyxl has written the rest of it."""

    def __init__(self, file: io.BytesIO, bulk: dict[Worksheet, BulkRows]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.bulk = bulk

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: SizedBuffer | str,
                 compress_type: int | None = None,  # noqa: ARG002 (every entry deflated)
                 compresslevel: int | None = None) -> None:  # noqa: ARG002
        name = (zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
                else zinfo_or_arcname)
        fixed = zipfile.ZipInfo(name, date_time=ZIP_TIME)
        fixed.compress_type = zipfile.ZIP_DEFLATED
        fixed.external_attr = 0o600 << 16
        super().writestr(fixed, data)

    def write(self, filename: str | os.PathLike[str],
              arcname: str | os.PathLike[str] | None = None,
              compress_type: int | None = None,  # noqa: ARG002 (every entry deflated)
              compresslevel: int | None = None) -> None:  # noqa: ARG002
        with open(filename, "rb") as f:
            data = f.read()
        for ws, rows in self.bulk.items():
            if arcname is not None and str(arcname) == ws.path[1:]:
                data = rows.into(data)
        self.writestr(str(arcname if arcname is not None else filename), data)


def display_width(text: object) -> int:
    """Columns a text takes in a spreadsheet: CJK and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def fit_width(texts, lo: float = 6, hi: float = 60) -> float:
    """A column width that shows the longest text (within bounds)."""
    longest = max((display_width(t) for t in texts if t is not None), default=0)
    return float(min(hi, max(lo, longest + 2)))
